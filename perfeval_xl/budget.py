"""The input budget: what one workbook may cost, checked before calamine or openpyxl see it.

Both readers trust the file. calamine allocates every sheet densely from A1 to its last cell (a value in A1 and one
in XFD1048576 asks for 512 GB and aborts the process); openpyxl builds an object per cell and the grid walks the
whole used range. A small zip can expand to hundreds of millions of cells. So before either reader runs:

- from the zip directory: the file size, each part's and the total uncompressed size, each large part's compression
  ratio (the directory can lie about sizes, so the scan below counts what really comes out);
- from a streaming scan of every worksheet (decompressed in 1 MB chunks, stopping at the first limit passed): the
  cells and the real extent from the cells' own `r` references (and merged ranges), not the `<dimension>` tag; and
  the shared strings.

The fast reader (check, summary) has the sheets it will read scanned, and calamine reads no other; openpyxl
(--output, --in-place, clear) loads every sheet, so all are scanned for it. A form whose extra sheet is over budget
is checked, and a copy of it is refused, each with a message naming the file and the limit.

The limits are far above any real form (a form is at most a few thousand cells). Over a limit: one FormReadError,
a Chinese sentence naming the file and the limit.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from .grid import FormReadError


@dataclass(frozen=True)
class Budget:
    max_file_bytes: int = 50 * 2**20            # the file on disk
    max_uncompressed_bytes: int = 200 * 2**20   # sum of the zip directory's uncompressed sizes
    max_ratio: float = 200.0                    # uncompressed / compressed, for parts over `ratio_floor_bytes`
    max_cells: int = 200_000                    # cell elements, all worksheets together (openpyxl loads them all)
    max_rows: int = 20_000                      # real extent of a worksheet: last row holding a cell
    max_columns: int = 500                      # … and last column (500 = column SF)
    # Beyond the agreed fields: what a dense reader allocates. Rows x columns from A1, all worksheets together;
    # calamine holds 32 bytes a cell and the grid 8 more per reference, so 2 M cells stay near 100 MB.
    max_area: int = 2_000_000
    # Any one part, as it really decompresses (a sheet of 200,000 cells is about 15 MB; Excel's styles.xml and
    # sharedStrings.xml for real forms stay well under 1 MB).
    max_part_bytes: int = 32 * 2**20
    # A part smaller than this is not held to max_ratio: a few kB of repeated XML compress 500 to 1 and harm nobody.
    ratio_floor_bytes: int = 4 * 2**20
    # Entries in the zip directory, read from its end record before the directory is parsed (zipfile builds an
    # object per entry). A workbook has a few dozen.
    max_parts: int = 10_000


DEFAULT_BUDGET = Budget()

_CHUNK = 2**20
_LONGEST_TAG = 2**16  # a start tag longer than this is not from any spreadsheet program
_MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# A cell's start tag (any namespace prefix) and, when present, its reference. A tag's `>` cannot occur inside its
# quoted attribute values in the files we accept (Excel escapes it), and the worst a crafted one does is miscount.
_CELL_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_CELL_REF_RE = re.compile(rb"""<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br\s*=\s*["']\$?([A-Za-z]{1,4})\$?(\d{1,9})["']""")
# A merged range's far corner (after the colon, or its only cell).
_MERGE_RE = re.compile(rb"""mergeCell\s+ref\s*=\s*["'](?:[^"':]*:)?\$?([A-Za-z]{1,4})\$?(\d{1,9})["']""")
_ROW_OR_CELL_RE = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)(\s[^>]*)?/?>")
_R_ATTR_RE = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{0,4})\$?(\d{0,9})["']""")
_MB = 2**20


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + (ch - 64)
    return number


def _size(n: float) -> str:
    return f"{n / _MB:.0f} MB" if n >= _MB else f"{n / 1024:.0f} KB"


