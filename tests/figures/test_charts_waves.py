"""Charts of three or more waves (issue 16): every wave's estimate per indicator, and a forest
block per comparison; two waves keep their charts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from figures import charts
from figures.style import figure_style

WAVES = ["1999", "2000", "2001"]


def _estimates() -> pd.DataFrame:
    rows = []
    for k, wave in enumerate(WAVES):
        for group_var, group in (("overall", "All"), ("sex", "Female"), ("sex", "Male")):
            p = 30.0 + 10 * k + (5 if group == "Female" else 0)
            rows.append(
                dict(
                    indicator="ind",
                    wave=wave,
                    group_var=group_var,
                    group=group,
                    n=100,
                    percent=p,
                    ci_low=p - 8,
                    ci_high=p + 8,
                    ci_method="Wilson",
                )
            )
    return pd.DataFrame(rows)


def _shifts() -> pd.DataFrame:
    rows = []
    for first, last in (("1999", "2000"), ("2000", "2001"), ("1999", "2001")):
        diff = 10.0 * (WAVES.index(last) - WAVES.index(first))
        rows.append(
            dict(
                indicator="ind",
                group_var="overall",
                group="All",
                from_wave=first,
                to_wave=last,
                from_n=100,
                to_n=100,
                diff_pp=diff,
                diff_ci_low=diff - 5,
                diff_ci_high=diff + 5,
                p_value=0.01,
                p_holm=0.03,
                significant_holm=True,
                improvement="increase",
                design_type="independent",
                ci_method="Newcombe hybrid score",
                test="chi-square",
            )
        )
    return pd.DataFrame(rows)


def test_three_waves_draw_every_wave_with_its_interval():
    with figure_style():
        fig = charts.build_dumbbell(_estimates(), _shifts(), "Source: test")
    lines = {
        ln.get_gid(): ln for ax in fig.axes for ln in ax.get_lines() if ln.get_gid() is not None
    }
    assert set(lines) == {"waves:ind:All", "waves:ind:Female", "waves:ind:Male"}
    est = _estimates()
    for group in ("All", "Female", "Male"):
        y = lines[f"waves:ind:{group}"].get_ydata()
        expected = est[est["group"] == group]["percent"].to_numpy()
        np.testing.assert_allclose(y, expected)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == WAVES


def test_forest_has_a_block_per_comparison():
    with figure_style():
        fig = charts.build_forest_plot(_shifts(), "Source: test")
    texts = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()] + [
        ax.get_title(loc="left") for ax in fig.axes
    ]
    joined = " ".join(texts)
    for first, last in (("1999", "2000"), ("2000", "2001"), ("1999", "2001")):
        assert f"{first} {charts.ARROW} {last}: ind" in joined
    note = next(t.get_text() for t in fig.texts if t.get_gid() == "source-note")
    assert "later wave" in note


def test_two_waves_keep_the_dumbbell():
    est = _estimates()
    two = est[est["wave"] != "2000"]
    shifts = _shifts().iloc[[2]]
    with figure_style():
        fig = charts.build_dumbbell(two, shifts, "Source: test")
    gids = [ln.get_gid() or "" for ax in fig.axes for ln in ax.get_lines()]
    assert any(g.startswith("dumbbell:") for g in gids)
    assert not any(g.startswith("waves:") for g in gids)
