# Reference figures for the glmer parametric bootstrap (tests/test_glmmsim.c).
# Run by hand from the repository root: Rscript tests/data/glmm_boot.R
# Writes tests/data/glmm/cbpp_boot.json: lme4's bootMer(m, fixef) of the cbpp
# Laplace fit (nsim replicates, use.u = FALSE): the mean and sd of each fixed
# effect over the replicates, and a PBmodcomp-style LRT of period.
suppressMessages(library(lme4))
library(jsonlite)
stopifnot(packageVersion("lme4") == "1.1.31")
m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
nsim <- 1000
set.seed(20261130)
bb <- bootMer(m, fixef, nsim = nsim, use.u = FALSE, type = "parametric")
t <- bb$t[complete.cases(bb$t), , drop = FALSE]
m0 <- glmer(cbind(incidence, size - incidence) ~ 1 + (1 | herd), cbpp, family = binomial)
out <- list(nsim = nsim, nvalid = nrow(t), fixef = unname(fixef(m)),
            boot_mean = unname(colMeans(t)), boot_sd = unname(apply(t, 2, sd)),
            lrt_observed = as.numeric(2 * (logLik(m) - logLik(m0))))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE), "tests/data/glmm/cbpp_boot.json")
