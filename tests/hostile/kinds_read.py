"""What reading must survive (issue #12): hostile and broken inputs, each built small and fast from our example.

The attacker's files (zip bombs, far-corner cells, lying zip directories, XML entities, non-regular files) and the
clumsy clerk's (a text file renamed .xlsx, a folder named like a workbook, a download cut short). Every kind is a
real file (or folder, link, FIFO, socket) on disk; nothing is mocked. The bombs are made small on disk by repeating
one deflate block flushed with Z_FULL_FLUSH, which compresses identically every time.
"""

from __future__ import annotations

import io
import os
import random
import socket
import struct
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .kind import Kind

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
MAIN_NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# --- Building blocks -------------------------------------------------------------------------------------------


def rewritten(edits: dict[str, Callable[[bytes], bytes] | bytes | None], source: Path = EXAMPLE,
              extra: dict[str, bytes] | None = None) -> bytes:
    """The example's package with parts changed (a function of the old bytes, new bytes, or None to drop it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in edits:
                edit = edits[info.filename]
                if edit is None:
                    continue
                data = edit(data) if callable(edit) else edit
            dst.writestr(info.filename, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def with_rows(xml: bytes) -> Callable[[bytes], bytes]:
    """An edit that appends rows at the end of the first sheet's data."""
    return lambda data: data.replace(b"</sheetData>", xml + b"</sheetData>")


def raw_zip(entries: list[tuple[str, bytes, int, int, int, int]]) -> bytes:
    """A zip written by hand: (name, stored bytes, method, crc, declared uncompressed size, flags) per entry — what
    zipfile will not write: a lying size, a crc of our choosing, an encrypted flag, an unknown method."""
    out = io.BytesIO()
    central = []
    for name, payload, method, crc, size, flags in entries:
        encoded = name.encode("utf-8")
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, flags | 0x800, method, 0, 0x21, crc, len(payload),
                              size, len(encoded), 0))
        out.write(encoded)
        out.write(payload)
        central.append(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, flags | 0x800, method, 0, 0x21, crc,
                                   len(payload), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    start = out.tell()
    for record in central:
        out.write(record)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def example_entries(replace: dict[str, tuple[bytes, int, int]] | None = None) -> list:
    """The example's parts as raw_zip entries (deflated), with some replaced by (payload, crc, declared size)."""
    entries = []
    with zipfile.ZipFile(EXAMPLE) as src:
        for info in src.infolist():
            if replace and info.filename in replace:
                payload, crc, size = replace[info.filename]
            else:
                data = src.read(info)
                compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
                payload, crc, size = compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)
            entries.append((info.filename, payload, 8, crc, size, 0))
    return entries


