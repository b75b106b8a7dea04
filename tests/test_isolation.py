"""Worker isolation (issue #12): a task that runs away costs its worker and one failed result, nothing else."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from perfeval_xl.grid import FormReadError
from perfeval_xl.isolation import Limits, LimitedPool, WorkerLimitError, run_limited

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "邵阳-信息化建设专项经费-2023.xlsx"
SMALL = Limits(memory_bytes=400 * 2**20, seconds=3.0)


# Top-level functions: the worker receives them by reference (pickled by name).
def square(x):
    return x * x


def worker_pid():
    return os.getpid()


def grow_python(megabytes):
    blocks = [bytearray(2**20) for _ in range(megabytes)]  # touched pages, like a reader filling a grid
    return len(blocks)


def grow_native(megabytes):
    import numpy

    return int(numpy.ones(megabytes * 2**20 // 8).sum())


def sleep_for(seconds):
    time.sleep(seconds)
    return seconds


def abort():
    os.abort()  # what a native reader does when its allocation fails (signal 6)


def refuse(name):
    raise FormReadError(f"{name}：不是 Excel 工作簿（.xlsx）。")


def check_example(path):
    from perfeval_xl.xlsx_io import check_file

    return check_file(Path(path)).total


def test_results_and_exceptions_come_back_as_is():
    with LimitedPool(2, SMALL) as pool:
        futures = [pool.submit(square, i, name=f"{i}.xlsx") for i in range(20)]
        assert [f.result() for f in futures] == [i * i for i in range(20)]
        with pytest.raises(FormReadError, match="坏.xlsx：不是 Excel 工作簿") as caught:
            pool.submit(refuse, "坏.xlsx").result()
        assert not isinstance(caught.value, WorkerLimitError)


def test_memory_overrun_is_one_failed_task_and_the_worker_is_replaced():
    with LimitedPool(1, SMALL) as pool:
        first = pool.submit(worker_pid).result()
        with pytest.raises(WorkerLimitError) as caught:
            pool.submit(grow_python, 2000, name="大.xlsx").result()
        assert str(caught.value).startswith("大.xlsx：读取失败：超出内存限制（400 MB）")
        with pytest.raises(WorkerLimitError, match="超出内存限制"):
            pool.submit(grow_native, 2000, name="大2.xlsx").result()
        assert pool.submit(grow_python, 50).result() == 50  # within the limit, in a fresh worker
        assert pool.submit(worker_pid).result() != first


def test_a_worker_that_dies_is_one_failed_task():
    with LimitedPool(2, SMALL) as pool:
        futures = [pool.submit(abort, name="崩溃.xlsx") if i == 3 else pool.submit(square, i) for i in range(8)]
        for i, future in enumerate(futures):
            if i == 3:
                with pytest.raises(WorkerLimitError, match="崩溃.xlsx：读取失败"):
                    future.result()
            else:
                assert future.result() == i * i


def test_time_overrun_kills_the_worker_after_the_limit():
    limits = Limits(memory_bytes=400 * 2**20, seconds=1.0)
    with LimitedPool(2, limits) as pool:
        start = time.monotonic()
        slow = pool.submit(sleep_for, 60, name="慢.xlsx")
        quick = [pool.submit(square, i) for i in range(5)]
        with pytest.raises(WorkerLimitError, match=r"慢.xlsx：读取失败：超出时间限制（1 秒）"):
            slow.result()
        assert time.monotonic() - start < 5
        assert [f.result() for f in quick] == [i * i for i in range(5)]
        assert pool.submit(sleep_for, 0.1).result() == 0.1


def test_the_real_check_runs_in_a_worker():
    total = run_limited(check_example, str(EXAMPLE), name=EXAMPLE.name)
    from perfeval_xl.xlsx_io import check_file

    assert total == check_file(EXAMPLE).total
    assert total is not None


def test_worker_limit_error_is_a_form_read_error_and_pickles():
    import pickle

    error = WorkerLimitError("a.xlsx", Limits(), "time")
    assert isinstance(error, FormReadError)
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    assert "超出时间限制（10 秒）" in str(error)


def test_check_on_many_files_reads_them_in_workers_and_keeps_their_order(tmp_path):
    """From cli.ISOLATE_FROM files on, check reads in LimitedPool workers: same lines, same order, same exit codes."""
    import os
    import shutil
    import subprocess
    import sys

    from perfeval_xl.cli import ISOLATE_FROM

    folder = tmp_path / "一批"
    folder.mkdir()
    names = [f"{i:02d}-表.xlsx" for i in range(ISOLATE_FROM)]
    for name in names:
        shutil.copyfile(EXAMPLE, folder / name)
    os.mkfifo(folder / "05-管道.xlsx")  # sorts among them; never opened
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(EXAMPLE.parents[1]), os.environ.get("PYTHONPATH", "")])}
    run = subprocess.run([sys.executable, "-m", "perfeval_xl.cli", "check", str(folder)], capture_output=True,
                         text=True, encoding="utf-8", env=env, timeout=300)
    assert run.returncode == 2, run.stderr
    verdicts = [line for line in run.stdout.splitlines() if "总分" in line or "无法读取" in line]
    assert [Path(line.split(": ", 1)[0]).name for line in verdicts] == sorted([*names, "05-管道.xlsx"])
    assert "05-管道.xlsx: 无法读取：这是一个管道（FIFO）" in run.stdout
    assert all("总分 72.62" in line for line in verdicts if "管道" not in line)
