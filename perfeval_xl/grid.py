"""Workbooks as plain grids of values, read in whole blocks.

Every adapter (calamine for fast reading, openpyxl for writing, xlwings for a live workbook) turns a workbook into a
`GridBook`: for each sheet a 2-D list of values from A1, the merged ranges, and the workbook's defined names. The
form readers work only on this, so a form reads the same whichever adapter produced it.
"""

from __future__ import annotations

import errno
import io
import os
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import olefile

from .model import Cell, column_letter  # the core spells addresses; column_letter re-exported for the adapters

_REF_RE = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


class FormReadError(Exception):
    """A file or form that cannot be read. `str()` is a Chinese sentence naming the file (and cell, if any)."""


class FormWriteError(FormReadError):
    """The scored workbook could not be written (folder not writable, disk full, file locked…). The original file is
    untouched. A FormReadError too, so every caller that reports unreadable files reports this the same way."""


def column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def ref(row: int, col: int) -> str:
    """0-based row and column → "A1"."""
    return f"{column_letter(col)}{row + 1}"


def parse_ref(text: str) -> tuple[int, int]:
    match = _REF_RE.match(text.strip().upper())
    if not match:
        raise ValueError(text)
    return int(match.group(2)) - 1, column_index(match.group(1))


@dataclass(frozen=True)
class Area:
    """A rectangular range on a sheet, 0-based inclusive."""

    sheet: str
    top: int
    left: int
    bottom: int
    right: int

    @property
    def height(self) -> int:
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        return self.right - self.left + 1

    @property
    def address(self) -> str:
        first, last = ref(self.top, self.left), ref(self.bottom, self.right)
        return first if first == last else f"{first}:{last}"


@lru_cache(maxsize=4096)  # the same few texts in every form made from a template; an Area is immutable
def parse_area(text: str) -> Area | None:
    """`'自评表'!$C$3` or `自评表!$D$20:$N$49` → Area; None for anything else (#REF!, constants, several areas)."""
    if "!" not in text or "," in text:
        return None
    sheet, _, cells = text.rpartition("!")
    if len(sheet) > 1 and sheet[0] == sheet[-1] == "'":  # quoted: 'R&D ''经费''' is the sheet R&D '经费'
        sheet = sheet[1:-1].replace("''", "'")
    else:
        sheet = sheet.strip("'").replace("''", "'")
    try:
        first, _, last = cells.partition(":")
        top, left = parse_ref(first)
        bottom, right = parse_ref(last) if last else (top, left)
    except ValueError:
        return None
    return Area(sheet, top, left, bottom, right)


@dataclass
class Grid:
    name: str
    values: list[list[Any]]  # from A1; None for empty
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (top, left, bottom, right)
    formulas: set[tuple[int, int]] | None = None  # cells holding formulas, where the reader can tell

    def get(self, row: int, col: int) -> Any:
        if 0 <= row < len(self.values) and 0 <= col < len(self.values[row]):
            return self.values[row][col]
        return None

    def is_formula(self, row: int, col: int) -> bool:
        return bool(self.formulas) and (row, col) in self.formulas

    def cell(self, row: int, col: int) -> Cell:
        """The form's record of one cell: its value, address and whether it holds a formula."""
        return Cell.at(self.get(row, col), row, col, self.is_formula(row, col))

    def row_cells(self, row: int, columns: dict[str, int]) -> dict[str, Cell]:
        """{key: the cell at column c of `row`} for `columns` {key: c}, from one slice of the row."""
        line = self.values[row] if 0 <= row < len(self.values) else ()
        width, formulas = len(line), self.formulas
        if not formulas:
            return {key: Cell.at(line[c] if 0 <= c < width else None, row, c) for key, c in columns.items()}
        return {key: Cell.at(line[c] if 0 <= c < width else None, row, c, (row, c) in formulas)
                for key, c in columns.items()}

    @property
    def height(self) -> int:
        return len(self.values)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.values), default=0)


@dataclass
class GridBook:
    sheets: dict[str, Grid]
    names: dict[str, Area]
    source: str = ""