def check_budget(data: bytes | zipfile.ZipFile, name: str, sheets: list[str] | None = None,
                 budget: Budget = DEFAULT_BUDGET) -> None:
    """Raise FormReadError (Chinese, naming `name` and the limit) when the workbook would cost more than `budget`.

    `data` is the file's bytes or the open zip. `sheets` names the worksheets to scan (None: every worksheet, as
    openpyxl loads them all; the fast reader passes the sheets it will read). Parts are inflated in chunks: a bomb
    is refused after at most one limit's worth of decompressed data."""
    checked_archive(data, name, sheets, budget)


def checked_archive(data: bytes | zipfile.ZipFile, name: str, sheets: list[str] | None = None,
                    budget: Budget = DEFAULT_BUDGET, directory: bool = True) -> zipfile.ZipFile:
    """check_budget, returning the zip it opened over `data` (so the reader does not parse the directory again).
    `sheets=[]` checks the zip directory and shared strings only; `directory=False` scans the sheets only."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        if len(data) > budget.max_file_bytes:
            raise FormReadError(f"{name}：文件大小 {_size(len(data))}，超过本工具的上限 {_size(budget.max_file_bytes)}。"
                                f"自评表通常只有几十 KB；请确认是否选错了文件，或删去无关的工作表和图片后另存再试。")
        _check_entry_count(data, name, budget)
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            raise FormReadError(f"{name}：文件已损坏或不完整（可能下载或拷贝中断），无法打开。请重新获取文件。") from None
        archive._perfeval_data = data  # for _decompressed
    else:
        archive = data
    try:
        if directory:
            _check_directory(archive, name, budget)
            _scan_shared_strings(archive, name, budget)
        if sheets != []:
            _scan_sheets(archive, name, sheets, budget)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError, ValueError,
            IndexError):
        # a damaged or encrypted part, an unsupported compression method: the readers would fail on it too
        raise FormReadError(f"{name}：文件内容已损坏，无法读取。请在 Excel 中用“文件→打开→打开并修复”修复后另存，"
                            f"或重新获取文件。") from None
    return archive


def _check_entry_count(data: bytes, name: str, budget: Budget) -> None:
    """The entry count from the zip's end record (and its Zip64 record), before zipfile reads the directory."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end < 0 or end + 22 > len(data):
        return  # not a zip: the readers say so
    count = int.from_bytes(data[end + 10:end + 12], "little")
    locator = end - 20
    if count == 0xFFFF and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        offset = int.from_bytes(data[locator + 8:locator + 16], "little")
        if data[offset:offset + 4] == b"PK\x06\x06":
            count = int.from_bytes(data[offset + 32:offset + 40], "little")
    if count > budget.max_parts:
        raise _too_big(name, f"压缩包中有 {count:,} 个部件（上限 {budget.max_parts:,} 个）")


def _too_big(name: str, what: str) -> FormReadError:
    return FormReadError(f"{name}：{what}，超出本工具为每个文件设定的读取上限，为避免耗尽内存未读取。"
                         f"自评表通常只有几千个单元格；请删去表外多余的内容（或在 Excel 中另存为新文件）后再试。")


def _check_directory(archive: zipfile.ZipFile, name: str, budget: Budget) -> None:
    infos = archive.infolist()
    if len(archive.NameToInfo) != len(infos):
        # two parts of one name: zipfile takes the last, calamine's zip reader may take the first, and check and
        # --output would read different workbooks from one file
        raise FormReadError(f"{name}：压缩包中有重名的部件，文件已损坏或被改动过，无法可靠读取。请在 Excel 中打开后另存再试。")
    total = 0
    for info in infos:
        if info.flag_bits & 1:  # an encrypted zip entry (not Excel's password, which makes an OLE file)
            raise FormReadError(f"{name}：文件中的 {info.filename} 被加密，无法读取。请在 Excel 中另存为普通工作簿后再试。")
        if info.filename.endswith((".xml", ".rels", ".vml")) and _declares_entities(archive, info, name, budget):
            # XML entities: the billion-laughs bomb and external entities (XXE). calamine ignores a declaration it
            # does not use and openpyxl (through defusedxml) refuses it: refuse it for both.
            raise FormReadError(f"{name}：文件中的 {info.filename} 含有 XML 实体声明（DTD），Excel 不会这样保存，"
                                f"可能是恶意构造的文件，未读取。")
        total += info.file_size
        if info.file_size > budget.max_part_bytes:
            raise _too_big(name, f"其中的 {info.filename} 解压后有 {_size(info.file_size)}"
                                 f"（上限 {_size(budget.max_part_bytes)}）")
        if info.file_size > budget.ratio_floor_bytes and info.file_size > budget.max_ratio * max(info.compress_size, 1):
            raise _too_big(name, f"其中的 {info.filename} 压缩比为 {info.file_size / max(info.compress_size, 1):.0f} 比 1"
                                 f"（上限 {budget.max_ratio:g} 比 1），可能是“压缩炸弹”")
    if total > budget.max_uncompressed_bytes:
        raise _too_big(name, f"解压后共 {_size(total)}（上限 {_size(budget.max_uncompressed_bytes)}）")


