"""Install / uninstall the perfeval_xl Excel add-in for the current Windows user (no administrator rights needed).

What `install` does, and all that `uninstall` undoes:

* copies ``perfeval_xl.xlam`` into the user's Excel start-up folder ``%APPDATA%\\Microsoft\\Excel\\XLSTART``
  (Excel opens every file there when it starts; the folder is one of Excel's default trusted locations);
* writes the add-in's config file ``%USERPROFILE%\\.perfeval_xl\\perfeval_xl.conf``.

Where the config lives is decided by the xlwings VBA inside the add-in: ``GetConfigFilePath`` returns
``Environ("USERPROFILE") & "\\." & PROJECT_NAME & "\\" & PROJECT_NAME & ".conf"`` and our build sets
``PROJECT_NAME = "perfeval_xl"`` (addin/build_addin.py). ``GetConfigFromFile`` reads it with VBA's ``Input #``: one
``"KEY","VALUE"`` line per setting, keys compared case-insensitively, the first match wins, and the bytes are decoded
with the Windows ANSI code page — so we write the file in that code page ("mbcs"), not UTF-8.

Keys we write:

* ``INTERPRETER_WIN`` — this Python (``sys.executable``); RunPython starts it for every button click.
* ``UDF MODULES`` — ``perfeval_xl.udfs``, what xlwings' ``ImportPythonUDFsToAddin`` and the UDF server import.
* ``ADD_WORKBOOK_TO_PYTHONPATH`` — ``False``: otherwise the folder of the user's workbook (and XLSTART) goes to the
  front of ``sys.path`` and any ``perfeval_xl.py``/``pandas.py`` lying there would shadow the installed package.

Other well-formed lines already in the file (a user's own settings) are kept; blank lines and lines that ``Input #``
cannot read as two fields are dropped (a trailing blank line stops the VBA with run-time error 62). ``status`` checks
the file the same way (:func:`check_config_file`) and shows which mode the installed add-in is in: with a service
address in its config sheet (``perfeval-xl addin build``, perfeval_xl/addin_build.py) it needs no Python.
xlwings is not imported here.
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import shutil
import sys
import zipfile
from pathlib import Path

ADDIN_FILENAME = "perfeval_xl.xlam"
CONFIG_NAME = "perfeval_xl"  # PROJECT_NAME in the add-in's xlwings VBA module
CONFIG_FILENAME = CONFIG_NAME + ".conf"
CONFIG_DIRNAME = "." + CONFIG_NAME
UDF_MODULES = "perfeval_xl.udfs"
TAB_LABEL = "绩效自评"

__all__ = [
    "AddinInstallError",
    "add_addin_parser",
    "check_config_file",
    "config_entries",
    "default_config_dir",
    "default_xlstart_dir",
    "install",
    "packaged_xlam",
    "status",
    "uninstall",
]


class AddinInstallError(RuntimeError):
    """Install/uninstall cannot proceed; the message is Chinese and says what to do."""


# --- Where things go -------------------------------------------------------------------------------------------


def _require_windows(what: str, option: str) -> None:
    if sys.platform != "win32":
        raise AddinInstallError(
            f"当前系统不是 Windows，无法自动找到{what}。Excel 加载项只能装在 Windows 版 Excel 上；"
            f"如确需在本机操作，请用 {option} 指定文件夹。"
        )


def default_xlstart_dir() -> Path:
    """The current user's Excel start-up folder, ``%APPDATA%\\Microsoft\\Excel\\XLSTART``."""
    _require_windows("Excel 的 XLSTART 文件夹", "--xlstart-dir")
    appdata = os.environ.get("APPDATA", "")
    if not appdata or not Path(appdata).is_dir():
        raise AddinInstallError(
            "找不到当前用户的 %APPDATA% 文件夹，无法确定 Excel 的 XLSTART 文件夹。"
            "请在 Excel 中打开 文件 → 选项 → 信任中心 → 信任中心设置 → 受信任位置，"
            "查看“用户启动”对应的路径，然后用 --xlstart-dir 指定它。"
        )
    return Path(appdata) / "Microsoft" / "Excel" / "XLSTART"


def default_config_dir() -> Path:
    """Where the add-in's VBA looks for its config file: ``%USERPROFILE%\\.perfeval_xl``."""
    _require_windows("加载项配置文件的位置", "--config-dir")
    profile = os.environ.get("USERPROFILE", "")
    if not profile or not Path(profile).is_dir():
        raise AddinInstallError(
            "找不到当前用户的 %USERPROFILE% 文件夹，加载项不知道到哪里读配置。请用 --config-dir 指定。"
        )
    return Path(profile) / CONFIG_DIRNAME