# --- Reading files -------------------------------------------------------------------------------------------


def sniff(path: Path, verify: bool = True) -> None:
    """Raise FormReadError with a plain Chinese reason when `path` is not a workbook we can read.

    `verify` also checks every part's CRC (unpacking it all): worth it before we write a copy, not before a fast
    read, where calamine fails on a damaged part anyway and we report that."""
    data = _read_checked(path)
    package = _open_zip(data, path.name)
    _check_archive(package, path.name, verify)


_TRUNCATED = "{name}：文件已损坏或不完整（可能下载或拷贝中断），无法打开。请重新获取文件。"
_NOT_A_WORKBOOK = "{name}：这是一个压缩包或其他 Office 文件，不是 Excel 工作簿。"
_CORRUPT = "{name}：文件内容已损坏，无法读取。请在 Excel 中用“文件→打开→打开并修复”修复后另存，或重新获取文件。"
_STRICT = ("{name}：这是“Strict Open XML”格式的工作簿，本工具只能读取常用的 Excel 工作簿格式。请在 Excel 中"
           "“另存为 → Excel 工作簿（*.xlsx）”后再校验。")
_CHANGED = "{name}：读取时文件正在被修改或写入（大小或修改时间变了），请等保存或拷贝完成后再试。"


def read_package(path: Path, budget=None, sheets: list[str] | None = None) -> tuple[bytes, zipfile.ZipFile]:
    """The one gate in front of both readers (calamine for check and summary, openpyxl for --output and clear):
    a regular file, read once, that starts like an .xlsx, opens as a zip, holds a workbook in the format we read,
    and stays within the input budget (budget.py). Returns the bytes and the zip over them. Every refusal is a
    FormReadError naming the file, the same for every command. The budget's scan covers the worksheets named by
    `sheets`, or all (openpyxl loads them all)."""
    data, package, _ = _gate(path, budget, lambda names, sheet_names: sheets)
    return data, package


def _gate(path: Path, budget, sheets_for) -> tuple[bytes, zipfile.ZipFile, list[str] | None]:
    """read_package, with the sheets to scan (and read) picked by `sheets_for(names, sheet_names)` once the
    workbook's names are known; returns them too (None: all)."""
    from .budget import DEFAULT_BUDGET  # budget imports this module (FormReadError)

    budget = budget or DEFAULT_BUDGET
    return _gate_data(_read_checked(path, budget.max_file_bytes), path.name, budget, sheets_for)


def _gate_data(data: bytes, name: str, budget, sheets_for) -> tuple[bytes, zipfile.ZipFile, list[str] | None]:
    """The gate's checks on a file's bytes (read from disk by _gate, or received by the service), named `name`."""
    from .budget import DEFAULT_BUDGET, checked_archive  # budget imports this module (FormReadError)

    budget = budget or DEFAULT_BUDGET
    package = checked_archive(data, name, [], budget)  # the zip directory and shared strings; no sheet yet
    _check_archive(package, name, verify=False)
    try:
        names, parts = _workbook_parts(package)
    except _StrictWorkbook:
        raise FormReadError(_STRICT.format(name=name)) from None
    except (zipfile.BadZipFile, EOFError):
        raise FormReadError(_TRUNCATED.format(name=name)) from None
    except Exception:  # noqa: BLE001  XML that no parser of ours reads (a DTD, broken markup): openpyxl fails too
        raise FormReadError(_CORRUPT.format(name=name)) from None
    missing = [sheet for sheet, part in parts.items() if part not in package.NameToInfo]
    if missing:  # both readers fail on it, each in its own words: say it once, the same way
        raise FormReadError(f"{name}：工作表“{missing[0]}”的内容在文件中缺失，文件已损坏。请在 Excel 中用“打开并修复”"
                            f"后另存，或重新获取文件。")
    wanted = sheets_for(names, list(parts)) if sheets_for else None
    checked_archive(package, name, wanted or None, budget, directory=False)
    return data, package, wanted or None


