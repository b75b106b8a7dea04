"""`create_app(settings)`: the service's ASGI app. Tests build it with their own settings; gunicorn can call
`perfeval_xl.service.app:create_app()` (settings from PERFEVAL_XL_* variables)."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from contextlib import ExitStack, asynccontextmanager
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from .auth import TokenFile
from .errors import install_handlers
from .middleware import BodyLimitMiddleware
from .pool import LimitedPool
from .routes import addin, check, health, page, report, scored, summary, templates, xlwings
from .settings import Settings

log = logging.getLogger("perfeval_xl.service")


async def _start_workers(pool: LimitedPool, workers: int, seconds: float = 120.0) -> None:
    """Start every worker before the first request: the first clerk does not wait for it, and a pool that cannot
    start its processes (no fork server socket, no memory) stops the service at start instead of leaving every
    request waiting."""
    try:
        await asyncio.wait_for(asyncio.gather(*(asyncio.wrap_future(pool.submit(os.getpid)) for _ in range(workers))),
                               seconds)
    except Exception as exc:
        log.error("the worker processes did not start: %s", type(exc).__name__)
        raise RuntimeError("校验工作进程未能启动（临时文件夹是否可写、路径是否过长、内存是否不足？）") from None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    token_file = TokenFile(settings.tokens_file) if settings.tokens_file else None

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        with ExitStack() as stack:
            app.state.templates = templates.template_files(
                lambda: Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="perfeval-xl-templates-"))))
            app.state.pool = LimitedPool(settings.workers, settings.limits())
            try:
                await _start_workers(app.state.pool, settings.workers)
                yield
            finally:
                app.state.pool.close()

    # No /docs or /redoc: FastAPI's pages load their scripts from a CDN, and the intranet has none. The OpenAPI
    # description itself (/openapi.json) stays for outside tools.
    app = FastAPI(title="perfeval-xl 绩效自评校验服务", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings, app.state.token_file, app.state.templates = settings, token_file, {}
    install_handlers(app)
    for module in (health, check, scored, summary, report, xlwings, templates, addin, page):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=str(resources.files("perfeval_xl.service") / "static")), name="static")
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes)  # outermost of ours: first
    return app
