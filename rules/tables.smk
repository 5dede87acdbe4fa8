# Disaggregation tables configured per country (the paper's Figures 1-3).


rule crosstab:
    input:
        code=CODE,
        data=lambda w: (
            f"data/processed/{w.country}/"
            f"{PROJECT.countries[w.country].tables[w.table].dataset}.parquet"
        ),
    output:
        "reports/tables/{country}/{table}.csv",
    log:
        "logs/{country}/crosstab_{table}.log",
    benchmark:
        "logs/benchmarks/{country}/crosstab_{table}.tsv"
    wildcard_constraints:
        table=TABLES,
    conda:
        ENV
    params:
        py=PY,
        config=config_of("crosstab", country="country", table="table"),
    shell:
        "{params.py} crosstab --country {wildcards.country:q} --table {wildcards.table:q}"
        " --data {input.data:q}"
        " --out {output:q} 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
