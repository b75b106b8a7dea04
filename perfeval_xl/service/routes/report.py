"""POST /api/v1/report: the records /api/v1/check returned (JSON list) in, 校验报告.md out: the report
`check --output` writes beside the scored workbooks (report.markdown_report), for the page's download button."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Request

from ...report import REPORT_NAME, markdown_report
from ..auth import require_token
from ..deps import attachment
from ..errors import ServiceError

router = APIRouter(dependencies=[Depends(require_token)])

BAD_RECORDS = "校验报告需要“校验”返回的结果列表；请先在页面上校验文件，再下载校验报告。"


@router.post("/api/v1/report")
async def report(request: Request):
    try:
        records = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(422, BAD_RECORDS) from None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "file" in r for r in records):
        raise ServiceError(422, BAD_RECORDS)
    try:
        text = markdown_report(records)
    except (KeyError, TypeError, ValueError, AttributeError):  # records not shaped as /api/v1/check makes them
        raise ServiceError(422, BAD_RECORDS) from None
    return attachment(text.encode("utf-8"), REPORT_NAME, "text/markdown; charset=utf-8")
