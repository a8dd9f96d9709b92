# Reference figures for prediction standard errors and intervals (tests/test_predint.c).
# Run by hand from the repository root: Rscript tests/data/predict_intervals.R
# Writes tests/data/predict_intervals/{sleepstudy,penicillin,weighted}.json (17 significant digits).
#
# Definitions (lmm.h's lmm_predict_ex; z = qnorm((1 + level) / 2)):
#  population level (re.form = NA): fit = x'beta (+ offset), se = sqrt(x' vcov x),
#    confidence: fit -/+ z se; prediction: var = se^2 + sum over terms of z_k' Sigma_k z_k + sigma^2 / w.
#  conditional (re.form = NULL, allow.new.levels = TRUE): fit adds z_k' b_k of the known levels;
#    se^2 = sigma^2 g' A^{-1} g, the prediction error variance of (beta, u) jointly (Henderson's C^{-1}),
#    with g = (Lambda' z_known, x) and A = [Lambda'Z'WZ Lambda + I, Lambda'Z'WX; X'WZ Lambda, X'WX]:
#    it is x' vcov x when no level is known. prediction: se^2 + z_k' Sigma_k z_k of the terms whose
#    level is new or missing + sigma^2 / w.
# Everything here is computed from lme4's fit (getME, VarCorr, vcov) with dense algebra,
# independently of lme4's predict (which is only used to check the fits).
suppressMessages(library(lme4))
num <- function(v) paste0("[", paste(ifelse(is.na(v), "null", formatC(as.numeric(v), digits = 17, format = "g")), collapse = ", "), "]")

# A of the penalised least-squares system at lme4's estimates
pls_A <- function(m) {
  Lt <- as.matrix(getME(m, "Lambdat")); Z <- as.matrix(getME(m, "Z")); X <- as.matrix(getME(m, "X"))
  w <- weights(m)
  ZL <- Z %*% t(Lt)
  rbind(cbind(crossprod(ZL, w * ZL) + diag(ncol(ZL)), crossprod(ZL, w * X)),
        cbind(crossprod(X, w * ZL), crossprod(X, w * X)))
}

# x: n x p fixed rows; zk: list over terms of n x ncol matrices; pos: list over terms of the
# first b index of each row's level (NA = new or missing level); off, w: offsets and weights
intervals <- function(m, x, zk, pos, off, w, level) {
  A <- pls_A(m); Lt <- as.matrix(getME(m, "Lambdat")); V <- as.matrix(vcov(m)); s2 <- sigma(m)^2
  q <- nrow(Lt); beta <- fixef(m); b <- as.vector(getME(m, "b"))
  vc <- VarCorr(m); zq <- qnorm((1 + level) / 2); n <- nrow(x)
  out <- list()
  for (cond in c(FALSE, TRUE)) {
    fit <- se <- pvar <- rep(NA_real_, n)
    for (i in 1:n) {
      if (any(is.na(x[i, ])) || is.na(off[i])) next
      fit[i] <- sum(x[i, ] * beta) + off[i]
      zfull <- rep(0, q); extra <- 0; ok <- TRUE
      for (k in seq_along(zk)) {
        z <- zk[[k]][i, ]
        if (any(is.na(z))) { ok <- FALSE; next }
        if (cond && !is.na(pos[[k]][i])) {
          idx <- pos[[k]][i] + seq_along(z) - 1
          zfull[idx] <- z
          fit[i] <- fit[i] + sum(z * b[idx])
        } else extra <- extra + drop(t(z) %*% as.matrix(vc[[k]]) %*% z)
      }
      g <- c(as.vector(Lt %*% zfull), x[i, ])
      se[i] <- sqrt(s2 * sum(g * solve(A, g)))
      if (!cond) stopifnot(abs(se[i]^2 - drop(t(x[i, ]) %*% V %*% x[i, ])) < 1e-9 * se[i]^2)
      pvar[i] <- if (ok && !is.na(w[i])) se[i]^2 + extra + s2 / w[i] else NA
    }
    tag <- if (cond) "cond" else "pop"
    out[[tag]] <- paste0("{\"fit\": ", num(fit), ", \"se\": ", num(se),
      ", \"conf_lwr\": ", num(fit - zq * se), ", \"conf_upr\": ", num(fit + zq * se),
      ", \"pred_se\": ", num(sqrt(pvar)),
      ", \"pred_lwr\": ", num(fit - zq * sqrt(pvar)), ", \"pred_upr\": ", num(fit + zq * sqrt(pvar)), "}")
    # lme4's own predictions agree on the complete rows
    ok <- !is.na(fit)
    if (any(ok)) {
      nd_ok <- attr(x, "nd")[ok, , drop = FALSE]
      r <- predict(m, nd_ok, re.form = if (cond) NULL else NA, allow.new.levels = TRUE)
      stopifnot(max(abs(r - fit[ok])) < 1e-9 * max(abs(fit[ok])))
    }
  }
  paste0("{\"level\": ", formatC(level, digits = 17, format = "g"),
         ", \"theta\": ", num(getME(m, "theta")), ", \"beta\": ", num(fixef(m)),
         ", \"sigma\": ", formatC(sigma(m), digits = 17, format = "g"),
         ", \"criterion\": ", formatC(REMLcrit(m), digits = 17, format = "g"),
         ", \"pop\": ", out$pop, ", \"cond\": ", out$cond, "}")
}

