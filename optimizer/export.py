"""Writing what analysts take away: the portfolio, the dataset, a blank template.

Every text cell that a spreadsheet could run as a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) is written with a leading
apostrophe; :func:`unescape_cell` undoes it on import, so a dataset written
here reads back identical.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, timezone

import pandas as pd

from .dataset import Dataset, EmissionFactors
from .economics import DEFAULT_DISCOUNT_RATE, portfolio_economics, project_economics
from .instance import Instance
from .schema import FACILITIES, PRODUCTS, PROJECTS, TARGETS, TableSpec, escape_cell
from .solve import PortfolioResult

#: Output column headers with their units.
COMPUTED_HEADERS = {
    "co2_t": "co2_cut (tCO2/yr)",
    "annualised_capex_wan": "annualised_capex (万元/yr)",
    "abatement_cost_cny_per_t": "abatement_cost (CNY/tCO2)",
    "payback_years": "payback (years)",
}


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells and headers (extra columns keep the user's header) made inert."""
    frame = frame.apply(lambda column: column.map(escape_cell) if column.dtype == object or
                        pd.api.types.is_string_dtype(column) else column)
    return frame.set_axis([escape_cell(str(c)) for c in frame.columns], axis=1)


# --- the portfolio ----------------------------------------------------------


def portfolio_table(dataset: Dataset, instance: Instance, result: PortfolioResult,
                    discount_rate: float = DEFAULT_DISCOUNT_RATE) -> pd.DataFrame:
    """The chosen projects: every input column plus CO2 cut, abatement cost and payback."""
    projects = dataset.projects.assign(co2_t=instance.co2)
    chosen = projects[result.chosen] if len(result.chosen) else projects.iloc[:0]
    economics = project_economics(chosen, chosen["co2_t"], discount_rate)
    table = chosen.join(economics).reset_index()
    table["requires"] = table["requires"].map(lambda r: ";".join(r) if isinstance(r, tuple) else "")
    facility = dataset.facilities[["name", "sector", "product"]].add_prefix("facility_")
    table = table.merge(facility, left_on="facility_id", right_index=True, how="left")
    return table


def summary_table(dataset: Dataset, result: PortfolioResult, portfolio: pd.DataFrame,
                  discount_rate: float = DEFAULT_DISCOUNT_RATE) -> pd.DataFrame:
    economics = portfolio_economics(portfolio, portfolio, portfolio["co2_t"])
    rows = [
        ("dataset", dataset.name, ""),
        *([("data_note", "ILLUSTRATIVE sample data: invented plants and projects, not real Fuzhou data / "
                         "示例数据：设施与项目均为虚构，不是福州实际数据", "")] if is_illustrative(dataset) else []),
        ("objective", result.objective, ""),
        ("budget", result.budget, "万元"),
        ("co2_goal", result.co2_goal, "tCO2/yr"),
        ("spend", result.spend, "万元"),
        ("co2_cut", result.co2_reduction_t, "tCO2/yr"),
        ("co2_per_wan", result.co2_reduction_t / result.spend if result.spend else None, "tCO2/yr per 万元"),
        ("projects_chosen", len(result.selected), ""),
        ("solver", result.solver, ""),
        ("solver_status", result.status, ""),
        ("proven_gap", result.gap, "fraction of the optimum"),
        ("bound", result.bound, "objective units"),
        ("solve_time", result.solve_seconds, "s"),
        ("annualised_capex", economics["annualised_capex_wan"], "万元/yr"),
        ("annual_saving", economics["annual_saving_wan"], "万元/yr"),
        ("abatement_cost", economics["abatement_cost_cny_per_t"], "CNY/tCO2"),
        ("payback", economics["payback_years"], "years"),
        ("written_at", datetime.now(timezone.utc).isoformat(timespec="seconds"), "UTC"),
    ]
    return pd.DataFrame(rows, columns=["item", "value", "unit"])


def is_illustrative(dataset: Dataset) -> bool:
    """The shipped sample marks every row's source as ILLUSTRATIVE; downloads must say so too."""
    return any(frame["source"].astype(str).str.startswith("ILLUSTRATIVE").any()
               for frame in (dataset.facilities, dataset.projects) if "source" in frame.columns)


def targets_table(result: PortfolioResult) -> pd.DataFrame:
    rows = [{"target_id": t.target_id, "name_en": t.name_en, "name_zh": t.name_zh, "kind": t.kind,
             "before": t.before, "after": t.after, "required": t.required, "met": t.met} for t in result.targets]
    return pd.DataFrame(rows, columns=["target_id", "name_en", "name_zh", "kind", "before", "after", "required", "met"])


