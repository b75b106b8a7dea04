"""`perfeval-xl bundle -o DIR`: an offline install folder for Windows clerks, built on any machine (Linux included).

The folder holds:

* ``wheels/`` — perfeval-xl's own wheel (built from this source tree) and every dependency as a binary wheel for 64-bit
  Windows CPython 3.11, 3.12 and 3.13 (``pip download --only-binary=:all: --platform win_amd64 --python-version 3.1x
  --implementation cp``);
* ``requirements-cp3xx.txt`` — per Python version, every wheel to install, pinned, with its SHA-256, so that the
  install is ``pip install --no-index --find-links wheels --require-hashes -r requirements-cp3xx.txt``;
* ``bundle.json`` — the package, its wheel and the targets (read by perfeval_xl.install_windows);
* ``安装.cmd`` and ``卸载.cmd`` — thin scripts that find a Python and run perfeval_xl.install_windows from the wheel;
* ``说明.txt`` — for the clerk: which Python to install first and where from, unblocking, what the scripts do.

Why the resolution is checked here and not left to pip: pip evaluates environment markers against the machine it runs
on, whatever ``--platform`` says. Run on Linux, ``pip download --platform win_amd64`` drops every Windows-only
dependency — pywin32 (xlwings), colorama (tqdm), tzdata (pandas) — without a word, and the offline install then fails
on the clerk's PC. So after each download we walk the dependency tree ourselves with the *target's* markers
(`resolve_closure`) and ask pip again, by name, for whatever is missing, until the tree is complete. pywin32 is also
pinned by name in pyproject.toml (with a Windows marker) so its version is ours, not "the latest".

The cmd files are written in code page 936 (GBK) with CRLF line ends and begin with ``chcp 936``: that is the console
code page of Chinese Windows, so they show correctly there without relying on cmd.exe's UTF-8 mode (code page 65001
still misreads batch files on Windows 8.1, which Python 3.11 supports). A GBK character's second byte can be an ASCII
byte; tests/test_bundle.py checks that none is ``|`` or ``^``, which cmd would parse were the file ever read in another
code page.
"""

from __future__ import annotations

import email.parser
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .install_windows import (
    BUNDLE_INFO, INSTALL_SCRIPT, README_NAME, UNINSTALL_SCRIPT, WHEELS_DIR, platform_tag, version_range_text,
)

PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
WINDOWS_PLATFORM = "win_amd64"
CMD_ENCODING = "gbk"  # code page 936; see the module docstring
README_ENCODING = "utf-8-sig"  # Notepad of every Windows version recognises UTF-8 by its BOM
PYTHON_DOWNLOAD_URL = "https://www.python.org/downloads/windows/"
MAX_ROUNDS = 4  # each round can add one more level of platform-only dependencies
PACKAGE = "perfeval-xl"
ADDIN_IN_WHEEL = "perfeval_xl/data/perfeval_xl.xlam"

__all__ = [
    "BundleError", "PYTHON_VERSIONS", "Target", "WheelInfo", "add_bundle_parser", "build_bundle", "build_own_wheel",
    "install_script", "read_wheel", "readme_text", "resolve_closure", "uninstall_script", "windows_targets",
]


class BundleError(RuntimeError):
    """The bundle cannot be built; the message is Chinese."""


def _packaging():
    """packaging's markers, requirements and utils, imported when a bundle is built (not for every `perfeval-xl` run):
    the standalone package when installed, else the copy inside pip, which `bundle` needs anyway."""
    try:
        from packaging import markers, requirements, utils
    except ImportError:  # pragma: no cover - depends on the environment
        from pip._vendor.packaging import markers, requirements, utils
    return markers, requirements, utils


def canonicalize_name(name: str) -> str:
    return _packaging()[2].canonicalize_name(name)


def parse_requirement(text: str):
    return _packaging()[1].Requirement(text)


