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
        logs=lambda w: [f"data/processed/{w.country}/logs/{d}.{kind}.csv" for kind in LOG_KINDS for d in datasets(w.country)],
    output:
        expand("data/processed/{{country}}/{kind}.csv", kind=LOG_KINDS),
    log:
        "logs/{country}/combine_logs.log",
    benchmark:
        "logs/benchmarks/{country}/combine_logs.tsv"
    params:
        py=PY,
        datasets=lambda w: " ".join(datasets(w.country)),
    conda:
        ENV
    shell:
        "{params.py} combine-logs --dir data/processed/{wildcards.country} --datasets {params.datasets}"
        " 2> {log} || {{ cat {log} >&2; exit 2; }}"
