# Reference figures for prior weights and offsets (tests/test_weights.c).
# Run by hand from the repository root: Rscript tests/data/weights.R
# Writes tests/data/sleepstudy_w.csv (sleepstudy plus a weight column w and a
# positive covariate x) and tests/data/weights.json (17 significant digits).
suppressMessages(library(lme4))
d <- read.csv("tests/data/sleepstudy.csv")
d$Subject <- factor(d$Subject)
d$w <- 1 / (d$Days + 1)
d$x <- d$Days + 1
write.csv(d[, c("Reaction", "Days", "Subject", "w", "x")], "tests/data/sleepstudy_w.csv", row.names = FALSE)

num <- function(v) paste0("[", paste(formatC(as.numeric(v), digits = 17, format = "g"), collapse = ", "), "]")
one <- function(v) formatC(as.numeric(v), digits = 17, format = "g")
fitjson <- function(m) {
  s <- summary(m)
  paste0("{",
    "\"criterion\": ", one(if (isREML(m)) REMLcrit(m) else deviance(m)),
    ", \"deviance\": ", one(deviance(m, REML = FALSE)),
    ", \"loglik\": ", one(logLik(m)),
    ", \"aic\": ", one(AIC(m)), ", \"bic\": ", one(BIC(m)),
    ", \"sigma\": ", one(sigma(m)),
    ", \"theta\": ", num(getME(m, "theta")),
    ", \"beta\": ", num(fixef(m)),
    ", \"se\": ", num(sqrt(diag(as.matrix(vcov(m))))),
    ", \"fitted\": ", num(head(fitted(m), 10)),
    ", \"resid\": ", num(head(resid(m), 10)),
    ", \"scaled_resid_quantiles\": ", num(quantile(residuals(m, type = "pearson", scaled = TRUE))),
    ", \"ranef\": ", num(as.matrix(ranef(m)$Subject)),
    "}")
}
f <- Reaction ~ Days + (Days | Subject)
mw <- lmer(f, d, weights = w)
mwml <- lmer(f, d, weights = w, REML = FALSE)
mw3 <- lmer(f, d, weights = rep(3, nrow(d)))
mo <- lmer(Reaction ~ Days + offset(2 * Days) + (Days | Subject), d)
mlog <- lmer(Reaction ~ Days + offset(log(x)) + (Days | Subject), d, weights = w)
nd <- data.frame(Days = c(0, 2.5, 9), x = c(1, 3.5, 10), Subject = factor(c("308", "309", "372"), levels = levels(d$Subject)))
l <- lm(Reaction ~ Days, d, weights = w)
sl <- summary(l)
a <- anova(lm(Reaction ~ Days + Subject, d, weights = w))
d0 <- d; d0$w[1:2] <- 0   # zero weights: lm fits without those rows
s0 <- summary(lm(Reaction ~ Days, d0, weights = w))
pen <- read.csv("tests/data/Penicillin.csv")
mpen <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), pen, weights = 0.5 + ((0:143) %% 7) * 0.25)
out <- c("{",
  paste0("\"penicillin_w_criterion\": ", one(REMLcrit(mpen)), ","),
  paste0("\"reml_w\": ", fitjson(mw), ","),
  paste0("\"ml_w\": ", fitjson(mwml), ","),
  paste0("\"reml_w3\": ", fitjson(mw3), ","),
  paste0("\"reml_offset2days\": ", fitjson(mo), ","),
  paste0("\"reml_offsetlog_w\": ", fitjson(mlog), ","),
  paste0("\"predict_offsetlog_w\": {\"conditional\": ", num(predict(mlog, newdata = nd)),
         ", \"population\": ", num(predict(mlog, newdata = nd, re.form = NA)), "},"),
  paste0("\"lm_w\": {\"coef\": ", num(coef(l)), ", \"se\": ", num(sl$coefficients[, 2]),
         ", \"sigma\": ", one(sl$sigma), ", \"r2\": ", one(sl$r.squared), ", \"adj_r2\": ", one(sl$adj.r.squared),
         ", \"fstat\": ", num(sl$fstatistic), ", \"loglik\": ", one(logLik(l)), ", \"resid\": ", num(head(resid(l), 10)), "},"),
  paste0("\"lm_w0\": {\"coef\": ", num(s0$coefficients[, 1]), ", \"se\": ", num(s0$coefficients[, 2]),
         ", \"sigma\": ", one(s0$sigma), ", \"df\": ", one(s0$df[2]), ", \"r2\": ", one(s0$r.squared), "},"),
  paste0("\"aov_w\": {\"df\": ", num(a$Df), ", \"ss\": ", num(a$`Sum Sq`), ", \"F\": ", num(a$`F value`[1:2]), "}"),
  "}")
writeLines(out, "tests/data/weights.json")
