"""POST /api/v1/summary: many workbooks, or one zip of them (multipart field `files`), in; 汇总.xlsx out, as
`perfeval-xl summary` writes it. Every file is checked in the worker pool; one that cannot be read, or that runs its
worker over the cap, is a 读取失败 row. A zip is untrusted too: it is unpacked in a worker, bounded in entries and
sizes (uploads.unpack_workbooks)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile

from ...summary import failure_record
from ..auth import require_token
from ..deps import XLSX, attachment, chosen_family, chosen_policy, settings_of
from ..errors import ServiceError
from ..jobs import summary_check_job, summary_write_job
from ..pool import WorkerLimitError, run
from ..uploads import ZipRejected, ZipTooLarge, unpack_workbooks, workspace
from .check import read_uploads

router = APIRouter(dependencies=[Depends(require_token)])

SUMMARY_NAME = "汇总.xlsx"


async def _record(request: Request, path: Path, policy, family) -> dict:
    try:
        return await run(request, summary_check_job, str(path), policy, family, name=path.name)
    except WorkerLimitError as exc:
        return failure_record(path, str(exc))


@router.post("/api/v1/summary")
async def summary(request: Request, files: list[UploadFile] = File(...), policy: str | None = Depends(chosen_policy),
                  family: str | None = Depends(chosen_family)):
    settings = settings_of(request)
    uploads = await read_uploads(request, files)
    with workspace(settings, reserved=(SUMMARY_NAME,)) as space:
        paths: list[Path] = []
        for name, data in uploads:
            path = space.add(name, data)
            if path.suffix.lower() != ".zip":
                paths.append(path)
                continue
            try:
                taken = [p.name for p in space.folder.iterdir()] + [SUMMARY_NAME, "out"]
                unpacked = await run(request, unpack_workbooks, str(path), str(space.folder), taken, settings.max_files,
                                     settings.max_body_bytes, settings.max_unzipped_bytes, name=path.name)
            except ZipRejected as exc:
                raise ServiceError(413 if isinstance(exc, ZipTooLarge) else 422, str(exc)) from None
            except WorkerLimitError as exc:
                raise ServiceError(422, str(exc)) from None
            paths += [Path(p) for p in unpacked]
            path.unlink()  # the zip itself is not a form of the summary
        if len(paths) > settings.max_files:
            raise ServiceError(413, f"一次最多汇总 {settings.max_files} 个文件，本次有 {len(paths)} 个；请分几次上传。")
        records = await asyncio.gather(*(_record(request, path, policy, family) for path in paths))
        dest = space.folder / SUMMARY_NAME  # beside the forms: its links point at the files by their names
        try:
            await run(request, summary_write_job, list(records), str(dest), policy, name=SUMMARY_NAME)
        except WorkerLimitError as exc:
            raise ServiceError(500, str(exc)) from None
        result = dest.read_bytes()
    return attachment(result, SUMMARY_NAME, XLSX)
