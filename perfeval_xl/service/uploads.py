"""Uploaded files on disk, for exactly as long as their request runs (routes that write a workbook back or unpack a
zip; the check route hands the bytes to a worker and never writes them).

No client string reaches a path as it was sent: a file name keeps only its last component, loses control characters,
NUL and the characters Windows forbids, and is made unique inside the request's own temporary folder. The folder is
removed when the response is ready, whatever happened (also when a worker was stopped for running over its limits),
unless the operator asked to keep uploads (a copy then goes to `uploads_dir`).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Iterator

from ..cli import WORKBOOK_SUFFIXES
from ..grid import FormReadError
from .settings import Settings

DEFAULT_NAME = "工作簿.xlsx"
_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
MAX_NAME_LENGTH = 120
# Names Windows keeps for devices, whatever the extension (the service may run on Windows Server).
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}


def safe_name(client_name: str | None, default: str = DEFAULT_NAME) -> str:
    """The name a file is shown and stored under: its last path component, without anything a file system or a
    reader could trip over. `../../x.xlsx` → `x.xlsx`, `C:\\a\\b.xlsx` → `b.xlsx`, `a\\x00b.xlsx` → `ab.xlsx`."""
    name = (client_name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _FORBIDDEN.sub("", name).strip().lstrip(".").rstrip(". ").strip()  # Windows drops trailing dots and spaces
    if not name:
        return default
    if name.split(".", 1)[0].strip().upper() in _WINDOWS_DEVICES:
        name = "_" + name
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        name = (stem[:MAX_NAME_LENGTH - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 8 else name[:MAX_NAME_LENGTH]
    return name


class UniqueNames:
    """Names not yet taken in one folder (case-insensitive, as on Windows): `a.xlsx`, then `a（2）.xlsx`…"""

    def __init__(self, taken=()) -> None:
        self._taken = {name.lower() for name in taken}

    def unique(self, name: str) -> str:
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        candidate, n = name, 1
        while candidate.lower() in self._taken:
            n += 1
            candidate = f"{stem}（{n}）{dot}{suffix}"
        self._taken.add(candidate.lower())
        return candidate


class Workspace(UniqueNames):
    """A request's temporary folder: what the client sent goes into `folder` itself, what we write into `out`
    (made by the writer when needed: a directory less to create and remove per request counts on a busy service).
    `add(name, data)` stores an upload under a unique safe name and returns its path."""

    def __init__(self, folder: Path, reserved: tuple[str, ...] = ()) -> None:
        super().__init__(tuple(reserved) + ("out",))
        self.folder, self.out = folder, folder / "out"

    def add(self, client_name: str | None, data: bytes) -> Path:
        path = self.folder / self.unique(safe_name(client_name))
        path.write_bytes(data)
        return path


@contextmanager
def workspace(settings: Settings, reserved: tuple[str, ...] = ()) -> Iterator[Workspace]:
    folder = Path(tempfile.mkdtemp(prefix="perfeval-xl-", dir=settings.work_dir))
    try:
        yield Workspace(folder, reserved)
    finally:
        try:
            if settings.keep_uploads:
                _keep(folder, settings.uploads_dir, reserved)
        finally:
            shutil.rmtree(folder, ignore_errors=True)


def _keep(folder: Path, uploads_dir: Path, reserved: tuple[str, ...]) -> None:
    """Copy what the client sent to uploads_dir/<date>/<request id>/ (the operator asked to keep uploads)."""
    _store(uploads_dir, [(p.name, p.read_bytes()) for p in folder.iterdir() if p.is_file() and p.name not in reserved])


def keep_uploads(settings: Settings, uploads: list[tuple[str, bytes]]) -> None:
    """For a route that never writes its uploads to disk: keep them as the workspace does, if the operator asked.
    `uploads` are (safe unique name, bytes)."""
    if settings.keep_uploads:
        _store(settings.uploads_dir, uploads)


def _store(uploads_dir: Path, files: list[tuple[str, bytes]]) -> None:
    """Files into uploads_dir/<date>/<request id>/ under their (already safe and unique) names."""
    if files:
        target = Path(uploads_dir) / datetime.now().strftime("%Y-%m-%d") / uuid.uuid4().hex
        target.mkdir(parents=True, exist_ok=True)
        for name, data in files:
            (target / name).write_bytes(data)


# --- A zip of workbooks (POST /api/v1/summary) ------------------------------------------------------------------


class ZipRejected(FormReadError):
    """An uploaded zip of workbooks that we will not unpack; str() is the Chinese reason."""


class ZipTooLarge(ZipRejected):
    """The zip holds more files, or unpacks to more bytes, than a request may bring (413)."""


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:  # no UTF-8 flag: Windows' "send to compressed folder" writes GBK names
        try:
            name = name.encode("cp437").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def unpack_workbooks(zip_path: str, folder: str, taken: list[str], max_files: int, max_file_bytes: int,
                     max_total_bytes: int) -> list[str]:
    """Unpack the workbooks of an uploaded zip into `folder` (flat, safe unique names); a worker job. Bounded: at most
    `max_files` entries, each at most `max_file_bytes` and all together at most `max_total_bytes` unpacked, counted
    while reading (a zip's declared sizes can lie). Returns the paths written."""
    display = Path(zip_path).name
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError):
        raise ZipRejected(f"{display}：不是有效的 zip 压缩包，也不是工作簿。请直接上传 .xlsx 文件，或重新压缩后再试。") from None
    space = UniqueNames(taken)
    written: list[str] = []
    total = 0
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > max_files:
            raise ZipTooLarge(f"{display}：压缩包中有 {len(members)} 个文件，超过每次 {max_files} 个的上限；请分几次上传。")
        for info in members:
            name = _member_name(info)
            parts = PurePosixPath(name.replace("\\", "/")).parts
            base = parts[-1] if parts else ""
            if (not base or "__MACOSX" in parts or base.startswith(("~$", ".")) or ".bak" in base
                    or Path(base).suffix.lower() not in WORKBOOK_SUFFIXES):
                continue
            if info.file_size > max_file_bytes:
                raise ZipTooLarge(f"{display}：其中的 {safe_name(base)} 解压后超过 {max_file_bytes // 2**20} MB，不像是一份自评表。")
            path = Path(folder) / space.unique(safe_name(base))
            size = 0
            try:
                with archive.open(info) as src, open(path, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        size += len(chunk)
                        total += len(chunk)
                        if size > max_file_bytes or total > max_total_bytes:
                            raise ZipTooLarge(f"{display}：解压后的内容超过上限（单个文件 {max_file_bytes // 2**20} MB，"
                                              f"合计 {max_total_bytes // 2**20} MB）；请分几次上传。")
                        dst.write(chunk)
            except ZipRejected:
                path.unlink(missing_ok=True)
                raise
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
                raise ZipRejected(f"{display}：其中的 {safe_name(base)} 无法解压（压缩包损坏或已加密）。") from None
            written.append(str(path))
    if not written:
        raise ZipRejected(f"{display}：压缩包中没有工作簿（.xlsx 等）。")
    return written
