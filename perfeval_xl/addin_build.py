"""The add-in's config sheet, and a copy of the add-in preconfigured for the perfeval-xl service.

One ``perfeval_xl.xlam`` serves both modes. Its VBA (addin/src/RibbonPerfevalXL.bas) reads the add-in's own hidden
config sheet ``perfeval_xl.conf`` — the sheet xlwings' ``GetConfig`` reads for a custom add-in — and calls the service
through xlwings' ``RunServerPython`` when ``PERFEVAL_SERVER`` holds an address, local Python through ``RunPython``
otherwise. The sheet holds only our keys, so every xlwings setting (INTERPRETER_WIN, UDF MODULES…) still comes from the
user's config file that ``perfeval-xl addin install`` writes: a key present in the sheet, even blank, would hide it.

* ``addin/build_addin.py`` writes the sheet of the committed add-in with :func:`config_sheet_entries` (no address).
* :func:`build_preconfigured_addin` copies the built add-in and sets the address and token cells in the sheet XML;
  the VBA project stays byte for byte the same.
* :func:`build_addin_download` wraps that copy with ``安装.cmd``/``卸载.cmd`` (copy into / remove from the user's
  XLSTART folder, no admin rights) and ``说明.txt``: what the service's ``GET /addin`` returns.

The scripts are GBK (code page 936) with CRLF line ends and no ``chcp``: cmd.exe reads a batch file in the console's
OEM code page, which is 936 on every Simplified-Chinese Windows, from Windows 7 on; ``chcp 65001`` with UTF-8 misparses
batch files on older Windows builds. Every command line is ASCII, so on a Windows with another code page only the
Chinese messages would show wrongly, never the commands. ``说明.txt`` is UTF-8 with a byte-order mark, which Notepad
reads on every Windows version.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape

from .addin_install import ADDIN_FILENAME, CONFIG_NAME, TAB_LABEL, packaged_xlam

__all__ = [
    "AddinBuildError",
    "CONFIG_SHEET",
    "DOWNLOAD_FILES",
    "build_addin_download",
    "build_preconfigured_addin",
    "config_sheet_entries",
    "install_script",
    "read_config_sheet",
    "uninstall_script",
    "validate_server_url",
    "write_config_sheet",
]

# xlwings' GetConfig reads the sheet "<PROJECT_NAME>.conf" of the add-in (a leading "_" would switch it off).
CONFIG_SHEET = CONFIG_NAME + ".conf"

KEY_SERVER = "PERFEVAL_SERVER"
KEY_AUTH = "AUTH"  # xlwings' own key: RunServerPython sends it as the Authorization header
KEY_FORM_NAMES = "PERFEVAL_FORM_NAMES"
KEY_RESULTS_SHEET = "PERFEVAL_RESULTS_SHEET"
KEY_TEMPLATE = "PERFEVAL_TEMPLATE"

INSTALL_SCRIPT = "安装.cmd"
UNINSTALL_SCRIPT = "卸载.cmd"
README = "说明.txt"
DOWNLOAD_FILES = (ADDIN_FILENAME, INSTALL_SCRIPT, UNINSTALL_SCRIPT, README)
SCRIPT_ENCODING = "gbk"  # code page 936, see the module docstring

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class AddinBuildError(ValueError):
    """The add-in cannot be built as asked; the message is Chinese and says why."""


# --- The config sheet ------------------------------------------------------------------------------------------------


def _template_route() -> str:
    """Path of the blank standard form on the service (GET /templates/{name}), URL-encoded so the VBA only joins."""
    from .model import load_family

    return "templates/" + quote(load_family("standard").template_file)


def config_sheet_entries(server_url: str = "", token: str | None = None) -> list[tuple[str, str]]:
    """The rows of the add-in's config sheet: key in column A, value in B. The form names and the results sheet are
    the package's own (perfeval_xl.forms.sheets_to_read decides with the same data), for the VBA's include list."""
    from .model import family_ids, load_family
    from .writeback import RESULTS_SHEET

    # Families recognised by their labels only (no table name) never narrow what is sent, as in sheets_to_read.
    names = [name for f in family_ids() if (name := load_family(f).table.get("name"))]
    if any("," in n for n in names) or "," in RESULTS_SHEET:
        raise AddinBuildError("表名或名称中含有逗号，加载项的工作表清单无法表示。")
    return [
        (KEY_SERVER, validate_server_url(server_url) if server_url else ""),
        (KEY_AUTH, _validate_token(token) if token else ""),
        (KEY_FORM_NAMES, ",".join(names)),
        (KEY_RESULTS_SHEET, RESULTS_SHEET),
        (KEY_TEMPLATE, _template_route()),
    ]


def validate_server_url(server_url: str) -> str:
    """The service address as the VBA joins it with ``/api/v1/xlwings/main``: http(s), a host, nothing after the
    path, no trailing slash. Raises AddinBuildError (Chinese) otherwise."""
    url = (server_url or "").strip()
    if not url:
        raise AddinBuildError("没有给出服务地址。请写成 http://服务器地址:端口 的形式，例如 http://10.1.2.3:8000。")
    if re.search(r"[\s\"'%<>\\^`{|}]", url) or not url.isascii():
        raise AddinBuildError(f"服务地址“{url}”含有空格、引号、百分号或非英文字符。请只用服务器的 IP 或英文域名，例如 http://10.1.2.3:8000。")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 1-65535
    except ValueError as exc:
        raise AddinBuildError(f"服务地址“{url}”的端口不对（应为 1–65535 的数字）。") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise AddinBuildError(f"服务地址“{url}”必须以 http:// 或 https:// 开头。")
    if not parts.hostname:
        raise AddinBuildError(f"服务地址“{url}”缺少服务器名或 IP。")
    if parts.username or parts.password:
        raise AddinBuildError(f"服务地址“{url}”不能含有用户名或密码；访问令牌请用 --token 给出。")
    if parts.query or parts.fragment:
        raise AddinBuildError(f"服务地址“{url}”不能含有 ? 或 # 后面的部分。")
    return url.rstrip("/")


def _validate_token(token: str) -> str:
    # Sent verbatim as a header by VBA-Web; kept printable ASCII without spaces, quotes or % (xlwings' GetConfig
    # expands %VARIABLES%).
    if not re.fullmatch(r"[!#$&'()*+,\-./0-9:;<=>?@A-Z\[\]^_`a-z{|}~]{1,512}", token):
        raise AddinBuildError("访问令牌只能由英文字母、数字和常见符号组成（不含空格、引号和 %），长度不超过 512。")
    return token


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def write_config_sheet(sheet_xml: bytes, entries: list[tuple[str, str]]) -> bytes:
    """The worksheet XML with its cells replaced by ``entries`` (inline strings; a blank value leaves B empty)."""
    keys = [k.upper() for k, _ in entries]
    if len(set(keys)) != len(keys) or not all(keys):
        # xlwings' GetConfigFromSheet adds every key to a dictionary: a duplicate stops the button (error 457),
        # and a blank key ends the list.
        raise AddinBuildError("配置表的键不能为空或重复。")
    rows = []
    for r, (key, value) in enumerate(entries, start=1):
        cells = _cell(f"A{r}", key) + (_cell(f"B{r}", value) if value else "")
        rows.append(f'<row r="{r}">{cells}</row>')
    text = sheet_xml.decode("utf-8")
    sheet_data = "<sheetData>" + "".join(rows) + "</sheetData>"
    text, n_data = re.subn(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", sheet_data, text, flags=re.S)
    text, n_dim = re.subn(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:B{len(entries)}" />', text)
    if n_data != 1 or n_dim != 1:
        raise AddinBuildError("加载项的配置表格式不对（缺少 sheetData 或 dimension）。")
    return text.encode("utf-8")


def _config_sheet_part(parts: dict[str, bytes]) -> str:
    """Zip name of the sheet called CONFIG_SHEET, found through workbook.xml and its relationships."""
    import xml.etree.ElementTree as ET

    workbook = ET.fromstring(parts["xl/workbook.xml"])
    rel_id = None
    for sheet in workbook.iter(f"{{{_MAIN_NS}}}sheet"):
        if sheet.get("name") == CONFIG_SHEET:
            rel_id = sheet.get(f"{{{_REL_NS}}}id")
    if rel_id is None:
        raise AddinBuildError(f"加载项中没有配置表“{CONFIG_SHEET}”。")
    rels = ET.fromstring(parts["xl/_rels/workbook.xml.rels"])
    for rel in rels:
        if rel.get("Id") == rel_id:
            return posixpath.normpath(posixpath.join("xl", rel.get("Target")))
    raise AddinBuildError(f"加载项中配置表“{CONFIG_SHEET}”的关系缺失。")


def read_config_sheet(xlam: bytes | str | Path) -> dict[str, str]:
    """Key → value of the add-in's config sheet, read as xlwings' GetConfigFromSheet does: from A1 down to the first
    empty key, keys upper-cased. Inline and shared strings are both understood."""
    import xml.etree.ElementTree as ET

    source = io.BytesIO(xlam) if isinstance(xlam, bytes) else xlam
    with zipfile.ZipFile(source) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    shared = []
    if "xl/sharedStrings.xml" in parts:
        for si in ET.fromstring(parts["xl/sharedStrings.xml"]).iter(f"{{{_MAIN_NS}}}si"):
            shared.append("".join(t.text or "" for t in si.iter(f"{{{_MAIN_NS}}}t")))
    cells = {}
    for c in ET.fromstring(parts[_config_sheet_part(parts)]).iter(f"{{{_MAIN_NS}}}c"):
        kind, ref = c.get("t"), c.get("r")
        if kind == "inlineStr":
            cells[ref] = "".join(t.text or "" for t in c.iter(f"{{{_MAIN_NS}}}t"))
        elif kind == "s":
            cells[ref] = shared[int(c.find(f"{{{_MAIN_NS}}}v").text)]
        elif c.find(f"{{{_MAIN_NS}}}v") is not None:
            cells[ref] = c.find(f"{{{_MAIN_NS}}}v").text or ""
    result: dict[str, str] = {}
    row = 1
    while cells.get(f"A{row}", ""):
        result[cells[f"A{row}"].upper()] = cells.get(f"B{row}", "")
        row += 1
    return result


def _rezip(parts: dict[str, bytes], order: list[str], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip of `parts` in `order`, with fixed dates, so the same content gives the same bytes. Non-ASCII names get
    the zip's UTF-8 flag (bit 11), which Windows' own "Extract all" honours."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = compression
            info.create_system = 0
            zf.writestr(info, parts[name])
    return out.getvalue()


# --- The preconfigured add-in -----------------------------------------------------------------------------------------


def build_preconfigured_addin(server_url: str, token: str | None = None, *, xlam: bytes | None = None) -> bytes:
    """The built add-in with the service address (and token) in its config sheet; nothing else changes."""
    url = validate_server_url(server_url)
    token = _validate_token(token) if token else ""
    data = xlam if xlam is not None else packaged_xlam().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        order = zf.namelist()
        parts = {name: zf.read(name) for name in order}
    sheet = _config_sheet_part(parts)
    current = read_config_sheet(data)
    if KEY_SERVER not in current:
        raise AddinBuildError("这个加载项的配置表里没有服务地址一项，请用新版加载项（python addin/build_addin.py）。")
    entries = [(key, {KEY_SERVER: url, KEY_AUTH: token}.get(key, value)) for key, value in current.items()]
    parts[sheet] = write_config_sheet(parts[sheet], entries)
    return _rezip(parts, order)


# --- The download: add-in, install and uninstall scripts, instructions --------------------------------------------


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def install_script() -> str:
    """安装.cmd: copy the add-in next to it into the user's XLSTART folder and lift Windows' download block."""
    return _crlf(rf"""@echo off