# --- Targets -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One Python the folder serves: ``python`` "3.12", ``platform`` a wheel platform tag. ``host`` means "this very
    interpreter" (pip downloads for it without --platform; used by the tests to install the folder on Linux)."""

    python: str
    platform: str = WINDOWS_PLATFORM
    host: bool = False

    @property
    def tag(self) -> str:
        return "cp" + self.python.replace(".", "")

    @property
    def requirements_name(self) -> str:
        suffix = "" if self.platform == WINDOWS_PLATFORM else "-" + self.platform
        return f"requirements-{self.tag}{suffix}.txt"

    def marker_environment(self) -> dict:
        """PEP 508 marker values on the target, for `resolve_closure`."""
        if self.host:
            return _packaging()[0].default_environment()
        if self.platform != WINDOWS_PLATFORM:
            raise BundleError(f"不支持的目标平台：{self.platform}")
        full = self.python + ".0"
        return {
            "implementation_name": "cpython", "implementation_version": full, "os_name": "nt",
            "platform_machine": "AMD64", "platform_python_implementation": "CPython", "platform_release": "10",
            "platform_system": "Windows", "platform_version": "10.0", "python_full_version": full,
            "python_version": self.python, "sys_platform": "win32",
        }

    def pip_options(self) -> list[str]:
        if self.host:
            return []
        return ["--platform", self.platform, "--python-version", self.python, "--implementation", "cp"]


def windows_targets(versions=PYTHON_VERSIONS) -> list[Target]:
    return [Target(v) for v in versions]


def host_target() -> Target:
    return Target("%d.%d" % sys.version_info[:2], platform_tag(), host=True)


# --- Wheels --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WheelInfo:
    path: Path
    name: str
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str | None

    @property
    def key(self) -> str:
        return canonicalize_name(self.name)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with open(self.path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def read_wheel(path: Path) -> WheelInfo:
    """Name, version and dependencies from a wheel's ``*.dist-info/METADATA``."""
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise BundleError(f"{path.name}：不是有效的 wheel（找不到 .dist-info/METADATA）。")
        meta = email.parser.HeaderParser().parsestr(zf.read(names[0]).decode("utf-8"))
    return WheelInfo(Path(path), meta["Name"], meta["Version"], tuple(meta.get_all("Requires-Dist") or ()),
                     meta.get("Requires-Python"))


def resolve_closure(root: WheelInfo, available: dict[str, WheelInfo], environment: dict
                    ) -> tuple[list[WheelInfo], list]:
    """Every wheel `root` needs on the target (markers evaluated with `environment`, extras followed), and the
    requirements no wheel in `available` (canonical name → wheel) satisfies."""
    needed: dict[str, WheelInfo] = {root.key: root}
    missing: dict = {}  # canonical name → packaging Requirement
    done: set[tuple[str, frozenset]] = set()
    queue: list[tuple[WheelInfo, frozenset]] = [(root, frozenset())]
    while queue:
        dist, extras = queue.pop()
        if (dist.key, extras) in done:
            continue
        done.add((dist.key, extras))
        for text in dist.requires_dist:
            req = parse_requirement(text)
            if req.marker is not None and not any(
                    req.marker.evaluate({**environment, "extra": extra}) for extra in (extras or {""})):
                continue
            key = canonicalize_name(req.name)
            wheel = available.get(key)
            if wheel is None or not req.specifier.contains(wheel.version, prereleases=True):
                _merge_missing(missing, key, req)
                continue
            needed[key] = wheel
            queue.append((wheel, frozenset(canonicalize_name(e) for e in req.extras)))
    return sorted(needed.values(), key=lambda w: w.key), list(missing.values())


def _applies(req, environment: dict) -> bool:
    return req.marker is None or req.marker.evaluate({**environment, "extra": ""})


def _without_marker(req):
    req.marker = None
    return req


def _merge_missing(missing: dict, key: str, req) -> None:
    """One requirement per project, without its marker (it held on the target): "pywin32>=224" from xlwings and
    "pywin32==312" from us become "pywin32==312,>=224"."""
    merged = parse_requirement(req.name)
    merged.extras = set(req.extras)
    merged.specifier = req.specifier
    if key in missing:
        merged.extras |= missing[key].extras
        merged.specifier &= missing[key].specifier
    missing[key] = merged


# --- pip -----------------------------------------------------------------------------------------------------------


def _pip(args: list, what: str) -> str:
    command = [sys.executable, "-m", "pip", *[str(a) for a in args], "--disable-pip-version-check", "--no-input"]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace")
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-15:])
        raise BundleError(f"{what}失败（pip 退出码 {result.returncode}）。pip 的最后几行输出：\n{tail}")
    return result.stdout


def source_tree() -> Path | None:
    """The source checkout this module runs from, if it is one (pyproject.toml next to the package)."""
    root = Path(__file__).resolve().parent.parent
    return root if (root / "pyproject.toml").is_file() and (root / "perfeval_xl").is_dir() else None


