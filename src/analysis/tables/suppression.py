"""Small-cell suppression for public outputs, with complementary suppression.

Primary suppression hides every interior cell with 0 < n < k. Complementary suppression then hides
further cells so that no hidden value can be recovered from a published margin: any row or column
(margins included) with exactly one hidden interior cell gets a second one hidden (its smallest
non-zero visible cell; if none is left, the margin itself is hidden). Repeats until stable.
Zero cells are published (an empty cell discloses no one). Reference: Hundepool et al. (2012),
Statistical Disclosure Control, ch. 5 (cell suppression, primary and secondary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def suppression_mask(counts: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the interior cells (a rows x columns count array, no margins) to hide."""
    counts = np.asarray(counts)
    hidden = (counts > 0) & (counts < k)
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            lines = hidden if axis == 1 else hidden.T
            values = counts if axis == 1 else counts.T
            for i in np.flatnonzero(lines.sum(axis=1) == 1):
                candidates = np.flatnonzero(~lines[i] & (values[i] > 0))
                if len(candidates):
                    j = candidates[np.argmin(values[i][candidates])]
                    if axis == 1:
                        hidden[i, j] = True
                    else:
                        hidden[j, i] = True
                    changed = True
                    break
            if changed:
                break
    return hidden


def suppress_crosstab(tidy: pd.DataFrame, k: int, total_label: str = "Total") -> pd.DataFrame:
    """Apply suppression to a tidy crosstab (row, column, n, percent): hidden cells get n and
    percent missing and `suppressed = True`. A margin whose line has a single cell that is hidden is
    hidden too.
    """
    grid = tidy.pivot(index="row", columns="column", values="n")
    rows = [r for r in dict.fromkeys(tidy["row"]) if r != total_label]
    cols = [c for c in dict.fromkeys(tidy["column"]) if c != total_label]
    interior = grid.loc[rows, cols].to_numpy()
    hidden = suppression_mask(interior, k)
    hide = pd.DataFrame(False, index=grid.index, columns=grid.columns)
    hide.loc[rows, cols] = hidden
    # a margin that equals a single hidden cell would reveal it
    for r_i, r in enumerate(rows):
        if hidden[r_i].any() and (interior[r_i] > 0).sum() == 1:
            hide.loc[r, total_label] = True
    for c_i, c in enumerate(cols):
        if hidden[:, c_i].any() and (interior[:, c_i] > 0).sum() == 1:
            hide.loc[total_label, c] = True
    flags = hide.stack().rename("suppressed").reset_index()
    out = tidy.merge(flags, on=["row", "column"], how="left")
    out["n"] = out["n"].astype("Int64").mask(out["suppressed"])
    out["percent"] = out["percent"].mask(out["suppressed"])
    return out
