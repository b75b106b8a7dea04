"""The service's file jobs: top-level functions, so the worker pool can pickle them. Each calls the same functions as
the command line (check_file, score_workbook, evaluation_record, check_one, write_summary); none holds a rule.

A record's "file" is the upload's safe name, never the server's temporary path.
"""

from __future__ import annotations

import json
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


def check_job(name: str, data: bytes, policy: str | None, family: str | None) -> bytes:
    """`check --json`'s record of one uploaded file, as JSON text (encoded here, in the worker, so that the server
    process only joins the records); a file that cannot be read gives a record with "error". `name` is the upload's
    safe name; the bytes never touch the disk."""
    from ..xlsx_io import check_received

    shown = Path(name)
    try:
        record = evaluation_record(shown, check_received(data, name, policy, family))
    except FormReadError as exc:
        record = failure_record(shown, str(exc))
    except Exception as exc:  # a bug costs this file's entry, not the request
        record = failure_record(shown, _program_error(name, exc))
    return json_bytes(record)


def json_bytes(data) -> bytes:
    """JSON as `check --json` writes it (non-JSON values such as dates as text), UTF-8."""
    return json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")


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


def xlwings_job(entry: str, body: bytes) -> tuple[int, bytes | str]:
    """The Excel client's call, from the request's body as sent: (200, the actions as JSON) or (status, Chinese
    message). Parsing and encoding happen here, in the worker, so the server process only passes bytes; the
    protocol's error becomes a plain tuple so that nothing but plain data crosses the process boundary."""
    from .xlwings_protocol import ProtocolError, handle_body

    try:
        return 200, json_bytes(handle_body(entry, body))
    except ProtocolError as exc:
        return exc.status, exc.message
