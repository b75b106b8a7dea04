"""Backups are sacred, no save is lost, no temp file is left behind (issue #12, the writing side).

- A `.bak.xlsx` that holds a person's original is never deleted or written over: a read-only file, a second
  --in-place, a clear after one, or a `.bak` someone made themselves each get a new numbered backup.
- --in-place and clear replace a file only if it is still the one they read: a save made meanwhile (Excel, WPS)
  survives, and our result is left beside it.
- Temporary files an interrupted run left behind are removed by the next run in that folder; nobody else's are.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import openpyxl

from restore_support import differences
from test_cli import CJK, VERDICT, example_copy, run_check, sha256
from test_restore import cli


def backups_of(form: Path) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(form.parent.iterdir()) if ".bak" in p.name}


def test_a_read_only_file_keeps_every_backup_through_two_runs_and_a_clear(tmp_path):
    form = example_copy(tmp_path, cells={"H14": None})
    reference = tmp_path / "reference" / "seed004.xlsx"
    reference.parent.mkdir()
    reference.write_bytes(form.read_bytes())
    original = sha256(form)
    os.chmod(form, 0o444)

    assert run_check(form, "--in-place").code == 1
    first = sha256(form)
    assert backups_of(form) == {"seed004.bak.xlsx": original}
    edited = openpyxl.load_workbook(form)  # the person works on the scored file, then checks it again
    edited["自评表"]["I19"] = "已补充说明"
    os.chmod(form, 0o644)
    edited.save(form)
    os.chmod(form, 0o444)
    person = sha256(form)
    assert person != first

    second = run_check(form, "--in-place")
    assert second.code == 1 and f"原文件已备份为 {tmp_path / 'seed004.bak2.xlsx'}" in second.out
    cleared = cli("clear", form)
    assert cleared.returncode == 0 and "seed004.bak3.xlsx" in cleared.stdout
    found = backups_of(form)
    assert found["seed004.bak.xlsx"] == original and found["seed004.bak2.xlsx"] == person
    assert set(found) == {"seed004.bak.xlsx", "seed004.bak2.xlsx", "seed004.bak3.xlsx"}
    assert all(os.stat(tmp_path / name).st_mode & 0o777 == 0o444 for name in found)  # read-only like the original
    assert os.stat(form).st_mode & 0o777 == 0o444
    # What clear gives back is the person's edited file without our marks: their I19 text, H14 empty again.
    ws = openpyxl.load_workbook(form)["自评表"]
    assert ws["I19"].value == "已补充说明" and ws["H14"].value is None
    assert [line for line in differences(reference, form) if not line.startswith("自评表!I19:")] == []


def test_a_backup_someone_made_is_never_written_over(tmp_path):
    form = example_copy(tmp_path)
    theirs = tmp_path / "seed004.bak.xlsx"
    theirs.write_bytes(b"PK\x03\x04 not even a workbook: still nobody's business but theirs")
    kept = sha256(theirs)
    original = sha256(form)
    run = run_check(form, "--in-place")
    assert run.code == 1
    assert sha256(theirs) == kept
    assert sha256(tmp_path / "seed004.bak2.xlsx") == original
    assert f"{form}: 原文件已备份为 {tmp_path / 'seed004.bak2.xlsx'}" in run.out


def test_a_backup_with_the_same_bytes_is_reused_not_duplicated(tmp_path):
    form = example_copy(tmp_path)
    (tmp_path / "seed004.bak.xlsx").write_bytes(form.read_bytes())
    run = run_check(form, "--in-place")
    assert run.code == 1 and f"原文件已备份为 {tmp_path / 'seed004.bak.xlsx'}" in run.out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed004.bak.xlsx", "seed004.xlsx"]


def test_a_folder_check_skips_numbered_backups_and_results_left_beside(tmp_path):
    form = example_copy(tmp_path)
    for name in ("seed004.bak.xlsx", "seed004.bak2.xlsx", "seed004.bak17.xlsx", "seed004.perfeval-结果.xlsx"):
        (tmp_path / name).write_bytes(form.read_bytes())
    again = run_check(tmp_path)
    assert [VERDICT.match(line)["file"] for line in again.lines if VERDICT.match(line)] == [str(form)]


# --- no lost update ------------------------------------------------------------------------------------------

PERSON_SAVES = "张三在 Excel 中保存的新内容"


def _save_while_working(monkeypatch, form: Path):
    """Make openpyxl's save (of our temporary file) also stand for a person saving `form` from Excel at that
    moment: the real file on disk changes between our read and our replace. (Desktop Excel cannot run here.)"""
    from openpyxl.workbook.workbook import Workbook

    real_save = Workbook.save

    def save_and_someone_saves_too(self, filename):
        real_save(self, filename)
        person = openpyxl.load_workbook(form)
        person["自评表"]["I19"] = PERSON_SAVES
        real_save(person, form)

    monkeypatch.setattr(Workbook, "save", save_and_someone_saves_too)


def test_a_save_made_during_in_place_survives_and_our_result_goes_beside(tmp_path, monkeypatch, capsys):
    from perfeval_xl import cli as cli_module

    form = example_copy(tmp_path, cells={"H14": None})
    _save_while_working(monkeypatch, form)
    status = cli_module.main(["check", str(form), "--in-place"])
    printed = capsys.readouterr().out
    assert status == 2
    assert openpyxl.load_workbook(form)["自评表"]["I19"].value == PERSON_SAVES  # their save is what is there
    beside = tmp_path / "seed004.perfeval-结果.xlsx"
    assert "校验结果" in openpyxl.load_workbook(beside).sheetnames  # our work is not lost either
    line = next(line for line in printed.splitlines() if line.startswith(f"{form}: 无法写入："))
    assert "已被修改" in line and str(beside) in line and CJK.search(line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed004.perfeval-结果.xlsx", "seed004.xlsx"]  # no .bak


def test_a_save_made_during_clear_survives(tmp_path, monkeypatch, capsys):
    from perfeval_xl import cli as cli_module

    form = example_copy(tmp_path)
    assert run_check(form, "--in-place").code == 1
    scored = tmp_path / "scored.xlsx"
    scored.write_bytes(form.read_bytes())
    _save_while_working(monkeypatch, form)
    assert cli_module.main(["clear", str(form)]) == 2
    printed = capsys.readouterr().out
    wb = openpyxl.load_workbook(form)
    assert wb["自评表"]["I19"].value == PERSON_SAVES and "校验结果" in wb.sheetnames
    beside = tmp_path / "seed004.perfeval-结果.xlsx"
    assert "校验结果" not in openpyxl.load_workbook(beside).sheetnames
    assert f"{form}: 无法清除：" in printed and str(beside) in printed


# --- temporary files -------------------------------------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_our_stale_temp_files_are_removed(tmp_path):
    from perfeval_xl.xlsx_io import _host_tag, remove_stale_temps

    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host, old = _host_tag(), time.time() - 3600
        files = {
            f".~perfeval-{host}-{_dead_pid()}-a1b2c3d4.xlsx": ("fresh", True),  # ours, its process is gone
            f".~perfeval-{host}-{live.pid}-e5f6g7h8.xlsx": ("fresh", False),  # a run in progress here
            f".~perfeval-{host}-{os.getpid()}-i9j0k1l2.xlsx": ("fresh", False),  # this very process
            f".~perfeval-ffffff-{_dead_pid()}-m3n4o5p6.xlsx": ("fresh", False),  # another computer's run
            f".~perfeval-ffffff-123-q7r8s9t0.xlsx": ("old", True),  # anyone's, older than ten minutes
            ".~perfeval-u1v2w3x4.xlsx": ("old", True),  # the older name, left by a kill long ago
            ".~perfeval-y5z6a7b8.xlsx": ("fresh", False),  # the older name, maybe a run in progress
            ".~perfeval-notes.txt": ("old", False), ".~perfeval-草稿.xlsx": ("old", False),
            "~$seed004.xlsx": ("old", False), "seed004.xlsx": ("old", False), ".~perfeval-abc.xlsx": ("old", False),
        }
        for name, (age, _) in files.items():
            (tmp_path / name).write_bytes(b"x")
            if age == "old":
                os.utime(tmp_path / name, (old, old))
        removed = remove_stale_temps(tmp_path)
        assert sorted(p.name for p in removed) == sorted(name for name, (_, gone) in files.items() if gone)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, (_, gone) in files.items() if not gone)
    finally:
        live.kill()
        live.wait()


def test_a_run_killed_while_saving_leaves_a_temp_file_that_the_next_run_removes(tmp_path):
    """A real kill: the run is stopped (SIGKILL) while openpyxl writes the temporary file beside the form."""
    form = example_copy(tmp_path, cells={"H14": None})
    original = sha256(form)
    script = (
        "import os, signal, sys\n"
        "from openpyxl.workbook.workbook import Workbook\n"
        "real = Workbook.save\n"
        "def save(self, filename):\n"
        "    real(self, filename)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"  # killed with the temporary file written, before the rename
        "Workbook.save = save\n"
        "from perfeval_xl.cli import main\n"
        f"main(['check', {str(form)!r}, '--in-place'])\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                       os.environ.get("PYTHONPATH", "")]))
    killed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, timeout=300)
    assert killed.returncode == -9
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".~perfeval-")]
    assert len(left) == 1 and sha256(form) == original  # the form is untouched, a temp file is left
    assert run_check(form, "--in-place").code == 1
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".~perfeval-")] == []
