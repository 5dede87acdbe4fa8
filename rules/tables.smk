# Disaggregation tables configured per country (the paper's Figures 1-3).


rule crosstab:
    input:
        code=CODE,
        data=lambda w: f"data/processed/{w.country}/{PROJECT['countries'][w.country]['tables'][w.table]['dataset']}.parquet",
        country_config="config/countries/{country}.yaml",
    output:
        "reports/tables/{country}/{table}.csv",
    wildcard_constraints:
        table=TABLES,
    log:
        "logs/{country}/crosstab_{table}.log",
    benchmark:
        "logs/benchmarks/{country}/crosstab_{table}.tsv"
    params:
        py=PY,
    conda:
        ENV
    shell:
        "{params.py} crosstab --country {wildcards.country} --table {wildcards.table} --data {input.data} --out {output}"
        " 2> {log} || {{ cat {log} >&2; exit 2; }}"