def packaged_xlam() -> Path:
    """The built add-in: package data when installed from a wheel, ``addin/`` in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "data" / ADDIN_FILENAME, here.parent / "addin" / ADDIN_FILENAME):
        if candidate.is_file():
            return candidate
    raise AddinInstallError(
        f"找不到加载项文件 {ADDIN_FILENAME}（安装包里没有带上它）。请用 --xlam 指定它的位置，"
        "或在源代码目录中运行 python addin/build_addin.py 生成。"
    )


# --- The config file ---------------------------------------------------------------------------------------------


def _interpreter() -> str:
    exe = sys.executable
    if not exe:
        raise AddinInstallError("无法确定当前 Python 解释器的位置（sys.executable 为空）。请用普通的 python.exe 运行本命令。")
    path = Path(exe)
    if path.name.lower() == "pythonw.exe" and path.with_name("python.exe").is_file():
        # xlwings shows Python's stderr when a button fails; pythonw has none.
        path = path.with_name("python.exe")
    return str(path)


def config_entries(interpreter: str | None = None) -> list[tuple[str, str]]:
    """The settings `install` writes, in order."""
    return [
        ("INTERPRETER_WIN", interpreter or _interpreter()),
        ("UDF MODULES", UDF_MODULES),
        ("ADD_WORKBOOK_TO_PYTHONPATH", "False"),
    ]


def _config_encoding() -> str:
    # VBA's Input # decodes with the ANSI code page; "mbcs" is that code page in Python on Windows.
    return "mbcs" if sys.platform == "win32" else "utf-8"


def _config_line(key: str, value: str) -> str:
    if '"' in key or '"' in value:
        raise AddinInstallError(f"配置值不能含有英文双引号：{key} = {value}")
    return f'"{key}","{value}"\r\n'


def _parse_config_line(line: str) -> tuple[str, str] | None:
    """(key, value) as xlwings' GetConfigFromFile reads the line with ``Input #f, name, value``; None when the line
    would not give exactly those two fields (Input # then reads across lines and every later key is misread).
    Input # has no escape for a double quote inside a quoted field."""
    if not line.strip():
        return None
    try:
        row = next(csv.reader([line], skipinitialspace=True))
    except (csv.Error, StopIteration):
        return None
    if len(row) != 2 or any('"' in field for field in row) or line.count('"') not in (0, 2, 4):
        return None
    return row[0].strip(), row[1].strip()


def _line_key(line: str) -> str | None:
    parsed = _parse_config_line(line)
    return parsed[0].upper() if parsed else None


def _merged_config(existing: bytes, entries: list[tuple[str, str]]) -> tuple[bytes, int, int]:
    """Our lines first (GetConfigFromFile takes the first match), then the user's other well-formed lines, byte for
    byte. Blank and malformed lines are dropped: a blank line stops the VBA reader with run-time error 62. Returns
    (file bytes, lines kept, lines dropped)."""
    encoding = _config_encoding()
    ours = "".join(_config_line(k, v) for k, v in entries)
    try:
        data = ours.encode(encoding)
    except UnicodeEncodeError as exc:
        raise AddinInstallError(
            f"Python 的路径 {entries[0][1]} 含有本机 Windows 代码页无法表示的字符，Excel 的 VBA 读不出来。"
            "请把 Python 安装到只含英文字母和数字的文件夹（例如 C:\\Python311 或便携版 Python 的文件夹），"
            "在那里安装 perfeval-xl 后重新运行 perfeval-xl addin install。"
        ) from exc
    keys = {key.upper() for key, _ in entries}
    kept = dropped = 0
    for line in existing.splitlines():
        text = line.decode(encoding, errors="replace")
        if not text.strip():
            continue
        key = _line_key(text)
        if key is None:
            dropped += 1
        elif key not in keys:
            data += line + b"\r\n"
            kept += 1
    return data, kept, dropped


# --- Install / uninstall / status ---------------------------------------------------------------------------------


def _dirs(xlstart_dir, config_dir) -> tuple[Path, Path]:
    xlstart = Path(xlstart_dir) if xlstart_dir is not None else default_xlstart_dir()
    config = Path(config_dir) if config_dir is not None else default_config_dir()
    return xlstart, config


def _excel_lock_hint(path: Path, exc: OSError) -> AddinInstallError:
    return AddinInstallError(
        f"无法写入或删除 {path}：{exc.strerror or exc}。Excel 可能正在运行并打开了这个加载项，"
        "请先关闭所有 Excel 窗口（必要时在任务管理器里结束 EXCEL.EXE）后重试。"
    )


def install(
    xlam_path: str | os.PathLike | None = None,
    dry_run: bool = False,
    *,
    xlstart_dir: str | os.PathLike | None = None,
    config_dir: str | os.PathLike | None = None,
    interpreter: str | None = None,
) -> list[str]:
    """Copy the add-in into XLSTART and write its config file. Returns Chinese lines saying what was (or, with
    ``dry_run``, would be) done. Raises AddinInstallError with a Chinese message when it cannot."""
    source = Path(xlam_path) if xlam_path is not None else packaged_xlam()
    if not source.is_file():
        raise AddinInstallError(f"加载项文件不存在：{source}")
    xlstart, config = _dirs(xlstart_dir, config_dir)
    target = xlstart / ADDIN_FILENAME
    config_file = config / CONFIG_FILENAME
    entries = config_entries(interpreter)

    existing = config_file.read_bytes() if config_file.is_file() else b""
    data, kept, dropped = _merged_config(existing, entries)

    will = "将" if dry_run else "已"
    lines = []
    if dry_run:
        lines.append("（演练：只列出要做的事，不改动任何文件。）")
    if not xlstart.is_dir():
        lines.append(f"{will}创建 Excel 启动文件夹：{xlstart}")
    replace = "（覆盖旧版本）" if target.exists() else ""
    lines.append(f"{will}复制加载项{replace}：{source} → {target}")
    lines.append(f"{will}写入加载项配置：{config_file}")
    lines += [f"    {key} = {value}" for key, value in entries]
    if kept:
        lines.append(f"    （保留了配置文件中原有的其他设置 {kept} 项）")
    if dropped:
        lines.append(f"    （去掉了配置文件中 Excel 读不懂的 {dropped} 行）")

    if not dry_run:
        try:
            xlstart.mkdir(parents=True, exist_ok=True)
            if source.resolve() != target.resolve():
                shutil.copyfile(source, target)
        except OSError as exc:
            raise _excel_lock_hint(target, exc) from exc
        try:
            config.mkdir(parents=True, exist_ok=True)
            config_file.write_bytes(data)
        except OSError as exc:
            raise AddinInstallError(f"无法写入配置文件 {config_file}：{exc.strerror or exc}") from exc
        lines.append(f"完成。请重新启动 Excel，功能区会出现“{TAB_LABEL}”选项卡。")
    return lines


def uninstall(
    dry_run: bool = False,
    *,
    xlstart_dir: str | os.PathLike | None = None,
    config_dir: str | os.PathLike | None = None,
) -> list[str]:
    """Remove what `install` put in place: the add-in in XLSTART, the config file, and the config folder if it is
    then empty. Nothing else is touched."""
    xlstart, config = _dirs(xlstart_dir, config_dir)
    target = xlstart / ADDIN_FILENAME
    config_file = config / CONFIG_FILENAME
    will = "将" if dry_run else "已"
    lines = ["（演练：只列出要做的事，不改动任何文件。）"] if dry_run else []

    for path, label in ((target, "加载项"), (config_file, "加载项配置")):
        if not path.is_file():
            lines.append(f"{label}不存在，无需删除：{path}")
            continue
        lines.append(f"{will}删除{label}：{path}")
        if not dry_run:
            try:
                path.unlink()
            except OSError as exc:
                raise _excel_lock_hint(path, exc) from exc
    if config.is_dir():
        others = [p for p in config.iterdir() if p != config_file]
        if not others:
            lines.append(f"{will}删除空文件夹：{config}")
            if not dry_run:
                try:
                    config.rmdir()
                except OSError:
                    lines.append(f"    （文件夹未能删除，可手动删除：{config}）")
        else:
            lines.append(f"保留文件夹 {config}（其中还有别的文件）。")
    if not dry_run:
        lines.append("完成。请重新启动 Excel。")
    return lines


def _expand_windows_vars(value: str) -> str:
    # xlwings' GetConfig passes every value through WScript's ExpandEnvironmentStrings (%NAME%).
    return re.sub(r"%([^%]+)%", lambda m: os.environ.get(m.group(1), m.group(0)), value)


def check_config_file(path: str | os.PathLike, *, local_mode: bool = True) -> list[str]:
    """What would break xlwings' VBA reading this config file, in Chinese, one sentence per problem ([] = fine).

    GetConfigFromFile reads it with ``Input #f, name, value`` in the Windows ANSI code page: a blank line stops it
    with run-time error 62 at the end of the file and misaligns every later key in the middle; a UTF-8 (or UTF-16)
    file turns Chinese into garbage; a line that is not two fields shifts the rest. With ``local_mode`` the Python it
    names must exist (in server mode the file still matters: RunServerPython reads its settings through it too)."""
    path = Path(path)
    fix = "请重新运行安装（安装.cmd 或 perfeval-xl addin install），它会重写这个文件；不要手工编辑。"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"无法读取配置文件 {path}：{exc.strerror or exc}"]
    encoding = _config_encoding()
    if data.startswith(b"\xef\xbb\xbf"):
        return [f"{path}：文件开头有 UTF-8 的 BOM 标记（多半是用记事本另存为 UTF-8 造成的），Excel 读不出第一项。{fix}"]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        return [f"{path}：文件是 Unicode（UTF-16）编码，Excel 的 VBA 只能读本机代码页的文本。{fix}"]
    problems = []
    if not data.isascii() and codecs.lookup(encoding).name != "utf-8":
        try:
            data.decode("utf-8")
            problems.append(f"{path}：文件是按 UTF-8 保存的，Excel 按本机代码页（{encoding}）读，其中的中文会变成乱码。{fix}")
        except UnicodeDecodeError:
            try:
                data.decode(encoding)
            except UnicodeDecodeError:
                problems.append(f"{path}：文件不是本机代码页（{encoding}）的文本，Excel 读不出来。{fix}")
    text = data.decode(encoding, errors="replace")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()  # the line end of the last line, as VBA's Write # leaves it
    seen: dict[str, int] = {}
    settings: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            where = "文件末尾" if all(not rest.strip() for rest in lines[number - 1 :]) else "文件中间"
            error = "（运行时错误 62）" if where == "文件末尾" else "，其后的设置会被读错"
            problems.append(f"{path} 第 {number} 行是空行：它在{where}，Excel 读配置时会出错{error}。{fix}")
            continue
        parsed = _parse_config_line(line)
        if parsed is None:
            problems.append(f'{path} 第 {number} 行不是 "键","值" 的形式：{line.strip()}。Excel 会把其后的设置读错。{fix}')
            continue
        key = parsed[0].upper()
        if key in seen:
            problems.append(f"{path} 第 {number} 行：{parsed[0]} 在第 {seen[key]} 行已经出现，Excel 只用第一处。{fix}")
            continue
        seen[key] = number
        settings[key] = _expand_windows_vars(parsed[1])
    interpreter = settings.get("INTERPRETER_WIN", "")
    if local_mode and not interpreter and not settings.get("CONDA PATH"):
        problems.append(f"{path}：没有 INTERPRETER_WIN 一项，按钮找不到要运行的 Python。{fix}")
    elif local_mode and interpreter and not Path(interpreter).is_file():
        problems.append(f"{path}：INTERPRETER_WIN 指向的 Python 不存在：{interpreter}。{fix}")
    for key in ("CONDA PATH",):
        if settings.get(key) and not Path(settings[key]).is_dir():
            problems.append(f"{path}：{key} 指向的文件夹不存在：{settings[key]}。{fix}")
    for folder in filter(None, settings.get("PYTHONPATH", "").split(";")):
        if not Path(folder).is_dir():
            problems.append(f"{path}：PYTHONPATH 中的文件夹不存在：{folder}。")
    return problems


