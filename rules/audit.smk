# Reviewer's audit: every registered claim recomputed from the tables and processed data, and every
# registered statement (the paper's comparative and quantified words) checked (statements.csv).


rule audit:
    input:
        code=CODE,
        claims=PROJECT.settings.claims or [],
        statements=PROJECT.settings.statements or [],
        tables=table_outputs(),
        statistics=statistics_outputs(),
        data=clean_outputs(),
    output:
        claims="reports/audit/claims.csv",
        consistency="reports/audit/consistency.csv",
        findings="reports/audit/findings.md",
        provenance="reports/audit/provenance.json",
        statements="reports/audit/statements.csv",
    log:
        "logs/audit.log",
    benchmark:
        "logs/benchmarks/audit.tsv"
    conda:
        ENV
    params:
        py=PY,
        config=lambda w: config_digest(PROJECT, "audit"),
    shell:
        "{params.py}.audit run --claims {input.claims:q}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
