/* glmer simulate, refit and parametric bootstrap (lme4's simulate.merMod, refit, bootMer),
   and the exact binomial / Poisson samplers they draw from. */
#include "test.h"
#include "json.h"
#include <math.h>
#include <string.h>
#include <stdlib.h>

/* Chi-square goodness of fit of N draws against the exact pmf: consecutive values
   pooled into bins of expected count >= 20, the rest of the support (both tails'
   remainder) one last bin; the statistic must stay below its 1 - 1e-6 quantile on
   bins - 1 df, and the mean within 5 standard errors of the exact mean. */
static void check_sampler(int poisson, double a, double b, uint64_t seed)
{
    enum { K = 4096 };
    const int N = lmm_test_light ? 40000 : 200000;   /* valgrind's run: fewer draws, the same test */
    static double count[K];
    lmm_rng r;
    int i, k, bins = 0, off_support = 0;
    double mean = 0, expmean, expvar, chi = 0, e_acc = 0, o_acc = 0, e_done = 0, o_done = 0;
    memset(count, 0, sizeof count);
    lmm_rng_seed(&r, seed);
    for (i = 0; i < N; i++) {
        double x = poisson ? lmm_rng_poisson(&r, a) : lmm_rng_binomial(&r, a, b);
        if (!(x >= 0 && x == floor(x) && (poisson || x <= a))) off_support++;
        mean += x / N;
        count[x < K - 1 ? (int)x : K - 1] += 1;
    }
    CHECK(off_support == 0);
    expmean = poisson ? a : a * b;
    expvar = poisson ? a : a * b * (1 - b);
    CHECK(fabs(mean - expmean) < 5 * sqrt(expvar / N));
    for (k = 0; k < K - 1; k++) {
        e_acc += N * (poisson ? lmm_dpois(k, a, 0) : lmm_dbinom(k, a, b, 0));
        o_acc += count[k];
        if (e_acc >= 20 && N - e_done - e_acc >= 20) {
            chi += (o_acc - e_acc) * (o_acc - e_acc) / e_acc;
            e_done += e_acc; o_done += o_acc; bins++;
            e_acc = o_acc = 0;
        }
    }
    chi += ((N - o_done) - (N - e_done)) * ((N - o_done) - (N - e_done)) / (N - e_done);
    bins++;
    fprintf(stderr, "  %s(%g, %g): mean %.4f (exact %.4f), chi-square %.1f on %d df\n", poisson ? "rpois" : "rbinom",
            a, b, mean, expmean, chi, bins - 1);
    CHECK(bins >= 2);
    CHECK(chi < lmm_qchisq(1e-6, bins - 1, 0, 0));
}

/* a uniformly wrong sampler must fail the same check: a Poisson(mu) sample read as Poisson(mu * 1.02) */
static double shifted_chi(double mu)
{
    const int N = lmm_test_light ? 40000 : 200000;
    lmm_rng r;
    int i, k;
    double cnt[512] = {0}, chi = 0, e_acc = 0, o_acc = 0, e_done = 0, o_done = 0;
    lmm_rng_seed(&r, 99);
    for (i = 0; i < N; i++) { double x = lmm_rng_poisson(&r, mu * 1.02); cnt[x < 511 ? (int)x : 511] += 1; }
    for (k = 0; k < 511; k++) {
        e_acc += N * lmm_dpois(k, mu, 0); o_acc += cnt[k];
        if (e_acc >= 20 && N - e_done - e_acc >= 20) { chi += (o_acc - e_acc) * (o_acc - e_acc) / e_acc; e_done += e_acc; o_done += o_acc; e_acc = o_acc = 0; }
    }
    return chi + ((N - o_done) - (N - e_done)) * ((N - o_done) - (N - e_done)) / (N - e_done);
}

static lmm_glmm *fit_cbpp(lmm_frame **dfo)
{
    lmm_error err = {LMM_OK, ""};
    lmm_glmm_options o;
    lmm_glmm *g = NULL;
    lmm_frame *df = lmm_test_read_csv("cbpp.csv");
    CHECK(df != NULL);
    if (!df) return NULL;
    CHECK(lmm_frame_as_factor(df, "herd", &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "period", &err) == LMM_OK);
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    CHECK(lmm_glmm_fit_formula(df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &g, &err) == LMM_OK);
    if (dfo) *dfo = df; else lmm_frame_free(df);
    return g;
}

