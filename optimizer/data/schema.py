"""The upload contract of ``data-format.md`` written down once, as data.

Every table the product reads is described here: its columns, their Chinese
aliases, their types and whether they are required. The loader, the checks,
the template workbook and the export all read these specifications, so the
contract lives in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, TypeVar

ColumnType = Literal["text", "number", "positive", "nonnegative", "integer", "bool", "list"]


@dataclass(frozen=True)
class Column:
    """One column of an input table."""

    name: str
    alias_zh: str
    type: ColumnType
    required: bool
    help_en: str
    help_zh: str


@dataclass(frozen=True)
class TableSpec:
    """One input table: its name, the key column and its columns in order."""

    name: str
    key: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]


FACILITIES = TableSpec(
    "facilities",
    "facility_id",
    (
        Column("facility_id", "设施编号", "text", True, "unique id of the plant or line", "设施唯一编号"),
        Column("name", "名称", "text", False, "plant or line name", "工厂或生产线名称"),
        Column("sector", "行业", "text", True,
               "petrochemical, steel or building_materials (石化化工, 钢铁, 建材)",
               "行业：石化化工、钢铁或建材"),
        Column("product", "产品", "text", True, "a product key of the products table", "产品代码（见产品表）"),
        Column("capacity", "产能", "positive", True, "annual capacity, in the product's unit", "年产能（产品单位）"),
        Column("energy_intensity", "单位产品能耗", "number", True,
               "current energy use per unit of product (kgce per unit)", "当前单位产品综合能耗（千克标准煤/单位产品）"),
        Column("district", "区县", "text", False, "district or county", "区县"),
    ),
)

PROJECTS = TableSpec(
    "projects",
    "project_id",
    (
        Column("project_id", "项目编号", "text", True, "unique id of the candidate project", "项目唯一编号"),
        Column("facility_id", "设施编号", "text", True, "the facility it retrofits", "改造的设施编号"),
        Column("name", "项目名称", "text", False, "project name", "项目名称"),
        Column("category", "类别", "text", False,
               "kiln, waste_heat, electric_furnace, solar_rooftop, process, fuel_switch, retire",
               "类别：窑炉、余热、电炉、屋顶光伏、工艺、燃料替代、淘汰"),
        Column("capex", "投资", "nonnegative", True, "capital cost, 万元 (10,000 CNY)", "投资（万元）"),
        Column("co2_reduction", "减排量", "nonnegative", False, "CO2 cut, tCO2 per year", "年二氧化碳减排量（吨）"),
        Column("energy_saving_tce", "节能量", "nonnegative", False,
               "energy saved, tce per year (converted with the fuel factor)", "年节能量（吨标准煤）"),
        Column("electricity_saving_mwh", "节电量", "number", False,
               "grid electricity avoided, MWh per year (converted with the grid factor)",
               "年节电量或光伏发电量（兆瓦时）"),
        Column("energy_intensity_after", "改造后单位产品能耗", "number", False,
               "facility energy intensity after the project; blank = unchanged", "改造后单位产品能耗；空白表示不变"),
        Column("exclusive_group", "互斥组", "text", False,
               "at most one project of a group is chosen", "同组项目至多选一个"),
        Column("requires", "前置项目", "list", False,
               "project ids, ';'-separated, that must also be chosen", "必须同时选择的前置项目编号，用分号分隔"),
        Column("retire", "淘汰", "bool", False, "true: choosing it closes the facility", "是：选择后该设施关停淘汰"),
        Column("annual_saving", "年节约费用", "number", False,
               "operating cost saved, 万元 per year", "年节约运行费用（万元）"),
        Column("lifetime_years", "寿命", "positive", False,
               "economic lifetime in years (default 15)", "经济寿命（年，默认15）"),
        Column("earliest_year", "最早年份", "integer", False, "first year it can start", "最早可实施年份"),
        Column("fuel", "节约燃料", "text", False,
               "fuel whose saving energy_saving_tce counts (coal default, natural_gas, oil, ...); never electricity",
               "节能量对应的燃料（默认煤，天然气、油等）；电力节约填入节电量"),
        Column("lead_time_years", "建设周期", "integer", False,
               "years from start to service (default 1); capex is spread over them",
               "建设周期（年，默认1），投资在其间平均分摊"),
        Column("co2_low", "减排量下限", "nonnegative", False,
               "low end of the CO2 cut, tCO2 per year", "年减排量下限（吨）"),
        Column("co2_high", "减排量上限", "nonnegative", False,
               "high end of the CO2 cut, tCO2 per year", "年减排量上限（吨）"),
    ),
)

PRODUCTS = TableSpec(
    "products",
    "product",
    (
        Column("product", "产品", "text", True, "product key", "产品代码"),
        Column("name_en", "英文名称", "text", False, "English name", "英文名称"),
        Column("name_zh", "中文名称", "text", False, "Chinese name", "中文名称"),
        Column("sector", "行业", "text", True, "sector", "行业"),
        Column("unit", "单位", "text", False, "capacity unit", "产能单位"),
        Column("intensity_unit", "能耗单位", "text", False, "energy intensity unit", "能耗单位"),
        Column("benchmark", "标杆水平", "number", True, "benchmark level (lower is better)", "能效标杆水平"),
        Column("baseline", "基准水平", "number", True, "baseline level", "能效基准水平"),
        Column("source", "来源", "text", False, "citation", "出处"),
    ),
)

TARGETS = TableSpec(
    "targets",
    "target_id",
    (
        Column("target_id", "目标编号", "text", True, "target id", "目标编号"),
        Column("kind", "类型", "text", True,
               "benchmark_share_min, baseline_all or min_line_capacity", "目标类型"),
        Column("products", "产品", "list", True, "';'-separated product keys", "覆盖的产品代码，分号分隔"),
        Column("value", "数值", "nonnegative", True, "share (0-1) or capacity threshold", "比例（0-1）或产能门槛"),
        Column("weight", "权重", "text", False, "capacity (default) or energy", "权重：产能（默认）或能耗"),
        Column("year", "年份", "integer", False, "year it must hold", "目标年份"),
        Column("name_en", "英文名称", "text", False, "English name", "英文名称"),
        Column("name_zh", "中文名称", "text", False, "Chinese name", "中文名称"),
        Column("source", "来源", "text", False, "citation", "出处"),
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (FACILITIES, PROJECTS, PRODUCTS, TARGETS)}

#: Sheet or file names accepted for each table, besides the English name.
TABLE_ALIASES: dict[str, tuple[str, ...]] = {
    "facilities": ("facilities", "设施", "设施表"),
    "projects": ("projects", "项目", "项目表"),
    "products": ("products", "产品", "产品表"),
    "targets": ("targets", "目标", "目标表"),
}

SECTORS = ("petrochemical", "steel", "building_materials")
SECTOR_ALIASES = {
    "petrochemical": "petrochemical", "石化化工": "petrochemical", "石化": "petrochemical", "化工": "petrochemical",
    "steel": "steel", "钢铁": "steel",
    "building_materials": "building_materials", "building materials": "building_materials",
    "建材": "building_materials",
}

TARGET_KINDS = ("benchmark_share_min", "baseline_all", "min_line_capacity")
#: Kinds whose ``value`` is a required share of weighted capacity: at most 1, and one unit across its products
#: when weighted by capacity (the import checks both; the kind's module reads the same fact).
WEIGHTED_SHARE_KINDS = ("benchmark_share_min",)
TARGET_WEIGHTS = ("capacity", "energy")

TRUE_WORDS = {"true", "yes", "y", "1", "是", "对", "√", "x"}
FALSE_WORDS = {"false", "no", "n", "0", "否", ""}

DEFAULT_LIFETIME_YEARS = 15.0


_T = TypeVar("_T")

#: A text cell starting with one of these could run as a spreadsheet formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: _T) -> _T | str:
    """Make a text cell inert in a spreadsheet."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unescape_cell(value: _T) -> _T | str:
    """Undo :func:`escape_cell` when reading a file this product wrote."""
    if isinstance(value, str) and value.startswith("'") and value[1:2] and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def canonical_header(header: object, spec: TableSpec) -> str:
    """Map a header cell (any case, spaces, Chinese alias) to its column name.

    Headers that match no column are returned cleaned, so extra columns are
    kept and carried to the output.
    """
    text = str(header).strip()
    low = text.lower().replace(" ", "_")
    for column in spec.columns:
        if low == column.name or text == column.alias_zh:
            return column.name
    unit = _UNIT_SUFFIX.match(text)
    if unit:  # a header written with its unit, as the downloads write them: "投资（万元）", "capex (万元)"
        base = unit.group(1).strip()
        for column in spec.columns:
            if base.lower().replace(" ", "_") == column.name or base == column.alias_zh:
                return column.name
    return low


