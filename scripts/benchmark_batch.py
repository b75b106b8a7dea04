"""How fast a bureau's batch goes: N synthetic forms, read raw, checked, and summarised, in one run.

    python scripts/benchmark_batch.py              # 2,000 forms
    python scripts/benchmark_batch.py --n 10000    # the target: 10,000 forms in under 30 s on 2 cores
    python scripts/benchmark_batch.py --profile    # also where the check pipeline spends its time (cProfile)

The forms go into a temporary folder (removed afterwards unless --keep): our two templates filled with varied figures
(the examples/ forms loaded once with openpyxl, figures changed, a few dozen variants saved, then copied to make N),
and, when tests/layouts.py is there, every printed layout it can write (varied by seed) in equal shares.

Figures printed (no assertions: a slow machine is not a failure):
- raw read: python-calamine reading every sheet's values of every file, nothing else — the floor;
- check pipeline: xlsx_io.check_file (calamine read + recognition + evaluation), in this process and on all cores;
- summary: `perfeval-xl summary` end to end (checking on all cores + writing 汇总.xlsx), and its two parts;
- pipeline / raw read (target ≥ 0.5) and the projected time for 10,000 forms (target < 30 s);
- the pipeline's stages on a sample (read, recognise, policy, evaluate), so a slow stage shows without a profiler.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import openpyxl  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from perfeval_xl.cli import main as cli_main  # noqa: E402
from perfeval_xl.engine import evaluate, resolve_policy  # noqa: E402
from perfeval_xl.forms import read_form, sheets_to_read  # noqa: E402
from perfeval_xl.grid import read_with_calamine  # noqa: E402
from perfeval_xl.summary import check_all, write_summary  # noqa: E402
from perfeval_xl.xlsx_io import check_file  # noqa: E402

STANDARD = ROOT / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
LEGACY = ROOT / "examples" / "晋中-信息网络软件硬件购置更新-2020.xlsx"
TARGET_FORMS, TARGET_SECONDS, TARGET_RATIO = 10_000, 30.0, 0.5
UNITS = ["市住房公积金管理中心", "市财政局", "市教育局", "市卫生健康委员会", "市交通运输局", "市农业农村局", "市水利局",
         "市生态环境局", "市民政局", "市人力资源和社会保障局", "区财政局", "县人民医院", "县第一中学", "市公安局"]
CITIES = ["邵阳", "晋中", "黄冈", "南宁", "太原", "长沙", "武汉", "桂林"]


# --- Synthetic forms ---------------------------------------------------------------------------------------------


def _workbook_bytes(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def standard_variants(count: int, rnd: random.Random) -> list[bytes]:
    """Our standard template (the 邵阳 example) with budget, execution, actual values and typed scores varied."""
    wb = openpyxl.load_workbook(STANDARD)
    ws = wb["自评表"]
    base = {ref: ws[ref].value for ref in ("D7", "E7", "E9", "E10")}
    weights = {r: ws[f"G{r}"].value for r in range(14, 35)}
    actuals = {r: ws[f"F{r}"].value for r in range(14, 32)}
    variants = []
    for i in range(count):
        scale = rnd.uniform(0.3, 4.0)
        annual = round(base["E7"] * scale, 2)
        ws["D7"] = round(base["D7"] * scale * rnd.uniform(0.9, 1.3), 2)
        ws["E7"] = annual
        ws["F7"] = round(annual * rnd.uniform(0.2, 1.08), 2)
        ws["E9"] = round(base["E9"] * scale, 2)
        ws["E10"] = round(annual - ws["E9"].value, 2)
        for r, weight in weights.items():
            if isinstance(weight, (int, float)):
                ws[f"H{r}"] = round(weight * rnd.uniform(0.4, 1.0), 2) if rnd.random() < 0.8 else None
        for r, actual in actuals.items():
            if isinstance(actual, str) and rnd.random() < 0.5:
                number = "".join(ch for ch in actual if ch.isdigit() or ch == ".")
                if number:
                    ws[f"F{r}"] = actual.replace(number, f"{float(number) * rnd.uniform(0.6, 1.3):.2f}".rstrip("0")
                                                 .rstrip("."), 1)
        ws["B3"] = f"信息化建设专项经费（样本{i}）"
        ws["B4"] = ws["G4"] = rnd.choice(CITIES) + rnd.choice(UNITS)
        ws["F2"] = rnd.choice([2021, 2022, 2023, 2024])
        variants.append(_workbook_bytes(wb))
    return variants


def legacy_variants(count: int, rnd: random.Random) -> list[bytes]:
    """Our legacy 评分表 template (the 晋中 example): funding and typed scores varied, subtotals printed as sums (the
    seed's 投入 mistake kept in about a third)."""
    wb = openpyxl.load_workbook(LEGACY)
    ws = wb["自评表"]
    rows = {r: (ws[f"B{r}"].value, ws[f"E{r}"].value) for r in range(17, 38)}
    subtotal_rows = {ws[f"B{r}"].value: r for r in range(39, 43)}
    variants = []
    for i in range(count):
        planned = round(170 * rnd.uniform(0.3, 4.0), 2)
        arrived = round(planned * rnd.uniform(0.85, 1.0), 2)
        ws["E8"], ws["E11"], ws["E12"] = planned, arrived, round(arrived * rnd.uniform(0.7, 1.0), 2)
        sums: dict[str, float] = {}
        for r, (group, weight) in rows.items():
            score = round(weight * rnd.uniform(0.6, 1.0), 2) if weight else 0
            ws[f"H{r}"] = score
            sums[group] = round(sums.get(group, 0.0) + score, 2)
        for group, r in subtotal_rows.items():
            ws[f"H{r}"] = sums.get(group)
        if rnd.random() < 0.3:
            ws[f"H{subtotal_rows['投入']}"] = round(sums["投入"] - 5.69, 2)
        total = round(sum(sums.values()), 2)
        ws["H43"] = total
        ws["H44"] = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
        ws["C4"] = f"信息网络软件、硬件购置更新（样本{i}）"
        ws["G5"] = rnd.choice(CITIES) + rnd.choice(UNITS)
        variants.append(_workbook_bytes(wb))
    return variants


def printed_variants(count: int, scratch: Path) -> dict[str, list[bytes]]:
    """Every printed layout tests/layouts.py can write, `count` seeds each (nothing when the module is absent)."""
    try:
        import layouts
    except ImportError:
        return {}
    out: dict[str, list[bytes]] = {}
    for name in layouts.LAYOUTS:
        files = []
        for seed in range(count):
            path = scratch / f"{name}-{seed}.xlsx"
            try:
                layouts.write_layout(name, path, seed=seed)
            except Exception as exc:  # a layout still being written must not stop the benchmark
                print(f"（跳过表样 {name}：{type(exc).__name__}: {exc}）", file=sys.stderr)
                files = []
                break
            files.append(path.read_bytes())
        if files:
            out[name] = files
    return out


def generate(folder: Path, n: int, variants_per_layout: int, seed: int) -> dict[str, int]:
    rnd = random.Random(seed)
    scratch = folder / "_variants"
    scratch.mkdir(parents=True)
    kinds = {"template-standard": standard_variants(variants_per_layout, rnd),
             "template-legacy": legacy_variants(variants_per_layout, rnd)}
    kinds.update({f"printed-{k}": v for k, v in printed_variants(variants_per_layout, scratch).items()})
    shutil.rmtree(scratch)
    forms = folder / "forms"
    forms.mkdir()
    names = list(kinds)
    counts = dict.fromkeys(names, 0)
    for i in range(n):
        kind = names[i % len(names)]
        (forms / f"{i:05d}-{kind}.xlsx").write_bytes(kinds[kind][(i // len(names)) % len(kinds[kind])])
        counts[kind] += 1
    return counts


# --- Measurements ------------------------------------------------------------------------------------------------


def raw_read(paths: list[str]) -> int:
    """The floor: calamine opening each file and reading every sheet's values, nothing else."""
    cells = 0
    for path in paths:
        workbook = CalamineWorkbook.from_path(path)
        for name in workbook.sheet_names:
            cells += len(workbook.get_sheet_by_name(name).to_python(skip_empty_area=False))
    return cells


def pipeline(paths: list[str]) -> int:
    """check's work per file: calamine read + recognition + evaluation (no output)."""
    failed = 0
    for path in paths:
        try:
            check_file(Path(path))
        except Exception:  # FormReadError, or a form the checker fails on: counted, never fatal
            failed += 1
    return failed


def on_all_cores(function, paths: list[str], jobs: int) -> list:
    size = max(1, min(64, -(-len(paths) // (jobs * 8))))
    chunks = [paths[i:i + size] for i in range(0, len(paths), size)]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(function, chunks))


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def parallel_speedup(jobs: int, n: int = 3_000_000) -> float:
    """How much faster `jobs` processes do `jobs` units of pure-Python work than one process: about `jobs` on idle
    cores, near 1 on a virtual machine whose cores are shared. Read the all-cores figures against it."""
    start = time.perf_counter()
    for _ in range(jobs):
        _burn(n)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(_burn, [1] * jobs))  # start the workers first
        start = time.perf_counter()
        list(pool.map(_burn, [n] * jobs))
        parallel = time.perf_counter() - start
    return serial / parallel


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def stages(paths: list[Path]) -> dict[str, float]:
    """Seconds per stage of check_file over `paths` (the same calls check_file makes, timed one by one), and, apart,
    what calamine alone takes for the sheets check_file reads: the part of the read no Python code of ours can cut."""
    totals = dict.fromkeys(["读取（calamine + 文件检查 + 定义名称）", "识别表样", "评分口径", "检查与计分"], 0.0)
    keys = list(totals)
    calamine_alone = 0.0
    for path in paths:
        t0 = time.perf_counter()
        try:
            book = read_with_calamine(path, sheets_to_read)
            t1 = time.perf_counter()
            form = read_form(book, None)
            t2 = time.perf_counter()
            policy, notes = resolve_policy(form, None)
            t3 = time.perf_counter()
            evaluate(form, policy, notes)
            t4 = time.perf_counter()
        except Exception:
            continue
        for key, seconds in zip(keys, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
            totals[key] += seconds
        start = time.perf_counter()
        workbook = CalamineWorkbook.from_path(str(path))
        for name in book.sheets:
            workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
        calamine_alone += time.perf_counter() - start
    totals["（其中 calamine 读这些工作表本身）"] = calamine_alone
    return totals


def interleaved(first, second, names: list[str], slices: int = 4) -> tuple[float, float, list]:
    """Seconds of `first` and of `second` over all `names`, run slice by slice in turn, so that a shared machine's
    changing load weighs on both alike (their ratio is the figure that matters); and what `second` returned."""
    size = max(1, -(-len(names) // slices))
    spent, returned = [0.0, 0.0], []
    for start in range(0, len(names), size):
        part = names[start:start + size]
        for index, function in enumerate((first, second)):
            begin = time.perf_counter()
            result = function(part)
            spent[index] += time.perf_counter() - begin
        returned.append(result)
    return spent[0], spent[1], returned


def profile(paths: list[Path], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    pipeline([str(p) for p in paths])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue().replace(str(ROOT) + os.sep, "")


# --- Report ------------------------------------------------------------------------------------------------------


def table(rows: list[tuple[str, ...]]) -> str:
    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    widths = [max(width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        cells = [cell + " " * (widths[i] - width(cell)) if i == 0 else " " * (widths[i] - width(cell)) + cell
                 for i, cell in enumerate(row)]
        lines.append("  ".join(cells))
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="批量校验与汇总的速度基准（生成 N 份合成自评表）")
    parser.add_argument("--n", type=int, default=2000, help="表格份数（默认 2000；目标 10000）")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="并行进程数（默认为 CPU 核数）")
    parser.add_argument("--variants", type=int, default=24, help="每种表样生成的不同数据份数（其余为复制）")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--profile", action="store_true", help="对校验流程做 cProfile，列出耗时最多的函数")
    parser.add_argument("--sample", type=int, default=400, help="分阶段计时和 --profile 所用的份数")
    parser.add_argument("--keep", action="store_true", help="保留生成的临时文件夹")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="perfeval-bench-"))
    try:
        t_gen, counts = timed(generate, work, args.n, args.variants, args.seed)
        paths = sorted((work / "forms").glob("*.xlsx"))
        names = [str(p) for p in paths]
        n, jobs = len(paths), args.jobs
        print(f"{n} 份合成自评表，{len(counts)} 种表样（各 {min(args.variants, n)} 份不同数据）："
              + "、".join(f"{k} {v}" for k, v in counts.items()) + f"；生成用时 {t_gen:.1f} s；{jobs} 个进程")
        pipeline(names[: min(50, n)])  # warm imports and caches once, as a long batch would be
        speedup = parallel_speedup(jobs)
        print(f"本机并行效率：{jobs} 个进程做 {jobs} 份纯计算，比 1 个进程快 {speedup:.2f} 倍（理想为 {jobs}；"
              "共享 CPU 的虚拟机上会明显偏低，多进程各行据此看）")

        t_raw, t_pipe, failures = interleaved(raw_read, pipeline, names)
        t_raw_all, t_pipe_all, _ = interleaved(lambda part: on_all_cores(raw_read, part, jobs),
                                               lambda part: on_all_cores(pipeline, part, jobs), names)
        failed = sum(failures)
        out = work / "汇总.xlsx"
        t_check_all, records = timed(check_all, paths, None, None, jobs)
        t_write, _ = timed(write_summary, records, out)
        with contextlib.redirect_stdout(io.StringIO()):
            t_summary, status = timed(cli_main, ["summary", str(work / "forms"), "-o", str(out), "--jobs", str(jobs)])
        issues = sum(len(r["issues"]) for r in records)
        unreadable = sum(1 for r in records if "error" in r)

        def rate(seconds: float) -> str:
            return f"{n / seconds:,.0f}"

        def projected(seconds: float) -> str:
            return f"{seconds / n * TARGET_FORMS:.1f}"

        rows = [("步骤", "用时 s", "份/秒", "1 万份预计 s"),
                ("原始读取 calamine，单进程", f"{t_raw:.2f}", rate(t_raw), projected(t_raw)),
                (f"原始读取 calamine，{jobs} 进程", f"{t_raw_all:.2f}", rate(t_raw_all), projected(t_raw_all)),
                ("check 流程，单进程", f"{t_pipe:.2f}", rate(t_pipe), projected(t_pipe)),
                (f"check 流程，{jobs} 进程", f"{t_pipe_all:.2f}", rate(t_pipe_all), projected(t_pipe_all)),
                (f"summary 校验部分（check_all，{jobs} 进程）", f"{t_check_all:.2f}", rate(t_check_all),
                 projected(t_check_all)),
                ("summary 写汇总.xlsx", f"{t_write:.2f}", rate(t_write), projected(t_write)),
                (f"summary 端到端（命令行，{jobs} 进程）", f"{t_summary:.2f}", rate(t_summary), projected(t_summary))]
        print()
        print(table(rows))
        print()
        ratio, ratio_all = t_raw / t_pipe, t_raw_all / t_pipe_all
        print(f"check 流程 / 原始读取（吞吐量之比，目标 ≥ {TARGET_RATIO}）：单进程 {ratio:.2f}，{jobs} 进程 {ratio_all:.2f}"
              f"  {'达标' if ratio >= TARGET_RATIO else '未达标'}")
        print(f"summary 1 万份预计 {t_summary / n * TARGET_FORMS:.1f} s（目标 < {TARGET_SECONDS:.0f} s）"
              f"  {'达标' if t_summary / n * TARGET_FORMS < TARGET_SECONDS else '未达标'}")
        print(f"汇总表：{n} 行，问题清单 {issues} 行，{out.stat().st_size / 1e6:.1f} MB；读取失败 {unreadable} 份"
              f"（流程中 {failed} 份）；退出码 {status}")

        sample = paths[:: max(1, n // args.sample)][: args.sample]
        spent = stages(sample)
        whole = sum(v for k, v in spent.items() if not k.startswith("（"))
        print()
        print(table([("check 流程分阶段（样本 %d 份，单进程）" % len(sample), "ms/份", "占比")]
                    + [(k, f"{v / len(sample) * 1000:.2f}", f"{v / whole:.0%}") for k, v in spent.items()]))
        if args.profile:
            print()
            print(profile(sample, 30))
    finally:
        if args.keep:
            print(f"已保留：{work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
