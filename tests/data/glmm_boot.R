# lme4's parametric bootstrap of a glmer fit, for tests/test_glmmsim.c: bootMer(m, fixef,
# nsim = 1000, use.u = FALSE) of cbpp's Laplace fit; the replicates' mean and sd of each
# fixed effect. Run by hand from the repository root: Rscript tests/data/glmm_boot.R
suppressMessages(library(lme4))
library(jsonlite)
stopifnot(packageVersion("lme4") == "1.1.31")
d <- read.csv("tests/data/cbpp.csv"); d$herd <- factor(d$herd); d$period <- factor(d$period)
m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), d, family = binomial)
set.seed(13)
bb <- suppressWarnings(suppressMessages(bootMer(m, fixef, nsim = 1000, use.u = FALSE, type = "parametric")))
ok <- apply(is.finite(bb$t), 1, all)
out <- list(nsim = 1000, valid = sum(ok), names = colnames(bb$t),
            mean = unname(colMeans(bb$t[ok, ])), sd = unname(apply(bb$t[ok, ], 2, sd)))
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/data/glmm/cbpp_bootmer.json")
