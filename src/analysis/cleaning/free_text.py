"""Free text (`type: text` variables): what may leave the cleaning, and redaction of what does.

Publication rule (`text_policy`):
  - A `type: text` variable is free text: it is read and usable during cleaning (exclusion and
    duplicate rules, checks, derivations, indicators), but it is WITHHELD from the processed data
    and from the cleaning log unless its codebook entry says `publish: true`.
  - Identifiers, design keys and core columns are codes, not answers, and are always kept (the
    analysis needs them): the dataset's record id (`record_id`, default `respondent_id`),
    `design.panel_key`, `design.cluster`, `design.strata`, and in a respondents dataset the core
    columns (sex, age, location, ...).
  - A derived variable that copies or concatenates withheld text (`copy:`, `concat:`) is withheld
    too, unless it is itself a design key or the record id. (`map:` and `bands:` give only values
    written in the config.)
  - A table or an `estimate_groups` entry cannot use withheld text: that is an InputError asking for
    `publish: true`.

Redaction (`redact`): the text of a variable with `publish: true` (not an identifier or design key)
is scanned, and each of these is replaced by a placeholder, in this order:
  - an e-mail address -> "[redacted e-mail]"
  - a run of at least 9 digits, optionally starting with + or ( and separated by at most two of
    space ( ) . - (a phone number: national mobile numbers have 9 digits or more, e.g. Rwanda 7xx
    xxx xxx, Tajikistan 9x xxx xxxx) -> "[redacted phone]". A date such as 2023-05-01 (8 digits) is
    left alone; an amount of 9 digits or more is redacted too: in free text, over-redaction is the
    safe error.
  - a value of one of the dataset's `pii:` columns in the same row (the whole value, and each of its
    words of at least 3 characters that contain a letter), matched as whole words,
    case-insensitively -> "[redacted identifier]"
The cleaning log gets one row per redacted cell that counts what was replaced, never the original
value. Phone and e-mail patterns run over the whole column in pyarrow (RE2); identifiers are found
with numpy's vectorised string search, and only the cells with a hit are rewritten in Python.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.model import ConcatDerivation, CopyDerivation, Dataset, Derivation

ARROW_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
WITHHELD = "[withheld free text]"
EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
PHONE = r"\+?\(?\d(?:[ ().\-]{0,2}\d){8,}"
NON_WORD = r"[^\pL\pN]+"  # RE2: anything but letters and digits
MIN_TOKEN = 3


@dataclass(frozen=True)
class TextPolicy:
    withheld: frozenset  # variables (and derived variables) kept out of processed data and the log
    scanned: frozenset  # published free-text variables whose text is redacted


def identifiers(dataset: Dataset) -> set[str]:
    """Record id and design keys: codes the analysis needs, published whatever their type."""
    design = dataset.design
    return {dataset.record_key, "respondent_id"} | {
        key for key in (design.panel_key, design.cluster, design.strata) if key
    }


def _derived_from(spec: Derivation) -> list[str]:
    """The variables whose text a derivation carries over (`copy:`, `concat:`); `map:`, `bands:` and
    `constant:` give only values written in the config."""
    if isinstance(spec, CopyDerivation):
        return [spec.copy_of]
    return list(spec.concat) if isinstance(spec, ConcatDerivation) else []


def text_policy(dataset: Dataset, core_columns=()) -> TextPolicy:
    """Which variables are withheld and which are redacted (module docstring). `core_columns`:
    columns the analysis always needs (the core respondent columns), published like identifiers."""
    variables = dataset.variables
    ids = identifiers(dataset) | set(core_columns)
    text = {v for v, spec in variables.items() if spec.type == "text"}
    published = {v for v in text if variables[v].publish}
    withheld = text - published - ids
    for name, spec in dataset.derive.items():
        sources = _derived_from(spec)
        if name not in ids and any(s in withheld for s in sources):
            withheld.add(name)
        elif name in withheld and not any(s in withheld for s in sources):
            withheld.discard(name)  # a derivation replaced the withheld variable of that name
    return TextPolicy(frozenset(withheld), frozenset(published - ids))


def _arrow(values: pd.Series) -> pa.Array:
    return pa.array(values.astype(ARROW_TEXT).array)


def _words(values: pa.Array) -> pa.Array:
    """Case-folded text with every run of non-letters/digits made one space, padded with spaces."""
    folded = pc.utf8_lower(values)
    spaced = pc.replace_substring_regex(folded, pattern=NON_WORD, replacement=" ")
    space, nothing = pa.scalar(" ", spaced.type), pa.scalar("", spaced.type)
    return pc.binary_join_element_wise(space, pc.utf8_trim(spaced, characters=" "), space, nothing)


def _pii_tokens(pii: pd.DataFrame) -> pd.DataFrame:
    """(row, token) pairs: each PII value in word form, and its words of >= MIN_TOKEN characters
    with a letter."""
    pieces = []
    for col in pii.columns:
        raw = pii[col].astype(ARROW_TEXT)
        present = raw.notna() & (raw.str.strip() != "")
        if not present.any():
            continue
        words = pd.Series(
            _words(_arrow(raw[present])).to_pylist(), index=raw.index[present]
        ).str.strip()
        whole = words[words.str.len() >= MIN_TOKEN]
        parts = words.str.split(" ").explode()
        parts = parts[(parts.str.len() >= MIN_TOKEN) & parts.str.contains(r"[^\W\d_]", regex=True)]
        pieces += [
            pd.DataFrame({"row": whole.index, "token": whole.to_numpy()}),
            pd.DataFrame({"row": parts.index, "token": parts.to_numpy()}),
        ]
    if not pieces:
        return pd.DataFrame({"row": pd.Series(dtype=object), "token": pd.Series(dtype=object)})
    return pd.concat(pieces, ignore_index=True).drop_duplicates()


def _token_pattern(token: str) -> re.Pattern:
    """A PII token as a case-insensitive whole-word pattern, any non-word characters between its
    words."""
    return re.compile(
        r"(?<!\w)" + r"[\W_]+".join(map(re.escape, token.split(" "))) + r"(?!\w)", re.IGNORECASE
    )


def _redact_identifiers(text: pd.Series, pii: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """Replace the same row's PII values in `text`; returns (text, number replaced per row)."""
    counts = pd.Series(0, index=text.index, dtype=np.int64)
    if pii is None or pii.empty:
        return text, counts
    present = text.notna().to_numpy()
    tokens = _pii_tokens(pii.reindex(text.index[present]))
    if tokens.empty:
        return text, counts
    words = pd.Series(_words(_arrow(text[present])).to_pylist(), index=text.index[present])
    haystack = np.array(
        words.loc[tokens["row"]].to_numpy(dtype=object), dtype=np.dtypes.StringDType()
    )
    needle = np.array(
        (" " + tokens["token"] + " ").to_numpy(dtype=object), dtype=np.dtypes.StringDType()
    )
    hits = tokens[np.strings.find(haystack, needle) >= 0]
    if hits.empty:
        return text, counts
    out = text.astype(object).copy()
    for row, found in hits.groupby("row", sort=False)["token"]:
        value = out.at[row]
        for token in sorted(found, key=len, reverse=True):  # the whole name before its parts
            value, n = _token_pattern(token).subn("[redacted identifier]", value)
            counts.at[row] += n
        out.at[row] = value
    return out.astype(ARROW_TEXT), counts


