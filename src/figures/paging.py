"""Pages of the shift charts (dumbbell, forest): at most `INDICATORS_PER_PAGE` indicators a page.

The page count is known before the pipeline runs (from the config: the share indicators a country
measures), so the workflow can name every page as an output (rules/common.smk `chart_outputs`).
Page 1 keeps the chart's own name (`forest.png`); later pages are `forest_p2.png`,
`forest_p3.png`...
Indicators go to pages in configured order (config/indicators.yaml, then the country's own).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analysis.model import Project

INDICATORS_PER_PAGE = 10
SHIFT_CHARTS = ("dumbbell", "forest")
PAGE_STEM = re.compile(r"^(?P<chart>dumbbell|forest)(?:_p(?P<page>[0-9]+))?$")


def chart_indicators(project: Project, country: str, chart: str = "dumbbell") -> list[str]:
    """The share indicators (reported in percent) a country measures, in configured order: the
    rows the chart can draw. The forest draws changes, so it leaves out an indicator whose
    mapping names fewer than two `waves` (asked in one wave only)."""
    shares = [i for i in project.indicators_of(country) if i.countries[country].measure == "share"]
    if chart == "forest":
        shares = [
            i
            for i in shares
            if len(set(getattr(i.countries[country], "waves", None) or [1, 2])) > 1
        ]
    return [i.id for i in shares]


def page_count(indicators: int, per_page: int = INDICATORS_PER_PAGE) -> int:
    """Pages needed for `indicators` indicators (at least one: a chart without rows says so)."""
    return max(1, math.ceil(indicators / per_page))


def page_stem(chart: str, page: int) -> str:
    """'forest' for page 1, 'forest_p2' for page 2..."""
    return chart if page == 1 else f"{chart}_p{page}"


def page_stems(project: Project, country: str) -> list[str]:
    """Every shift chart page of a country, dumbbell pages first."""
    return [
        page_stem(chart, k)
        for chart in SHIFT_CHARTS
        for k in range(1, page_count(len(chart_indicators(project, country, chart))) + 1)
    ]


def parse_page_stem(stem: str) -> tuple[str, int] | None:
    """('forest', 2) for 'forest_p2', ('forest', 1) for 'forest'; None for any other name."""
    hit = PAGE_STEM.match(stem)
    if hit is None:
        return None
    return hit["chart"], int(hit["page"] or 1)


def indicators_on_page(
    indicators: list[str], page: int, per_page: int = INDICATORS_PER_PAGE
) -> list[str]:
    """The indicators of page `page` (1-based): the `page`-th run of `per_page` in order."""
    return indicators[(page - 1) * per_page : page * per_page]
