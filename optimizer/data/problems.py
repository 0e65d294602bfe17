"""Problems found in an input, told in the user's language.

A check never stops at the first problem: it collects every one, each with
the file, the spreadsheet row (the header is row 1) and the column, so an
analyst can fix her workbook in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Language = Literal["en", "zh"]

#: Message templates by code; ``{placeholders}`` are filled from ``Problem.details``.
MESSAGES: dict[str, dict[str, str]] = {
    "empty_file": {
        "en": "the file is empty",
        "zh": "文件为空",
    },
    "unreadable": {
        "en": "cannot be read: {reason}",
        "zh": "无法读取：{reason}",
    },
    "too_large": {
        "en": "is {size_mb:.1f} MB, over the limit of {limit_mb:.0f} MB; split the list or remove unused sheets",
        "zh": "文件大小 {size_mb:.1f} MB，超过上限 {limit_mb:.0f} MB；请拆分清单或删除无关工作表",
    },
    "too_many_rows": {
        "en": "has {rows} rows, over the limit of {limit}; split the list by region or sector",
        "zh": "共 {rows} 行，超过上限 {limit} 行；请按地区或行业拆分清单",
    },
    "unsupported_type": {
        "en": "is not a supported file type; upload an .xlsx workbook, .csv files or a .zip of CSV files",
        "zh": "文件类型不受支持；请上传 .xlsx 工作簿、.csv 文件或包含 CSV 的 .zip 压缩包",
    },
    "unsafe_zip": {
        "en": "zip member {member} is refused: {reason}",
        "zh": "压缩包内文件 {member} 被拒绝：{reason}",
    },
    "extra_cells": {
        "en": "has {count} filled cell(s) beyond the last column header; add the header or remove the cells",
        "zh": "有 {count} 个单元格超出最后一个列标题；请补充列标题或删除这些单元格",
    },
    "missing_table": {
        "en": "no '{table}' table found (a sheet or file named {table}); found: {found}",
        "zh": "未找到“{table}”表（名为 {table} 的工作表或文件）；已找到：{found}",
    },
    "missing_column": {
        "en": "required column '{column}' ({alias}) is missing{suggestion}",
        "zh": "缺少必填列“{alias}”（{column}）{suggestion}",
    },
    "required_empty": {
        "en": "is empty; this column is required",
        "zh": "为空；该列为必填项",
    },
    "not_a_number": {
        "en": "'{value}' is not a number",
        "zh": "“{value}”不是数字",
    },
    "not_finite": {
        "en": "'{value}' is not a finite number",
        "zh": "“{value}”不是有限数值",
    },
    "too_large_value": {
        "en": "{value} is implausibly large (limit {limit:g}); check the unit",
        "zh": "{value} 数值过大（上限 {limit:g}），请检查单位",
    },
    "negative": {
        "en": "{value} is negative; it must be 0 or more",
        "zh": "{value} 为负数；必须大于或等于 0",
    },
    "not_positive": {
        "en": "{value} must be greater than 0",
        "zh": "{value} 必须大于 0",
    },
    "not_integer": {
        "en": "'{value}' is not a whole number",
        "zh": "“{value}”不是整数",
    },
    "not_bool": {
        "en": "'{value}' is not yes/no (use true/false, 是/否, 1/0)",
        "zh": "“{value}”不是“是/否”（可填 true/false、是/否、1/0）",
    },
    "duplicate_id": {
        "en": "id '{value}' appears again (first at row {first_row})",
        "zh": "编号“{value}”重复（首次出现在第 {first_row} 行）",
    },
    "unknown_sector": {
        "en": "unknown sector '{value}'; use petrochemical, steel or building_materials (石化化工, 钢铁, 建材)",
        "zh": "未知行业“{value}”；请填写石化化工、钢铁或建材",
    },
    "unknown_product": {
        "en": "unknown product '{value}'; add it to the products table or use a known key{suggestion}",
        "zh": "未知产品“{value}”；请在产品表中添加或使用已有产品代码{suggestion}",
    },
    "unknown_facility": {
        "en": "facility '{value}' does not exist in the facilities table{suggestion}",
        "zh": "设施“{value}”在设施表中不存在{suggestion}",
    },
    "unknown_requirement": {
        "en": "requires project '{value}', which does not exist",
        "zh": "前置项目“{value}”不存在",
    },
    "requires_itself": {
        "en": "project requires itself",
        "zh": "项目不能以自身为前置项目",
    },
    "requires_cycle": {
        "en": "prerequisites form a cycle: {cycle}",
        "zh": "前置项目形成循环：{cycle}",
    },
    "no_saving": {
        "en": "gives none of co2_reduction, energy_saving_tce, electricity_saving_mwh; fill at least one",
        "zh": "减排量、节能量、节电量均未填写；请至少填写一项",
    },
    "unknown_target_kind": {
        "en": "unknown target kind '{value}'; use benchmark_share_min, baseline_all or min_line_capacity",
        "zh": "未知目标类型“{value}”；可用 benchmark_share_min、baseline_all、min_line_capacity",
    },
    "unknown_weight": {
        "en": "unknown weight '{value}'; use capacity or energy",
        "zh": "未知权重“{value}”；可用 capacity（产能）或 energy（能耗）",
    },
    "share_above_one": {
        "en": "share {value} is above 1; write 60 % as 0.6",
        "zh": "比例 {value} 大于 1；60% 请填写为 0.6",
    },
    "mixed_units": {
        "en": "covers products with different units ({units}); use weight 'energy'",
        "zh": "覆盖的产品单位不同（{units}）；请将权重设为 energy（能耗）",
    },
    "flat_conflict": {
        "en": "facility '{facility}' has different {column} values on rows {rows}",
        "zh": "设施“{facility}”在第 {rows} 行的{column}不一致",
    },
    "text_too_long": {
        "en": "text is {length} characters long, over the limit of {limit}",
        "zh": "文本长度 {length} 个字符，超过上限 {limit}",
    },
    "baseline_better_than_benchmark": {
        "en": "benchmark {benchmark} is worse than baseline {baseline}; lower is better, the benchmark must be the lower value",
        "zh": "标杆水平 {benchmark} 劣于基准水平 {baseline}；能耗越低越好，标杆水平应小于基准水平",
    },
    "retire_with_intensity": {
        "en": "a retirement cannot also change energy intensity; leave energy_intensity_after blank",
        "zh": "淘汰项目不应填写改造后单位产品能耗，请留空",
    },
    "too_many_columns": {
        "en": "has {columns} columns, over the limit of {limit}; remove unused columns",
        "zh": "共 {columns} 列，超过上限 {limit} 列；请删除无关的列",
    },
    "too_many_cells": {
        "en": "has {cells} cells, over the limit of {limit}; split the list or remove unused sheets and columns",
        "zh": "共 {cells} 个单元格，超过上限 {limit}；请拆分清单或删除无关的工作表和列",
    },
    "too_slow": {
        "en": "the file took too long to read (over {seconds:g} s) and was stopped; split the list or remove unused sheets",
        "zh": "读取文件耗时过长（超过 {seconds:g} 秒），已停止；请拆分清单或删除无关工作表",
    },
    "too_much_memory": {
        "en": "the file took too much memory to read (over {limit_mb:.0f} MB) and was stopped; split the list or remove unused sheets",
        "zh": "读取文件占用内存过多（超过 {limit_mb:.0f} MB），已停止；请拆分清单或删除无关工作表",
    },
    "reader_failed": {
        "en": "could not be read: the reading process stopped unexpectedly ({reason})",
        "zh": "无法读取：读取进程意外终止（{reason}）",
    },
    "ambiguous_table": {
        "en": "both {first} and {second} hold the '{table}' table; keep only one (hidden sheets count too)",
        "zh": "“{first}”和“{second}”都是“{table}”表；请只保留一个（隐藏的工作表也算）",
    },
    "duplicate_column": {
        "en": "columns '{first}' and '{second}' both mean '{column}'; keep only one",
        "zh": "列“{first}”和“{second}”都表示“{column}”；请只保留一列",
    },
    "reserved_column": {
        "en": "column '{header}' has the name of a column the product computes for its output; rename it (e.g. '{suggestion}')",
        "zh": "列名“{header}”与系统计算输出的列同名；请改名（例如“{suggestion}”）",
    },
    "formula_without_value": {
        "en": "holds a formula without a saved result; open and save the workbook in Excel or WPS, or paste the values",
        "zh": "单元格为公式但没有保存计算结果；请在 Excel 或 WPS 中打开并保存工作簿，或粘贴为数值",
    },
    "decimal_comma": {
        "en": "'{value}' has a comma that is not a thousands separator (as in 1,500 or 12,345.6); write a decimal point ({suggestion}) or remove the comma",
        "zh": "“{value}”中的逗号不是千位分隔符（如 1,500 或 12,345.6）；小数请用小数点（{suggestion}），否则删除逗号",
    },
    "unknown_fuel": {
        "en": "unknown fuel '{value}'; use one of: {known}",
        "zh": "未知燃料“{value}”；可填：{known}",
    },
    "electricity_as_fuel": {
        "en": "'{value}' is electricity, not a fuel: put electricity saved in electricity_saving_mwh (节电量), otherwise the same saving counts twice",
        "zh": "“{value}”是电力而不是燃料：节约的电量请填入节电量（electricity_saving_mwh），否则同一节约量会被重复计算",
    },
    "co2_range_order": {
        "en": "the CO2 range is out of order (low {low}, value {value}, high {high}); it must be low ≤ value ≤ high",
        "zh": "减排量范围顺序有误（下限 {low}，减排量 {value}，上限 {high}）；须满足 下限 ≤ 减排量 ≤ 上限",
    },
    "more_problems": {
        "en": "{count} more problem(s) of this kind in this column are not listed",
        "zh": "本列还有 {count} 个同类问题未列出",
    },
}


@dataclass(frozen=True)
class Problem:
    """One problem in an input: where it is and what is wrong."""

    code: str
    file: str = ""
    row: int | None = None
    column: str = ""
    details: dict = field(default_factory=dict, compare=False, hash=False)
    #: The column's header as the user wrote it (``投资`` for ``capex``); messages name this one.
    header: str = field(default="", compare=False, hash=False)

    def text(self, language: Language = "en") -> str:
        """The full message, e.g. ``projects.csv, row 7, column capex: 'abc' is not a number``.

        The column is named by the user's own header when it is known.
        """
        where = where_text(self.file, self.row, self.header or self.column, language)
        body = MESSAGES[self.code][language].format(**self.details)
        separator = "：" if language == "zh" else ": "
        return f"{where}{separator}{body}" if where else body


def where_text(file: str, row: int | None, column: str, language: Language) -> str:
    """The location part of a message, in the user's language."""
    parts = []
    if file:
        parts.append(file)
    if row is not None:
        parts.append(f"第 {row} 行" if language == "zh" else f"row {row}")
    if column:
        parts.append(f"列 {column}" if language == "zh" else f"column {column}")
    return ("，" if language == "zh" else ", ").join(parts)


class DataError(Exception):
    """Raised when an input has problems; carries all of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.text("en") for p in problems))

    def texts(self, language: Language = "en") -> list[str]:
        return [p.text(language) for p in self.problems]
