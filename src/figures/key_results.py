"""Key results, the first thing report.html says (issue 18): one plain-language sentence per
headline indicator of each country, generated from the tables.

Public surface: `key_results(shifts, mean_shifts, adjusted, labels, alpha, decimals)` -> list of
sentences, and `headline_rows(shifts)`.

A headline indicator is a primary indicator (its whole-sample change in the Holm family
"primary, overall"; every indicator when the table names no family) with a change between its
first and last wave (or, failing that, its last comparison). Its sentence says:
- the crude change: both waves' levels (shares in percent, means in their unit), the change
  (percentage points or unit) with its confidence interval, the Holm-adjusted p and whether it is
  significant after Holm's adjustment (and whether that is an improvement);
- the adjusted change (adjusted.csv): the change standardised to one composition and the model's
  average marginal effect; with COMPOSITION_MARK and a warning when the crude change is flagged;
- for whom: the women's and men's changes and the test of their difference, when the shifts have
  them.
Numbers are rounded as the report's tables round them (`tables.num`); text from config (labels,
wave names) is escaped by the template.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .tables import COMPOSITION_MARK, num, pvalue, wave_text

MEAN_DECIMALS = 2
SEX_GROUPS = {"Female": "women", "Male": "men"}


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def headline_rows(shifts: pd.DataFrame) -> pd.DataFrame:
    """The whole-sample change of each primary indicator between its first and last wave (else
    its last comparison), in the table's order."""
    if not len(shifts):
        return shifts
    rows = shifts[shifts["group_var"] == "overall"]
    if "holm_family" in rows and rows["holm_family"].fillna("").ne("").any():
        rows = rows[rows["holm_family"].fillna("").str.startswith("primary")]
    first = shifts["from_wave"].map(wave_text).iloc[0] if len(shifts) else ""
    picked = []
    for _, part in rows.groupby("indicator", sort=False):
        wide = part[part["from_wave"].map(wave_text) == first]
        picked.append((wide if len(wide) else part).iloc[[-1]])
    return pd.concat(picked) if picked else rows.iloc[:0]


def _signed(value, decimals: int) -> str:
    """'+4.8', '-1.9', '0.0': a change rounded as the tables round it, signed when not zero."""
    text = num(value, decimals)
    return f"+{text}" if float(value) > 0 and text.strip("0.") else text


def _level(value, share: bool, unit: str, decimals: int) -> str:
    return f"{num(value, decimals)}%" if share else f"{num(value, MEAN_DECIMALS)} {unit}".strip()


def _change(value, low, high, share: bool, unit: str, decimals: int, confidence: str) -> str:
    d = decimals if share else MEAN_DECIMALS
    unit_text = "percentage points" if share else unit
    interval = (
        f" ({confidence} CI {num(low, d)} to {num(high, d)})"
        if pd.notna(low) and pd.notna(high)
        else ""
    )
    return f"{_signed(value, d)} {unit_text}{interval}".replace("  ", " ")


def _p_text(p: float) -> str:
    """'p < 0.001' or 'p = 0.153' (`tables.pvalue`'s text, spaced as a sentence)."""
    text = pvalue(p)
    return f"p < {text[1:]}" if text.startswith("<") else f"p = {text}"


def _certainty(r, alpha: float) -> str:
    """'significant after Holm adjustment (p < 0.001), an improvement' or 'not significant
    after Holm adjustment (p = 0.153)'."""
    if pd.isna(r.p_holm):
        return "not tested (see the table's note)"
    p_text = _p_text(r.p_holm)
    if r.p_holm < alpha:
        improved = getattr(r, "direction_improved", None)
        verdict = {True: ", an improvement", False: ", a worsening"}.get(improved, "")
        if isinstance(improved, str):
            verdict = {"True": ", an improvement", "False": ", a worsening"}.get(improved, "")
        return f"significant after Holm adjustment ({p_text}){verdict}"
    return f"not significant after Holm adjustment ({p_text})"


