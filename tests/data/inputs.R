# Reference figures for missing weights/offsets (R's na.omit drops the row) and
# offsets in lm/aov (tests/test_inputs.c).
# Run by hand from the repository root: Rscript tests/data/inputs.R
# Reads tests/data/sleepstudy_w.csv (weights.R); writes tests/data/sleepstudy_wna.csv
# (the same with NA in w at rows 3, 50, 101 and in x at rows 7, 120) and
# tests/data/inputs.json (17 significant digits).
suppressMessages(library(lme4))
d <- read.csv("tests/data/sleepstudy_w.csv")
dn <- d
dn$w[c(3, 50, 101)] <- NA
dn$x[c(7, 120)] <- NA
write.csv(dn, "tests/data/sleepstudy_wna.csv", row.names = FALSE, na = "")
dn <- read.csv("tests/data/sleepstudy_wna.csv")
d$Subject <- factor(d$Subject); dn$Subject <- factor(dn$Subject)

num <- function(v) paste0("[", paste(formatC(as.numeric(v), digits = 17, format = "g"), collapse = ", "), "]")
one <- function(v) formatC(as.numeric(v), digits = 17, format = "g")
lmerjson <- function(m) paste0("{\"criterion\": ", one(REMLcrit(m)), ", \"nobs\": ", nobs(m), ", \"sigma\": ", one(sigma(m)),
                               ", \"beta\": ", num(fixef(m)), ", \"theta\": ", num(getME(m, "theta")), "}")
lmjson <- function(l) {
  s <- summary(l)
  paste0("{\"coef\": ", num(coef(l)), ", \"se\": ", num(s$coefficients[, 2]), ", \"sigma\": ", one(s$sigma),
         ", \"rss\": ", one(deviance(l)), ", \"nobs\": ", nobs(l), ", \"r2\": ", one(s$r.squared),
         ", \"adj_r2\": ", one(s$adj.r.squared), ", \"fstat\": ", if (is.null(s$fstatistic)) "null" else one(s$fstatistic[1]),
         ", \"loglik\": ", one(logLik(l)), ", \"fitted\": ", num(head(fitted(l), 10)), ", \"resid\": ", num(head(resid(l), 10)), "}")
}
aovjson <- function(l) { a <- anova(l); paste0("{\"df\": ", num(a$Df), ", \"ss\": ", num(a$`Sum Sq`), ", \"F\": ", num(head(a$`F value`, -1)), "}") }

f <- Reaction ~ Days + (Days | Subject)
out <- c("{",
  # missing weights / offsets: the rows are dropped (na.omit), as for a missing response
  paste0("\"lmer_wna\": ", lmerjson(lmer(f, dn, weights = w)), ","),
  paste0("\"lmer_wna_offlog\": ", lmerjson(lmer(Reaction ~ Days + offset(log(x)) + (Days | Subject), dn, weights = w)), ","),
  paste0("\"lmer_offcol_na\": ", lmerjson(lmer(f, dn, offset = x)), ","),
  paste0("\"lm_wna\": ", lmjson(lm(Reaction ~ Days, dn, weights = w)), ","),
  paste0("\"aov_wna\": ", aovjson(lm(Reaction ~ Days + Subject, dn, weights = w)), ","),
  paste0("\"lm_wna_offlog\": ", lmjson(lm(Reaction ~ Days + offset(log(x)), dn, weights = w)), ","),
  # offsets in lm and aov
  paste0("\"lm_offlog\": ", lmjson(lm(Reaction ~ Days + offset(log(x)), d)), ","),
  paste0("\"lm_offvec\": ", lmjson(lm(Reaction ~ Days, d, offset = 2 * Days)), ","),
  paste0("\"lm_offcol_w\": ", lmjson(lm(Reaction ~ Days, d, offset = x, weights = w)), ","),
  paste0("\"lm_off_noint\": ", lmjson(lm(Reaction ~ 0 + Days + offset(x) + offset(log(x)), d)), ","),
  paste0("\"aov_off\": ", aovjson(lm(Reaction ~ Days + Subject + offset(2 * Days), d)), ","),
  paste0("\"aov_off_w\": ", aovjson(lm(Reaction ~ Days + Subject + offset(log(x)), d, weights = w)), ","),
  paste0("\"aov_off_effects\": ", num(model.tables(aov(Reaction ~ Subject + offset((0:179) %% 7), d), "effects")$tables$Subject)),
  "}")
writeLines(out, "tests/data/inputs.json")
