"""GET /: the page for WPS users and anyone with a browser. Plain HTML and JavaScript from static/, no build step,
nothing loaded from outside (the page works on an intranet without internet)."""

from __future__ import annotations

import html
import json
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ...policy import shipped_policy_names
from ...writeback import SEVERITY_LABEL
from ..deps import settings_of
from ..version import versions

router = APIRouter()


def page_html() -> str:
    return (resources.files("perfeval_xl.service") / "static" / "index.html").read_text(encoding="utf-8")


@router.get("/", response_class=HTMLResponse)
def page(request: Request) -> HTMLResponse:
    settings = settings_of(request)
    config = {"auth": request.app.state.token_file is not None, "templates": list(request.app.state.templates),
              "max_body_mb": round(settings.max_body_bytes / 2**20, 1), "policies": shipped_policy_names(),
              "severity": SEVERITY_LABEL,
              **versions()}
    # Data for the page's script, inert (type application/json): the page's script reads it, nothing executes it.
    blob = html.escape(json.dumps(config, ensure_ascii=False), quote=False)
    return HTMLResponse(page_html().replace("<!--CONFIG-->", blob), headers={"Cache-Control": "no-store"})