static double logistic(double x) { return 1 / (1 + exp(-x)); }

/* simulate's moments: conditional on the modes (use_u = 1) each proportion's mean is
   the fitted mu, within 5 sd of a mean of nsim binomial(m, mu)/m; with new effects
   (use_u = 0) it is E logistic(x'beta + theta Z), Z ~ N(0, 1), by the trapezoid rule. */
static void check_simulate_moments(const lmm_glmm *g)
{
    const int NSIM = lmm_test_light ? 1000 : 4000;
    lmm_rng r;
    lmm_error err = {LMM_OK, ""};
    int n = g->nobs, i, s, bad1 = 0, bad0 = 0;
    double *y = malloc(sizeof(double) * n), *m1 = calloc(n, sizeof(double)), *m0 = calloc(n, sizeof(double));
    const lmm_model *m = g->model;
    lmm_rng_seed(&r, 2024);
    for (s = 0; s < NSIM; s++) {
        CHECK(lmm_glmm_simulate(g, &r, 1, y, &err) == LMM_OK);
        for (i = 0; i < n; i++) m1[i] += y[i] / NSIM;
        CHECK(lmm_glmm_simulate(g, &r, 0, y, &err) == LMM_OK);
        for (i = 0; i < n; i++) m0[i] += y[i] / NSIM;
    }
    for (i = 0; i < n; i++) {
        double mu = g->fitted[i], trials = g->prior_weights[i], xb = 0, e = 0, e2 = 0, z, h = 0.01, v;
        int j;
        if (fabs(m1[i] - mu) > 5 * sqrt(mu * (1 - mu) / (trials * NSIM))) bad1++;
        for (j = 0; j < g->p; j++) xb += m->X->v[(size_t)j * n + i] * g->beta[j];
        for (z = -9; z <= 9 + 1e-9; z += h) {
            double w = exp(-z * z / 2) / sqrt(2 * 3.141592653589793) * h, pz = logistic(xb + g->theta[0] * z);
            e += w * pz; e2 += w * pz * pz;
        }
        /* var of y/m = E[p(1-p)]/m + var(p) */
        v = (e - e2) / trials + (e2 - e * e);
        if (fabs(m0[i] - e) > 5 * sqrt(v / NSIM)) bad0++;
    }
    fprintf(stderr, "  simulate cbpp: %d / %d conditional and %d / %d marginal means off by > 5 sd\n", bad1, n, bad0, n);
    CHECK(bad1 == 0);
    CHECK(bad0 == 0);
    free(y); free(m1); free(m0);
}

/* refit: the fit's own response gives the fit back; a simulated response gives the fit
   lmm_glmm_fit_formula makes of a frame holding it */