def build_own_wheel(source: Path, dest: Path) -> Path:
    """perfeval-xl's wheel, built from a copy of `source` (so the checkout gets no build/ or egg-info), with the
    add-in in it: ``addin/perfeval_xl.xlam`` is the built one, ``perfeval_xl/data/`` the copy the wheel carries."""
    stage = dest / "source"
    stage.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(source / name, stage / name)
    shutil.copytree(source / "perfeval_xl", stage / "perfeval_xl",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built_addin = source / "addin" / "perfeval_xl.xlam"
    if built_addin.is_file():
        (stage / "perfeval_xl" / "data").mkdir(exist_ok=True)
        shutil.copy2(built_addin, stage / "perfeval_xl" / "data" / built_addin.name)
    out = dest / "dist"
    _pip(["wheel", "--no-deps", "-w", out, stage], "构建 perfeval-xl 的 wheel")
    wheels = list(out.glob("perfeval_xl-*.whl"))
    if len(wheels) != 1:
        raise BundleError(f"构建 perfeval-xl 的 wheel 后在 {out} 里找到 {len(wheels)} 个 wheel，应为 1 个。")
    return wheels[0]


def check_own_wheel(wheel: Path) -> WheelInfo:
    info = read_wheel(wheel)
    if canonicalize_name(info.name) != PACKAGE:
        raise BundleError(f"{wheel.name} 不是 perfeval-xl 的 wheel（它是 {info.name}）。")
    with zipfile.ZipFile(wheel) as zf:
        if ADDIN_IN_WHEEL not in zf.namelist():
            raise BundleError(
                f"{wheel.name} 里没有加载项 {ADDIN_IN_WHEEL}：安装后无法登记加载项。"
                "请先运行 python addin/build_addin.py，再在源代码目录里构建。"
            )
    return info


def resolve_target(target: Target, own: WheelInfo, work: Path, log) -> list[WheelInfo]:
    """Download `own` and its dependencies for `target` into ``work/<tag>``; return the complete set to install.

    The first round resolves everything; a later round downloads only what the tree still lacks (with its own
    dependencies). Should that bring a second version of a project, the next round resolves everything again."""
    dest = work / f"{target.tag}-{target.platform}"
    environment = target.marker_environment()
    # Our own requirements go to pip already evaluated for the target, not as our wheel: pip would judge their markers
    # on this machine, and a dependency for other systems only (uvloop, not on Windows) has no wheel to download.
    requirements = [str(_without_marker(parse_requirement(text))) for text in own.requires_dist
                    if _applies(parse_requirement(text), environment)]
    fresh = True
    for _ in range(MAX_ROUNDS):
        if fresh and dest.exists():
            shutil.rmtree(dest)
        wanted = requirements if fresh else added
        _pip(["download", "-d", dest, "--only-binary=:all:", *target.pip_options(), *wanted],
             f"为 Python {target.python}（{target.platform}）下载组件")
        wheels = [read_wheel(path) for path in sorted(dest.glob("*.whl"))]
        available = {w.key: w for w in wheels}
        fresh = len(available) != len(wheels)
        if fresh:
            continue
        closure, missing = resolve_closure(own, available, environment)
        if not missing:
            return closure
        added = [str(req) for req in missing]
        log(f"  Python {target.python}：pip 在本机漏掉了目标平台才需要的依赖，按名补上：{'、'.join(added)}")
        requirements += [text for text in added if text not in requirements]
    raise BundleError(f"为 Python {target.python} 补齐依赖 {MAX_ROUNDS} 轮后仍不完整。")


# --- The folder ----------------------------------------------------------------------------------------------------


def requirements_text(target: Target, own: WheelInfo, closure: list[WheelInfo]) -> str:
    # ASCII only: pip decodes requirements files in the locale's code page unless they have a BOM.
    lines = [
        f"# {PACKAGE} {own.version}: offline install for CPython {target.python} {target.platform}"
        " (written by `perfeval-xl bundle`)",
        f"# pip install --no-index --find-links {WHEELS_DIR} --require-hashes -r {target.requirements_name}",
    ]
    lines += [f"{w.name}=={w.version} --hash=sha256:{w.sha256()}" for w in closure]
    return "\r\n".join(lines) + "\r\n"


def write_cmd(path: Path, text: str) -> None:
    path.write_bytes(text.replace("\r\n", "\n").replace("\n", "\r\n").encode(CMD_ENCODING))


def _find_python_lines(script: str) -> str:
    """The shared part of both scripts: a Python given as argument, else py -3.13/-3.12/-3.11/-3, else python."""
    return rf"""if "%~1"=="" goto search
if exist "%~1" goto given
echo 找不到你指定的文件：%1
echo 请把 python.exe 本身拖到“{script}”上，或者直接双击“{script}”，让它自己找 Python。
goto failed

:given
set PERFEVAL_PY="%~1"
goto found

:search
for %%V in (3.13 3.12 3.11 3) do (
    py -%%V -c "" >nul 2>nul && (
        set "PERFEVAL_PY=py -%%V"
        goto found
    )
)
python -c "" >nul 2>nul && (
    set "PERFEVAL_PY=python"
    goto found
)
"""


def _script_head(title: str, intro: str, wheel_name: str) -> str:
    """The start both scripts share: GBK console, the title, what it does, and the folder's wheel on PYTHONPATH."""
    return rf"""@echo off
chcp 936 >nul
setlocal
title {title}
echo {intro}
echo 开始前请先关闭所有 Excel 窗口。
echo.
set "PYTHONPATH=%~dp0{WHEELS_DIR}\{wheel_name}"
set "PYTHONHOME="
set "PERFEVAL_PY="
"""


def _script_tail(command: str, crashed: str, failed: str) -> str:
    """The end both scripts share: run install_windows with the Python found; exit 2 and 3 are failures it has
    already explained, any other non-zero status is a crash (usually a Python too old for the wheel)."""
    return rf"""
:found
%PERFEVAL_PY% -m perfeval_xl.install_windows {command}
if %errorlevel% equ 2 goto failed
if %errorlevel% equ 3 goto failed
if errorlevel 1 goto crashed
echo.
pause
exit /b 0

:crashed
echo.
echo {crashed}
:failed
echo.
echo {failed}
pause
exit /b 1
"""


def install_script(wheel_name: str, versions: str) -> str:
    """安装.cmd: find a Python, then perfeval_xl.install_windows (from the folder's wheel) does the rest."""
    return (_script_head("安装“绩效自评”Excel 加载项", "安装“绩效自评”Excel 加载项：不需要网络，也不需要管理员权限。", wheel_name)
            + rf"""echo 正在查找 Python {versions} ……
{_find_python_lines(INSTALL_SCRIPT)}echo 没有找到 Python。
echo 请先安装 64 位的 Python {versions}（推荐最新的那个），下载地址和步骤见本文件夹里的“{README_NAME}”，
echo 装好后再双击“{INSTALL_SCRIPT}”。Python 装在别处时，也可以把它的 python.exe 拖到“{INSTALL_SCRIPT}”上。
goto failed
"""
            + _script_tail('install --bundle "%~dp0."',
                           f"安装程序没能运行完。最常见的原因是 Python 版本太旧：请按“{README_NAME}”安装 64 位的 Python {versions}。",
                           f"安装没有完成。请按上面的提示处理，然后重新双击“{INSTALL_SCRIPT}”。"))


def uninstall_script(wheel_name: str, versions: str) -> str:
    """卸载.cmd: the same search for a Python; the manifest says what to remove."""
    return (_script_head("卸载“绩效自评”Excel 加载项", "卸载“绩效自评”Excel 加载项：只删除安装时建立的东西。", wheel_name)
            + rf"""{_find_python_lines(UNINSTALL_SCRIPT)}echo 没有找到 Python，无法自动卸载。可以手工删除这三样：
echo   文件夹 %LOCALAPPDATA%\perfeval-xl
echo   文件 %APPDATA%\Microsoft\Excel\XLSTART\perfeval_xl.xlam
echo   文件 %USERPROFILE%\.perfeval_xl\perfeval_xl.conf
goto failed
"""
            + _script_tail("uninstall",
                           f"卸载程序没能运行完。最常见的原因是 Python 版本太旧：请按“{README_NAME}”安装 64 位的 Python {versions} 后重试。",
                           f"卸载没有完成。请按上面的提示处理，然后重新双击“{UNINSTALL_SCRIPT}”。"))


def readme_text(version: str, versions: str, targets: list[Target]) -> str:
    requirements = "、".join(t.requirements_name for t in targets)
    return rf"""“绩效自评”Excel 加载项 离线安装文件夹（perfeval-xl {version}）
========================================================

一、先装 Python（每台电脑只需一次）
  需要 64 位的 Python {versions}，推荐其中最新的版本。
  下载地址：{PYTHON_DOWNLOAD_URL}
    在这个页面找到对应版本（例如 “Python 3.13.x”），点它下面的 “Windows installer (64-bit)”。
    这台电脑不能上网时，在能上网的电脑上下载，用 U 盘拷过来。
  安装时：
    - 没有管理员权限：先取消勾选首页下方的 “Use admin privileges when installing py.exe”；
    - “Add python.exe to PATH” 勾不勾都可以（安装程序用 Python 自带的 py 启动器找 Python）；
    - 点 “Install Now”，等它显示 “Setup was successful”。
  不要用 Microsoft Store（应用商店）里的 Python。
  已经装了更新的 Python（例如 3.14）也没关系：再装一个上面范围内的版本，两者可以并存，安装程序会自动选用它。

二、解除锁定（文件夹是从网上、邮件或聊天软件收到的压缩包时才需要）
  Windows 会给下载来的文件打上“来自其他计算机”的标记。双击 安装.cmd 时如果出现蓝色的
  “Windows 已保护你的电脑”，点 “更多信息”，再点 “仍要运行”。
  更省事的办法：解压之前，右键点压缩包 → 属性 → 勾选最下面的 “解除锁定” → 确定，然后再解压。
  装进 Excel 的加载项不带这个标记，打开 Excel 时不会被拦住。

三、安装
  1. 关闭所有 Excel 窗口。
  2. 双击 安装.cmd。它会一步一步用中文显示在做什么：
     - 找到 Python（依次试 3.13、3.12、3.11；也可以把 python.exe 拖到 安装.cmd 上，用你指定的那个）；
     - 在 %LOCALAPPDATA%\perfeval-xl\venv 建一个独立的 Python 环境，把 wheels 文件夹里的组件装进去
       （不联网，每个文件都核对 SHA-256 校验值）；
     - 把加载项复制到 Excel 的启动文件夹 %APPDATA%\Microsoft\Excel\XLSTART，
       并写入加载项的配置 %USERPROFILE%\.perfeval_xl\perfeval_xl.conf（记下上面那个环境里的 python.exe）；
     - 最后显示 “安装完成”。
  3. 打开 Excel，功能区出现 “绩效自评” 选项卡。
  不需要管理员权限，也不改动系统设置和 PATH。
  出错时：窗口最后几行写着原因和办法；完整记录在 %LOCALAPPDATA%\perfeval-xl\install-log.txt，可发给技术支持。
  升级：用新版本的文件夹再双击一次 安装.cmd 即可（旧环境会先被删除）。

四、卸载
  关闭所有 Excel 窗口，双击 卸载.cmd。它只删除安装时建立的东西
  （清单在 %LOCALAPPDATA%\perfeval-xl\install-manifest.json），你放在这些文件夹里的其他文件不动。

五、文件夹里有什么
  安装.cmd、卸载.cmd    安装和卸载（只负责找到 Python，其余由 perfeval_xl.install_windows 完成）
  {WHEELS_DIR}\               perfeval-xl 和它用到的全部组件（Windows 64 位）
  {requirements}
                        每个 Python 版本要装哪些组件，以及每个文件的 SHA-256 校验值
  {BUNDLE_INFO}           给安装程序看的目录
  {README_NAME}              本说明
"""


def _write_folder(folder: Path, own: WheelInfo, targets: list[Target], closures: dict[Target, list[WheelInfo]]) -> None:
    wheels = folder / WHEELS_DIR
    wheels.mkdir(parents=True)
    copied: dict[str, str] = {}
    for target in targets:
        for wheel in closures[target]:
            digest = wheel.sha256()
            if copied.setdefault(wheel.path.name, digest) != digest:
                raise BundleError(f"{wheel.path.name}：同名文件在两个 Python 版本的下载中内容不同。")
            if not (wheels / wheel.path.name).exists():
                shutil.copyfile(wheel.path, wheels / wheel.path.name)
        text = requirements_text(target, own, closures[target])
        (folder / target.requirements_name).write_bytes(text.encode("ascii"))
    versions = _versions_text(targets)
    info = {
        "package": PACKAGE,
        "version": own.version,
        "wheel": own.path.name,
        "targets": [{"python": t.python, "platform": t.platform, "requirements": t.requirements_name} for t in targets],
    }
    (folder / BUNDLE_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="ascii")
    write_cmd(folder / INSTALL_SCRIPT, install_script(own.path.name, versions))
    write_cmd(folder / UNINSTALL_SCRIPT, uninstall_script(own.path.name, versions))
    text = readme_text(own.version, versions, targets)
    (folder / README_NAME).write_bytes(text.replace("\n", "\r\n").encode(README_ENCODING))


def _versions_text(targets: list[Target]) -> str:
    return version_range_text([{"python": t.python} for t in targets])


def build_bundle(out: Path, *, targets: list[Target] | None = None, source: Path | None = None,
                 wheel: Path | None = None, log=print) -> dict[Target, list[WheelInfo]]:
    """Build the offline install folder `out` (new, empty, or an earlier bundle, which is replaced). Returns, per
    target, the wheels its requirements file lists."""
    out = Path(out)
    targets = list(targets or windows_targets())
    if out.exists() and any(out.iterdir()) and not (out / BUNDLE_INFO).is_file():
        raise BundleError(f"{out} 已存在且不是空文件夹（也不是以前生成的安装文件夹）。请换一个文件夹名。")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="perfeval-bundle-") as tmp:
        work = Path(tmp)
        if wheel is None:
            source = source or source_tree()
            if source is None:
                raise BundleError("这里不是 perfeval-xl 的源代码目录，无法构建它的 wheel。请用 --wheel 指定一个已构建的 wheel。")
            log(f"构建 perfeval-xl 的 wheel（源代码：{source}）……")
            wheel = build_own_wheel(source, work / "own")
        own = check_own_wheel(Path(wheel))
        log(f"  {own.path.name}")
        names = "、".join(f"{t.python}（{t.platform}）" for t in targets)
        log(f"下载依赖组件（Python {names}；用 pip 的缓存，第一次约 100 MB）……")
        with ThreadPoolExecutor(max_workers=len(targets)) as pool:
            results = pool.map(lambda t: resolve_target(t, own, work / "download", log), targets)
            closures = dict(zip(targets, results))
        for target in targets:
            log(f"  Python {target.python}：{len(closures[target])} 个 wheel")
        staging = Path(tempfile.mkdtemp(prefix=out.name + ".", dir=out.parent))
        staging.chmod(0o755)  # mkdtemp makes it private; the folder is meant to be copied and shared
        try:
            _write_folder(staging, own, targets, closures)
            _replace_folder(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    # The closures' paths pointed into the temporary download folders; point them at the folder's copies.
    result = {t: [WheelInfo(out / WHEELS_DIR / w.path.name, w.name, w.version, w.requires_dist, w.requires_python)
                  for w in ws] for t, ws in closures.items()}
    log(f"完成：{out}（{sum(1 for _ in (out / WHEELS_DIR).iterdir())} 个 wheel）")
    return result


def _replace_folder(new: Path, out: Path) -> None:
    """Put the finished folder in place in one rename (an earlier bundle is moved aside first, then deleted)."""
    old = None
    if out.exists():
        old = out.with_name(out.name + ".old-" + new.name.rsplit(".", 1)[-1])
        os.replace(out, old)
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# --- Command line: perfeval-xl bundle -o DIR ------------------------------------------------------------------------


def add_bundle_parser(sub) -> None:
    bundle = sub.add_parser(
        "bundle", help="生成给 Windows 电脑离线安装的文件夹（可在任何系统上生成）",
        description="生成离线安装文件夹：Windows 64 位 Python " + "、".join(PYTHON_VERSIONS) +
                    " 用的全部 wheel（带 SHA-256）、安装.cmd、卸载.cmd 和 说明.txt。需要能访问 PyPI（或 pip 配置的镜像）。",
    )
    bundle.add_argument("--output", "-o", required=True, help="输出文件夹（新的或空的；以前生成的会被替换）")
    bundle.add_argument("--python", action="append", choices=PYTHON_VERSIONS, dest="pythons",
                        help="只为这个 Python 版本准备（可重复；默认全部：" + "、".join(PYTHON_VERSIONS) + "）")
    bundle.add_argument("--wheel", help="用这个已构建的 perfeval-xl wheel，而不是从源代码构建")
    bundle.set_defaults(run=cmd_bundle)


def cmd_bundle(args) -> int:
    targets = windows_targets(sorted(set(args.pythons))) if args.pythons else windows_targets()
    try:
        build_bundle(Path(args.output), targets=targets, wheel=Path(args.wheel) if args.wheel else None)
    except BundleError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{args.output}：无法写入安装文件夹：{exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0