def _adjusted_text(r, adjusted: pd.DataFrame, share: bool, unit: str, decimals: int) -> str:
    """The standardised and model-adjusted change of the row's indicator and waves, with the
    composition flag; "" without an adjusted row."""
    if not len(adjusted):
        return ""
    keys = adjusted[
        (adjusted["indicator"] == r.indicator)
        & (adjusted["from_wave"].map(wave_text) == wave_text(r.from_wave))
        & (adjusted["to_wave"].map(wave_text) == wave_text(r.to_wave))
    ]
    if not len(keys) or pd.isna(keys.iloc[0]["standardised_change"]):
        return ""
    a = keys.iloc[0]
    d = decimals if share else MEAN_DECIMALS
    unit_text = "pp" if share else unit
    text = (
        f" Standardised to one composition ({a['standardise_by']}) it is"
        f" {_signed(a['standardised_change'], d)} {unit_text}"
        f" ({num(a['std_ci_low'], d)} to {num(a['std_ci_high'], d)})"
    )
    if pd.notna(a["ame"]):
        text += f"; adjusted by a model, {_signed(a['ame'], d)} {unit_text}"
    text += "."
    if str(a["crude_flag"]).strip().lower() in ("true", "1", "1.0"):
        text += (
            f" {COMPOSITION_MARK} The crude change reflects who answered in each wave more than"
            " a change among people alike: read the adjusted change."
        )
    return text


def _for_whom(r, shifts: pd.DataFrame, share: bool, unit: str, decimals: int) -> str:
    """' Women +1.7 pp, men +10.9 pp (difference p = 0.231).' from the by-sex rows of the same
    comparison; "" without them."""
    same = shifts[
        (shifts["indicator"] == r.indicator)
        & (shifts["from_wave"].map(wave_text) == wave_text(r.from_wave))
        & (shifts["to_wave"].map(wave_text) == wave_text(r.to_wave))
        & (shifts["group_var"] == "sex")
    ]
    diff = "diff_pp" if share else "diff"
    d = decimals if share else MEAN_DECIMALS
    unit_text = "pp" if share else unit
    parts = [
        f"{name} {_signed(g[diff], d)} {unit_text}"
        for group, name in SEX_GROUPS.items()
        for _, g in same[same["group"] == group].iterrows()
        if pd.notna(g[diff])
    ]
    if len(parts) < 2:
        return ""
    inter = same[~same["group"].isin(list(SEX_GROUPS))]
    test = ""
    if len(inter) and pd.notna(inter.iloc[0]["p_value"]):
        test = f" (difference between them: {_p_text(inter.iloc[0]['p_value'])})"
    first, second = parts
    return f" For whom: {first[:1].upper()}{first[1:]}, {second}{test}."


def _sentence(r, shifts, adjusted, labels, alpha: float, decimals: int) -> str:
    share = "diff_pp" in shifts
    unit = "" if share else _text(getattr(r, "unit", ""))
    label = labels.get(str(r.indicator), str(r.indicator))
    levels = (r.from_pct, r.to_pct) if share else (r.from_mean, r.to_mean)
    value, low, high = (
        (r.diff_pp, r.diff_ci_low, r.diff_ci_high) if share else (r.diff, r.ci_low, r.ci_high)
    )
    if pd.isna(value):
        waves = f"{wave_text(r.from_wave)} and {wave_text(r.to_wave)}"
        return f"{label}: no change could be estimated between {waves}."
    confidence = f"{100 * (1 - alpha):g}%"
    return (
        f"{label}: {_level(levels[0], share, unit, decimals)} at {wave_text(r.from_wave)},"
        f" {_level(levels[1], share, unit, decimals)} at {wave_text(r.to_wave)}; a change of"
        f" {_change(value, low, high, share, unit, decimals, confidence)},"
        f" {_certainty(r, alpha)}."
        + _adjusted_text(r, adjusted, share, unit, decimals)
        + _for_whom(r, shifts, share, unit, decimals)
    )


def key_results(
    shifts: pd.DataFrame,
    mean_shifts: pd.DataFrame,
    adjusted: pd.DataFrame,
    labels: Mapping[str, str],
    alpha: float,
    decimals: int,
) -> list[str]:
    """One sentence per headline indicator of one country (module docstring): shares first, then
    means; [] without any change.

    Parameters
    ----------
    shifts, mean_shifts, adjusted : pandas.DataFrame
        shifts.csv, mean_shifts.csv and adjusted.csv of the country (each may be empty).
    labels : mapping of str to str
        Indicator id -> label.
    alpha : float
        The significance level (proportion) of Holm's adjustment and of the intervals' level.
    decimals : int
        Decimals of percents and percentage points.
    """
    sentences = []
    for table in (shifts, mean_shifts):
        if len(table):
            for r in headline_rows(table).itertuples():
                sentences.append(_sentence(r, table, adjusted, labels, alpha, decimals))
    return sentences