setlocal
rem perfeval-xl: install the Excel add-in for this Windows user (no administrator rights needed).
set "ADDIN={ADDIN_FILENAME}"
set "SOURCE=%~dp0%ADDIN%"
set "XLSTART=%APPDATA%\Microsoft\Excel\XLSTART"
echo 正在安装 Excel 加载项“{TAB_LABEL}”……
if not exist "%SOURCE%" goto no_source
if not exist "%XLSTART%\" mkdir "%XLSTART%"
if not exist "%XLSTART%\" goto no_folder
copy /Y "%SOURCE%" "%XLSTART%\%ADDIN%" >nul
if errorlevel 1 goto locked
powershell -NoProfile -NonInteractive -Command "Unblock-File -LiteralPath ($env:XLSTART + '\' + $env:ADDIN)" >nul 2>&1
if errorlevel 1 echo 提示：未能自动解除 Windows 对下载文件的锁定，如 Excel 提示宏已被阻止，请按“说明.txt”第三步处理。
echo 已复制到：%XLSTART%\%ADDIN%
echo 安装完成。请打开 Excel，功能区会出现“{TAB_LABEL}”选项卡。
goto done
:no_source
echo 找不到 %ADDIN%。请先把下载的压缩包全部解压，再双击解压出来的“安装.cmd”。
goto done
:no_folder
echo 无法创建 Excel 启动文件夹：%XLSTART%
echo 请把这一行和上面的内容截图发给信息管理员。
goto done
:locked
echo 无法复制到 %XLSTART%：Excel 可能正在运行。请关闭所有 Excel 窗口后，重新双击“安装.cmd”。
:done
echo.
pause
""")


def uninstall_script() -> str:
    """卸载.cmd: remove exactly the add-in that 安装.cmd put into XLSTART."""
    return _crlf(rf"""@echo off
