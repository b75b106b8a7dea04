"""GET /templates and GET /templates/{name}: the blank templates, so the bureau distributes them from one place.

Only the shipped templates can be named (the name is looked up, never joined to a path). They come from
workbook_templates/ beside the package, or, where that folder is not installed, are built once at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable
from urllib.parse import quote

from fastapi import APIRouter, Request

from ..deps import XLSX, attachment, json_response
from ..errors import ServiceError

router = APIRouter()


def template_files(cache_dir: Callable[[], Path]) -> dict[str, Path]:
    """{file name: path} of every family's blank template; `cache_dir()` gives a folder to build them in when the
    shipped ones are not installed."""
    from ...model import family_ids
    from ...template_builder import load_family, template_path, write_templates

    # Only families with a blank template of their own (the printed layouts recognised by labels have none).
    paths = {template_path(f).name: template_path(f) for f in family_ids() if load_family(f).get("template_file")}
    if not all(path.is_file() for path in paths.values()):
        built = {path.name: path for path in write_templates(cache_dir())}
        paths = {name: built.get(name, path) for name, path in paths.items()}
    return {name: path for name, path in paths.items() if path.is_file()}


@router.get("/templates")
def list_templates(request: Request):
    return json_response([{"name": name, "url": f"/templates/{quote(name)}"} for name in request.app.state.templates])


@router.get("/templates/{name}")
def template(request: Request, name: str):
    path = request.app.state.templates.get(name)
    if path is None:
        raise ServiceError(404, f"没有名为“{name[:60]}”的模板。可下载：{'、'.join(request.app.state.templates)}。")
    return attachment(path.read_bytes(), name, XLSX)
