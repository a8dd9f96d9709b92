# Reference for a glmer fit lme4 warns about (tests/test_glmm.c, glmm_warn): grouseticks with
# HEIGHT unscaled, so the Hessian's largest eigenvalue passes 1e6 and the gradient check fails.
# Run by hand from the repository root: Rscript tests/data/glmm_warn.R
suppressMessages(library(lme4))
library(jsonlite)
stopifnot(packageVersion("lme4") == "1.1.31")
d <- read.csv("tests/data/grouseticks.csv")
m <- suppressWarnings(glmer(TICKS ~ factor(YEAR) + HEIGHT + (1 | BROOD), d, family = poisson))
out <- list(formula = "TICKS ~ factor(YEAR) + HEIGHT + (1|BROOD)", deviance = -2 * as.numeric(logLik(m)),
            theta = unname(getME(m, "theta")), beta = unname(fixef(m)),
            messages = unlist(m@optinfo$conv$lme4$messages),
            hessian_eigen = eigen(m@optinfo$derivs$Hessian, only.values = TRUE)$values)
writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE, pretty = TRUE), "tests/data/glmm/unscaled.json")
