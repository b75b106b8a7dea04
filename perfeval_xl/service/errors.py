"""Every error a client sees: a Chinese sentence in `{"detail": …}` with the status that fits its meaning.

One exception: the Excel add-in's VBA client (xlwings' Remote.bas over VBA-Web) shows an error body as it is in a
message box, so it gets the sentence as plain text (UTF-8, which VBA-Web assumes) instead of JSON around it. It is
recognised by VBA-Web's User-Agent; it sends `Accept: application/json` for every call, so Accept cannot tell.

Handlers cover our own ServiceError, the framework's HTTP errors (404, 405…), request validation (422) and anything
unexpected (500). No traceback or English exception text ever reaches a client; the log gets the exception's type and
where it happened, never its message (a message may quote a cell of someone's form).
"""

from __future__ import annotations

import json
import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("perfeval_xl.service")

STATUS_MESSAGES = {
    400: "请求的格式不对，无法解析。请从服务首页或 Excel 加载项上传。",
    401: "需要访问口令：请在页面上填写财政局提供的访问口令，或在加载项中配置。",
    403: "没有权限访问。",
    404: "找不到这个地址。请从服务首页打开。",
    405: "此地址不支持这种请求方式。",
    413: "上传的内容太大。",
    415: "不支持这种内容格式。",
    422: "请求的内容无法处理。",
    500: "服务内部出错，请稍后再试；如果一直出错，请联系财政局信息科。",
    503: "服务正忙或正在重启，请稍后再试。",
}


class ServiceError(Exception):
    """An error with its status and a Chinese message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


VBA_CLIENT_AGENT = b"VBA-Web "  # WebHelpers.bas: WebUserAgent = "VBA-Web v4.1.6 (https://github.com/VBA-tools/VBA-Web)"


def from_vba_client(scope_headers) -> bool:
    """The request comes from the add-in's VBA client (raw ASGI headers: a list of (name, value) bytes pairs)."""
    return any(name == b"user-agent" and value.startswith(VBA_CLIENT_AGENT) for name, value in scope_headers)


def error_body(status: int, message: str | None, plain: bool) -> tuple[bytes, str]:
    """The body and its media type: {"detail": message} as JSON, or (for the VBA client) the message itself."""
    text = message or STATUS_MESSAGES.get(status, STATUS_MESSAGES[500])
    if plain:
        return text.encode("utf-8"), "text/plain; charset=utf-8"
    return json.dumps({"detail": text}, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), "application/json"


def error_response(status: int, message: str | None = None, headers: dict | None = None,
                   request: Request | None = None) -> Response:
    body, media_type = error_body(status, message, request is not None and from_vba_client(request.scope["headers"]))
    return Response(body, status_code=status, headers=headers, media_type=media_type)


def _where(exc: BaseException) -> str:
    """Type and frames of an exception without its message (which may quote cell contents)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{type(exc).__name__} at " + " <- ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno}" for f in frames[::-1][:6])


class NoExceptionText(logging.Filter):
    """For the server's own logger: Starlette re-raises every unexpected exception after our 500 answer so that the
    server logs it, with its traceback and message. Keep where it happened, drop what it said."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg, record.args = f"{record.getMessage()}: {_where(record.exc_info[1])}", ()
            record.exc_info, record.exc_text = None, None
        return True


def quiet_server_logs() -> None:
    for name in ("uvicorn.error", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, NoExceptionText) for f in logger.filters):
            logger.addFilter(NoExceptionText())


def _validation_message(exc: RequestValidationError) -> str:
    missing = [str(error.get("loc", ["", ""])[-1]) for error in exc.errors() if error.get("type") == "missing"]
    if "files" in missing:
        return "没有收到文件：请选择一个或多个工作簿（表单字段 files）再上传。"
    if missing:
        return f"请求缺少必填项：{'、'.join(missing)}。"
    return "请求格式不对，无法处理。请从服务首页或加载项发送。"


def install_handlers(app: FastAPI) -> None:
    quiet_server_logs()
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.message, headers, request)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # Our own code raises ServiceError; these come from the framework with English details: use ours. The body
        # limit's 413 is an HTTPException too (see middleware.BodyTooLarge) and carries its Chinese sentence.
        from .middleware import BodyTooLarge

        message = exc.detail if isinstance(exc, BodyTooLarge) else None
        return error_response(exc.status_code, message, getattr(exc, "headers", None), request)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return error_response(422, _validation_message(exc), request=request)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s: %s", request.method, request.url.path, _where(exc))
        return error_response(500, request=request)
