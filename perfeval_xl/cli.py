"""`perfeval-xl`: check, score and consolidate 项目支出绩效自评表 workbooks from the command line.

Output is linter-style — `文件:工作表!单元格: 代码 级别 说明` — then one verdict line per file. Exit status: 0 no errors,
1 errors found, 2 a file could not be read (or a bad option).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
from pathlib import Path

from .grid import FormReadError, FormWriteError
from .model import Evaluation, family_ids
from .policy import PolicyError, load_policy, shipped_policy_names
from .explain import maybe_explain
from .values import one_line, shown_number
from .writeback import SEVERITY_LABEL, summary_line

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".ods"}
# What --in-place and clear leave beside a form: numbered backups (x.bak.xlsx, x.bak2.xlsx…) and a result that could
# not replace a file saved meanwhile (x.perfeval-结果.xlsx). They are not forms to check again.
_OUR_COPIES = re.compile(r"\.(?:bak\d*|perfeval-结果\d*)$")


def _configure_stdout() -> None:
    # Windows consoles default to the ANSI code page; Chinese must not turn into UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8", errors="replace")
        except (AttributeError, ValueError):
            pass


def expand_inputs(inputs: list[str]) -> list[Path]:
    """Files as given; folders contribute their workbooks (not our own 校验结果 backups or Office lock files)."""
    paths: list[Path] = []
    for text in inputs:
        path = Path(text)
        if path.is_dir():
            paths += sorted(p for p in path.rglob("*") if p.suffix.lower() in WORKBOOK_SUFFIXES
                            and not p.name.startswith(("~$", ".~")) and not _OUR_COPIES.search(p.stem))
        else:
            paths.append(path)
    return paths


def no_workbooks_message(inputs: list[str]) -> str:
    """Nothing to work on: say where we looked (a folder named x.xlsx is a folder too)."""
    where = "、".join(inputs)
    folders = [text for text in inputs if Path(text).is_dir()]
    if folders and len(folders) == len(inputs):
        return f"{where}：文件夹中没有找到要校验的工作簿（.xlsx、.xlsm）。请确认文件夹是否选对。"
    return f"{where}：没有找到要校验的工作簿（.xlsx、.xlsm）。"


def real_path(path: Path) -> Path:
    """The path with its links followed as far as they go: never raises (Path.resolve does on a symlink loop)."""
    return Path(os.path.realpath(path))


def evaluation_record(path: Path, evaluation: Evaluation, written: Path | None = None) -> dict:
    """One form as JSON (the `--json` output and the summary's source)."""
    form = evaluation.form
    return {
        "file": str(path),
        "sheet": form.sheet,
        "family": form.family,
        "layout": form.layout,
        "policy": evaluation.policy_name,
        "project_name": _text(form.field_cell("project_name").value),
        "department": _text(form.field_cell("department").value),
        "implementing_unit": _text(form.field_cell("implementing_unit").value),
        "year": form.field_cell("year").value,
        "total": evaluation.total,
        "grade": evaluation.grade,
        "scored": evaluation.scored,
        "total_basis": evaluation.total_basis,
        "execution_rate": round(evaluation.execution_rate, 6) if evaluation.execution_rate is not None else None,
        "execution_score": evaluation.execution_score,
        "subtotals": evaluation.subtotals,
        "errors": evaluation.errors,
        "warnings": evaluation.warnings,
        "issues": [issue.as_dict() for issue in evaluation.issues],
        "items": [{"label": i.label, "cell": i.cell, "weight": i.weight, "typed": i.typed, "suggested": i.suggested,
                   "explanation": i.explanation} for i in evaluation.items],
        "written": str(written) if written else None,
    }


def _text(value) -> str | None:
    return None if value is None else one_line(value)


def print_evaluation(path: Path, evaluation: Evaluation, show_info: bool) -> None:
    for line in evaluation_lines(path, evaluation, show_info):
        print(line)


def evaluation_lines(path: Path, evaluation: Evaluation, show_info: bool) -> list[str]:
    sheet = evaluation.form.sheet
    lines = []
    for issue in evaluation.issues:
        if issue.severity == "info" and not show_info:
            continue
        where = f"{path}:{sheet}!{issue.cell}" if issue.cell else f"{path}:{sheet}"
        shown = shown_number(issue.suggested) if isinstance(issue.suggested, float) else issue.suggested
        suggestion = f"（建议值：{shown}）" if issue.suggested not in (None, "") and "建议" not in issue.message else ""
        lines.append(f"{where}: {issue.code} {SEVERITY_LABEL[issue.severity]} {issue.message}{suggestion}")
    lines.append(f"{path}: {summary_line(evaluation)}")
    return lines


# From this many files on, `check` (without writing) reads them in worker processes under isolation.Limits, as
# summary does: a file that makes a reader run away costs its line, not the run. Fewer run in this process, where
# starting the workers would cost more than the check.
ISOLATE_FROM = 8


def check_for_cli(path: Path, policy: str | None, family: str | None, show_info: bool) -> tuple[dict, list[str]]:
    """check's work on one file in a worker: its JSON record and its printed lines (an Evaluation does not pickle)."""
    from .xlsx_io import check_file

    evaluation = check_file(path, policy, family)
    return evaluation_record(path, evaluation), evaluation_lines(path, evaluation, show_info)


def _checked_in_workers(paths: list[Path], policy: str | None, family: str | None, show_info: bool) -> list:
    from .isolation import LimitedPool

    with LimitedPool(min(len(paths), os.cpu_count() or 1)) as pool:
        futures = [pool.submit(check_for_cli, path, policy, family, show_info, name=path.name) for path in paths]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as exc:  # FormReadError (WorkerLimitError too) or a bug: handled per file below
                outcomes.append(exc)
    return outcomes


def reason_without_name(message: str, path: Path) -> str:
    """The reason without its leading "文件名：" when the line already starts with the path."""
    prefix = f"{path.name}："
    return message[len(prefix):] if message.startswith(prefix) else message


def policy_option_ok(policy: str | None) -> bool:
    """Load a --policy once, before any file, so a typo is one clear message and not one per form."""
    try:
        if policy:
            load_policy(policy)
    except PolicyError as exc:
        print(str(exc), file=sys.stderr)
        return False
    return True


def cmd_check(args) -> int:
    from .xlsx_io import check_file, score_workbook

    if args.output and args.in_place:
        print("--output 与 --in-place 只能选一个。", file=sys.stderr)
        return EXIT_UNREADABLE
    if (explained := maybe_explain(args)) is not None:  # check --explain-layout: say what was recognised, check nothing
        return explained
    if not policy_option_ok(args.policy):
        return EXIT_UNREADABLE
    paths = expand_inputs(args.files)
    if not paths:
        print(no_workbooks_message(args.files), file=sys.stderr)
        return EXIT_UNREADABLE
    status, records = EXIT_OK, []
    destinations: dict[Path, Path] = {}
    isolated = None
    if not (args.output or args.in_place) and len(paths) >= ISOLATE_FROM:
        isolated = dict(zip(paths, _checked_in_workers(paths, args.policy, args.family, args.info)))
    for path in paths:
        try:
            if isolated is not None:
                outcome = isolated[path]
                if isinstance(outcome, Exception):
                    raise outcome
                record, lines = outcome
                if record["errors"] and status == EXIT_OK:
                    status = EXIT_ERRORS
                records.append(record)
                if not args.json:
                    print("\n".join(lines))
                continue
            if args.output or args.in_place:
                dest = Path(args.output) / path.name if args.output else path
                if args.output and real_path(dest) == real_path(path):
                    raise FormReadError(f"{path.name}：输出文件夹与原文件相同，会覆盖原文件；请换一个文件夹或使用 --in-place。")
                earlier = destinations.setdefault(real_path(dest), path)
                if earlier != path:
                    raise FormWriteError(f"{path}：与 {earlier} 同名，评分后的工作簿都会写成 {dest}，后一个会覆盖"
                                         f"前一个；请分开校验，或先改名。")
                # An existing file at the destination may hold what someone typed: keep it as .bak, never drop it.
                checked = score_workbook(path, dest, args.policy, args.family, backup=True)
                evaluation, written, kept = checked.evaluation, checked.written, checked.backup
                dropped, unwritten = checked.dropped or [], checked.unwritten
            else:
                evaluation, written, kept, dropped = check_file(path, args.policy, args.family), None, None, []
                unwritten = {}
        except FormReadError as exc:
            status = EXIT_UNREADABLE
            what = "无法写入" if isinstance(exc, FormWriteError) else "无法读取"
            records.append({"file": str(path), "error": str(exc), "issues": []})
            if not args.json:
                print(f"{path}: {what}：{reason_without_name(str(exc), path)}")
            continue
        except Exception as exc:  # a bug must not end the batch with a traceback, nor hide which file caused it
            status = EXIT_UNREADABLE
            message = (f"{path.name}：处理时程序出错（{type(exc).__name__}），本文件未校验，也未写入任何文件。"
                       f"请把该文件和这条信息发给维护人员。")
            if os.environ.get("PERFEVAL_XL_DEBUG"):
                traceback.print_exc()
            records.append({"file": str(path), "error": message, "issues": []})
            if not args.json:
                print(f"{path}: 无法校验：{reason_without_name(message, path)}")
            continue
        if evaluation.errors and status == EXIT_OK:
            status = EXIT_ERRORS
        notice = f"评分后的工作簿 {written} 不含原文件中的{'、'.join(dropped)}（原文件未改动）" if dropped else ""
        notices = [notice] if notice else []
        notices += [f"{path.name}：{why}" for why in unwritten.values()]
        record = evaluation_record(path, evaluation, written)
        if notices:
            record["notices"] = notices
        records.append(record)
        if not args.json:
            print_evaluation(path, evaluation, args.info)
            if written:
                print(f"{path}: 已写入评分后的工作簿 {written}")
            for line in notices:
                print(f"{path}: 注意：{reason_without_name(line, path)}")
            if kept and args.output:
                print(f"{path}: 输出文件夹中原有的同名文件已备份为 {kept}")
            elif kept:
                print(f"{path}: 原文件已备份为 {kept}")
    if args.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    wrote_any = any(record.get("written") for record in records)  # nothing written: leave the folder alone
    if args.output and wrote_any and not write_report(Path(args.output), records, quiet=args.json):
        status = EXIT_UNREADABLE
    if args.exit_zero and status == EXIT_ERRORS:
        return EXIT_OK
    return status


def write_report(folder: Path, records: list[dict], quiet: bool = False) -> bool:
    """校验报告.md beside the scored workbooks: every score with its explanation, every issue. Written atomically."""
    from .report import REPORT_NAME, markdown_report

    dest = folder / REPORT_NAME
    temp = folder / f".~{REPORT_NAME}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # errors="replace": a file name that is not valid text (bytes from another code page) must not stop the report
        temp.write_text(markdown_report(records), encoding="utf-8", errors="replace")
        os.replace(temp, dest)
    except OSError as exc:
        if temp.parent.is_dir():
            temp.unlink(missing_ok=True)
        print(f"{dest}: 无法写入校验报告（{exc.strerror or exc}）。", file=sys.stderr)
        return False
    if not quiet:
        print(f"校验报告：{dest}")
    return True


def cmd_clear(args) -> int:
    """清除标记 on files: what 校验并计分 wrote is taken back, typed values stay."""
    from .xlsx_io import FormWriteError, clear_file

    status = EXIT_OK
    paths = expand_inputs(args.files)
    if not paths:
        print(no_workbooks_message(args.files), file=sys.stderr)
        return EXIT_UNREADABLE
    for path in paths:
        dest = Path(args.output) / path.name if args.output else path
        try:
            cleared = clear_file(path, dest, backup=not args.output)
        except (FormReadError, FormWriteError) as exc:
            print(f"{path}: 无法清除：{reason_without_name(str(exc), path)}")
            status = EXIT_UNREADABLE
            continue
        except Exception as exc:  # a bug: one file, named, not a traceback
            if os.environ.get("PERFEVAL_XL_DEBUG"):
                traceback.print_exc()
            print(f"{path}: 无法清除：处理时程序出错（{type(exc).__name__}），本文件未改动。请把该文件和这条信息发给维护人员。")
            status = EXIT_UNREADABLE
            continue
        restored = cleared.restored
        if cleared.had_marks or dest != path:
            where = f"，写入 {dest}" if dest != path else (f"（原文件备份为 {cleared.backup}）" if cleared.backup else "")
            print(f"{path}: 已清除校验标记，还原 {restored} 处单元格{where}")
            if cleared.lost:
                print(f"{path}: 注意：{dest} 不含原文件中的{'、'.join(cleared.lost)}（原文件未改动）")
        else:
            print(f"{path}: 没有校验标记，无需清除。")
    return status


def cmd_template(args) -> int:
    from .template_builder import write_templates

    out = Path(args.output)
    for path in write_templates(out):
        print(f"已生成空白模板：{path}")
    return EXIT_OK


def cmd_policies(args) -> int:
    for name in shipped_policy_names():
        policy = load_policy(name)
        print(f"{name}\t{policy.title}")
    return EXIT_OK


# argparse's own error sentences, in Chinese (its messages are English whatever the locale).
_ARGPARSE_MESSAGES = [
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
    (r"the following arguments are required: (.+)", r"缺少参数：\1"),
    (r"unrecognized arguments: (.+)", r"无法识别的参数：\1"),
    (r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)", r"参数 \1 的值 \2 无效，可选：\3"),
    (r"argument (\S+): expected one argument", r"参数 \1 后面需要一个值"),
    (r"argument (\S+): ignored explicit argument (.+)", r"参数 \1 不接受值 \2"),
    (r"^argument (\S+): ", r"参数 \1："),  # an argparse type's own (Chinese) refusal, e.g. positive_int
]


class ChineseArgumentParser(argparse.ArgumentParser):
    """argparse with its usage errors in Chinese; exit status 2 as before."""

    def error(self, message: str):
        for pattern, replacement in _ARGPARSE_MESSAGES:
            message = re.sub(pattern, replacement, message)
        usage = self.format_usage().replace("usage:", "用法：", 1)
        self.exit(EXIT_UNREADABLE, f"{usage}{self.prog}：{message}（用 -h 查看帮助）\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(prog="perfeval-xl", description="项目支出绩效自评表：校验、计分与汇总。")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=ChineseArgumentParser)

    check = sub.add_parser("check", help="校验自评表并计分", description="校验自评表，计算执行率、得分、总分和等次。")
    check.add_argument("files", nargs="+", help="工作簿文件或文件夹")
    check.add_argument("--policy", help="评分口径名称或 .toml 文件（默认取表内“评分口径”，否则 national-2020）")
    check.add_argument("--family", choices=family_ids(), help="表样（默认自动识别）")
    check.add_argument("--json", action="store_true", help="以 JSON 输出")
    check.add_argument("--info", action="store_true", help="同时列出“提示”级别的信息")
    check.add_argument("--exit-zero", action="store_true", help="发现错误也以 0 退出（文件无法读取时仍为 2）")
    check.add_argument("--explain-layout", action="store_true", help="只说明识别出的表样、各列及所依据的标签，不校验")
    target = check.add_mutually_exclusive_group()
    target.add_argument("--output", "-o", help="把评分后的工作簿写入此文件夹（原文件不变）")
    target.add_argument("--in-place", action="store_true", help="直接写回原文件（先备份为 .bak.xlsx）")
    check.set_defaults(run=cmd_check)

    clear = sub.add_parser("clear", help="清除校验标记，恢复填写时的样子",
                           description="去掉 check 写入的颜色、批注、“校验结果”表和本工具填入且未被改动的值；手工填写的值不动。")
    clear.add_argument("files", nargs="+", help="工作簿文件或文件夹")
    clear.add_argument("--output", "-o", help="写到此文件夹（默认写回原文件，并先备份为 .bak.xlsx）")
    clear.set_defaults(run=cmd_clear)

    template = sub.add_parser("template", help="生成空白自评表模板")
    template.add_argument("--output", "-o", default=".", help="输出文件夹")
    template.set_defaults(run=cmd_template)

    policies = sub.add_parser("policies", help="列出内置评分口径")
    policies.set_defaults(run=cmd_policies)

    from .addin_install import add_addin_parser
    from .bundle import add_bundle_parser
    from .service.cli import add_serve_parser  # FastAPI and uvicorn are imported only when `serve` runs
    from .summary import add_summary_parser  # imported here: summary imports this module for its records

    add_summary_parser(sub)
    add_addin_parser(sub)
    add_bundle_parser(sub)
    add_serve_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    _configure_stdout()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `perfeval-xl check … | head`: the reader left; stop quietly (Python docs' recipe)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_UNREADABLE


if __name__ == "__main__":
    sys.exit(main())
