"""perfeval-xl: check and score 项目支出绩效自评表 workbooks, in Excel (xlwings add-in) and from the command line.

The ribbon's VBA runs `import perfeval_xl; perfeval_xl.main()` (and the other entries below), so these names are
the add-in's contract with Python. xlwings is imported only when Excel calls, keeping the CLI light.
"""

__version__ = "0.1.0"


def main():
    """校验并计分: check the active workbook and write results back (ribbon button)."""
    from .xl import check_active_book

    check_active_book()


def clear_marks():
    """清除标记: remove our colours, notes, filled values and the 校验结果 sheet (ribbon button)."""
    from .xl import clear_active_book

    clear_active_book()


def new_form():
    """新建自评表: open a fresh copy of the standard template (ribbon button)."""
    from .xl import open_new_form

    open_new_form()


def open_help():
    """打开说明: open the user guide (ribbon button)."""
    from .xl import open_guide

    open_guide()
