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


rule dictionary:
    input:
        code=CODE,
        data=lambda w: [f"data/processed/{w.country}/{d}.parquet" for d in datasets(w.country)],
    output:
        "reports/tables/{country}/dictionary.csv",
    log:
        "logs/{country}/dictionary.log",
    benchmark:
        "logs/benchmarks/{country}/dictionary.tsv"
    conda:
        ENV
    params:
        py=PY,
        config=config_of("dictionary", country="country"),
    shell:
        "{params.py} dictionary --country {wildcards.country:q}"
        " --processed data/processed/{wildcards.country:q}"
        " --out {output:q} 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"


rule workbook:
    input:
        code=CODE,
        tables=lambda w: workbook_tables(w.country),
    output:
        "reports/tables/{country}/{country}.xlsx",
    log:
        "logs/{country}/workbook.log",
    benchmark:
        "logs/benchmarks/{country}/workbook.tsv"
    conda:
        ENV
    params:
        py=PY,
        config=config_of("workbook", country="country"),
    shell:
        "{params.py} workbook --country {wildcards.country:q} --tables {input.tables:q}"
        " --out {output:q} 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
