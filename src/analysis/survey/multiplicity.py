"""Multiplicity families: which rows of a country's tests share one Holm / Benjamini-Hochberg
adjustment (issue 17, deliverable 5).

Public surface: `MultiplicityFamily`, `family_of(spec, indicators, country)` and
`adjust_pvalues(table, family)`.

A family partitions the rows of one country's table (shifts, mean shifts, differences in
differences, group comparisons) by the values of its keys; Holm (family-wise error) and
Benjamini-Hochberg (false discovery rate) run within each part. Keys:

- `indicator`: each indicator its own family;
- `group_var`: the overall rows, the rows by sex, by age band, ... each their own family;
- `role`: primary and secondary indicators apart (each indicator's `role`, default primary);
- `scope`: overall rows (`group_var` "overall", or a table without groups) apart from subgroup
  rows (every group, and the differences between groups);
- `comparison`: each pair of waves (from_wave, to_wave) its own family.

The country is always a key: no adjustment crosses countries. An empty key list is one family per
country (all its rows together), the setting "country"; "indicator" and "group_var" name the
one-key families.

The default, `[role, scope]`, adjusts the primary indicators' whole-sample changes (the
evaluation's confirmatory questions) among themselves, and the subgroup rows and secondary
indicators each in their own families. A single family over every row would make the headline
tests pay for every subgroup and secondary indicator configured (Holm's penalty grows with the
number of rows), so adding a disaggregation would change the primary conclusions; subgroup rows
are exploratory and adjusted among themselves (ICH E9, section 5.6; EMA, Guideline on multiplicity
issues in clinical trials, 2017, section 2.3 and 7).

References
----------
Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian Journal
of Statistics 6, 65-70; Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery
rate. JRSS B 57, 289-300; European Medicines Agency (2017). Guideline on multiplicity issues in
clinical trials (EMA/CHMP/44762/2017).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analysis.model import OVERALL

FAMILY_KEYS = ("indicator", "group_var", "role", "scope", "comparison")
DEFAULT_FAMILY = ("role", "scope")
ROLES = ("primary", "secondary")
LEGACY_FAMILIES = {"country": (), "indicator": ("indicator",), "group_var": ("group_var",)}


@dataclass(frozen=True)
class MultiplicityFamily:
    """The keys partitioning a country's rows into families (`FAMILY_KEYS`, country implied) and
    each indicator's role (primary unless listed as secondary)."""

    keys: tuple[str, ...] = DEFAULT_FAMILY
    roles: Mapping[str, str] = field(default_factory=dict)

    def role(self, indicators: pd.Series) -> pd.Series:
        """Each row's indicator role ("primary" unless its indicator is secondary)."""
        return indicators.astype(str).map(lambda i: self.roles.get(i, "primary"))


def family_keys(spec: str | Sequence[str] | None) -> tuple[str, ...]:
    """The keys of a configured `multiplicity_family`: a legacy name ("country", "indicator",
    "group_var"), a list of `FAMILY_KEYS`, or None (the default)."""
    if spec is None:
        return DEFAULT_FAMILY
    if isinstance(spec, str):
        return LEGACY_FAMILIES[spec]
    return tuple(dict.fromkeys(spec))


def family_of(
    spec: str | Sequence[str] | None, indicators: Iterable, country: str
) -> MultiplicityFamily:
    """The family of `country`'s rows from the setting `spec` and the `role` of the indicators
    (model.Indicator) that `country` measures."""
    roles = {i.id: i.role for i in indicators if country in i.countries}
    return MultiplicityFamily(family_keys(spec), roles)


def _as_family(family: MultiplicityFamily | str | Sequence[str] | None) -> MultiplicityFamily:
    if isinstance(family, MultiplicityFamily):
        return family
    return MultiplicityFamily(family_keys(family))


def _key_columns(table: pd.DataFrame, family: MultiplicityFamily) -> pd.DataFrame:
    """One column per key of `family` (country first), derived from the table's columns."""
    group_var = table["group_var"] if "group_var" in table else pd.Series(OVERALL, table.index)
    derived = {
        "country": table["country"].astype(str),
        "indicator": table["indicator"].astype(str) if "indicator" in table else None,
        "group_var": group_var.astype(str),
        "role": family.role(table["indicator"]) if "indicator" in table else None,
        "scope": pd.Series(
            np.where(group_var.astype(str) == OVERALL, "overall", "subgroup"), table.index
        ),
        "comparison": (
            table["from_wave"].astype(str) + " -> " + table["to_wave"].astype(str)
            if {"from_wave", "to_wave"} <= set(table.columns)
            else pd.Series("", table.index)
        ),
    }
    keys = ("country", *family.keys)
    return pd.DataFrame({k: derived[k] for k in keys if derived[k] is not None}, table.index)


def family_labels(
    table: pd.DataFrame, family: MultiplicityFamily | str | Sequence[str]
) -> pd.Series:
    """Each row's family as text, e.g. "primary, overall" (the key values after the country,
    joined by ", "; "all rows" for the one-family-per-country setting)."""
    columns = _key_columns(table, _as_family(family)).drop(columns="country")
    if columns.empty:
        return pd.Series("all rows", table.index, dtype=object)
    return columns.astype(str).agg(", ".join, axis=1)


def adjust_pvalues(
    table: pd.DataFrame, family: MultiplicityFamily | str | Sequence[str] | None
) -> pd.DataFrame:
    """Holm and Benjamini-Hochberg adjusted p-values (`p_holm`, `p_bh`) within each family of
    rows, and the family of each row (`holm_family`, see `family_labels`); rows without a p-value
    (not estimable) are in no family and keep empty adjusted p-values.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with `country`, `indicator`, `p_value` and, where the keys need them, `group_var`,
        `from_wave`, `to_wave`.
    family : MultiplicityFamily, str or list of str
        The partition (`family_of`); a bare setting uses every indicator as primary.

    Returns
    -------
    pandas.DataFrame
        A copy of `table` with `p_holm`, `p_bh` (proportions) and `holm_family`.
    """
    family = _as_family(family)
    table = table.copy()
    table["p_holm"], table["p_bh"] = np.nan, np.nan
    keys = _key_columns(table, family)
    table["holm_family"] = family_labels(table, family)
    for rows in keys.groupby(list(keys.columns), sort=False).indices.values():
        p = table["p_value"].iloc[rows]
        ok = p.notna()
        if ok.any():
            table.loc[p[ok].index, "p_holm"] = multipletests(p[ok], method="holm")[1]
            table.loc[p[ok].index, "p_bh"] = multipletests(p[ok], method="fdr_bh")[1]
    table.loc[table["p_value"].isna(), "holm_family"] = ""
    return table
