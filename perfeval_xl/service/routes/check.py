"""POST /api/v1/check: one or many workbooks (multipart field `files`) in, `check --json`'s list out.

A file that cannot be read is an entry with its Chinese error (as in `check --json`), not a failed request; so is a
file that made its worker run over the time or memory cap.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, File, Request, UploadFile

from ...summary import failure_record
from ..auth import require_token
from ..deps import chosen_family, chosen_policy, json_response, settings_of
from ..errors import ServiceError
from ..jobs import check_job
from ..pool import WorkerLimitError, run
from ..uploads import workspace

router = APIRouter(dependencies=[Depends(require_token)])


async def read_uploads(request: Request, files: list[UploadFile]) -> list[tuple[str | None, bytes]]:
    limit = settings_of(request).max_files
    if len(files) > limit:
        raise ServiceError(413, f"一次最多上传 {limit} 个文件，本次有 {len(files)} 个；请分几次上传。")
    return [(upload.filename, await upload.read()) for upload in files]


async def checked_record(request: Request, path, policy, family) -> dict:
    try:
        return await run(request, check_job, str(path), policy, family, name=path.name)
    except WorkerLimitError as exc:
        return failure_record(path.name, str(exc))


@router.post("/api/v1/check")
async def check(request: Request, files: list[UploadFile] = File(...), policy: str | None = Depends(chosen_policy),
                family: str | None = Depends(chosen_family)):
    uploads = await read_uploads(request, files)
    with workspace(settings_of(request)) as space:
        paths = [space.add(name, data) for name, data in uploads]
        records = await asyncio.gather(*(checked_record(request, path, policy, family) for path in paths))
    return json_response(list(records))
