# Reference numbers for tests/test_formfun.c (splines part): R's model.matrix,
# lm and lmer coefficients, lme4's REML criterion and predictions on new data
# for formulas with splines::ns() and splines::bs() terms.
# Run by hand from the repository root: Rscript tests/data/splines.R
# Reads formfun.csv, formfun_new.csv, sleepstudy.csv, sleepstudy_new.csv (written
# by formfun.R); writes tests/data/splines_expected.json.
suppressMessages({ library(lme4); library(splines) })

d <- read.csv("tests/data/formfun.csv")
nd <- read.csv("tests/data/formfun_new.csv")
ss <- read.csv("tests/data/sleepstudy.csv")
ssn <- read.csv("tests/data/sleepstudy_new.csv")

num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", sprintf("%.17g", v)), collapse = ", "), "]")
str <- function(v) paste0("[", paste0('"', v, '"', collapse = ", "), "]")
out <- character()
add <- function(...) out <<- c(out, paste0(...))

# the fixed-effects matrix of newdata through the training predvars (R's makepredictcall);
# bs() beyond its boundary knots warns in R and extrapolates
newX <- function(tt, nd) {
  Xn <- suppressWarnings(model.matrix(tt, model.frame(tt, nd, na.action = na.pass)))
  Xn[match(seq_len(nrow(nd)), as.integer(rownames(Xn))), , drop = FALSE]
}

lm_cases <- list(
  list("Reaction ~ ns(Days, df = 3)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ ns(Days, 3)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ bs(Days, df = 4)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ bs(Days, df = 5, degree = 2)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ bs(Days, knots = c(2, 5.5), degree = 1)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ 0 + ns(Days, knots = c(3, 6), intercept = TRUE)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ ns(Days, df = 2, Boundary.knots = c(1, 8))", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ bs(Days, df = 4, Boundary.knots = c(1, 8))", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("y ~ ns(w, df = 3) * g", d, nd, "formfun.csv", "formfun_new.csv"),
  list("y ~ bs(x, 3) + ns(z, 2):x + ns(z) + bs(w, degree = 2)", d, nd, "formfun.csv", "formfun_new.csv"),
  list("y ~ 0 + ns(x, df = 4, intercept = TRUE)", d, nd, "formfun.csv", "formfun_new.csv"),
  list("y ~ bs(x, df = 6, intercept = TRUE) - 1", d, nd, "formfun.csv", "formfun_new.csv"))
for (cs in lm_cases) {
  m <- suppressWarnings(lm(as.formula(cs[[1]]), cs[[2]]))
  X <- model.matrix(m)
  # the test checks the newdata matrix through a mixed fit of the same fixed part with (1 | group)
  add('  {"kind": "lm", "data": "', cs[[4]], '", "newdata": "', cs[[5]], '", "formula": "', cs[[1]], '",',
      ' "group": "', if (cs[[4]] == "sleepstudy.csv") "Subject" else "g", '",')
  add('   "colnames": ', str(colnames(X)), ',')
  add('   "X": ', num(as.vector(X)), ',')
  add('   "Xnew": ', num(as.vector(newX(delete.response(terms(m)), cs[[3]]))), ',')
  add('   "coef": ', num(unname(coef(m))), ',')
  add('   "pred": ', num(unname(suppressWarnings(predict(m, cs[[3]])))), '},')
}
lmer_cases <- list(
  list("Reaction ~ ns(Days, 3) + (1 | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ bs(Days, df = 4) + (Days | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("Reaction ~ Days + (ns(Days, 2) | Subject)", ss, ssn, "sleepstudy.csv", "sleepstudy_new.csv"),
  list("y ~ ns(x, df = 2) * z + (1 | g)", d, nd, "formfun.csv", "formfun_new.csv"))
for (k in seq_along(lmer_cases)) {
  cs <- lmer_cases[[k]]
  m <- lmer(as.formula(cs[[1]]), cs[[2]], control = lmerControl(optimizer = "bobyqa"))
  add('  {"kind": "lmer", "data": "', cs[[4]], '", "newdata": "', cs[[5]], '", "formula": "', cs[[1]], '",')
  add('   "colnames": ', str(names(fixef(m))), ',')
  add('   "coef": ', num(unname(fixef(m))), ',')
  add('   "reml": ', sprintf("%.17g", REMLcrit(m)), ',')
  add('   "Xnew": ', num(as.vector(newX(delete.response(terms(m, fixed.only = TRUE)), cs[[3]]))), ',')
  add('   "pred": ', num(unname(suppressWarnings(predict(m, cs[[3]])))), ',')
  add('   "pred_pop": ', num(unname(suppressWarnings(predict(m, cs[[3]], re.form = NA)))), '}', if (k < length(lmer_cases)) ',' else '')
}
writeLines(c('{"cases": [', out, ']}'), "tests/data/splines_expected.json")
