"""The Excel button against a running service: the request the VBA client posts, over real HTTP on 127.0.0.1.

The body is what RunServerPython posts (JSON with every non-ASCII character escaped, as WebHelpers.ConvertToJson
writes it); the answer must be the actions our handle() gives in-process, and applied by the client
(tests/vba_client.py) they must give the workbook `check --output` gives. The client shows any other answer's raw
body in a message box, so an error must read as Chinese there.
"""

from __future__ import annotations

import json

import pytest
from service_support import running_service
from test_xlwings_protocol import WORKBOOKS, addin_include, assert_values_as_cli_writes, run_cli_check
from vba_client import BookModel, state

from lo import recalculate
from perfeval_xl.service.xlwings_protocol import handle


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("service"), workers=1) as running:
        yield running


def _post(service, entry: str, payload) -> object:
    body = json.dumps(payload).encode("ascii")  # ensure_ascii: \uXXXX, as the VBA client sends it
    with service.client() as client:
        return client.post(f"/api/v1/xlwings/{entry}", content=body, headers={"Content-Type": "application/json"})


def test_the_excel_button_through_the_service(service, tmp_path):
    template_example = next(p for p in WORKBOOKS if p.parent.name == "examples" and p.stem.startswith("邵阳"))
    source = recalculate(template_example, tmp_path / "recalculated")
    book = BookModel.from_xlsx(source)
    payload = book.payload(include=addin_include(book))

    answer = _post(service, "main", payload)
    assert answer.status_code == 200, answer.text
    actions = answer.json()["actions"]
    assert actions == handle("main", payload)["actions"]
    checked = book.copy()
    checked.apply(actions)
    assert_values_as_cli_writes(checked, run_cli_check(source, tmp_path / "scored"), "自评表")

    cleared_answer = _post(service, "clear_marks", checked.payload(include=addin_include(checked)))
    assert cleared_answer.status_code == 200, cleared_answer.text
    cleared = checked.copy()
    cleared.apply(cleared_answer.json()["actions"])
    assert state(cleared)["cells"] == state(book)["cells"] and state(cleared)["fills"] == state(book)["fills"]


def test_another_addin_version_is_told_in_chinese_over_http(service):
    payload = BookModel.from_xlsx(next(p for p in WORKBOOKS if p.parent.name == "printed")).payload(version="0.36.0")
    answer = _post(service, "main", payload)
    assert answer.status_code == 400
    shown = answer.content.decode("utf-8")  # what the client's MsgBox shows (WebResponse.cls: the body as UTF-8)
    assert "请使用与服务版本一致的加载项" in shown and "0.36.0" in shown


def test_a_malformed_request_is_422_not_500(service):
    payload = BookModel.from_xlsx(next(p for p in WORKBOOKS if p.parent.name == "printed")).payload()
    payload["sheets"][0]["values"][0] = "not a row"
    answer = _post(service, "main", payload)
    assert answer.status_code == 422 and "请求内容不是 Excel 加载项" in answer.content.decode("utf-8")
