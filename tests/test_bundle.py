"""`perfeval-xl bundle`: the offline install folder, built for real (pip against PyPI, using pip's cache).

* The Windows folder resolves for CPython 3.11, 3.12 and 3.13 on win_amd64: every listed wheel's tags fit the target,
  pywin32 (and the other Windows-only dependencies) are there, every hash matches its file, and the set is complete
  under the target's markers (checked here independently of bundle.resolve_closure).
* The same code builds a folder for *this* machine's Python, and the installer runs from it exactly as 安装.cmd runs
  it (the module imported from the folder's wheel via PYTHONPATH): a real venv, a real offline `pip install
  --require-hashes`, the add-in registered by `python -m perfeval_xl addin install` from the venv; then the uninstaller
  leaves the user folders exactly as they were.
* 安装.cmd and 卸载.cmd: CRLF, code page 936, no byte cmd would misparse, every goto has its label, and the command
  they run is one the installer's parser accepts.

Only Windows can show: cmd.exe actually running the scripts (``py -3.13`` lookup, ``%~dp0``, errorlevels, the
console showing the text), the win_amd64 wheels installing and pywin32 loading, Excel opening the add-in from XLSTART.
Cost: the first run downloads about 110 MB into pip's cache. After that, one wheel build, four resolutions against
PyPI (in parallel) and one venv install: about 70 s of CPU in all; wall time measured here 2 to 5 minutes, on two cores
shared with a load average of 7 to 11.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from perfeval_xl import bundle, install_windows
from perfeval_xl.bundle import Target, build_bundle, install_script, uninstall_script, windows_targets

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PINS = {f"{r.name}{r.specifier}" for r in map(Requirement, PYPROJECT["project"]["dependencies"])}
WINDOWS_ONLY = {"pywin32", "colorama", "tzdata"}  # xlwings', tqdm's and pandas' dependencies with a Windows marker


def _pypi_reachable() -> bool:
    try:
        urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=10).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def own_wheel(tmp_path_factory):
    if not _pypi_reachable():
        if os.environ.get("CI"):
            pytest.fail("PyPI is not reachable: the bundle tests need it in CI")
        pytest.skip("PyPI is not reachable from this machine")
    return bundle.build_own_wheel(REPO, tmp_path_factory.mktemp("own"))


@pytest.fixture(scope="module")
def windows_bundle(own_wheel, tmp_path_factory):
    """The three Windows targets, plus one for this machine's Python so that the install test can run the folder
    here: one build, four resolutions in parallel (the product is the same folder without the fourth)."""
    out = tmp_path_factory.mktemp("bundle") / "绩效自评安装包"
    closures = build_bundle(out, targets=windows_targets() + [bundle.host_target()], wheel=own_wheel,
                            log=lambda line: None)
    return out, closures


def _requirements(path: Path) -> dict[str, tuple[str, str]]:
    """{canonical name: (version, sha256)} from a requirements file, checking each line's form."""
    text = path.read_bytes().decode("ascii")
    assert "\n" not in text.replace("\r\n", "")
    listed = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+) --hash=sha256:([0-9a-f]{64})", line)
        assert m, line
        listed[canonicalize_name(m[1])] = (m[2], m[3])
    return listed


def _marker_environment(python: str) -> dict:
    # Written out here rather than taken from bundle.Target, so the completeness check does not trust the code.
    return {"implementation_name": "cpython", "implementation_version": python + ".0", "os_name": "nt",
            "platform_machine": "AMD64", "platform_python_implementation": "CPython", "platform_release": "10",
            "platform_system": "Windows", "platform_version": "10.0", "python_full_version": python + ".0",
            "python_version": python, "sys_platform": "win32", "extra": ""}


