"""The input budget and the gate in front of both readers (issue #12): limits from the zip directory and from a
bounded streaming scan, regular files only, a file that changes while it is read."""

from __future__ import annotations

import os
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from hostile.kinds_read import EXAMPLE, SHEET, raw_zip, repeated_deflate, rewritten, sheet_head_and_tail, with_rows
from hostile.kinds_read import example_entries
from perfeval_xl import grid
from perfeval_xl.budget import DEFAULT_BUDGET, Budget, check_budget
from perfeval_xl.grid import FormReadError, read_with_calamine
from perfeval_xl.xlsx_io import _load_openpyxl, check_file


def _refused(data: bytes, budget: Budget = DEFAULT_BUDGET, sheets=None) -> str:
    with pytest.raises(FormReadError) as caught:
        check_budget(data, "表.xlsx", sheets, budget)
    message = str(caught.value)
    assert message.startswith("表.xlsx："), message
    return message


def test_a_real_form_is_far_within_the_budget():
    check_budget(EXAMPLE.read_bytes(), EXAMPLE.name)
    small = Budget(max_cells=2_000, max_rows=60, max_columns=15, max_area=3 * 60 * 15)
    check_budget(EXAMPLE.read_bytes(), EXAMPLE.name, None, small)  # the example: 45 rows x 12 columns, 3 sheets


def test_the_extent_comes_from_the_cells_not_the_dimension_tag():
    far = rewritten({SHEET: with_rows(b'<row r="30000"><c r="B30000"><v>1</v></c></row>')})
    assert "第 30,000 行（上限 20,000 行）" in _refused(far)
    wide = rewritten({SHEET: with_rows(b'<row r="50"><c r="ZZ50"><v>1</v></c></row>')})
    assert "第 702 列（上限 500 列）" in _refused(wide)
    lying = rewritten({SHEET: lambda d: d.replace(b'<dimension ref="A1:L45" />', b'<dimension ref="A1:XFD1048576" />')})
    check_budget(lying, "表.xlsx")


def test_cells_without_references_are_placed_as_the_readers_place_them():
    row = b"<row>" + b"<c><v>1</v></c>" * 600 + b"</row>"  # 600 cells one after another: column 600
    assert "第 600 列" in _refused(rewritten({SHEET: with_rows(row)}))
    short = b"<row>" + b"<c><v>1</v></c>" * 10 + b"</row>"
    check_budget(rewritten({SHEET: with_rows(short)}), "表.xlsx")


def test_the_area_limit_adds_up_the_sheets():
    budget = Budget(max_area=45 * 12 + 100)
    message = _refused(EXAMPLE.read_bytes(), budget)  # the form sheet's area passes; with the others it does not
    assert "内容范围达" in message
    check_budget(EXAMPLE.read_bytes(), "表.xlsx", ["自评表"], budget)  # only the form's sheet: within


def test_a_bomb_is_refused_after_a_few_megabytes():
    head, tail = sheet_head_and_tail()
    row = b"<row>" + b"<c><v>1</v></c>" * 100 + b"</row>"
    payload, _, size = repeated_deflate(head, row * 100, 30_000, tail, crc=False)  # 4.2 GB, 300 million cells
    # declared as 4 MB (under the ratio floor) with no CRC: only the scan of the stream itself can refuse it
    data = raw_zip(example_entries({SHEET: (payload, 0, 4 * 2**20)}))
    start = time.perf_counter()
    message = _refused(data)
    seconds = time.perf_counter() - start
    tracemalloc.start()  # again, for memory (tracemalloc slows every allocation: not timed)
    _refused(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "单元格超过 200,000 个" in message
    assert peak < 16 * 2**20, peak  # chunks of 1 MB, never the part
    print(f"bomb of {size / 2**30:.1f} GB refused in {seconds:.2f} s, peak {peak / 2**20:.1f} MB (Python heap)")


def test_a_directory_that_understates_a_part_is_refused():
    with open(EXAMPLE, "rb"):
        pass
    import zipfile
    import zlib

    with zipfile.ZipFile(EXAMPLE) as source:
        sheet = source.read(SHEET)
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    payload = compressor.compress(sheet) + compressor.flush()
    data = raw_zip(example_entries({SHEET: (payload, zlib.crc32(sheet), 1000)}))
    assert "实际大小与压缩包目录记载的不符" in _refused(data)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    outcome = {}

    def read():
        try:
            read_with_calamine(fifo)
        except FormReadError as exc:
            outcome["message"] = str(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "opening the FIFO blocked"
    assert outcome["message"] == "管道.xlsx：这是一个管道（FIFO），不是普通文件，不能作为工作簿读取。"


@pytest.mark.parametrize("change", ["truncated", "grown"])
def test_a_file_that_changes_while_it_is_read_gets_a_chinese_message(tmp_path, monkeypatch, change):
    """The file really changes on disk between the reader's look at it and its read. No tool here makes that happen
    at a chosen moment, so the read itself is wrapped to change the file just before it runs (the read and the
    change are real)."""
    path = tmp_path / "正在拷贝.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    real_read = os.read
    calls = []

    def read_while_it_changes(fd, n):
        calls.append(n)
        if len(calls) == 1:  # after the reader looked at the file (fstat), before it reads it
            if change == "truncated":
                os.truncate(path, path.stat().st_size // 2)
            else:
                with open(path, "ab") as handle:
                    handle.write(b"\0" * 1000)
        return real_read(fd, n)

    monkeypatch.setattr(grid.os, "read", read_while_it_changes)
    for reader in (read_with_calamine, _load_openpyxl):
        calls.clear()
        path.write_bytes(EXAMPLE.read_bytes())
        with pytest.raises(FormReadError) as caught:
            reader(path)
        assert str(caught.value) == ("正在拷贝.xlsx：读取时文件正在被修改或写入（大小或修改时间变了），"
                                     "请等保存或拷贝完成后再试。")


def test_a_file_over_the_size_limit_is_not_read(tmp_path, monkeypatch):
    path = tmp_path / "大.xlsx"
    path.write_bytes(EXAMPLE.read_bytes())
    with pytest.raises(FormReadError, match=r"^大.xlsx：文件大小 0 MB，超过本工具的上限 0 MB"):
        grid.read_package(path, Budget(max_file_bytes=1000))


def test_check_reads_the_example_as_before():
    assert check_file(EXAMPLE).total == pytest.approx(72.62, abs=0.005)


def test_a_broken_policy_file_is_named_and_said_in_chinese(tmp_path):
    from perfeval_xl.policy import PolicyError, load_policy

    broken = tmp_path / "本市口径.toml"
    broken.write_text('name = "本市"\n[severity\nB205 = "error"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policy(str(broken))
    message = str(caught.value)
    assert message.startswith(f"评分口径文件 {broken} 格式有误：第 2 行第 10 列附近不符合 TOML 写法")
    assert not any(word in message for word in ("Expected", "Invalid", "line", "column"))
    folder = tmp_path / "口径.toml"
    folder.mkdir()
    with pytest.raises(PolicyError, match=r"口径.toml 不是普通文件"):
        load_policy(str(folder))
