# Reference for tests/test_vecstart.c (run by hand: Rscript tests/data/vecstart.R
# from the repository root). A random-slopes model with 21 covariance
# parameters, (1 + x1 + ... + x5 | g), so that the fit starts from the moment
# estimates of lmm__moment_theta_vector; lme4's REML criterion and theta.
suppressMessages(library(lme4))
set.seed(20261130)
ng <- 80; per <- 15; n <- ng * per
g <- rep(sprintf("g%02d", 1:ng), each = per)
X <- matrix(rnorm(n * 5), n, 5, dimnames = list(NULL, paste0("x", 1:5)))
L <- diag(c(1.5, 0.8, 0.6, 0.5, 0.4, 0.3))
L[lower.tri(L)] <- 0.2
B <- matrix(rnorm(ng * 6), ng, 6) %*% t(L)
Z <- cbind(1, X)
y <- 10 + drop(X %*% c(1, -0.5, 0.3, 0, 0.2)) + rowSums(Z * B[as.integer(factor(g)), ]) + rnorm(n)
d <- data.frame(g = g, X, y = y)
write.csv(d, "tests/data/vecstart.csv", row.names = FALSE)
fm <- lmer(y ~ x1 + x2 + x3 + x4 + x5 + (1 + x1 + x2 + x3 + x4 + x5 | g), d, REML = TRUE)
cat(sprintf('{"REML": %.10f, "sigma": %.10f, "theta": [%s], "feval": %d}\n',
            REMLcrit(fm), sigma(fm), paste(sprintf("%.8f", getME(fm, "theta")), collapse = ", "),
            fm@optinfo$feval), file = "tests/data/vecstart_REML.json")
