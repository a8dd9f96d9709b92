# Run by hand from the repository root: Rscript tests/data/sweep/make_sweep.R
# (R with lme4; the tests never need R). A sweep of small random designs, each
# fitted by lme4's lmer at its default settings (REML for about half, ML for
# the rest). Writes tests/data/sweep/dNNN.csv (one design each) and
# tests/data/sweep/manifest.csv (formula, REML flag, lme4's criterion and theta,
# isSingular, convergence warning and lme4's messages, kind, rows), read by
# tests/test_sweep.c. The data files are bit-identical on every run; lme4's
# criterion and theta can differ in the last digits between runs of the same R
# (seen: 3e-11 relative), far below the test's 1e-6 tolerance.
suppressMessages(library(lme4))
invisible(Sys.setlocale("LC_COLLATE", "C"))    # factor levels in byte order, as lmm.h sorts them
options(contrasts = c("contr.treatment", "contr.poly"))
set.seed(20261130)
dir <- "tests/data/sweep"
per_kind <- 27L                                # 8 kinds x 27 = 216 designs

lab <- function(prefix, k) sprintf("%s%02d", prefix, seq_len(k))
num17 <- function(v) sprintf("%.17g", v)
# drop a random fraction of the rows (at least 1 row kept per level of g)
drop_rows <- function(d, frac) {
    keep <- runif(nrow(d)) > frac
    for (lv in unique(d$g)) if (!any(keep[d$g == lv])) keep[which(d$g == lv)[1]] <- TRUE
    d[keep, , drop = FALSE]
}
# lme4 keeps its "boundary (singular) fit" message in m@optinfo$conv$lme4$messages
# too; `warning` is 1 only for a convergence warning (any other message), and
# `messages` lists them all, "; "-separated.
conv_messages <- function(m) paste(m@optinfo$conv$lme4$messages, collapse = "; ")
conv_warning <- function(m) as.integer(any(!grepl("^boundary \\(singular\\) fit", m@optinfo$conv$lme4$messages)))
noise <- function(n) rnorm(n, 0, runif(1, 0.3, 2))
fixed_part <- function(d) {
    # fixed effects: numeric x (always present), optionally a factor f
    b <- rnorm(4, 0, 2)
    eta <- 10 + b[1] * d$x
    if (!is.null(d$f)) eta <- eta + c(0, b[2], b[3], b[4])[as.integer(factor(d$f))]
    eta
}

