"""Build addin/perfeval_xl.xlam from the ribbon add-in template that ships with xlwings.

    python addin/build_addin.py            # (re)write addin/perfeval_xl.xlam
    python addin/build_addin.py --check    # exit 1 if the committed file is stale

Build dependencies (not needed at run time): ms-ovba 0.0.1 with ms_ovba_crypto 2.0.1 (and what
they pull in: ms_ovba_compression, ms_cfb, ms_dtyp), olefile. Other versions may write different
bytes; tests/test_addin_file.py then reports the committed xlam as stale.

Inputs:
  * ``xlwings/quickstart_addin_ribbon.xlam`` from the installed xlwings package
    (pinned: the VBA module inside must match the Python package version).
  * ``xlwings/addin/Remote.bas``, ``WebHelpers.bas``, ``IWebAuthenticator.cls``, ``WebClient.cls``,
    ``WebRequest.cls``, ``WebResponse.cls``: xlwings' VBA client for servers (RunServerPython
    and VBA-Web, BSD-3/MIT, licence headers kept), unchanged.
  * ``addin/src/customUI.xml``        the ribbon (UTF-8, Chinese labels).
  * ``addin/src/RibbonPerfevalXL.bas`` our ribbon module (ASCII).
  * ``addin/src/PerfevalActions.bas``  subs the service's actions call through runMacro (ASCII).
  * ``perfeval_xl.addin_build.config_sheet_entries()`` the config sheet's rows.

What changes against the template (everything else is copied byte for byte):
  * ``customUI/customUI.xml`` is replaced by ours, and ``_rels/.rels`` gets the relationship type
    that matches its namespace (the template pairs the 2006 ribbon with the 2007 type).
  * ``xl/vbaProject.bin`` is rebuilt from VBA *source* with ms-ovba: the template's
    ThisWorkbook, Sheet2 and Dictionary modules unchanged, its xlwings module with
    ``PROJECT_NAME = "perfeval_xl"`` (so the add-in reads perfeval_xl.conf), its
    RibbonMyAddin module replaced by RibbonPerfevalXL, xlwings' server client appended
    (class modules stored as the VBA editor stores an imported .cls), the VBA project renamed to
    PerfevalXL, the template's references (MSForms, Office) carried over verbatim.
    The project holds source only, no compiled p-code: Excel compiles it when it
    loads the add-in (the template's own xlwings module is stored the same way).
  * The hidden config sheet ``_myaddin.conf`` becomes the active ``perfeval_xl.conf`` holding
    only our keys (service address, token, form names, results sheet, template route).

ms-ovba 0.0.1 is used for the streams' contents only:
  * its compressor (ms_ovba_compression 1.0.1) computes the maximum copy-token length as
    ``0xFFFF << bit_count + 3`` instead of ``(0xFFFF >> bit_count) + 3``, so long matches
    decode to garbage, and it is quadratic (minutes for VBA-Web); ``compress`` here replaces it;
  * its container writer (ms_cfb 0.0.6) breaks once the FAT needs a second sector (> 64 kB);
    ``write_cfb`` here replaces it;
  * it writes REFERENCECONTROL's OriginalTypeLib GUID in the wrong byte order and hard-codes
    project name, SysKind and version: we do not use its reference classes and supply our own
    PROJECTINFORMATION records.
Every stream is decompressed again with an independent decompressor and compared with its source.

The output is deterministic: fixed project id, seeded crypto for CMG/DPB/GC,
zero CFB timestamps, zip entries sorted, stored (not deflated, so zlib versions
cannot change the bytes) and dated 1980-01-01.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import re
import struct
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC_DIR = HERE / "src"
DEFAULT_OUTPUT = HERE / "perfeval_xl.xlam"
# The same bytes inside the package, so `perfeval-xl addin install` finds the add-in when installed from a wheel.
PACKAGE_COPY = HERE.parent / "perfeval_xl" / "data" / "perfeval_xl.xlam"

EXPECTED_XLWINGS_VERSION = "0.37.8"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"

# Name the xlwings VBA uses for its config sheet and file: <name>.conf,
# %USERPROFILE%\.<name>\<name>.conf. Must match perfeval_xl/addin_install.py.
CONFIG_NAME = "perfeval_xl"
VBA_PROJECT_NAME = "PerfevalXL"
RIBBON_MODULE = "RibbonPerfevalXL"
# Subs the service's actions call through Remote.bas' runMacro (what Remote.bas has no func for, e.g. taking a fill
# off). Same text as perfeval_xl/workbook_edit.py's CLEAR_FILL_VBA (branch h9-protocol; tests compare them).
ACTIONS_MODULE = "PerfevalActions"
# Fixed so that rebuilding gives the same bytes: uuid5(NAMESPACE_URL, "perfeval-xl/vbaProject").
PROJECT_ID = "{F921FBD0-D0B2-5C66-9814-8B4EB57BC5BF}"
CRYPTO_SEED = 20240601
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

TEMPLATE_CONFIG_SHEET = "_myaddin.conf"
# Active (no leading "_"): xlwings' GetConfig reads this sheet of the add-in. It holds only our keys
# (perfeval_xl/addin_build.py), so the xlwings settings still come from the user's config file.
CONFIG_SHEET = CONFIG_NAME + ".conf"
PROJECT_NAME_LINE = 'Public Const PROJECT_NAME As String = "{}"'

# Modules of the template's VBA project, in dir-stream order, with their kind.
TEMPLATE_MODULES = {
    "ThisWorkbook": "document",
    "Dictionary": "class",
    "RibbonMyAddin": "standard",
    "Sheet2": "document",
    "xlwings": "standard",
}


# xlwings' VBA client for servers, from the xlwings package's addin/ folder, unchanged: RunServerPython (Remote.bas)
# and VBA-Web (WinHttp, late bound: no references). Dictionary, which they also need, is already the template's.
# (module name, file, kind), in the order they are added after the template's modules.
SERVER_CLIENT_MODULES = [
    ("Remote", "Remote.bas", "standard"),
    ("WebHelpers", "WebHelpers.bas", "standard"),
    ("IWebAuthenticator", "IWebAuthenticator.cls", "class"),
    ("WebClient", "WebClient.cls", "class"),
    ("WebRequest", "WebRequest.cls", "class"),
    ("WebResponse", "WebResponse.cls", "class"),
]

# Ribbon XML namespace -> the package relationship type that must point at it (Office 2007's customUI
# and Office 2010's customUI14). Excel 2007 ignores a 2006 ribbon behind the 2007 relationship type.
CUSTOM_UI_RELATIONSHIPS = {
    "http://schemas.microsoft.com/office/2006/01/customui":
        "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility",
    "http://schemas.microsoft.com/office/2009/07/customui":
        "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility",
}


class BuildError(RuntimeError):
    pass


# --------------------------------------------------------------------------
# MS-OVBA 2.4.1 decompression, written from the spec. Used to read the template
# and, independently of ms-ovba's compressor, to verify what we wrote.
# --------------------------------------------------------------------------
def decompress(data: bytes) -> bytes:
    if not data or data[0] != 0x01:
        raise BuildError("compressed container must start with 0x01")
    out = bytearray()
    pos = 1
    while pos < len(data):
        (header,) = struct.unpack_from("<H", data, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b111 != 0b011:
            raise BuildError(f"bad chunk signature at {pos}")
        chunk = data[pos + 2 : pos + size]
        pos += size
        start = len(out)
        if not header & 0x8000:
            if len(chunk) != 4096:
                raise BuildError("raw chunk must hold 4096 bytes")
            out += chunk
            continue
        i = 0
        while i < len(chunk):
            flags = chunk[i]
            i += 1
            for bit in range(8):
                if i >= len(chunk):
                    break
                if not (flags >> bit) & 1:
                    out.append(chunk[i])
                    i += 1
                    continue
                (token,) = struct.unpack_from("<H", chunk, i)
                i += 2
                bit_count = max((len(out) - start - 1).bit_length(), 4)
                length = (token & (0xFFFF >> bit_count)) + 3
                offset = (token >> (16 - bit_count)) + 1
                if offset > len(out) - start:
                    raise BuildError("copy token points before the chunk")
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)


def compress(data: bytes) -> bytes:
    """MS-OVBA 2.4.1.3.6 compression. Any valid container will do (Excel decompresses, then compiles the source);
    this one takes the longest match among the latest positions sharing a 3-byte prefix, per 4096-byte chunk.
    ms_ovba_compression's own compressor is both wrong for long matches (see _ms_ovba_patched) and quadratic:
    about 15 s for 20 kB, minutes for VBA-Web's 117 kB WebHelpers module."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), 4096):
        chunk = data[start : start + 4096]
        body = _compress_chunk(chunk)
        if len(body) <= 4096:
            out += struct.pack("<H", 0xB000 | (len(body) + 2 - 3)) + body
        elif len(chunk) == 4096:  # incompressible: a raw chunk
            out += struct.pack("<H", 0x3FFF) + chunk
        else:
            raise BuildError("the last chunk of a module does not compress into 4096 bytes")
    return bytes(out)


