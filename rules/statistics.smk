# Estimates and baseline -> endline shifts per country (design from config/countries/<country>.yaml).


rule statistics:
    input:
        code=CODE,
        data="data/processed/{country}/respondents.parquet",
        country_config="config/countries/{country}.yaml",
        project_config="config/config.yaml",
        indicators="config/indicators.yaml",
    output:
        "reports/tables/{country}/{kind}.csv",
    wildcard_constraints:
        kind="estimates|shifts",
    log:
        "logs/{country}/{kind}.log",
    benchmark:
        "logs/benchmarks/{country}/{kind}.tsv"
    priority: 10   # on the critical path to the report (combining logs can wait)
    params:
        py=PY,
    conda:
        ENV
    shell:
        "{params.py} {wildcards.kind} --country {wildcards.country} --data {input.data} --out {output}"
        " 2> {log} || {{ cat {log} >&2; exit 2; }}"
