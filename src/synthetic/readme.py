"""data/raw/README.md, written by the generator so that it always describes the files beside it."""

from __future__ import annotations

# A backslash at the end of a line joins it to the next: the README keeps the line breaks it had
# before the source was wrapped at 100 characters (`make raw` rewrites it byte for byte).
HEADER = """# data/raw — SYNTHETIC RECONSTRUCTIONS, not real survey responses

**Every file under `data/raw/rwanda/` and `data/raw/tajikistan/` is synthetic.** The real \
responses behind
International Alert's *Peace of mind* (2023) are confidential: they concern survivors of violence \
and former
perpetrators. These stand-ins were built by a deterministic, seeded program (`make raw`, i.e.
`python -m synthetic`) from the paper's published aggregates (Figures 1–3, sections 3.1.1 and \
3.2.1) and from
the assumptions in **`config/synthetic_reconstruction.yaml`**, which holds every assumption in one \
place.
Names, phone numbers, ids and dates are invented. Do not cite any value here as a finding about \
real people.

`make raw` rewrites these files byte for byte (fixed seed; SPSS header dates and XLSX timestamps \
pinned).
The pipeline treats this folder as read-only input: **real exports drop in at the same paths** (or \
at the
paths named in `config/countries/<country>.yaml`) and the same commands run on them.

## Files

| file | shaped like | content |
|---|---|---|
| `rwanda/rwanda_endline_2023_ona.sav` | ONA SPSS export (system columns `_id`, `_uuid`, \
`_submission_time` as `rec_id`, `uuid`, `submission_time`: SPSS names cannot begin with `_`; \
numeric codes with value labels; 98/99 user-missing) | 2023 research survey, 404 valid interviews \
(March–June 2023) plus duplicates, a test record, refusals and an under-age respondent |
| `rwanda/rwanda_baseline_2022_surveycto.sav` | SurveyCTO SPSS export (`KEY`, `SubmissionDate`; \
its own variable names and sex coding) | baseline assessment (Dec 2021–Feb 2022), independent \
cross-section |
| `tajikistan/lwd_baseline_kobo.csv` | KoboToolbox CSV, "XML values and headers", `;` separator, \
all fields quoted, `group/question` paths, select_multiple as a text column plus one 0/1 column \
per choice | women participants at baseline (panel wave 1) |
| `tajikistan/lwd_endline_kobo.xlsx` | KoboToolbox XLSX export, same layout | the same women at \
endline (panel wave 2, Dec 2022–Jan 2023) |
| `tajikistan/lwd_women_survey_xlsform.xlsx` | XLSForm (`survey`, `choices`, `settings`) | the \
codebook of both Kobo exports |
| `tajikistan/qualitative_register.csv` | hand-kept register (UTF-8 CSV) | the 223 qualitative \
participants of Figure 3 (location × respondent group × collection type), plus a test row and \
duplicate entries |
| `example_country/example_{baseline,midline,endline}_surveycto.dta` | SurveyCTO Stata export \
(`key`, `submissiondate`; value labels; −98/−99 codes) | **EXAMPLE DATA, not from the paper**: a \
fictional three-wave household panel with strata, village clusters, weights and a programme arm \
(half the villages), five yes/no and 4-point items, a WHO-5 wellbeing scale, a social-cohesion \
scale with a negatively worded item, a monthly household income, three support items and a \
child's literacy score, for the "Add a country" walkthrough |

Every file also carries realistic mess for the cleaning stage: duplicate submissions, test \
submissions,
rows without consent, out-of-range and "don't know"-coded ages, inconsistent case and spacing in \
text
categories, and direct identifiers (names, phone numbers) that never leave `data/raw/`.

The paper's Figures 1 and 2 conflict (Figure 2 has 22 men in "Under 30" social groups; Figure 1 \
has 20 men
aged 18–30). Both tables are reproduced as printed: two men in "Under 30" groups are aged 31–35, \
and cleaning
flags them as warnings in the cleaning log.

The Rwanda baseline's size and sex mix are not published. The reconstruction uses 442 respondents \
(389
women, 53 men): the printed "leaving children with people from another group" figures (42.8% → 55.9%
overall, +2 pp among women, +11 pp among men) can only all hold if the baseline had far more women \
than the
endline (65.6%), because with equal sex mixes an overall change must lie between the two \
sex-specific
changes, and +13.1 pp does not lie between +2 and +11. The Tajikistan survey is reconstructed as a \
panel of
120 women at baseline, 114 re-interviewed at endline; levels that the paper gives only as changes \
are assumed
and marked ASSUMPTION in the assumptions file.

## Printed values and how the reconstruction meets them
Percentages are matched to their printed precision (half-up rounding). Where a printed one-decimal
percentage is impossible for its full base, the least item non-response (a "don't know" or \
"refused" code)
that makes it possible is used; where none does, the nearest possible value is used. Every such \
case:
"""


def render_readme(reports: dict[str, list[str]]) -> str:
    lines = [HEADER]
    for country, items in reports.items():
        lines.append(f"\n### {country.capitalize()}\n")
        lines.extend(f"- {line}" for line in items) if items else lines.append("- none")
    return "\n".join(lines) + "\n"
