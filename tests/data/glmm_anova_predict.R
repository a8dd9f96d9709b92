# Reference figures for anova() and predict() of glmer fits (tests/test_glmm_infer.c).
# Run by hand from the repository root: Rscript tests/data/glmm_anova_predict.R
# Reads tests/data/cbpp.csv and grouseticks.csv (written by glmm.R); writes
# tests/data/glmm/cbpp_new.csv, grouseticks_new.csv, anova_predict.json and the
# printed anova tables tests/data/glmm/anova_cbpp.txt, anova_grouse.txt.
suppressMessages(library(lme4))
library(jsonlite)
stopifnot(packageVersion("lme4") == "1.1.31")
options(width = 80)
cbpp <- read.csv("tests/data/cbpp.csv", stringsAsFactors = TRUE)
cbpp$herd <- factor(cbpp$herd); cbpp$period <- factor(cbpp$period)
grouse <- read.csv("tests/data/grouseticks.csv", stringsAsFactors = TRUE)
for (v in c("INDEX", "BROOD", "YEAR", "LOCATION")) grouse[[v]] <- factor(grouse[[v]])

lrt <- function(a) list(rows = rownames(a), npar = a$npar, aic = a$AIC, bic = a$BIC, loglik = a$logLik,
                        deviance = a$deviance, chisq = a$Chisq, df = a$Df, p = a[["Pr(>Chisq)"]])
# anova of nested glmer fits
gm0 <- glmer(cbind(incidence, size - incidence) ~ 1 + (1 | herd), cbpp, family = binomial)
gm1 <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, family = binomial)
a_cb <- anova(gm1, gm0)
writeLines(capture.output(print(a_cb)), "tests/data/glmm/anova_cbpp.txt")
gt1 <- glmer(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION), grouse, family = poisson)
gt0 <- glmer(TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | LOCATION), grouse, family = poisson)
gt00 <- glmer(TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION), grouse, family = poisson)
a_gt <- anova(gt00, gt1, gt0)
writeLines(capture.output(print(a_gt)), "tests/data/glmm/anova_grouse.txt")

# predict on new data: existing and new levels, link and response, conditional and population
cbnew <- data.frame(herd = c("1", "5", "16", "16", "3"), period = c("1", "4", "2", "1", "3"),
                    size = c(10, 20, 5, 8, 12), incidence = c(1, 2, 0, 1, 3))
write.csv(cbnew, "tests/data/glmm/cbpp_new.csv", row.names = FALSE)
cbnew$herd <- factor(cbnew$herd); cbnew$period <- factor(cbnew$period, levels = levels(cbpp$period))
gtnew <- grouse[c(1, 50, 200, 403), ]
gtnew <- rbind(gtnew, data.frame(INDEX = "9999", TICKS = 0, BROOD = "999", HEIGHT = 480, YEAR = "96", LOCATION = "63"))
gtnew$TICKS <- NULL
write.csv(gtnew, "tests/data/glmm/grouseticks_new.csv", row.names = FALSE)
# a Poisson model with an offset
gmo <- glmer(incidence ~ period + offset(log(size)) + (1 | herd), cbpp, family = poisson)
pr <- function(m, nd) list(
  link_cond = unname(predict(m, newdata = nd, type = "link", allow.new.levels = TRUE)),
  resp_cond = unname(predict(m, newdata = nd, type = "response", allow.new.levels = TRUE)),
  link_pop = unname(predict(m, newdata = nd, type = "link", re.form = NA)),
  resp_pop = unname(predict(m, newdata = nd, type = "response", re.form = NA)),
  fitted_link = unname(predict(m, type = "link")),
  fitted_resp_pop = unname(predict(m, type = "response", re.form = NA)),
  # lme4's own estimates (scalar terms), to test the prediction apart from the optimizer's digits
  beta = unname(fixef(m)),
  ranef = lapply(names(ranef(m)), function(g) list(group = g, levels = rownames(ranef(m)[[g]]),
                                                   values = unname(ranef(m)[[g]][, 1]))))
out <- list(
  anova_cbpp = lrt(a_cb), anova_grouse = lrt(a_gt),
  predict_cbpp = pr(gm1, cbnew), predict_grouse = pr(gt1, gtnew), predict_offset = pr(gmo, cbnew),
  offset_deviance = unname(gmo@devcomp$cmp[["dev"]]))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/data/glmm/anova_predict.json")
