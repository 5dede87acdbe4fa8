"""Realistic problems added to synthetic exports, for the cleaning stage to handle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .fake import TEXT_VARIANTS


def add_mess(
    rng,
    df: pd.DataFrame,
    mess: dict,
    item_cols: list[str],
    consent_col: str,
    age_col: str,
    extra_rows: dict,
    text_col: str = "village",
    age_missing_code: float = 98,
    consent_no: object = 0,
) -> pd.DataFrame:
    """Add the realistic problems listed in the assumptions; return the frame in submission
    order."""
    df = df.copy()
    n = len(df)
    if mess.get("age_out_of_range"):
        idx = rng.choice(n, mess["age_out_of_range"], replace=False)
        df.loc[idx, age_col] = df.loc[idx, age_col] * 10 + 5  # typed one digit too many
    if mess.get("age_missing_coded"):
        idx = rng.choice(
            np.flatnonzero(df[age_col] < 100), mess["age_missing_coded"], replace=False
        )
        df.loc[idx, age_col] = age_missing_code
    if mess.get("village_spelling_variants"):
        idx = rng.choice(n, mess["village_spelling_variants"], replace=False)
        df.loc[idx, text_col] = [
            TEXT_VARIANTS[i % len(TEXT_VARIANTS)](v) for i, v in enumerate(df.loc[idx, text_col])
        ]
    extras = []
    for kind, count in (
        ("test_submissions", mess.get("test_submissions", 0)),
        ("no_consent", mess.get("no_consent", 0)),
        ("under_18", mess.get("under_18", 0)),
    ):
        for _ in range(count):
            row = df.iloc[int(rng.integers(n))].copy()
            row.update(extra_rows[kind](rng))
            if kind == "no_consent":
                row[consent_col] = consent_no
                for c in item_cols:
                    row[c] = np.nan
            extras.append(row)
    if extras:
        df = pd.concat([df, pd.DataFrame(extras)], ignore_index=True)
    dup_idx = rng.choice(n, mess.get("duplicate_submissions", 0), replace=False)
    if len(dup_idx):
        df = pd.concat([df, df.iloc[dup_idx]], ignore_index=True)
    return df


def order_by_submission(df: pd.DataFrame, time_col: str) -> pd.DataFrame:
    return df.sort_values(time_col, kind="stable").reset_index(drop=True)
