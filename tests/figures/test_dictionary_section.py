"""The report's data dictionary section (figures.dictionary_section): every row of dictionary.csv
shown, an anchor per indicator that the estimates table links to, text escaped."""

from __future__ import annotations

import html
import re

import pandas as pd

from analysis.csv_files import read_output_csv, write_csv
from analysis.tables.dictionary import data_dictionary
from figures.dictionary_section import anchor, dictionary_section

HOSTILE = "<script>alert('x')</script> & \"Women\""


def _dictionary(project, cleaned, tmp_path, country="rwanda") -> pd.DataFrame:
    data = {d: cleaned[(country, d)].data for d in project.countries[country].datasets}
    write_csv(data_dictionary(project, country, data), tmp_path / "dictionary.csv")
    return read_output_csv(tmp_path / "dictionary.csv")


def test_every_row_shown_with_indicator_anchors(project, cleaned, tmp_path):
    table = _dictionary(project, cleaned, tmp_path)
    out = dictionary_section("rwanda", table)
    assert out.count("<tr>") + out.count("<tr id=") - 2 == len(table)  # minus two header rows
    ids = re.findall(r'<tr id="([^"]+)">', out)
    indicators = table.loc[table["entry"] == "indicator", "variable"]
    assert ids == [anchor("rwanda", i) for i in indicators]
    q_use = re.search(r"<tr><td>q_use_of_arms(.*?)</tr>", out).group(1)
    row = table.set_index("variable").loc["q_use_of_arms"]
    counts = re.findall(r"<td class=num>(\d*)</td>", q_use)
    assert counts == [str(int(row["n_valid_baseline"])), str(int(row["n_valid_endline"]))]


def test_text_from_config_is_escaped(project, cleaned, tmp_path):
    table = _dictionary(project, cleaned, tmp_path)
    table.loc[table["entry"] == "indicator", "label"] = HOSTILE
    out = dictionary_section("rwanda", table)
    assert "<script>" not in out and html.escape(HOSTILE) in out


def test_no_dictionary_no_section():
    assert dictionary_section("rwanda", pd.DataFrame()) == ""


def test_estimates_link_to_the_dictionary_rows():
    """The estimates macro links each indicator label to `#dict-<country>-<indicator>`."""
    from figures.report import _parts

    keys = ("wave", "n", "percent", "mark", "ci", "ci_method", "deff")
    row = {"id": "est:rwanda/recon_iga/endline/Overall", "label": "IGA", "group": "All"}
    rows = [row | dict.fromkeys(keys, "")]
    out = str(_parts().estimates({"rows": rows, "notes": []}))
    assert f'<a href="#{anchor("rwanda", "recon_iga")}">IGA</a>' in out
