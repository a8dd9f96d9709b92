# lmerTest's F tables of one model (anova(m, type = 1/2/3), Satterthwaite), ranova(m)
# and contest(m, L) for tests/test_ftab.c and tests/cli.sh.
# Run by hand from the repository root: LC_ALL=C Rscript tests/data/ftables.R
# Writes tests/data/Oats_ftab.csv (Oats plus N = factor(nitro) and half = blocks I-III / IV-VI),
# tests/data/ftables/anova.json, ranova.json, contest.json (17 significant digits) and
# the printed tables tests/data/ftables/*.txt (R's default width).
suppressMessages(library(lmerTest))
options(useFancyQuotes = FALSE, width = 80)
rd <- function(f) read.csv(file.path("tests/data", f), stringsAsFactors = TRUE)
sleepstudy <- rd("sleepstudy.csv"); sleepstudy$Subject <- factor(sleepstudy$Subject)
Oats <- rd("Oats.csv")
Oats$N <- factor(paste0("N", round(Oats$nitro * 10)))
Oats$half <- factor(ifelse(Oats$Block %in% c("I", "II", "III"), "h1", "h2"))
write.csv(Oats, "tests/data/Oats_ftab.csv", row.names = FALSE)
Oats <- rd("Oats_ftab.csv")
Pastes <- rd("Pastes.csv"); Penicillin <- rd("Penicillin.csv"); pulp <- rd("pulp.csv")
data <- list(sleepstudy = sleepstudy, Oats_ftab = Oats, Pastes = Pastes, Penicillin = Penicillin, pulp = pulp)