def _compress_chunk(chunk: bytes, candidates: int = 48) -> bytes:
    body = bytearray()
    heads: dict[bytes, list[int]] = {}
    n, pos = len(chunk), 0

    def remember(p: int) -> None:
        if p + 3 <= n:
            heads.setdefault(chunk[p : p + 3], []).append(p)

    while pos < n:
        flag_at = len(body)
        body.append(0)
        for bit in range(8):
            if pos >= n:
                break
            best_len = best_offset = 0
            if pos + 3 <= n:
                bit_count = max((pos - 1).bit_length(), 4)  # MS-OVBA 2.4.1.3.19.1, difference = pos
                max_len = min((0xFFFF >> bit_count) + 3, n - pos)
                for cand in reversed(heads.get(chunk[pos : pos + 3], [])[-candidates:]):
                    length = 3
                    while length < max_len and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_offset = length, pos - cand
                        if length == max_len:
                            break
            if best_len >= 3:
                body += struct.pack("<H", ((best_offset - 1) << (16 - bit_count)) | (best_len - 3))
                body[flag_at] |= 1 << bit
                for p in range(pos, pos + best_len):
                    remember(p)
                pos += best_len
            else:
                body.append(chunk[pos])
                remember(pos)
                pos += 1
    return bytes(body)


