"""GET /healthz: for the proxy's and the service manager's health checks. No auth, no file work."""

from __future__ import annotations

from fastapi import APIRouter

from ..version import versions

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict:
    return {"status": "ok", **versions()}