setlocal
rem perfeval-xl: remove the Excel add-in that the install script copied (nothing else is touched).
set "ADDIN={ADDIN_FILENAME}"
set "XLSTART=%APPDATA%\Microsoft\Excel\XLSTART"
if not exist "%XLSTART%\%ADDIN%" goto absent
del /F "%XLSTART%\%ADDIN%" >nul 2>&1
if exist "%XLSTART%\%ADDIN%" goto locked
echo 已删除：%XLSTART%\%ADDIN%
echo 卸载完成。重新打开 Excel 后，“{TAB_LABEL}”选项卡不再出现。
goto done
:absent
echo 没有找到已安装的加载项：%XLSTART%\%ADDIN%，无需卸载。
goto done
:locked
echo 无法删除 %XLSTART%\%ADDIN%：Excel 可能正在运行。请关闭所有 Excel 窗口后，重新双击“卸载.cmd”。
:done
echo.
pause
""")


def _readme(url: str, token: bool) -> str:
    token_line = "加载项里已经带有访问令牌，请不要把它转发给单位以外的人。\n" if token else ""
    return _crlf(f"""“{TAB_LABEL}”Excel 加载项（服务版）
====================================

这个文件夹里的加载项已经设置好了绩效自评服务的地址：
    {url}
点“校验并计分”时，Excel 把自评表发给这个服务，结果（填好的单元格、标记和“校验结果”表）写回工作簿。
本机不需要安装 Python，只需要 Windows 版桌面 Excel（2010 及以后，含 Microsoft 365），并能访问上面的地址。
{token_line}
文件
----
{ADDIN_FILENAME}   加载项
安装.cmd           把加载项复制到本人的 Excel 启动文件夹（%APPDATA%\\Microsoft\\Excel\\XLSTART），不需要管理员权限
卸载.cmd           删除安装.cmd 复制的那个文件，别的都不动
说明.txt           本说明

