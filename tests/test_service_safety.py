"""Issue #9 part 6: each protection of the service, shown by sending the bad request to a running service."""

from __future__ import annotations

import io
import select
import socket
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from service_support import EXAMPLES, has_chinese, running_service

MARKER = "机密测试项目甲乙丙丁7319"


def _upload(path: Path, name: str | None = None, field: str = "files"):
    return [(field, (name or path.name, path.read_bytes(), "application/octet-stream"))]


# --- Token auth ---------------------------------------------------------------------------------------------------


def test_tokens_from_a_file_the_bureau_edits(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("# 财政局信息科维护\nfirst-token-123  住房公积金中心\n", encoding="utf-8")
    with running_service(tmp_path, "--tokens-file", str(tokens)) as service, service.client() as client:
        none = client.post("/api/v1/check", files=_upload(EXAMPLES[0]))
        wrong = client.post("/api/v1/check", files=_upload(EXAMPLES[0]), headers={"Authorization": "Bearer nope"})
        bearer = client.post("/api/v1/check", files=_upload(EXAMPLES[0]),
                             headers={"Authorization": "Bearer first-token-123"})
        bare = client.post("/api/v1/xlwings/main", content=b"not json", headers={"Authorization": "first-token-123"})
        addin = client.get("/addin")
        assert none.status_code == 401 and wrong.status_code == 401 and addin.status_code == 401
        assert none.headers["www-authenticate"] == "Bearer"
        assert has_chinese(none.json()["detail"]) and has_chinese(wrong.json()["detail"])
        assert bearer.status_code == 200 and bearer.json()[0]["total"] is not None
        assert bare.status_code == 400  # past the token check: the VBA client sends the bare token
        # The add-in download carries the token it was fetched with, so the clerk's Excel is let in too.
        addin_ok = client.get("/addin", headers={"Authorization": "Bearer first-token-123"})
        assert addin_ok.status_code == 200
        with zipfile.ZipFile(io.BytesIO(addin_ok.content)) as archive:
            xlam = archive.read(next(n for n in archive.namelist() if n.endswith(".xlam")))
        with zipfile.ZipFile(io.BytesIO(xlam)) as addin:
            assert b"first-token-123" in b"".join(addin.read(n) for n in addin.namelist() if n.endswith(".xml"))
        # The page, its assets, the templates and the health check need no token.
        assert client.get("/").status_code == 200 and client.get("/static/app.js").status_code == 200
        assert client.get("/healthz").status_code == 200 and client.get("/templates").status_code == 200
        # The bureau withdraws the token and issues another: no restart.
        time.sleep(0.01)
        tokens.write_text("second-token-456\n", encoding="utf-8")
        old = client.post("/api/v1/check", files=_upload(EXAMPLES[0]), headers={"Authorization": "Bearer first-token-123"})
        new = client.post("/api/v1/check", files=_upload(EXAMPLES[0]), headers={"Authorization": "Bearer second-token-456"})
        assert old.status_code == 401 and new.status_code == 200


# --- Body limit ---------------------------------------------------------------------------------------------------


def _read_response(sock: socket.socket, timeout: float = 10) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n\r\n" not in data or len(data) < data.find(b"\r\n\r\n") + 40:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


@pytest.fixture(scope="module")
def small_limit_service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("limit"), "--max-body-mb", "1") as service:
        yield service


