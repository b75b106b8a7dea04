"""POST /api/v1/check: one or many workbooks (multipart field `files`) in, `check --json`'s list out.

A file that cannot be read is an entry with its Chinese error (as in `check --json`), not a failed request; so is a
file that made its worker run over the time or memory cap.

The uploads go to the workers as bytes (no temporary file) and each worker returns its record already encoded: the
server process only parses the multipart body and joins the records, the part of a request that no extra worker
can take over.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile

from ...summary import failure_record
from ..auth import require_token
from ..deps import chosen_family, chosen_policy, settings_of
from ..errors import ServiceError
from ..jobs import check_job, json_bytes
from ..pool import WorkerLimitError, run
from ..uploads import UniqueNames, keep_uploads, safe_name

router = APIRouter(dependencies=[Depends(require_token)])


async def read_uploads(request: Request, files: list[UploadFile]) -> list[tuple[str | None, bytes]]:
    limit = settings_of(request).max_files
    if len(files) > limit:
        raise ServiceError(413, f"一次最多上传 {limit} 个文件，本次有 {len(files)} 个；请分几次上传。")
    return [(upload.filename, await upload.read()) for upload in files]


async def checked_record(request: Request, name: str, data: bytes, policy, family) -> bytes:
    try:
        return await run(request, check_job, name, data, policy, family, name=name)
    except WorkerLimitError as exc:
        return json_bytes(failure_record(name, str(exc)))


@router.post("/api/v1/check")
async def check(request: Request, files: list[UploadFile] = File(...), policy: str | None = Depends(chosen_policy),
                family: str | None = Depends(chosen_family)):
    names = UniqueNames()
    uploads = [(names.unique(safe_name(name)), data) for name, data in await read_uploads(request, files)]
    keep_uploads(settings_of(request), uploads)
    records = await asyncio.gather(*(checked_record(request, name, data, policy, family) for name, data in uploads))
    return Response(b"[" + b", ".join(records) + b"]", media_type="application/json")
