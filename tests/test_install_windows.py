"""The offline installer's Python side (perfeval_xl.install_windows) and `python -m perfeval_xl`, without network.

What runs here is the real module on real folders. What only Windows can show, and is therefore not tested here:
`excel_running` (tasklist), the venv's ``Scripts\\python.exe`` layout, `py -3.x` finding a Python, and the console
showing the Chinese lines. The full install into a real venv and the uninstall are in tests/test_bundle.py (network).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from perfeval_xl import addin_install, install_windows
from perfeval_xl.install_windows import InstallError, Layout, choose_target

REPO = Path(__file__).resolve().parent.parent
BUNDLE = {
    "package": "perfeval-xl", "version": "0.1.0", "wheel": "perfeval_xl-0.1.0-py3-none-any.whl",
    "targets": [{"python": v, "platform": "win_amd64", "requirements": f"requirements-cp{v.replace('.', '')}.txt"}
                for v in ("3.11", "3.12", "3.13")],
}


def test_names_agree_with_addin_install():
    # install_windows cannot import addin_install before it has checked the Python version; the names must match.
    assert install_windows.ADDIN_FILENAME == addin_install.ADDIN_FILENAME
    assert install_windows.CONFIG_DIRNAME == addin_install.CONFIG_DIRNAME
    assert install_windows.CONFIG_FILENAME == addin_install.CONFIG_FILENAME


@pytest.mark.parametrize("version, requirements", [((3, 11, 9), "requirements-cp311.txt"),
                                                   ((3, 12, 0), "requirements-cp312.txt"),
                                                   ((3, 13, 5), "requirements-cp313.txt")])
def test_each_supported_python_gets_its_requirements_file(version, requirements):
    assert choose_target(BUNDLE, version, "win_amd64", 64)["requirements"] == requirements


@pytest.mark.parametrize("version", [(3, 10, 11), (3, 8, 10), (3, 7, 0)])
def test_old_python_is_refused_with_the_versions_to_install(version):
    with pytest.raises(InstallError) as info:
        choose_target(BUNDLE, version, "win_amd64", 64)
    message = str(info.value)
    assert message.startswith(f"你的 Python 是 3.{version[1]}：")
    assert "请安装 3.11–3.13" in message and "说明.txt" in message


def test_newer_python_than_the_folder_has_asks_for_one_alongside():
    with pytest.raises(InstallError) as info:
        choose_target(BUNDLE, (3, 14, 1), "win_amd64", 64)
    message = str(info.value)
    assert "你的 Python 是 3.14" in message and "3.11–3.13" in message
    assert "再安装一个 Python 3.13" in message and "并存" in message


def test_32_bit_python_is_refused():
    with pytest.raises(InstallError, match="32 位.*64 位的 Python 3.11–3.13"):
        choose_target(BUNDLE, (3, 12, 0), "win32", 32)


def test_another_platform_is_refused():
    with pytest.raises(InstallError, match="win_amd64.*linux_x86_64"):
        choose_target(BUNDLE, (3, 12, 0), "linux_x86_64", 64)


def test_platform_tag_matches_wheel_tags():
    assert install_windows.platform_tag("win-amd64") == "win_amd64"
    assert install_windows.platform_tag("win32") == "win32"
    assert install_windows.platform_tag("linux-x86_64") == "linux_x86_64"


def _user_folders(tmp_path: Path) -> dict:
    env = {"LOCALAPPDATA": tmp_path / "Local", "APPDATA": tmp_path / "Roaming", "USERPROFILE": tmp_path / "张三"}
    for folder in env.values():
        folder.mkdir()
    return {k: str(v) for k, v in env.items()}


def test_layout_is_where_the_docs_say(tmp_path):
    env = _user_folders(tmp_path)
    layout = Layout.from_environ(env)
    assert layout.root == tmp_path / "Local" / "perfeval-xl"
    assert layout.venv == layout.root / "venv"
    assert layout.manifest == layout.root / "install-manifest.json"
    assert layout.xlstart == tmp_path / "Roaming" / "Microsoft" / "Excel" / "XLSTART"
    assert layout.config_dir == tmp_path / "张三" / ".perfeval_xl"


def test_layout_without_a_user_folder_says_so(tmp_path):
    env = _user_folders(tmp_path)
    del env["LOCALAPPDATA"]
    with pytest.raises(InstallError, match="%LOCALAPPDATA%"):
        Layout.from_environ(env)


def test_child_processes_do_not_see_the_bundle_wheel_or_pip_settings():
    env = install_windows.clean_environment({"PATH": "/bin", "PYTHONPATH": "x.whl", "PIP_INDEX_URL": "http://x",
                                             "PYTHONHOME": "/y", "VIRTUAL_ENV": "/z"})
    assert env["PATH"] == "/bin"
    assert not {"PYTHONPATH", "PIP_INDEX_URL", "PYTHONHOME", "VIRTUAL_ENV"} & set(env)


def _fake_installed(tmp_path: Path) -> tuple[Layout, list[Path]]:
    """What a finished install leaves, as real files, plus things that were there before and must stay."""
    layout = Layout.from_environ(_user_folders(tmp_path))
    layout.xlstart.mkdir(parents=True)
    before = [layout.xlstart / "PERSONAL.XLSB"]  # the clerk's own macro workbook: Excel's XLSTART existed already
    before[0].write_bytes(b"mine")
    layout.root.mkdir()
    # A venv is a folder with pyvenv.cfg; its python is gone here, as when the clerk removed Python before uninstalling
    (layout.venv / "lib").mkdir(parents=True)
    (layout.venv / "pyvenv.cfg").write_text("home = C:\\Python313\n", encoding="utf-8")
    layout.log.write_text("log", encoding="utf-8")
    (layout.xlstart / "perfeval_xl.xlam").write_bytes(b"PK")
    layout.config_dir.mkdir()
    (layout.config_dir / "perfeval_xl.conf").write_bytes(b'"INTERPRETER_WIN","x"\r\n')
    manifest = {"created": [{"kind": k, "path": str(p)} for k, p in [
        ("dir", layout.root), ("file", layout.manifest), ("file", layout.log), ("venv", layout.venv),
        ("dir", layout.config_dir), ("file", layout.xlstart / "perfeval_xl.xlam"),
        ("file", layout.config_dir / "perfeval_xl.conf")]]}
    install_windows.write_manifest(layout, manifest)
    return layout, before


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_uninstall_removes_what_the_manifest_lists_and_keeps_the_rest(tmp_path):
    layout, before = _fake_installed(tmp_path)
    lines = []
    install_windows.uninstall(layout, log=lines.append)
    assert before[0].read_bytes() == b"mine"
    # XLSTART was not ours: it stays with the clerk's file; our root and config folder are gone.
    assert _tree(tmp_path) == {"Local", "Roaming", "张三", "Roaming/Microsoft", "Roaming/Microsoft/Excel",
                               "Roaming/Microsoft/Excel/XLSTART", "Roaming/Microsoft/Excel/XLSTART/PERSONAL.XLSB"}
    assert lines[-1].startswith("卸载完成")


def test_uninstall_keeps_a_folder_someone_added_files_to(tmp_path):
    layout, _ = _fake_installed(tmp_path)
    (layout.config_dir / "notes.txt").write_text("keep", encoding="utf-8")
    lines = []
    install_windows.uninstall(layout, log=lines.append)
    assert (layout.config_dir / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert not (layout.config_dir / "perfeval_xl.conf").exists()
    assert any(line.startswith("保留文件夹") and str(layout.config_dir) in line for line in lines)


def test_uninstall_refuses_to_delete_a_folder_that_is_not_our_venv(tmp_path):
    layout, _ = _fake_installed(tmp_path)
    (layout.venv / "pyvenv.cfg").unlink()  # e.g. someone put their own folder named venv there
    with pytest.raises(InstallError, match="不是安装程序建的 Python 环境"):
        install_windows.uninstall(layout, log=lambda line: None)
    assert layout.venv.is_dir() and layout.manifest.is_file()  # nothing deleted, the record kept for a retry


def test_uninstall_ignores_paths_a_damaged_manifest_adds(tmp_path):
    layout, _ = _fake_installed(tmp_path)
    victim = tmp_path / "张三" / "工作.xlsx"
    victim.write_bytes(b"work")
    manifest = json.loads(layout.manifest.read_text(encoding="utf-8"))
    manifest["created"].append({"kind": "file", "path": str(victim)})
    install_windows.write_manifest(layout, manifest)
    install_windows.uninstall(layout, log=lambda line: None)
    assert victim.read_bytes() == b"work"


def test_uninstall_without_a_record_changes_nothing(tmp_path):
    layout = Layout.from_environ(_user_folders(tmp_path))
    lines = []
    install_windows.uninstall(layout, log=lines.append)
    assert "没有找到安装记录" in lines[0]
    assert _tree(tmp_path) == {"Local", "Roaming", "张三"}


def _run_module(args: list[str], env_extra: dict, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    return subprocess.run([sys.executable, "-m", "perfeval_xl.install_windows", *args], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=cwd)


def test_an_incomplete_folder_is_a_chinese_line_and_exit_2(tmp_path):
    env = _user_folders(tmp_path)
    folder = tmp_path / "安装包"
    folder.mkdir()
    result = _run_module(["install", "--bundle", str(folder)], env, tmp_path)
    assert result.returncode == install_windows.EXIT_KNOWN
    assert "安装文件夹不完整" in result.stderr and "bundle.json" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "Local" / "perfeval-xl").exists()  # nothing made before the checks pass


def test_a_python_the_folder_has_no_wheels_for_is_refused_before_anything_is_made(tmp_path):
    env = _user_folders(tmp_path)
    folder = tmp_path / "安装包"
    folder.mkdir()
    (folder / "bundle.json").write_text(json.dumps(BUNDLE), encoding="utf-8")
    result = _run_module(["install", "--bundle", str(folder)], env, tmp_path)
    assert result.returncode == install_windows.EXIT_KNOWN
    # This Linux Python is not win_amd64: the refusal names both.
    assert "win_amd64" in result.stderr and install_windows.platform_tag() in result.stderr
    assert result.stdout.startswith("[1/5] 检查 Python：")
    assert not (tmp_path / "Local" / "perfeval-xl").exists()


def test_python_dash_m_perfeval_xl_is_the_cli():
    result = subprocess.run([sys.executable, "-m", "perfeval_xl", "policies"], capture_output=True, text=True,
                            encoding="utf-8")
    assert result.returncode == 0
    assert "national-2020" in result.stdout
    result = subprocess.run([sys.executable, "-m", "perfeval_xl", "addin", "--help"], capture_output=True,
                            text=True, encoding="utf-8")
    assert result.returncode == 0 and "install" in result.stdout


def _other_pythons() -> list:
    """Real interpreters of other versions on this machine (pyenv's, or pythonX.Y on PATH), {(major, minor): path}."""
    found = {}
    candidates = sorted(Path.home().glob(".pyenv/versions/*/bin/python")) + [
        Path(p) for v in range(6, 16) for p in [shutil.which(f"python3.{v}")] if p]
    for exe in candidates:
        out = subprocess.run([str(exe), "-c", "import sys; print('%d %d' % sys.version_info[:2])"],
                             capture_output=True, text=True)
        if out.returncode == 0:
            found.setdefault(tuple(int(x) for x in out.stdout.split()), exe)
    return [pytest.param(version, exe, id="%d.%d" % version) for version, exe in sorted(found.items())]


@pytest.mark.parametrize("version, exe", _other_pythons() or [pytest.param(None, None, marks=pytest.mark.skip(
    reason="no other Python on this machine; the version logic is covered by the choose_target tests above"))])
def test_the_installer_under_each_real_python(version, exe, tmp_path):
    """What 安装.cmd gets from whatever Python it found: a Chinese refusal from 3.6–3.10, step 2 from 3.11–3.13.
    Python 2 and 3.5 cannot parse the module: exit 1, which 安装.cmd reports as "Python 版本太旧"."""
    env = _user_folders(tmp_path)
    folder = tmp_path / "安装包"
    folder.mkdir()
    linux_like = {**BUNDLE, "targets": [{**t, "platform": install_windows.platform_tag()} for t in BUNDLE["targets"]]}
    (folder / "bundle.json").write_text(json.dumps(linux_like), encoding="utf-8")
    result = subprocess.run([str(exe), "-m", "perfeval_xl.install_windows", "install", "--bundle", str(folder)],
                            capture_output=True, env={**os.environ, **env, "PYTHONPATH": str(REPO)}, cwd=tmp_path)
    stdout, stderr = result.stdout.decode("utf-8", "replace"), result.stderr.decode("utf-8", "replace")
    if version < (3, 6):
        assert result.returncode == 1
    elif version < (3, 11):
        assert result.returncode == install_windows.EXIT_KNOWN, stderr
        assert stderr.strip() == (f"你的 Python 是 {version[0]}.{version[1]}：太旧了，请安装 3.11–3.13（推荐 3.13，"
                                  "下载地址见 说明.txt），装好后重新双击 安装.cmd。")
    elif version <= (3, 13):
        assert result.returncode == install_windows.EXIT_KNOWN, stderr
        assert "[2/5] 检查安装文件夹" in stdout and "安装文件夹不完整" in stderr  # no wheels in this folder
    else:
        assert result.returncode == install_windows.EXIT_KNOWN and "只带了 3.11–3.13 用的组件" in stderr
    assert not (tmp_path / "Local" / "perfeval-xl").exists()