def test_a_declared_large_body_gets_413_before_any_of_it_is_sent(small_limit_service):
    with socket.create_connection(("127.0.0.1", small_limit_service.port)) as sock:
        sock.sendall(b"POST /api/v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                     b"Content-Length: 104857600\r\n\r\n")  # 100 MB announced, not one byte sent
        started = time.monotonic()
        answer = _read_response(sock)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < 5
    body = answer.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace")
    assert "1 MB" in body and "太大" in body


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(small_limit_service):
    chunk = b"x" * 65536
    frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", small_limit_service.port)) as sock:
        sock.sendall(b"POST /api/v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=B\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        part = b'--B\r\nContent-Disposition: form-data; name="files"; filename="big.xlsx"\r\n\r\n'  # a valid start
        sock.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
        while sent < 64 * 2**20:
            if select.select([sock], [], [], 0.01)[0]:
                answer = _read_response(sock)
                break
            try:
                sock.sendall(frame)
            except (BrokenPipeError, ConnectionResetError):
                answer = _read_response(sock)
                break
            sent += len(chunk)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16 * 2**20  # answered soon after the 1 MB, not after the client sent everything


def test_a_body_under_the_limit_still_works(small_limit_service):
    with small_limit_service.client() as client:
        assert client.post("/api/v1/check", files=_upload(EXAMPLES[0])).status_code == 200


# --- Files, paths, CORS, logs ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("safety")) as running:
        yield running


def _multipart(name: bytes, data: bytes) -> tuple[bytes, str]:
    """A multipart body written byte by byte, so a file name can hold what a client library would escape (NUL)."""
    body = (b"--BOUNDARY\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + name + b"\"\r\n"
            b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--BOUNDARY--\r\n")
    return body, "multipart/form-data; boundary=BOUNDARY"


@pytest.mark.parametrize("client_name, shown", [
    ("../../逃逸.xlsx".encode(), "逃逸.xlsx"),
    (b"/etc/cron.d/evil.xlsx", "evil.xlsx"),
    (b"..\\..\\windows\\evil2.xlsx", "evil2.xlsx"),
    (b"a\x00b.xlsx", "ab.xlsx"),
    (b"....", "工作簿.xlsx"),
    (b"CON.xlsx", "_CON.xlsx"),
    (b"x.xlsx. . ", "x.xlsx"),
])
def test_no_client_file_name_reaches_a_path(service, tmp_path, client_name, shown):
    body, content_type = _multipart(client_name, EXAMPLES[0].read_bytes())
    with service.client() as client:
        answer = client.post("/api/v1/check", content=body, headers={"content-type": content_type})
    assert answer.status_code == 200, answer.text
    assert answer.json()[0]["file"] == shown
    assert answer.json()[0]["total"] is not None
    for folder in (service.tmpdir.parent, service.tmpdir.parent.parent, Path("/etc/cron.d")):
        assert not (folder / shown).exists() and not (folder / "evil.xlsx").exists()


@pytest.mark.parametrize("path", ["/templates/..%2F..%2Fpyproject.toml", "/templates/%2Fetc%2Fpasswd",
                                  "/templates/..", "/static/..%2F..%2Fcli.py", "/static/../app.py"])
def test_no_template_or_asset_name_reaches_a_path(service, path):
    with socket.create_connection(("127.0.0.1", service.port)) as sock:  # raw: no client normalises the path
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = _read_response(sock)
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 404"), answer[:300]
    assert b"[project]" not in answer and b"root:" not in answer and b"import" not in answer


def test_a_client_cannot_name_a_policy_file(service):
    with service.client() as client:
        for policy in ("/etc/passwd", "../policies/strict.toml", "strict.toml"):
            answer = client.post("/api/v1/check", params={"policy": policy}, files=_upload(EXAMPLES[0]))
            assert answer.status_code == 422 and has_chinese(answer.json()["detail"])
        assert client.post("/api/v1/check", params={"policy": "strict"}, files=_upload(EXAMPLES[0])).json()[0][
            "policy"] == "strict"


def test_cors_stays_closed(service):
    origin = {"Origin": "http://other-site.example"}
    with service.client() as client:
        simple = client.post("/api/v1/check", files=_upload(EXAMPLES[0]), headers=origin)
        preflight = client.options("/api/v1/check", headers={**origin, "Access-Control-Request-Method": "POST"})
        page = client.get("/", headers=origin)
    for answer in (simple, preflight, page):
        assert not any(name.lower().startswith("access-control-") for name in answer.headers)
    assert preflight.status_code in (404, 405)
    assert "default-src 'self'" in page.headers["content-security-policy"]


def _workbook_with_marker(folder: Path) -> Path:
    from perfeval_xl.xlsx_io import check_file

    ref = check_file(EXAMPLES[0]).form.field_cell("project_name").ref
    book = openpyxl.load_workbook(EXAMPLES[0])
    book[check_file(EXAMPLES[0]).form.sheet][ref] = MARKER
    path = folder / "含机密.xlsx"
    book.save(path)
    return path


def test_logs_never_hold_cell_contents(tmp_path):
    marked = _workbook_with_marker(tmp_path)
    with running_service(tmp_path / "svc") as service, service.client() as client:
        checked = client.post("/api/v1/check", files=_upload(marked))
        scored = client.post("/api/v1/scored", files=_upload(marked, field="file"))
        summary = client.post("/api/v1/summary", files=_upload(marked) + _upload(EXAMPLES[1]))
        client.post("/api/v1/report", json=checked.json())
        client.post("/api/v1/xlwings/main", json={"book": {"name": MARKER}, "sheets": [{"values": [[MARKER]]}]})
        log = service.log()
    assert checked.json()[0]["project_name"] == MARKER  # the service did read it
    assert scored.status_code == 200 and summary.status_code == 200
    assert "POST /api/v1/check" in log  # the log is there and was captured
    assert MARKER not in log and "机密" not in log


def test_no_uploaded_file_is_kept_after_the_response(service):
    sent = [EXAMPLES[0].read_bytes(), EXAMPLES[1].read_bytes(), b"PK\x03\x04broken"]
    with service.client() as client:
        client.post("/api/v1/check", files=[("files", (f"f{i}.xlsx", data)) for i, data in enumerate(sent)])
        client.post("/api/v1/scored", files=[("file", ("a.xlsx", sent[0]))])
        client.post("/api/v1/scored", files=[("file", ("b.xlsx", sent[2]))])
        client.post("/api/v1/summary", files=[("files", (f"f{i}.xlsx", data)) for i, data in enumerate(sent)])
    leftovers = [p for p in service.tmpdir.rglob("*") if p.name.startswith("perfeval-xl-") or
                 (p.is_file() and p.read_bytes() in sent)]
    assert leftovers == []


def test_uploads_are_kept_only_when_the_operator_asks(tmp_path):
    kept = tmp_path / "kept"
    with running_service(tmp_path / "svc", "--keep-uploads", str(kept)) as service, service.client() as client:
        assert client.post("/api/v1/check", files=_upload(EXAMPLES[0], "../留存.xlsx")).status_code == 200
    copies = list(kept.rglob("*.xlsx"))
    assert [p.name for p in copies] == ["留存.xlsx"]
    assert copies[0].read_bytes() == EXAMPLES[0].read_bytes()


def test_settings_from_the_environment_for_gunicorn_and_service_managers(tmp_path):
    """`create_app()` without arguments (gunicorn 'perfeval_xl.service.app:create_app()') reads PERFEVAL_XL_*: run it
    through uvicorn's own factory loader and check that the body limit from the environment holds."""
    import os
    import subprocess
    import sys

    import httpx

    from service_support import REPO, free_port

    port = free_port()
    env = {**os.environ, "PERFEVAL_XL_MAX_BODY_MB": "1", "PERFEVAL_XL_WORKERS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "perfeval_xl.service.app:create_app",
                                "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /api/v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n")
            answer = _read_response(sock)
        assert answer.startswith(b"HTTP/1.1 413") and "1 MB".encode() in answer
        small = httpx.post(f"http://127.0.0.1:{port}/api/v1/check", files=_upload(EXAMPLES[0]), timeout=60)
        assert small.status_code == 200 and small.json()[0]["total"] is not None
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_the_servers_log_keeps_where_an_error_happened_not_what_it_said():
    import logging
    import sys

    from perfeval_xl.service.errors import NoExceptionText

    try:
        raise ValueError(f"单元格内容 {MARKER}")
    except ValueError:
        record = logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application", (),
                                   sys.exc_info())
    NoExceptionText().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError" in text and "test_service_safety.py" in text
    assert MARKER not in text and "Traceback" not in text
