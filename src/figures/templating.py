"""The report's Jinja environment, shared by report.py and its sections (scales_section.py): every
value a template writes is HTML-escaped by `html.escape`, so text from config or data comes out
literally."""

from __future__ import annotations

import html

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def text(value) -> str:
    """A value as text: nothing for None or NaN."""
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def html_text(value) -> Markup:
    """The templates' `finalize`: every value they write, HTML-escaped by `html.escape` (quotes as
    &quot; and &#x27;, as the report has always written them; autoescape alone would write &#34; and
    &#39;). A rendered macro, a rendered part or a p-value is `Markup` and is written as it is."""
    return value if hasattr(value, "__html__") else Markup(html.escape(text(value)))


TEMPLATES = Environment(
    loader=PackageLoader("figures", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    finalize=html_text,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
