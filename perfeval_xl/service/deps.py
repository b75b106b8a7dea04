"""Named dependencies shared by the routes: settings, the 评分口径 and 表样 a client may choose."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Query, Request, Response

from ..model import family_ids
from ..policy import shipped_policy_names
from .errors import ServiceError
from .jobs import json_bytes
from .settings import Settings


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


async def chosen_policy(request: Request, policy: str | None = Query(None, description="内置评分口径名称")) -> str | None:
    """A client may pick a shipped 评分口径 by name, never a file: the operator's --policy is the default."""
    if policy in (None, ""):
        return settings_of(request).policy
    if policy not in shipped_policy_names():
        raise ServiceError(422, f"评分口径“{policy[:40]}”不是内置口径；可选：{'、'.join(shipped_policy_names())}。")
    return policy


async def chosen_family(family: str | None = Query(None, description="表样（默认自动识别）")) -> str | None:
    if family in (None, ""):
        return None
    if family not in family_ids():
        raise ServiceError(422, f"表样“{family[:40]}”不存在；可选：{'、'.join(family_ids())}。")
    return family


def json_response(data) -> Response:
    """JSON as `check --json` writes it (jobs.json_bytes, as the workers encode), without the framework's re-encoding."""
    return Response(json_bytes(data), media_type="application/json")


def attachment(data: bytes, filename: str, media_type: str) -> Response:
    """A download with its Chinese file name (RFC 6266 filename* plus an ASCII fallback)."""
    fallback = "".join(ch if ch.isascii() and ch.isalnum() or ch in "._-" else "_" for ch in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
