# Estimates and baseline -> endline shifts per country (design from config/countries/<country>.yaml),
# one job: the respondent data are read once for both.


rule statistics:
    input:
        code=CODE,
        data="data/processed/{country}/respondents.parquet",
        country_config="config/countries/{country}.yaml",
        project_config="config/config.yaml",
        indicators="config/indicators.yaml",
    output:
        estimates="reports/tables/{country}/estimates.csv",
        shifts="reports/tables/{country}/shifts.csv",
    log:
        "logs/{country}/statistics.log",
    benchmark:
        "logs/benchmarks/{country}/statistics.tsv"
    priority: 10   # on the critical path to the report (combining logs can wait)
    params:
        py=PY,
    conda:
        ENV
    shell:
        "{params.py} statistics --country {wildcards.country} --data {input.data}"
        " --estimates {output.estimates} --shifts {output.shifts}"
        " 2> {log} || {{ cat {log} >&2; exit 2; }}"