@pytest.mark.parametrize("python", ["3.11", "3.12", "3.13"])
def test_windows_bundle_resolves_for_each_python(windows_bundle, python):
    out, _ = windows_bundle
    nodot = python.replace(".", "")
    listed = _requirements(out / f"requirements-cp{nodot}.txt")
    version = tuple(int(p) for p in python.split("."))
    fitting = set(cpython_tags(version, platforms=["win_amd64"])) | set(
        compatible_tags(version, f"cp{nodot}", platforms=["win_amd64"]))
    files = {}
    for path in (out / "wheels").glob("*.whl"):
        name, wheel_version, _, tags = parse_wheel_filename(path.name)
        if tags & fitting:
            files.setdefault(name, []).append((str(wheel_version), path))

    metadata = {}
    for name, (ver, digest) in listed.items():
        candidates = [p for v, p in files.get(name, []) if v == ver]
        assert len(candidates) == 1, f"{name}=={ver}: no (or more than one) wheel for cp{nodot} win_amd64"
        path = candidates[0]
        assert bundle.read_wheel(path).sha256() == digest, path.name
        info = bundle.read_wheel(path)
        assert SpecifierSet(info.requires_python or "").contains(python + ".0"), (path.name, info.requires_python)
        metadata[name] = info

    assert {"perfeval-xl", "xlwings", "pandas", "numpy", "openpyxl", "python-calamine"} <= set(listed)
    assert WINDOWS_ONLY <= set(listed)
    pywin32 = parse_wheel_filename(metadata["pywin32"].path.name)
    assert f"pywin32=={pywin32[1]}" in PINS  # the version pyproject.toml pins, not whatever is newest
    assert {str(t) for t in pywin32[3]} == {f"cp{nodot}-cp{nodot}-win_amd64"}
    xlwings = parse_wheel_filename(metadata["xlwings"].path.name)
    assert {str(t) for t in xlwings[3]} == {f"cp{nodot}-cp{nodot}-win_amd64"}

    # Complete on Windows: every requirement of every listed wheel, under Windows markers, is listed and satisfied.
    env = _marker_environment(python)
    for info in metadata.values():
        for text in info.requires_dist:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate(env):
                have = listed.get(canonicalize_name(req.name))
                assert have and req.specifier.contains(have[0], prereleases=True), f"{info.name} needs {req}"


def test_windows_bundle_files(windows_bundle, own_wheel):
    out, closures = windows_bundle
    info = json.loads((out / "bundle.json").read_text(encoding="ascii"))
    assert info["wheel"] == own_wheel.name and (out / "wheels" / own_wheel.name).is_file()
    assert [(t["python"], t["platform"], t["requirements"]) for t in info["targets"][:3]] == [
        (v, "win_amd64", f"requirements-cp{v.replace('.', '')}.txt") for v in ("3.11", "3.12", "3.13")]
    assert [t["platform"] for t in info["targets"][3:]] == [install_windows.platform_tag()]
    # Nothing in wheels/ that no requirements file installs.
    listed = {w.path.name for ws in closures.values() for w in ws}
    assert {p.name for p in (out / "wheels").iterdir()} == listed
    # The wheel carries the add-in the installer registers: the built one from addin/.
    with zipfile.ZipFile(out / "wheels" / own_wheel.name) as zf:
        assert zf.read("perfeval_xl/data/perfeval_xl.xlam") == (REPO / "addin" / "perfeval_xl.xlam").read_bytes()
    for name in ("安装.cmd", "卸载.cmd"):
        check_cmd_file(out / name, own_wheel.name)
    readme = (out / "说明.txt").read_bytes()
    assert readme.startswith(b"\xef\xbb\xbf") and b"\n" not in readme.replace(b"\r\n", b"")
    text = readme.decode("utf-8-sig")
    assert "https://www.python.org/downloads/windows/" in text and "3.11–3.13" in text
    assert "解除锁定" in text and "安装.cmd" in text and "卸载.cmd" in text


# --- The .cmd files ----------------------------------------------------------------------------------------------


def check_cmd_file(path: Path, wheel_name: str) -> None:
    data = path.read_bytes()
    assert b"\n" not in data.replace(b"\r\n", b""), f"{path.name}: a line ends without CR"
    text = data.decode("gbk")  # strict: every byte sequence is valid code page 936
    lines = text.split("\r\n")
    assert lines[0] == "@echo off" and lines[1] == "chcp 936 >nul"  # ASCII, read before the code page is set
    for char in set(text):
        if ord(char) > 127:
            # A second byte that is | or ^ would be a pipe or an escape if cmd ever read the file in another code page.
            assert not set(char.encode("gbk")[1:]) & set(b"|^"), f"{path.name}: {char!r}"
    labels = {line[1:].strip() for line in lines if line.startswith(":")}
    for target in re.findall(r"goto (\w+)", text):
        assert target in labels, f"{path.name}: goto {target} has no label"
    assert f"set \"PYTHONPATH=%~dp0wheels\\{wheel_name}\"" in lines
    run = next(line for line in lines if line.startswith("%PERFEVAL_PY% -m "))
    module, *args = run.split(" ", 2)[2].replace('"%~dp0."', "C:\\安装包\\.").split()
    assert module == "perfeval_xl.install_windows"
    parsed = install_windows.build_parser().parse_args(args)
    assert parsed.command == ("install" if path.name == "安装.cmd" else "uninstall")


