"""Wall time and peak memory of every command on every hostile kind (tests/hostile/), as a table.

    python scripts/hostile_table.py                 # all kinds, table printed and written into docs/reliability.md
    python scripts/hostile_table.py --kind fifo     # some kinds only (printed, docs left alone)

Each command runs alone (one at a time, so the figures are its own) in a process forked from this one, which has
the package imported: what is measured is the command's work, not Python's start-up. Peak memory is the resident
memory of the command's process and every process it started (LimitedPool workers included), sampled from /proc
every 20 ms. The done-bar of issue #12: no command past 10 s or 500 MB, no abort. Figures are printed, never
asserted: a loaded machine is not a failure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from hostile.runner import COMMANDS, all_kinds, argv_for, launch, wait  # noqa: E402

DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- hostile-table:begin -->", "<!-- hostile-table:end -->"
LIMIT_SECONDS, LIMIT_BYTES = 10.0, 500 * 2**20


def measure(kinds) -> list[tuple]:
    rows = []
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix=f"hostile-{kind.name}-") as folder:
            cells = []
            for command in COMMANDS:
                work = Path(folder) / command.replace(" ", "").replace("-", "")
                work.mkdir()
                argv, _ = argv_for(command, kind, work)
                run = wait(command, argv, launch(argv, work), timeout=60)
                cells.append(run)
                status = "超时" if run.timed_out else f"信号 {run.signal_number}" if run.signal_number else run.status
                print(f"{kind.name:28} {command:18} exit {status!s:4} {run.seconds:6.2f} s {run.peak_rss / 2**20:7.0f} MB",
                      flush=True)
            rows.append((kind, cells))
    return rows


def table(rows) -> str:
    head = "| 类型 | 说明 | 应能读取 | " + " | ".join(COMMANDS) + " |"
    lines = [head, "|" + "---|" * (3 + len(COMMANDS))]
    worst_time = worst_memory = 0.0
    over = []
    for kind, runs in rows:
        cells = []
        for run in runs:
            status = "超时" if run.timed_out else f"信号{run.signal_number}" if run.signal_number else str(run.status)
            cells.append(f"{status} · {run.seconds:.1f} s · {run.peak_rss / 2**20:.0f} MB")
            worst_time, worst_memory = max(worst_time, run.seconds), max(worst_memory, run.peak_rss)
            if run.timed_out or run.signal_number or run.seconds > LIMIT_SECONDS or run.peak_rss > LIMIT_BYTES:
                over.append(f"{kind.name} / {run.command}")
        lines.append(f"| `{kind.name}` | {kind.description} | {'是' if kind.readable else '否'} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"最长 {worst_time:.1f} s，最大内存 {worst_memory / 2**20:.0f} MB（上限 {LIMIT_SECONDS:.0f} s、"
                 f"{LIMIT_BYTES // 2**20} MB）。" + (f"超限：{'、'.join(over)}。" if over else "没有命令超限，没有进程异常退出。"))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="每种恶意/损坏输入上各命令的耗时与峰值内存")
    parser.add_argument("--kind", action="append", help="只测这些类型（可重复）")
    args = parser.parse_args()
    kinds = [k for k in all_kinds() if not args.kind or k.name in args.kind]
    text = table(measure(kinds))
    print()
    print(text)
    if not args.kind and DOC.exists():
        doc = DOC.read_text(encoding="utf-8")
        start, end = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:start] + "\n" + text + "\n" + doc[end:], encoding="utf-8")
        print(f"\n已写入 {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
