"""The service's file jobs: top-level functions, so the worker pool can pickle them. Each calls the same functions as
the command line (check_file, score_workbook, evaluation_record, check_one, write_summary); none holds a rule.

A record's "file" is the upload's safe name, never the server's temporary path.
"""

from __future__ import annotations

from pathlib import Path

from ..cli import evaluation_record
from ..grid import FormReadError
from ..summary import failure_record


def _program_error(name: str, exc: Exception) -> str:
    return (f"{name}：处理时程序出错（{type(exc).__name__}），本文件未校验，也未写入任何文件。"
            f"请把该文件和这条信息发给维护人员。")


def _scrub(message: str, folder: Path) -> str:
    """A message without the server's temporary folder in it (a write error names the full path)."""
    return message.replace(f"{folder}/", "").replace(str(folder), "")


def check_job(path: str, policy: str | None, family: str | None) -> dict:
    """`check --json`'s record of one uploaded file; a file that cannot be read gives a record with "error"."""
    from ..xlsx_io import check_file

    source = Path(path)
    shown = Path(source.name)
    try:
        return evaluation_record(shown, check_file(source, policy, family))
    except FormReadError as exc:
        return failure_record(shown, _scrub(str(exc), source.parent))
    except Exception as exc:  # a bug costs this file's entry, not the request
        return failure_record(shown, _program_error(source.name, exc))


def scored_job(path: str, dest: str, policy: str | None, family: str | None) -> dict:
    """Write the scored workbook to `dest` (as `check --output` does) and return its record. FormReadError (a Chinese
    sentence) when the file cannot be read or written."""
    from ..xlsx_io import score_workbook

    source = Path(path)
    try:
        checked = score_workbook(source, Path(dest), policy, family)
    except FormReadError as exc:
        raise FormReadError(_scrub(str(exc), source.parent)) from None
    except Exception as exc:
        raise FormReadError(_program_error(source.name, exc)) from None
    record = evaluation_record(Path(source.name), checked.evaluation, Path(Path(dest).name))
    if checked.dropped:
        record["notices"] = [f"评分后的工作簿不含原文件中的{'、'.join(checked.dropped)}（原文件未改动）"]
    return record


def summary_check_job(path: str, policy: str | None, family: str | None) -> dict:
    """The summary's record of one file (`check --json`'s plus the amounts), as `perfeval-xl summary` makes it."""
    from ..summary import check_one

    return check_one(Path(path), policy, family)


def summary_write_job(records: list[dict], dest: str, policy: str | None) -> None:
    from ..summary import write_summary

    write_summary(records, Path(dest), policy)


def xlwings_job(entry: str, payload: dict) -> tuple[int, dict | str]:
    """The Excel client's call: (200, {"actions": […]}) or (status, Chinese message). The protocol's error is turned
    into a plain tuple here so that nothing but plain data crosses the process boundary."""
    from .xlwings_protocol import ProtocolError, handle

    try:
        return 200, handle(entry, payload)
    except ProtocolError as exc:
        return exc.status, exc.message
