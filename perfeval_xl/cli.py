"""`perfeval-xl`: check, score and consolidate 项目支出绩效自评表 workbooks from the command line.

Output is linter-style — `文件:工作表!单元格: 代码 级别 说明` — then one verdict line per file. Exit status: 0 no errors,
1 errors found, 2 a file could not be read (or a bad option).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .grid import FormReadError
from .model import Evaluation, family_ids
from .policy import PolicyError, load_policy, shipped_policy_names
from .writeback import SEVERITY_LABEL, summary_line

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".et", ".ods"}


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
                            and not p.name.startswith(("~$", ".~")) and ".bak" not in p.suffixes)
        else:
            paths.append(path)
    return paths


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
    return None if value is None else " ".join(str(value).split())


def print_evaluation(path: Path, evaluation: Evaluation, show_info: bool) -> None:
    sheet = evaluation.form.sheet
    for issue in evaluation.issues:
        if issue.severity == "info" and not show_info:
            continue
        where = f"{path}:{sheet}!{issue.cell}" if issue.cell else f"{path}:{sheet}"
        suggestion = f"（建议值：{issue.suggested}）" if issue.suggested not in (None, "") and "建议" not in issue.message else ""
        print(f"{where}: {issue.code} {SEVERITY_LABEL[issue.severity]} {issue.message}{suggestion}")
    print(f"{path}: {summary_line(evaluation)}")


def cmd_check(args) -> int:
    from .xlsx_io import check_file, score_workbook

    if args.output and args.in_place:
        print("--output 与 --in-place 只能选一个。", file=sys.stderr)
        return EXIT_UNREADABLE
    try:
        if args.policy:
            load_policy(args.policy)  # fail early, once, on a bad --policy
    except PolicyError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_UNREADABLE
    paths = expand_inputs(args.files)
    if not paths:
        print("没有找到要校验的工作簿（.xlsx）。", file=sys.stderr)
        return EXIT_UNREADABLE
    status, records = EXIT_OK, []
    for path in paths:
        try:
            if args.output or args.in_place:
                dest = Path(args.output) / path.name if args.output else path
                if args.output and dest.resolve() == path.resolve():
                    raise FormReadError(f"{path.name}：输出文件夹与原文件相同，会覆盖原文件；请换一个文件夹或使用 --in-place。")
                checked = score_workbook(path, dest, args.policy, args.family, backup=args.in_place)
                evaluation, written = checked.evaluation, checked.written
            else:
                evaluation, written = check_file(path, args.policy, args.family), None
        except FormReadError as exc:
            status = EXIT_UNREADABLE
            if args.json:
                records.append({"file": str(path), "error": str(exc), "issues": []})
            else:
                print(f"{path}: 无法读取：{exc}")
            continue
        if evaluation.errors and status == EXIT_OK:
            status = EXIT_ERRORS
        if args.json:
            records.append(evaluation_record(path, evaluation, written))
        else:
            print_evaluation(path, evaluation, args.info)
            if written:
                print(f"{path}: 已写入评分后的工作簿 {written}")
    if args.json:
        json.dump(records, sys.stdout, ensure_ascii=False, indent=2, default=str)
        print()
    if args.exit_zero and status == EXIT_ERRORS:
        return EXIT_OK
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="perfeval-xl", description="项目支出绩效自评表：校验、计分与汇总。")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="校验自评表并计分", description="校验自评表，计算执行率、得分、总分和等次。")
    check.add_argument("files", nargs="+", help="工作簿文件或文件夹")
    check.add_argument("--policy", help=f"评分口径名称或 .toml 文件（默认取表内“评分口径”，否则 national-2020）")
    check.add_argument("--family", choices=family_ids(), help="表样（默认自动识别）")
    check.add_argument("--json", action="store_true", help="以 JSON 输出")
    check.add_argument("--info", action="store_true", help="同时列出“提示”级别的信息")
    check.add_argument("--exit-zero", action="store_true", help="发现错误也以 0 退出（文件无法读取时仍为 2）")
    target = check.add_mutually_exclusive_group()
    target.add_argument("--output", "-o", help="把评分后的工作簿写入此文件夹（原文件不变）")
    target.add_argument("--in-place", action="store_true", help="直接写回原文件（先备份为 .bak.xlsx）")
    check.set_defaults(run=cmd_check)

    template = sub.add_parser("template", help="生成空白自评表模板")
    template.add_argument("--output", "-o", default=".", help="输出文件夹")
    template.set_defaults(run=cmd_template)

    policies = sub.add_parser("policies", help="列出内置评分口径")
    policies.set_defaults(run=cmd_policies)

    try:
        from .summary import add_summary_parser
        add_summary_parser(sub)
    except ImportError:
        pass
    try:
        from .addin_install import add_addin_parser
        add_addin_parser(sub)
    except ImportError:
        pass
    return parser


def main(argv: list[str] | None = None) -> int:
    _configure_stdout()
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
