"""The logic behind the offline install folder's 安装.cmd and 卸载.cmd (built by `perfeval-xl bundle`).

The .cmd files only find a Python (``py -3.13``/``-3.12``/``-3.11``, ``py -3``, or a python.exe the clerk drops on
the script) and run, with ``PYTHONPATH`` set to the folder's own perfeval-xl wheel (a zip Python imports from)::

    python -m perfeval_xl.install_windows install --bundle <folder>
    python -m perfeval_xl.install_windows uninstall

Everything else is here, so that it can be tested on any system:

* ``install`` checks the Python against the targets listed in the folder's ``bundle.json`` (version and platform),
  makes a virtual environment ``%LOCALAPPDATA%\\perfeval-xl\\venv``, installs the folder's wheels into it offline with
  hashes (``pip install --no-index --find-links wheels --require-hashes -r requirements-cp3xx.txt``), and registers
  the add-in with that environment's interpreter by running ``<venv>\\Scripts\\python.exe -m perfeval_xl addin
  install`` (``perfeval-xl`` need not be on PATH). It prints one Chinese line per step.
* It keeps a manifest, ``%LOCALAPPDATA%\\perfeval-xl\\install-manifest.json``, of what it created, written before each
  step, so that even a half-finished install can be undone. ``uninstall`` removes exactly what the manifest lists and
  leaves anything else (a folder that existed before, a file someone added to it).

This module runs under the clerk's Python *before* we know its version, so it must at least import on old Pythons
to say "你的 Python 是 3.10…": standard library only, no syntax or library call newer than 3.6 (so no
``from __future__ import annotations``; tests/test_install_windows.py runs it under every old Python it can find).
Exit status: 0 done, 2 a known problem (a Chinese line says what to do), 3 unexpected.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import traceback
from pathlib import Path
from typing import Optional

BUNDLE_INFO = "bundle.json"
WHEELS_DIR = "wheels"
ROOT_DIRNAME = "perfeval-xl"
VENV_DIRNAME = "venv"
MANIFEST_NAME = "install-manifest.json"
LOG_NAME = "install-log.txt"
README_NAME = "说明.txt"
INSTALL_SCRIPT = "安装.cmd"
UNINSTALL_SCRIPT = "卸载.cmd"
# Kept equal to addin_install's names (a test checks); not imported so that this module loads on any Python 3.
ADDIN_FILENAME = "perfeval_xl.xlam"
CONFIG_DIRNAME = ".perfeval_xl"
CONFIG_FILENAME = "perfeval_xl.conf"

EXIT_OK, EXIT_KNOWN, EXIT_UNEXPECTED = 0, 2, 3


class InstallError(RuntimeError):
    """The install cannot go on; the message is Chinese and says what to do."""


# --- Which Python, which wheels --------------------------------------------------------------------------------


def platform_tag(sysconfig_platform: Optional[str] = None) -> str:
    """The wheel platform tag of this Python: "win-amd64" → "win_amd64", "linux-x86_64" → "linux_x86_64"."""
    text = sysconfig_platform if sysconfig_platform is not None else sysconfig.get_platform()
    return text.replace("-", "_").replace(".", "_")


def version_text(version: tuple) -> str:
    return "%d.%d" % tuple(version[:2])


def version_range_text(targets: list) -> str:
    """ "3.11–3.13" (or "3.12" when the folder has one version)."""
    versions = sorted({tuple(int(p) for p in t["python"].split(".")) for t in targets})
    first, last = version_text(versions[0]), version_text(versions[-1])
    return first if first == last else f"{first}–{last}"


def read_bundle(bundle: Path) -> dict:
    """The folder's bundle.json: {"package", "version", "wheel",
    "targets": [{"python", "platform", "requirements"}]}."""
    info_path = bundle / BUNDLE_INFO
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InstallError(
            f"安装文件夹不完整：缺少 {info_path}。请把整个文件夹重新复制一遍（不要只复制 {INSTALL_SCRIPT}），再双击它。"
        ) from None
    except (OSError, ValueError) as exc:
        raise InstallError(f"安装文件夹里的 {info_path} 读不出来（{exc}）。请把整个文件夹重新复制一遍。") from None
    if not info.get("targets") or not info.get("wheel"):
        raise InstallError(f"安装文件夹里的 {info_path} 内容不完整。请向发给你文件夹的同事要一份新的。")
    return info


def choose_target(info: dict, version: tuple, platform: str, bits: int) -> dict:
    """The target (requirements file) for this Python, or an InstallError saying which Python to install instead."""
    targets = info["targets"]
    wanted = version_range_text(targets)
    have = version_text(version)
    platforms = {t["platform"] for t in targets}
    if platform not in platforms:
        if platform.startswith("win") and bits != 64:
            raise InstallError(
                f"你的 Python {have} 是 32 位的：请安装 64 位的 Python {wanted}"
                f"（安装程序名里带 “64-bit” 或 “amd64”，下载地址见 {README_NAME}），装好后重新双击 {INSTALL_SCRIPT}。"
            )
        raise InstallError(
            f"这个安装文件夹是给 {'、'.join(sorted(platforms))} 的，你的 Python 是 {platform}："
            f"请在 64 位 Windows 上安装 64 位的 Python {wanted}（见 {README_NAME}）。"
        )
    for target in targets:
        if target["platform"] == platform and target["python"] == have:
            return target
    versions = sorted(tuple(int(p) for p in t["python"].split(".")) for t in targets if t["platform"] == platform)
    if tuple(version[:2]) < versions[0]:
        raise InstallError(
            f"你的 Python 是 {have}：太旧了，请安装 {wanted}（推荐 {version_text(versions[-1])}，下载地址见 {README_NAME}），"
            f"装好后重新双击 {INSTALL_SCRIPT}。"
        )
    raise InstallError(
        f"你的 Python 是 {have}：这个安装文件夹只带了 {wanted} 用的组件。请再安装一个 Python "
        f"{version_text(versions[-1])}（与 {have} 可以并存，下载地址见 {README_NAME}），装好后重新双击 {INSTALL_SCRIPT}，"
        f"它会自动选用 {version_text(versions[-1])}。"
    )


# --- Where things go ---------------------------------------------------------------------------------------------


class Layout:
    """The paths the installer creates or writes, from the user's environment variables."""

    def __init__(self, root: Path, xlstart: Path, config_dir: Path) -> None:
        self.root = root
        self.venv = root / VENV_DIRNAME
        self.manifest = root / MANIFEST_NAME
        self.log = root / LOG_NAME
        self.xlstart = xlstart
        self.config_dir = config_dir

    @classmethod
    def from_environ(cls, environ=None) -> "Layout":
        env = os.environ if environ is None else environ

        def folder(name: str, what: str) -> Path:
            value = env.get(name, "")
            if not value or not Path(value).is_dir():
                raise InstallError(f"找不到环境变量 %{name}% 指向的文件夹（{what}），无法安装。请向单位的电脑管理员求助。")
            return Path(value)

        local = folder("LOCALAPPDATA", "本地应用数据")
        appdata = folder("APPDATA", "漫游应用数据，Excel 启动文件夹在它下面")
        profile = folder("USERPROFILE", "用户文件夹，加载项的配置放在它下面")
        # The same places addin_install picks by default on Windows; given explicitly so both sides agree.
        return cls(local / ROOT_DIRNAME, appdata / "Microsoft" / "Excel" / "XLSTART", profile / CONFIG_DIRNAME)


