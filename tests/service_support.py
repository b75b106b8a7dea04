"""A real service for the tests: `perfeval-xl serve` in a subprocess on 127.0.0.1 and a free port, its own TMPDIR,
its log (stdout and stderr) in a file. Tests talk to it over real HTTP."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO / "examples").glob("*.xlsx"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Service:
    url: str
    port: int
    tmpdir: Path     # the service's TMPDIR: where its request folders live
    log_path: Path
    process: subprocess.Popen

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 60), **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextmanager
def running_service(folder: Path, *options: str, env: dict[str, str] | None = None,
                    workers: int = 2) -> Iterator[Service]:
    folder.mkdir(parents=True, exist_ok=True)
    # A short TMPDIR of its own: the worker pool's fork server puts a Unix socket there (at most 107 bytes of path).
    tmpdir = Path(tempfile.mkdtemp(prefix="pxs-"))
    port = free_port()
    log_path = folder / "service.log"
    environment = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONUNBUFFERED": "1", **(env or {})}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "perfeval_xl.cli", "serve", "--host", "127.0.0.1",
                                    "--port", str(port), "--workers", str(workers), *options],
                                   stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=folder)
    service = Service(f"http://127.0.0.1:{port}", port, tmpdir, log_path, process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(f"the service exited ({process.returncode}):\n{service.log()}")
            try:
                if httpx.get(service.url + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the service did not start in 60 s:\n{service.log()}")
            time.sleep(0.2)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "perfeval_xl.cli", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=300)


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)