安装
----
一、解除下载锁定（先做这一步）：Windows 会锁定从网上下载的文件，被锁定的加载项里的宏不能运行。
    在下载的压缩包上点右键 → 属性 → “常规”页最下面勾选“解除锁定”→ 确定，然后再解压。
    也可以在 PowerShell 里运行：Unblock-File -Path 压缩包的完整路径
二、解压：右键 → 全部解压缩。不要在压缩包里直接双击（那样找不到加载项文件）。
三、关闭所有 Excel 窗口，双击解压出来的“安装.cmd”，看到“安装完成”后按任意键关闭窗口。
    如果仍然提示“Microsoft 已阻止宏运行，因为此文件的来源不受信任”：到
    %APPDATA%\\Microsoft\\Excel\\XLSTART 文件夹里，在 {ADDIN_FILENAME} 上点右键 → 属性 → 勾选“解除锁定”→ 确定，
    再重新打开 Excel。
四、打开 Excel，功能区出现“{TAB_LABEL}”选项卡。

信任中心
--------
XLSTART（信任中心里的“用户启动”位置）默认是受信任位置，其中加载项的宏不经提示即可运行，不需要改宏设置。
如果单位统一禁用了受信任位置或全部宏（文件 → 选项 → 信任中心 → 信任中心设置），请信息管理员把
%APPDATA%\\Microsoft\\Excel\\XLSTART 加入受信任位置。服务版不需要“信任对 VBA 工程对象模型的访问”。

使用
----
校验并计分、清除标记：先打开自评表，再点按钮。
新建自评表：从服务下载空白模板，新建一份未保存的自评表；不需要先打开工作簿。
打开说明：在浏览器中打开服务的页面。

卸载
----
关闭所有 Excel 窗口，双击“卸载.cmd”。

以后服务升级时，请从服务的页面重新下载加载项并再次安装（加载项与服务的版本必须一致）。
""")


def build_addin_download(server_url: str, token: str | None = None, *, xlam: bytes | None = None) -> bytes:
    """A zip with the preconfigured add-in, 安装.cmd, 卸载.cmd and 说明.txt (what the service's GET /addin returns)."""
    url = validate_server_url(server_url)
    files = {
        ADDIN_FILENAME: build_preconfigured_addin(url, token, xlam=xlam),
        INSTALL_SCRIPT: install_script().encode(SCRIPT_ENCODING),
        UNINSTALL_SCRIPT: uninstall_script().encode(SCRIPT_ENCODING),
        README: _readme(url, bool(token)).encode("utf-8-sig"),
    }
    return _rezip(files, DOWNLOAD_FILES, zipfile.ZIP_DEFLATED)
