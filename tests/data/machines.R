# Run by hand: Rscript tests/data/machines.R (from the repository root).
# nlme's Machines as CSV, and lme4's default fits of the over-specified model
# score ~ Machine + (1|Worker) + (0+Machine|Worker), REML and ML.
suppressMessages(library(lme4))
d <- as.data.frame(nlme::Machines)
d$Worker <- factor(as.character(d$Worker)); d$Machine <- factor(as.character(d$Machine))
write.csv(d[, c("Worker", "Machine", "score")], "tests/data/Machines.csv", row.names = FALSE)
f <- score ~ Machine + (1 | Worker) + (0 + Machine | Worker)
out <- NULL
for (reml in c(TRUE, FALSE)) {
    m <- lmer(f, d, REML = reml)
    crit <- if (reml) REMLcrit(m) else deviance(m)
    out <- rbind(out, data.frame(reml = as.integer(reml), criterion = sprintf("%.17g", crit),
                                 theta = paste(sprintf("%.17g", getME(m, "theta")), collapse = " "),
                                 singular = as.integer(isSingular(m)),
                                 warning = as.integer(length(m@optinfo$conv$lme4$messages) > 0)))
}
write.csv(out, "tests/data/Machines_lme4.csv", row.names = FALSE)