# One design: list(data, formula, kind). Each kind varies sizes and effects.
make_design <- function(kind) {
    fx <- sample(c("x", "f", "x + f", "x * f"), 1)
    nf <- sample(2:3, 1)
    if (kind %in% c("balanced", "unbalanced")) {
        ng <- sample(4:14, 1); nper <- sample(3:10, 1)
        d <- expand.grid(r = seq_len(nper), g = lab("g", ng), stringsAsFactors = FALSE)
        d$x <- round(rnorm(nrow(d)), 3); d$f <- sample(LETTERS[1:nf], nrow(d), TRUE)
        re <- sample(c("(1|g)", "(1|g)", "(x|g)"), 1)
        u0 <- rnorm(ng, 0, runif(1, 0.5, 3)); u1 <- rnorm(ng, 0, runif(1, 0.2, 1.5))
        gi <- match(d$g, lab("g", ng))
        d$y <- fixed_part(d) + u0[gi] + (re == "(x|g)") * u1[gi] * d$x + noise(nrow(d))
        if (kind == "unbalanced") d <- drop_rows(d, runif(1, 0.1, 0.45))
    } else if (kind == "crossed") {
        ng <- sample(4:12, 1); nh <- sample(3:8, 1); rep <- sample(1:3, 1)
        d <- expand.grid(r = seq_len(rep), g = lab("g", ng), h = lab("h", nh), stringsAsFactors = FALSE)
        d$x <- round(rnorm(nrow(d)), 3); d$f <- sample(LETTERS[1:nf], nrow(d), TRUE)
        gi <- match(d$g, lab("g", ng)); hi <- match(d$h, lab("h", nh))
        d$y <- fixed_part(d) + rnorm(ng, 0, runif(1, 0.5, 3))[gi] + rnorm(nh, 0, runif(1, 0.3, 2))[hi] + noise(nrow(d))
        if (runif(1) < 0.5) d <- drop_rows(d, runif(1, 0.05, 0.35))
        re <- sample(c("(1|g) + (1|h)", "(1|g) + (1|h)", "(x|g) + (1|h)"), 1)
    } else if (kind == "nested") {
        na <- sample(3:8, 1); nb <- sample(2:5, 1); rep <- sample(2:5, 1)
        d <- expand.grid(r = seq_len(rep), b = lab("b", nb), g = lab("g", na), stringsAsFactors = FALSE)
        d$x <- round(rnorm(nrow(d)), 3); d$f <- sample(LETTERS[1:nf], nrow(d), TRUE)
        ai <- match(d$g, lab("g", na)); abi <- (ai - 1) * nb + match(d$b, lab("b", nb))
        d$y <- fixed_part(d) + rnorm(na, 0, runif(1, 0.5, 3))[ai] + rnorm(na * nb, 0, runif(1, 0.2, 2))[abi] + noise(nrow(d))
        if (runif(1) < 0.5) d <- drop_rows(d, runif(1, 0.05, 0.3))
        re <- sample(c("(1|g/b)", "(1|g) + (1|g:b)"), 1)
    } else if (kind %in% c("vector", "uncorr")) {
        ng <- sample(6:16, 1); nper <- sample(5:12, 1)
        d <- expand.grid(r = seq_len(nper), g = lab("g", ng), stringsAsFactors = FALSE)
        d$x <- round(rnorm(nrow(d)), 3); d$z <- round(runif(nrow(d), -1, 1), 3)
        d$f <- sample(LETTERS[1:nf], nrow(d), TRUE)
        gi <- match(d$g, lab("g", ng))
        d$y <- fixed_part(d) + 0.5 * d$z + rnorm(ng, 0, runif(1, 0.5, 3))[gi] +
            rnorm(ng, 0, runif(1, 0.2, 1.5))[gi] * d$x + rnorm(ng, 0, runif(1, 0.1, 1))[gi] * d$z + noise(nrow(d))
        if (runif(1) < 0.5) d <- drop_rows(d, runif(1, 0.05, 0.3))
        fx <- paste(fx, "+ z")
        re <- if (kind == "vector") sample(c("(x|g)", "(1 + x + z|g)", "(0 + x|g) + (1|g)"), 1)
              else sample(c("(x||g)", "(x + z||g)"), 1)
    } else if (kind == "nearsingular") {
        ng <- sample(4:12, 1); nper <- sample(3:10, 1)
        d <- expand.grid(r = seq_len(nper), g = lab("g", ng), stringsAsFactors = FALSE)
        d$x <- round(rnorm(nrow(d)), 3); d$f <- sample(LETTERS[1:nf], nrow(d), TRUE)
        gi <- match(d$g, lab("g", ng))
        s0 <- sample(c(0, 1e-3, 0.05, 1), 1); s1 <- sample(c(0, 1e-3, 0.05), 1)
        d$y <- fixed_part(d) + rnorm(ng, 0, s0)[gi] + rnorm(ng, 0, s1)[gi] * d$x + noise(nrow(d))
        if (runif(1) < 0.5) d <- drop_rows(d, runif(1, 0.05, 0.3))
        re <- sample(c("(1|g)", "(x|g)", "(x||g)"), 1)
    } else if (kind == "overspecified") {
        # (1|g) + (0+f|g): Machines-like, f with 2-4 levels crossed with g, replicates
        nw <- sample(5:10, 1); nm <- sample(2:4, 1); rep <- sample(2:4, 1)
        d <- expand.grid(r = seq_len(rep), f = LETTERS[seq_len(nm)], g = lab("g", nw), stringsAsFactors = FALSE)
        d$x <- round(rnorm(nrow(d)), 3)
        wi <- match(d$g, lab("g", nw)); mi <- match(d$f, LETTERS[seq_len(nm)])
        inter <- matrix(rnorm(nw * nm, 0, runif(1, 0.2, 4)), nw, nm)
        d$y <- 50 + c(0, rnorm(nm - 1, 0, 5))[mi] + rnorm(nw, 0, runif(1, 1, 6))[wi] +
            inter[cbind(wi, mi)] + rnorm(nrow(d), 0, runif(1, 0.3, 1.5))
        if (runif(1) < 0.4) d <- drop_rows(d, runif(1, 0.05, 0.25))
        fx <- sample(c("f", "f", "f + x"), 1)
        re <- "(1|g) + (0 + f|g)"
    }
    d$r <- NULL
    used <- intersect(c("y", "x", "z", "f", "g", "h", "b"), names(d))
    if (!grepl("\\bf\\b", paste(fx, re), perl = TRUE)) used <- setdiff(used, "f")
    list(data = d[, used, drop = FALSE], formula = paste("y ~", fx, "+", re), kind = kind)
}