def _installed_server(addin: Path) -> str | None:
    """The service address in an installed add-in's config sheet ("" = local mode); None if it cannot be read."""
    from .addin_build import KEY_SERVER, read_config_sheet

    try:
        return read_config_sheet(addin).get(KEY_SERVER, "")
    except (OSError, KeyError, ValueError, SyntaxError, zipfile.BadZipFile):  # SyntaxError: XML ParseError
        return None


def status(
    *, xlstart_dir: str | os.PathLike | None = None, config_dir: str | os.PathLike | None = None
) -> list[str]:
    """Where the add-in and its config are, whether they exist, which mode the add-in is in, what the config says,
    and what in it would break the button (lines starting with "问题：")."""
    xlstart, config = _dirs(xlstart_dir, config_dir)
    target = xlstart / ADDIN_FILENAME
    config_file = config / CONFIG_FILENAME
    lines = [f"加载项：{target}（{'已安装' if target.is_file() else '未安装'}）"]
    server = _installed_server(target) if target.is_file() else None
    if server:
        lines.append(f"    模式：服务版，服务地址 {server}（不使用本机 Python）")
    elif server == "":
        lines.append("    模式：本机 Python")
    elif target.is_file():
        lines.append(f"问题：{target} 不是完整的加载项文件（读不出它的配置表）。请重新安装。")
    lines.append(f"配置：{config_file}（{'存在' if config_file.is_file() else '不存在'}）")
    if config_file.is_file():
        text = config_file.read_bytes().decode(_config_encoding(), errors="replace")
        lines += ["    " + line for line in text.splitlines() if line.strip()]
        lines += ["问题：" + p for p in check_config_file(config_file, local_mode=not server)]
    elif target.is_file() and not server:
        lines.append("问题：本机 Python 模式需要这个配置文件，按钮找不到要运行的 Python。"
                     "请运行安装（安装.cmd 或 perfeval-xl addin install）。")
    return lines