def _declares_entities(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: Budget) -> bool:
    """An entity declaration sits in the prolog, before the root element. The first bytes decide for every part
    Excel writes (no `<!` there); a part with a comment or DOCTYPE near its start is searched in full."""
    data = getattr(archive, "_perfeval_data", None)
    if data is not None and info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 1:
        offset = info.header_offset
        header = data[offset:offset + 30]
        if len(header) == 30 and header[:4] == b"PK\x03\x04":
            start = offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
            try:
                head = zlib.decompressobj(-15).decompress(data[start:start + min(info.compress_size, 512)], 512)
            except zlib.error:
                head = b"<!"
            if b"<!" not in head:
                return False
    return any(b"<!ENTITY" in chunk for chunk in _chunks(archive, info.filename, name, budget))


def _worksheet_parts(archive: zipfile.ZipFile, sheets: list[str] | None) -> dict[str, str]:
    """{part: sheet name} to scan: those the workbook names (all, or `sheets`), else every xl/worksheets/*.xml."""
    from .grid import _workbook_parts

    try:
        parts = _workbook_parts(archive)[1]
    except Exception:  # an unreadable workbook.xml: the readers will say so; scan what the zip holds
        parts = {}
    chosen = {part: sheet for sheet, part in parts.items() if sheets is None or sheet in sheets}
    listed = {n: n.rsplit("/", 1)[-1] for n in archive.NameToInfo if n.startswith("xl/worksheets/") and n.endswith(".xml")}
    found = {part: sheet for part, sheet in chosen.items() if part in archive.NameToInfo}
    # openpyxl reads only what workbook.xml lists; calamine too. Parts the workbook does not list are not read by
    # either, but a sheet list we could not work out means we scan them all.
    return found if parts else listed


class _Tally:
    """Cells, area and extent over the scanned worksheets."""

    def __init__(self, name: str, budget: Budget):
        self.name, self.budget = name, budget
        self.cells = 0
        self.area = 0
        self.counting = True  # False when the parts are too small to hold max_cells cells

    def add_cells(self, count: int) -> None:
        self.cells += count
        if self.cells > self.budget.max_cells:
            raise _too_big(self.name, f"工作表中的单元格超过 {self.budget.max_cells:,} 个")

    def extent(self, sheet: str, rows: int, columns: int) -> None:
        b = self.budget
        if rows > b.max_rows:
            raise _too_big(self.name, f"工作表“{sheet}”的内容延伸到第 {rows:,} 行（上限 {b.max_rows:,} 行）")
        if columns > b.max_columns:
            raise _too_big(self.name, f"工作表“{sheet}”的内容延伸到第 {columns:,} 列（上限 {b.max_columns:,} 列）")

    def add_area(self, sheet: str, rows: int, columns: int) -> None:
        self.area += rows * columns
        if self.area > self.budget.max_area:
            raise _too_big(self.name, f"工作表“{sheet}”的内容范围达 {rows:,} 行 × {columns:,} 列")


