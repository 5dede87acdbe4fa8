# Estimates and wave-to-wave shifts (shares and means), panel attrition, scale reliability,
# trends (3+ waves) and the difference in differences between arms per country (design from
# config/countries/<country>.yaml), one job: the respondent data are read once for all of them.


rule statistics:
    input:
        code=CODE,
        data="data/processed/{country}/respondents.parquet",
    output:
        estimates="reports/tables/{country}/estimates.csv",
        shifts="reports/tables/{country}/shifts.csv",
        attrition="reports/tables/{country}/attrition.csv",
        trends="reports/tables/{country}/trends.csv",
        mean_estimates="reports/tables/{country}/mean_estimates.csv",
        mean_shifts="reports/tables/{country}/mean_shifts.csv",
        scales="reports/tables/{country}/scales.csv",
        did="reports/tables/{country}/did.csv",
    log:
        "logs/{country}/statistics.log",
    benchmark:
        "logs/benchmarks/{country}/statistics.tsv"
    priority: 10  # on the critical path to the report (combining logs can wait)
    conda:
        ENV
    params:
        py=PY,
        config=config_of("statistics", country="country"),
    shell:
        "{params.py} statistics --country {wildcards.country:q} --data {input.data:q}"
        " --estimates {output.estimates:q} --shifts {output.shifts:q}"
        " --attrition {output.attrition:q} --trends {output.trends:q}"
        " --mean-estimates {output.mean_estimates:q} --mean-shifts {output.mean_shifts:q}"
        " --scales {output.scales:q} --did {output.did:q}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
