# lme4's side of the scaling series (bench/scaling.sh):
#   Rscript bench/scaling_lme4.R <file.csv> <intercept|both>
# Prints, as bench/scaling.c does (user CPU seconds, peak RSS of the R process):
#   READ  <rows> <bytes> <user s> <MB/s> <peak kB>
#   MODEL <name> <build s> <fit s> <evaluations> <s per evaluation> <peak kB> <REML criterion>
# lmer's build (lFormula) and fit are timed together as the fit; build is "-".
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
path <- args[1]
models <- if (length(args) > 1) args[2] else "both"
peak_rss_kb <- function() {
  h <- grep("^VmHWM:", readLines("/proc/self/status"), value = TRUE)
  if (length(h) == 0) -1 else as.numeric(gsub("[^0-9]", "", h))
}
user <- function() proc.time()[["user.self"]]
t0 <- user()
d <- read.csv(path, stringsAsFactors = TRUE)
tr <- user() - t0
bytes <- file.size(path)
cat(sprintf("READ %d %.0f %.6g %.6g %.0f\n", nrow(d), bytes, tr, bytes / 1e6 / tr, peak_rss_kb()))
fit1 <- function(name, f) {
  gc()
  t0 <- user()
  m <- lmer(f, d, REML = TRUE)
  tf <- user() - t0
  ne <- m@optinfo$feval
  cat(sprintf("MODEL %s - %.6g %d %.6g %.0f %.6f\n", name, tf, ne, tf / ne, peak_rss_kb(), REMLcrit(m)))
}
fit1("intercept", y ~ x + (1 | g1))
if (models == "both") fit1("crossed", y ~ x + (1 | g1) + (1 | g2))
