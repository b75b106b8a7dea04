"""The service's routes over real HTTP, against the command line's own output for the same files (issue #9 part 1)."""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from service_support import EXAMPLES, REPO, has_chinese, run_cli, running_service


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("api")) as running:
        yield running


@pytest.fixture(scope="module")
def cli_output(tmp_path_factory):
    """What `perfeval-xl check --json` and `check --output` give for the examples (run where they are, so the
    records name the files as the service does: by their names)."""
    folder = tmp_path_factory.mktemp("cli")
    for path in EXAMPLES:
        shutil.copy(path, folder / path.name)
    names = [p.name for p in EXAMPLES]
    checked = run_cli("check", "--json", *names, cwd=folder)
    scored = run_cli("check", "--output", "out", "--exit-zero", *names, cwd=folder)
    assert scored.returncode == 0, scored.stdout + scored.stderr
    return folder, json.loads(checked.stdout)


def _upload(*paths: Path, field: str = "files"):
    return [(field, (p.name, p.read_bytes(), "application/octet-stream")) for p in paths]


def workbook_cells(data: bytes) -> dict:
    """Every sheet's cell values and fills: what a person sees in the scored workbook."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: {cell.coordinate: (cell.value, cell.fill.fgColor.rgb if cell.fill.fill_type else None,
                                         cell.comment.text if cell.comment else None)
                       for row in ws.iter_rows() for cell in row if cell.value is not None or cell.fill.fill_type}
            for ws in book.worksheets}


def test_healthz(service):
    with service.client() as client:
        answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json()["status"] == "ok"
    assert answer.json()["xlwings"]  # the add-in must match it


def test_check_gives_the_same_list_as_check_json(service, cli_output):
    _, expected = cli_output
    with service.client() as client:
        answer = client.post("/api/v1/check", files=_upload(*EXAMPLES))
    assert answer.status_code == 200
    assert answer.json() == expected
    assert all(record["issues"] for record in expected)  # the examples do have issues: the comparison means something


def test_an_unreadable_file_is_an_entry_with_its_chinese_error(service):
    with service.client() as client:
        answer = client.post("/api/v1/check", files=[("files", ("损坏.xlsx", b"PK\x03\x04 not really", "application/zip")),
                                                     *_upload(EXAMPLES[0])])
    assert answer.status_code == 200
    broken, good = answer.json()
    assert broken["file"] == "损坏.xlsx" and broken["issues"] == []
    assert broken["error"].startswith("损坏.xlsx：") and has_chinese(broken["error"])
    assert "error" not in good and good["total"] is not None


def test_scored_gives_what_check_output_writes(service, cli_output):
    folder, _ = cli_output
    for path in EXAMPLES:
        with service.client() as client:
            answer = client.post("/api/v1/scored", files=_upload(path, field="file"))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "filename*=UTF-8''" in answer.headers["content-disposition"]
        served, written = workbook_cells(answer.content), workbook_cells((folder / "out" / path.name).read_bytes())
        assert "校验结果" in served
        assert served == written


def test_scored_refuses_an_unreadable_file_with_422_in_chinese(service):
    with service.client() as client:
        answer = client.post("/api/v1/scored", files=[("file", ("说明.xlsx", "这不是工作簿".encode(), "text/plain"))])
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("说明.xlsx：")
    assert "/tmp" not in answer.text and str(service.tmpdir) not in answer.text


def _summary_rows(data: bytes) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(data))["汇总"]
    return [tuple(cell.value for cell in row) for row in sheet.iter_rows()]


def test_summary_of_files_and_of_a_zip_equals_the_command_line_summary(service, tmp_path):
    for path in EXAMPLES:
        shutil.copy(path, tmp_path / path.name)
    run = run_cli("summary", *[p.name for p in EXAMPLES], "-o", "汇总.xlsx", cwd=tmp_path)
    assert (tmp_path / "汇总.xlsx").is_file(), run.stdout + run.stderr
    expected = _summary_rows((tmp_path / "汇总.xlsx").read_bytes())
    assert len(expected) == 1 + len(EXAMPLES)

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in EXAMPLES:
            zipped.write(path, f"各单位/{path.name}")
        zipped.writestr("说明.txt", "不是工作簿，应被跳过")
    with service.client() as client:
        from_files = client.post("/api/v1/summary", files=_upload(*EXAMPLES))
        from_zip = client.post("/api/v1/summary", files=[("files", ("自评表.zip", archive.getvalue(), "application/zip"))])
    for answer in (from_files, from_zip):
        assert answer.status_code == 200, answer.text
        assert _summary_rows(answer.content) == expected


def test_report_is_the_report_check_output_writes(service, cli_output):
    folder, expected_records = cli_output
    with service.client() as client:
        records = client.post("/api/v1/check", files=_upload(*EXAMPLES)).json()
        answer = client.post("/api/v1/report", json=records)
        bad = client.post("/api/v1/report", json={"not": "a list"})
    assert answer.status_code == 200
    assert answer.content.decode("utf-8") == (folder / "out" / "校验报告.md").read_text(encoding="utf-8")
    assert bad.status_code == 422 and has_chinese(bad.json()["detail"])


def test_templates_are_the_shipped_files(service):
    with service.client() as client:
        listed = client.get("/templates").json()
        assert {t["name"] for t in listed} == {p.name for p in (REPO / "workbook_templates").glob("*.xlsx")}
        for entry in listed:
            answer = client.get(entry["url"])
            assert answer.status_code == 200
            assert answer.content == (REPO / "workbook_templates" / entry["name"]).read_bytes()


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/no/such/page", 404),
    ("GET", "/api/v1/check", 405),
    ("POST", "/healthz", 405),
    ("GET", "/templates/no-such.xlsx", 404),
    ("POST", "/api/v1/xlwings/format_c_drive", 404),
])
def test_errors_are_chinese_json_with_a_fitting_status(service, method, path, status):
    with service.client() as client:
        answer = client.request(method, path, content=b"{}" if method == "POST" else None)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("application/json")
    assert has_chinese(answer.json()["detail"]) and "Traceback" not in answer.text
    assert "Not Found" not in answer.text and "Method Not Allowed" not in answer.text


@pytest.mark.parametrize("request_kwargs, status", [
    ({}, 422),                                                   # multipart without the files field
    ({"data": {"other": "x"}}, 422),
    ({"content": b"garbage", "headers": {"content-type": "multipart/form-data; boundary=zz"}}, 422),
    ({"params": {"policy": "/etc/passwd"}, "files": [("files", ("a.xlsx", b"x"))]}, 422),
    ({"params": {"family": "nope"}, "files": [("files", ("a.xlsx", b"x"))]}, 422),
])
def test_malformed_requests_get_chinese_422(service, request_kwargs, status):
    with service.client() as client:
        answer = client.post("/api/v1/check", **request_kwargs)
    assert answer.status_code in (status, 400)
    assert has_chinese(answer.json()["detail"]) and "Traceback" not in answer.text and "Field required" not in answer.text


def test_xlwings_route_refuses_what_is_not_json_in_chinese(service):
    with service.client() as client:
        answer = client.post("/api/v1/xlwings/main", content=b"\x00\x01 not json")
        listed = client.post("/api/v1/xlwings/main", json=[1, 2])
    assert answer.status_code == 400 and "加载项" in answer.json()["detail"]
    assert listed.status_code == 400


def test_no_api_docs_that_need_a_cdn(service):
    with service.client() as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        page = client.get("/").text
    assert "cdn" not in page.lower() and "http://" not in page and "https://" not in page


def test_the_excel_clients_route_answers_as_the_protocol_does(service):
    from vba_client import BookModel

    from perfeval_xl.service.xlwings_protocol import handle

    for path in EXAMPLES:
        payload = BookModel.from_xlsx(path).payload()
        with service.client() as client:
            answer = client.post("/api/v1/xlwings/main", json=payload)
        assert answer.status_code == 200, answer.text
        assert answer.json() == json.loads(json.dumps(handle("main", payload), ensure_ascii=False, default=str))
        funcs = [action["func"] for action in answer.json()["actions"]]
        assert "setValues" in funcs and "alert" in funcs


def test_a_client_of_another_xlwings_version_is_asked_for_the_matching_addin(service):
    from vba_client import BookModel

    payload = BookModel.from_xlsx(EXAMPLES[0]).payload()
    payload["version"] = "0.30.0"
    with service.client() as client:
        answer = client.post("/api/v1/xlwings/main", json=payload)
    assert answer.status_code == 400
    assert "加载项" in answer.json()["detail"]


def test_the_addin_download_carries_this_service_address(service):
    with service.client() as client:
        answer = client.get("/addin")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        names = archive.namelist()
        xlam = next(n for n in names if n.endswith(".xlam"))
        with zipfile.ZipFile(io.BytesIO(archive.read(xlam))) as addin:
            text = b"".join(addin.read(n) for n in addin.namelist() if n.endswith(".xml"))
    assert any(n.endswith(".cmd") for n in names)
    assert service.url.encode() in text