def _scan_sheets(archive: zipfile.ZipFile, name: str, sheets: list[str] | None, budget: Budget) -> None:
    tally = _Tally(name, budget)
    parts = _worksheet_parts(archive, sheets)
    # A cell takes at least 4 bytes (`<c/>`), and _chunks refuses a part that is larger than the directory says:
    # when the parts together declare fewer than 4 bytes a cell, they cannot pass max_cells.
    tally.counting = sum(archive.NameToInfo[part].file_size for part in parts) > 4 * budget.max_cells
    for part, sheet in parts.items():
        _scan_sheet(archive, part, sheet or part, name, tally)


def _scan_shared_strings(archive: zipfile.ZipFile, name: str, budget: Budget) -> None:
    """calamine loads every shared string whichever sheets it reads; a form has a few hundred."""
    if "xl/sharedStrings.xml" not in archive.NameToInfo:
        return
    strings = 0
    for chunk in _chunks(archive, "xl/sharedStrings.xml", name, budget):
        strings += chunk.count(b"<si") + chunk.count(b":si")
        if strings > budget.max_cells:
            raise _too_big(name, f"共享字符串超过 {budget.max_cells:,} 个")


def _chunks(archive: zipfile.ZipFile, part: str, name: str, budget: Budget):
    """The part's decompressed bytes in pieces that never split a start tag. Refused past max_part_bytes, and past
    the size the zip directory declares (a directory that understates a part is lying, and a reader that trusts
    the stream would unpack all of it)."""
    info = archive.NameToInfo[part]
    read = 0
    carry = b""
    for chunk in _decompressed(archive, info, name):
        read += len(chunk)
        if read > budget.max_part_bytes:
            raise _too_big(name, f"其中的 {part} 解压后超过 {_size(budget.max_part_bytes)}")
        if read > info.file_size:
            raise FormReadError(f"{name}：其中的 {part} 实际大小与压缩包目录记载的不符，文件已损坏或被改动，无法读取。")
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"<")
        if cut < 0 or data.find(b">", cut) >= 0:  # the last tag is complete: text after it cannot hold one
            carry = b""
            yield data
            continue
        carry = data[cut:]
        if len(carry) > _LONGEST_TAG:
            raise FormReadError(f"{name}：其中的 {part} 含有异常长的标记，文件已损坏或被改动，无法读取。")
        yield data[:cut]
    if carry:
        yield carry


def _decompressed(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str):
    """The part's data in pieces of at most _CHUNK bytes, inflated straight from the file's bytes with zlib (no
    ZipExtFile, which costs as much again for a form's sheet, and which stops at the declared size)."""
    data = getattr(archive, "_perfeval_data", None)
    if data is None or info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED):
        with archive.open(info) as stream:  # no bytes at hand, or encrypted / another method: zipfile decides
            while chunk := stream.read(_CHUNK):
                yield chunk
        return
    offset = info.header_offset
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(info.filename)
    start = offset + 30 + int.from_bytes(header[26:28], "little") + int.from_bytes(header[28:30], "little")
    raw = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for at in range(0, len(raw), _CHUNK):
            yield bytes(raw[at:at + _CHUNK])
        return
    # Fed 64 kB at a time: zlib copies the input it has not consumed yet (unconsumed_tail) on every call.
    inflate = zlib.decompressobj(-15)
    position, pending = 0, b""
    while not inflate.eof:
        if not pending:
            if position >= len(raw):
                break
            pending, position = raw[position:position + 65_536], position + 65_536
        chunk = inflate.decompress(pending, _CHUNK)
        pending = inflate.unconsumed_tail
        if chunk:
            yield chunk
    if not inflate.eof:
        rest = inflate.flush()
        if rest:
            yield rest


# The common case, decided with byte counts and one search with a literal prefix (a few % of a check's time, where
# a regular expression over every cell cost a third): every cell tag is written `<c r="…"` (Excel, WPS,
# LibreOffice and openpyxl all do), and no reference has two letters or five digits, so the sheet reaches at most
# column Z and row 9,999. Anything else is measured cell by cell below.
# A cell tag that is not `<c r="X9999"…`: no attributes, `r` not first, another quote or spacing, a longer ref.
_UNUSUAL_CELL_RE = re.compile(rb'<c(?:[>/\n\t\r]| (?!r="[A-Z][0-9]{1,4}"))')
_PLAIN_EXTENT = (9_999, 26)


