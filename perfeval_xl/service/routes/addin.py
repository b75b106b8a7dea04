"""GET /addin: the Excel add-in, preconfigured with this service's address (and the caller's token), zipped with its
install and uninstall scripts (addin_build.build_addin_download, issue #9 part 3)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from ..auth import require_token
from ..deps import attachment, settings_of
from ..errors import ServiceError

router = APIRouter()
ADDIN_ZIP = "绩效自评加载项.zip"


@router.get("/addin")
async def addin(request: Request, token: str | None = Depends(require_token)):
    try:
        from ...addin_build import build_addin_download
    except ImportError:
        raise ServiceError(503, "此版本的服务还不能提供预配置的 Excel 加载项，请联系财政局信息科。") from None
    server_url = settings_of(request).public_url or str(request.base_url)
    data = await run_in_threadpool(build_addin_download, server_url.rstrip("/"), token)
    return attachment(data, ADDIN_ZIP, "application/zip")
