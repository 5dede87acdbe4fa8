"""Small-cell suppression: primary cells hidden, and no hidden cell recoverable from published
margins."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from analysis.model import Dimension
from analysis.tables.crosstab import crosstab
from analysis.tables.suppression import suppress_crosstab, suppression_mask


def test_known_table():
    counts = np.array([[137, 32], [2, 8], [2, 0], [6, 5]])
    hidden = suppression_mask(counts, 5)
    assert hidden[1, 0] and hidden[2, 0]  # primary: 2 and 2
    assert hidden[1, 1]  # complementary: row 'former combatants'
    assert not hidden[0].any() and not hidden[2, 1]  # large cells and zeros stay visible


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=st.integers(0, 30)),
    st.integers(2, 10),
)
def test_no_single_hidden_cell_in_any_published_line(counts, k):
    hidden = suppression_mask(counts, k)
    assert (hidden >= ((counts > 0) & (counts < k))).all()  # every primary cell is hidden
    assert not (hidden & (counts == 0)).any()  # zeros are never hidden
    for lines, values in ((hidden, counts), (hidden.T, counts.T)):
        for line, vals in zip(lines, values):
            # a line with one hidden cell would reveal it through its (published) total ...
            if line.sum() == 1:
                # ... unless every other cell of the line is zero, in which case the margin is
                # hidden instead
                assert (vals[~line] == 0).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("ABCD"), st.sampled_from("xyz")), min_size=1, max_size=80),
    st.integers(2, 6),
)
def test_tidy_suppression_hides_margin_when_it_would_reveal(pairs, k):
    frame = pd.DataFrame(pairs, columns=["r", "c"])
    dims = lambda v, o: [Dimension(variable=v, order=o)]  # noqa: E731
    tidy = crosstab(frame, dims("r", list("ABCD")), dims("c", list("xyz")), "total")
    out = suppress_crosstab(tidy, k)
    grid = out.pivot(index="row", columns="column", values="n")
    interior = grid.drop(index="Total", columns="Total")
    for _, row in interior.iterrows():
        hidden = row.isna()
        if hidden.sum() == 1:  # one hidden cell: its total must be hidden too
            assert pd.isna(grid.loc[row.name, "Total"])
    assert grid.loc["Total", "Total"] == len(frame)  # the grand total stays published
