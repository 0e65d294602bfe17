"""Projects: browse and filter facilities and projects; edit; upload a list; download template and dataset."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from ui import auth, compute, session, versions
from ui.datastore import get_store
from ui.i18n import category_name, language, num, sector_name, t
from ui.settings import Settings
from ui.uploads import import_file
from ui.views import TABLE, no_none, show_problems

LABELS = {"facility_id": "col_facility", "project_id": "col_id", "name": "col_name", "sector": "col_sector",
          "product": "col_product", "district": "col_district", "source": "col_source", "category": "col_category",
          "exclusive_group": "col_group", "requires": "col_requires", "retire": "col_retire",
          "lifetime_years": "col_lifetime", "earliest_year": "col_earliest_year",
          "energy_intensity_after": "col_intensity_after", "fuel": "col_fuel", "lead_time_years": "col_lead_time",
          "co2_low": "col_co2_low", "co2_high": "col_co2_high"}
NUMBERS = {"capacity": ("col_capacity", "localized"), "energy_intensity": ("col_energy_intensity", "%.1f"),
           "capex": ("col_capex", "localized"), "co2_t": ("col_co2", "localized"),
           "energy_saving_tce": ("col_energy_saving", "localized"),
           "electricity_saving_mwh": ("col_electricity_saving", "localized"),
           "annual_saving": ("col_annual_saving", "localized")}
PROJECT_COLUMNS = ["project_id", "facility_id", "name", "category", "capex", "co2_t", "energy_saving_tce",
                   "electricity_saving_mwh", "energy_intensity_after", "exclusive_group", "requires", "retire",
                   "annual_saving", "lifetime_years", "earliest_year", "source"]


def column_config() -> dict[str, Any]:
    config: dict[str, Any] = {column: t(label) for column, label in LABELS.items()}
    for column, (label, fmt) in NUMBERS.items():
        config[column] = st.column_config.NumberColumn(t(label), format=fmt)
    config["retire"] = st.column_config.CheckboxColumn(t("col_retire"))
    return config


def product_name(products: pd.DataFrame) -> Callable[[str], str]:
    """A product key as the products table names it in the chosen language (the key if it has no name)."""
    column = "name_zh" if language() == "zh" else "name_en"

    def name(product: str) -> str:
        if product in products.index and column in products.columns and pd.notna(products.loc[product, column]):
            return str(products.loc[product, column])
        return str(product)

    return name


def render_browse(settings: Settings) -> None:
    data = compute.dataset(settings)
    facilities = data.facilities.reset_index()
    projects = compute.projects_with_co2(settings)
    projects["co2_t"] = projects["co2_t"].round(0)
    projects["requires"] = projects["requires"].map(lambda r: ";".join(r) if isinstance(r, tuple) else "")

    f1, f2, f3 = st.columns([2, 2, 3])
    sectors = sorted(facilities["sector"].dropna().unique())
    chosen_sectors = f1.multiselect(t("filter_sector"), sectors, default=[], format_func=sector_name,
                                    key="filter_sector")
    categories = sorted(projects["category"].dropna().astype(str).unique())
    chosen_categories = f2.multiselect(t("filter_category"), categories, default=[], key="filter_category",
                                       format_func=category_name)
    text = f3.text_input(t("filter_text"), key="filter_text").strip().lower()

    def matches(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
        if not text:
            return pd.Series(True, index=frame.index)
        hay = frame[columns].astype(str).agg(" ".join, axis=1).str.lower()
        return hay.str.contains(text, regex=False)

    fac_mask = matches(facilities, ["facility_id", "name", "product"])
    proj_mask = matches(projects, ["project_id", "facility_id", "name"])
    if chosen_sectors:
        fac_mask &= facilities["sector"].isin(chosen_sectors)
        proj_mask &= projects["sector"].isin(chosen_sectors)
    if chosen_categories:
        proj_mask &= projects["category"].astype(str).isin(chosen_categories)

    config = column_config()
    st.subheader(f"{t('facilities')} ({num(fac_mask.sum())} / {num(len(facilities))})")
    shown_fac = facilities[fac_mask].copy()
    shown_fac["sector"] = shown_fac["sector"].map(sector_name)
    shown_fac["product"] = shown_fac["product"].map(product_name(data.products))
    st.dataframe(no_none(shown_fac), **TABLE, column_config=config)

    st.subheader(f"{t('projects')} ({num(proj_mask.sum())} / {num(len(projects))})")
    shown = projects.loc[proj_mask, [c for c in PROJECT_COLUMNS if c in projects.columns]].copy()
    shown["category"] = shown["category"].map(category_name)
    st.dataframe(no_none(shown), **TABLE, column_config=config)


def render_edit(settings: Settings) -> None:
    """Edit the projects table; saved as a new dataset after the same checks as an upload."""
    with st.expander(t("edit_projects")):
        tables = compute.dataset_tables(settings)
        edited = st.data_editor(tables["projects"], key="projects_editor", **TABLE,
                                num_rows="dynamic", column_config=column_config())
        c1, c2 = st.columns([3, 1])
        save_name = c1.text_input(t("edit_save_name"), value=f"{settings.dataset}_edited", key="edit_save_name")
        refused = auth.dataset_refusal(get_store(), save_name.strip())
        if refused:
            st.caption(f"🔒 {refused}")
        if c2.button(t("edit_save"), key="edit_save", disabled=bool(refused), help=refused):
            problems, checked = compute.check_edited_projects(tables, edited, save_name)
            if problems or checked is None:
                show_problems(problems)
                return
            get_store().save_dataset(save_name, checked, source_file=f"edited from {settings.dataset}",
                                     actor=auth.actor())
            session.set_view("upload_outcome", (save_name, len(checked.facilities), len(checked.projects), None))
            st.rerun()


def render_upload() -> None:
    st.subheader(t("upload_header"))
    st.caption(t("upload_help"))
    u1, u2 = st.columns([3, 2])
    upload = u1.file_uploader(t("upload_file"), type=["xlsx", "csv", "zip"], key="upload")
    u2.text_input(t("upload_name"), key="upload_name")
    typed = (st.session_state.get("upload_name") or "").strip()
    refused = auth.dataset_refusal(get_store(), typed) if typed else auth.write_refusal()
    if refused:
        st.caption(f"🔒 {refused}")
    if u2.button(t("upload_button"), key="upload_button", type="primary", disabled=bool(refused), help=refused):
        name = (st.session_state.get("upload_name") or "").strip()
        if upload is None or not name:
            st.warning(t("upload_need"))
        else:
            with st.spinner("…"):
                outcome = import_file(name, upload.name, upload.getvalue())
            if outcome.ok and outcome.dataset is not None:
                session.set_view("upload_outcome", (name, len(outcome.dataset.facilities),
                                                    len(outcome.dataset.projects), None))
                st.rerun()  # so the sidebar lists the new dataset
            session.set_view("upload_outcome", (name, 0, 0, outcome))
    kept = session.view("upload_outcome", None)
    if kept:
        name, n_fac, n_proj, failed = kept
        if failed is None:
            st.success(t("upload_ok", name=name, facilities=num(n_fac), projects=num(n_proj)))
        else:
            show_problems(failed.problems, failed.headers)


def render_versions(settings: Settings) -> None:
    """Every kept version of the dataset: compare two row by row, or restore one."""
    with st.expander(t("versions_header")):
        st.caption(t("versions_help"))
        restored = session.view("version_restored", None)
        if restored:
            st.success(t("version_restored", old=restored[0], new=restored[1]))
        st.dataframe(no_none(versions.versions(settings.dataset)), **TABLE)
        numbers = versions.version_numbers(settings.dataset)
        if len(numbers) < 2:
            return
        v1, v2, v3 = st.columns(3)
        old = v1.selectbox(t("version_old"), numbers[1:], key="version_old")
        new = v2.selectbox(t("version_new"), [n for n in numbers if n > old], key="version_new")
        changes = versions.diff(settings.dataset, int(old), int(new))
        if changes.empty:
            st.info(t("version_no_change"))
        else:
            st.dataframe(changes, **TABLE)
        refused = auth.dataset_refusal(get_store(), settings.dataset)
        if refused:
            st.caption(f"🔒 {refused}")
        if v3.button(t("version_restore"), key="version_restore", help=refused or f"{t('col_version')} {old}",
                     disabled=bool(refused)):
            session.set_view("version_restored", (int(old), versions.restore(settings.dataset, int(old))))
            st.rerun()


def render_downloads(settings: Settings) -> None:
    d1, d2 = st.columns(2)
    d1.download_button(t("download_template"), compute.template_workbook, file_name="retrofit_template.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="download_template", on_click="ignore")
    d2.download_button(t("download_dataset"), lambda: compute.dataset_workbook(settings),
                       file_name=f"{settings.dataset}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_dataset",
                       on_click="ignore")
    with st.expander(t("import_log")):
        st.dataframe(no_none(get_store().import_log()), **TABLE)


settings = session.settings()
st.title(t("page_projects"))
st.caption(t("projects_intro"))
render_browse(settings)
render_edit(settings)
render_upload()
render_versions(settings)
render_downloads(settings)
