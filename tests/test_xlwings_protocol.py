"""The service's side of xlwings' VBA client protocol, against two oracles.

For every example workbook (examples/, examples/printed/) and both templates, the request is built as the VBA client
builds it (tests/vba_client.py, from Remote.bas), then:
  a) xlwings' own remote engine (`xw.Book(json=…)`, PRO, noncommercial key from conftest.py) runs our ribbon entry
     (xl.check_active_book / clear_active_book) and gives its actions;
  b) our `handle()` gives ours;
  c) both are applied by the VBA client's re-implementation to copies of the workbook;
  d) the two workbooks must be identical (cells, values, colours, sheets, active sheet, message boxes), and the
     values must be those `perfeval-xl check --output` writes into the scored copy of the same file.
Desktop Excel is the one part that cannot run here; tests/vba_client.py stands in for it and says where.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import xlwings as xw  # noqa: E402

from lo import recalculate_all  # noqa: E402
from vba_client import CLIENT_VERSION, BookModel, VbaRuntimeError, state  # noqa: E402

from perfeval_xl.forms import sheets_to_read  # noqa: E402
from perfeval_xl.grid import parse_area, parse_ref  # noqa: E402
from perfeval_xl.service.xlwings_protocol import ProtocolError, handle, read_payload  # noqa: E402
from perfeval_xl.workbook_edit import CLEAR_FILL_MACRO, check_edit  # noqa: E402
from perfeval_xl.writeback import RESULTS_SHEET  # noqa: E402
from perfeval_xl.xl import check_active_book, clear_active_book, read_book  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
WORKBOOKS = sorted((ROOT / "examples").glob("*.xlsx")) + sorted((ROOT / "examples" / "printed").glob("*.xlsx")) + \
    sorted((ROOT / "workbook_templates").glob("*.xlsx"))
IDS = [p.stem for p in WORKBOOKS]


def _has_formulas(path: Path) -> bool:
    wb = openpyxl.load_workbook(path)
    return any(isinstance(c.value, str) and c.value.startswith("=") for ws in wb for row in ws.iter_rows() for c in row)


@pytest.fixture(scope="module")
def as_excel_holds_them(tmp_path_factory) -> dict[str, Path]:
    """Each workbook as Excel holds it once opened: formula results computed (by LibreOffice, in one run)."""
    with_formulas = [p for p in WORKBOOKS if _has_formulas(p)]
    outdir = tmp_path_factory.mktemp("recalculated")
    recalculated = dict(zip((p.stem for p in with_formulas), recalculate_all(with_formulas, outdir)))
    return {p.stem: recalculated.get(p.stem, p) for p in WORKBOOKS}


def addin_include(book: BookModel) -> list[str] | None:
    """The include list the add-in sends (INTERFACES.md §4): the form's sheet(s) and 校验结果. A workbook from our
    template names its form sheets; for any other workbook the add-in cannot tell, and sends every sheet."""
    names = {name.rsplit("!", 1)[-1]: parse_area(f"'{sheet}'!{address}") for name, sheet, address in book.names}
    wanted = sheets_to_read({k: v for k, v in names.items() if v is not None}, [s.name for s in book.sheets])
    return None if wanted is None else sorted(set(wanted) | {RESULTS_SHEET})


def oracle(entry: str, payload: dict) -> list[dict]:
    """xlwings' engine running our ribbon entry on the payload (a copy: the engine updates what it is given)."""
    book = xw.Book(json=copy.deepcopy(payload))
    {"main": check_active_book, "clear_marks": clear_active_book}[entry](book)
    return book.json()["actions"]


