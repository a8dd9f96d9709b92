# Run by hand from the repository root: Rscript tests/data/overspec.R
# Over-specified models, (1|g) beside (0 + f|g) for the same grouping factor,
# fitted by lme4 with its defaults (REML and ML): tests/data/overspec_lme4.csv.
# sleepstudy_f.csv is sleepstudy with a three-level factor f = Days %% 3.
suppressMessages(library(lme4))
rd <- function(f) read.csv(file.path("tests/data", f), stringsAsFactors = TRUE)
ss <- rd("sleepstudy.csv"); ss$f <- factor(paste0("f", ss$Days %% 3))
write.csv(ss, "tests/data/sleepstudy_f.csv", row.names = FALSE)
cases <- list(
  list("Machines.csv", "score ~ Machine + (1|Worker) + (0+Machine|Worker)"),
  list("sleepstudy_f.csv", "Reaction ~ Days + (1|Subject) + (0+f|Subject)"),
  list("Oats.csv", "yield ~ nitro + (1|Block) + (0+Variety|Block)"),
  list("Pastes.csv", "strength ~ 1 + (1|batch) + (0+cask|batch)"))
out <- NULL
for (cs in cases) for (reml in c(TRUE, FALSE)) {
  d <- if (cs[[1]] == "sleepstudy_f.csv") ss else rd(cs[[1]])
  m <- lmer(as.formula(cs[[2]]), d, REML = reml)
  out <- rbind(out, data.frame(file = cs[[1]], formula = cs[[2]], reml = as.integer(reml),
      criterion = sprintf("%.17g", if (reml) REMLcrit(m) else deviance(m)),
      singular = as.integer(isSingular(m)),
      messages = length(m@optinfo$conv$lme4$messages)))
}
write.csv(out, "tests/data/overspec_lme4.csv", row.names = FALSE, quote = FALSE)