# --------------------------------------------------------------------------
# MS-CFB (compound file) writer, version 3 (512-byte sectors). ms_cfb 0.0.6
# cannot write a file whose FAT needs more than one sector (over 64 kB), which
# VBA-Web's modules make this project.
# --------------------------------------------------------------------------
_ENDOFCHAIN, _FREESECT, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def _cfb_key(name: str) -> tuple[int, str]:
    return len(name), name.upper()  # MS-CFB 2.6.4: shorter names first, then case-insensitive


def write_cfb(streams: dict[tuple[str, ...], bytes]) -> bytes:
    """A compound file holding ``streams`` (path tuple -> bytes). Streams under 4096 bytes go to the mini stream.
    Each storage's children form a balanced binary tree, all nodes black (MS-CFB 2.6.4 allows that)."""
    entries = [{"name": "Root Entry", "type": 5, "children": {}, "data": b""}]
    for path, data in sorted(streams.items()):
        parent = entries[0]
        for part in path[:-1]:
            if part not in parent["children"]:
                entries.append({"name": part, "type": 1, "children": {}, "data": b""})
                parent["children"][part] = len(entries) - 1
            parent = entries[parent["children"][part]]
        entries.append({"name": path[-1], "type": 2, "children": {}, "data": data})
        parent["children"][path[-1]] = len(entries) - 1

    for entry in entries:
        entry["left"] = entry["right"] = entry["child"] = _NOSTREAM

    def balanced(ids: list[int]) -> int:
        if not ids:
            return _NOSTREAM
        mid = len(ids) // 2
        entries[ids[mid]]["left"] = balanced(ids[:mid])
        entries[ids[mid]]["right"] = balanced(ids[mid + 1 :])
        return ids[mid]

    for entry in entries:
        ids = sorted(entry["children"].values(), key=lambda i: _cfb_key(entries[i]["name"]))
        entry["child"] = balanced(ids)

    mini_stream, mini_fat = bytearray(), []
    big = [e for e in entries if e["type"] == 2 and len(e["data"]) >= 4096]
    for e in entries:
        if e["type"] == 2 and len(e["data"]) < 4096:
            count = -(-len(e["data"]) // 64)
            e["start"] = len(mini_fat) if count else _ENDOFCHAIN
            mini_fat += [len(mini_fat) + i + 1 for i in range(count)]
            if count:
                mini_fat[-1] = _ENDOFCHAIN
            mini_stream += e["data"].ljust(count * 64, b"\0")

    def sectors(size: int) -> int:
        return -(-size // 512)

    n_dir = sectors(len(entries) * 128)
    n_minifat = sectors(len(mini_fat) * 4)
    n_mini = sectors(len(mini_stream))
    n_big = sum(sectors(len(e["data"])) for e in big)
    n_fat = 1
    while n_fat * 128 < n_fat + n_dir + n_minifat + n_mini + n_big:
        n_fat += 1
    if n_fat > 109:
        raise BuildError("vbaProject.bin too large for a FAT without DIFAT sectors")

    fat = [_FATSECT] * n_fat
    body = bytearray()

    def chain(data: bytes) -> int:
        count = sectors(len(data))
        if not count:
            return _ENDOFCHAIN
        first = len(fat)
        fat.extend(first + i + 1 for i in range(count))
        fat[-1] = _ENDOFCHAIN
        body.extend(data.ljust(count * 512, b"\0"))
        return first

    dir_start = len(fat)
    fat.extend(dir_start + i + 1 for i in range(n_dir))
    fat[-1] = _ENDOFCHAIN
    minifat_start = chain(b"".join(struct.pack("<I", v) for v in mini_fat).ljust(n_minifat * 512, b"\xff"))
    entries[0]["start"] = chain(bytes(mini_stream))
    entries[0]["data"] = bytes(mini_stream)
    for e in big:
        e["start"] = chain(e["data"])
    fat += [_FREESECT] * (n_fat * 128 - len(fat))

    directory = bytearray()
    for e in entries:
        name = e["name"].encode("utf-16-le") + b"\0\0"
        size = 0 if e["type"] == 1 else len(e["data"])
        start = 0 if e["type"] == 1 else e["start"]
        directory += struct.pack("<64sHBBIII16sIQQIQ", name, len(name), e["type"], 1, e["left"], e["right"],
                                 e["child"], b"\0" * 16, 0, 0, 0, start, size)
    empty = struct.pack("<64sHBBIII16sIQQIQ", b"", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM, b"\0" * 16, 0, 0, 0, 0, 0)
    while len(directory) < n_dir * 512:
        directory += empty

    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), b"\0" * 16, 0x003E, 3,
                         0xFFFE, 9, 6, b"\0" * 6, 0, n_fat, dir_start, 0, 4096,
                         minifat_start if mini_fat else _ENDOFCHAIN, n_minifat, _ENDOFCHAIN, 0)
    header += b"".join(struct.pack("<I", i) for i in range(n_fat)).ljust(436, b"\xff")
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    return header + fat_bytes + bytes(directory) + bytes(body)


