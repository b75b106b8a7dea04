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
from vba_client import BookModel, message_box_text, request_headers, state

from lo import recalculate
from perfeval_xl.service.xlwings_protocol import handle


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("service"), workers=1) as running:
        yield running


def _post(service, entry: str, payload, auth: str | None = None) -> object:
    body = json.dumps(payload).encode("ascii")  # ensure_ascii: \uXXXX, as the VBA client sends it
    with service.client() as client:
        return client.post(f"/api/v1/xlwings/{entry}", content=body, headers=request_headers(auth))


def _shown(answer) -> str:
    return message_box_text(answer.status_code, answer.reason_phrase, answer.content)


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
    shown = _shown(answer)  # the MsgBox: the sentence itself, not JSON around it
    assert "请使用与服务版本一致的加载项" in shown and "0.36.0" in shown
    assert not shown.startswith("{") and "detail" not in shown


def test_other_clients_get_the_same_error_as_json(service):
    """The plain-text answer is for the VBA client only: a script posting the same request gets {"detail": …}."""
    payload = BookModel.from_xlsx(next(p for p in WORKBOOKS if p.parent.name == "printed")).payload(version="0.36.0")
    with service.client() as client:
        answer = client.post("/api/v1/xlwings/main", content=json.dumps(payload).encode("ascii"),
                             headers={"Content-Type": "application/json", "Accept": "application/json"})
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/json"
    assert "0.36.0" in answer.json()["detail"]


def test_token_and_size_refusals_read_as_sentences_in_excel(tmp_path):
    """401 (a dependency) and 413 (the body limit, answered before any route) reach the MsgBox as sentences too."""
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("right-token\n", encoding="utf-8")
    payload = BookModel.from_xlsx(next(p for p in WORKBOOKS if p.parent.name == "printed")).payload()
    with running_service(tmp_path / "svc", "--tokens-file", str(tokens), "--max-body-mb", "0.01", workers=1) as svc:
        refused = _post(svc, "main", payload, auth="Bearer wrong-token")
        small = {**payload, "sheets": []}
        too_large = _post(svc, "main", payload, auth="Bearer right-token")
        wrong_token_small = _post(svc, "main", small, auth="Bearer wrong-token")
    assert len(json.dumps(payload)) > 0.01 * 2**20  # the form's payload is over the 0.01 MB limit
    assert too_large.status_code == 413 and "每次最多接收" in _shown(too_large) and "{" not in _shown(too_large)
    assert wrong_token_small.status_code == 401 and "访问口令" in _shown(wrong_token_small)
    assert "{" not in _shown(wrong_token_small)
    assert refused.status_code in (401, 413) and "{" not in _shown(refused)


def test_a_malformed_request_is_422_not_500(service):
    payload = BookModel.from_xlsx(next(p for p in WORKBOOKS if p.parent.name == "printed")).payload()
    payload["sheets"][0]["values"][0] = "not a row"
    answer = _post(service, "main", payload)
    assert answer.status_code == 422 and "请求内容不是 Excel 加载项" in _shown(answer)