def assumptions_table(dataset: Dataset, factors: EmissionFactors, discount_rate: float,
                      settings: dict | None = None) -> pd.DataFrame:
    rows = [
        ("grid_emission_factor", factors.grid_t_per_mwh, "tCO2/MWh", factors.grid_id, factors.grid_source),
        ("fuel_emission_factor", factors.fuel_t_per_tce, "tCO2/tce", factors.fuel_id, factors.fuel_source),
        ("discount_rate", discount_rate, "fraction", "", "assumption for annualising capex"),
    ]
    for key, value in (settings or {}).items():
        rows.append((key, value, "", "", "setting"))
    for product, level in dataset.products.iterrows():
        rows.append((f"benchmark:{product}", level["benchmark"], level.get("intensity_unit", ""), "",
                     level.get("source", "")))
        rows.append((f"baseline:{product}", level["baseline"], level.get("intensity_unit", ""), "",
                     level.get("source", "")))
    for target in dataset.targets:
        rows.append((f"target:{target.target_id}", target.value, target.kind,
                     "on" if target.enabled else "off", target.source))
    return pd.DataFrame(rows, columns=["item", "value", "unit", "id", "source"])


def _with_units(portfolio: pd.DataFrame) -> pd.DataFrame:
    units = {"capex": "capex (万元)", "co2_reduction": "co2_reduction (tCO2/yr)",
             "energy_saving_tce": "energy_saving (tce/yr)", "electricity_saving_mwh": "electricity_saving (MWh/yr)",
             "annual_saving": "annual_saving (万元/yr)", "lifetime_years": "lifetime (years)"}
    return portfolio.rename(columns={**units, **COMPUTED_HEADERS})


def portfolio_csv(portfolio: pd.DataFrame) -> bytes:
    """The portfolio as UTF-8 CSV with a BOM, so Excel opens Chinese text correctly."""
    return _safe(_with_units(portfolio)).to_csv(index=False).encode("utf-8-sig")


def portfolio_workbook(dataset: Dataset, instance: Instance, result: PortfolioResult, factors: EmissionFactors,
                       discount_rate: float = DEFAULT_DISCOUNT_RATE, settings: dict | None = None) -> bytes:
    """The portfolio workbook: sheets portfolio, summary, targets, assumptions."""
    portfolio = portfolio_table(dataset, instance, result, discount_rate)
    sheets = {
        "portfolio": _with_units(portfolio),
        "summary": summary_table(dataset, result, portfolio, discount_rate),
        "targets": targets_table(result),
        "assumptions": assumptions_table(dataset, factors, discount_rate, settings),
    }
    return _workbook(sheets)


def _workbook(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _safe(frame).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            for cells in sheet.iter_rows(min_row=1):
                for cell in cells:
                    if isinstance(cell.value, str):
                        cell.data_type = "s"  # never a formula, whatever the text
            for column in sheet.columns:
                width = max(len(str(c.value or "")) for c in column[:200])
                sheet.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 60)
    return buffer.getvalue()


# --- the dataset, round trip ------------------------------------------------


def dataset_tables(dataset: Dataset) -> dict[str, pd.DataFrame]:
    """The dataset as the four tables of the upload contract."""
    facilities = dataset.facilities.reset_index()
    projects = dataset.projects.reset_index()
    projects["requires"] = projects["requires"].map(lambda r: ";".join(r) if isinstance(r, tuple) else "")
    products = dataset.products.reset_index()
    return {"facilities": facilities, "projects": projects, "products": products, "targets": dataset.targets_table()}


def dataset_workbook(dataset: Dataset) -> bytes:
    return _workbook(dataset_tables(dataset))


def dataset_zip(dataset: Dataset) -> bytes:
    """The dataset as a zip of UTF-8 CSV files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in dataset_tables(dataset).items():
            archive.writestr(f"{name}.csv", _safe(frame).to_csv(index=False).encode("utf-8-sig"))
    return buffer.getvalue()


# --- the blank template -----------------------------------------------------


def template_workbook() -> bytes:
    """A blank workbook with one sheet per table and a README sheet explaining each column."""
    readme = []
    for spec in (FACILITIES, PROJECTS, PRODUCTS, TARGETS):
        for column in spec.columns:
            readme.append({"sheet 工作表": spec.name, "column 列名": column.name, "中文列名": column.alias_zh,
                           "required 必填": "yes 是" if column.required else "no 否",
                           "meaning": column.help_en, "说明": column.help_zh})
    sheets = {"README": pd.DataFrame(readme)}
    sheets.update(_blank(spec) for spec in (FACILITIES, PROJECTS))
    return _workbook(sheets)


def _blank(spec: TableSpec) -> tuple[str, pd.DataFrame]:
    return spec.name, pd.DataFrame(columns=spec.names)
