# Cleaning: one job per country x dataset, then per-country logs combined.


rule clean_dataset:
    input:
        code=CODE,
        raw=lambda w: raw_files(w.country, w.dataset),
    output:
        data="data/processed/{country}/{dataset}.parquet",
        exclusions="data/processed/{country}/logs/{dataset}.exclusions.csv",
        log="data/processed/{country}/logs/{dataset}.cleaning_log.csv",
        accounting="data/processed/{country}/logs/{dataset}.row_accounting.csv",
    log:
        "logs/{country}/clean_{dataset}.log",
    benchmark:
        "logs/benchmarks/{country}/clean_{dataset}.tsv"
    conda:
        ENV
    threads: clean_threads
    params:
        py=PY,
        config=config_of("clean", country="country", dataset="dataset"),
        raw_content=lambda w: raw_content(w.country, w.dataset),
    shell:
        "{params.py} clean --country {wildcards.country:q} --dataset {wildcards.dataset:q}"
        " --out-dir data/processed/{wildcards.country:q} --workers {threads}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"


rule combine_logs:
    input:
        code=CODE,
        logs=lambda w: [
            f"data/processed/{w.country}/logs/{d}.{kind}.csv"
            for kind in LOG_KINDS
            for d in datasets(w.country)
        ],
    output:
        expand("data/processed/{{country}}/{kind}.csv", kind=LOG_KINDS),
    log:
        "logs/{country}/combine_logs.log",
    benchmark:
        "logs/benchmarks/{country}/combine_logs.tsv"
    conda:
        ENV
    params:
        py=PY,
        datasets=lambda w: datasets(w.country),
    shell:
        "{params.py} combine-logs --dir data/processed/{wildcards.country:q}"
        " --datasets {params.datasets:q}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
