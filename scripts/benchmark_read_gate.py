"""What the input gate (issue #12: regular-file check, budget scan, one read) costs per form, against an earlier
revision of the package, in one process so that a shared machine's load falls on both alike.

    python scripts/benchmark_read_gate.py                  # against 9a1dac8 (main before #12), 400 forms
    python scripts/benchmark_read_gate.py --base main --n 1000

The base revision's perfeval_xl is extracted with `git archive` into a temporary folder and imported under another
name. Forms are made by scripts/benchmark_batch.py's generator (both templates and the printed layouts). check_file
of both revisions runs file by file in turn (order swapped every other file), five rounds; the best round of each
is compared. Then summary's checking part (check_all on all cores: the old ProcessPoolExecutor in chunks against
LimitedPool, one task per file) the same way. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))


def import_base(revision: str, folder: Path):
    archive = subprocess.run(["git", "archive", revision, "perfeval_xl"], cwd=ROOT, capture_output=True, check=True)
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(folder)
    (folder / "perfeval_xl").rename(folder / "perfeval_base")
    sys.path.insert(0, str(folder))
    import perfeval_base.summary as base_summary
    import perfeval_base.xlsx_io as base_io

    return base_io, base_summary


def tolerant(check):
    """A form the other revision cannot recognise (a layout added since) still costs its read: time it too."""
    def run(path):
        try:
            return check(path)
        except Exception:  # noqa: BLE001  FormReadError of either revision
            return None
    return run


def per_form(old, new, paths, rounds=5):
    old, new = tolerant(old), tolerant(new)
    for path in paths[:20]:
        old(path), new(path)
    best_old = best_new = float("inf")
    for r in range(rounds):
        t_old = t_new = 0.0
        for i, path in enumerate(paths):
            for which in ((old, new) if (i + r) % 2 else (new, old)):
                start = time.perf_counter()
                which(path)
                spent = time.perf_counter() - start
                if which is old:
                    t_old += spent
                else:
                    t_new += spent
        best_old, best_new = min(best_old, t_old), min(best_new, t_new)
        print(f"  round {r}: base {t_old / len(paths) * 1e3:.2f} ms/form, new {t_new / len(paths) * 1e3:.2f} ms/form")
    return best_old / len(paths), best_new / len(paths)


def main() -> int:
    parser = argparse.ArgumentParser(description="输入预算与统一读取入口的开销（与旧版本同进程交替对比）")
    parser.add_argument("--base", default="9a1dac8", help="对比的旧版本（git 版本号，默认为 #12 之前的 main）")
    parser.add_argument("--n", type=int, default=400, help="表格份数")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    import benchmark_batch

    from perfeval_xl.summary import check_all
    from perfeval_xl.xlsx_io import check_file

    with tempfile.TemporaryDirectory() as scratch:
        base_io, base_summary = import_base(args.base, Path(scratch) / "base")
        counts = benchmark_batch.generate(Path(scratch) / "forms", args.n, 20, 1)
        paths = sorted((Path(scratch) / "forms" / "forms").glob("*.xlsx"))
        print(f"{len(paths)} forms: {counts}")
        print("check_file, one process:")
        old, new = per_form(base_io.check_file, check_file, paths)
        print(f"check_file: base {old * 1e3:.2f} ms/form, new {new * 1e3:.2f} ms/form, {100 * (new / old - 1):+.1f}%")
        print(f"summary's checking (check_all, {args.jobs} processes), 3 rounds each, in turn:")
        times = {"base": [], "new": []}
        for r in range(3):
            for label, function in (("base", base_summary.check_all), ("new", check_all))[::1 if r % 2 else -1]:
                start = time.perf_counter()
                records = function(paths, None, None, args.jobs)
                times[label].append(time.perf_counter() - start)
                assert len(records) == len(paths)
        old, new = min(times["base"]), min(times["new"])
        print(f"check_all: base {old:.2f} s ({old / len(paths) * 1e3:.2f} ms/form), new {new:.2f} s "
              f"({new / len(paths) * 1e3:.2f} ms/form), {100 * (new / old - 1):+.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