def click(book: BookModel, entry: str) -> tuple[BookModel, list[dict]]:
    """One button click through the service: request as the client builds it, our actions, applied; and the same
    request through xlwings' engine, applied to another copy — both workbooks must end up the same."""
    payload = book.payload(include=addin_include(book))
    ours = handle(entry, payload)["actions"]
    theirs = oracle(entry, payload)
    with_ours, with_theirs = book.copy(), book.copy()
    with_ours.apply(ours)
    with_theirs.apply(theirs)
    assert state(with_ours) == state(with_theirs)
    # …and in fact the same actions in the same order (xlwings writes a missing args as [None], we as [])
    assert _without_null_args(ours) == _without_null_args(theirs)
    return with_ours, ours


def _without_null_args(actions: list[dict]) -> list[dict]:
    return [{**a, "args": [x for x in a["args"] if x is not None]} for a in actions]


def without_merges(path: Path, outdir: Path) -> Path:
    """The workbook minus its merged-range records, byte for byte otherwise (cached values kept): what the VBA client
    can tell the service, which gets values only (Range.Value gives a merged range's value in its top-left cell and
    nothing in the others, exactly like empty cells)."""
    outdir.mkdir(parents=True, exist_ok=True)
    dest = outdir / path.name
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(".xml"):
                data = re.sub(rb"<(\w+:)?mergeCells\b.*?</(\w+:)?mergeCells>|<(\w+:)?mergeCells\b[^>]*/>", b"", data,
                              flags=re.S)
            out.writestr(info, data)
    return dest


def run_cli_check(path: Path, outdir: Path) -> Path:
    """`perfeval-xl check FILE --output DIR` in a subprocess, on the workbook as the client can describe it."""
    source = without_merges(path, outdir.parent / (outdir.name + "-source"))
    proc = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", str(source), "--output", str(outdir)],
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    scored = outdir / path.name
    assert scored.is_file(), proc.stdout + proc.stderr
    return scored


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    return a == b


def assert_values_as_cli_writes(book: BookModel, scored: Path, form_sheet: str) -> None:
    """The form sheet's and 校验结果's values equal those in `check --output`'s scored copy (formula cells aside:
    openpyxl's copy holds the formula with no result; our HYPERLINK links compare by the text they show)."""
    formulas = openpyxl.load_workbook(scored)
    for name in (form_sheet, RESULTS_SHEET):
        ws, sheet = formulas[name], book.sheet(name)
        keys = {(c.row - 1, c.column - 1) for row in ws.iter_rows() for c in row if c.value is not None}
        keys |= set(sheet.cells)
        if name == RESULTS_SHEET:
            keys -= _exact_fill_column(ws)
        for key in sorted(keys):
            theirs = ws.cell(key[0] + 1, key[1] + 1).value
            if isinstance(theirs, str) and theirs.startswith("="):
                continue
            ours = sheet.value(key)
            assert _same(ours, theirs), f"{name}!{ws.cell(key[0] + 1, key[1] + 1).coordinate}: {ours!r} ≠ {theirs!r}"


def _exact_fill_column(ws) -> set[tuple[int, int]]:
    """The state's column holding a marked cell's whole fill as the file adapter reads it (where writeback records
    one): a client that sends no colours cannot fill it, and 清除标记 there restores the colour of 原底色."""
    header = next((c for row in ws.iter_rows() for c in row if c.value == "原填充"), None)
    if header is None:
        return set()
    return {(r, header.column - 1) for r in range(header.row - 1, ws.max_row)}


def _form_sheet(book: BookModel) -> str:
    title = book.sheet(RESULTS_SHEET).cells[(0, 1)]
    return next(s.name for s in book.sheets if title.endswith(f"（{s.name}）"))