kinds <- c("balanced", "unbalanced", "crossed", "nested", "vector", "uncorr", "nearsingular", "overspecified")
man <- NULL
id <- 0L
for (kind in kinds) {
    made <- 0L
    while (made < per_kind) {
        des <- make_design(kind)
        d <- des$data
        if (nrow(d) > 300) next
        # the data exactly as written (17 significant digits round-trip)
        out <- d
        for (v in names(out)) if (is.numeric(out[[v]])) out[[v]] <- num17(out[[v]])
        fd <- d
        for (v in names(fd)) if (is.numeric(fd[[v]])) fd[[v]] <- as.numeric(out[[v]]) else fd[[v]] <- factor(fd[[v]])
        reml <- (id %% 2L) == 0L
        m <- tryCatch(suppressMessages(suppressWarnings(lmer(as.formula(des$formula), fd, REML = reml))),
                      error = function(e) NULL)
        if (is.null(m) || length(getME(m, "theta")) > 12) next
        id <- id + 1L; made <- made + 1L
        file <- sprintf("d%03d.csv", id)
        write.csv(out, file.path(dir, file), row.names = FALSE, quote = FALSE)
        crit <- if (reml) REMLcrit(m) else deviance(m)
        man <- rbind(man, data.frame(id = id, file = file, formula = des$formula, reml = as.integer(reml),
            criterion = num17(crit), theta = paste(num17(getME(m, "theta")), collapse = " "),
            singular = as.integer(isSingular(m)),
            warning = conv_warning(m), messages = conv_messages(m),
            kind = kind, nobs = nrow(d), stringsAsFactors = FALSE))
    }
}
# nlme's Machines itself (Machine 3 levels, Worker 6 levels), REML and ML
mach <- as.data.frame(nlme::Machines)
mach <- data.frame(y = mach$score, f = as.character(mach$Machine),
                   g = sprintf("g%02d", as.integer(as.character(mach$Worker))), stringsAsFactors = FALSE)
for (reml in c(TRUE, FALSE)) {
    out <- mach; out$y <- num17(out$y)
    fm <- "y ~ f + (1|g) + (0 + f|g)"
    fd <- data.frame(y = as.numeric(out$y), f = factor(mach$f), g = factor(mach$g))
    m <- suppressMessages(suppressWarnings(lmer(as.formula(fm), fd, REML = reml)))
    id <- id + 1L; file <- sprintf("d%03d.csv", id)
    write.csv(out, file.path(dir, file), row.names = FALSE, quote = FALSE)
    crit <- if (reml) REMLcrit(m) else deviance(m)
    man <- rbind(man, data.frame(id = id, file = file, formula = fm, reml = as.integer(reml),
        criterion = num17(crit), theta = paste(num17(getME(m, "theta")), collapse = " "),
        singular = as.integer(isSingular(m)),
        warning = conv_warning(m), messages = conv_messages(m),
        kind = "overspecified", nobs = nrow(mach), stringsAsFactors = FALSE))
}
write.csv(man, file.path(dir, "manifest.csv"), row.names = FALSE)
cat(nrow(man), "designs;", sum(man$reml), "REML;", sum(man$singular), "singular;",
    sum(man$warning), "with a convergence warning\n")
print(table(man$kind))