def _plain_cells(chunk: bytes) -> bool:
    """Every cell tag in `chunk` is `<c r="X9999"` or smaller (see above)."""
    return b":c" not in chunk and _UNUSUAL_CELL_RE.search(chunk) is None


def _scan_sheet(archive: zipfile.ZipFile, part: str, sheet: str, name: str, tally: _Tally) -> None:
    last_row = last_column = 0
    careful = False  # cells without an `r` reference: positions must be counted as the readers count them
    plain = True  # every chunk so far passed _plain_cells: the extent is at most _PLAIN_EXTENT
    row = column = 0
    for chunk in _chunks(archive, part, name, tally.budget):
        if tally.counting:
            tally.add_cells(chunk.count(b"<c") + chunk.count(b":c"))  # <col>, <cfRule>… too: on the safe side
        if b"<c" in chunk or b":c" in chunk:
            if plain and not careful and _plain_cells(chunk):
                pass
            else:
                plain = False
                refs = _CELL_REF_RE.findall(chunk)
                if careful or len(refs) < len(_CELL_RE.findall(chunk)):
                    careful = True
                    row, column, last_row, last_column = _walk(chunk, row, column, last_row, last_column)
                elif refs:
                    last_row = max(last_row, max(map(int, {digits for _, digits in refs})))
                    last_column = max(last_column, max(map(_column_number, {letters for letters, _ in refs})))
        merges = _MERGE_RE.findall(chunk) if b"mergeCell" in chunk else None
        if merges:
            last_row = max(last_row, max(map(int, {digits for _, digits in merges})))
            last_column = max(last_column, max(map(_column_number, {letters for letters, _ in merges})))
        tally.extent(sheet, last_row, last_column)
    if plain:  # the cells stay within _PLAIN_EXTENT; merged ranges may reach further
        last_row, last_column = max(last_row, _PLAIN_EXTENT[0]), max(last_column, _PLAIN_EXTENT[1])
        if tally.area + last_row * last_column <= tally.budget.max_area:
            tally.area += last_row * last_column
            return
        return _scan_sheet_exactly(archive, part, sheet, name, tally)
    tally.add_area(sheet, last_row, last_column)


def _scan_sheet_exactly(archive: zipfile.ZipFile, part: str, sheet: str, name: str, tally: _Tally) -> None:
    """The exact extent of a plain sheet, when the upper bound would pass the area limit (many sheets)."""
    last_row = last_column = 0
    for chunk in _chunks(archive, part, name, tally.budget):
        for letters, digits in _CELL_REF_RE.findall(chunk):
            last_row, last_column = max(last_row, int(digits)), max(last_column, _column_number(letters))
        for letters, digits in _MERGE_RE.findall(chunk):
            last_row, last_column = max(last_row, int(digits)), max(last_column, _column_number(letters))
    tally.add_area(sheet, last_row, last_column)


def _walk(chunk: bytes, row: int, column: int, last_row: int, last_column: int) -> tuple[int, int, int, int]:
    """Row and cell tags in order, placing a cell without `r` after the previous one and a row without `r` after
    the previous row, as calamine and openpyxl do."""
    for closing, tag, attrs in _ROW_OR_CELL_RE.findall(chunk):
        if closing:
            continue
        found = _R_ATTR_RE.search(attrs or b"")
        if tag == b"row":
            row = int(found.group(2)) if found and found.group(2) else row + 1
            column = 0
            continue
        if found and found.group(1) and found.group(2):
            row, column = int(found.group(2)), _column_number(found.group(1))
        else:
            column += 1
            row = max(row, 1)
        last_row, last_column = max(last_row, row), max(last_column, column)
    return row, column, last_row, last_column