def venv_python(venv: Path) -> Path:
    return venv / "Scripts" / "python.exe" if os.name == "nt" else venv / "bin" / "python"


# --- The manifest --------------------------------------------------------------------------------------------------


def read_manifest(layout: Layout) -> Optional[dict]:
    try:
        return json.loads(layout.manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InstallError(f"安装记录 {layout.manifest} 读不出来（{exc}）。请向单位的电脑管理员求助。") from None


def write_manifest(layout: Layout, manifest: dict) -> None:
    layout.root.mkdir(parents=True, exist_ok=True)
    tmp = layout.manifest.with_name(layout.manifest.name + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, layout.manifest)


def _created(manifest: dict, kind: str, path: Path) -> None:
    """Record that we made `path` (once; a re-install keeps the first install's record)."""
    entry = {"kind": kind, "path": str(path)}
    if entry not in manifest["created"]:
        manifest["created"].append(entry)


# --- Running the environment's Python ------------------------------------------------------------------------------


def clean_environment(environ=None) -> dict:
    """The environment for the new venv's processes: without our PYTHONPATH (it points at the folder's wheel, and pip
    would then think perfeval-xl is already installed) and without settings that redirect Python or pip."""
    env = dict(os.environ if environ is None else environ)
    for name in list(env):
        if name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV") \
                or name.startswith("PIP_"):
            del env[name]
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUTF8"] = "1"
    return env


def _run(args: list, log_path: Path) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=clean_environment())
    text = result.stdout.decode("utf-8", errors="replace")
    with open(log_path, "a", encoding="utf-8") as log:
        log.write("> " + " ".join(str(a) for a in args) + "\n" + text + f"[退出码 {result.returncode}]\n\n")
    result.stdout = text
    return result