# --- Command line: perfeval-xl addin install|uninstall|status -----------------------------------------------------


def add_addin_parser(subparsers) -> None:
    addin = subparsers.add_parser(
        "addin",
        help="安装或卸载 Excel 加载项（Windows，无需管理员权限）",
        description="把“绩效自评”加载项装进当前用户的 Excel 启动文件夹（XLSTART），并写入它的配置文件。",
    )
    commands = addin.add_subparsers(dest="addin_command", required=True)

    def dirs(p):
        p.add_argument("--xlstart-dir", help="Excel 启动文件夹（默认 %%APPDATA%%\\Microsoft\\Excel\\XLSTART）")
        p.add_argument("--config-dir", help="配置文件夹（默认 %%USERPROFILE%%\\.perfeval_xl）")

    p = commands.add_parser("install", help="安装加载项并写入配置")
    p.add_argument("--xlam", help="加载项文件（默认用随软件附带的 perfeval_xl.xlam）")
    p.add_argument("--dry-run", action="store_true", help="只列出要做的事，不改动文件")
    dirs(p)
    p.set_defaults(run=_cmd_install)

    p = commands.add_parser("uninstall", help="删除加载项和它的配置")
    p.add_argument("--dry-run", action="store_true", help="只列出要做的事，不改动文件")
    dirs(p)
    p.set_defaults(run=_cmd_uninstall)

    p = commands.add_parser("status", help="显示安装位置、模式和配置内容，并检查配置文件")
    dirs(p)
    p.set_defaults(run=_cmd_status)

    p = commands.add_parser(
        "build",
        help="生成已设置服务地址的加载项（.xlam）或下载包（.zip）",
        description="复制内置的加载项并写入绩效自评服务的地址（和访问令牌）。输出为 .zip 时另附 安装.cmd、卸载.cmd 和 说明.txt。",
    )
    p.add_argument("--server", required=True, help="服务地址，如 http://10.1.2.3:8000（只能是 http 或 https）")
    p.add_argument("--token", help="访问令牌（服务要求时）")
    p.add_argument("-o", "--output", required=True, help="输出文件：.xlam 只含加载项；.zip 为完整下载包")
    p.set_defaults(run=_cmd_build)