# --------------------------------------------------------------------------
# Reading the template's VBA project
# --------------------------------------------------------------------------
@dataclass
class TemplateModule:
    name: str
    kind: str  # "document" | "class" | "standard"
    source: bytes  # decompressed module source, as stored
    docstring: bytes  # MODULEDOCSTRING (code page bytes)


@dataclass
class TemplateProject:
    codepage: int
    syskind: int
    lcid: int
    lcid_invoke: int
    version: bytes  # MajorVersion (4) + MinorVersion (2)
    references: bytes  # all REFERENCE records, verbatim
    modules: list[TemplateModule]


def _records(dir_data: bytes):
    """Yield (id, payload, raw bytes) of the dir stream's records."""
    pos = 0
    while pos < len(dir_data):
        rec_id, size = struct.unpack_from("<HI", dir_data, pos)
        if rec_id == 0x0009:  # PROJECTVERSION: Reserved=4, then 4 + 2 bytes
            size = 6
        payload = dir_data[pos + 6 : pos + 6 + size]
        yield rec_id, payload, dir_data[pos : pos + 6 + size]
        pos += 6 + size


REFERENCE_IDS = {0x0016, 0x003E, 0x0033, 0x002F, 0x0030, 0x000D, 0x000E}


def read_template_project(vba_bin: bytes) -> TemplateProject:
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    try:
        dir_data = decompress(ole.openstream("VBA/dir").read())
        project_text = ole.openstream("PROJECT").read().decode("latin-1")
        info: dict[int, bytes] = {}
        references = b""
        modules: list[dict] = []
        in_modules = False
        for rec_id, payload, raw in _records(dir_data):
            if rec_id == 0x000F:
                in_modules = True
                continue
            if not in_modules:
                if rec_id in REFERENCE_IDS:
                    references += raw
                else:
                    info[rec_id] = payload
                continue
            if rec_id == 0x0019:
                modules.append({"name": payload.decode("latin-1")})
            elif rec_id == 0x001C:
                modules[-1]["docstring"] = payload
            elif rec_id == 0x0031:
                modules[-1]["offset"] = struct.unpack("<I", payload)[0]
            elif rec_id in (0x0021, 0x0022):
                modules[-1]["type"] = rec_id
        result = []
        for m in modules:
            name = m["name"]
            if re.search(rf"^Class={re.escape(name)}\r?$", project_text, re.M):
                kind = "class"
            elif re.search(rf"^Document={re.escape(name)}/", project_text, re.M):
                kind = "document"
            else:
                kind = "standard"
            if (kind == "standard") != (m["type"] == 0x0021):
                raise BuildError(f"module {name}: PROJECT and dir stream disagree on its type")
            raw = ole.openstream("VBA/" + name).read()
            result.append(
                TemplateModule(name, kind, decompress(raw[m["offset"] :]), m.get("docstring", b""))
            )
    finally:
        ole.close()
    return TemplateProject(
        codepage=struct.unpack("<H", info[0x0003])[0],
        syskind=struct.unpack("<I", info[0x0001])[0],
        lcid=struct.unpack("<I", info[0x0002])[0],
        lcid_invoke=struct.unpack("<I", info[0x0014])[0],
        version=info[0x0009],
        references=references,
        modules=result,
    )


