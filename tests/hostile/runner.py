"""Run `perfeval-xl` commands on a hostile input in child processes, as a user would, and watch what they cost.

Each command runs in a process forked from the caller, which has the package imported already (a fresh interpreter
would spend most of the time importing), with stdout and stderr going to files. A native abort, a hang or a memory
blow-up therefore stays in the child: the caller sees the exit status (or the signal), the output, the wall time
and, sampled from /proc, the peak resident memory of the child and every process it started (LimitedPool workers
are forked from a fork server, outside the child's own rusage).
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .kind import Kind

REPO = Path(__file__).resolve().parents[2]
GOOD = REPO / "examples" / "晋中-信息网络软件硬件购置更新-2020.xlsx"
COMMANDS = ("check", "check --json", "check --output", "check --in-place", "clear", "summary")


def preload() -> None:
    """Import what the commands use, once, before forking: each child then spends its time on the command. (Its
    resident memory counts these shared pages too, so the figures are on the high side of a fresh process's.)"""
    import openpyxl  # noqa: F401
    import pandas  # noqa: F401
    import python_calamine  # noqa: F401

    import perfeval_xl.cli  # noqa: F401
    import perfeval_xl.summary  # noqa: F401
    import perfeval_xl.xlsx_io  # noqa: F401


def all_kinds() -> list[Kind]:
    """The read side's kinds and, when that branch is merged, the write side's."""
    from .kinds_read import KINDS as read

    try:
        from .kinds_write import KINDS as written
    except ImportError:
        written = []
    return [*read, *written]


@dataclass
class Run:
    command: str
    argv: list[str]
    status: int | None  # exit code; None when killed by a signal (see signal_number) or timed out
    signal_number: int | None
    out: str
    err: str
    seconds: float
    peak_rss: int  # bytes, the child and its descendants together, sampled every 20 ms
    timed_out: bool = False

    @property
    def text(self) -> str:
        return self.out + self.err


def _descendants_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants (by walking /proc's parent links)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * page
    family, frontier = {root}, [root]
    children: dict[int, list[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    while frontier:
        for child in children.get(frontier.pop(), []):
            if child not in family:
                family.add(child)
                frontier.append(child)
    return sum(rss.get(pid, 0) for pid in family)


def _session_pids(session: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getsid(int(entry)) == session:
                    pids.append(int(entry))
            except OSError:
                pass
    return pids


def launch(argv: list[str], cwd: Path) -> tuple[int, Path, Path, float]:
    """Fork a child that runs `perfeval-xl argv` in `cwd`; returns (pid, stdout file, stderr file, start time)."""
    preload()
    folder = Path(tempfile.mkdtemp(prefix="hostile-run-"))
    out, err = folder / "out", folder / "err"
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: its own session (so a timeout kills it and its workers), output to files
        code = 70
        try:
            os.setsid()
            os.chdir(cwd)
            os.environ.pop("PERFEVAL_XL_DEBUG", None)
            for fd, path in ((1, out), (2, err)):
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                os.dup2(handle, fd)
                os.close(handle)
            sys.stdout = open(1, "w", encoding="utf-8", errors="replace", closefd=False)
            sys.stderr = open(2, "w", encoding="utf-8", errors="replace", closefd=False)
            from perfeval_xl.cli import main

            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # noqa: BLE001  what a user would see: a traceback on stderr, exit 1
            import traceback

            traceback.print_exc()
            code = 1
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 1)
    return pid, out, err, time.monotonic()


def wait(command: str, argv: list[str], launched: tuple[int, Path, Path, float], timeout: float = 120.0) -> Run:
    pid, out, err, start = launched
    peak, timed_out = 0, False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        peak = max(peak, _descendants_rss(pid))
        if time.monotonic() - start > timeout:
            timed_out = True
            for member in _session_pids(pid):
                try:
                    os.kill(member, signal.SIGKILL)
                except OSError:
                    pass
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    seconds = time.monotonic() - start
    # the child's session may leave workers behind for a moment (a fork server exits when its parent has): end them
    for member in _session_pids(pid):
        try:
            os.kill(member, signal.SIGKILL)
        except OSError:
            pass
    exit_code = os.waitstatus_to_exitcode(status)
    text_out = out.read_text(encoding="utf-8", errors="replace")
    text_err = err.read_text(encoding="utf-8", errors="replace")
    shutil.rmtree(out.parent, ignore_errors=True)
    return Run(command, argv, exit_code if exit_code >= 0 else None, -exit_code if exit_code < 0 else None,
               text_out, text_err, seconds, peak, timed_out)


def fresh(kind: Kind, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return kind.build(folder)


def argv_for(command: str, kind: Kind, work: Path, summary_jobs: str = "2") -> tuple[list[str], Path]:
    """The command line for `command` on `kind`, built in its own folder under `work`; returns (argv, input).
    `summary_jobs` "1" checks in summary's own process (no worker pool to start: the test's choice, for speed)."""
    target = fresh(kind, work / command.replace(" ", "").replace("-", ""))
    if command == "check":
        return ["check", str(target)], target
    if command == "check --json":
        return ["check", "--json", str(target)], target
    if command == "check --output":
        return ["check", str(target), "--output", str(work / "scored")], target
    if command == "check --in-place":
        return ["check", "--in-place", str(target)], target
    if command == "clear":
        return ["clear", str(target)], target
    if command == "summary":
        shutil.copyfile(GOOD, target.parent / GOOD.name)
        return ["summary", str(target.parent), "--output", str(work / "汇总.xlsx"), "--jobs", summary_jobs], target
    raise ValueError(command)


def run_all(kind: Kind, work: Path, timeout: float = 120.0) -> dict[str, tuple[Run, Path]]:
    """Every command on `kind`, each on its own fresh build, all started at once."""
    prepared = {command: argv_for(command, kind, work) for command in COMMANDS}
    started = {command: launch(argv, work) for command, (argv, _) in prepared.items()}
    return {command: (wait(command, prepared[command][0], started[command], timeout), prepared[command][1])
            for command in COMMANDS}


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder` without following links: kind and, for files, size and bytes' hash."""
    import hashlib
    import stat

    found = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(root) / name
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode):
                found[str(path.relative_to(folder))] = ("file", info.st_size,
                                                        hashlib.sha256(path.read_bytes()).hexdigest())
            elif stat.S_ISLNK(info.st_mode):
                found[str(path.relative_to(folder))] = ("link", os.readlink(path))
            else:
                found[str(path.relative_to(folder))] = (stat.S_IFMT(info.st_mode),)
    return found