static void check_refit(lmm_frame *df)
{
    lmm_error err = {LMM_OK, ""};
    lmm_glmm *g = fit_cbpp(NULL), *h = NULL;
    lmm_glmm_options o;
    lmm_rng r;
    double *y, dev0;
    int i, n;
    if (!g) return;
    n = g->nobs;
    y = malloc(sizeof(double) * n);
    memcpy(y, g->y, sizeof(double) * n);
    dev0 = g->deviance;
    {
        double th = g->theta[0], b0 = g->beta[0], se0 = g->se[0];
        CHECK(lmm_glmm_refit(g, y, &err) == LMM_OK);
        fprintf(stderr, "  refit on its own response: deviance %.12f (fit %.12f)\n", g->deviance, dev0);
        CHECK(g->deviance <= dev0 + 1e-9 * dev0);
        CHECK_CLOSE(g->deviance, dev0, 1e-12, 0);
        /* the search restarted at the optimum stops within its tolerance of it (the deviance
           is flat to 1e-14 there), so the estimates agree to 1e-6, not to the last digits */
        CHECK_CLOSE(g->theta[0], th, 1e-6, 0);
        CHECK_CLOSE(g->beta[0], b0, 1e-6, 0);
        CHECK_CLOSE(g->se[0], se0, 1e-5, 0);
        CHECK(g->converged == 1);
    }
    /* a new response */
    lmm_rng_seed(&r, 7);
    CHECK(lmm_glmm_simulate(g, &r, 0, y, &err) == LMM_OK);
    {
        lmm_frame *d2 = lmm_test_read_csv("cbpp.csv");
        double *inc = malloc(sizeof(double) * n), *sz = malloc(sizeof(double) * n);
        int col;
        CHECK(d2 != NULL);
        for (i = 0; i < n; i++) { sz[i] = g->prior_weights[i]; inc[i] = floor(y[i] * sz[i] + 0.5); }
        /* cbpp has no missing rows, so the model's rows are the frame's */
        CHECK(lmm_frame_add_numeric(d2, "inc2", inc, &err) == LMM_OK);
        CHECK(lmm_frame_as_factor(d2, "herd", &err) == LMM_OK);
        CHECK(lmm_frame_as_factor(d2, "period", &err) == LMM_OK);
        memset(&o, 0, sizeof o);
        o.model.family = LMM_FAMILY_BINOMIAL;
        CHECK(lmm_glmm_fit_formula(d2, "cbind(inc2, size - inc2) ~ period + (1 | herd)", &o, &h, &err) == LMM_OK);
        CHECK(lmm_glmm_refit(g, y, &err) == LMM_OK);
        if (h) {
            /* PIRLS's start (lp0: the refit keeps the fit's, a fresh fit takes its first stage's)
               moves the Laplace deviance by ~1e-4 here (in lme4 too): the two optima agree to
               that, and the refit's is the lower on its own deviance function */
            double cross = lmm_glmm_deviance_at(g, h->theta, h->beta);
            fprintf(stderr, "  refit on a simulated response: deviance %.10f, fresh fit %.10f (refit's deviance there %.10f)\n",
                    g->deviance, h->deviance, cross);
            CHECK_CLOSE(g->deviance, h->deviance, 1e-5, 0);
            CHECK(cross >= g->deviance - 1e-9);
            for (i = 0; i < g->p; i++) CHECK_CLOSE(g->beta[i], h->beta[i], 0, 2e-3);
            CHECK_CLOSE(g->theta[0], h->theta[0], 0, 2e-3);
            for (i = 0; i < g->p; i++) CHECK_CLOSE(g->se[i], h->se[i], 2e-2, 0);
            for (i = 0; i < g->q; i++) CHECK_CLOSE(g->b[i], h->b[i], 0, 2e-3);
            CHECK(g->converged == 1);
        }
        (void)col;
        free(inc); free(sz);
        lmm_glmm_free(h);
        lmm_frame_free(d2);
    }
    /* bad responses */
    y[0] = 1.5;
    CHECK(lmm_glmm_refit(g, y, &err) == LMM_ERR_DATA);
    y[0] = 0.5 / g->prior_weights[0];
    CHECK(lmm_glmm_refit(g, y, &err) == LMM_ERR_DATA);
    free(y);
    lmm_glmm_free(g);
    (void)df;
}

static void check_bootstrap(const lmm_glmm *g)
{
    enum { B = 24 };
    lmm_error err = {LMM_OK, ""};
    lmm_boot_options bo;
    int p = g->p, i, same = 1, differ = 0;
    double *a = malloc(sizeof(double) * B * p), *b = malloc(sizeof(double) * B * p), *c = malloc(sizeof(double) * B * p);
    memset(&bo, 0, sizeof bo);
    bo.threads = 1;
    CHECK(lmm_glmm_bootmer(g, B, 11, 0, NULL, p, NULL, a, &bo, &err) == LMM_OK);
    bo.threads = 2;
    CHECK(lmm_glmm_bootmer(g, B, 11, 0, NULL, p, NULL, b, &bo, &err) == LMM_OK);
    for (i = 0; i < B * p; i++) if (memcmp(&a[i], &b[i], sizeof(double)) != 0) same = 0;
    CHECK(same);
    /* two shards hold the same replicates */
    bo.first = 10; bo.last = B;
    CHECK(lmm_glmm_bootmer(g, B, 11, 0, NULL, p, NULL, c, &bo, &err) == LMM_OK);
    for (i = 0; i < (B - 10) * p; i++) if (memcmp(&a[10 * p + i], &c[i], sizeof(double)) != 0) same = 0;
    CHECK(same);
    bo.first = 0; bo.last = 0;
    CHECK(lmm_glmm_bootmer(g, B, 12, 0, NULL, p, NULL, b, &bo, &err) == LMM_OK);
    for (i = 0; i < B * p; i++) if (a[i] != b[i]) differ++;
    CHECK(differ == B * p);
    for (i = 0; i < B * p; i++) CHECK(isfinite(a[i]));
    CHECK(lmm_glmm_bootmer(g, B, 11, 0, NULL, p + 1, NULL, b, &bo, &err) == LMM_ERR_ARG);
    free(a); free(b); free(c);
}


