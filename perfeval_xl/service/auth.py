"""Optional token auth. The bureau keeps the tokens in a plain text file and edits it; the service reads it again
whenever it changes, so adding or withdrawing a token needs no restart.

File format: one token a line; anything after the first space or tab is a note (who has it); `#` starts a comment
line. A client sends `Authorization: Bearer <token>` (the page) or the bare token (xlwings' VBA client sends its
`auth:=` argument as the header's value).
"""

from __future__ import annotations

import hmac
import threading
from pathlib import Path

from fastapi import Request

from .errors import ServiceError

MISSING = "需要访问口令：请在页面上方填写财政局提供的访问口令（加载项则由下载时自动配置）。"
WRONG = "访问口令不正确或已停用：请向财政局信息科索取新的口令，或重新下载 Excel 加载项。"


class TokenFile:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._stamp: tuple[int, int] | None = None
        self._tokens: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self.tokens()  # a missing file is an error at start, not a silent open door

    def tokens(self) -> frozenset[str]:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp != self._stamp:
                lines = self.path.read_text(encoding="utf-8-sig").splitlines()
                self._tokens = frozenset(line.split()[0] for line in lines
                                         if line.strip() and not line.lstrip().startswith("#"))
                self._stamp = stamp
            return self._tokens

    def accepts(self, token: str) -> bool:
        try:
            known = self.tokens()
        except OSError:
            return False  # the file went away: refuse everyone rather than open the door
        # Compare with every token in constant time so the answer's timing tells nothing.
        return any([hmac.compare_digest(token.encode(), known_token.encode()) for known_token in known])


def presented_token(request: Request) -> str:
    header = request.headers.get("authorization", "").strip()
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return header


async def require_token(request: Request) -> str | None:
    """Dependency for every route that takes files or gives the add-in: the token presented, or None when the
    service needs none. Raises 401 in Chinese otherwise."""
    token_file: TokenFile | None = request.app.state.token_file
    if token_file is None:
        return None
    token = presented_token(request)
    if not token:
        raise ServiceError(401, MISSING)
    if not token_file.accepts(token):
        raise ServiceError(401, WRONG)
    return token