def _addin_command(env_python: Path, verb: str, layout: "Layout", log) -> subprocess.CompletedProcess:
    """`python -m perfeval_xl addin install|uninstall` in the environment, for this layout's folders; its lines are
    shown indented under the current step."""
    result = _run([env_python, "-m", "perfeval_xl", "addin", verb,
                   "--xlstart-dir", layout.xlstart, "--config-dir", layout.config_dir], layout.log)
    for line in result.stdout.splitlines():
        if line.strip():
            log("      " + line)
    return result


def excel_running() -> bool:
    """Is EXCEL.EXE running? (Windows only; elsewhere False.) An open Excel locks the add-in in XLSTART and the
    environment's python.exe while a button runs."""
    if os.name != "nt":
        return False
    try:
        out = subprocess.run(["tasklist", "/FI", "IMAGENAME eq EXCEL.EXE", "/NH"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    return b"excel.exe" in out.lower()


# --- Install -------------------------------------------------------------------------------------------------------


def install(bundle: Path, layout: Layout, *, log=print, python: Optional[str] = None,
            version: Optional[tuple] = None, platform: Optional[str] = None, bits: Optional[int] = None) -> None:
    """Install from the folder `bundle` into `layout`. The Python facts default to this interpreter's."""
    python = python or sys.executable
    version = tuple(version or sys.version_info[:3])
    platform = platform or platform_tag()
    bits = bits or (64 if sys.maxsize > 2 ** 32 else 32)
    steps = 5

    def step(n: int, text: str) -> None:
        log(f"[{n}/{steps}] {text}")

    step(1, f"检查 Python：{'.'.join(str(v) for v in version)}（{python}）")
    info = read_bundle(bundle)
    target = choose_target(info, version, platform, bits)
    log("      可以使用。")

    step(2, f"检查安装文件夹：{bundle}")
    wheels = bundle / WHEELS_DIR
    requirements = bundle / target["requirements"]
    for needed in (wheels / info["wheel"], requirements):
        if not needed.is_file():
            raise InstallError(f"安装文件夹不完整：缺少 {needed}。请把整个文件夹重新复制一遍，再双击 {INSTALL_SCRIPT}。")
    count = sum(1 for line in requirements.read_text(encoding="ascii").splitlines()
                if line.strip() and not line.startswith("#"))
    log(f"      perfeval-xl {info['version']}，连同 {count - 1} 个依赖组件（给 Python {target['python']} 用）。")
    if excel_running():
        raise InstallError(f"Excel 正在运行：请先保存并关闭所有 Excel 窗口，再双击 {INSTALL_SCRIPT}。")

    manifest = read_manifest(layout) or {"created": []}
    manifest.update({"package": info.get("package", "perfeval-xl"), "version": info["version"],
                     "base_python": python, "python": target["python"], "finished": False})
    if not layout.root.is_dir():
        layout.root.mkdir(parents=True)
        _created(manifest, "dir", layout.root)
    _created(manifest, "file", layout.manifest)
    _created(manifest, "file", layout.log)
    _created(manifest, "venv", layout.venv)
    write_manifest(layout, manifest)
    layout.log.write_text(f"perfeval-xl {info['version']} 安装记录\n\n", encoding="utf-8")

    step(3, f"创建独立的 Python 环境：{layout.venv}")
    if layout.venv.exists():
        log("      （已有旧的环境，先删除它再重新创建）")
        _remove_tree(layout.venv, layout)
    try:
        import venv  # here, not at the top: the embeddable Python has no venv, and it should hear so in Chinese
    except ImportError:
        raise InstallError(f"你的 Python（{python}）不带 venv 模块，可能是嵌入版。请安装 python.org 的完整版（见 {README_NAME}）。") from None
    try:
        venv.EnvBuilder(with_pip=True).create(str(layout.venv))
    except (OSError, subprocess.CalledProcessError) as exc:
        raise InstallError(
            f"无法创建 Python 环境 {layout.venv}（{exc}）。如果你的 Python 是从微软应用商店装的，"
            f"请改装 python.org 的版本（见 {README_NAME}）。"
        ) from None
    env_python = venv_python(layout.venv)
    if not env_python.is_file():
        raise InstallError(f"创建 Python 环境后找不到 {env_python}。请改装 python.org 的 Python（见 {README_NAME}）后重试。")

    step(4, "安装组件（不需要网络，大约一两分钟）……")
    result = _run([env_python, "-m", "pip", "install", "--isolated", "--no-index", "--find-links", wheels,
                   "--require-hashes", "-r", requirements, "--disable-pip-version-check",
                   "--no-warn-script-location", "--no-input"], layout.log)
    if result.returncode != 0:
        hint = ("有文件与记录的校验值不符，安装文件夹可能在复制中损坏了：请重新复制整个文件夹。"
                if "HASH" in result.stdout.upper() else "")
        raise InstallError(f"安装组件失败。{hint}详细信息在 {layout.log}，请把这个文件发给技术支持。")

    step(5, "把加载项登记到 Excel（复制到 Excel 启动文件夹，并写入配置）")
    xlstart_existed, config_existed = layout.xlstart.is_dir(), layout.config_dir.is_dir()
    if not xlstart_existed:
        _created(manifest, "dir", layout.xlstart)
    if not config_existed:
        _created(manifest, "dir", layout.config_dir)
    _created(manifest, "file", layout.xlstart / ADDIN_FILENAME)
    _created(manifest, "file", layout.config_dir / CONFIG_FILENAME)
    write_manifest(layout, manifest)
    result = _addin_command(env_python, "install", layout, log)
    if result.returncode != 0:
        raise InstallError(f"登记加载项失败（原因见上一行）。详细信息在 {layout.log}。")

    manifest["finished"] = True
    write_manifest(layout, manifest)
    log("")
    log("安装完成。打开 Excel，功能区会出现“绩效自评”选项卡。")
    log(f"要卸载时，双击本文件夹里的 {UNINSTALL_SCRIPT}。")


# --- Uninstall -----------------------------------------------------------------------------------------------------


def _remove_tree(path: Path, layout: Layout) -> None:
    # Only ever our own venv folder under our own root: a wrong manifest must not make us delete a user's folder.
    if path.parent != layout.root or not (path / "pyvenv.cfg").is_file():
        if path.exists():
            raise InstallError(f"{path} 不是安装程序建的 Python 环境，没有删除它。请向单位的电脑管理员求助。")
        return
    try:
        shutil.rmtree(path)
    except OSError as exc:
        raise InstallError(
            f"无法删除 {path}（{exc.strerror or exc}）：Excel 可能正在用它。请关闭所有 Excel 窗口后重试"
            "（必要时在任务管理器里结束 EXCEL.EXE 和 python.exe）。"
        ) from None


def uninstall(layout: Layout, *, log=print) -> None:
    """Remove what the manifest says the installer created; leave everything else.

    The add-in is unregistered by the environment's own `perfeval_xl addin uninstall` (the code that registered it);
    then the environment, the files the manifest lists (if still there), the folders we made if they are now empty,
    and the manifest last, so that an uninstall stopped half-way (Excel still open) can simply be run again."""
    manifest = read_manifest(layout)
    if manifest is None:
        log(f"没有找到安装记录（{layout.manifest}），这台电脑上没有用 {INSTALL_SCRIPT} 安装过，无需卸载。")
        return
    if excel_running():
        raise InstallError(f"Excel 正在运行：请先保存并关闭所有 Excel 窗口，再双击 {UNINSTALL_SCRIPT}。")
    created = manifest.get("created", [])
    ours = {(e["kind"], e["path"]) for e in created}

    env_python = venv_python(layout.venv)
    if ("venv", str(layout.venv)) in ours and env_python.is_file():
        log("从 Excel 注销加载项：")
        result = _addin_command(env_python, "uninstall", layout, log)
        if result.returncode != 0:
            raise InstallError(f"注销加载项失败（原因见上一行）。请关闭所有 Excel 窗口后重新双击 {UNINSTALL_SCRIPT}。")

    if ("venv", str(layout.venv)) in ours and layout.venv.exists():
        _remove_tree(layout.venv, layout)
        log(f"已删除 Python 环境：{layout.venv}")
    # Only these names, whatever the manifest says: a damaged record must not make us delete someone else's file.
    for path in (layout.xlstart / ADDIN_FILENAME, layout.config_dir / CONFIG_FILENAME, layout.log):
        if ("file", str(path)) in ours and path.is_file():
            _unlink(path)
            log(f"已删除：{path}")
    for folder in (layout.xlstart, layout.config_dir):
        if ("dir", str(folder)) in ours:
            _remove_if_empty(folder, log)
    _unlink(layout.manifest)
    if ("dir", str(layout.root)) in ours:
        _remove_if_empty(layout.root, log)
    log("")
    log("卸载完成。重新打开 Excel 后，“绩效自评”选项卡就不见了。")


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise InstallError(f"无法删除 {path}（{exc.strerror or exc}）。请关闭所有 Excel 窗口后重试。") from None


def _remove_if_empty(folder: Path, log) -> None:
    if not folder.is_dir():
        return
    if any(folder.iterdir()):
        log(f"保留文件夹（里面还有别的文件）：{folder}")
        return
    folder.rmdir()
    log(f"已删除空文件夹：{folder}")


# --- Command line (what the .cmd files run) ------------------------------------------------------------------------


def build_parser():
    import argparse

    parser = argparse.ArgumentParser(prog="python -m perfeval_xl.install_windows",
                                     description="离线安装文件夹的安装与卸载（由 安装.cmd、卸载.cmd 调用）。")
    commands = parser.add_subparsers(dest="command")
    commands.required = True  # the keyword argument is 3.7+
    p = commands.add_parser("install", help="从安装文件夹安装并登记加载项")
    p.add_argument("--bundle", required=True, help="安装文件夹（安装.cmd 所在的文件夹）")
    commands.add_parser("uninstall", help="删除安装程序建立的一切")
    return parser


def main(argv: Optional[list] = None) -> int:
    args = build_parser().parse_args(argv)
    for stream in (sys.stdout, sys.stderr):  # a console shows Unicode anyway; a pipe or file gets UTF-8
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):
            pass
    # PYTHONPATH points at the folder's wheel so that this module could be imported; nothing started from here needs it.
    os.environ.pop("PYTHONPATH", None)
    try:
        layout = Layout.from_environ()
        if args.command == "install":
            install(Path(args.bundle).resolve(), layout)
        else:
            uninstall(layout)
    except InstallError as exc:
        print("", file=sys.stderr)
        print(str(exc), file=sys.stderr)
        return EXIT_KNOWN
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return EXIT_KNOWN
    except Exception:  # noqa: BLE001 — the clerk gets a Chinese line and a file to send, not a traceback
        where = _write_crash_report(traceback.format_exc())
        print("", file=sys.stderr)
        print(f"安装程序遇到意外错误。请把 {where} 发给技术支持。", file=sys.stderr)
        return EXIT_UNEXPECTED
    return EXIT_OK


def _write_crash_report(text: str) -> Path:
    folder = Path(os.environ.get("TEMP") or os.environ.get("TMPDIR") or ".")
    path = folder / "perfeval-xl-install-error.txt"
    try:
        path.write_text(text, encoding="utf-8")
    except OSError:
        pass
    return path


if __name__ == "__main__":
    sys.exit(main())
