"""POST /api/v1/scored: one workbook (multipart field `file`) in, the scored workbook out: the same bytes
`perfeval-xl check --output` writes for it (filled cells, marks, notes, the 校验结果 sheet)."""

from __future__ import annotations

import mimetypes

from fastapi import APIRouter, Depends, File, Request, UploadFile

from ...grid import FormReadError
from ..auth import require_token
from ..deps import XLSX, attachment, chosen_family, chosen_policy, settings_of
from ..errors import ServiceError
from ..jobs import scored_job
from ..pool import run
from ..uploads import workspace

router = APIRouter(dependencies=[Depends(require_token)])


@router.post("/api/v1/scored")
async def scored(request: Request, file: UploadFile = File(...), policy: str | None = Depends(chosen_policy),
                 family: str | None = Depends(chosen_family)):
    data = await file.read()
    with workspace(settings_of(request)) as space:
        source = space.add(file.filename, data)
        dest = space.out / source.name
        try:
            await run(request, scored_job, str(source), str(dest), policy, family, name=source.name)
        except FormReadError as exc:  # unreadable, or over the worker's time or memory cap
            raise ServiceError(422, str(exc)) from None
        result = dest.read_bytes()
    media_type = XLSX if source.suffix.lower() == ".xlsx" else mimetypes.guess_type(source.name)[0] or XLSX
    return attachment(result, source.name, media_type)
