# Estimates and wave-to-wave shifts (shares and means), panel attrition, scale reliability,
# trends (3+ waves), the difference in differences between arms, the group comparisons at each
# wave and the composition-adjusted change per country (design from
# config/countries/<country>.yaml), one job: the respondent data
# are read once for all of them.
# Rule power plans the next round from the estimates.


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
        comparisons="reports/tables/{country}/comparisons.csv",
        adjusted="reports/tables/{country}/adjusted.csv",
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
        " --comparisons {output.comparisons:q} --adjusted {output.adjusted:q}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"


# Planning the next round: per indicator x group at its last wave, the minimum detectable change and
# the respondents per wave for the target change (settings: alpha, power, target_change_pp/_sd).
rule power:
    input:
        code=CODE,
        estimates="reports/tables/{country}/estimates.csv",
        mean_estimates="reports/tables/{country}/mean_estimates.csv",
    output:
        power="reports/tables/{country}/power.csv",
    log:
        "logs/{country}/power.log",
    benchmark:
        "logs/benchmarks/{country}/power.tsv"
    conda:
        ENV
    params:
        py=PY,
        config=config_of("power", country="country"),
    shell:
        "{params.py} power --country {wildcards.country:q} --estimates {input.estimates:q}"
        " --mean-estimates {input.mean_estimates:q} --out {output.power:q}"
        " 2> {log:q} || {{ cat {log:q} >&2; exit 2; }}"
