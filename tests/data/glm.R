# Reference figures for plain GLMs (R's glm) and lme4's anova(glmer, glm) (tests/test_glm.c).
# Run by hand from the repository root: Rscript tests/data/glm.R
# Reads the CSVs written by tests/data/glmm.R; writes tests/data/glm/<name>.json (17 digits)
# and tests/data/glm/<name>.txt (print(summary(m))).
suppressMessages(library(lme4))
library(jsonlite)
stopifnot(packageVersion("lme4") == "1.1.31")
options(width = 80)

glmjson <- function(name, m) {
  s <- summary(m)
  cf <- coef(s)
  out <- list(
    formula = deparse(formula(m)), family = family(m)$family, link = family(m)$link,
    coef_names = rownames(cf), coef = unname(cf[, 1]), se = unname(cf[, 2]), z = unname(cf[, 3]), p = unname(cf[, 4]),
    deviance = deviance(m), null_deviance = m$null.deviance, aic = AIC(m), bic = BIC(m),
    loglik = as.numeric(logLik(m)), df_residual = m$df.residual, df_null = m$df.null, iter = m$iter,
    nobs = nobs(m))
  writeLines(toJSON(out, digits = I(17), auto_unbox = TRUE), sprintf("tests/data/glm/%s.json", name))
  writeLines(capture.output(print(s)), sprintf("tests/data/glm/%s.txt", name))
}

cb <- read.csv("tests/data/cbpp.csv")
cb$herd <- factor(cb$herd); cb$period <- factor(cb$period)
fcb <- cbind(incidence, size - incidence) ~ period
# the formulas written out, so that print(summary(m))'s Call shows them
glmjson("cbpp", glm(cbind(incidence, size - incidence) ~ period, cb, family = binomial))
glmjson("cbpp_probit", glm(cbind(incidence, size - incidence) ~ period, cb, family = binomial(link = "probit")))
glmjson("cbpp_cloglog", glm(cbind(incidence, size - incidence) ~ period, cb, family = binomial(link = "cloglog")))
glmjson("cbpp_prop", glm(incidence / size ~ period, cb, family = binomial, weights = size))
glmjson("cbpp_offset", glm(incidence ~ period + offset(log(size)), cb, family = poisson))
s <- read.csv("tests/data/sleepstudy_bin.csv")
glmjson("sleep_cloglog", glm(high ~ Days, s, family = binomial(link = "cloglog")))
g <- read.csv("tests/data/grouseticks.csv")
for (v in c("INDEX", "BROOD", "YEAR", "LOCATION")) g[[v]] <- factor(g[[v]])
glmjson("grouseticks", glm(TICKS ~ YEAR + scale(HEIGHT), g, family = poisson))

# lme4's anova of a glmer fit and the glm without its random effects
m1 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cb, family = binomial)
m0 <- glm(cbind(incidence, size - incidence) ~ period, cb, family = binomial)
a <- anova(m1, m0)
writeLines(toJSON(list(rows = rownames(a), npar = a$npar, loglik = a$logLik, aic = a$AIC, bic = a$BIC,
                       deviance = a$deviance, chisq = a$Chisq, df = a[["Df"]], p = a[["Pr(>Chisq)"]]),
                  digits = I(17), auto_unbox = TRUE, na = "null"), "tests/data/glm/anova_cbpp.json")
writeLines(capture.output(print(a)), "tests/data/glm/anova_cbpp.txt")