@pytest.mark.parametrize("path", WORKBOOKS, ids=IDS)
def test_main_gives_what_xlwings_engine_and_check_output_give(path, as_excel_holds_them, tmp_path):
    source = as_excel_holds_them[path.stem]
    book = BookModel.from_xlsx(source)
    after, actions = click(book, "main")
    assert {a["func"] for a in actions} <= {"setValues", "setRangeColor", "runMacro", "addSheet", "activateSheet",
                                            "alert", "sheetClearContents"}
    assert after.sheets[-1].name == RESULTS_SHEET and after.active == len(after.sheets) - 1
    assert after.alerts[-1][1] == "绩效自评：校验完成" and "总分" in after.alerts[-1][0]
    form_sheet = _form_sheet(after)
    assert_values_as_cli_writes(after, run_cli_check(source, tmp_path / "scored"), form_sheet)
    # nothing but the form sheet's own cells and 校验结果 changed
    before, now = state(book), state(after)
    for name in before["sheets"]:
        if name != form_sheet:
            assert now["cells"][name] == before["cells"][name] and now["fills"][name] == before["fills"][name]


@pytest.mark.parametrize("path", WORKBOOKS, ids=IDS)
def test_second_click_behaves_like_the_local_path(path, as_excel_holds_them, tmp_path):
    source = as_excel_holds_them[path.stem]
    first, _ = click(BookModel.from_xlsx(source), "main")
    second, actions = click(first, "main")
    # the request now carries 校验结果 and our values; the client clears 校验结果 and rewrites it, nothing is added
    assert [a["func"] for a in actions].count("addSheet") == 0
    assert [s.name for s in second.sheets] == [s.name for s in first.sheets]
    form_sheet = _form_sheet(second)
    assert state(second)["cells"][form_sheet] == state(first)["cells"][form_sheet]
    assert state(second)["fills"][form_sheet] == state(first)["fills"][form_sheet]
    # …and equals check --output run on the scored copy (the local path's second run)
    scored = run_cli_check(source, tmp_path / "first")
    assert_values_as_cli_writes(second, run_cli_check(scored, tmp_path / "second"), form_sheet)


@pytest.mark.parametrize("path", WORKBOOKS, ids=IDS)
def test_clear_marks_takes_back_what_main_wrote(path, as_excel_holds_them):
    book = BookModel.from_xlsx(as_excel_holds_them[path.stem])
    checked, _ = click(book, "main")
    cleared, actions = click(checked, "clear_marks")
    assert actions[-2]["func"] == "sheetDelete" and actions[-1]["func"] == "alert"
    original, now = state(book), state(cleared)
    assert now["sheets"] == original["sheets"]
    assert now["cells"] == original["cells"]
    assert now["fills"] == original["fills"]


def _shaoyang() -> Path:
    return next(p for p in WORKBOOKS if p.parent.name == "examples" and p.stem.startswith("邵阳"))


def test_a_typed_value_is_never_overwritten(as_excel_holds_them):
    book = BookModel.from_xlsx(as_excel_holds_them[_shaoyang().stem])
    # leave 自助终端机's 得分 for the tool, as test_xl does: it fills 2.5
    table = next(parse_area(f"'{s}'!{a}") for n, s, a in book.names if n == "绩效指标")
    sheet = book.sheet(table.sheet)
    score = (table.top, table.left + 6)
    sheet.put(score, None)
    checked, _ = click(book, "main")
    assert checked.sheet(table.sheet).value(score) == 2.5
    checked.sheet(table.sheet).put(score, 2)  # the person types 2 over it
    again, actions = click(checked, "main")
    assert again.sheet(table.sheet).value(score) == 2
    written = {(a["start_row"] + i, a["start_column"]) for a in actions if a["func"] == "setValues"
               and a["sheet_position"] == 0 for i in range(a["row_count"])}
    assert score not in written
    results = [v for v in again.sheet(RESULTS_SHEET).cells.values()]
    assert "I307" in results  # reported in 校验结果 instead