/* lme4's checkConv: a converged fit has no warning; a stage 2 cut short (12 evaluations;
   with theta scaled stage 2 is within 1e-7 of the optimum after 16) is flagged, with lme4's gradient text */
static void check_convergence(const lmm_glmm *g, lmm_frame *df)
{
    lmm_error err = {LMM_OK, ""};
    lmm_glmm_options o;
    lmm_glmm *h = NULL;
    CHECK(g->converged == 1 && g->warning[0] == 0);
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    o.optim.max_evals = 12;
    CHECK(lmm_glmm_fit_formula(df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &h, &err) == LMM_OK);
    if (!h) return;
    fprintf(stderr, "  stage 2 cut at 12 evaluations: deviance %.6f, warning \"%s\"\n", h->deviance, h->warning);
    CHECK(h->converged == 0);
    CHECK(strncmp(h->warning, "Model failed to converge with max|grad| = ", 42) == 0);
    CHECK(strstr(h->warning, "(tol = 0.002, component 1)") != NULL);
    lmm_glmm_free(h);
}

/* the parametric-bootstrap LRT of period: observed = the deviance difference; shards merge
   to the whole run; under the null the statistic is about chi-square(3) (mean 3, var 6) */
static void check_boot_lrt(const lmm_glmm *g, lmm_frame *df)
{
    const int B = lmm_test_light ? 100 : 200;
    lmm_error err = {LMM_OK, ""};
    lmm_glmm_options o;
    lmm_glmm *g0 = NULL;
    lmm_boot_result r, s1, s2, all;
    lmm_boot_options bo;
    double mean = 0;
    int i;
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    CHECK(lmm_glmm_fit_formula(df, "cbind(incidence, size - incidence) ~ 1 + (1 | herd)", &o, &g0, &err) == LMM_OK);
    if (!g0) return;
    CHECK(lmm_glmm_boot_lrt(g, g0, 10, 1, NULL, &r, &err) == LMM_ERR_ARG);   /* not nested that way */
    CHECK(lmm_glmm_boot_lrt(g0, g, B, 3, NULL, &r, &err) == LMM_OK);
    CHECK_CLOSE(r.observed, g0->deviance - g->deviance, 1e-12, 0);
    CHECK(r.nvalid == B);
    for (i = 0; i < B; i++) mean += r.stats[i] / B;
    fprintf(stderr, "  bootstrap LRT of period: observed %.4f, p %.4f, mean statistic %.3f (chi-square(3): 3)\n", r.observed, r.pvalue, mean);
    CHECK(fabs(mean - 3) < 4 * sqrt(6.0 / B));
    CHECK(r.pvalue == 0);
    memset(&bo, 0, sizeof bo);
    bo.first = 0; bo.last = 77;
    CHECK(lmm_glmm_boot_lrt(g0, g, B, 3, &bo, &s1, &err) == LMM_OK);
    bo.first = 77; bo.last = B;
    CHECK(lmm_glmm_boot_lrt(g0, g, B, 3, &bo, &s2, &err) == LMM_OK);
    {
        lmm_boot_result sh[2];
        sh[0] = s2; sh[1] = s1;
        CHECK(lmm_boot_merge(sh, 2, &all, &err) == LMM_OK);
        CHECK(memcmp(all.stats, r.stats, sizeof(double) * B) == 0);
        lmm_boot_result_free(&all);
    }
    lmm_boot_result_free(&r); lmm_boot_result_free(&s1); lmm_boot_result_free(&s2);
    lmm_glmm_free(g0);
}

