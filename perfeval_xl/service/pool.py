"""The worker pool every file job of the service runs in (issue #12's LimitedPool: a memory and time cap per job).

A route awaits `run(request, func, *args, name=…)`: the job runs in a worker process, the event loop stays free.
"""

from __future__ import annotations

import asyncio

from fastapi import Request

from ..isolation import LimitedPool, Limits, WorkerLimitError  # noqa: F401  (the routes import them from here)


async def run(request: Request, func, *args, name: str = ""):
    pool = request.app.state.pool
    return await asyncio.wrap_future(pool.submit(func, *args, name=name))