# ---- sleepstudy, REML, (Days | Subject) -------------------------------------------------
d <- read.csv("tests/data/sleepstudy.csv"); d$Subject <- factor(d$Subject)
m <- lmer(Reaction ~ Days + (Days | Subject), d)
nd <- data.frame(Days = c(-0.5, 0, 2.5, NA, 9, 4), Subject = c("308", "309", "999", "308", "372", NA))
write.csv(nd, "tests/data/predict_intervals/sleepstudy_new.csv", row.names = FALSE, na = "")
x <- cbind(1, nd$Days); attr(x, "nd") <- nd
lev <- match(nd$Subject, levels(d$Subject))
json <- intervals(m, x, list(cbind(1, nd$Days)), list(2 * (lev - 1) + 1), rep(0, 6), rep(1, 6), 0.95)
writeLines(json, "tests/data/predict_intervals/sleepstudy.json")

# ---- Penicillin, crossed (1 | plate) + (1 | sample), level 0.9 --------------------------
p <- read.csv("tests/data/Penicillin.csv"); p$plate <- factor(p$plate); p$sample <- factor(p$sample)
m <- lmer(diameter ~ 1 + (1 | plate) + (1 | sample), p)
stopifnot(names(getME(m, "flist"))[1] == "plate")   # b: 24 plates, then 6 samples
nd <- data.frame(plate = c("a", "a", "zz", "zz", "x"), sample = c("A", "Q", "B", "Q", "F"))
write.csv(nd, "tests/data/predict_intervals/penicillin_new.csv", row.names = FALSE)
x <- matrix(1, nrow(nd), 1); attr(x, "nd") <- nd
json <- intervals(m, x, list(matrix(1, nrow(nd), 1), matrix(1, nrow(nd), 1)),
                  list(match(nd$plate, levels(p$plate)), 24 + match(nd$sample, levels(p$sample))),
                  rep(0, nrow(nd)), rep(1, nrow(nd)), 0.9)
writeLines(json, "tests/data/predict_intervals/penicillin.json")

# ---- weighted sleepstudy with an offset: weights = w, offset(log(x)) ----------------------
d <- read.csv("tests/data/sleepstudy_w.csv"); d$Subject <- factor(d$Subject)
m <- lmer(Reaction ~ Days + offset(log(x)) + (Days | Subject), d, weights = w)
nd <- data.frame(Days = c(0, 2.5, 9, 3), x = c(1, 3.5, 10, NA), Subject = c("308", "999", "372", "309"),
                 w = c(1, 0.25, 0.1, 1))
write.csv(nd, "tests/data/predict_intervals/weighted_new.csv", row.names = FALSE, na = "")
x <- cbind(1, nd$Days); attr(x, "nd") <- nd
lev <- match(nd$Subject, levels(d$Subject))
json <- intervals(m, x, list(cbind(1, nd$Days)), list(2 * (lev - 1) + 1), log(nd$x), nd$w, 0.95)
writeLines(json, "tests/data/predict_intervals/weighted.json")
