# lme4's side of the benchmark: Rscript bench/lme4.R <workload> <reps> <datadir> <InstEval.csv>
# Times the same statistical work as the C program of the same name (data
# loading excluded) and prints
#   RESULT <workload> <median seconds> <peak RSS in kB> <reps> <check>
suppressMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
workload <- args[1]
reps <- as.integer(args[2])
datadir <- args[3]
insteval_csv <- args[4]
rd <- function(name) read.csv(file.path(datadir, name))

timed <- function(expr_fn) {
  times <- numeric(reps)
  for (k in seq_len(reps)) {
    gc()
    t0 <- proc.time()[["elapsed"]]
    res <- expr_fn()
    times[k] <- proc.time()[["elapsed"]] - t0
  }
  list(time = median(times), check = res)
}

peak_rss_kb <- function() {
  st <- readLines("/proc/self/status")
  h <- grep("^VmHWM:", st, value = TRUE)
  if (length(h) == 0) return(-1)
  as.numeric(gsub("[^0-9]", "", h))
}

out <- switch(workload,
  pulp_boot = {
    pulp <- rd("pulp.csv")
    pulp$operator <- factor(pulp$operator)
    nullmod <- lm(bright ~ 1, pulp)
    smod <- lmer(bright ~ 1 + (1|operator), pulp, REML = FALSE)
    lrt_obs <- as.numeric(2 * (logLik(smod) - logLik(nullmod)))
    timed(function() {
      set.seed(13)
      lrstat <- numeric(1000)
      for (i in 1:1000) {
        y <- unlist(simulate(nullmod))
        bnull <- lm(y ~ 1)
        balt <- suppressMessages(lmer(y ~ 1 + (1|operator), pulp, REML = FALSE))
        lrstat[i] <- as.numeric(2 * (logLik(balt) - logLik(bnull)))
      }
      sprintf("p=%.3f", mean(lrstat > lrt_obs))
    })
  },
  sleepstudy_fit = {
    d <- rd("sleepstudy.csv"); d$Subject <- factor(d$Subject)
    timed(function() sprintf("REML=%.4f", REMLcrit(lmer(Reaction ~ Days + (Days|Subject), d))))
  },
  penicillin_fit = {
    d <- rd("Penicillin.csv"); d$plate <- factor(d$plate); d$sample <- factor(d$sample)
    timed(function() sprintf("REML=%.4f", REMLcrit(lmer(diameter ~ 1 + (1|plate) + (1|sample), d))))
  },
  soybean_loop = {
    d <- rd("soybean_sim.csv")
    d$ID <- relevel(factor(d$ID), "RC"); d$plot_number <- factor(d$plot_number); d$disk <- factor(d$disk)
    timed(function() {
      full <- lmer(AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1|plot_number) + (1|disk), d, REML = FALSE)
      X <- getME(full, "X")
      delta <- c()
      for (j in grep("^ID", colnames(X))) {
        Xj <- X[, -j]
        fj <- lmer(AqE ~ 0 + Xj + (1|plot_number) + (1|disk), d, REML = FALSE)
        delta[colnames(X)[j]] <- AIC(full) - AIC(fj)
      }
      sprintf("fits=%d,max_dAIC=%.4f", length(delta) + 1, max(delta))
    })
  },
  sleepstudy_boot = {
    d <- rd("sleepstudy.csv"); d$Subject <- factor(d$Subject)
    fm <- lmer(Reaction ~ Days + (Days|Subject), d)
    timed(function() {
      b <- bootMer(fm, fixef, nsim = 1000, seed = 13)
      m <- colMeans(b$t)
      sprintf("mean_fixef=%.2f,%.3f", m[1], m[2])
    })
  },
  sleepstudy_wfit = {
    d <- rd("sleepstudy_w.csv"); d$Subject <- factor(d$Subject)
    timed(function() sprintf("REML=%.4f", REMLcrit(lmer(Reaction ~ Days + (Days|Subject), d, weights = w))))
  },
  sleepstudy_poly = {
    d <- rd("sleepstudy.csv"); d$Subject <- factor(d$Subject)
    timed(function() sprintf("REML=%.4f", REMLcrit(lmer(Reaction ~ poly(Days, 2) + (Days|Subject), d))))
  },
  sleepstudy_satt = {
    suppressMessages(library(lmerTest))
    d <- rd("sleepstudy.csv"); d$Subject <- factor(d$Subject)
    timed(function() {
      co <- coef(summary(lmerTest::lmer(Reaction ~ Days + (Days|Subject), d)))
      sprintf("df=%.3f,%.3f", co[1, "df"], co[2, "df"])
    })
  },
  sleepstudy_confint = {
    d <- rd("sleepstudy.csv"); d$Subject <- factor(d$Subject)
    fm <- lmer(Reaction ~ Days + (Days|Subject), d)
    timed(function() {
      ci <- suppressMessages(confint(fm))
      sprintf("sig01=%.3f,%.3f;Days=%.3f,%.3f", ci[1, 1], ci[1, 2], ci[6, 1], ci[6, 2])
    })
  },
  insteval = {
    d <- read.csv(insteval_csv)
    d$s <- factor(d$s); d$d <- factor(d$d); d$dept <- factor(d$dept); d$service <- factor(d$service)
    timed(function() {
      m <- lmer(y ~ 1 + service + (1|s) + (1|d) + (1|dept), d)
      sprintf("REML=%.6f,evals=%d", REMLcrit(m), m@optinfo$feval)
    })
  },
  maximal = {
    d <- rd("maximal.csv")
    for (v in c("subj", "item", "spkr", "prec", "load")) d[[v]] <- factor(d[[v]])
    timed(function() {
      m <- lmer(rt ~ 1 + spkr*prec*load + (1 + spkr*prec*load | subj) + (1 + spkr*prec*load | item), d)
      warn <- length(m@optinfo$conv$lme4$messages) > 0
      sprintf("REML=%.4f,evals=%d%s", REMLcrit(m), m@optinfo$feval, if (warn) ",warning" else "")
    })
  },
  cbpp_fit = {
    d <- rd("cbpp.csv"); d$herd <- factor(d$herd); d$period <- factor(d$period)
    timed(function() sprintf("deviance=%.4f", -2 * as.numeric(logLik(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd),
                                                                             d, family = binomial)))))
  },
  verbagg_fit = {
    d <- rd("VerbAgg.csv"); d$id <- factor(d$id)
    timed(function() {
      m <- glmer(r2 ~ Anger + Gender + btype + situ + (1|id) + (1|item), d, family = binomial)
      sprintf("deviance=%.4f", -2 * as.numeric(logLik(m)))
    })
  },
  cbpp_boot = {
    d <- rd("cbpp.csv"); d$herd <- factor(d$herd); d$period <- factor(d$period)
    m <- glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), d, family = binomial)
    timed(function() {
      set.seed(13)
      bb <- suppressWarnings(suppressMessages(bootMer(m, fixef, nsim = 1000, use.u = FALSE, type = "parametric")))
      t1 <- bb$t[, 1]
      sprintf("mean(b0)=%.3f,valid=%d", mean(t1, na.rm = TRUE), sum(!is.na(t1)))
    })
  },
  stop("unknown workload ", workload))
cat(sprintf("RESULT %s %.6g %.0f %d %s\n", workload, out$time, peak_rss_kb(), reps, out$check))
