# Charts, display tables (HTML, Markdown, LaTeX) and the one self-contained report.


rule chart_table:
    input:
        code=FIGURE_CODE,
        table="reports/tables/{country}/{table}.csv",
    output:
        png=report("reports/figures/{country}/{table}.png", category="Figures 1-3", subcategory="{country}"),
        svg="reports/figures/{country}/{table}.svg",
    wildcard_constraints:
        table=CHART_TABLES,
    log:
        "logs/{country}/chart_{table}.log",
    benchmark:
        "logs/benchmarks/{country}/chart_{table}.tsv"
    params:
        py=FIG,
        chart=lambda w: PROJECT["countries"][w.country]["tables"][w.table]["chart"],
        data=lambda w: chart_data(w.country, PROJECT["countries"][w.country]["tables"][w.table]["dataset"]),
    conda:
        ENV
    shell:
        "{params.py} {params.chart} --country {wildcards.country} --table {wildcards.table} "
        "--out-stem reports/figures/{wildcards.country}/{wildcards.table} --data '{params.data}' > {log} 2>&1"
        " || {{ cat {log} >&2; exit 2; }}"


rule chart_shifts:
    input:
        code=FIGURE_CODE,
        estimates="reports/tables/{country}/estimates.csv",
        shifts="reports/tables/{country}/shifts.csv",
        indicators="config/indicators.yaml",
    output:
        png=report("reports/figures/{country}/{chart}.png", category="Shifts", subcategory="{country}"),
        svg="reports/figures/{country}/{chart}.svg",
    wildcard_constraints:
        chart="dumbbell|forest",
    log:
        "logs/{country}/chart_{chart}.log",
    benchmark:
        "logs/benchmarks/{country}/chart_{chart}.tsv"
    priority: 20   # the longest jobs after the statistics: start them before the small ones
    params:
        py=FIG,
        data=lambda w: chart_data(w.country, "respondents"),
    conda:
        ENV
    shell:
        "{params.py} {wildcards.chart} --country {wildcards.country} --indicators {input.indicators} "
        "--out-stem reports/figures/{wildcards.country}/{wildcards.chart} --data '{params.data}' > {log} 2>&1"
        " || {{ cat {log} >&2; exit 2; }}"


rule display_table:
    input:
        code=FIGURE_CODE,
        tables=lambda w: display_table_inputs(w.country, w.name),
    output:
        html="reports/tables/{country}/{name}.html",
        md="reports/tables/{country}/{name}.md",
        tex="reports/tables/{country}/{name}.tex",
    log:
        "logs/{country}/display_{name}.log",
    benchmark:
        "logs/benchmarks/{country}/display_{name}.tsv"
    priority: 10
    params:
        py=FIG,
    conda:
        ENV
    shell:
        "{params.py}.tables --country {wildcards.country} --name {wildcards.name} "
        "--out-stem reports/tables/{wildcards.country}/{wildcards.name} 2> {log} || {{ cat {log} >&2; exit 2; }}"


rule html_report:
    input:
        code=CODE + FIGURE_CODE,
        charts=chart_outputs(),   # the report renders its tables from the CSVs, not from the display tables
        audit=audit_outputs(),
        statistics=statistics_outputs(),
        data=clean_outputs(),
    output:
        report("reports/report.html", category="Report"),
    log:
        "logs/report.log",
    benchmark:
        "logs/benchmarks/report.tsv"
    priority: 10
    params:
        py=FIG,
    conda:
        ENV
    shell:
        "{params.py}.report --out {output} 2> {log} || {{ cat {log} >&2; exit 2; }}"


rule manifest:
    input:
        code=CODE,
        everything=clean_outputs() + table_outputs() + statistics_outputs() + audit_outputs() + chart_outputs()
        + display_table_outputs() + ["reports/report.html"],
    output:
        "reports/manifest.json",
    log:
        "logs/manifest.log",
    benchmark:
        "logs/benchmarks/manifest.tsv"
    params:
        py=PY,
    conda:
        ENV
    shell:
        "{params.py} manifest --out {output} 2> {log} || {{ cat {log} >&2; exit 2; }}"
