"""Recognising forms that were not made from our templates, by their labels.

Placeholder until layout recognition lands (issue 5): says plainly which labels it looked for.
"""

from __future__ import annotations

from .grid import FormReadError, GridBook
from .model import Family, Form


def recognise(book: GridBook, family: Family | None) -> Form:
    raise FormReadError(f"{book.source}：没有找到本工具模板的名称（绩效指标 / 评分表），"
                        f"暂不能识别其他格式的自评表；请把内容填入 workbook_templates 中的模板。")