class _StrictWorkbook(FormReadError):
    """xl/workbook.xml in Strict Open XML (its message names the zip's file when the zip knows it)."""


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise FormReadError(_TRUNCATED.format(name=name)) from None


def _read_checked(path: Path, max_bytes: int | None = None) -> bytes:
    """The whole file, read once: a regular file (a symlink only to one), never a FIFO, device or socket, which
    would block or never end. Opened without blocking and checked on the open handle, so a file swapped for a FIFO
    after the check cannot hang us either. A file over `max_bytes` is not read at all, and one that changes while it
    is read is refused (a half-copied file would otherwise read as damaged, or as something it is not)."""
    _check_path(path)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        _check_path(path)
        raise FormReadError(_cannot_open(path, exc)) from None
    try:
        before = os.fstat(fd)
        _check_kind(before.st_mode, path)
        size = before.st_size
        if max_bytes is not None and size > max_bytes:
            raise FormReadError(f"{path.name}：文件大小 {size / 2**20:.0f} MB，超过本工具的上限 "
                                f"{max_bytes / 2**20:.0f} MB。自评表通常只有几十 KB；请确认是否选错了文件，"
                                f"或删去无关的工作表和图片后另存再试。")
        data = os.read(fd, size + 1)  # one more than it should have: a file that grew shows (size is at most max_bytes)
        _check_start(data[:8], path)
        while len(data) < size and (more := os.read(fd, size + 1 - len(data))):  # a pipe-like file system
            data += more
        after = os.fstat(fd)
    except OSError as exc:
        raise FormReadError(_cannot_open(path, exc)) from None
    finally:
        os.close(fd)
    if len(data) != size or after.st_size != size or after.st_mtime_ns != before.st_mtime_ns:
        raise FormReadError(_CHANGED.format(name=path.name))
    return data


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _check_path(path: Path) -> None:
    """What the path is, said in Chinese before anything opens it (stat first: opening a FIFO would block)."""
    name = path.name or str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise FormReadError(f"{name}：这是一个快捷方式（符号链接），指向的文件 {os.readlink(path)} 不存在。") from None
        raise FormReadError(f"{name}：文件不存在。") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FormReadError(f"{name}：这是一个快捷方式（符号链接），但链接绕成了循环，找不到真正的文件。") from None
        raise FormReadError(_cannot_open(path, exc)) from None
    _check_kind(info.st_mode, path)


def _check_kind(mode: int, path: Path) -> None:
    name = path.name or str(path)
    if stat.S_ISDIR(mode):
        raise FormReadError(f"{name}：这是一个文件夹，不是工作簿。")
    if not stat.S_ISREG(mode):
        kind = ("管道（FIFO）" if stat.S_ISFIFO(mode) else "套接字" if stat.S_ISSOCK(mode)
                else "设备文件" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "特殊文件")
        raise FormReadError(f"{name}：这是一个{kind}，不是普通文件，不能作为工作簿读取。")


_READ_REASONS = {errno.EACCES: "没有读取权限", errno.EPERM: "没有读取权限", errno.EIO: "磁盘读写出错",
                 errno.EBUSY: "文件正被其他程序占用", errno.ENAMETOOLONG: "路径太长", errno.ENOTDIR: "路径中有一段不是文件夹"}


def _cannot_open(path: Path, exc: OSError) -> str:
    if getattr(exc, "winerror", None) in (32, 33):
        reason = "文件正被其他程序（如 Excel、WPS）打开"
    else:
        reason = _READ_REASONS.get(exc.errno, f"系统错误 {exc.errno}" if exc.errno else "系统错误")
    return f"{path.name or path}：无法打开文件（{reason}）。是否正被其他程序占用，或没有读取权限？"


