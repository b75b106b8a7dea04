"""The worker pool every file job of the service runs in (issue #12's LimitedPool: a memory and time cap per job).

A route awaits `run(request, func, *args, name=…)`: the job runs in a worker process, the event loop stays free.
"""

from __future__ import annotations

import asyncio

from fastapi import Request

try:
    from ..isolation import LimitedPool, Limits, WorkerLimitError  # noqa: F401  (re-exported for the routes)
except ImportError:  # TEMPORARY, until #12's isolation module is merged: same interface, no caps. Removed then.
    import concurrent.futures
    from dataclasses import dataclass

    from ..grid import FormReadError

    @dataclass(frozen=True)
    class Limits:  # type: ignore[no-redef]
        memory_bytes: int = 500 * 2**20
        seconds: float = 10.0

    class WorkerLimitError(FormReadError):  # type: ignore[no-redef]
        pass

    class LimitedPool:  # type: ignore[no-redef]
        def __init__(self, workers: int, limits: Limits = Limits()) -> None:
            self._pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers)

        def submit(self, func, *args, name: str = ""):
            return self._pool.submit(func, *args)

        def close(self) -> None:
            self._pool.shutdown(wait=False, cancel_futures=True)


async def run(request: Request, func, *args, name: str = ""):
    pool = request.app.state.pool
    return await asyncio.wrap_future(pool.submit(func, *args, name=name))