def redact(text: pd.Series, pii: pd.DataFrame | None = None) -> tuple[pd.Series, pd.DataFrame]:
    """Redact identifiers (`pii`: the raw PII columns, same index as `text`), e-mail addresses and
    phone numbers.

    Returns the redacted text (arrow-backed, same index) and, for each changed cell, a frame with
    columns `row_index`, `identifiers`, `emails`, `phones` (counts)."""
    arr = _arrow(text)
    n_email = pc.fill_null(pc.count_substring_regex(arr, pattern=EMAIL), 0)
    arr = pc.replace_substring_regex(arr, pattern=EMAIL, replacement="[redacted e-mail]")
    n_phone = pc.fill_null(pc.count_substring_regex(arr, pattern=PHONE), 0)
    arr = pc.replace_substring_regex(arr, pattern=PHONE, replacement="[redacted phone]")
    # identifiers last: a name inside an e-mail address must not break the address's pattern
    out, n_ids = _redact_identifiers(
        pd.Series(arr.to_pandas(types_mapper=lambda t: ARROW_TEXT).array, index=text.index), pii
    )
    counts = pd.DataFrame(
        {
            "row_index": text.index,
            "identifiers": n_ids.to_numpy(),
            "emails": np.asarray(n_email, dtype=np.int64),
            "phones": np.asarray(n_phone, dtype=np.int64),
        }
    )
    changed = (counts[["identifiers", "emails", "phones"]].sum(axis=1) > 0).to_numpy()
    return out, counts[changed].reset_index(drop=True)


def redaction_rule(counts: pd.DataFrame) -> pd.Series:
    """Log text for each row of `redact`'s counts, e.g. "redacted 1 phone number, 1 identifier
    (pii)"."""
    parts = []
    for col, one, many in (
        ("identifiers", "identifier (a `pii:` value)", "identifiers (`pii:` values)"),
        ("emails", "e-mail address", "e-mail addresses"),
        ("phones", "phone number", "phone numbers"),
    ):
        n = counts[col]
        parts.append(np.where(n == 0, "", n.astype(str) + " " + np.where(n == 1, one, many)))
    joined = pd.Series(
        [", ".join(p for p in ps if p) for ps in zip(*parts)], index=counts.index, dtype=object
    )
    return "personal data redacted from free text: " + joined
