"""The typed project model: what `config/*.yaml` say, validated once, with every default applied
here and only here.

`load_project(root)` (analysis.config) checks the YAML against config/schemas/*.schema.json (the
messages a user reads) and the cross-references between keys, then builds a `Project` from these
classes. Every other module reads configuration through these attributes, never by string keys, so a
setting's name, type and default are written once. The models forbid unknown keys (the schemas
already refused them; a model/schema mismatch is a bug caught by tests/analysis/test_model.py) and
are frozen: nothing downstream changes the configuration.

A YAML value written as `null` and a key left out differ for a few settings (`equals: null` means
"missing"; `constant: null` derives an empty column): `Condition.operator` and
`Variable.has_constant` keep the difference.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from analysis.survey.design import (
    Design,
)

# str | int | float | bool | None, kept exactly as YAML read it (1 and "1" differ for codebooks)
Scalar = Any

DEFAULT_ALPHA = 0.05
DEFAULT_PERCENT_DECIMALS = 1
DEFAULT_MIN_GROUP_N = 30
DEFAULT_DISCLOSURE_K = 5
DEFAULT_RECORD_ID = "respondent_id"
DEFAULT_POWER = 0.8
DEFAULT_TARGET_CHANGE_PP = 5.0
DEFAULT_TARGET_CHANGE_SD = 0.2
# the planning settings of power.csv (analysis.survey.power): a probability, a change in percentage
# points (shares) and a change in standard deviations of the reference wave (means)
Power = Annotated[float, Field(gt=0, lt=1)]
ChangePp = Annotated[float, Field(gt=0, lt=100)]
ChangeSd = Annotated[float, Field(gt=0)]
OVERALL, ALL = "overall", "All"  # the group_var and group of whole-sample rows


CORE_RESPONDENT_COLUMNS = [
    "respondent_id",
    "wave",
    "sex",
    "age",
    "age_band",
    "social_group",
    "location",
    "cluster",
    "weight",
]
PROVENANCE_COLUMNS = ["source_file", "source_row"]
# columns every respondents dataset carries besides its variables; an indicator column may not
# take their names
RESERVED_COLUMNS = frozenset(CORE_RESPONDENT_COLUMNS + PROVENANCE_COLUMNS)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, protected_namespaces=()
    )


# --- project settings (config/config.yaml) --------------------------------------------------------
# The rows sharing a Holm / Benjamini-Hochberg adjustment (analysis.survey.multiplicity): a legacy
# name, or the keys partitioning a country's rows (the country is always a key).
FamilyKey = Literal["indicator", "group_var", "role", "scope", "comparison"]
FamilySetting = Literal["country", "indicator", "group_var"] | list[FamilyKey]
DEFAULT_MULTIPLICITY_FAMILY: list[FamilyKey] = ["role", "scope"]
IndicatorRole = Literal["primary", "secondary"]


class Disclosure(_Model):
    """Small-cell suppression of public outputs: `paper` prints every cell; `public` suppresses
    counts below k."""

    mode: Literal["paper", "public"] = "paper"
    k: int = DEFAULT_DISCLOSURE_K


class Settings(_Model):
    """config/config.yaml. `alpha` is a proportion (0.05 = 95% intervals); `percent_decimals` the
    decimals of percentages in display tables, charts and the report. `power` (proportion),
    `target_change_pp` (percentage points, shares) and `target_change_sd` (standard deviations of
    the reference wave, means) plan the next round (power.csv, analysis.survey.power)."""

    countries: list[str]
    alpha: float = DEFAULT_ALPHA
    percent_decimals: int = DEFAULT_PERCENT_DECIMALS
    min_group_n: int = DEFAULT_MIN_GROUP_N
    multiplicity_family: FamilySetting = DEFAULT_MULTIPLICITY_FAMILY
    power: Power = DEFAULT_POWER
    target_change_pp: ChangePp = DEFAULT_TARGET_CHANGE_PP
    target_change_sd: ChangeSd = DEFAULT_TARGET_CHANGE_SD
    claims: str | None = None
    statements: str | None = None
    disclosure: Disclosure = Disclosure()
    external_data_root: str | None = None

    @property
    def confidence_percent(self) -> str:
        """'95' for alpha 0.05, '90' for 0.1, '99.5' for 0.005: the label of the intervals."""
        return f"{100 * (1 - self.alpha):g}"

    @property
    def alpha_text(self) -> str:
        """'0.05' for alpha 0.05, '0.1' for 0.1: the significance level as printed ("p < 0.05")."""
        return proportion_text(self.alpha)


def proportion_text(value: float) -> str:
    """A proportion as written, without exponent or trailing zeros: 0.05 -> '0.05', 0.1 -> '0.1',
    1e-05 -> '0.00001' (for printing `alpha` in legends and notes)."""
    text = format(Decimal(repr(float(value))), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- row conditions -------------------------------------------------------------------------------
OPERATORS = (
    "equals",
    "not_equals",
    "in",
    "not_in",
    "matches",
    "less_than",
    "greater_than",
    "missing",
)


class Condition(_Model):
    """`{variable, <operator>: value}`; the semantics of each operator are in
    analysis.cleaning.conditions."""

    variable: str
    equals: Scalar = None
    not_equals: Scalar = None
    in_: list[Scalar] | None = Field(None, alias="in")
    not_in: list[Scalar] | None = None
    matches: str | None = None
    less_than: float | None = None
    greater_than: float | None = None
    missing: bool | None = None

    @property
    def operators(self) -> list[tuple[str, Any]]:
        """(operator, value) for each operator written (a `null` value counts: `equals: null`)."""
        written = {("in" if name == "in_" else name) for name in self.model_fields_set} - {
            "variable"
        }
        return [
            (op, getattr(self, "in_" if op == "in" else op)) for op in OPERATORS if op in written
        ]

    def written(self) -> dict:
        """The condition as a mapping with its YAML keys: variable, then each operator written."""
        return {"variable": self.variable, **dict(self.operators)}


def _as_list(value):
    return [value] if isinstance(value, dict) else value


Conditions = Annotated[list[Condition], Field(min_length=1)]


class ConditionRule(_Model):
    """An exclusion: rows where every condition holds leave the clean data, with `reason`."""

    id: str | None = None  # default: exclusion_<position> (Dataset fills it in)
    reason: str
    when: Conditions

    _list = field_validator("when", mode="before")(_as_list)


class DuplicateRule(_Model):
    """An exclusion: later rows repeating the values of `duplicate_of` (in file order) leave the
    clean data."""

    id: str | None = None  # default: exclusion_<position> (Dataset fills it in)
    reason: str
    duplicate_of: list[str]


Exclusion = ConditionRule | DuplicateRule


class Check(_Model):
    """A consistency check: rows where every condition holds are flagged (kept) with `warning`."""

    warning: str
    when: Conditions

    _list = field_validator("when", mode="before")(_as_list)


# --- codebook -------------------------------------------------------------------------------------
class Variable(_Model):
    """A codebook variable: where it is read (`source`, else its own name), its type and value
    rules."""

    type: Literal["categorical", "integer", "number", "text", "multi", "date"] = "categorical"
    source: str | None = None
    values: Literal["labels"] | dict[Scalar, Scalar] = "labels"
    recode: dict[Scalar, Scalar] = {}
    missing: list[Scalar] = []
    normalise_text: bool = False
    normalise: Literal["none", "title", "lower", "upper"] = "none"
    valid_range: list[float] | None = None
    waves: list[str] | None = None
    optional: bool = False
    choices: list[str] = []
    format: str | None = None
    constant: Scalar = None
    out_of_range: Literal["missing", "error"] = "missing"
    publish: bool = False

    @property
    def has_constant(self) -> bool:
        """True when the config writes `constant:` (even `constant: null`): no raw column is
        read."""
        return "constant" in self.model_fields_set

    def in_wave(self, wave: str) -> bool:
        return self.waves is None or wave in self.waves


class Band(_Model):
    label: str
    min: float
    max: float


class BandsDerivation(_Model):
    """Numeric bands of `from` (e.g. age bands), inclusive at both ends; `fallback` fills rows with
    no value."""

    from_: str = Field(alias="from")
    bands: Annotated[list[Band], Field(min_length=1)]
    fallback: str | None = None


class CopyDerivation(_Model):
    copy_of: str = Field(alias="copy")


class ConcatDerivation(_Model):
    concat: Annotated[list[str], Field(min_length=1)]
    sep: str = " / "


class MapDerivation(_Model):
    from_: str = Field(alias="from")
    map: dict[Scalar, Scalar]


class ConstantDerivation(_Model):
    constant: Scalar


Derivation = (
    BandsDerivation | CopyDerivation | ConcatDerivation | MapDerivation | ConstantDerivation
)


def derivation_inputs(spec: Derivation) -> list[str]:
    """The variables a derivation reads."""
    if isinstance(spec, (BandsDerivation, MapDerivation)):
        return [spec.from_] + (
            [spec.fallback] if isinstance(spec, BandsDerivation) and spec.fallback else []
        )
    if isinstance(spec, CopyDerivation):
        return [spec.copy_of]
    if isinstance(spec, ConcatDerivation):
        return list(spec.concat)
    return []


# --- sources and design ---------------------------------------------------------------------------
class Source(_Model):
    """A raw export: one wave's file, its format and reading options; `columns` renames raw columns
    per wave."""

    wave: str
    file: str
    format: Literal["spss", "stata", "csv", "xlsx"]
    sep: str = ","
    encoding: str = "utf-8"
    sheet: str | int = 0
    xlsform: str | None = None
    label_language: str | None = (
        None  # the XLSForm language whose labels are read (see readers.read_xlsform)
    )
    columns: dict[str, str] = {}
    fieldwork_end: str | None = None

    @field_validator("wave", mode="before")
    @classmethod
    def _wave_text(cls, value):
        return str(value)


class Dataset(_Model):
    """One dataset of a country: raw sources per wave, codebook, exclusions, derivations, checks and
    design."""

    role: Literal["respondents", "register"]
    description: str | None = None
    design: Design = Design()
    record_id: str | None = None
    pii: list[str] = []
    sources: Annotated[list[Source], Field(min_length=1)]
    variables: dict[str, Variable]
    exclusions: list[Exclusion] = []
    derive: dict[str, Derivation] = {}
    checks: list[Check] = []

    @model_validator(mode="after")
    def _exclusion_ids(self):
        """An exclusion without `id:` is named by its position: exclusion_1, exclusion_2, ..."""
        named = [
            r if r.id else r.model_copy(update={"id": f"exclusion_{i + 1}"})
            for i, r in enumerate(self.exclusions)
        ]
        object.__setattr__(self, "exclusions", named)
        return self

    @model_validator(mode="after")
    def _design_waves(self):
        waves = tuple(dict.fromkeys(s.wave for s in self.sources))
        design = self.design.with_waves(waves)
        if design is not self.design:
            object.__setattr__(self, "design", design)
        return self

    @property
    def record_key(self) -> str:
        """The variable identifying a record (default respondent_id)."""
        return self.record_id or DEFAULT_RECORD_ID

    @property
    def waves(self) -> tuple[str, ...]:
        return self.design.waves


# --- tables ---------------------------------------------------------------------------------------
class Dimension(_Model):
    """A crosstab dimension: the variable, its category order and display labels."""

    variable: str
    order: list[Scalar] | None = None
    labels: dict[Scalar, str] = {}


class Table(_Model):
    """A configured crosstab (the paper's tables and figures)."""

    title: str | None = None
    dataset: str
    filter: list[Condition] | None = None
    rows: Dimension
    columns: Annotated[list[Dimension], Field(min_length=1)]
    percent: Literal["row", "column", "total"]
    total_label: str = "Total"
    chart: Literal["pyramid", "social-groups", "figure3"] | None = None
    show_percent: bool = True

    _list = field_validator("filter", mode="before")(_as_list)


class PublishedBaseline(_Model):
    """A baseline percent and n from a publication, standing in for missing baseline microdata."""

    indicator: str
    group_var: str = OVERALL
    group: str = ALL
    percent: float
    n: int
    source: str


# --- indicators -----------------------------------------------------------------------------------
INDICATOR_KINDS = (
    "share",
    "threshold",
    "any_of",
    "all_of",
    "count_of",
    "mean",
    "scale",
    "cutoff",
)
IndicatorKindName = Literal[
    "share", "threshold", "any_of", "all_of", "count_of", "mean", "scale", "cutoff"
]
ComparisonOperator = Literal["<", "<=", ">", ">=", "==", "!="]
Measure = Literal["share", "mean"]


class MappingKind(_Model):
    """The `kind:` of an indicator mapping alone (default share): what chooses the mapping's
    model (`mapping_tag`)."""

    kind: IndicatorKindName = "share"


class _Mapping(_Model):
    """What every mapping of an indicator to a country's data answers: the variables it reads,
    its measure (`share`: a 0/1/NA column reported in percent; `mean`: a float column reported in
    `unit`; `unit` is None for a share)."""

    tag: ClassVar[str] = "share"

    @property
    def measure(self) -> Measure:
        return "share"

    @property
    def variables(self) -> list[str]:
        """The harmonised variables the indicator reads, in configured order."""
        return [self.variable] if hasattr(self, "variable") else list(getattr(self, "items", []))

    @property
    def missing_codes(self) -> list:
        """Values counted as missing besides missing answers (`missing:`)."""
        return list(getattr(self, "missing", []))


class _ShareMapping(_Mapping):
    """A mapping whose measure is always a share (reported in percent, no unit)."""

    @property
    def unit(self) -> str | None:
        """The unit a mean-measure indicator is reported in (None for a share: percent)."""
        return None


class ShareMapping(_ShareMapping):
    """How a country measures a share indicator: 1 where `variable` takes a `positive` value, 0
    otherwise, missing where it is missing (or one of `missing`)."""

    kind: Literal["share"] = "share"
    variable: str
    positive: Annotated[list[Scalar], Field(min_length=1)]
    missing: list[Scalar] = []
    waves: list[str] | None = None


class AnyOfMapping(_ShareMapping):
    """A share indicator from a select-multiple question: 1 where any of the `any_of` choices is
    ticked."""

    tag: ClassVar[str] = "select_multiple"
    kind: Literal["share"] = "share"
    variable: str
    any_of: Annotated[list[str], Field(min_length=1)]
    waves: list[str] | None = None


class ThresholdMapping(_ShareMapping):
    """A share: 1 where the numeric `variable` compares to `value` by `operator`, 0 where it does
    not; missing (NA or a `missing:` code) stays missing."""

    tag: ClassVar[str] = "threshold"
    kind: Literal["threshold"]
    variable: str
    operator: ComparisonOperator
    value: float
    missing: list[Scalar] = []
    waves: list[str] | None = None


ItemMissing = Literal["missing", "decisive", "ignore"]
Items = Annotated[list[str], Field(min_length=1)]


class CompositeMapping(_ShareMapping):
    """A share over several items: `any_of` (1 when some item is positive) or `all_of` (1 when every
    item is). `item_missing` says what an unanswered item does (see analysis.indicators)."""

    tag: ClassVar[str] = "composite"
    kind: Literal["any_of", "all_of"]
    items: Items
    positive: Annotated[list[Scalar], Field(min_length=1)]
    missing: list[Scalar] = []
    item_missing: ItemMissing
    waves: list[str] | None = None


class CountOfMapping(_Mapping):
    """The number of positive items: a share (k or more positive) with `at_least: k`, otherwise a
    mean in "items"."""

    tag: ClassVar[str] = "count_of"
    kind: Literal["count_of"]
    items: Items
    positive: Annotated[list[Scalar], Field(min_length=1)]
    missing: list[Scalar] = []
    item_missing: ItemMissing
    at_least: int | None = None
    waves: list[str] | None = None

    @property
    def measure(self) -> Measure:
        return "share" if self.at_least is not None else "mean"

    @property
    def unit(self) -> str | None:
        return None if self.at_least is not None else "items"


class Winsorize(_Model):
    """Percentiles (0-100) of all waves pooled beyond which values are set to the percentile."""

    lower_percentile: float | None = None
    upper_percentile: float | None = None


class MeanMapping(_Mapping):
    """A mean of a numeric `variable` in `unit`, optionally transformed (log, log1p) and winsorised
    (on the values before the transform)."""

    tag: ClassVar[str] = "mean"
    kind: Literal["mean"]
    variable: str
    missing: list[Scalar] = []
    unit: str
    transform: Literal["none", "log", "log1p"] = "none"
    winsorize: Winsorize | None = None
    waves: list[str] | None = None

    @property
    def measure(self) -> Measure:
        return "mean"


class ScaleMapping(_Mapping):
    """A scale score over `items` (labels scored by `scores`, or numeric items), reverse-coded items
    scored item_range[0] + item_range[1] - x; missing below `min_answered` answered items (default:
    all); `score: sum` prorated over the answered items; reported = raw * multiply + add."""

    tag: ClassVar[str] = "scale"
    kind: Literal["scale"]
    items: Items
    scores: dict[Scalar, float] | None = None
    reverse: list[str] = []
    item_range: Annotated[list[float], Field(min_length=2, max_length=2)] | None = None
    min_answered: int | None = None
    score: Literal["sum", "mean"] = "sum"
    multiply: float = 1.0
    add: float = 0.0
    unit: str
    missing: list[Scalar] = []
    waves: list[str] | None = None

    @property
    def measure(self) -> Measure:
        return "mean"

    @property
    def required_answers(self) -> int:
        """The answered items a score needs (`min_answered`, default every item)."""
        return self.min_answered if self.min_answered is not None else len(self.items)


class CutoffMapping(_ShareMapping):
    """A share from another scale indicator's score: 1 where its `scale_score` (raw: before multiply
    and add; reported: after) compares to `value` by `operator`."""

    tag: ClassVar[str] = "cutoff"
    kind: Literal["cutoff"]
    scale: str
    scale_score: Literal["raw", "reported"]
    operator: ComparisonOperator
    value: float

    @property
    def variables(self) -> list[str]:
        return []  # the scale's items (resolved through the scale indicator)


def mapping_tag(value: Any) -> str:
    """The model of a mapping: its `kind:` (default share; a share with `any_of:` is a
    select-multiple; any_of/all_of share one model)."""
    if not isinstance(value, dict):
        return getattr(value, "tag", "share")
    kind = MappingKind.model_validate({"kind": value.get("kind", "share")}).kind
    if kind == "share":
        return "select_multiple" if "any_of" in value else "share"
    return "composite" if kind in ("any_of", "all_of") else kind


IndicatorMapping = Annotated[
    Annotated[ShareMapping, Tag("share")]
    | Annotated[AnyOfMapping, Tag("select_multiple")]
    | Annotated[ThresholdMapping, Tag("threshold")]
    | Annotated[CompositeMapping, Tag("composite")]
    | Annotated[CountOfMapping, Tag("count_of")]
    | Annotated[MeanMapping, Tag("mean")]
    | Annotated[ScaleMapping, Tag("scale")]
    | Annotated[CutoffMapping, Tag("cutoff")],
    Discriminator(mapping_tag),
]
MAPPING_KEYS = (
    "kind",
    "variable",
    "positive",
    "any_of",
    "missing",
    "waves",
    "operator",
    "value",
    "items",
    "item_missing",
    "at_least",
    "unit",
    "transform",
    "winsorize",
    "scores",
    "reverse",
    "item_range",
    "min_answered",
    "score",
    "multiply",
    "add",
    "scale",
    "scale_score",
)


class Indicator(_Model):
    """An outcome indicator whose `improvement` direction is an increase or a decrease; `countries`
    says how each country measures it (its kind, and so its measure: share or mean); `role`
    (primary or secondary) places its tests in a multiplicity family."""

    id: str
    label: str
    question: str | None = None
    improvement: Literal["increase", "decrease"]
    role: IndicatorRole = "primary"
    paper_claims: list[str] = []
    countries: dict[str, IndicatorMapping]

    @model_validator(mode="after")
    def _question(self):
        if self.question is None:
            object.__setattr__(self, "question", self.label)
        return self


class CountryIndicator(_Model):
    """A country's `indicators:` entry: a mapping of an existing id, or a new indicator (label,
    improvement), with the mapping keys of its kind beside them (flat)."""

    id: str
    label: str | None = None
    question: str | None = None
    improvement: Literal["increase", "decrease"] | None = None
    role: IndicatorRole | None = None
    kind: IndicatorKindName | None = None
    variable: str | None = None
    positive: list[Scalar] | None = None
    any_of: list[str] | None = None
    missing: list[Scalar] | None = None
    waves: list[str] | None = None
    operator: ComparisonOperator | None = None
    value: float | None = None
    items: list[str] | None = None
    item_missing: ItemMissing | None = None
    at_least: int | None = None
    unit: str | None = None
    transform: Literal["none", "log", "log1p"] | None = None
    winsorize: Winsorize | None = None
    scores: dict[Scalar, float] | None = None
    reverse: list[str] | None = None
    item_range: list[float] | None = None
    min_answered: int | None = None
    score: Literal["sum", "mean"] | None = None
    multiply: float | None = None
    add: float | None = None
    scale: str | None = None
    scale_score: Literal["raw", "reported"] | None = None

    def mapping(self) -> dict:
        """The keys that say how the country measures it (validated as an IndicatorMapping by the
        caller)."""
        return self.model_dump(include=set(MAPPING_KEYS), exclude_unset=True)


class CountrySettings(_Model):
    """A country's `settings:`: project settings (config/config.yaml) overridden for this country
    only."""

    min_group_n: int | None = None
    alpha: float | None = None
    multiplicity_family: FamilySetting | None = None
    power: Power | None = None
    target_change_pp: ChangePp | None = None
    target_change_sd: ChangeSd | None = None


# --- country and project --------------------------------------------------------------------------
class Country(_Model):
    """config/countries/<name>.yaml."""

    country: str
    label: str
    synthetic_data: bool = False
    datasets: dict[str, Dataset]
    tables: dict[str, Table] = {}
    published_baselines: list[PublishedBaseline] = []
    estimate_groups: list[str] = ["sex"]
    # adjusted.csv: the cells of direct standardisation and the model's covariates, and whose
    # composition is the standard (analysis.survey.adjusted)
    standardise_by: list[str] = ["sex"]
    standard_composition: Literal["last", "first", "pooled"] = "last"
    indicators: list[CountryIndicator] = []
    settings: CountrySettings = CountrySettings()

    @property
    def name(self) -> str:
        return self.country

    @property
    def respondents(self) -> Dataset | None:
        """The dataset of role respondents (estimates, shifts, charts), if any."""
        return next((d for d in self.datasets.values() if d.role == "respondents"), None)

    @property
    def design(self) -> Design:
        """The respondents' design (independent samples without clusters or weights when there is
        none)."""
        return self.respondents.design if self.respondents else Design()

    def describe(self, dataset: str) -> str:
        """What a dataset's data are, for a chart's source line: its `description:`, else "<label>
        <dataset>"."""
        found = self.datasets.get(dataset)
        return (
            found.description if found and found.description else None
        ) or f"{self.label} {dataset}"


class Project(_Model):
    """Everything configured: settings, countries (in the order config.yaml lists them) and the
    indicators (config/indicators.yaml merged with the countries' own). `documents` keeps the YAML
    as read, for the workflow's digests of the configuration each job depends on
    (analysis.workflow)."""

    root: Path
    settings: Settings
    countries: dict[str, Country]
    indicators: list[Indicator]
    documents: dict[str, Any] = {}

    def country(self, name: str) -> Country:
        return self.countries[name]

    def settings_for(self, country: str) -> Settings:
        """The project settings with the country's `settings:` overrides applied (alpha,
        min_group_n, multiplicity_family, power, target_change_pp, target_change_sd); the
        project's own for a country without any, or one the config does not have (a chart drawn
        by hand from tables)."""
        if country not in self.countries:
            return self.settings
        overrides = self.countries[country].settings.model_dump(exclude_none=True)
        return self.settings.model_copy(update=overrides) if overrides else self.settings

    def indicators_of(self, country: str) -> list[Indicator]:
        """The indicators a country measures, in configured order."""
        return [i for i in self.indicators if country in i.countries]

    def indicator_labels(self) -> dict[str, str]:
        return {i.id: i.label for i in self.indicators}


# --- claims registry (config/claims/<paper>.yaml) -------------------------------------------------
class Paper(_Model):
    """The publication whose claims are registered."""

    title: str
    publisher: str | None = None
    year: int
    source: str | None = None

    @property
    def short_title(self) -> str:
        """The title before its first colon ('Peace of mind' of 'Peace of mind: Integrating
        ...')."""
        return self.title.split(":")[0]


class ClaimCondition(_Model):
    """A filter of a recomputed claim: `{variable, equals: v}` or `{variable, in: [...]}`."""

    variable: str
    equals: Scalar = None
    in_: list[Scalar] | None = Field(None, alias="in")

    @property
    def operators(self) -> list[tuple[str, Any]]:
        """(operator, value) for each operator written, in the order of `Condition.operators`."""
        return [
            (op, getattr(self, "in_" if op == "in" else op))
            for op in ("equals", "in")
            if ("in_" if op == "in" else op) in self.model_fields_set
        ]

    @property
    def condition(self) -> Condition:
        """The same filter as a row `Condition` (what analysis.cleaning.conditions evaluates)."""
        return Condition.model_validate(self.written())

    def written(self) -> dict:
        """The filter as written: variable, then its operators."""
        return {"variable": self.variable, **dict(self.operators)}


class FigureCellSpec(_Model):
    """A cell of a configured crosstab (`tables:` of a country), recomputed from the processed
    data."""

    country: str
    table: str
    row: str
    column: str
    field: Literal["n", "percent"]


class EstimateSpec(_Model):
    """A wave's estimate of an indicator for a group (`group_var: overall` = all respondents),
    optionally among the respondents a filter keeps."""

    country: str
    indicator: str
    wave: Literal["baseline", "endline"]
    group_var: str = OVERALL
    group: str = "All"
    filter: list[ClaimCondition] = []
    field: Literal["percent", "n", "k"]


class ShiftSpec(_Model):
    """A row of the country's shifts table."""

    country: str
    indicator: str
    group_var: str = OVERALL
    group: str = "All"
    field: Literal["diff_pp", "baseline_pct", "endline_pct", "relative_change_pct"]


class ChangeSpec(_Model):
    """Endline minus baseline of the wave-level estimates, in percentage points or relative
    percent."""

    country: str
    indicator: str
    group_var: str = OVERALL
    group: str = "All"
    kind: Literal["pp", "relative"]


class CountSpec(_Model):
    """The rows of a processed dataset (that a filter keeps)."""

    country: str
    dataset: str
    filter: list[ClaimCondition] = []


class ArithmeticSpec(_Model):
    """An expression over other claims' printed values: `of` names each claim id used in
    `expression`."""

    expression: str
    of: dict[str, str]


class ExternalSpec(_Model):
    """Not recomputable from these data: where the number comes from."""

    source: str


class _Recompute(_Model):
    """A claim's `recompute:` mapping: one key, the kind, holding its spec."""

    @property
    def kind(self) -> str:
        return next(iter(type(self).model_fields))

    @property
    def spec(self):
        return getattr(self, self.kind)


class RecomputeFigureCell(_Recompute):
    figure_cell: FigureCellSpec


class RecomputeEstimate(_Recompute):
    estimate: EstimateSpec


class RecomputeShift(_Recompute):
    shift: ShiftSpec


class RecomputeChange(_Recompute):
    change: ChangeSpec


class RecomputeCount(_Recompute):
    count: CountSpec


class RecomputeArithmetic(_Recompute):
    arithmetic: ArithmeticSpec


class RecomputeExternal(_Recompute):
    external: ExternalSpec


Recompute = (
    RecomputeFigureCell
    | RecomputeEstimate
    | RecomputeShift
    | RecomputeChange
    | RecomputeCount
    | RecomputeArithmetic
    | RecomputeExternal
)


class Claim(_Model):
    """A number the paper prints (`printed`, percent as 0-100, to `decimals`), with how it is
    recomputed. `bound`: the printed number is exact (rounded), a lower or upper bound, or
    approximate. `derived`: an arithmetic anchor for a consistency check, not a number the paper
    prints."""

    id: str
    section: str
    quote: str
    printed: float
    decimals: int
    unit: Literal["percent", "pp", "relative_percent", "count", "year", "ratio"]
    group: str | None = None
    wave: Literal["baseline", "endline", "change", "none"] | None = None
    base_n: int | None = None
    base_note: str | None = None
    bound: Literal["exact", "more_than", "less_than", "about"] = "exact"
    recompute: Recompute
    note: str | None = None
    derived: bool = False


class SumCheck(_Model):
    """The parts add up to the printed total (counts exactly, percents within rounding)."""

    id: str
    check: Literal["sum"]
    total: str
    parts: Annotated[list[str], Field(min_length=2)]
    note: str = ""

    @property
    def claims(self) -> list[str]:
        return [self.total, *self.parts]


class WeightedPart(_Model):
    claim: str
    n: int


class WeightedAverageCheck(_Model):
    """The overall percent lies within the n-weighted range of its parts' percents."""

    id: str
    check: Literal["weighted_average"]
    overall: str
    parts: Annotated[list[WeightedPart], Field(min_length=2)]
    note: str = ""

    @property
    def claims(self) -> list[str]:
        return [self.overall, *[p.claim for p in self.parts]]


class ChangeCheck(_Model):
    """The printed change agrees with the printed baseline and endline levels."""

    id: str
    check: Literal["change"]
    change: str
    baseline: str
    endline: str
    kind: Literal["pp", "relative"] = "pp"
    note: str = ""

    @property
    def claims(self) -> list[str]:
        return [self.change, self.baseline, self.endline]


class CrossTableCheck(_Model):
    """Counts of one table against another (`relation` between the sums of `left` and `right`)."""

    id: str
    check: Literal["cross_table"]
    note: str = ""
    statement: str
    left: Annotated[list[str], Field(min_length=1)]
    right: Annotated[list[str], Field(min_length=1)]
    relation: Literal["left<=right", "left>=right", "left==right"]

    @property
    def claims(self) -> list[str]:
        return [*self.left, *self.right]


class ItemisedTotalCheck(_Model):
    """A stated total against counts itemised elsewhere."""

    id: str
    check: Literal["itemised_total"]
    total: str
    items: Annotated[list[str], Field(min_length=1)]
    note: str = ""

    @property
    def claims(self) -> list[str]:
        return [self.total, *self.items]


class SubgroupPart(_Model):
    change: str
    endline_n: int


class SubgroupChangeCheck(_Model):
    """The overall change can follow from its parts' changes (with the same composition at both
    waves)."""

    id: str
    check: Literal["subgroup_change"]
    overall_change: str
    parts: Annotated[list[SubgroupPart], Field(min_length=2)]
    note: str = ""

    @property
    def claims(self) -> list[str]:
        return [self.overall_change, *[p.change for p in self.parts]]


ConsistencyCheck = Annotated[
    SumCheck
    | WeightedAverageCheck
    | ChangeCheck
    | CrossTableCheck
    | ItemisedTotalCheck
    | SubgroupChangeCheck,
    Field(discriminator="check"),
]


class ClaimsRegistry(_Model):
    """config/claims/<paper>.yaml: the paper, its claims (in registry order) and consistency checks
    over them."""

    paper: Paper
    claims: Annotated[list[Claim], Field(min_length=1)]
    consistency: list[ConsistencyCheck] = []

    def figure_cells(self) -> dict[tuple[str, str, str, str, str], str]:
        """(country, table, row, column, field) -> id of the claim recomputed from that crosstab
        cell."""
        return {
            (s.country, s.table, s.row, s.column, s.field): c.id
            for c in self.claims
            if isinstance(s := c.recompute.spec, FigureCellSpec)
        }
