"""Work on untrusted files in worker processes with a memory limit and a wall-clock limit.

The input budget (budget.py) refuses the files we know how to recognise as too big before any reader sees them.
This is the defence behind it: a file that still makes a reader run away (a native crash, an allocation it cannot
make, a loop) costs one worker and one failed row, never the batch or the service.

- Each worker is a long-lived process (started from a fork server, so it starts in milliseconds with the readers
  already imported and without the parent's threads) that runs one task at a time.
- Memory: the worker limits itself with RLIMIT_DATA. Measured here (Linux, Python 3.11, pandas + numpy +
  python-calamine + openpyxl imported): a worker at rest has VmSize 215 MB but VmData 130 MB and VmRSS 83 MB.
  RLIMIT_AS counts every mapping (60 MB of shared libraries, reserved but untouched arenas and thread stacks), so
  an address-space limit of 500 MB left only ~285 MB to work in, and a 400 MB allocation failed under both a
  300 MB and a 500 MB AS limit. RLIMIT_DATA counts private writable memory (heap, anonymous mmap: what a zip bomb
  or a dense allocation grows) and leaves the shared libraries out, so the limit means what it says. A Python
  allocation past it raises MemoryError (the worker reports it and is replaced); a native one (calamine's Rust
  allocator) aborts the worker, which the parent sees as a dead worker. Both become WorkerLimitError.
- Time: the parent waits at most `seconds` for each task's answer, then kills the worker (SIGKILL: a reader stuck
  in native code ignores anything gentler) and starts a new one.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Callable

from .grid import FormReadError

# Imported once in the fork server, so each new worker starts with them loaded (a replaced worker costs a fork).
_PRELOAD = ["perfeval_xl.xlsx_io", "perfeval_xl.summary", "python_calamine"]  # not openpyxl: checks never need it


@dataclass(frozen=True)
class Limits:
    memory_bytes: int = 500 * 2**20
    seconds: float = 10.0


class WorkerLimitError(FormReadError):
    """The file made its worker process run past the memory or time limit (or die). `str()` names the file."""

    def __init__(self, name: str, limits: Limits, what: str):
        self.name, self.limits, self.what = name, limits, what
        if what == "time":
            limit = f"超出时间限制（{limits.seconds:g} 秒）"
        else:
            limit = f"超出内存限制（{limits.memory_bytes // 2**20} MB）"
        who = f"{name}：" if name else ""
        super().__init__(f"{who}读取失败：{limit}，读取进程已终止。文件可能过大或已损坏；请在 Excel 中打开后另存为 .xlsx 再试，"
                         f"或把文件发给维护人员。")

    def __reduce__(self):  # picklable, so a service can hand it on
        return (WorkerLimitError, (self.name, self.limits, self.what))


def _limit_memory(memory_bytes: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: no rlimits; the wall clock still applies (a Job Object would be the equivalent)
        return
    try:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))
    except (ValueError, OSError):  # a hard limit below ours already applies: keep it
        pass


def _worker_main(conn, memory_bytes: int) -> None:
    """A worker's loop: receive (func, args), send ("ok", result) / ("error", exception) / ("memory", None)."""
    _limit_memory(memory_bytes)
    conn.send(("ready", None))  # the wall clock counts a task's time, not a worker's start on a loaded machine
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        func, args = task
        try:
            answer = ("ok", func(*args))
        except MemoryError:
            answer = None
        except BaseException as exc:  # noqa: BLE001  the caller decides; the worker lives on
            answer = ("error", exc)
        if answer is None:  # the heap may be in any state: report, then let the parent start a fresh worker
            try:
                conn.send(("memory", None))
            finally:
                os._exit(3)
        try:
            conn.send(answer)
        except Exception as exc:  # the result or exception cannot be pickled
            conn.send(("error", RuntimeError(f"{type(exc).__name__}: {answer[0]} could not be sent back")))


class _Worker:
    def __init__(self, context, memory_bytes: int):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, memory_bytes), daemon=True)
        self.process.start()
        child.close()
        try:  # started (a fork from the fork server): wait for it, generously, before any task's clock runs
            if self.conn.poll(120):
                self.conn.recv()
        except (EOFError, OSError):
            pass  # it died starting: the first task sees a dead worker

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.join(5)
        except (OSError, ValueError):
            pass
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
            self.process.join(2)
        except (OSError, ValueError):
            pass
        if self.process.is_alive():
            self.kill()
        else:
            self.conn.close()


def _context():
    """A fork server: fork is cheap, but forking a parent that runs threads (ours, a web server's) can copy a held
    lock into the child; the fork server is a clean single-threaded process that imported the readers once."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # Windows, macOS without fork server


class LimitedPool:
    """`workers` long-lived worker processes, each under `limits`. submit() is thread-safe."""

    def __init__(self, workers: int, limits: Limits = Limits()) -> None:
        self.limits = limits
        self._context = _context()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._serve, name=f"perfeval-worker-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for thread in self._threads:
            thread.start()

    def submit(self, func: Callable, *args: Any, name: str = "") -> Future:
        future: Future = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("LimitedPool is closed")
            self._tasks.put((future, func, args, name))
        return future

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._tasks.put(None)
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> "LimitedPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # One thread per worker slot: it hands the worker one task, waits for the answer or the deadline, and replaces
    # the worker when it dies or overruns. The worker is started on first use, so an idle pool costs nothing.
    def _serve(self) -> None:
        worker: _Worker | None = None
        try:
            while True:
                item = self._tasks.get()
                if item is None:
                    return
                future, func, args, name = item
                if not future.set_running_or_notify_cancel():
                    continue
                if worker is None or not worker.process.is_alive():
                    if worker is not None:
                        worker.kill()
                    worker = _Worker(self._context, self.limits.memory_bytes)
                worker, outcome = self._run(worker, func, args, name)
                kind, value = outcome
                if kind == "ok":
                    future.set_result(value)
                else:
                    future.set_exception(value)
        finally:
            if worker is not None:
                worker.stop()

    def _run(self, worker: _Worker, func, args, name: str) -> tuple[_Worker | None, tuple[str, Any]]:
        try:
            worker.conn.send((func, args))
        except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
            worker.kill()
            return None, ("error", WorkerLimitError(name, self.limits, "memory"))
        except Exception as exc:  # func or args cannot be pickled: the caller's mistake, the worker is fine
            return worker, ("error", exc)
        if not worker.conn.poll(self.limits.seconds):
            worker.kill()
            return None, ("error", WorkerLimitError(name, self.limits, "time"))
        try:
            kind, value = worker.conn.recv()
        except (EOFError, OSError, ConnectionResetError):  # died: a native abort, the kernel's OOM killer, a signal
            worker.kill()
            return None, ("error", WorkerLimitError(name, self.limits, "memory"))
        if kind == "memory":
            worker.kill()
            return None, ("error", WorkerLimitError(name, self.limits, "memory"))
        return worker, (kind, value)


def run_limited(func: Callable, *args: Any, limits: Limits = Limits(), name: str = "") -> Any:
    """func(*args) in one worker process under `limits`, blocking; its result, or its exception, or
    WorkerLimitError."""
    with LimitedPool(1, limits) as pool:
        return pool.submit(func, *args, name=name).result()