one <- function(v) if (is.na(v)) "null" else formatC(as.numeric(v), digits = 17, format = "g")
str <- function(s) paste0("\"", gsub("\"", "\\\\\"", s), "\"")
# lmerTest's contestMD with eigen(symmetric = TRUE): lmerTest lets eigen() test the symmetry
# of L V L', which rounding can break (oats_3way_f, type 1: isSymmetric() is FALSE at a
# relative 1e-16); the general eigen then returns non-orthogonal vectors for a repeated
# eigenvalue and the F of that invariant hypothesis moves by 2% with the last bits of L.
qf <- function(x, A) sum(x * (A %*% x))
contest_sym <- function(m, L) {
  VL <- L %*% m@vcov_beta %*% t(L); VL <- (VL + t(VL)) / 2
  e <- eigen(VL, symmetric = TRUE); d <- e$values
  q <- sum(d > max(sqrt(.Machine$double.eps) * d[1], 0))
  PtL <- crossprod(e$vectors, L)[1:q, , drop = FALSE]
  nu <- vapply(1:q, function(i) 2 * d[i]^2 / qf(vapply(m@Jac_list, function(J) qf(PtL[i, ], J), 1), m@vcov_varpar), 1)
  ddf <- lmerTest:::get_Fstat_ddf(nu, tol = 1e-8)
  F <- sum(drop(PtL %*% m@beta)^2 / d[1:q]) / q
  c(sumsq = F * sigma(m)^2 * q, dendf = ddf, f = F, p = pf(F, q, ddf, lower.tail = FALSE))
}
tab <- function(a, m) {
  hyp <- attr(a, "hypotheses")
  rows <- vapply(seq_len(nrow(a)), function(i) {
    extra <- ""
    L <- hyp[[rownames(a)[i]]]
    if (!is.null(L) && nrow(L) > 1) {
      s <- contest_sym(m, L)
      if (abs(s["f"] - a[i, 5]) > 1e-7 * abs(s["f"]))
        extra <- paste0(", \"symmetric\": {", paste0("\"", names(s), "\": ", vapply(s, one, ""), collapse = ", "), "}")
    }
    paste0("{\"term\": ", str(rownames(a)[i]),
    paste0(", \"", c("sumsq", "meansq", "numdf", "dendf", "f", "p"), "\": ",
           vapply(1:6, function(j) one(a[i, j]), ""), collapse = ""), extra, "}")
  }, "")
  paste0("[", paste(rows, collapse = ", "), "]")
}
# name, dataset, formula, REML, contrasts
cases <- list(
  list("sleep_slope", "sleepstudy", "Reaction ~ Days + (Days|Subject)", TRUE, "treatment"),
  list("sleep_quad", "sleepstudy", "Reaction ~ Days + I(Days^2) + (Days|Subject)", TRUE, "treatment"),
  list("sleep_quad_ML", "sleepstudy", "Reaction ~ Days + I(Days^2) + (Days|Subject)", FALSE, "treatment"),
  # a long term label: R wraps the printed table at width 80
  list("sleep_wide", "sleepstudy", "Reaction ~ Days + I(log(Days + 1) * (Days - 4.5)^2) + (1|Subject)", TRUE, "treatment"),
  list("oats_cov", "Oats_ftab", "yield ~ nitro*Variety + (1|Block/Variety)", TRUE, "treatment"),
  list("oats_cov_ML", "Oats_ftab", "yield ~ nitro*Variety + (1|Block/Variety)", FALSE, "treatment"),
  list("oats_cov_sum", "Oats_ftab", "yield ~ nitro*Variety + (1|Block/Variety)", TRUE, "sum"),
  list("oats_quad", "Oats_ftab", "yield ~ Variety*(nitro + I(nitro^2)) + (1|Block/Variety)", TRUE, "treatment"),
  list("oats_ff", "Oats_ftab", "yield ~ N*Variety + (1|Block/Variety)", TRUE, "treatment"),
  list("oats_ff_sum", "Oats_ftab", "yield ~ N*Variety + (1|Block/Variety)", TRUE, "sum"),
  list("oats_3way", "Oats_ftab", "yield ~ nitro*Variety*half + (1|Block/Variety)", TRUE, "treatment"),
  list("oats_3way_f", "Oats_ftab", "yield ~ N*Variety*half + (1|Block/Variety)", TRUE, "treatment"),
  list("pastes_cask", "Pastes", "strength ~ cask + (1|batch/cask)", TRUE, "treatment"),
  list("penicillin_sample", "Penicillin", "diameter ~ sample + (1|plate)", TRUE, "treatment"),
  list("pulp", "pulp", "bright ~ 1 + (1|operator)", TRUE, "treatment"),
  list("sleep_weights", "sleepstudy_w", "Reaction ~ Days + I(Days^2) + (Days|Subject)", TRUE, "treatment", "w")
)
data$sleepstudy_w <- rd("sleepstudy_w.csv"); data$sleepstudy_w$Subject <- factor(data$sleepstudy_w$Subject)
fit <- function(cs) {
  options(contrasts = if (cs[[5]] == "sum") c("contr.sum", "contr.poly") else c("contr.treatment", "contr.poly"))
  d <- data[[cs[[2]]]]
  if (length(cs) > 5) eval(bquote(lmer(.(as.formula(cs[[3]])), d, REML = .(cs[[4]]), weights = .(as.name(cs[[6]])))))
  else lmer(as.formula(cs[[3]]), d, REML = cs[[4]])
}
out <- character(0)
for (cs in cases) {
  m <- fit(cs)
  a <- lapply(1:3, function(ty) anova(m, type = ty))
  out <- c(out, paste0("{\"name\": ", str(cs[[1]]), ", \"dataset\": ", str(cs[[2]]), ", \"formula\": ", str(cs[[3]]),
    ", \"reml\": ", as.integer(cs[[4]]), ", \"contrasts\": ", str(cs[[5]]),
    if (length(cs) > 5) paste0(", \"weights\": ", str(cs[[6]])) else "",
    ", \"theta\": [", paste(vapply(getME(m, "theta"), one, ""), collapse = ", "), "]",
    ", \"type1\": ", tab(a[[1]], m), ", \"type2\": ", tab(a[[2]], m), ", \"type3\": ", tab(a[[3]], m), "}"))
  for (ty in 1:3) writeLines(capture.output(print(a[[ty]])), sprintf("tests/data/ftables/%s_type%d.txt", cs[[1]], ty))
}
writeLines(c("[", paste(out, collapse = ",\n"), "]"), "tests/data/ftables/anova.json")

