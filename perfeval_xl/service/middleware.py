"""Pure ASGI middleware: the request body limit, enforced before any parsing, and the page's security headers.

The limit is checked twice: a Content-Length above it is answered 413 before one byte of the body is read; a body
without one (chunked) is counted as it streams, and the moment it passes the limit the request is answered 413 and
nothing more is read. Only then does multipart or JSON parsing see the body.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException

from .errors import STATUS_MESSAGES, error_body, from_vba_client

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    # Everything the page uses is served from here: no CDN, no inline script.
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
                                 b"base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
]


class BodyTooLarge(HTTPException):
    """Raised from receive() when a streamed body passes the limit. An HTTPException, so that the framework's body
    parsing passes it on as it is (it turns other exceptions into a 400) and its handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return (f"{STATUS_MESSAGES[413]}本服务每次最多接收 {limit / 2**20:g} MB；请分几次上传，或把文件在 Excel 中另存后再试"
            f"（去掉图片等无关内容）。")


class BodyLimitMiddleware:
    def __init__(self, app, max_body_bytes: int) -> None:
        self.app, self.limit = app, max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def send_with_headers(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            return await _reject(send_with_headers, self.limit, scope)
        received = 0

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        try:
            await self.app(scope, counting_receive, send_with_headers)
        except BodyTooLarge:
            if not started:
                await _reject(send_with_headers, self.limit, scope)


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _reject(send, limit: int, scope) -> None:
    body, media_type = error_body(413, too_large_message(limit), from_vba_client(scope.get("headers", [])))
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", media_type.encode()), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
