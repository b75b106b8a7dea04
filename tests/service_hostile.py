"""Hostile workbooks for the service's safety tests, built from an example: a zip bomb, an XML entity attack
(XXE and billion laughs) and a far-corner cell. Each is small on the wire."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from service_support import EXAMPLES

SHEET = "xl/worksheets/sheet1.xml"


def _rezip(replace) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(EXAMPLES[0]) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(zipfile.ZipInfo(info.filename, info.date_time), replace(info.filename, data),
                         compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def zip_bomb(megabytes: int = 400) -> bytes:
    """The sheet's XML blown up to `megabytes` of real cells (rows without numbers, which the format allows); the
    repetition compresses about 1000 to 1, so it is well under a megabyte on the wire."""
    row = b"<row>" + b"<c><v>1</v></c>" * 50 + b"</row>"
    block = row * (2**20 // len(row))
    out = io.BytesIO()
    with zipfile.ZipFile(EXAMPLES[0]) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename != SHEET:
                dst.writestr(zipfile.ZipInfo(info.filename, info.date_time), data, compress_type=zipfile.ZIP_DEFLATED)
                continue
            head, _, tail = data.partition(b"</sheetData>")
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(entry, "w", force_zip64=True) as part:
                part.write(head)
                for _ in range(megabytes):
                    part.write(block)
                part.write(b"</sheetData>" + tail)
    return out.getvalue()


def entity_attack() -> bytes:
    """A DOCTYPE with an external entity (XXE on /etc/passwd) and nested entities (billion laughs)."""
    doctype = (b'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
               b'<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
               b'<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
               b'<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">'
               b'<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>\n')

    def replace(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        data = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", data)
        data = data.replace(b"</sheetData>", b'<row r="900"><c r="A900" t="inlineStr"><is><t>&xxe;&i;</t></is></c></row>'
                                             b"</sheetData>")
        return doctype + data
    return _rezip(replace)


def far_corner() -> bytes:
    """One cell at XFD1048576, the sheet's last, and a <dimension> claiming the whole sheet."""
    def replace(name: str, data: bytes) -> bytes:
        if name != SHEET:
            return data
        data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
        return data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>')
    return _rezip(replace)


def write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"zip-bomb": zip_bomb(), "entities": entity_attack(), "far-corner": far_corner()}
    paths = {}
    for kind, data in files.items():
        paths[kind] = folder / f"{kind}.xlsx"
        paths[kind].write_bytes(data)
    return paths
