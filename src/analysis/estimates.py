"""Estimates: indicator x wave x group -> n, k, percent, 95% CI, design effect (one table per country).

Public surface: `design_of(country_cfg)`, `indicator_ids(...)`, `estimate_table(data, indicators, country,
design, group_vars, min_group_n, alpha)`. Sums come from analysis.domains (bincount per indicator, no long
reshaping), so memory grows with respondents, not respondents x indicators.

Simple random samples (no cluster, no weight declared): Wilson score interval, deff = 1.
Clustered and/or weighted designs: Taylor-linearised ratio estimator, logit interval with t(df)
(R `svyciprop(method="logit")`) or Korn-Graubard (`method="beta"`), design effect against SRS with
replacement (see survey_design.py). Percent columns are 0-100; `_prop` would be 0-1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .domains import (DOMAIN, OVERALL, DesignPasses, domain_estimates, domain_totals, indicator_values, layout,
                      linearised_moments, psu_counts, variance_from_moments)
from .proportions import wilson_ci
from .survey_design import design_effect, korn_graubard_ci, logit_ci


@dataclass(frozen=True)
class Design:
    """A country's survey design as declared in its config (`datasets.respondents.design`)."""

    type: str                    # independent | panel
    cluster: str | None = None
    weight: str | None = None
    strata: str | None = None
    panel_key: str | None = None
    ci_method: str = "logit"     # for design-based CIs: logit | beta

    @property
    def design_based(self) -> bool:
        return bool(self.cluster or self.weight)

    @property
    def label(self) -> str:
        parts = [self.type] + [f"{k}={v}" for k, v in (("cluster", self.cluster), ("weight", self.weight),
                                                           ("strata", self.strata)) if v]
        return "; ".join(parts)


def design_of(country_cfg: dict) -> Design:
    spec = country_cfg["datasets"]["respondents"].get("design", {"type": "independent"})
    return Design(type=spec["type"], cluster=spec.get("cluster"), weight=spec.get("weight"),
                  strata=spec.get("strata"), panel_key=spec.get("panel_key"), ci_method=spec.get("ci_method", "logit"))


def indicator_ids(indicators: list[dict], country: str, data) -> list[str]:
    """This country's indicators present in `data` (a DataFrame, or the names of its columns)."""
    columns = set(getattr(data, "columns", data))
    return [i["id"] for i in indicators if country in i.get("countries", {}) and i["id"] in columns]


def _srs_estimates(values: dict, data: pd.DataFrame, lay, group_vars: list[str], alpha: float) -> pd.DataFrame:
    cells = domain_estimates(domain_totals(values, data, lay, group_vars, by_psu=False))
    low, high = wilson_ci(cells["k"], cells["n"], alpha)
    p = cells["k"] / cells["n"]
    return cells.assign(p=p, se=np.sqrt(p * (1 - p) / cells["n"]), ci_low=low, ci_high=high, deff=1.0,
                        df=np.nan, ci_method="wilson")


def _design_estimates(passes: DesignPasses, ids: list[str], group_vars: list[str], design: Design,
                      alpha: float) -> pd.DataFrame:
    lay, totals, cells = passes.get(ids, design.cluster, design.weight, design.strata, group_vars)
    n_h = psu_counts(lay, waves=True)
    var = variance_from_moments(linearised_moments(totals, cells, lay.clustered), DOMAIN, n_h, ["wave"])
    df = (n_h.groupby("wave")["n_h"].sum() - n_h.groupby("wave").size()).rename("df").reset_index()
    cells = cells.merge(var.rename("var").reset_index(), on=DOMAIN, how="left").merge(df, on="wave", how="left")
    cells["se"] = np.sqrt(cells["var"].fillna(0).clip(lower=0))
    if design.ci_method == "beta":
        low, high = korn_graubard_ci(cells["p"], cells["se"], cells["n"], cells["df"], alpha)
    else:
        low, high = logit_ci(cells["p"], cells["se"], cells["df"], alpha)
    cells["ci_low"], cells["ci_high"] = low, high
    cells["deff"] = design_effect(cells["var"], cells["p"], cells["n"])
    cells["ci_method"] = f"design-based {design.ci_method}"
    return cells


def estimate_table(data: pd.DataFrame, indicators: list[dict], country: str, design: Design,
                   group_vars: list[str], min_group_n: int = 30, alpha: float = 0.05,
                   passes: DesignPasses | None = None) -> pd.DataFrame:
    """Every indicator x wave x group estimate of one country, tidy (see module docstring).

    `passes`: design passes of `data` to share with the shifts (domains.DesignPasses). Groups other than `overall` are reported only with at least `min_group_n` valid answers; a
    grouping variable with a single level (e.g. sex in a women-only survey) is skipped.
    """
    ids = indicator_ids(indicators, country, data)
    usable = [gv for gv in group_vars if gv in data.columns and data[gv].nunique(dropna=True) > 1]
    if design.design_based:
        cells = _design_estimates(passes or DesignPasses(data), ids, usable, design, alpha)
    else:
        cells = _srs_estimates(indicator_values(data, ids), data, layout(data, None, None, None), usable, alpha)
    keep = (cells["group_var"] == OVERALL) | (cells["n"] >= min_group_n)
    cells = cells[keep].copy()
    order = {ind: i for i, ind in enumerate(ids)}
    gv_order = {gv: i for i, gv in enumerate([OVERALL] + usable)}
    cells = cells.sort_values(["indicator", "group_var", "group", "wave"],
                              key=lambda s: s.map(order) if s.name == "indicator" else
                              (s.map(gv_order) if s.name == "group_var" else s), kind="stable")
    out = pd.DataFrame({
        "country": country, "indicator": cells["indicator"], "wave": cells["wave"], "group_var": cells["group_var"],
        "group": cells["group"], "design": design.label, "n": cells["n"].astype(int), "k": cells["k"].astype(int),
        "percent": 100 * cells["p"], "ci_low": 100 * cells["ci_low"], "ci_high": 100 * cells["ci_high"],
        "se_pp": 100 * cells["se"], "ci_method": cells["ci_method"], "df": cells["df"], "deff": cells["deff"],
    })
    return out.reset_index(drop=True)
