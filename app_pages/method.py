"""Method: how the choice is made, the formulation, and the source of every default."""

from __future__ import annotations

import streamlit as st

from ui import compute, session
from ui.i18n import t
from ui.views import TABLE, no_none

settings = session.settings()
st.title(t("page_method"))
st.caption(t("method_intro"))

st.subheader(t("method_words_title"))
st.markdown(t("method_words"))

st.subheader(t("method_accounting_title"))
with st.container(key="method_accounting"):
    st.markdown(t("method_accounting"))

st.subheader(t("method_formulation"))
st.markdown(t("method_symbols"))
st.latex(r"\max_{x}\ \sum_p e_p\,x_p \qquad\text{s.t.}\qquad \sum_p c_p\,x_p \le B")
st.latex(r"\sum_{f\in F_T} w_f\, b_f(x) \;\ge\; s_T \sum_{f\in F_T} w_f\,\bigl(1-r_f(x)\bigr)"
         r"\qquad\forall T")
st.latex(r"b_f(x) \le \mathbb{1}[\text{today at benchmark}] + \sum_{p\,\in\,P_f:\ \text{reaches benchmark}} x_p,"
         r"\qquad b_f(x) \le 1 - r_f(x)")
st.latex(r"\text{baseline: } a_f(x) + r_f(x) \ge 1\ \ \forall f \in F_{\text{steel}};\qquad"
         r"\text{small lines: } r_f(x) = 1\ \ \forall f:\ \text{capacity}_f < \text{threshold}")
st.latex(r"\sum_{p\in G} x_p \le 1\ \ \forall G;\qquad x_p \le x_q\ \ \forall (p,q);\qquad "
         r"r_f(x) = \sum_{p\in P_f:\ \text{retire}} x_p,\ \ x_{p'} \le 1-r_f\ \text{for other}\ p'\in P_f")
st.latex(r"\text{least-capex mode:}\quad \min_x \sum_p c_p\,x_p \quad\text{s.t.}\quad \sum_p e_p\,x_p \ge \text{goal}"
         r"\ \text{and the same targets}")

st.subheader(t("method_sources"))
factors = compute.factors(settings)
st.caption(t("factors_used", grid=factors.grid_id, grid_value=factors.grid_t_per_mwh, fuel=factors.fuel_id,
             fuel_value=factors.fuel_t_per_tce))
for file, label in (("products.csv", "products_csv"), ("targets.csv", "targets_csv"),
                    ("emission_factors.csv", "factors_csv")):
    st.markdown(f"**{t(label)}**")
    table = compute.reference_table(file)
    table = table[[table.columns[0], "source", *[c for c in table.columns[1:] if c != "source"]]]
    st.dataframe(no_none(table), **TABLE,
                 column_config={"source": st.column_config.TextColumn(t("col_source"), width="large")})
