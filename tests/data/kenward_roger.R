# Run by hand: LC_ALL=C Rscript tests/data/kenward_roger.R (from the repository root).
# Kenward-Roger references (pbkrtest 0.5.2 through lmerTest 3.1-3) for tests/test_kr.c:
# per model, lme4's theta, pbkrtest's vcovAdj, summary(m, ddf = "Kenward-Roger")'s
# coefficient table, anova(m, ddf = "Kenward-Roger") and a multi-row contest with
# KRmodcomp's F scaling, into tests/data/kenward_roger/<name>.json.
suppressMessages({ library(lmerTest); library(pbkrtest) })
num <- function(x) if (length(x) == 0) "[]" else paste0("[", paste(sprintf("%.17g", x), collapse = ", "), "]")
str <- function(x) paste0("\"", x, "\"")
rd <- function(f) read.csv(file.path("tests/data", f), stringsAsFactors = TRUE)
write_model <- function(name, dataset, formula, L = NULL, weights = NULL) {
    d <- rd(paste0(dataset, ".csv"))
    m <- if (is.null(weights)) lmer(as.formula(formula), d, REML = TRUE)
         else lmer(as.formula(formula), d, REML = TRUE, weights = d[[weights]])
    p <- length(fixef(m))
    va <- as.matrix(vcovAdj(m))
    ct <- summary(m, ddf = "Kenward-Roger")$coefficients
    out <- c(sprintf("\"dataset\": %s, \"formula\": %s, \"reml\": 1,", str(dataset), str(formula)),
             sprintf("\"levels\": {%s},", paste(sapply(names(d)[sapply(d, is.factor)], function(v)
                 sprintf("%s: [%s]", str(v), paste(str(levels(d[[v]])), collapse = ", "))), collapse = ", ")),
             if (!is.null(weights)) sprintf("\"weights\": %s,", str(weights)),
             sprintf("\"theta\": %s, \"sigma\": %.17g, \"singular\": %d,", num(getME(m, "theta")), sigma(m),
                     as.integer(isSingular(m))),
             sprintf("\"vcov\": %s,", num(as.matrix(vcov(m)))),
             sprintf("\"vcovAdj\": %s,", num(va)))
    rows <- sapply(seq_len(p), function(i) sprintf(
        "{\"name\": %s, \"estimate\": %.17g, \"se\": %.17g, \"df\": %.17g, \"t\": %.17g, \"p\": %.17g}",
        str(rownames(ct)[i]), ct[i, 1], ct[i, 2], ct[i, 3], ct[i, 4], ct[i, 5]))
    out <- c(out, sprintf("\"kenward_roger\": [%s],", paste(rows, collapse = ",\n  ")))
    if (p > 1) {
        a <- anova(m, ddf = "Kenward-Roger")
        rows <- sapply(seq_len(nrow(a)), function(i) sprintf(
            "{\"term\": %s, \"SumSq\": %.17g, \"MeanSq\": %.17g, \"NumDF\": %d, \"DenDF\": %.17g, \"F\": %.17g, \"p\": %.17g}",
            str(rownames(a)[i]), a[i, 1], a[i, 2], as.integer(a[i, 3]), a[i, 4], a[i, 5], a[i, 6]))
        out <- c(out, sprintf("\"anova_KR\": [%s],", paste(rows, collapse = ",\n  ")))
    }
    if (!is.null(L)) {
        ct <- contest(m, L, ddf = "Kenward-Roger")
        kr <- KRmodcomp(m, L)
        out <- c(out, sprintf(paste0("\"contest\": {\"nrow\": %d, \"L\": %s, \"F\": %.17g, \"NumDF\": %d, \"DenDF\": %.17g,",
                                     " \"p\": %.17g, \"F_scaling\": %.17g, \"F_unscaled\": %.17g, \"SumSq\": %.17g, \"MeanSq\": %.17g},"),
                              nrow(L), num(t(L)), ct[["F value"]], as.integer(ct$NumDF), ct$DenDF, ct[["Pr(>F)"]],
                              kr$test["Ftest", "F.scaling"], kr$test["FtestU", "stat"], ct[["Sum Sq"]], ct[["Mean Sq"]]))
    }
    out <- c(out, sprintf("\"versions\": \"lmerTest %s, pbkrtest %s, lme4 %s, %s\"", packageVersion("lmerTest"),
                          packageVersion("pbkrtest"), packageVersion("lme4"), R.version.string))
    writeLines(c("{", out, "}"), file.path("tests/data/kenward_roger", paste0(name, ".json")))
}
write_model("sleepstudy", "sleepstudy", "Reaction ~ Days + (Days|Subject)", L = diag(2))
write_model("sleepstudy_intercept", "sleepstudy", "Reaction ~ Days + (1|Subject)",
            L = rbind(c(1, 5), c(1, 9)))