def test_cmd_files_are_crlf_code_page_936_and_consistent(tmp_path):
    wheel = "perfeval_xl-0.1.0-py3-none-any.whl"
    scripts = {"安装.cmd": install_script(wheel, "3.11–3.13"), "卸载.cmd": uninstall_script(wheel, "3.11–3.13")}
    for name, text in scripts.items():
        bundle.write_cmd(tmp_path / name, text)
        check_cmd_file(tmp_path / name, wheel)


def test_install_cmd_tries_the_supported_pythons_newest_first():
    text = install_script("w.whl", "3.11–3.13")
    assert "for %%V in (3.13 3.12 3.11 3) do (" in text
    assert "py -%%V -c \"\"" in text
    assert "请先安装 64 位的 Python 3.11–3.13" in text and "说明.txt" in text


def test_gbk_check_catches_a_bad_second_byte(tmp_path):
    # 乛 is 0x81 0x5E in code page 936: its second byte is ^. The check must see it.
    assert "乛".encode("gbk")[1:] == b"^"
    bundle.write_cmd(tmp_path / "x.cmd", install_script("w.whl", "3.11–3.13").replace("安装没有完成", "乛"))
    with pytest.raises(AssertionError):
        check_cmd_file(tmp_path / "x.cmd", "w.whl")


# --- Installing the folder on this machine -------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


def test_install_and_uninstall_from_the_folder_on_this_machine(windows_bundle, own_wheel, tmp_path):
    out, _ = windows_bundle
    home = tmp_path / "用户"
    env = {"LOCALAPPDATA": home / "AppData" / "Local", "APPDATA": home / "AppData" / "Roaming", "USERPROFILE": home}
    xlstart = env["APPDATA"] / "Microsoft" / "Excel" / "XLSTART"
    xlstart.mkdir(parents=True)
    (xlstart / "PERSONAL.XLSB").write_bytes(b"the clerk's own")
    env["LOCALAPPDATA"].mkdir(parents=True)
    before = _tree(home)

    # As 安装.cmd runs it: this Python, the module imported from the folder's wheel, nothing else on the path.
    run_env = {**os.environ, **{k: str(v) for k, v in env.items()},
               "PYTHONPATH": str(out / "wheels" / own_wheel.name)}
    result = subprocess.run([sys.executable, "-m", "perfeval_xl.install_windows", "install", "--bundle", str(out)],
                            capture_output=True, text=True, encoding="utf-8", env=run_env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for n in range(1, 6):
        assert f"[{n}/5] " in result.stdout
    assert "安装完成" in result.stdout and "Traceback" not in result.stdout + result.stderr

    layout = install_windows.Layout.from_environ({k: str(v) for k, v in env.items()})
    python = install_windows.venv_python(layout.venv)
    # perfeval_xl in the venv is the installed wheel, not this checkout or the folder's zip.
    where = subprocess.run([str(python), "-c", "import perfeval_xl, xlwings; print(perfeval_xl.__file__)"],
                           capture_output=True, text=True, env=install_windows.clean_environment(), cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).is_relative_to(layout.venv)
    assert (xlstart / "perfeval_xl.xlam").read_bytes() == (REPO / "addin" / "perfeval_xl.xlam").read_bytes()
    config = (layout.config_dir / "perfeval_xl.conf").read_text(encoding="utf-8")
    assert f'"INTERPRETER_WIN","{python}"' in config
    manifest = json.loads(layout.manifest.read_text(encoding="utf-8"))
    assert manifest["finished"] is True
    assert {"kind": "venv", "path": str(layout.venv)} in manifest["created"]
    assert {"kind": "dir", "path": str(xlstart)} not in manifest["created"]  # it was there before

    result = subprocess.run([sys.executable, "-m", "perfeval_xl.install_windows", "uninstall"],
                            capture_output=True, text=True, encoding="utf-8", env=run_env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "卸载完成" in result.stdout
    assert _tree(home) == before
    assert not list(out.glob("*.tmp")) and (out / "bundle.json").is_file()  # the folder itself is left as it was


def test_bundle_command_refuses_a_folder_with_other_files(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "论文.docx").write_bytes(b"x")
    result = subprocess.run([sys.executable, "-m", "perfeval_xl", "bundle", "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, encoding="utf-8")
    assert result.returncode == 2 and "不是空文件夹" in result.stderr
    assert (tmp_path / "out" / "论文.docx").read_bytes() == b"x"


def test_target_markers_are_windows_ones():
    env = Target("3.12").marker_environment()
    assert env["sys_platform"] == "win32" and env["platform_system"] == "Windows" and env["python_version"] == "3.12"
    assert [t.requirements_name for t in windows_targets()] == [
        "requirements-cp311.txt", "requirements-cp312.txt", "requirements-cp313.txt"]
