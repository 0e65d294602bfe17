"""Projects: browse and filter facilities and projects; edit; upload a list; download template and dataset."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from optimizer.export import dataset_tables, dataset_workbook, template_workbook
from storage.importing import import_upload
from ui.i18n import language, num, sector_name, t
from ui.state import check_edited_projects, context

s = st.session_state
ctx = context()
dataset, instance = ctx.dataset, ctx.instance

st.title(t("page_projects"))
st.caption(t("projects_intro"))


@st.cache_data(show_spinner=False)
def _template() -> bytes:
    return template_workbook()


@st.cache_data(show_spinner=False, max_entries=8)
def _dataset_bytes(path: str, name: str, version: str) -> bytes:
    return dataset_workbook(ctx.dataset)


# --- browse -------------------------------------------------------------------

facilities = dataset.facilities.reset_index()
projects = dataset.projects.assign(co2_t=instance.co2.round(0)).reset_index()
projects["sector"] = projects["facility_id"].map(dataset.facilities["sector"])
projects["requires"] = projects["requires"].map(lambda r: ";".join(r) if isinstance(r, tuple) else "")

f1, f2, f3 = st.columns([2, 2, 3])
sectors = sorted(facilities["sector"].dropna().unique())
chosen_sectors = f1.multiselect(t("filter_sector"), sectors, default=[], format_func=sector_name,
                                key="filter_sector")
categories = sorted(projects["category"].dropna().astype(str).unique())
chosen_categories = f2.multiselect(t("filter_category"), categories, default=[], key="filter_category")
text = f3.text_input(t("filter_text"), key="filter_text").strip().lower()


def _matches(frame: pd.DataFrame, columns: list[str]) -> pd.Series:
    if not text:
        return pd.Series(True, index=frame.index)
    hay = frame[columns].astype(str).agg(" ".join, axis=1).str.lower()
    return hay.str.contains(text, regex=False)


fac_mask = _matches(facilities, ["facility_id", "name", "product"])
proj_mask = _matches(projects, ["project_id", "facility_id", "name"])
if chosen_sectors:
    fac_mask &= facilities["sector"].isin(chosen_sectors)
    proj_mask &= projects["sector"].isin(chosen_sectors)
if chosen_categories:
    proj_mask &= projects["category"].astype(str).isin(chosen_categories)

numbers = st.column_config.NumberColumn(format="localized")
labels = {"facility_id": t("col_facility"), "project_id": t("col_id"), "name": t("col_name"),
          "sector": t("col_sector"), "product": t("col_product"), "district": t("col_district"),
          "source": t("col_source"), "category": t("col_category"), "exclusive_group": t("col_group"),
          "requires": t("col_requires"), "retire": t("col_retire"), "lifetime_years": t("col_lifetime"),
          "earliest_year": t("col_earliest_year"), "energy_intensity_after": t("col_intensity_after")}
config = {column: label for column, label in labels.items()}
config.update({
    "capacity": st.column_config.NumberColumn(t("col_capacity"), format="localized"),
    "energy_intensity": st.column_config.NumberColumn(t("col_energy_intensity"), format="%.1f"),
    "capex": st.column_config.NumberColumn(t("col_capex"), format="localized"),
    "co2_t": st.column_config.NumberColumn(t("col_co2"), format="localized"),
    "energy_saving_tce": st.column_config.NumberColumn(t("col_energy_saving"), format="localized"),
    "electricity_saving_mwh": st.column_config.NumberColumn(t("col_electricity_saving"), format="localized"),
    "annual_saving": st.column_config.NumberColumn(t("col_annual_saving"), format="localized"),
})
st.subheader(f"{t('facilities')} ({num(fac_mask.sum())} / {num(len(facilities))})")
shown_fac = facilities[fac_mask].copy()
shown_fac["sector"] = shown_fac["sector"].map(sector_name)
st.dataframe(shown_fac, hide_index=True, width="stretch", column_config=config)

st.subheader(f"{t('projects')} ({num(proj_mask.sum())} / {num(len(projects))})")
project_columns = ["project_id", "facility_id", "name", "category", "capex", "co2_t", "energy_saving_tce",
                   "electricity_saving_mwh", "energy_intensity_after", "exclusive_group", "requires", "retire",
                   "annual_saving", "lifetime_years", "earliest_year", "source"]
st.dataframe(projects.loc[proj_mask, [c for c in project_columns if c in projects.columns]], hide_index=True,
             width="stretch", column_config=config)

# --- edit (checked by the same rules as an import) ----------------------------

with st.expander(t("edit_projects")):
    tables = dataset_tables(dataset)
    editable = tables["projects"]
    edited = st.data_editor(editable, key="projects_editor", hide_index=True, width="stretch", num_rows="dynamic")
    c1, c2 = st.columns([3, 1])
    save_name = c1.text_input(t("edit_save_name"), value=f"{ctx.name}_edited", key="edit_save_name")
    if c2.button(t("edit_save"), key="edit_save"):
        problems, checked = check_edited_projects(tables, edited, save_name)
        if problems:
            st.error(t("upload_failed", n=len(problems)) + "\n\n" +
                     "\n".join(f"- {p.text(language())}" for p in problems))
        else:
            ctx.store.save_dataset(save_name, checked, source_file=f"edited from {ctx.name}")
            s["_upload_outcome"] = (save_name, True, [], [])
            s["_upload_counts"] = (len(checked.facilities), len(checked.projects))
            st.rerun()

# --- upload ---------------------------------------------------------------------

st.subheader(t("upload_header"))
st.caption(t("upload_help"))
u1, u2 = st.columns([3, 2])
upload = u1.file_uploader(t("upload_file"), type=["xlsx", "csv", "zip"], key="upload")
u2.text_input(t("upload_name"), key="upload_name")
if u2.button(t("upload_button"), key="upload_button", type="primary"):
    name = (s.get("upload_name") or "").strip()
    if upload is None or not name:
        st.warning(t("upload_need"))
    else:
        with st.spinner("…"):
            outcome = import_upload(ctx.store, name, upload.name, upload.getvalue())
        s["_upload_outcome"] = (name, outcome.ok, [p.text("zh") for p in outcome.problems],
                                [p.text("en") for p in outcome.problems])
        if outcome.ok:
            s["_upload_counts"] = (len(outcome.dataset.facilities), len(outcome.dataset.projects))
            st.rerun()  # so the sidebar lists the new dataset
outcome = s.get("_upload_outcome")
if outcome:
    name, ok, problems_zh, problems_en = outcome
    if ok:
        n_fac, n_proj = s.get("_upload_counts", (0, 0))
        st.success(t("upload_ok", name=name, facilities=num(n_fac), projects=num(n_proj)))
    else:
        problems = problems_zh if language() == "zh" else problems_en
        st.error(t("upload_failed", n=len(problems)) + "\n\n" + "\n".join(f"- {p}" for p in problems))

d1, d2 = st.columns(2)
d1.download_button(t("download_template"), _template(), file_name="retrofit_template.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_template")
d2.download_button(t("download_dataset"), _dataset_bytes(ctx.path, ctx.name, ctx.version),
                   file_name=f"{ctx.name}.xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="download_dataset")

with st.expander(t("import_log")):
    st.dataframe(ctx.store.import_log(), hide_index=True, width="stretch")
