# Reference intervals for lmm_confint (tests/test_confint.c, tests/cli.sh).
# Run by hand from the repository root: LC_ALL=C Rscript tests/data/confint.R
# Writes tests/data/confint/<case>.json: lme4's confint(m, method = "profile") and
# confint(m, method = "Wald") (row names, lower, upper; 17 significant digits), the ML
# deviance profile.merMod is based on (it profiles the ML refit of a REML fit), and
# R's printed profile and Wald matrices at the default width.
suppressMessages(library(lme4))
options(width = 80)
rd <- function(f) read.csv(file.path("tests/data", f), stringsAsFactors = TRUE)
sleepstudy <- rd("sleepstudy.csv"); sleepstudy$Subject <- factor(sleepstudy$Subject)
sleepstudy_w <- rd("sleepstudy_w.csv"); sleepstudy_w$Subject <- factor(sleepstudy_w$Subject)
pulp <- rd("pulp.csv"); Penicillin <- rd("Penicillin.csv"); Pastes <- rd("Pastes.csv")
Dyestuff <- rd("Dyestuff.csv"); Dyestuff2 <- rd("Dyestuff2.csv")
num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", formatC(as.numeric(v), digits = 17, format = "g")), collapse = ", "), "]")
str1 <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", s)), "\"")
strv <- function(v) paste0("[", paste(sapply(v, str1), collapse = ", "), "]")
case <- function(name, data, csv, formula, REML = TRUE, level = 0.95, weights = NULL) {
  dd <- get(data)
  dd$.w <- if (is.null(weights)) rep(1, nrow(dd)) else dd[[weights]]
  m <- if (is.null(weights)) lmer(as.formula(formula), dd, REML = REML) else lmer(as.formula(formula), dd, REML = REML, weights = .w)
  pr <- suppressWarnings(suppressMessages(confint(m, method = "profile", level = level)))
  wa <- confint(m, method = "Wald", level = level)
  mml <- if (REML) refitML(m) else m
  txt <- capture.output(print(pr))
  json <- paste0("{\n",
    "  \"data\": ", str1(csv), ",\n",
    "  \"formula\": ", str1(formula), ",\n",
    "  \"reml\": ", tolower(REML), ",\n",
    "  \"weights\": ", if (is.null(weights)) "null" else str1(weights), ",\n",
    "  \"level\": ", level, ",\n",
    "  \"ml_deviance\": ", formatC(deviance(mml), digits = 17, format = "g"), ",\n",
    "  \"names\": ", strv(rownames(pr)), ",\n",
    "  \"columns\": ", strv(colnames(pr)), ",\n",
    "  \"profile_lower\": ", num(pr[, 1]), ",\n",
    "  \"profile_upper\": ", num(pr[, 2]), ",\n",
    "  \"wald_lower\": ", num(wa[, 1]), ",\n",
    "  \"wald_upper\": ", num(wa[, 2]), ",\n",
    "  \"printed\": ", strv(txt), ",\n",
    "  \"wald_printed\": ", strv(capture.output(print(wa))), "\n}\n")
  writeLines(json, file.path("tests/data/confint", paste0(name, ".json")), sep = "")
}
case("sleepstudy_REML", "sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days|Subject)")
case("sleepstudy_ML", "sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days|Subject)", REML = FALSE)
case("sleepstudy_REML_90", "sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days|Subject)", level = 0.9)
# prior weights: lme4 1.1-31 warns "non-monotonic profile" for the fixed effects and its limits
# for them are wrong (50 times narrower than Wald's); the test compares the variance parameters only
case("sleepstudy_w_REML", "sleepstudy_w", "sleepstudy_w.csv", "Reaction ~ Days + (Days|Subject)", weights = "w")
case("pulp_REML", "pulp", "pulp.csv", "bright ~ 1 + (1|operator)")
case("Penicillin_REML", "Penicillin", "Penicillin.csv", "diameter ~ 1 + (1|plate) + (1|sample)")
case("Pastes_REML", "Pastes", "Pastes.csv", "strength ~ 1 + (1|batch/cask)")
case("Dyestuff_REML", "Dyestuff", "Dyestuff.csv", "Yield ~ 1 + (1|Batch)")
case("Dyestuff_REML_90", "Dyestuff", "Dyestuff.csv", "Yield ~ 1 + (1|Batch)", level = 0.9)
case("Dyestuff2_REML", "Dyestuff2", "Dyestuff2.csv", "Yield ~ 1 + (1|Batch)")
cat(sprintf("lme4 %s, %s\n", packageVersion("lme4"), R.version.string), file = "tests/data/confint/versions.txt")
