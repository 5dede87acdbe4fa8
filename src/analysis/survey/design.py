"""The survey design as an object: what R `svydesign` would be told, read from a dataset's `design:`
config.

`Design` travels unchanged from the typed project model (analysis.model, which builds it from the
YAML) to the estimators (analysis.survey.estimates, analysis.survey.shifts) and the variance engine
(analysis.survey.domains): e.g. the weight variable is `Design.weight` from
`datasets.<name>.design.weight` to `estimates.csv`'s `weight` column and the weights the linearised
variance uses. Outputs carry the design as structured columns (`Design.columns()`: design_type,
cluster, strata, weight), never as text to re-parse.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

DEFAULT_AGE_TOLERANCE_YEARS = 2.0
PairedTest = Literal["auto", "exact", "midp", "asymptotic"]
PAIRED_TESTS: tuple[str, ...] = get_args(PairedTest)
DEFAULT_PAIRED_TEST: PairedTest = "auto"  # exact conditional below 25 discordant pairs, else chi2
DESIGN_COLUMNS = [
    "design_type",
    "cluster",
    "strata",
    "weight",
]  # structured design columns of estimates/shifts


class _DesignModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, protected_namespaces=()
    )


class PanelConsistency(_DesignModel):
    """Tolerance for flagging panel pairs whose age changed by other than the expected years."""

    age_tolerance_years: float = DEFAULT_AGE_TOLERANCE_YEARS
    years_between_waves: float | None = None


class ArmLevels(_DesignModel):
    """The values of a design's `arm` variable that mark the programme and the comparison arm
    (compared as text: a number in the YAML matches the same number in the data)."""

    programme: str
    comparison: str

    @field_validator("programme", "comparison", mode="before")
    @classmethod
    def _level_text(cls, value):
        return value if isinstance(value, str) or value is None else str(value)

    @model_validator(mode="after")
    def _two_levels(self):
        if self.programme == self.comparison:
            raise ValueError(
                f"arm_levels: programme and comparison are both '{self.programme}'; the two arms"
                " need different values"
            )
        return self


class Design(_DesignModel):
    """The sampling design of a respondents dataset, as R `svydesign` would be told it.

    `type`: independent samples per wave, or a panel (the same people, matched by `panel_key`).
    `cluster` (PSU), `strata` and `weight` name harmonised variables; any of them makes the
    estimates design-based. `ci_method`: logit or beta (Korn-Graubard) intervals for design-based
    proportions. `paired_test`: which McNemar p-value of a simple random panel is `p_value`
    (analysis.survey.proportions.mcnemar_test). `clusters_revisited`: independent cross-sections
    whose waves visit the same clusters (True: a cluster's answers in both waves covary, strata
    shared across waves) or sample their clusters afresh (False, the default: each wave is a
    separate sample, strata = wave x stratum and PSUs nested in waves, as R `svydesign(strata =
    ~interaction(wave, stratum), nest = TRUE)`). `lonely_psu`: what a stratum with one PSU does to
    the variance, as R `options(survey.lonely.psu)` (default "fail": stop, naming the stratum).
    `fpc`: the variable giving each stratum's number of PSUs in the population, or its sampling
    fraction (every value at most 1), as R `svydesign(fpc = )`; absent: with replacement. `ci_df`: t
    quantiles on the design's degrees of freedom (default) or normal quantiles for logit intervals
    and Wald tests (Korn-Graubard intervals keep their df adjustment, as R). `panel_weight`: a
    design-based panel's longitudinal weight, read from each matched pair's last-wave record
    (default: `weight` of the pair's first-wave record; the shift's note says which). `waves`: the
    dataset's waves in the order of its sources (first = the comparison's start), filled in from
    `sources:`. `comparisons`: the (from, to) wave pairs the shift tables compare, each from an
    earlier to a later configured wave (checked by `analysis.config.check_design`); filled in with
    the waves (`with_waves`): default each consecutive pair, plus first -> last with 3+ waves.
    `arm`: the harmonised variable giving each respondent's arm (constant over a panel member's
    waves), with `arm_levels` (required with it) naming its programme and comparison values: the
    dataset then has a difference-in-differences table (`analysis.survey.did`).
    """

    type: Literal["independent", "panel", "clustered", "weighted"] = "independent"
    panel_key: str | None = None
    cluster: str | None = None
    weight: str | None = None
    strata: str | None = None
    ci_method: Literal["logit", "beta"] = "logit"
    paired_test: PairedTest = DEFAULT_PAIRED_TEST
    clusters_revisited: bool = False
    lonely_psu: Literal["fail", "adjust", "average", "certainty", "remove"] = "fail"
    fpc: str | None = None
    ci_df: Literal["design", "normal"] = "design"
    panel_weight: str | None = None
    panel_consistency: PanelConsistency = PanelConsistency()
    waves: tuple[str, ...] = ()
    comparisons: tuple[tuple[str, str], ...] = ()
    arm: str | None = None
    arm_levels: ArmLevels | None = None

    @model_validator(mode="after")
    def _arm_has_levels(self):
        """`arm` needs `arm_levels` (which value is the programme, which the comparison)."""
        if self.arm and self.arm_levels is None:
            raise ValueError(f"design arm '{self.arm}' needs arm_levels (programme, comparison)")
        return self

    @field_validator("waves", "comparisons", mode="before")
    @classmethod
    def _wave_names(cls, value):
        """Wave names are text, even when YAML reads them as numbers (1999, 2000)."""
        if value is None:
            return ()
        return tuple(
            tuple(str(w) for w in item) if isinstance(item, list | tuple) else str(item)
            for item in value
        )

    def with_waves(self, waves: tuple[str, ...]) -> Design:
        """This design with `waves` (the sources' order) and, unless configured, the default
        `comparisons` (`default_comparisons`)."""
        waves = tuple(str(w) for w in waves)
        comparisons = self.comparisons or default_comparisons(waves)
        if (waves, comparisons) == (self.waves, self.comparisons):
            return self
        return self.model_copy(update={"waves": waves, "comparisons": comparisons})

    @property
    def design_based(self) -> bool:
        return bool(self.cluster or self.weight)

    @property
    def is_panel(self) -> bool:
        return self.type == "panel"

    @property
    def separate_waves(self) -> bool:
        """Whether the waves are separate samples in the variance of a between-wave contrast
        (strata = wave x stratum, PSUs nested in waves): independent cross-sections that do not
        revisit their clusters."""
        return not self.is_panel and not self.clusters_revisited

    @property
    def label(self) -> str:
        """A one-line description for readers, e.g. "panel; cluster=village; weight=w" (never
        parsed)."""
        parts = [self.type] + [
            f"{k}={v}"
            for k, v in (
                ("cluster", self.cluster),
                ("weight", self.weight),
                ("strata", self.strata),
            )
            if v
        ]
        return "; ".join(parts)

    def columns(self) -> dict[str, str]:
        """The structured design columns of estimates and shifts tables ('' where a setting is
        absent)."""
        values = (self.type, self.cluster or "", self.strata or "", self.weight or "")
        return dict(zip(DESIGN_COLUMNS, values))


def default_comparisons(waves) -> tuple[tuple[str, str], ...]:
    """The default wave comparisons: each consecutive pair in `waves`' order, plus first -> last
    when there are three or more waves (two waves: the one comparison first -> last; one: none)."""
    waves = tuple(str(w) for w in waves)
    pairs = list(zip(waves[:-1], waves[1:]))
    if len(waves) >= 3:
        pairs.append((waves[0], waves[-1]))
    return tuple(pairs)