def _run(fn, **kwargs) -> int:
    try:
        lines = fn(**kwargs)
    except AddinInstallError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 0


def _cmd_install(args) -> int:
    return _run(install, xlam_path=args.xlam, dry_run=args.dry_run,
                xlstart_dir=args.xlstart_dir, config_dir=args.config_dir)


def _cmd_uninstall(args) -> int:
    return _run(uninstall, dry_run=args.dry_run, xlstart_dir=args.xlstart_dir, config_dir=args.config_dir)


def _cmd_status(args) -> int:
    try:
        lines = status(xlstart_dir=args.xlstart_dir, config_dir=args.config_dir)
    except AddinInstallError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for line in lines:
        print(line)
    return 1 if any(line.startswith("问题：") for line in lines) else 0


def _cmd_build(args) -> int:
    from .addin_build import AddinBuildError, build_addin_download, build_preconfigured_addin

    output = Path(args.output)
    kind = output.suffix.lower()
    if kind not in (".xlam", ".zip"):
        print(f"输出文件 {output} 的扩展名应为 .xlam（只含加载项）或 .zip（下载包）。", file=sys.stderr)
        return 2
    try:
        build = build_preconfigured_addin if kind == ".xlam" else build_addin_download
        data = build(args.server, args.token)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".part")
        partial.write_bytes(data)
        os.replace(partial, output)
    except (AddinBuildError, AddinInstallError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"无法写入 {output}：{exc.strerror or exc}", file=sys.stderr)
        return 2
    what = "加载项" if kind == ".xlam" else "下载包（加载项、安装.cmd、卸载.cmd、说明.txt）"
    print(f"已生成{what}：{output}")
    print(f"    服务地址：{args.server.strip().rstrip('/')}" + ("（含访问令牌）" if args.token else ""))
    return 0