# --------------------------------------------------------------------------
# Our module sources
# --------------------------------------------------------------------------
def _crlf(text: bytes) -> bytes:
    return text.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def read_src_module(name: str) -> bytes:
    """addin/src/<name>.bas: ASCII, CRLF, starting with its VB_Name."""
    data = (SRC_DIR / (name + ".bas")).read_bytes()
    try:
        data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise BuildError(
            f"{name}.bas must be ASCII (VBA project code page 1252); "
            "write Chinese text as hex codes for Zh(), or put it in customUI.xml or the config sheet"
        ) from exc
    data = _crlf(data)
    first = data.split(b"\r\n", 1)[0]
    if first != f'Attribute VB_Name = "{name}"'.encode():
        raise BuildError(f"{name}.bas must start with its VB_Name attribute")
    return data


def read_ribbon_module() -> bytes:
    return read_src_module(RIBBON_MODULE)


# What the VBA editor does to a class module it imports from a .cls file: the export header (VERSION/BEGIN/END)
# goes, VB_Base names the class type library, and VB_TemplateDerived/VB_Customizable are added. The template's own
# Dictionary module is Dictionary.cls stored this way (tests/test_addin_file.py checks it).
CLASS_EXPORT_HEADER = b"VERSION 1.0 CLASS\r\nBEGIN\r\n  MultiUse = -1  'True\r\nEND\r\n"
CLASS_BASE_LINE = b'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"\r\n'
CLASS_EXPOSED_LINE = b"Attribute VB_Exposed = True\r\n"
CLASS_STORED_LINES = b"Attribute VB_TemplateDerived = False\r\nAttribute VB_Customizable = False\r\n"


def class_module_source(cls_file: bytes, name: str) -> bytes:
    data = _crlf(cls_file)
    name_line = f'Attribute VB_Name = "{name}"\r\n'.encode()
    if not data.startswith(CLASS_EXPORT_HEADER + name_line) or data.count(CLASS_EXPOSED_LINE) != 1:
        raise BuildError(f"{name}.cls: unexpected class module header")
    data = data[len(CLASS_EXPORT_HEADER):]
    data = data.replace(name_line, name_line + CLASS_BASE_LINE, 1)
    return data.replace(CLASS_EXPOSED_LINE, CLASS_EXPOSED_LINE + CLASS_STORED_LINES, 1)


def xlwings_addin_dir() -> Path:
    return template_path().parent / "addin"


def server_client_modules(addin_dir: Path | None = None) -> list[TemplateModule]:
    """Remote.bas and VBA-Web from the pinned xlwings package, as VBA stores them (sources unchanged)."""
    addin_dir = addin_dir or xlwings_addin_dir()
    modules = []
    for name, filename, kind in SERVER_CLIENT_MODULES:
        raw = (addin_dir / filename).read_bytes()
        try:
            raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise BuildError(f"{filename} is not ASCII; the VBA project uses code page 1252") from exc
        if kind == "class":
            source = class_module_source(raw, name)
        else:
            source = _crlf(raw)
            if not source.startswith(f'Attribute VB_Name = "{name}"\r\n'.encode()):
                raise BuildError(f"{filename} must start with its VB_Name attribute")
        modules.append(TemplateModule(name, kind, source, b""))
    return modules