def test_a_formula_showing_nothing_is_not_written_over():
    """The VBA client sends "" for a formula that shows nothing (null for an empty cell). We treat such a cell like
    a formula and leave it; xlwings' engine reads "" as empty and would write over the formula."""
    for printed in (p for p in WORKBOOKS if p.parent.name == "printed"):
        payload = BookModel.from_xlsx(printed).payload()
        evaluation, write, _ = check_edit(read_payload(payload).book)
        fills = sorted(set(write.values) & {o.cell for o in evaluation.outputs if o.mode == "fill"})
        if fills:
            break
    target = parse_ref(fills[0])
    payload["sheets"][0]["values"][target[0]][target[1]] = ""
    again = [a for a in handle("main", payload)["actions"] if a["func"] == "setValues" and a["sheet_position"] == 0]
    written = {(a["start_row"] + i, a["start_column"]) for a in again for i in range(a["row_count"])}
    assert written and target not in written
    theirs = [a for a in oracle("main", payload) if a["func"] == "setValues" and a["sheet_position"] == 0]
    assert target in {(a["start_row"] + i, a["start_column"]) for a in theirs for i in range(a["row_count"])}


def test_no_fill_goes_through_the_addin_macro_and_xlwings_none_would_stop_the_client():
    printed = next(p for p in WORKBOOKS if p.parent.name == "printed")
    book = BookModel.from_xlsx(printed)
    checked, _ = click(book, "main")
    _, actions = click(checked, "clear_marks")
    macros = [a for a in actions if a["func"] == "runMacro"]
    assert macros and all(a["args"][0] == CLEAR_FILL_MACRO and len(a["args"][2]) <= 255 for a in macros)
    # what xlwings' engine sends for `range.color = None`: the client cannot apply it
    with pytest.raises(VbaRuntimeError):
        checked.copy().apply([{"func": "setRangeColor", "args": [None], "values": None, "sheet_position": 0,
                               "start_row": 0, "start_column": 0, "row_count": 1, "column_count": 1}])
    # and an add-in without the macro would stop too: the add-in build must carry CLEAR_FILL_VBA
    bare = checked.copy()
    bare.macros = frozenset()
    with pytest.raises(VbaRuntimeError):
        bare.apply(macros)


def test_a_workbook_without_a_form_gets_the_same_message_as_on_desktop():
    book = BookModel.from_xlsx(_shaoyang())
    payload = book.payload(include=["填表说明"])
    payload["names"] = []
    ours = handle("main", payload)["actions"]
    assert ours == oracle("main", payload)
    assert [a["func"] for a in ours] == ["alert"] and ours[0]["args"][3] == "critical"


def test_actions_are_small(as_excel_holds_them):
    """WinHttp posts over an intranet with a 30 s timeout: the answer holds what changed, not the sheets."""
    book = BookModel.from_xlsx(as_excel_holds_them[_shaoyang().stem])
    payload = book.payload(include=addin_include(book))
    actions = handle("main", payload)["actions"]
    form_cells = sum(a["row_count"] * a["column_count"] for a in actions
                     if a["func"] == "setValues" and a["sheet_position"] == 0)
    used = len(payload["sheets"][0]["values"]) * len(payload["sheets"][0]["values"][0])
    assert form_cells * 5 < used
    size = len(json.dumps({"actions": actions}, ensure_ascii=False).encode())
    assert size < 64_000 and len(actions) < 100
    print(f"main: {len(actions)} actions, {size} bytes, {form_cells} form cells written of {used} sent")


@pytest.mark.parametrize("path", WORKBOOKS, ids=IDS)
def test_we_read_the_request_as_xlwings_engine_reads_it(path, as_excel_holds_them):
    """The same GridBook from the same request: names (print areas and titles too), the sheets a form needs, every
    value (null and "" empty, ISO texts dates, numbers as sent)."""
    book = BookModel.from_xlsx(as_excel_holds_them[path.stem])
    payload = book.payload(include=addin_include(book))
    theirs, _ = read_book(xw.Book(json=copy.deepcopy(payload)))
    ours = read_payload(payload).book
    assert ours.source == theirs.source == path.name
    assert ours.names == theirs.names
    if path.parent.name != "printed":
        assert "Print_Area" in ours.names  # sheet-scoped names arrive as "自评表!Print_Area", keyed without the sheet
    assert set(ours.sheets) == set(theirs.sheets)
    for name, grid in theirs.sheets.items():
        assert _trimmed(ours.sheets[name].values) == _trimmed(grid.values), name


