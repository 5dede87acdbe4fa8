"""The machinery that makes large surveys fast gives the same answers as the plain path.

- cleaning a dataset's source files in parallel processes == cleaning them one after another, and an
  error raised in a worker process arrives with its file, column, row and fix;
- domain totals from one pass over a cross-classification == a plain pandas groupby per grouping;
- estimates and shifts sharing one design pass == computing each alone;
- indicator columns read straight to float arrays == pandas' nullable integers.
"""

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import analysis.cleaning.clean
import analysis.resources
from analysis.cleaning.clean import clean_dataset, write_clean_outputs
from analysis.config import load_project
from analysis.errors import InputError
from analysis.model import Indicator, ShareMapping
from analysis.survey.design import Design
from analysis.survey.domains import DesignPasses, domain_totals, layout, read_respondents
from analysis.survey.estimates import estimate_table
from analysis.survey.shifts import shift_table
from tests.conftest import copy_project


@pytest.fixture
def parallel(monkeypatch):
    """Every dataset counts as large: its source files are cleaned in parallel processes and its
    Parquet file and cleaning log are encoded in background threads."""
    monkeypatch.setattr(analysis.resources, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(analysis.cleaning.clean, "BACKGROUND_ENCODE_ROWS", 0)


def test_parallel_cleaning_equals_sequential(project, cleaned, parallel, tmp_path):
    for country, dataset in (("rwanda", "respondents"), ("tajikistan", "respondents")):
        sources = project.countries[country].datasets[dataset].sources
        assert (
            len(sources) == 2 and analysis.resources.source_processes(project.root, sources, 2) == 2
        )
        sequential, par = (
            cleaned[(country, dataset)],
            clean_dataset(project, country, dataset, workers=2),
        )
        assert sequential.parquet is None and par.parquet is not None and par.log_csv is not None
        for part in ("data", "exclusions", "log", "accounting"):
            pd.testing.assert_frame_equal(getattr(sequential, part), getattr(par, part))
        one, two = tmp_path / "one", tmp_path / "two"
        for result, out in ((sequential, one), (par, two)):
            write_clean_outputs(
                result, out / "d.parquet", out / "e.csv", out / "l.csv", out / "a.csv"
            )
        for name in ("d.parquet", "e.csv", "l.csv", "a.csv"):
            assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_error_in_a_worker_process_keeps_file_column_row_and_fix(tmp_path, parallel):
    """The second source is cleaned in a worker process: its unknown codes stop the run with the
    usual message."""
    root = copy_project(tmp_path)
    path = root / "config/countries/rwanda.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    endline = doc["datasets"]["respondents"]["sources"][1]
    endline["columns"]["sex"] = "age"  # ages have no value labels: every one is an unknown code
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        clean_dataset(load_project(root), "rwanda", "respondents", workers=2)
    assert (err.value.file, err.value.column) == (endline["file"], "age")
    assert isinstance(err.value.row, int) and err.value.row >= 1
    assert "no mapping in the codebook" in err.value.problem and "values:" in err.value.fix


def _plain_totals(frame: pd.DataFrame, y: np.ndarray, group_vars: list[str]) -> pd.DataFrame:
    """n, k, sum_w, sum_wy per wave x group x stratum x psu with pandas groupby (the reference)."""
    rows = []
    d = frame.assign(y=y, valid=~np.isnan(y), yv=np.nan_to_num(y))
    d["wv"], d["wyv"] = d["w"] * d["valid"], d["w"] * d["yv"]
    for gv in ["overall"] + group_vars:
        g = (
            d.assign(group="All")
            if gv == "overall"
            else d.dropna(subset=[gv]).assign(group=lambda x, gv=gv: x[gv])
        )
        agg = (
            g.groupby(["wave", "group", "stratum", "psu"], observed=True)
            .agg(n=("valid", "sum"), k=("yv", "sum"), sum_w=("wv", "sum"), sum_wy=("wyv", "sum"))
            .reset_index()
        )
        rows.append(agg[agg["n"] > 0].assign(group_var=gv))
    return pd.concat(rows, ignore_index=True)


@settings(max_examples=40, deadline=None)
@given(st.integers(20, 300), st.integers(0, 10_000))
def test_one_pass_domain_totals_equal_a_groupby(n, seed):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "wave": rng.choice(["baseline", "endline"], n),
            "stratum": rng.integers(0, 3, n).astype(str),
            "psu": rng.integers(0, 7, n).astype(str),
            "w": rng.uniform(0.5, 3, n),
            "sex": rng.choice(["Female", "Male", None], n),
            "band": rng.choice(["18-34", "35+", None], n),
        }
    )
    y = np.where(rng.random(n) < 0.15, np.nan, rng.integers(0, 2, n).astype(float))
    lay = layout(frame, "psu", "w", "stratum")
    ours = domain_totals({"i": y}, frame, lay, ["sex", "band"], by_psu=True)
    ours = ours.assign(stratum=lay.strata[ours["stratum"]], psu=lay.psus[ours["psu"]])
    ref = _plain_totals(frame, y, ["sex", "band"])
    key = ["group_var", "wave", "group", "stratum", "psu"]
    merged = ref.merge(ours, on=key, how="outer", suffixes=("_ref", ""), indicator=True)
    assert (merged["_merge"] == "both").all()
    for col in ("n", "k", "sum_w", "sum_wy"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_ref"], rtol=1e-12)


def _design_sample(seed: int = 7, n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(n)],
            "wave": rng.choice(["baseline", "endline"], n),
            "sex": rng.choice(["Female", "Male"], n),
            "psu": rng.integers(0, 30, n),
            "stratum": rng.integers(0, 4, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    for i in range(3):
        p = np.where(frame["wave"] == "endline", 0.55, 0.4) + 0.05 * i
        frame[f"ind{i}"] = pd.array(
            np.where(rng.random(n) < 0.1, None, (rng.random(n) < p).astype(int)), dtype="Int64"
        )
    return frame


def test_shared_design_pass_gives_the_same_tables():
    data = _design_sample()
    indicators = [
        Indicator(
            id=f"ind{i}",
            label=f"ind{i}",
            improvement="increase",
            countries={"x": ShareMapping(variable="v", positive=[1])},
        )
        for i in range(3)
    ]
    design = Design(type="independent", cluster="psu", weight="w", strata="stratum")
    passes = DesignPasses(data)
    pd.testing.assert_frame_equal(
        estimate_table(data, indicators, "x", design, ["sex"], 1, passes=passes),
        estimate_table(data, indicators, "x", design, ["sex"], 1),
    )
    pd.testing.assert_frame_equal(
        shift_table(data, indicators, "x", design, min_group_n=1, passes=passes),
        shift_table(data, indicators, "x", design, min_group_n=1),
    )
    assert len(passes._made) == 1  # one pass served both tables


def test_indicators_read_as_floats_equal_nullable_integers(tmp_path):
    data = _design_sample()
    path = tmp_path / "r.parquet"
    data.to_parquet(path, index=False)
    read = read_respondents(path, ["wave", "sex", "ind0", "ind1"], ["ind0", "ind1"])
    for col in ("ind0", "ind1"):
        assert read[col].dtype == float
        np.testing.assert_array_equal(
            read[col].to_numpy(), data[col].to_numpy(dtype=float, na_value=np.nan)
        )
    assert list(read["wave"]) == list(data["wave"])


def test_failed_check_with_background_encoding_leaves_one_message_and_no_outputs(
    tmp_path, parallel, capsys
):
    """Large data are encoded in background threads while the checks run; a failing check still
    stops the run with one message, exit status 2 and no partial outputs."""
    from analysis.cli import main

    root = copy_project(tmp_path)
    path = root / "config/indicators.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "      waves:\n      - baseline\n      - endline\n",
            "      waves:\n      - baseline\n      - midline\n",
            1,
        ),
        encoding="utf-8",
    )
    out = root / "data/processed/rwanda"
    status = main(
        [
            "--root",
            str(root),
            "clean",
            "--country",
            "rwanda",
            "--dataset",
            "respondents",
            "--out-dir",
            str(out),
            "--workers",
            "2",
        ]
    )
    err = capsys.readouterr().err
    assert status == 2 and err.count("ERROR:") == 1 and "no valid answer in wave 'midline'" in err
    assert not out.exists() or not any(p.is_file() for p in out.rglob("*"))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=50
    )
)
def test_combinations_are_numbered_in_order_even_past_int64(rows):
    """Three columns of 2**30 levels each would overflow an int64 key: the numbering must still
    follow the lexicographic order of the rows' values, and each combination's representative row
    must hold them.
    """
    from analysis.survey.domains import combine_codes

    values = np.array(rows, dtype=np.int64)
    code, first = combine_codes([(values[:, i] * 2**25, 2**30) for i in range(3)])
    distinct = sorted(set(map(tuple, values.tolist())))
    assert [distinct.index(tuple(r)) for r in values.tolist()] == list(code)
    assert [tuple(r) for r in values[first].tolist()] == distinct