def patch_xlwings_module(source: bytes) -> bytes:
    old = PROJECT_NAME_LINE.format("myaddin").encode()
    new = PROJECT_NAME_LINE.format(CONFIG_NAME).encode()
    if source.count(old) != 1:
        raise BuildError("xlwings VBA module: PROJECT_NAME line not found exactly once")
    return source.replace(old, new)


def ribbon_callbacks(custom_ui: bytes) -> list[tuple[str, str]]:
    """(onAction, tag) of every control; raises if the XML does not parse."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(custom_ui)
    return [(el.get("onAction"), el.get("tag")) for el in root.iter() if el.get("onAction")]


# --------------------------------------------------------------------------
# Writing the VBA project with ms-ovba
# --------------------------------------------------------------------------
@contextlib.contextmanager
def _ms_ovba_patched():
    """Make ms-ovba compress with our compressor and its output deterministic, then undo. Its own compressor
    computes the maximum copy-token length as ``0xFFFF << bit_count + 3`` instead of ``(0xFFFF >> bit_count) + 3``
    (MS-OVBA 2.4.1.3.19.3), so long matches decode to garbage, and it is quadratic."""
    import ms_ovba.vbaProject as vba_project_mod
    import ms_ovba_crypto.ms_ovba_crypto as crypto_mod
    from ms_dtyp.filetime import Filetime
    from ms_ovba_compression.ms_ovba import MsOvba

    class ZeroFiletime(Filetime):
        # Filetime.from_msfiletime(0) goes through a 1601 POSIX timestamp, which
        # raises OSError on Windows; the value is zero anyway.
        @classmethod
        def from_msfiletime(cls, filetime: int) -> Filetime:
            if filetime != 0:
                raise BuildError("only zero FILETIMEs are used")
            return Filetime(1601, 1, 1)

    saved = (crypto_mod.random, vba_project_mod.Filetime)
    original_compress = MsOvba.compress
    MsOvba.compress = lambda self, data: compress(data)
    crypto_mod.random = random.Random(CRYPTO_SEED)
    vba_project_mod.Filetime = ZeroFiletime
    try:
        yield
    finally:
        MsOvba.compress = original_compress
        crypto_mod.random, vba_project_mod.Filetime = saved


@contextlib.contextmanager
def _in_temp_dir():
    # ms-ovba and ms-cfb write their intermediate files into the working directory.
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="perfeval_xl_vba_", ignore_cleanup_errors=True) as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


def write_vba_project(template: TemplateProject, modules: list[TemplateModule]) -> bytes:
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.module_base import ModuleBase
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.Models.Fields.doubleEncodedString import DoubleEncodedString
    from ms_ovba.Models.Fields.idSizeField import IdSizeField
    from ms_ovba.Models.Fields.packed_data import PackedData
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.dirStream import DirStream
    from ms_ovba.Views.project import Project
    from ms_ovba.Views.project_view import ProjectView
    from ms_ovba.Views.projectWm import ProjectWm

    if template.codepage != 1252:
        raise BuildError(f"template VBA code page is {template.codepage}, expected 1252")
    codec = "cp1252"

    class ClassModule(ModuleBase):
        # ms-ovba has no class modules: MODULETYPE 0x0022, "Class=" in PROJECT.
        def __init__(self, name: str) -> None:
            super().__init__(name)
            self.type = "Class"

        def pack(self, endien: str, cp_name: str) -> bytes:
            self.type = "Document"  # ModuleBase.pack writes 0x0022 for "Document"
            try:
                return super().pack(endien, cp_name)
            finally:
                self.type = "Class"

        def to_project_module_string(self) -> str:
            return "Class=" + self.modName.value

    class RawReferences:
        # The template's REFERENCE records (MSForms, Office), byte for byte.
        def __init__(self, data: bytes) -> None:
            self.data = data

        def pack(self, endien: str, cp_name: str) -> bytes:
            return self.data

    class OurDirStream(DirStream):
        def _load_information(self) -> list:
            version_major, version_minor = struct.unpack("<IH", template.version)
            return [
                IdSizeField(0x0001, 4, template.syskind),
                IdSizeField(0x0002, 4, template.lcid),
                IdSizeField(0x0014, 4, template.lcid_invoke),
                IdSizeField(0x0003, 2, template.codepage),
                IdSizeField(0x0004, len(VBA_PROJECT_NAME), VBA_PROJECT_NAME),
                DoubleEncodedString([0x0005, 0x0040], ""),
                DoubleEncodedString([0x0006, 0x003D], ""),
                IdSizeField(0x0007, 4, 0),
                IdSizeField(0x0008, 4, 0),
                IdSizeField(0x0009, 4, version_major),
                PackedData("H", version_minor),
                DoubleEncodedString([0x000C, 0x003C], ""),
            ]

    class OurProject(Project):
        def __str__(self) -> str:
            text = super().__str__()
            if text.count('Name="VBAProject"\r\n') != 1:
                raise BuildError("unexpected PROJECT stream layout from ms-ovba")
            return text.replace('Name="VBAProject"', f'Name="{VBA_PROJECT_NAME}"')

    with _ms_ovba_patched(), _in_temp_dir() as tmp:
        project = VbaProject()
        project.codepage_name = codec
        project.project_id = PROJECT_ID
        project.include_projectwm()
        project.add_attribute("VersionCompatible32", "393222000")
        project.add_reference(RawReferences(template.references))
        for m in modules:
            cls = {"document": DocModule, "class": ClassModule, "standard": StdModule}[m.kind]
            module = cls(m.name)
            module.add_file(m.name)
            (tmp / (m.name + ".new")).write_bytes(m.source)
            if m.docstring:
                module.docString = DoubleEncodedString([0x001C, 0x0048], m.docstring.decode(codec))
            project.add_module(module)

        # Same streams as ms_ovba.Views.project_ole_file.ProjectOleFile writes, with our views; our container.
        streams = {}
        for module in project.get_modules():
            module.write_file()
            streams[("VBA", module.name)] = Path(module.bin_path).read_bytes()
        OurDirStream(project).write_file()
        streams[("VBA", "dir")] = (tmp / "dir.bin").read_bytes()
        ProjectView(project).write_file()
        streams[("VBA", "_VBA_PROJECT")] = (tmp / "vba_project.bin").read_bytes()
        ProjectWm(project).write_file()
        streams[("PROJECTwm",)] = (tmp / "projectwm.bin").read_bytes()
        OurProject(project).write_file()
        streams[("PROJECT",)] = (tmp / "project.bin").read_bytes()
        data = write_cfb(streams)
    verify_vba_project(data, modules, template)
    return data


def verify_vba_project(data: bytes, modules: list[TemplateModule], template: TemplateProject) -> None:
    """Read the project back without ms-ovba and compare it with what went in."""
    import olefile

    ole = olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_POTENTIAL)
    try:
        expected = {("PROJECT",), ("PROJECTwm",), ("VBA", "dir"), ("VBA", "_VBA_PROJECT")}
        expected |= {("VBA", m.name) for m in modules}
        found = {tuple(p) for p in ole.listdir()}
        if found != expected:
            raise BuildError(f"vbaProject.bin streams: {sorted(found)} != {sorted(expected)}")
        dir_data = decompress(ole.openstream("VBA/dir").read())
        names = [p.decode("cp1252") for rid, p, _ in _records(dir_data) if rid == 0x0019]
        if names != [m.name for m in modules]:
            raise BuildError(f"dir stream lists modules {names}")
        if template.references not in dir_data:
            raise BuildError("dir stream lost the template's references")
        offsets = [struct.unpack("<I", p)[0] for rid, p, _ in _records(dir_data) if rid == 0x0031]
        if set(offsets) != {0}:
            raise BuildError("module streams must hold source only (offset 0)")
        for m in modules:
            if decompress(ole.openstream("VBA/" + m.name).read()) != m.source:
                raise BuildError(f"module {m.name} does not decompress to its source")
    finally:
        ole.close()


# --------------------------------------------------------------------------
# The package
# --------------------------------------------------------------------------
def template_path() -> Path:
    import xlwings

    if xlwings.__version__ != EXPECTED_XLWINGS_VERSION:
        raise BuildError(
            f"xlwings {xlwings.__version__} is installed, the add-in is built for "
            f"{EXPECTED_XLWINGS_VERSION} (its VBA must match the Python package)"
        )
    return Path(os.path.dirname(xlwings.__file__)) / TEMPLATE_NAME


def build_bytes(template: Path | None = None) -> bytes:
    template = Path(template) if template else template_path()
    with zipfile.ZipFile(template) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}

    tpl = read_template_project(parts["xl/vbaProject.bin"])
    kinds = {m.name: m.kind for m in tpl.modules}
    if kinds != TEMPLATE_MODULES or list(kinds) != list(TEMPLATE_MODULES):
        raise BuildError(f"unexpected modules in the template's VBA project: {kinds}")

    modules = []
    for m in tpl.modules:
        if m.name == "RibbonMyAddin":
            modules.append(TemplateModule(RIBBON_MODULE, "standard", read_ribbon_module(), b""))
        elif m.name == "xlwings":
            modules.append(TemplateModule(m.name, m.kind, patch_xlwings_module(m.source), m.docstring))
        else:
            modules.append(m)
    modules += server_client_modules()
    modules.append(TemplateModule(ACTIONS_MODULE, "standard", read_src_module(ACTIONS_MODULE), b""))
    parts["xl/vbaProject.bin"] = write_vba_project(tpl, modules)

    custom_ui = (SRC_DIR / "customUI.xml").read_bytes()
    for on_action, _tag in ribbon_callbacks(custom_ui):
        if on_action != f"{RIBBON_MODULE}.OnButton":
            raise BuildError(f"customUI onAction {on_action!r} has no VBA sub")
    parts["customUI/customUI.xml"] = custom_ui
    parts["_rels/.rels"] = fix_custom_ui_relationship(parts["_rels/.rels"], custom_ui)

    workbook = parts["xl/workbook.xml"]
    old = f'name="{TEMPLATE_CONFIG_SHEET}"'.encode()
    if workbook.count(old) != 1:
        raise BuildError("config sheet of the template not found in xl/workbook.xml")
    parts["xl/workbook.xml"] = workbook.replace(old, f'name="{CONFIG_SHEET}"'.encode())
    write_config_sheet(parts)

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name in sorted(parts):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 0  # "MS-DOS", independent of the building OS
            info.external_attr = 0
            zf.writestr(info, parts[name])
    return out.getvalue()


def fix_custom_ui_relationship(rels: bytes, custom_ui: bytes) -> bytes:
    """Give the ribbon part the relationship type that matches its XML namespace."""
    import xml.etree.ElementTree as ET

    namespace = ET.fromstring(custom_ui).tag.partition("}")[0].lstrip("{")
    wanted = CUSTOM_UI_RELATIONSHIPS.get(namespace)
    if wanted is None:
        raise BuildError(f"customUI.xml: unknown ribbon namespace {namespace!r}")
    found = re.findall(rb'Type="([^"]*/relationships/ui/extensibility)" Target="customUI/customUI.xml"', rels)
    if len(found) != 1:
        raise BuildError("_rels/.rels: no single relationship to customUI/customUI.xml")
    return rels.replace(found[0], wanted.encode())


def write_config_sheet(parts: dict[str, bytes]) -> None:
    """The config sheet gets our keys only (perfeval_xl.addin_build.config_sheet_entries, no service address).
    The template's rows (Interpreter_Win, UDF Modules… mostly blank) must go: in an active sheet a blank value
    hides the user's config file. Its shared strings are then unused and emptied."""
    sys.path.insert(0, str(HERE.parent))  # this checkout's perfeval_xl, also when run as a script
    try:
        from perfeval_xl.addin_build import config_sheet_entries, write_config_sheet as write_sheet
    finally:
        sys.path.pop(0)
    sheet = "xl/worksheets/sheet1.xml"
    if b'<sheetPr codeName="Sheet2"' not in parts[sheet]:
        raise BuildError("the template's config sheet is not xl/worksheets/sheet1.xml")
    parts[sheet] = write_sheet(parts[sheet], config_sheet_entries())
    parts["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>'
    )


def build(output: Path | str = DEFAULT_OUTPUT, template: Path | None = None) -> Path:
    output = Path(output)
    data = build_bytes(template)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="only compare with --output")
    args = parser.parse_args(argv)
    outputs = [args.output] + ([PACKAGE_COPY] if args.output == DEFAULT_OUTPUT else [])
    if args.check:
        fresh = build_bytes()
        stale = [o for o in outputs if not o.exists() or o.read_bytes() != fresh]
        for output in stale:
            print(f"{output} is out of date: run python addin/build_addin.py", file=sys.stderr)
        if not stale:
            print("up to date: " + ", ".join(str(o) for o in outputs))
        return 1 if stale else 0
    for output in outputs:
        path = build(output)
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