def _trimmed(values: list[list]) -> list[list]:
    """Without trailing empty rows: the engine reads an excluded or empty sheet as one empty cell at A1."""
    rows = [list(row) for row in values]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    return rows


def test_protocol_error_crosses_a_process_pool_intact():
    error = pickle.loads(pickle.dumps(ProtocolError(422, "请求内容不对。")))
    assert (error.status, error.message, str(error)) == (422, "请求内容不对。", "请求内容不对。")


# --- Requests we refuse ------------------------------------------------------------------------------------------


def _payload() -> dict:
    return BookModel.from_xlsx(_shaoyang()).payload()


def test_another_xlwings_version_is_asked_for_the_matching_addin():
    payload = _payload()
    payload["version"] = "0.33.1"
    with pytest.raises(ProtocolError) as caught:
        handle("main", payload)
    assert caught.value.status == 400
    assert "请使用与服务版本一致的加载项" in caught.value.message
    assert "0.33.1" in caught.value.message and CLIENT_VERSION in caught.value.message
    assert CLIENT_VERSION == xw.__version__  # the add-in we build carries the pinned xlwings' client


def _malformed() -> list:
    good = _payload()

    def changed(path, value):
        payload = copy.deepcopy(good)
        target = payload
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return payload

    return [
        None, [], "text", 3,
        changed(["client"], "Office.js"),
        changed(["version"], None),
        changed(["book"], KeyError),
        changed(["book", "name"], 5),
        changed(["names"], KeyError),
        changed(["names"], {"a": 1}),
        changed(["names", 0, "sheet_index"], "0"),
        changed(["names", 0, "book_scope"], "yes"),
        changed(["sheets"], []),
        changed(["sheets"], [1]),
        changed(["sheets", 0, "name"], ""),
        changed(["sheets", 1, "name"], good["sheets"][0]["name"]),
        changed(["sheets", 0, "values"], "A1"),
        changed(["sheets", 0, "values", 0], 7),
        changed(["sheets", 0, "values", 1], ["x"]),
        changed(["sheets", 0, "values", 0, 0], {"x": 1}),
        changed(["sheets", 0, "values", 0, 0], float("nan")),
        changed(["sheets", 0, "values", 0, 0], "x" * 40_000),
        changed(["sheets", 0, "values"], [[None] * 600]),
        changed(["sheets", 0, "values"], [[None]] * 30_000),
        changed(["sheets"], [{"name": f"s{i}", "values": [[]], "pictures": [], "tables": []} for i in range(300)]),
        changed(["sheets", 0, "pictures"], "none"),
    ]


@pytest.mark.parametrize("payload", _malformed(), ids=lambda p: type(p).__name__)
def test_a_malformed_payload_is_a_protocol_error_in_chinese(payload):
    with pytest.raises(ProtocolError) as caught:
        handle("main", payload)
    assert caught.value.status in (400, 413, 422)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in caught.value.message)


def test_an_unknown_entry_is_404():
    with pytest.raises(ProtocolError) as caught:
        handle("../etc", _payload())
    assert caught.value.status == 404


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.fixed_dictionaries({"client": st.just("VBA"), "version": st.just(CLIENT_VERSION)},
                             optional={"book": _json | st.fixed_dictionaries({"name": st.text(max_size=10)}),
                                       "names": _json, "sheets": _json | st.lists(
                                           st.fixed_dictionaries({"name": st.text(max_size=5), "values": _json}),
                                           max_size=3)}))
def test_no_exception_but_protocol_error_escapes(payload):
    try:
        result = handle("main", payload)
    except ProtocolError as exc:
        assert exc.status in (400, 413, 422)
        return
    assert isinstance(result["actions"], list)