# ranova: single-term deletions of the random part
rcases <- list(
  list("sleep_slope", "sleepstudy", "Reaction ~ Days + (Days|Subject)", TRUE),
  list("sleep_slope_ML", "sleepstudy", "Reaction ~ Days + (Days|Subject)", FALSE),
  list("sleep_int", "sleepstudy", "Reaction ~ Days + (1|Subject)", TRUE),
  list("sleep_uncorr", "sleepstudy", "Reaction ~ Days + (Days||Subject)", TRUE),
  list("penicillin", "Penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", TRUE),
  list("oats_nested", "Oats_ftab", "yield ~ nitro + Variety + (1|Block/Variety)", TRUE),
  list("pastes_nested_ML", "Pastes", "strength ~ 1 + (1|batch/cask)", FALSE),
  list("pulp", "pulp", "bright ~ 1 + (1|operator)", TRUE),
  list("sleep_weights", "sleepstudy_w", "Reaction ~ Days + offset(log(x)) + (Days|Subject)", TRUE, "w"),
  list("sleep_weights_int", "sleepstudy_w", "Reaction ~ Days + (1|Subject)", FALSE, "w")
)
options(contrasts = c("contr.treatment", "contr.poly"))
rtab <- function(a) {
  rows <- vapply(seq_len(nrow(a)), function(i) paste0("{\"term\": ", str(rownames(a)[i]),
    paste0(", \"", c("npar", "loglik", "aic", "lrt", "df", "p"), "\": ",
           vapply(1:6, function(j) one(a[i, j]), ""), collapse = ""), "}"), "")
  paste0("[", paste(rows, collapse = ", "), "]")
}
out <- character(0)
for (cs in rcases) {
  d <- data[[cs[[2]]]]
  m <- if (length(cs) > 4) eval(bquote(lmer(.(as.formula(cs[[3]])), d, REML = .(cs[[4]]), weights = .(as.name(cs[[5]])))))
       else lmer(as.formula(cs[[3]]), d, REML = cs[[4]])
  r <- ranova(m)
  out <- c(out, paste0("{\"name\": ", str(cs[[1]]), ", \"dataset\": ", str(cs[[2]]), ", \"formula\": ", str(cs[[3]]),
    ", \"reml\": ", as.integer(cs[[4]]), if (length(cs) > 4) paste0(", \"weights\": ", str(cs[[5]])) else "",
    ", \"model\": ", str(attr(r, "heading")[3]), ", \"rows\": ", rtab(r), "}"))
  writeLines(capture.output(print(r)), sprintf("tests/data/ftables/ranova_%s.txt", cs[[1]]))
}
writeLines(c("[", paste(out, collapse = ",\n"), "]"), "tests/data/ftables/ranova.json")

# contest(m, L, joint = TRUE): several rows at once (an F test) and one row (a t test)
m <- lmer(yield ~ nitro*Variety + (1|Block/Variety), Oats)
ccases <- list(
  list("nitro:Variety", rbind(c(0, 0, 0, 0, 1, 0), c(0, 0, 0, 0, 0, 1))),
  list("Variety and nitro:Variety", rbind(c(0, 0, 1, 0, 0, 0), c(0, 0, 0, 1, 0, 0), c(0, 0, 0, 0, 1, 0), c(0, 0, 0, 0, 0, 1))),
  list("rank 2 of 3 rows", rbind(c(0, 1, 0, 0, 1, 0), c(0, 1, 0, 0, 0, 1), c(0, 2, 0, 0, 1, 1))),
  list("nitro at Marvellous", rbind(c(0, 1, 0, 0, 1, 0)))
)
out <- character(0)
for (cc in ccases) {
  a <- contest(m, cc[[2]], joint = TRUE)
  out <- c(out, paste0("{\"name\": ", str(cc[[1]]), ", \"L\": [", paste(apply(cc[[2]], 1, function(r) paste0("[", paste(r, collapse = ", "), "]")), collapse = ", "),
    "], \"sumsq\": ", one(a[1, 1]), ", \"meansq\": ", one(a[1, 2]), ", \"numdf\": ", one(a[1, 3]),
    ", \"dendf\": ", one(a[1, 4]), ", \"f\": ", one(a[1, 5]), ", \"p\": ", one(a[1, 6]), "}"))
}
writeLines(c(paste0("{\"dataset\": \"Oats_ftab\", \"formula\": \"yield ~ nitro*Variety + (1|Block/Variety)\", \"reml\": 1, ",
                    "\"beta\": [", paste(str(names(fixef(m))), collapse = ", "), "], \"tests\": ["),
             paste(out, collapse = ",\n"), "]}"), "tests/data/ftables/contest.json")
cat(sprintf("lmerTest %s, lme4 %s, %s\n", packageVersion("lmerTest"), packageVersion("lme4"), R.version.string),
    file = "tests/data/ftables/versions.txt")