def _check_start(head: bytes, path: Path | str, data: bytes | None = None) -> None:
    """`head`, the file's first bytes, are a zip's: not an .xls, an encrypted workbook (both OLE files) or other.
    `path` is the file (or, with `data`, the file's bytes, only its name)."""
    name = path.name if isinstance(path, Path) else path
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        try:
            with olefile.OleFileIO(io.BytesIO(data) if data is not None else str(path)) as ole:
                encrypted = ole.exists("EncryptionInfo") or ole.exists("EncryptedPackage")
        except Exception:  # noqa: BLE001  a damaged OLE file (olefile raises OSError, ValueError…): still not .xlsx
            encrypted = False
        if encrypted:
            raise FormReadError(f"{name}：工作簿设置了打开密码，无法读取。请在 Excel 中取消密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后另存。")
        raise FormReadError(f"{name}：这是旧版 Excel 97-2003 格式（.xls）。请在 Excel 或 WPS 中“另存为 Excel 工作簿（*.xlsx）”后再校验。")
    if not head.startswith(b"PK"):
        raise FormReadError(f"{name}：不是 Excel 工作簿（.xlsx）。请确认文件类型，或在 Excel 中另存为 .xlsx。")


def _check_archive(archive: zipfile.ZipFile, name: str, verify: bool) -> None:
    if "xl/workbook.xml" not in archive.NameToInfo:
        raise FormReadError(_NOT_A_WORKBOOK.format(name=name))
    bad = archive.testzip() if verify else None
    if bad:
        raise FormReadError(f"{name}：文件已损坏（{bad} 校验失败），请重新获取或从备份恢复。")


# xl/workbook.xml and its relationships are read with regular expressions: an XML parser costs more than calamine's
# own read of a form sheet. They expand no entities and read nothing but the elements below, whatever their
# namespace prefix, attribute order or quotes. A part they cannot read as it stands (not UTF-8, or holding a DTD,
# comment or CDATA section) goes to defusedxml, as everything did before.

_ATTRS = r"""([^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*)>"""  # a start tag's attributes, up to its `>`
_SHEET_RE = re.compile(r"<(?:[\w.-]+:)?sheet\s" + _ATTRS)
_DEFINED_NAME_RE = re.compile(r"<(?:[\w.-]+:)?definedName\s" + _ATTRS + r"([^<]*)")
_RELATIONSHIP_RE = re.compile(r"<(?:[\w.-]+:)?Relationship\s" + _ATTRS)
_ATTR_RE = re.compile(r"""([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ENTITY_RE = re.compile(r"&(?:#([0-9]+)|#[xX]([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_ENCODING_RE = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([^"']*)""")


