# peace-of-mind: raw survey exports -> clean data -> the paper's tables.
# Rules only wire files to functions in src/ (python -m analysis ...); the logic lives there.
from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


# config/config.yaml and every country config are read and validated by analysis.config.load_project
# (rules/common.smk), which explains mistakes in one message.
include: "rules/common.smk"
include: "rules/clean.smk"
include: "rules/tables.smk"
include: "rules/statistics.smk"
include: "rules/audit.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        clean_outputs(),
        table_outputs(),
        statistics_outputs(),
        audit_outputs(),
        chart_outputs(),
        display_table_outputs(),
        workbook_outputs(),
        "reports/report.html",
        "reports/manifest.json",
