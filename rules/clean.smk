# Cleaning: one job per country x dataset, then per-country logs combined.


rule clean_dataset:
    input:
        code=CODE,
        raw=lambda w: raw_files(w.country, w.dataset),
        country_config="config/countries/{country}.yaml",
        indicators="config/indicators.yaml",
    output:
        data="data/processed/{country}/{dataset}.parquet",
        exclusions="data/processed/{country}/logs/{dataset}.exclusions.csv",
        log="data/processed/{country}/logs/{dataset}.cleaning_log.csv",
        accounting="data/processed/{country}/logs/{dataset}.row_accounting.csv",
    log:
        "logs/{country}/clean_{dataset}.log",
    benchmark:
        "logs/benchmarks/{country}/clean_{dataset}.tsv"
    threads: clean_threads
    params:
        py=PY,
    conda:
        ENV
    shell:
        "{params.py} clean --country {wildcards.country} --dataset {wildcards.dataset} --out-dir data/processed/{wildcards.country}"
        " --workers {threads}"
        " 2> {log} || {{ cat {log} >&2; exit 2; }}"


rule combine_logs:
    input:
        code=CODE,
        logs=lambda w: [f"data/processed/{w.country}/logs/{d}.{w.kind}.csv" for d in datasets(w.country)],
    output:
        "data/processed/{country}/{kind}.csv",
    wildcard_constraints:
        kind="exclusions|cleaning_log|row_accounting",
    log:
        "logs/{country}/combine_{kind}.log",
    benchmark:
        "logs/benchmarks/{country}/combine_{kind}.tsv"
    params:
        py=PY,
    conda:
        ENV
    shell:
        "{params.py} combine-logs --out {output} {input.logs} 2> {log} || {{ cat {log} >&2; exit 2; }}"