@lru_cache(maxsize=None)
def repeated_deflate(head: bytes, block: bytes, copies: int, tail: bytes, crc: bool = True) -> tuple[bytes, int, int]:
    """head + block * copies + tail, deflated in a few kB: (payload, crc, size). Each block is compressed after a
    full flush, which resets the compressor, so one block's bytes can be repeated. `crc=False` leaves the CRC 0
    (computing it reads every byte of the bomb)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    one = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(tail) + compressor.flush()
    checksum = 0
    if crc:
        checksum = zlib.crc32(head)
        many = block * 100
        for _ in range(copies // 100):
            checksum = zlib.crc32(many, checksum)
        for _ in range(copies % 100):
            checksum = zlib.crc32(block, checksum)
        checksum = zlib.crc32(tail, checksum)
    crc = checksum
    return first + one * copies + last, crc, len(head) + len(block) * copies + len(tail)


def sheet_head_and_tail() -> tuple[bytes, bytes]:
    with zipfile.ZipFile(EXAMPLE) as src:
        xml = src.read(SHEET)
    cut = xml.index(b"</sheetData>")
    return xml[:cut], xml[cut:]


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def kind(name: str, description: str, readable: bool, writable: bool = False):
    """Decorator: a build function becomes a Kind in KINDS."""
    def register(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
        KINDS.append(Kind(name, description, build, readable, writable))
        return build
    return register


KINDS: list[Kind] = []


# --- Memory and time bombs ---------------------------------------------------------------------------------------


@kind("zip-bomb-cells", "压缩炸弹：约 1.5 MB 的文件，工作表解压后 1.6 GB、1 亿个单元格（目录如实记载大小）", False)
def _zip_bomb(folder: Path) -> Path:
    head, tail = sheet_head_and_tail()
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"  # no references: each row follows the last
    sheet = repeated_deflate(head, row * 100, 10_000, tail)  # 1,000,000 rows x 100 cells
    return write(folder, "压缩炸弹.xlsx", raw_zip(example_entries({SHEET: sheet})))


@kind("zip-bomb-lying-size", "压缩炸弹，压缩包目录谎报解压后大小（记为 30 KB，实际 1.6 GB）", False)
def _zip_bomb_lying(folder: Path) -> Path:
    head, tail = sheet_head_and_tail()
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"
    payload, _, _ = repeated_deflate(head, row * 100, 10_000, tail)
    with zipfile.ZipFile(EXAMPLE) as src:
        honest = src.read(SHEET)
    return write(folder, "谎报大小.xlsx", raw_zip(example_entries({SHEET: (payload, zlib.crc32(honest), len(honest))})))


@kind("many-cells-within-ratio", "4 MB 的工作表里 27 万个单元格（压缩比不超限，单元格数超限）", False)
def _many_cells(folder: Path) -> Path:
    head, tail = sheet_head_and_tail()
    cells = b"".join(b'<row r="%d">' % r + b"".join(b'<c r="%s%d"><v>%d</v></c>' % (bytes([65 + c]), r, r * c)
                                                     for c in range(20)) + b"</row>" for r in range(100, 13_600))
    return write(folder, "单元格过多.xlsx", rewritten({SHEET: head + cells + tail}))


@kind("far-corner-cell", "A1 和 XFD1048576 各有一个值（读取器会按整张表分配 5000 亿字节）", False)
def _far_corner(folder: Path) -> Path:
    return write(folder, "远角单元格.xlsx",
                 rewritten({SHEET: with_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')}))


@kind("far-corner-in-other-sheet", "远角单元格在“填表说明”工作表：校验只读表单所在工作表，照读；写副本要载入全部"
                                  "工作表，拒绝", True)
def _far_corner_other(folder: Path) -> Path:
    return write(folder, "说明表远角.xlsx", rewritten(
        {"xl/worksheets/sheet2.xml": with_rows(b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')}))


@kind("huge-used-range", "只有格式的空单元格一直排到第 1,048,576 行（已用区域到表底）", False)
def _huge_used_range(folder: Path) -> Path:
    return write(folder, "已用区域到表底.xlsx",
                 rewritten({SHEET: with_rows(b'<row r="1048576"><c r="A1048576" s="1"/></row>')}))


@kind("dimension-lies", "<dimension> 标记声称 A1:XFD1048576，实际内容正常", True, True)
def _dimension_lies(folder: Path) -> Path:
    return write(folder, "尺寸标记夸大.xlsx", rewritten(
        {SHEET: lambda d: d.replace(b'<dimension ref="A1:L45" />', b'<dimension ref="A1:XFD1048576" />')}))


@kind("merge-whole-sheet", "一个合并区域覆盖整张工作表 A1:XFD1048576", False)
def _merge_whole(folder: Path) -> Path:
    return write(folder, "合并整表.xlsx", rewritten({SHEET: lambda d: d.replace(
        b"<mergeCells", b'<mergeCells><mergeCell ref="M1:XFD1048576"/></mergeCells><mergeCells', 1)
        if b"<mergeCells" in d else d.replace(b"</sheetData>", b'</sheetData><mergeCells count="1">'
                                               b'<mergeCell ref="M1:XFD1048576"/></mergeCells>')}))


@kind("huge-shared-strings", "共享字符串表有 30 万个条目", False)
def _huge_shared_strings(folder: Path) -> Path:
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(300_000))
    sst = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="' + MAIN_NS + b'" count="300000" uniqueCount="300000">'
           + strings + b"</sst>")
    data = rewritten({
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                                   b'ContentType="application/vnd.openxmlformats-officedocument.'
                                                   b'spreadsheetml.sharedStrings+xml"/></Types>'),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", b'<Relationship Id="rId99" Type="http://'
                                                          b'schemas.openxmlformats.org/officeDocument/2006/relationships/'
                                                          b'sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
    }, extra={"xl/sharedStrings.xml": sst})
    return write(folder, "共享字符串过多.xlsx", data)


@kind("huge-cell-text", "一个单元格里 2 MB 文字（Excel 上限 32,767 个字符）", True)
def _huge_cell_text(folder: Path) -> Path:
    text = "".join(c * 40 for c in random.Random(2).randbytes(26_214).hex()).encode()  # 2 MB, compresses ~30:1
    return write(folder, "超长文字.xlsx", rewritten({SHEET: with_rows(
        b'<row r="900"><c r="K900" t="inlineStr"><is><t>' + text + b"</t></is></c></row>")}))


@kind("deep-nesting", "工作表末尾的扩展区里 2 万层嵌套的 XML 元素（两个读取器都跳过它）", True)
def _deep_nesting(folder: Path) -> Path:
    depth = 20_000
    nested = b"<x:a>" * depth + b"</x:a>" * depth
    return write(folder, "深层嵌套.xlsx", rewritten({SHEET: lambda d: d.replace(
        b"</worksheet>", b'<extLst><ext uri="{00000000-0000-0000-0000-000000000000}" xmlns:x="urn:x">' + nested
        + b"</ext></extLst></worksheet>")}))


@kind("many-sheets", "工作簿里有 100 个工作表", True)
def _many_sheets(folder: Path) -> Path:
    count = 100
    sheets = b"".join(b'<sheet name="S%d" sheetId="%d" r:id="rIdS%d" />' % (i, 100 + i, i) for i in range(count))
    rels = b"".join(b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                    b'worksheet" Target="/xl/worksheets/s%d.xml" Id="rIdS%d" />' % (i, i) for i in range(count))
    types = b"".join(b'<Override PartName="/xl/worksheets/s%d.xml" ContentType="application/vnd.openxmlformats-'
                     b'officedocument.spreadsheetml.worksheet+xml"/>' % i for i in range(count))
    tiny = (b'<worksheet xmlns="' + MAIN_NS + b'"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
            b"</worksheet>")
    data = rewritten({
        "xl/workbook.xml": lambda d: d.replace(b"</sheets>", sheets + b"</sheets>"),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", rels + b"</Relationships>"),
        "[Content_Types].xml": lambda d: d.replace(b"</Types>", types + b"</Types>"),
    }, extra={f"xl/worksheets/s{i}.xml": tiny for i in range(count)})
    return write(folder, "一百个工作表.xlsx", data)


@kind("many-zip-entries", "压缩包里有 2 万个无用的部件", False)
def _many_entries(folder: Path) -> Path:
    return write(folder, "部件过多.xlsx", rewritten({}, extra={f"junk/{i}.bin": b"" for i in range(20_000)}))


# --- Lying or damaged packages ------------------------------------------------------------------------------------


@kind("duplicate-part", "压缩包里有两个同名的工作表部件，内容不同", False)
def _duplicate_part(folder: Path) -> Path:
    entries = example_entries()
    with zipfile.ZipFile(EXAMPLE) as src:
        other = src.read(SHEET).replace(b"<v>2023</v>", b"<v>1999</v>")
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    entries.append((SHEET, compressor.compress(other) + compressor.flush(), 8, zlib.crc32(other), len(other), 0))
    return write(folder, "重名部件.xlsx", raw_zip(entries))


@kind("encrypted-zip-entry", "压缩包里的工作表部件用 ZipCrypto 加密（不是 Excel 的打开密码）", False)
def _encrypted_entry(folder: Path) -> Path:
    entries = [(n, p, m, c, s, 1 if n == SHEET else f) for n, p, m, c, s, f in example_entries()]
    return write(folder, "部件加密.xlsx", raw_zip(entries))


@kind("unknown-compression", "工作表部件用未知的压缩方法（编号 99）", False)
def _unknown_method(folder: Path) -> Path:
    entries = [(n, p, 99 if n == SHEET else m, c, s, f) for n, p, m, c, s, f in example_entries()]
    return write(folder, "未知压缩.xlsx", raw_zip(entries))


@kind("corrupt-zip", "以 PK 开头，其余是随机字节", False)
def _corrupt_zip(folder: Path) -> Path:
    return write(folder, "损坏的压缩包.xlsx", b"PK\x03\x04" + random.Random(3).randbytes(20_000))


@kind("truncated", "下载中断：工作簿只有前一半", False)
def _truncated(folder: Path) -> Path:
    data = EXAMPLE.read_bytes()
    return write(folder, "下载中断.xlsx", data[: len(data) // 2])


@kind("bad-crc-sheet", "工作表部件的一个字节被改动（CRC 校验不符）", False)
def _bad_crc(folder: Path) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(EXAMPLE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    data = bytearray(out.getvalue())
    data[data.index(b"<v>2023</v>") + 4] ^= 1
    return write(folder, "校验不符.xlsx", bytes(data))


@kind("corrupt-deflate", "工作表部件的压缩数据中间有一段被破坏（解压出错）", False)
def _corrupt_deflate(folder: Path) -> Path:
    with zipfile.ZipFile(EXAMPLE) as src:
        sheet = src.read(SHEET)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = bytearray(compressor.compress(sheet) + compressor.flush())
    payload[len(payload) // 3:len(payload) // 3 + 16] = b"\xff" * 16
    return write(folder, "压缩数据损坏.xlsx", raw_zip(example_entries({SHEET: (bytes(payload), zlib.crc32(sheet),
                                                                                   len(sheet))})))


@kind("empty-zip", "空的压缩包，改名为 .xlsx", False)
def _empty_zip(folder: Path) -> Path:
    out = io.BytesIO()
    zipfile.ZipFile(out, "w").close()
    return write(folder, "空压缩包.xlsx", out.getvalue())


@kind("docx-renamed", "Word 文档（.docx 的压缩包结构）改名为 .xlsx", False)
def _docx(folder: Path) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return write(folder, "其实是文档.xlsx", out.getvalue())


@kind("missing-sheet-part", "workbook.xml 列出的工作表部件不存在", False)
def _missing_part(folder: Path) -> Path:
    return write(folder, "缺工作表.xlsx", rewritten({SHEET: None}))


@kind("strict-ooxml", "Strict Open XML 格式（命名空间 purl.oclc.org/ooxml）", False)
def _strict(folder: Path) -> Path:
    strict = {b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
              b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
                  b"http://purl.oclc.org/ooxml/officeDocument/relationships"}

    def to_strict(data: bytes) -> bytes:
        for old, new in strict.items():
            data = data.replace(old, new)
        return data

    with zipfile.ZipFile(EXAMPLE) as src:
        names = [n for n in src.namelist() if n.endswith((".xml", ".rels"))]
    return write(folder, "严格格式.xlsx", rewritten({n: to_strict for n in names}))


@kind("utf16-workbook-xml", "xl/workbook.xml 用 UTF-16 编码（合法的 XML）", True, True)
def _utf16(folder: Path) -> Path:
    def utf16(data: bytes) -> bytes:
        text = data.decode("utf-8")
        if not text.startswith("<?xml"):
            text = '<?xml version="1.0" encoding="UTF-16"?>' + text
        return text.encode("utf-16")
    return write(folder, "UTF16目录.xlsx", rewritten({"xl/workbook.xml": utf16}))


@kind("raw-nan-cell", "数值单元格里写着 NaN、inf（有的导出工具会这样写）", True)
def _raw_nan(folder: Path) -> Path:
    return write(folder, "非数值.xlsx", rewritten({SHEET: with_rows(
        b'<row r="60"><c r="B60"><v>NaN</v></c><c r="C60"><v>inf</v></c><c r="D60"><v>-inf</v></c></row>')}))


@kind("cells-without-refs", "单元格和行都不写 r 引用（有的程序这样写），位置按顺序推算", True)
def _no_refs(folder: Path) -> Path:
    return write(folder, "无引用.xlsx", rewritten({SHEET: with_rows(
        b"<row>" + b"<c><v>7</v></c>" * 5 + b"</row>" + b"<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>")}))


@kind("xxe", "workbook.xml 里有外部实体（XXE，读取 /etc/passwd）", False)
def _xxe(folder: Path) -> Path:
    return write(folder, "外部实体.xlsx", rewritten({"xl/workbook.xml": lambda d: (
        b'<?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + d.replace(b"<workbookPr />", b"<workbookPr>&xxe;</workbookPr>"))}))


@kind("billion-laughs", "工作表里有“十亿笑声”实体炸弹", False)
def _laughs(folder: Path) -> Path:
    entities = b'<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
    return write(folder, "实体炸弹.xlsx", rewritten({SHEET: lambda d: (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [' + entities + b"]>"
        + d.replace(b"</sheetData>", b'<row r="900"><c r="K900" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                                     b"</sheetData>"))}))


@kind("dtd-in-comment-padding", "序言里先有 2 KB 注释，再有实体声明（藏在开头几百字节之后）", False)
def _dtd_after_comment(folder: Path) -> Path:
    return write(folder, "注释后的实体.xlsx", rewritten({"xl/styles.xml": lambda d: (
        b'<?xml version="1.0"?><!--' + b"x" * 2048 + b'--><!DOCTYPE styleSheet [<!ENTITY a "b">]>'
        + (d.split(b"?>", 1)[-1] if d.startswith(b"<?xml") else d))}))


@kind("macros-xlsm", "带宏的工作簿（.xlsm，含 vbaProject.bin）", True)
def _xlsm(folder: Path) -> Path:
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)  # the part's start; nobody runs it, openpyxl keeps it
    data = rewritten({
        "[Content_Types].xml": lambda d: d.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
            b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'),
        "xl/_rels/workbook.xml.rels": lambda d: d.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="'
                                                          b'http://schemas.microsoft.com/office/2006/relationships/'
                                                          b'vbaProject" Target="vbaProject.bin"/></Relationships>'),
    }, extra={"xl/vbaProject.bin": vba})
    return write(folder, "带宏.xlsm", data)


@kind("encrypted-workbook", "设置了打开密码的工作簿（Excel 的加密，OLE 容器）", False)
def _encrypted(folder: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    with EXAMPLE.open("rb") as handle:
        OOXMLFile(handle).encrypt("123456", out)
    return write(folder, "加密.xlsx", out.getvalue())


@kind("xls-renamed", "旧版 .xls（OLE 文件头）改名为 .xlsx", False)
def _xls(folder: Path) -> Path:
    return write(folder, "旧版格式.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))


# --- Not a workbook at all ------------------------------------------------------------------------------------------


@kind("zero-bytes", "零字节的 .xlsx", False)
def _zero(folder: Path) -> Path:
    return write(folder, "空文件.xlsx", b"")


@kind("text-renamed", "一段中文文字存成 .xlsx", False)
def _text(folder: Path) -> Path:
    return write(folder, "会议记录.xlsx", "这是一份会议记录，不是工作簿。\n".encode("utf-8") * 20)


@kind("html-as-xlsx", "网页导出的“Excel”（其实是 HTML 表格）", False)
def _html(folder: Path) -> Path:
    return write(folder, "网页导出.xlsx", "<html><body><table><tr><td>项目名称</td></tr></table></body></html>".encode())


@kind("csv-renamed", "CSV 文本改名为 .xlsx", False)
def _csv(folder: Path) -> Path:
    return write(folder, "逗号分隔.xlsx", "项目名称,全年预算数\n信息化,373.6\n".encode("gbk"))


@kind("non-utf8-name", "文件名是 GBK 编码的字节（Linux 上拷来的 Windows 文件），内容正常", True, True)
def _gbk_name(folder: Path) -> Path:
    name = "自评表".encode("gbk") + b"-gbk.xlsx"
    path = Path(os.fsdecode(os.path.join(os.fsencode(folder), name)))
    path.write_bytes(EXAMPLE.read_bytes())
    return path


# --- Not a regular file -----------------------------------------------------------------------------------------------


@kind("fifo", "命名管道（FIFO）名为 .xlsx：打开它会一直等待", False)
def _fifo(folder: Path) -> Path:
    path = folder / "管道.xlsx"
    os.mkfifo(path)
    return path


@kind("socket", "Unix 套接字文件名为 .xlsx", False)
def _socket(folder: Path) -> Path:
    path = folder / "套接字.xlsx"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))  # the file stays after the socket closes
    finally:
        server.close()
    return path


@kind("symlink-to-dev-zero", "指向 /dev/zero 的符号链接（读不到尽头）", False)
def _dev_zero(folder: Path) -> Path:
    path = folder / "无尽.xlsx"
    path.symlink_to("/dev/zero")
    return path


@kind("dangling-symlink", "指向不存在文件的符号链接", False)
def _dangling(folder: Path) -> Path:
    path = folder / "断开的链接.xlsx"
    path.symlink_to(folder / "不存在.xlsx")
    return path


@kind("symlink-loop", "两个互相指向的符号链接", False)
def _loop(folder: Path) -> Path:
    path, other = folder / "循环链接.xlsx", folder / "循环链接2.xlsm"
    path.symlink_to(other.name)
    other.symlink_to(path.name)
    return path


@kind("symlink-to-workbook", "指向正常工作簿的符号链接", True, True)
def _good_link(folder: Path) -> Path:
    target = folder / "_targets" / "原件.xlsx"
    target.parent.mkdir(exist_ok=True)
    target.write_bytes(EXAMPLE.read_bytes())
    path = folder / "链接到原件.xlsx"
    path.symlink_to(target)
    return path


@kind("directory-named-xlsx", "名为 x.xlsx 的文件夹", False)
def _dir_named(folder: Path) -> Path:
    path = folder / "文件夹.xlsx"
    path.mkdir()
    return path


@kind("empty-folder", "空文件夹", False)
def _empty_folder(folder: Path) -> Path:
    path = folder / "空文件夹"
    path.mkdir()
    return path