def _xml_text(data: bytes) -> str | None:
    """A part as text for the regular expressions; None when it needs an XML parser."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data[:1] in (b"\x00", b"\xfe", b"\xff") or data[1:2] == b"\x00":  # UTF-16 or -32
        return None
    if b"<!" in data:
        return None
    declared = _ENCODING_RE.match(data)
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return None
    return data.decode("utf-8")


def _entity(match: re.Match) -> str:
    decimal, hexadecimal, named = match.groups()
    return chr(int(decimal)) if decimal else chr(int(hexadecimal, 16)) if hexadecimal else _ENTITIES[named]


def _unescape(text: str) -> str:
    return _ENTITY_RE.sub(_entity, text) if "&" in text else text


def _attrs(text: str) -> dict[str, str]:
    return {key: _unescape(double or single) for key, double, single in _ATTR_RE.findall(text)}


def _workbook_parts(archive) -> tuple[dict[str, Area], dict[str, str]]:
    """The workbook-scope defined names, and sheet name -> the worksheet part's path inside the zip
    (xl/worksheets/sheet1.xml), from xl/workbook.xml and its relationships. Kept on the open zip: the input
    budget and the reader both need them (callers copy before changing)."""
    found = getattr(archive, "_perfeval_parts", None)
    if found is None:
        found = _read_workbook_parts(archive)
        try:
            archive._perfeval_parts = found
        except AttributeError:  # not a ZipFile
            pass
    return found


def _read_workbook_parts(archive) -> tuple[dict[str, Area], dict[str, str]]:
    data = archive.read("xl/workbook.xml")
    # Strict Open XML: openpyxl finds no sheets in it and cannot write it back; both readers refuse it (one verdict).
    if b"purl.oclc.org/ooxml/spreadsheetml" in data[:4096] or b"p\x00u\x00r\x00l\x00.\x00o\x00c\x00l\x00c" in data[:8192]:
        raise _StrictWorkbook(_STRICT.format(name=Path(getattr(archive, "filename", None) or "工作簿").name))
    try:
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        rels = None
    text = _xml_text(data)
    if text is None:
        root = SafeET.fromstring(data)
        names = _defined_names(root)
        sheets = [(s.get("name"), s.get(f"{_REL_NS}id")) for s in root.iter(f"{_MAIN_NS}sheet")]
    else:
        names, sheets = _read_workbook(text)
    return names, _sheet_parts(sheets, rels)


def _read_workbook(text: str) -> tuple[dict[str, Area], list[tuple[str | None, str | None]]]:
    """xl/workbook.xml's text -> (workbook-scope defined names, [(sheet name, relationship id)]).

    The names are read from the stretch of text from the tag holding the first "definedName" to the end of the tag
    holding the last (a raw `<` only ever starts a tag), which has them all. Every form made from one template
    has the same stretch, while the rest of the part changes with each save (window size, revision ids…), so the
    stretch is read once per template."""
    first = text.find("definedName")
    if first < 0:
        return {}, _sheets_in(text)
    start = max(text.rfind("<", 0, first), 0)
    end = text.find("<", text.rfind("definedName"))
    if end < 0:
        end = len(text)
    names = _defined_names_in(text[start:end])
    sheets = _sheets_in(text[:start])
    if "sheet" in text[start:end]:  # a sheet among the names: not where Excel puts them, but well-formed
        sheets += _sheets_in(text[start:end])
    return dict(names), sheets + _sheets_in(text[end:])


def _sheets_in(text: str) -> list[tuple[str | None, str | None]]:
    sheets = []
    for attrs in _SHEET_RE.findall(text):
        found = _attrs(attrs)
        sheets.append((found.get("name"), next((v for k, v in found.items() if k.endswith(":id")), None)))
    return sheets


@lru_cache(maxsize=64)
def _defined_names_in(text: str) -> dict[str, Area]:
    """The workbook-scope names in `text` (cached: callers copy the dict)."""
    names = {}
    for attrs, body in _DEFINED_NAME_RE.findall(text):
        if not body or attrs.endswith("/"):  # no text, or `<definedName …/>`
            continue
        found = _attrs(attrs)
        if "localSheetId" in found:
            continue
        name = found.get("name")
        area = parse_area(_unescape(body))
        if area is not None:
            names[name] = area
    return names


def _sheet_parts(sheets: list[tuple[str | None, str | None]], rels: bytes | None) -> dict[str, str]:
    """[(sheet name, relationship id)] -> {sheet name: part path}, through xl/_rels/workbook.xml.rels (`rels`)."""
    if rels is None:
        return {}
    text = _xml_text(rels)
    if text is None:
        found = [(r.get("Id"), r.get("Target")) for r in SafeET.fromstring(rels).iter(f"{_PKG_REL_NS}Relationship")]
    else:
        found = [(a.get("Id"), a.get("Target")) for a in map(_attrs, _RELATIONSHIP_RE.findall(text))]
    targets = dict(found)
    parts = {}
    for name, rel_id in sheets:
        if rel_id in targets:
            target = targets[rel_id] or ""
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            if part:
                parts[name] = part
    return parts


def defined_names_from_zip(path: Path) -> dict[str, Area]:
    """Workbook-scope defined names, read straight from xl/workbook.xml (calamine does not expose them)."""
    with zipfile.ZipFile(path) as archive:
        return _workbook_parts(archive)[0]


def _defined_names(root) -> dict[str, Area]:
    """The defined names of a parsed xl/workbook.xml (for the parts _read_workbook leaves to an XML parser)."""
    names = {}
    for node in root.iter(f"{_MAIN_NS}definedName"):
        if node.get("localSheetId") is not None or not node.text:
            continue
        area = parse_area(node.text)
        if area is not None:
            names[node.get("name")] = area
    return names


_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def error_cells_from_zip(path: Path) -> dict[str, dict[tuple[int, int], str]]:
    """Cells holding an Excel error value (`t="e"`: #DIV/0!, #REF!…), per sheet, 0-based.

    calamine hands error cells back as empty strings, so a cached `#DIV/0!` would read as a blank cell and the
    check would say "为空" instead of naming the broken formula. Only sheets that contain an error cell are parsed.
    """
    with zipfile.ZipFile(path) as archive:
        return _error_cells(archive, _workbook_parts(archive)[1])


def _error_cells(archive, parts: dict[str, str]) -> dict[str, dict[tuple[int, int], str]]:
    found: dict[str, dict[tuple[int, int], str]] = {}
    for sheet_name, part in parts.items():
        try:
            data = archive.read(part)
        except KeyError:
            continue
        # An error cell holds its error (#DIV/0!…, or a character reference &#35;…) as its value, so a part
        # without "#" has none: one memchr, where looking for `t="e"` first costs half as much as unpacking it.
        if b"#" not in data or (b't="e"' not in data and b"t='e'" not in data):
            continue
        cells = {}
        for _, node in SafeET.iterparse(io.BytesIO(data), events=("end",)):
            if node.tag == f"{_MAIN_NS}c":
                if node.get("t") == "e" and node.get("r"):
                    value = node.find(f"{_MAIN_NS}v")
                    try:
                        cells[parse_ref(node.get("r"))] = (value.text if value is not None else None) or "#VALUE!"
                    except ValueError:
                        pass
                node.clear()
        if cells:
            found[sheet_name] = cells
    return found


def _put_errors(values: list[list[Any]], errors: dict[tuple[int, int], str]) -> None:
    for (row, col), text in errors.items():
        while len(values) <= row:
            values.append([])
        line = values[row]
        while len(line) <= col:
            line.append(None)
        if line[col] is None:
            line[col] = text


def _clean(value: Any) -> Any:
    return None if value == "" else value


def read_with_calamine(path: Path, sheets_for=None) -> GridBook:
    """The fast reader: cached values only (what Excel last computed), no styles, no formulas.

    `sheets_for(names, sheet_names)` may pick the sheets worth reading once the defined names are known (a
    workbook made from our template needs only its form sheet, not the 填表说明 sheet); None reads them all.
    The file is read once, through the same gate as the openpyxl reader (read_package: regular file, format, input
    budget); its bytes go to calamine and to a zip pass for what calamine does not give: the defined names and
    error values (#DIV/0!…).
    """
    return _read_calamine(*_gate(path, None, sheets_for), path.name)


def read_received(data: bytes, name: str, sheets_for=None) -> GridBook:
    """read_with_calamine on a file's bytes received over the network (the service): the same gate and reader,
    without a temporary file. `name` is the file's (safe) name, used in every message."""
    _check_start(data[:8], name, data)  # the size is the budget's first check
    return _read_calamine(*_gate_data(data, name, None, sheets_for), name)


def _read_calamine(data: bytes, package: zipfile.ZipFile, picked: list[str] | None, name: str) -> GridBook:
    from python_calamine import CalamineWorkbook

    try:
        names, parts = _workbook_parts(package)
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        except Exception:
            # calamine reads only UTF-8 XML; XML may be UTF-16 (openpyxl reads that). Same file, same verdict.
            recoded = _recoded_to_utf8(package)
            if recoded is None:
                raise
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(recoded))
        sheet_names = workbook.sheet_names
        wanted = picked or sheet_names
        sheets = {}
        for sheet_name in sheet_names:
            if sheet_name not in wanted:
                continue
            sheet = workbook.get_sheet_by_name(sheet_name)
            values = [[None if v == "" else v for v in row] for row in sheet.to_python(skip_empty_area=False)]
            merged = [(top, left, bottom, right) for (top, left), (bottom, right) in (sheet.merged_cell_ranges or [])]
            _hide_covered(values, merged)
            sheets[sheet_name] = Grid(sheet_name, values, merged)
        errors_by_sheet = _error_cells(package, {n: p for n, p in parts.items() if n in sheets})
        for sheet_name, errors in errors_by_sheet.items():
            _put_errors(sheets[sheet_name].values, errors)
    except FormReadError:
        raise
    except (zipfile.BadZipFile, EOFError):
        raise FormReadError(_TRUNCATED.format(name=name)) from None
    except Exception:  # calamine reports corrupt parts as generic errors (English, and about XML, not the form)
        raise FormReadError(_CORRUPT.format(name=name)) from None
    return GridBook(sheets, names, name)


def _hide_covered(values: list[list[Any]], merged: list[tuple[int, int, int, int]]) -> None:
    """A value in a merged range's covered cells (not its top-left one) is read as empty: Excel shows only the
    top-left value, and openpyxl drops the others on loading, so both readers read the same form."""
    for top, left, bottom, right in merged:
        for row in range(top, min(bottom, len(values) - 1) + 1):
            line = values[row]
            for col in range(left if row > top else left + 1, min(right, len(line) - 1) + 1):
                line[col] = None


_XML_DECLARATION_RE = re.compile(r"""^\s*<\?xml[^>]*?\?>""")


def _xml_encoding(head: bytes) -> str | None:
    """The encoding of an XML part that is not UTF-8 (from its byte-order mark or declaration), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"<\x00"):
        return "utf-16-le"
    if head.startswith(b"\x00<"):
        return "utf-16-be"
    declared = _ENCODING_RE.match(head.lstrip(b"\xef\xbb\xbf"))
    if declared and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        return declared.group(1).decode("ascii", "replace")
    return None


def _recoded_to_utf8(package: zipfile.ZipFile) -> bytes | None:
    """The package with every XML part that is not UTF-8 rewritten as UTF-8; None when all are UTF-8 already."""
    recoded = {}
    for info in package.infolist():
        if not info.filename.endswith((".xml", ".rels")):
            continue
        with package.open(info) as stream:
            encoding = _xml_encoding(stream.read(128))
        if encoding is None:
            continue
        try:
            text = package.read(info).decode(encoding)
        except (LookupError, UnicodeDecodeError):
            return None
        text = _XML_DECLARATION_RE.sub('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>', text.lstrip("\ufeff"), 1)
        recoded[info.filename] = text.encode("utf-8")
    if not recoded:
        return None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in package.infolist():
            copy.writestr(info.filename, recoded.get(info.filename) or package.read(info), compresslevel=1)
    return out.getvalue()


def grids_from_openpyxl(workbook, values_workbook=None, source: str = "") -> GridBook:
    """A GridBook from an openpyxl workbook loaded with formulas; `values_workbook` (data_only) supplies the cached
    results of formula cells when given."""
    from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

    formula_types = (ArrayFormula, DataTableFormula)
    sheets = {}
    for ws in workbook.worksheets:
        vs = values_workbook[ws.title] if values_workbook is not None else None
        values, formulas = [], set()
        for r, row in enumerate(ws.iter_rows(values_only=True)):
            out = []
            for c, value in enumerate(row):
                if isinstance(value, str) and value.startswith("=") or isinstance(value, formula_types):
                    # an array or data-table formula is a formula too: its value is the cached one, as calamine reads
                    formulas.add((r, c))
                    value = vs.cell(r + 1, c + 1).value if vs is not None else None
                elif value is not None and not isinstance(value, (str, int, float, bool)) and hasattr(value, "text"):
                    value = str(value.text)  # rich text
                out.append(_clean(value))
            values.append(out)
        merged = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in ws.merged_cells.ranges]
        sheets[ws.title] = Grid(ws.title, values, merged, formulas)
    names = {}
    for name, definition in workbook.defined_names.items():
        area = parse_area(definition.attr_text or "")
        if area is not None:
            names[name] = area
    return GridBook(sheets, names, source)
