"""Every hostile or broken input (tests/hostile/) through every command, each in its own child process.

For each kind: check, check --json, check --output, check --in-place (on a fresh build), clear (on a fresh build) and
summary of a folder holding the kind and a good form. Asserted: the exit code the README promises (0/1 read,
2 unreadable), a Chinese message naming the file, no traceback or exception class name, input bytes unchanged
(except what --in-place and clear may write), and for summary the good form's row. Time and memory are measured
by scripts/hostile_table.py and printed in docs/reliability.md, not asserted here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from hostile.runner import COMMANDS, GOOD, all_kinds, argv_for, launch, snapshot, wait

KINDS = all_kinds()
READ_KINDS = {k.name for k in __import__("hostile.kinds_read", fromlist=["KINDS"]).KINDS}
# The write side's kinds go through their writes (and check -> clear -> compare) in test_restore.py; here they get
# the reading commands, so that the suite stays well under two minutes.
READING = ("check", "check --json", "summary")
CJK = re.compile(r"[\u4e00-\u9fff]")
# A Python exception's class name, or the interpreter's own words, in what a user reads.
FOREIGN = re.compile(r"Traceback|\b[A-Z]\w*(?:Error|Exception|Warning)\b|Errno|\bsignal\b")
# Kinds that summary does not list as a file of its own (an empty folder holds no workbook to fail).
NOT_A_SUMMARY_ROW = {"empty-folder"}


def _shown_name(path: Path) -> str:
    """How the file's name appears in our output: a name that is not valid text is printed with "?" for its bytes."""
    return path.name.encode("utf-8", "replace").decode("utf-8")


@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_every_command_answers_in_chinese_with_the_documented_exit_code(kind, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    # summary checks in its own process here (--jobs 1): starting a worker pool per kind would double the test's time;
    # its pool is tested in test_summary.py and test_isolation.py, and scripts/hostile_table.py runs the default
    commands = COMMANDS if kind.name in READ_KINDS else READING
    prepared = {command: argv_for(command, kind, work, summary_jobs="1") for command in commands}
    before = {command: snapshot(target.parent) for command, (_, target) in prepared.items()}
    started = {command: launch(argv, work) for command, (argv, _) in prepared.items()}
    for command, (argv, target) in prepared.items():
        run = wait(command, argv, started[command])
        where = f"{kind.name} / {command}: exit {run.status} signal {run.signal_number}\n{run.text[-2000:]}"
        assert not run.timed_out, where
        assert run.signal_number is None, where  # no abort, no kill
        assert not FOREIGN.search(run.text), where
        assert CJK.search(run.text), where
        writes = command in ("check --output", "check --in-place", "clear")
        if command == "summary":
            expected = {1} if kind.readable or kind.name in NOT_A_SUMMARY_ROW else {2}
        elif not kind.readable:
            expected = {2}
        elif writes and not kind.writable:
            expected = {0, 1, 2}  # read, but a copy may be refused (it would lose something); said in Chinese
        elif command == "clear":
            expected = {0}  # nothing of ours to clear in a file never checked
        else:
            expected = {0, 1}
        assert run.status in expected, where
        if run.status == 2 and command != "summary":
            assert _shown_name(target) in run.text, where
        # Input bytes: unchanged, except what --in-place and clear wrote when they succeeded. (--output and summary
        # write into their own folders, beside the input's.)
        if not (command in ("check --in-place", "clear") and run.status in (0, 1)):
            assert snapshot(target.parent) == before[command], where
        if command == "check --json" and run.out.strip():
            records = json.loads(run.out)
            assert records and all(("error" in r) != kind.readable for r in records), where
        if command == "summary":
            forms = openpyxl.load_workbook(work / "汇总.xlsx", read_only=True)["汇总"]
            rows = list(forms.iter_rows(values_only=True))
            header = rows[0]
            name, grade = header.index("文件"), header.index("等次")
            good = [r for r in rows[1:] if r[name] and GOOD.name in r[name]]
            assert len(good) == 1 and good[0][grade] != "读取失败", where
            failed = [r for r in rows[1:] if r[grade] == "读取失败"]
            assert bool(failed) == (run.status == 2), where