#: A header ending in a unit in brackets, ASCII or full-width.
_UNIT_SUFFIX = re.compile(r"^(.+?)\s*[(（][^()（）]*[)）]$")

# --- names the product computes: reserved in input tables -------------------

#: Columns the product adds to the projects or facilities table for its pages and downloads
#: (``export.portfolio_table``, ``economics.project_economics``, ``pages/``), or uses inside the
#: import. A user column of one of these names would collide with the computed one (a crash or a
#: silently replaced value), so the import refuses it and asks for another name. Whoever adds a
#: computed column to a projects/facilities frame adds its name here.
RESERVED_COLUMNS = frozenset({
    # export.portfolio_table / economics.project_economics
    "co2_t", "annualised_capex_wan", "abatement_cost_cny_per_t", "payback_years",
    # pages/optimize.py, ui/charts.py
    "chosen", "ratio", "x_start", "x_end",
    # names the export or pages are planning or may use for the same figures
    "co2_reduction_t", "co2_cut", "abatement_cost", "payback", "npv", "npv_wan", "annualised_capex",
    # internal to the import
    "src_file", "src_row",
})
#: In the projects table, ``facility_<column>`` is reserved as well: the portfolio joins the
#: facility's columns under that prefix (``facility_name``, ``facility_sector``, ...).
RESERVED_PREFIXES: dict[str, tuple[str, ...]] = {"projects": ("facility_",)}


def reserved(name: str, table: str) -> bool:
    """Whether ``name`` (a cleaned header that is no contract column) is reserved in ``table``."""
    return name in RESERVED_COLUMNS or (
        name.startswith(RESERVED_PREFIXES.get(table, ())) and name != "facility_id")


# --- fuels ------------------------------------------------------------------

#: Words for a fuel in the ``fuel`` column, mapped to the key of ``fuel_<key>`` in
#: ``data/emission_factors.csv``. A word counts only if that factor exists.
FUEL_ALIASES = {
    "coal": "coal", "raw_coal": "coal", "煤": "coal", "原煤": "coal", "煤炭": "coal",
    "natural_gas": "natural_gas", "gas": "natural_gas", "天然气": "natural_gas",
    "coke": "coke", "焦炭": "coke",
    "oil": "oil", "油": "oil", "燃料油": "fuel_oil", "fuel_oil": "fuel_oil", "diesel": "diesel", "柴油": "diesel",
}
#: Electricity is not a fuel of ``energy_saving_tce``: its saving goes in ``electricity_saving_mwh``.
ELECTRICITY_WORDS = frozenset({"electricity", "electric", "power", "grid", "grid_electricity", "电", "电力", "电能",
                               "用电", "外购电"})
