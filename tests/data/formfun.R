# Reference numbers for tests/test_formfun.c: R's model.matrix, lm, lmer and
# predictions for formulas with log1p/expm1/pmin/pmax/scale/poly terms.
# Run by hand from the repository root: Rscript tests/data/formfun.R
# Writes tests/data/formfun.csv, formfun_new.csv, sleepstudy_new.csv and formfun_expected.json.
suppressMessages(library(lme4))

set.seed(20261130)
n <- 40
d <- data.frame(x = round(runif(n, 0.5, 6), 2),
                z = round(rnorm(n), 3),
                w = round(rnorm(n, 10, 3), 2),
                g = rep(c("a", "b", "c", "d", "e"), length.out = n))
u <- c(a = -1, b = 0.5, c = 1, d = 0, e = -0.4)
d$y <- round(2 + d$x - 0.3 * d$x^2 + d$z + u[d$g] + rnorm(n, 0, 0.5), 3)
# missing values: y and w in some rows (scale() still uses those rows' x and w, as R does)
d$y[c(4, 17)] <- NA
d$w[c(9, 30)] <- NA
d$z[22] <- NA
write.csv(d, "tests/data/formfun.csv", row.names = FALSE)
d <- read.csv("tests/data/formfun.csv")
nd <- data.frame(x = c(0, 0.2, 3.3, 6.5, 9), z = c(-1, 0, 0.5, 1.2, 2),
                 w = c(4, 10, 12, NA, 20), g = c("a", "c", "e", "b", "d"))
write.csv(nd, "tests/data/formfun_new.csv", row.names = FALSE)
nd <- read.csv("tests/data/formfun_new.csv")
ss <- read.csv("tests/data/sleepstudy.csv")
ssn <- data.frame(Days = c(-0.5, 0, 4.5, 9, 12, 20), Subject = c(308, 309, 330, 372, 308, 335))
write.csv(ssn, "tests/data/sleepstudy_new.csv", row.names = FALSE)
ssn <- read.csv("tests/data/sleepstudy_new.csv")

num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.17g", v)), collapse = ", "), "]")
str <- function(v) paste0("[", paste0('"', v, '"', collapse = ", "), "]")
out <- character()
add <- function(...) out <<- c(out, paste0(...))

lm_cases <- c(
  "y ~ log1p(x) + expm1(z) + pmin(x, 3) + pmax(1.5, x)",
  "y ~ scale(x) + scale(w) + scale(z, center = FALSE)",
  "y ~ scale(x, center = 2, scale = FALSE) + scale(w, center = FALSE, scale = 2) + scale(z, scale = FALSE)",
  "y ~ poly(x, 3)",
  "y ~ poly(x, 2, raw = TRUE) + g",
  "y ~ poly(x, 2) * g",
  "y ~ I(x^2 + 1) + I((x - 1)/2) + log1p(x):z + pmin(x, 3) * z",
  "y ~ poly(x, degree = 2) + scale(w) + pmax(x, z)")
for (f in lm_cases) {
  m <- lm(as.formula(f), d)
  X <- model.matrix(m)
  add('  {"kind": "lm", "data": "formfun.csv", "newdata": "formfun_new.csv", "formula": "', f, '",')
  add('   "colnames": ', str(colnames(X)), ',')
  add('   "X": ', num(as.vector(X)), ',')
  add('   "coef": ', num(unname(coef(m))), ',')
  add('   "pred": ', num(unname(predict(m, nd))), '},')
}
lmer_cases <- list(
  list("Reaction ~ poly(Days, 2) + (1 | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ scale(Days) + (scale(Days) | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ log1p(Days) + pmin(Days, 5) + (log1p(Days) | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ poly(Days, 2, raw = TRUE) + (1 | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ Days + (1 | Subject) + (0 + poly(Days, 2) | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("y ~ poly(x, 2) + scale(w) + (1 | g)", d, nd, "formfun.csv", "formfun_new.csv"))
for (k in seq_along(lmer_cases)) {
  cs <- lmer_cases[[k]]
  m <- lmer(as.formula(cs[[1]]), cs[[2]], control = lmerControl(optimizer = "bobyqa"))
  add('  {"kind": "lmer", "data": "', cs[[4]], '", "newdata": "', cs[[5]], '", "formula": "', cs[[1]], '",')
  add('   "colnames": ', str(names(fixef(m))), ',')
  add('   "coef": ', num(unname(fixef(m))), ',')
  add('   "reml": ', sprintf("%.17g", REMLcrit(m)), ',')
  # the fixed-effects matrix of newdata through the training predvars (R's makepredictcall)
  tt <- delete.response(terms(m, fixed.only = TRUE))
  Xn <- model.matrix(tt, model.frame(tt, cs[[3]], na.action = na.pass))
  Xn <- Xn[match(seq_len(nrow(cs[[3]])), as.integer(rownames(Xn))), , drop = FALSE]
  add('   "Xnew": ', num(as.vector(Xn)), ',')
  add('   "pred": ', num(unname(predict(m, cs[[3]]))), ',')
  add('   "pred_pop": ', num(unname(predict(m, cs[[3]], re.form = NA))), '}', if (k < length(lmer_cases)) ',' else '')
}
writeLines(c('{"cases": [', out, ']}'), "tests/data/formfun_expected.json")
