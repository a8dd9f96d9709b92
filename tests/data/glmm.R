# Reference figures for generalized linear mixed models (tests/test_glmm.c).
# Run by hand from the repository root: Rscript tests/data/glmm.R
# Writes the data sets as CSV (tests/data/cbpp.csv, grouseticks.csv, VerbAgg.csv,
# sleepstudy_bin.csv, glmm_singular.csv) and, per fit, tests/data/glmm/<name>.json
# (17 significant digits) and tests/data/glmm/<name>.txt (print(summary(m))).
suppressMessages(library(lme4))
library(jsonlite)
stopifnot(packageVersion("lme4") == "1.1.31")
options(width = 80)
write.csv(cbpp, "tests/data/cbpp.csv", row.names = FALSE)
gt <- grouseticks[, c("INDEX", "TICKS", "BROOD", "HEIGHT", "YEAR", "LOCATION")]
write.csv(gt, "tests/data/grouseticks.csv", row.names = FALSE)
va <- VerbAgg[, c("Anger", "Gender", "item", "resp", "id", "btype", "situ", "mode", "r2")]
va$r2 <- as.integer(va$r2 == "Y")   # R's factor N/Y as 0/1
write.csv(va, "tests/data/VerbAgg.csv", row.names = FALSE)
ss <- sleepstudy
ss$high <- as.integer(ss$Reaction > 300)
write.csv(ss[, c("high", "Days", "Subject")], "tests/data/sleepstudy_bin.csv", row.names = FALSE)
for (seed in 1:100) {   # the first seed whose fit is singular (no between-group variance)
  set.seed(seed)
  sg <- data.frame(g = factor(rep(sprintf("g%02d", 1:12), each = 15)), x = round(rnorm(180), 3))
  sg$y <- rbinom(180, 1, plogis(-0.3 + 0.8 * sg$x))
  if (isSingular(suppressMessages(glmer(y ~ x + (1 | g), sg, family = binomial)))) break
}
write.csv(sg, "tests/data/glmm_singular.csv", row.names = FALSE)

glmmjson <- function(name, m) {
  re <- ranef(m, condVar = TRUE)
  ranefs <- lapply(names(re), function(g) {
    r <- re[[g]]
    pv <- attr(r, "postVar")
    list(group = g, levels = rownames(r), columns = colnames(r),
         modes = unname(as.matrix(r)),
         condsd = t(sapply(seq_len(nrow(r)), function(j) sqrt(diag(as.matrix(pv[, , j]))))))
  })
  out <- list(
    formula = deparse(formula(m)), family = family(m)$family, link = family(m)$link,
    nAGQ = m@devcomp$dims[["nAGQ"]],
    devfun = unname(m@devcomp$cmp[["dev"]]), loglik = as.numeric(logLik(m)), aic = AIC(m), bic = BIC(m),
    deviance_summary = unname(summary(m)$AICtab["deviance"]),
    deviance_resid = deviance(m), df_resid = df.residual(m),
    theta = unname(getME(m, "theta")), beta = unname(fixef(m)), beta_names = names(fixef(m)),
    se = unname(sqrt(diag(as.matrix(vcov(m))))),
    se_no_hessian = unname(sqrt(diag(as.matrix(vcov(m, use.hessian = FALSE))))),
    pearson_quantiles = unname(quantile(residuals(m, type = "pearson", scaled = TRUE))),
    singular = isSingular(m), ranef = ranefs,
    fitted_head = unname(head(fitted(m), 10)))
  writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), sprintf("tests/data/glmm/%s.json", name))
  writeLines(capture.output(print(summary(m))), sprintf("tests/data/glmm/%s.txt", name))
}
cb <- read.csv("tests/data/cbpp.csv", stringsAsFactors = TRUE)
cb$herd <- factor(cb$herd); cb$period <- factor(cb$period)
fcb <- cbind(incidence, size - incidence) ~ period + (1 | herd)
glmmjson("cbpp", glmer(fcb, cb, family = binomial))
glmmjson("cbpp_agq9", glmer(fcb, cb, family = binomial, nAGQ = 9))
glmmjson("cbpp_agq25", glmer(fcb, cb, family = binomial, nAGQ = 25))
glmmjson("cbpp_probit", glmer(fcb, cb, family = binomial(link = "probit")))
glmmjson("cbpp_cloglog", glmer(fcb, cb, family = binomial(link = "cloglog")))
cb$prop <- cb$incidence / cb$size
glmmjson("cbpp_prop", glmer(prop ~ period + (1 | herd), cb, family = binomial, weights = size))
g <- read.csv("tests/data/grouseticks.csv")
for (v in c("INDEX", "BROOD", "YEAR", "LOCATION")) g[[v]] <- factor(g[[v]])
glmmjson("grouseticks", glmer(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), g, family = poisson))
v <- read.csv("tests/data/VerbAgg.csv", stringsAsFactors = TRUE)
v$id <- factor(v$id)
glmmjson("verbagg", glmer(r2 ~ Anger + Gender + btype + situ + (1 | id) + (1 | item), v, family = binomial))
s <- read.csv("tests/data/sleepstudy_bin.csv"); s$Subject <- factor(s$Subject)
glmmjson("sleep_slope", glmer(high ~ Days + (Days | Subject), s, family = binomial))
sg <- read.csv("tests/data/glmm_singular.csv", stringsAsFactors = TRUE)
glmmjson("singular", glmer(y ~ x + (1 | g), sg, family = binomial))
