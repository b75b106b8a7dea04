"""Load test of the service: 50 concurrent clients for a fixed time against a service this script starts on
127.0.0.1, mixing the page's uploads and the Excel add-in's calls (issue #9 part 7). A benchmark: it prints figures,
it asserts nothing.

    python scripts/load_service.py                      # 30 s, 50 clients, the service's default workers
    python scripts/load_service.py --duration 60 --clients 50 --workers 2

Each client holds one keep-alive connection and loops until the time is up, sending one request at a time, with no
pause in between (so latency is mostly queueing: p50 ≈ clients / throughput). Requests are prebuilt as raw HTTP bytes
and sent on uvloop, so that the client, which shares the machine's cores with the service, costs ~0.1 ms of CPU per
request (an httpx client cost 12-14 ms, more than the service). An answer counts only when its status is 200 and its
body is the JSON that route gives:
- page: POST /api/v1/check with one example workbook (what the page sends per file);
- excel: POST /api/v1/xlwings/main with the payload xlwings' VBA client sends for that workbook (values of each sheet's
  used range from A1, names, book name, the client's version), with the client's headers (tests/vba_client.py).

Printed: requests and throughput (per second and per core), p50/p95/p99 latency, error count, the service's memory
(RSS of the server process and its worker processes) after warm-up and at the end, the in-process `check` rate
(xlsx_io.check_file on the same examples, measured before the service starts) and the machine's load average.
Targets on a 2-core machine: 0 errors, p95 < 300 ms, memory flat, per-core throughput ≥ half the in-process rate.
Stays on 127.0.0.1; bounded in time (at most 300 s) and clients (at most 200).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # vba_client: the tests' re-implementation of the VBA client

import httpx  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.xlsx"))
MAX_DURATION, MAX_CLIENTS = 300.0, 200


def in_process_check_rate(seconds: float = 5.0) -> float:
    from perfeval_xl.xlsx_io import check_file

    for path in EXAMPLES:
        check_file(path)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for path in EXAMPLES:
            check_file(path)
            count += 1
    return count / (time.perf_counter() - started)


def vba_payload(path: Path) -> dict:
    """The JSON xlwings' VBA client (RunServerPython) sends for a workbook, built as the client builds it (the tests'
    re-implementation of Remote.bas, tests/vba_client.py): each sheet's used range from A1 as values only, the names,
    the book's name, the client's version."""
    from vba_client import BookModel

    return BookModel.from_xlsx(path).payload()


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (the server, the fork server and the workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo += children.get(current, [])
    return tree


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants, in MB."""
    total = 0
    for current in process_tree(pid):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def tree_cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) of the server process itself and of all its descendants (fork server, workers)."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            return 0.0

    return cpu(pid), sum(cpu(p) for p in process_tree(pid)[1:])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raw_requests(host: str, port: int, token: str | None, uploads, payloads) -> dict[str, list[bytes]]:
    """Each request as the bytes sent on the wire, built once: the client then costs the service's machine almost no
    CPU per request (a Python HTTP client spent more CPU per request than the service itself, on the same cores).
    The Excel client's calls carry the VBA client's headers (VBA-Web's User-Agent, JSON both ways)."""
    from vba_client import request_headers

    auth = {"Authorization": f"Bearer {token}"} if token else {}

    def request(path: str, headers: dict[str, str], body: bytes) -> bytes:
        lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", *(f"{k}: {v}" for k, v in headers.items()),
                 f"Content-Length: {len(body)}", "Connection: keep-alive"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body

    page, excel = [], []
    for (name, data), payload in zip(uploads, payloads):
        boundary = "----perfeval-load-" + os.urandom(8).hex()
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n"
                f"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
                ).encode("utf-8") + data + f"\r\n--{boundary}--\r\n".encode("ascii")
        page.append(request("/api/v1/check", {**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
                            body))
        excel.append(request("/api/v1/xlwings/main", {**request_headers(), **auth}, payload))
    return {"page": page, "excel": excel}


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response: (status, body); Content-Length or chunked."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked = None, False
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        key = key.strip().lower()
        if key == b"content-length":
            length = int(value)
        elif key == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if chunked:
        parts = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        await reader.readuntil(b"\r\n")
        return status, b"".join(parts)
    return status, await reader.readexactly(length or 0)


# What a correct answer starts with: a list of records for the page, the actions for the Excel client.
EXPECTED_START = {"page": b'[{"file"', "excel": b'{"actions"'}


async def client_loop(host: str, port: int, deadline: float, kinds: list[str], requests: dict[str, list[bytes]],
                      latencies: dict[str, list[float]], errors: list[str]) -> None:
    """One client: one keep-alive connection, one request at a time until the deadline (reconnecting after an
    error). An answer counts only when its status is 200 and its body is the kind of JSON that route returns."""
    rng = random.Random()
    connection = None
    while time.monotonic() < deadline:
        kind = rng.choice(kinds)
        raw = rng.choice(requests[kind])
        started = time.perf_counter()
        try:
            if connection is None:
                connection = await asyncio.open_connection(host, port)
            reader, writer = connection
            writer.write(raw)
            status, body = await read_response(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            errors.append(f"{kind}: {type(exc).__name__}")
            if connection is not None:
                connection[1].close()
            connection = None
            continue
        if status != 200 or not body.startswith(EXPECTED_START[kind]):
            errors.append(f"{kind}: HTTP {status} {body[:80]!r}")
            continue
        latencies[kind].append(time.perf_counter() - started)
    if connection is not None:
        connection[1].close()


async def hostile_loop(host: str, port: int, deadline: float, every: float, raw: bytes,
                       outcomes: list[tuple[float, bool]]) -> None:
    """One more client that uploads a hostile file (a zip bomb) every `every` seconds while the others run: each
    answer must be a 200 whose record carries a Chinese "error", and the others' latency shows what it costs them."""
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(raw)
            status, body = await read_response(reader)
            writer.close()
            refused = status == 200 and body.startswith(EXPECTED_START["page"]) and b'"error"' in body
        except (OSError, asyncio.IncompleteReadError, ValueError):
            refused = False
        took = time.perf_counter() - started
        outcomes.append((took, refused))
        await asyncio.sleep(max(0.0, every - took))


async def load(host: str, port: int, clients: int, duration: float, kinds: list[str], requests,
               hostile: tuple[float, bytes] | None = None, hostile_outcomes: list | None = None):
    latencies: dict[str, list[float]] = {kind: [] for kind in kinds}
    errors: list[str] = []
    started = time.monotonic()
    extra = [hostile_loop(host, port, started + duration, hostile[0], hostile[1], hostile_outcomes)] if hostile else []
    await asyncio.gather(*(client_loop(host, port, started + duration, kinds, requests, latencies, errors)
                           for _ in range(clients)), *extra)
    return latencies, errors, time.monotonic() - started


def hostile_request(host: str, port: int) -> bytes:
    """The page's upload of tests/service_hostile.zip_bomb(): 400 MB of sheet XML in well under 1 MB."""
    from service_hostile import zip_bomb

    boundary = "----perfeval-load-hostile"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"炸弹.xlsx\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode("utf-8") + zip_bomb() + \
        f"\r\n--{boundary}--\r\n".encode("ascii")
    head = (f"POST /api/v1/check HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode("ascii")
    return head + body


def run_async(coroutine):
    """asyncio.run, on uvloop where it is installed (a dependency of the service on Linux): less client CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (default 30, at most 300)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50, at most 200)")
    parser.add_argument("--hostile-every", type=float, default=0.0,
                        help="also upload a zip bomb every N seconds (default 0: none)")
    parser.add_argument("--calibrate", type=float, default=5.0,
                        help="seconds spent measuring the in-process check rate first (default 5)")
    parser.add_argument("--workers", type=int, default=None,
                        help="the service's worker processes (default: the service's own, CPU cores + 1)")
    args = parser.parse_args()
    duration = min(max(args.duration, 1.0), MAX_DURATION)
    clients = min(max(args.clients, 1), MAX_CLIENTS)

    print(f"machine: {os.cpu_count()} cores, load average before {os.getloadavg()[0]:.2f} "
          f"{os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    rate = in_process_check_rate(max(args.calibrate, 0.1))
    print(f"in-process check (xlsx_io.check_file, examples/): {rate:.0f} files/s on one core")

    uploads = [(p.name, p.read_bytes()) for p in EXAMPLES]
    import json

    # ensure_ascii: every non-ASCII character as \\uXXXX, as the VBA client (WebHelpers.ConvertToJson) sends it
    payloads = [json.dumps(vba_payload(p)).encode("ascii") for p in EXAMPLES]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory(prefix="pxl-") as tmp:
        env["TMPDIR"] = tmp
        log = open(Path(tmp) / "service.log", "wb")
        workers = ["--workers", str(args.workers)] if args.workers else []
        server = subprocess.Popen([sys.executable, "-m", "perfeval_xl.cli", "serve", "--port", str(port), *workers],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            else:
                print("the service did not start")
                return 1
            kinds = ["page"]
            probe = httpx.post(url + "/api/v1/xlwings/main", content=payloads[0],
                               headers={"content-type": "application/json"}, timeout=60)
            if probe.status_code == 200:
                kinds.append("excel")
            else:
                print(f"Excel-client calls left out: the service answers {probe.status_code} (protocol not there yet)")
            requests = raw_requests("127.0.0.1", port, None, uploads, payloads)
            # Warm-up: every worker started and has read the examples once.
            run_async(load("127.0.0.1", port, clients, 3.0, kinds, requests))
            rss_start = tree_rss_mb(server.pid)
            server_cpu, workers_cpu = tree_cpu_seconds(server.pid)
            client_cpu = time.process_time()
            hostile = (max(args.hostile_every, 0.5), hostile_request("127.0.0.1", port)) if args.hostile_every else None
            hostile_outcomes: list[tuple[float, bool]] = []
            latencies, errors, elapsed = run_async(load("127.0.0.1", port, clients, duration, kinds, requests,
                                                        hostile, hostile_outcomes))
            client_cpu = time.process_time() - client_cpu
            server_after, workers_after = tree_cpu_seconds(server.pid)
            server_cpu, workers_cpu = server_after - server_cpu, workers_after - workers_cpu
            rss_end = tree_rss_mb(server.pid)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()

    every = [value for values in latencies.values() for value in values]
    cores = os.cpu_count() or 1
    throughput = len(every) / elapsed
    print(f"load: {clients} clients for {elapsed:.1f} s, {args.workers or (os.cpu_count() or 1) + 1} worker processes, mix {'+'.join(kinds)}")
    for kind, values in [("all", every), *latencies.items()]:
        print(f"  {kind:5}: {len(values):6d} requests  p50 {percentile(values, 50) * 1000:6.1f} ms  "
              f"p95 {percentile(values, 95) * 1000:6.1f} ms  p99 {percentile(values, 99) * 1000:6.1f} ms")
    print(f"throughput: {throughput:.1f} requests/s, {throughput / cores:.1f} per core "
          f"(in-process check {rate:.0f}/s; ratio per core {throughput / cores / rate:.2f}, target >= 0.5)")
    count = max(1, len(every))
    print(f"CPU per request: server process {server_cpu / count * 1000:.1f} ms, workers {workers_cpu / count * 1000:.1f} ms, "
          f"this client {client_cpu / count * 1000:.1f} ms; CPU used {(server_cpu + workers_cpu + client_cpu) / elapsed:.2f} "
          f"of {cores} cores")
    print(f"errors: {len(errors)}" + (f" (first: {errors[:3]})" if errors else ""))
    if args.hostile_every:
        times = sorted(t for t, _ in hostile_outcomes)
        print(f"hostile uploads (zip bomb every {args.hostile_every:g} s): {len(hostile_outcomes)}, answered with a "
              f"Chinese error entry: {sum(ok for _, ok in hostile_outcomes)}, time p50 {percentile(times, 50):.2f} s, "
              f"max {max(times, default=float('nan')):.2f} s")
    print(f"service memory (RSS, server + workers): {rss_start:.0f} MB after warm-up, {rss_end:.0f} MB at the end")
    print(f"load average after: {os.getloadavg()[0]:.2f}  (this client runs on the same cores as the service)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
