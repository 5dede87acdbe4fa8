import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.errors import InputError
from analysis.model import Dimension
from analysis.tables.crosstab import crosstab

SEX = [Dimension(variable="sex", order=["F", "M"], labels={"F": "Women", "M": "Men"})]
BAND = [Dimension(variable="band", order=["young", "old"])]


def _frame():
    return pd.DataFrame(
        {
            "sex": ["F", "F", "F", "M", "M", None],
            "band": ["young", "old", "old", "old", "young", "old"],
        }
    )


def test_counts_margins_and_row_percent():
    t = crosstab(_frame(), SEX, BAND, "row").set_index(["row", "column"])
    assert t.loc[("Women", "old"), "n"] == 2
    assert t.loc[("Women", "Total"), "n"] == 3
    assert t.loc[("Total", "Total"), "n"] == 5  # the row with missing sex is not counted
    assert t.loc[("Women", "old"), "percent"] == pytest.approx(200 / 3)
    assert t.loc[("Men", "Total"), "percent"] == 100


def test_total_and_column_percent():
    total = crosstab(_frame(), SEX, BAND, "total").set_index(["row", "column"])
    assert total.loc[("Men", "young"), "percent"] == pytest.approx(20.0)
    col = crosstab(_frame(), SEX, BAND, "column").set_index(["row", "column"])
    assert col.loc[("Women", "old"), "percent"] == pytest.approx(200 / 3)
    assert col.loc[("Total", "old"), "percent"] == 100


def test_two_column_dimensions_are_joined_in_order():
    f = _frame().assign(place=["a", "b", "a", "b", "a", "a"])
    t = crosstab(f, BAND, [Dimension(variable="place", order=["a", "b"])] + SEX, "total")
    assert list(t["column"].unique()) == ["a | Women", "a | Men", "b | Women", "b | Men", "Total"]
    assert t.loc[t["column"] == "b | Men", ["place", "sex"]].drop_duplicates().values.tolist() == [
        ["b", "Men"]
    ]
    assert set(t.loc[t["column"] == "Total", "place"]) == {"Total"}


def test_category_outside_order_is_an_error_not_dropped():
    f = _frame().assign(band=["young", "old", "middle", "old", "young", "old"])
    with pytest.raises(InputError, match="middle"):
        crosstab(f, SEX, BAND, "row")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["F", "M"]), st.sampled_from(["young", "old"])),
        min_size=1,
        max_size=200,
    ),
    st.sampled_from(["row", "column", "total"]),
)
def test_margins_add_up_and_percentages_sum_to_100(pairs, base):
    f = pd.DataFrame(pairs, columns=["sex", "band"])
    t = crosstab(f, SEX, BAND, base)
    grid = t.pivot(index="row", columns="column", values="n")
    assert grid.loc["Total", "Total"] == len(f)
    assert (grid.drop(index="Total").sum() == grid.loc["Total"]).all()
    assert (grid.drop(columns="Total").sum(axis=1) == grid["Total"]).all()
    pct = t.pivot(index="row", columns="column", values="percent")
    if base == "row":
        sums = pct.drop(columns="Total").sum(axis=1)[grid["Total"] > 0]
    elif base == "column":
        sums = pct.drop(index="Total").sum()[grid.loc["Total"] > 0]
    else:
        sums = pd.Series([pct.drop(index="Total", columns="Total").to_numpy().sum()])
    assert np.allclose(sums, 100)
