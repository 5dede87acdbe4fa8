"""Pages of the shift charts (dumbbell, forest): at most `INDICATORS_PER_PAGE` indicators a page.

The page count is known before the pipeline runs (from the config: the share indicators a country
measures), so the workflow can name every page as an output (rules/common.smk `chart_outputs`).
Page 1 keeps the chart's own name (`forest.png`); later pages are `forest_p2.png`,
`forest_p3.png`...
Indicators go to pages in configured order (config/indicators.yaml, then the country's own).

The dumbbell by group (one per grouping of the country's `estimate_groups` but sex: age band,
social group...) draws every group's row per indicator, so it has at most
`GROUP_INDICATORS_PER_PAGE` indicators a page: `dumbbell_by_age_band.png`,
`dumbbell_by_age_band_p2.png`...
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
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


# --- the dumbbell by group: one chart per grouping besides sex (age band, social group...) -------
GROUP_CHART = "dumbbell_by"
GROUP_INDICATORS_PER_PAGE = 6  # a group chart has a row per group: fewer indicators a page
GROUP_STEM = re.compile(r"^dumbbell_by_(?P<slug>[a-z0-9_]+?)(?:_p(?P<page>[0-9]+))?$")
SEX = "sex"  # drawn in the dumbbell itself (overall, women, men)


def _slug(name: str) -> str:
    """A file-name part from a variable name (config text): lower case, runs of anything but a
    letter or digit as one '_'."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def grouping_words(name: str) -> str:
    """A grouping variable's name as words for titles, notes and captions: 'age_band' ->
    'age band'."""
    return name.replace("_", " ")


def group_charts(project: Project, country: str) -> dict[str, str]:
    """{slug: grouping variable} of a country's by-group dumbbells (`groupings_of` its
    `estimate_groups`)."""
    return groupings_of(project.countries[country].estimate_groups)


def groupings_of(groups: Sequence[str]) -> dict[str, str]:
    """{slug: grouping variable}: one per `estimate_groups` entry but sex, in configured order. The
    slug (`age_band`) names the files, so config text never reaches a path or a shell; a name
    without letters or digits, or one whose slug another already has, is numbered by its place in
    `estimate_groups` (`group_3`)."""
    out: dict[str, str] = {}
    for k, name in enumerate(groups, start=1):
        if name == SEX:
            continue
        slug = _slug(name)
        if not slug or slug in out or GROUP_STEM.match(f"dumbbell_by_{slug}")["page"]:
            slug = f"group_{k}"
        out[slug] = name
    return out


def group_page_stems(project: Project, country: str) -> list[str]:
    """Every page of a country's by-group dumbbells (`dumbbell_by_age_band`,
    `dumbbell_by_age_band_p2`...), at most `GROUP_INDICATORS_PER_PAGE` indicators a page."""
    pages = page_count(len(chart_indicators(project, country)), GROUP_INDICATORS_PER_PAGE)
    return [
        page_stem(f"{GROUP_CHART}_{slug}", k)
        for slug in group_charts(project, country)
        for k in range(1, pages + 1)
    ]


def parse_group_stem(stem: str) -> tuple[str, int] | None:
    """('age_band', 2) for 'dumbbell_by_age_band_p2'; None for any other name."""
    hit = GROUP_STEM.match(stem)
    if hit is None:
        return None
    return hit["slug"], int(hit["page"] or 1)


def chart_job(stem: str) -> tuple[str, int, str]:
    """(chart, page, group slug or '') of a shift chart's file stem: ('dumbbell', 2, '') for
    'dumbbell_p2', ('dumbbell', 1, 'age_band') for 'dumbbell_by_age_band' (the workflow's
    command line)."""
    by = parse_group_stem(stem)
    if by is not None:
        return "dumbbell", by[1], by[0]
    hit = parse_page_stem(stem)
    if hit is None:
        raise ValueError(f"not a shift chart's file name: {stem!r}")
    return hit[0], hit[1], ""
