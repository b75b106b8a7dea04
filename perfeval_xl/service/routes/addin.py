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
    from ...addin_build import AddinBuildError, build_addin_download

    server_url = settings_of(request).public_url or str(request.base_url)
    try:
        data = await run_in_threadpool(build_addin_download, server_url.rstrip("/"), token)
    except AddinBuildError as exc:  # a --public-url or a token the add-in cannot carry: the operator must fix it
        raise ServiceError(500, f"无法生成加载项：{exc} 请联系财政局信息科（检查服务的 --public-url 和访问口令文件）。") from None
    return attachment(data, ADDIN_ZIP, "application/zip")
