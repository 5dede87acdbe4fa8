"""Text from config or data, escaped so that it comes out literally in Markdown (tables, audit
findings).

HTML output escapes with `html.escape` (report.html) or through great_tables (display tables, which
also escape LaTeX: `\\ { } $ & # ^ _ % ~ < >`); CSV outputs are neutralised against spreadsheet
formulas in `csv_files`; charts draw text with matplotlib's mathtext switched off (`figures.style`).
"""

from __future__ import annotations

import re

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_PUNCTUATION = re.compile(
    r"([\\`*\[\]|~$])"
)  # emphasis, code, links, table cells, strike, math
# an underscore run between two letters or digits (snake_case ids) can neither open nor close
# emphasis (CommonMark, "left-flanking delimiter run"), so only the others are escaped
_UNDERSCORES = re.compile(r"_+")
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def markdown_text(text) -> str:
    """`text` as inline Markdown that renders as the same characters: `& < >` as HTML entities (no
    raw HTML), a backslash before each of `\\ ` * [ ] | ~ $` and before `_` unless it joins two
    letters or digits (no emphasis, code, link, table cell break, strike-through or math), a leading
    `#` escaped (no heading) and line breaks as one space (a table row stays one line)."""
    out = "".join(_HTML.get(ch, ch) for ch in str(text))
    out = _MARKDOWN_PUNCTUATION.sub(r"\\\1", _LINE_BREAKS.sub(" ", out))
    out = _UNDERSCORES.sub(
        lambda m: m.group() if _joins_letters(m) else "\\_" * len(m.group()), out
    )
    return "\\" + out if out.startswith("#") else out


def _joins_letters(run: re.Match) -> bool:
    text, start, end = run.string, run.start(), run.end()
    return start > 0 and end < len(text) and text[start - 1].isalnum() and text[end].isalnum()
