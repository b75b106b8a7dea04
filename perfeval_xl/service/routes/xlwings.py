"""POST /api/v1/xlwings/{entry}: the Excel add-in's 校验并计分 and 清除标记 in server mode (xlwings' VBA client,
RunServerPython). The payload is the client's JSON; our side of the protocol (xlwings_protocol.handle) turns it into
the actions the client applies, in the worker pool like every other file job."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from ..auth import require_token
from ..errors import ServiceError
from ..jobs import xlwings_job
from ..pool import WorkerLimitError, run

router = APIRouter(dependencies=[Depends(require_token)])

ENTRIES = ("main", "clear_marks")


@router.post("/api/v1/xlwings/{entry}")
async def xlwings_entry(request: Request, entry: str):
    if entry not in ENTRIES:
        raise ServiceError(404, f"加载项调用的功能“{entry[:40]}”不存在。请从服务首页重新下载 Excel 加载项。")
    try:
        status, result = await run(request, xlwings_job, entry, await request.body(), name="加载项发来的工作簿")
    except WorkerLimitError as exc:
        raise ServiceError(422, str(exc)) from None
    if status != 200:
        raise ServiceError(status, result)
    return Response(result, media_type="application/json")