write_model("Penicillin", "Penicillin", "diameter ~ 1 + (1|plate) + (1|sample)")
write_model("Pastes", "Pastes", "strength ~ 1 + (1|batch/cask)")
write_model("Oats", "Oats", "yield ~ nitro + Variety + (1|Block/Variety)",
            L = rbind(c(0, 1, 0, 0), c(0, 0, 1, 0), c(0, 0, 0, 1)))
write_model("Oats_variety", "Oats", "yield ~ Variety + (1|Block/Variety)",
            L = rbind(c(0, 1, 0), c(0, 0, 1)))
write_model("Machines", "Machines", "score ~ Machine + (Machine|Worker)",
            L = rbind(c(0, 1, 0), c(0, 0, 1), c(0, 1, 1)))
# over-specified (the intercept twice): IE2 is singular and pbkrtest takes its pseudo-inverse
write_model("Machines_overspec", "Machines", "score ~ Machine + (1|Worker) + (0+Machine|Worker)",
            L = rbind(c(0, 1, 0), c(0, 0, 1)))
write_model("pulp", "pulp", "bright ~ 1 + (1|operator)")
# prior weights: pbkrtest's Sigma keeps sigma^2 I as its residual part (Phi is lme4's weighted vcov)
write_model("sleepstudy_w", "sleepstudy_w", "Reaction ~ Days + (Days|Subject)", L = diag(2), weights = "w")
# unbalanced designs, where vcovAdj differs from vcov: every 4th row of the first
# nine subjects and 8 of Machines' 54 rows dropped (CSVs written next to the JSON)
ss <- rd("sleepstudy.csv")
ss <- ss[!(ss$Subject %in% unique(ss$Subject)[1:9] & seq_len(nrow(ss)) %% 4 == 0), ]
write.csv(ss, "tests/data/kenward_roger/sleepstudy_unbal.csv", row.names = FALSE)
write_model("sleepstudy_unbal", "kenward_roger/sleepstudy_unbal", "Reaction ~ Days + (Days|Subject)", L = diag(2))
mc <- rd("Machines.csv")
mc <- mc[-c(2, 5, 9, 16, 23, 30, 41, 50), ]
write.csv(mc, "tests/data/kenward_roger/Machines_unbal.csv", row.names = FALSE)
write_model("Machines_unbal", "kenward_roger/Machines_unbal", "score ~ Machine + (1|Worker) + (1|Worker:Machine)",
            L = rbind(c(0, 1, 0), c(0, 0, 1)))
write_model("Dyestuff2", "Dyestuff2", "Yield ~ 1 + (1|Batch)")
# printed layouts for the byte comparisons of lmm_print_summary_ex and the CLI
options(useFancyQuotes = FALSE, width = 80)
sleepstudy <- rd("sleepstudy.csv")
writeLines(capture.output(print(summary(lmer(Reaction ~ Days + (1 | Subject), sleepstudy), ddf = "Kenward-Roger"))),
           "tests/data/kenward_roger/sleepstudy_summary.txt")
writeLines(capture.output(print(anova(lmer(Reaction ~ Days + (1 | Subject), sleepstudy), ddf = "Kenward-Roger"))),
           "tests/data/kenward_roger/sleepstudy_anova.txt")
# an ML fit is refused; the message
m <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE)
writeLines(tryCatch({ contest(m, c(0, 1), ddf = "Kenward-Roger"); "no error" }, error = function(e) conditionMessage(e)),
           "tests/data/kenward_roger/ml_error.txt")
