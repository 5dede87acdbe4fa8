# Charts, display tables (HTML, Markdown, LaTeX) and the one self-contained report.
# The chart and table commands read their text (source line, labels, titles) from the config
# themselves.


rule chart_table:
    input:
        code=FIGURE_CODE,
        table="reports/tables/{country}/{table}.csv",
    output:
        png=report(
            "reports/figures/{country}/{table}.png",
            category="Figures 1-3",
            subcategory="{country}",
        ),
        svg="reports/figures/{country}/{table}.svg",
    log:
        "logs/{country}/chart_{table}.log",
    benchmark:
        "logs/benchmarks/{country}/chart_{table}.tsv"
    wildcard_constraints:
        table=CHART_TABLES,
    conda:
        ENV
    params:
        py=FIG,
        config=config_of("chart_table", country="country", table="table"),
    shell:
        "{params.py} table --country {wildcards.country:q} --table {wildcards.table:q}"
        " --out-stem reports/figures/{wildcards.country:q}/{wildcards.table:q} > {log:q} 2>&1"
        " || {{ cat {log:q} >&2; exit 2; }}"


rule chart_shifts:
    input:
        code=FIGURE_CODE,
        estimates="reports/tables/{country}/estimates.csv",
        shifts="reports/tables/{country}/shifts.csv",
    output:
        png=report(
            "reports/figures/{country}/{chart}.png", category="Shifts", subcategory="{country}"
        ),
        svg="reports/figures/{country}/{chart}.svg",
    log:
        "logs/{country}/chart_{chart}.log",
    benchmark:
        "logs/benchmarks/{country}/chart_{chart}.tsv"
    wildcard_constraints:
        chart=SHIFT_CHART_STEMS,  # page 1: dumbbell.png; page 2: dumbbell_p2.png
    priority: 20  # the longest jobs after the statistics: start them before the small ones
    conda:
        ENV
    params:
        py=FIG,
        config=config_of("chart_shifts", country="country"),
        kind=lambda w: chart_job(w.chart)[0],
        page=lambda w: chart_job(w.chart)[1],
        by=lambda w: chart_job(w.chart)[2],  # a grouping's file-name form, or ""
    shell:
        "{params.py} {params.kind:q} --page {params.page:q} --by={params.by:q}"
        " --country {wildcards.country:q}"
        " --out-stem reports/figures/{wildcards.country:q}/{wildcards.chart:q} > {log:q} 2>&1"
        " || {{ cat {log:q} >&2; exit 2; }}"


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
    wildcard_constraints:
        name=DISPLAY_NAMES,
    priority: 10
    conda:
        ENV
    params:
        py=FIG,
        config=lambda w: config_digest(
            PROJECT, display_job(PROJECT, w.country, w.name), country=w.country, table=w.name
        ),
    shell:
        "{params.py}.tables --country {wildcards.country:q} --name {wildcards.name:q}"
        " --out-stem reports/tables/{wildcards.country:q}/{wildcards.name:q}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"


rule html_report:
    input:
        code=CODE + FIGURE_CODE,
        claims=PROJECT.settings.claims or [],  # the paper's title and the claims' cells
        # the report renders its tables from the CSVs, not from the display tables
        charts=chart_outputs(),
        audit=audit_outputs(),
        statistics=statistics_outputs(),
        dictionaries=[f"reports/tables/{c}/dictionary.csv" for c in COUNTRIES],
        data=clean_outputs(),
    output:
        report("reports/report.html", category="Report"),
    log:
        "logs/report.log",
    benchmark:
        "logs/benchmarks/report.tsv"
    priority: 10
    conda:
        ENV
    params:
        py=FIG,
        config=lambda w: config_digest(PROJECT, "report"),
    shell:
        "{params.py}.report --out {output:q} 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"


rule manifest:
    input:
        code=CODE,
        config=config_files(),  # the manifest records every config file's hash, comments included
        everything=clean_outputs()
        + table_outputs()
        + statistics_outputs()
        + audit_outputs()
        + chart_outputs()
        + display_table_outputs()
        + workbook_outputs()
        + ["reports/report.html"],
    output:
        "reports/manifest.json",
    log:
        "logs/manifest.log",
    benchmark:
        "logs/benchmarks/manifest.tsv"
    conda:
        ENV
    params:
        py=PY,
        # also when a file got OLDER
        inputs_content=lambda w: raw_digest(ROOT, all_raw_files() + config_files()),
    shell:
        "{params.py} manifest --out {output:q} 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
