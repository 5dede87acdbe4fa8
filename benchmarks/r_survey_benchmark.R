# R `survey` doing the design-based estimation stage on the benchmark country: for 30 indicators x 2 waves,
# svymean overall and by sex (svyby), with the same strata, clusters and weights. Reads a CSV exported from
# data/processed/bench/respondents.parquet by run_r_comparison.py; the read is timed separately.
#   Rscript benchmarks/r_survey_benchmark.R /tmp/bench_1m.csv
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1])
t_read <- proc.time()[["elapsed"]] - t0
items <- grep("^bench_item", names(d), value = TRUE)
t1 <- proc.time()[["elapsed"]]
for (w in c("baseline", "endline")) {
  dw <- d[d$wave == w, ]
  des <- svydesign(ids = ~cluster, strata = ~stratum, weights = ~weight, data = dw, nest = TRUE)
  for (it in items) {
    f <- as.formula(paste0("~", it))
    m <- svymean(f, des, na.rm = TRUE)
    b <- svyby(f, ~sex, des, svymean, na.rm = TRUE)
  }
}
t_est <- proc.time()[["elapsed"]] - t1
cat(sprintf('{"r_read_seconds": %.2f, "r_estimation_seconds": %.2f, "r_version": "%s", "survey": "%s"}\n',
            t_read, t_est, R.version.string, as.character(packageVersion("survey"))))
