# Run by hand: LC_ALL=C Rscript tests/data/satterthwaite.R (from the repository root).
# lmerTest's summary() (t tests with Satterthwaite's df) of reference fits, printed
# at R's default width, for the byte comparison in tests/test_infer.c and tests/cli.sh.
suppressMessages(library(lmerTest))
options(useFancyQuotes = FALSE, width = 80)
sleepstudy <- read.csv("tests/data/sleepstudy.csv", stringsAsFactors = TRUE)
Oats <- read.csv("tests/data/Oats.csv", stringsAsFactors = TRUE)
out <- function(m, file) writeLines(capture.output(print(summary(m))), file.path("tests/data/satterthwaite", file))
# (Days | Subject) is left out: lme4's optimum differs from ours in the 5th digit of
# a variance, which the summary shows (as in tests/data/summary/cases.txt)
out(lmer(Reaction ~ Days + (1 | Subject), sleepstudy), "sleepstudy_REML.txt")
out(lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = FALSE), "sleepstudy_ML.txt")
out(lmer(yield ~ nitro + Variety + (1 | Block/Variety), Oats), "Oats_REML.txt")
out(lmer(yield ~ nitro + Variety + (1 | Block/Variety), Oats, REML = FALSE), "Oats_ML.txt")
cat(sprintf("lmerTest %s, lme4 %s, %s\n", packageVersion("lmerTest"), packageVersion("lme4"), R.version.string),
    file = "tests/data/satterthwaite/versions.txt")
# anova(m): the type III table with Satterthwaite's ddf
soybean <- read.csv("tests/data/soybean_sim.csv", stringsAsFactors = TRUE)
soybean$ID <- relevel(soybean$ID, "RC")
aov3 <- function(m, file) writeLines(capture.output(print(anova(m))), file.path("tests/data/satterthwaite", file))
# Oats is left out: its F for nitro (REML 118.0030915 in lme4, 118.0030142 at our optimum:
# same criterion to 13 digits, theta 3e-6 apart; ML likewise) differs in the printed 4th decimal
aov3(lmer(Reaction ~ Days + (1 | Subject), sleepstudy), "sleepstudy_REML_anova.txt")
aov3(lmer(AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1 | plot_number), soybean, REML = FALSE),
     "soybean_plot_ML_anova.txt")