/* bootMer(fixef): the parametric bootstrap's mean of each fixed effect is the estimate
   within 4 standard errors of a mean of B replicates (sd of the replicates / sqrt(B)),
   and the replicates are distributed as lme4's bootMer's */
static void check_bootstrap_mean(const lmm_glmm *g)
{
    const int B = lmm_test_light ? 100 : 300;
    lmm_error err = {LMM_OK, ""};
    int p = g->p, i, j, nvalid = 0;
    double *t = malloc(sizeof(double) * B * p);
    char path[256];
    tj_node *ref;
    snprintf(path, sizeof path, "%s/glmm/cbpp_bootmer.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);   /* tests/data/glmm_boot.R */
    CHECK(lmm_glmm_bootmer(g, B, 20261130, 0, NULL, p, NULL, t, NULL, &err) == LMM_OK);
    for (j = 0; j < p; j++) {
        double mean = 0, ss = 0, sd;
        int n = 0;
        for (i = 0; i < B; i++) if (isfinite(t[i * p + j])) { mean += t[i * p + j]; n++; }
        mean /= n;
        for (i = 0; i < B; i++) if (isfinite(t[i * p + j])) ss += (t[i * p + j] - mean) * (t[i * p + j] - mean);
        sd = sqrt(ss / (n - 1));
        fprintf(stderr, "  bootMer fixef %d: mean %.4f (estimate %.4f), sd %.4f (se %.4f), %d valid\n", j, mean, g->beta[j], sd, g->se[j], n);
        CHECK(fabs(mean - g->beta[j]) < 4 * sd / sqrt((double)n));
        CHECK(sd > 0.7 * g->se[j] && sd < 1.4 * g->se[j]);   /* the replicates spread as the SEs say */
        if (ref && tj_len(tj_get(ref, "mean")) == p) {
            /* lme4's bootMer of the same fit (1000 replicates): the same distribution within
               4 Monte Carlo standard errors of the difference of the two means and of the sd ratio */
            double lm = tj_num(tj_at(tj_get(ref, "mean"), j)), ls = tj_num(tj_at(tj_get(ref, "sd"), j));
            double nl = tj_num(tj_get(ref, "valid"));
            fprintf(stderr, "  lme4's bootMer fixef %d: mean %.4f, sd %.4f\n", j, lm, ls);
            CHECK(fabs(mean - lm) < 4 * sqrt(sd * sd / n + ls * ls / nl));
            CHECK(fabs(sd / ls - 1) < 4 * sqrt(1.0 / (2 * n) + 1.0 / (2 * nl)));
        }
        if (j == 0) nvalid = n;
    }
    CHECK(ref != NULL);
    tj_free(ref);
    CHECK(nvalid >= B - 3);
    free(t);
}

void test_glmmsim(void)
{
    lmm_frame *df = NULL;
    lmm_glmm *g;
    check_sampler(1, 0.3, 0, 1);
    check_sampler(1, 4.5, 0, 2);
    check_sampler(1, 9.99, 0, 3);
    check_sampler(1, 10, 0, 4);
    check_sampler(1, 37.2, 0, 5);
    check_sampler(1, 1500, 0, 6);
    check_sampler(0, 1, 0.3, 7);
    check_sampler(0, 14, 0.2, 8);
    check_sampler(0, 20, 0.5, 9);
    check_sampler(0, 120, 0.9, 10);
    check_sampler(0, 1000, 0.03, 11);
    check_sampler(0, 5000, 0.41, 12);
    {
        double chi = shifted_chi(30);
        fprintf(stderr, "  a 2%% wrong Poisson mean gives chi-square %.1f\n", chi);
        CHECK(chi > lmm_qchisq(1e-6, 20, 0, 0));
    }
    CHECK(isnan(lmm_rng_poisson(NULL, -1)));
    g = fit_cbpp(&df);
    if (!g) { lmm_frame_free(df); return; }
    check_simulate_moments(g);
    check_refit(df);
    check_bootstrap(g);
    check_bootstrap_mean(g);
    check_convergence(g, df);
    check_boot_lrt(g, df);
    lmm_glmm_free(g);
    lmm_frame_free(df);
}
