/* Simulation, parametric bootstrap and prediction: moments against closed forms, the lecture's
   pulp bootstrap against lme4's figures (statistically), exact shard merging, predictions
   against lme4's fixef/ranef, and bad input. */
#include "test.h"

static lmm_frame *sim_read(const char *name)
{
    char path[256];
    lmm_frame *df = NULL;
    lmm_error err;
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
    if (lmm_frame_read_csv(path, &df, &err) != LMM_OK) fprintf(stderr, "  %s: %s\n", path, err.message);
    return df;
}

static lmm_fit *sim_fit(const lmm_frame *df, const char *formula, int ml)
{
    lmm_fit_options o;
    lmm_fit *fit = NULL;
    lmm_error err;
    memset(&o, 0, sizeof o);
    o.ml = ml;
    if (lmm_fit_formula(df, formula, &o, &fit, &err) != LMM_OK) fprintf(stderr, "  %s: %s\n", formula, err.message);
    return fit;
}

/* pulp REML (lme4): sigma_b^2 = 0.06808333608, sigma^2 = 0.10624999941, beta = 60.4,
   ranef(a) = -0.1219402998. Rows 0 and 4 share operator a, row 1 is operator b. */
static void sim_moments(void)
{
    lmm_frame *df = sim_read("pulp.csv");
    lmm_fit *fit;
    lmm_lm *lm = NULL;
    lmm_rng rng, rng2;
    lmm_error err;
    double y[20], y2[20], s0 = 0, s00 = 0, s04 = 0, s01 = 0, s4 = 0, s1 = 0, u0 = 0, u00 = 0, l0 = 0, l00 = 0;
    const double vb = 0.06808333608341843, ve = 0.10624999941289993, V = vb + ve;
    const int N = 20000;
    int r, i, same = 1;
    if (!df) return;
    fit = sim_fit(df, "bright ~ 1 + (1|operator)", 0);
    CHECK(lmm_lm_fit(df, "bright ~ 1", NULL, &lm, &err) == LMM_OK);
    if (!fit || !lm) { lmm_fit_free(fit); lmm_lm_free(lm); lmm_frame_free(df); return; }
    lmm_rng_seed(&rng, 42);
    for (r = 0; r < N; r++) {
        CHECK(r > 0 || lmm_simulate(fit, &rng, 0, y, &err) == LMM_OK);
        if (r > 0) lmm_simulate(fit, &rng, 0, y, NULL);
        s0 += y[0]; s4 += y[4]; s1 += y[1];
        s00 += (y[0] - 60.4) * (y[0] - 60.4);
        s04 += (y[0] - 60.4) * (y[4] - 60.4);
        s01 += (y[0] - 60.4) * (y[1] - 60.4);
        lmm_simulate(fit, &rng, 1, y, NULL);
        u0 += y[0]; u00 += (y[0] - (60.4 - 0.12194029983934154)) * (y[0] - (60.4 - 0.12194029983934154));
        lmm_lm_simulate(lm, &rng, y);
        l0 += y[7]; l00 += (y[7] - 60.4) * (y[7] - 60.4);
    }
    /* new effects: E y = beta, Var y = vb + ve, Cov(same operator) = vb, Cov(other operator) = 0
       (bounds: 5 Monte-Carlo standard errors) */
    CHECK_CLOSE(s0 / N, 60.4, 0, 5 * sqrt(V / N));
    CHECK_CLOSE(s4 / N, 60.4, 0, 5 * sqrt(V / N));
    CHECK_CLOSE(s1 / N, 60.4, 0, 5 * sqrt(V / N));
    CHECK_CLOSE(s00 / N, V, 0, 5 * V * sqrt(2.0 / N));
    CHECK_CLOSE(s04 / N, vb, 0, 5 * sqrt((V * V + vb * vb) / N));
    CHECK_CLOSE(s01 / N, 0, 0, 5 * V / sqrt((double)N));
    /* use.u = TRUE: E y = beta + b_a, Var y = sigma^2 */
    CHECK_CLOSE(u0 / N, 60.4 - 0.12194029983934154, 0, 5 * sqrt(ve / N));
    CHECK_CLOSE(u00 / N, ve, 0, 5 * ve * sqrt(2.0 / N));
    /* lm(bright ~ 1): mean(bright) = 60.4, sd(bright) = 0.4 */
    CHECK_CLOSE(l0 / N, 60.4, 0, 5 * 0.4 / sqrt((double)N));
    CHECK_CLOSE(l00 / N, 0.16, 0, 5 * 0.16 * sqrt(2.0 / N));

    /* use_u = 1 draws only residual noise: y - fitted is sigma times the stream's normals */
    lmm_rng_seed_stream(&rng, 7, 3);
    lmm_rng_seed_stream(&rng2, 7, 3);
    lmm_simulate(fit, &rng, 1, y, NULL);
    for (i = 0; i < 20; i++) CHECK_CLOSE(y[i], fit->fitted[i] + fit->sigma * lmm_rng_normal(&rng2), 0, 1e-12);
    /* the same stream gives the same response, another stream another one */
    lmm_rng_seed_stream(&rng, 7, 3); lmm_simulate(fit, &rng, 0, y, NULL);
    lmm_rng_seed_stream(&rng, 7, 3); lmm_simulate(fit, &rng, 0, y2, NULL);
    CHECK(memcmp(y, y2, sizeof y) == 0);
    lmm_rng_seed_stream(&rng, 7, 4); lmm_simulate(fit, &rng, 0, y2, NULL);
    for (i = 0; i < 20; i++) if (y[i] != y2[i]) same = 0;
    CHECK(!same);
    CHECK(lmm_simulate(NULL, &rng, 0, y, &err) == LMM_ERR_ARG);
    lmm_fit_free(fit);
    lmm_lm_free(lm);
    lmm_frame_free(df);
}

static int sim_progress_calls, sim_progress_last, sim_progress_total;
static void sim_progress(int done, int total, void *user)
{
    (void)user;
    sim_progress_calls++;
    CHECK(done >= sim_progress_last);
    sim_progress_last = done; sim_progress_total = total;
}

/* The lecture's loop: nullmod = lm(bright ~ 1), alternative lmer(bright ~ 1 + (1|operator), REML = FALSE). */
static void sim_lrt(void)
{
    lmm_frame *df = sim_read("pulp.csv");
    lmm_fit *alt, *reml;
    lmm_lm *lm = NULL;
    lmm_error err;
    lmm_boot_result all, sh[4], merged, small;
    lmm_boot_options o;
    long before, setup_small, setup_big;
    int s, i, nbig;
    if (!df) return;
    alt = sim_fit(df, "bright ~ 1 + (1|operator)", 1);
    reml = sim_fit(df, "bright ~ 1 + (1|operator)", 0);
    CHECK(lmm_lm_fit(df, "bright ~ 1", NULL, &lm, &err) == LMM_OK);
    if (!alt || !lm || !reml) { lmm_fit_free(alt); lmm_fit_free(reml); lmm_lm_free(lm); lmm_frame_free(df); return; }

    memset(&o, 0, sizeof o);
    o.progress = sim_progress;
    sim_progress_calls = sim_progress_last = sim_progress_total = 0;
    before = lmm_test_allocs;
    CHECK(lmm_boot_lrt(lm, NULL, alt, 1000, 13, &o, &all, &err) == LMM_OK);
    setup_big = lmm_test_allocs - before;
    CHECK(sim_progress_calls >= 10 && sim_progress_last == 1000 && sim_progress_total == 1000);
    /* as.numeric(2*(logLik(smod) - logLik(nullmod))) = 2.568371 (lecture) */
    CHECK_CLOSE(all.observed, 2.568371, 0, 1e-6);
    CHECK(all.nsim == 1000 && all.first == 0 && all.last == 1000 && all.nvalid == 1000);
#ifdef _OPENMP
    CHECK(all.threads >= 1);   /* the OpenMP team's size (the CI's OpenMP run uses 2) */
#else
    CHECK(all.threads == 1);
#endif
    /* lme4: p = 0.026 (lecture), 0.025 (our R run); share of zeros 0.69 */
    CHECK(all.pvalue >= 0.015 && all.pvalue <= 0.040);
    CHECK(all.frac_zero >= 0.62 && all.frac_zero <= 0.76);
    CHECK_CLOSE(all.pvalue_se, sqrt(all.pvalue * (1 - all.pvalue) / 1000), 1e-12, 0);
    CHECK(all.elapsed_s >= 0);
    for (i = 0; i < 1000; i++) CHECK(all.stats[i] > -1e-6);   /* the alternative nests the null */

    /* the replicate loop allocates nothing: setup costs the same for 10 and 1000 replicates */
    before = lmm_test_allocs;
    CHECK(lmm_boot_lrt(lm, NULL, alt, 10, 13, NULL, &small, &err) == LMM_OK);
    setup_small = lmm_test_allocs - before;
#ifndef _OPENMP
    CHECK(setup_small == setup_big);   /* the test allocator's counter is not atomic: serial builds only */
#else
    (void)setup_small; (void)setup_big;
#endif
    /* and replicate b does not depend on the run: the first 10 of 1000 are the 10 of a B = 10 run */
    CHECK(memcmp(small.stats, all.stats, 10 * sizeof(double)) == 0);
    lmm_boot_result_free(&small);

    /* shards [0,500) + [500,1000), and four uneven shards, merge into the single run bit for bit */
    o.progress = NULL;
    o.first = 500; o.last = 1000;
    CHECK(lmm_boot_lrt(lm, NULL, alt, 1000, 13, &o, &sh[1], &err) == LMM_OK);
    o.first = 0; o.last = 500;
    CHECK(lmm_boot_lrt(lm, NULL, alt, 1000, 13, &o, &sh[0], &err) == LMM_OK);
    CHECK(lmm_boot_merge(sh, 2, &merged, &err) == LMM_OK);
    CHECK(merged.stats && memcmp(merged.stats, all.stats, 1000 * sizeof(double)) == 0);
    CHECK(merged.pvalue == all.pvalue && merged.frac_zero == all.frac_zero && merged.pvalue_se == all.pvalue_se);
    lmm_boot_result_free(&merged);
    /* overlapping or incomplete shards are refused */
    CHECK(lmm_boot_merge(sh, 1, &merged, &err) == LMM_ERR_ARG);
    CHECK(lmm_boot_merge(sh + 1, 1, &merged, &err) == LMM_ERR_ARG);
    for (s = 0; s < 2; s++) lmm_boot_result_free(&sh[s]);
    {
        static const int cut[5] = { 0, 137, 500, 501, 1000 };
        for (s = 0; s < 4; s++) {
            o.first = cut[s]; o.last = cut[s + 1];
            CHECK(lmm_boot_lrt(lm, NULL, alt, 1000, 13, &o, &sh[3 - s], &err) == LMM_OK);
        }
        CHECK(lmm_boot_merge(sh, 4, &merged, &err) == LMM_OK);
        CHECK(merged.stats && memcmp(merged.stats, all.stats, 1000 * sizeof(double)) == 0);
        CHECK(merged.pvalue == all.pvalue);
        lmm_boot_result_free(&merged);
        sh[0].first = 400;   /* now overlapping */
        CHECK(lmm_boot_merge(sh, 4, &merged, &err) == LMM_ERR_ARG);
        for (s = 0; s < 4; s++) lmm_boot_result_free(&sh[s]);
    }

    /* bad calls */
    CHECK(lmm_boot_lrt(lm, NULL, reml, 100, 1, NULL, &small, &err) == LMM_ERR_ARG);    /* REML */
    CHECK(lmm_boot_lrt(lm, alt, alt, 100, 1, NULL, &small, &err) == LMM_ERR_ARG);      /* two nulls */
    CHECK(lmm_boot_lrt(NULL, NULL, alt, 100, 1, NULL, &small, &err) == LMM_ERR_ARG);
    CHECK(lmm_boot_lrt(lm, NULL, alt, 0, 1, NULL, &small, &err) == LMM_ERR_ARG);
    o.first = 50; o.last = 20;
    CHECK(lmm_boot_lrt(lm, NULL, alt, 100, 1, &o, &small, &err) == LMM_ERR_ARG);
    o.first = 0; o.last = 101;
    CHECK(lmm_boot_lrt(lm, NULL, alt, 100, 1, &o, &small, &err) == LMM_ERR_ARG);

    /* an lmer null (the same model as the alternative): every statistic is 0 */
    CHECK(lmm_boot_lrt(NULL, alt, alt, 20, 5, NULL, &small, &err) == LMM_OK);
    CHECK_CLOSE(small.observed, 0, 0, 1e-12);
    for (i = 0; i < 20; i++) CHECK_CLOSE(small.stats[i], 0, 0, 1e-7);
    lmm_boot_result_free(&small);

    /* B = 20000 (valgrind's run: 5000): within 3 standard errors of lme4's own B = 20000 run
       (p = 0.0218, se 0.001033; 70.305% of its statistics zero) */
    nbig = lmm_test_light ? 5000 : 20000;
    CHECK(lmm_boot_lrt(lm, NULL, alt, nbig, 2026, NULL, &small, &err) == LMM_OK);
    CHECK_CLOSE(small.pvalue, 0.0218, 0, 3 * sqrt(0.001033 * 0.001033 + small.pvalue_se * small.pvalue_se));
    CHECK_CLOSE(small.frac_zero, 0.70305, 0, 3 * sqrt(0.7 * 0.3 / 20000 + 0.7 * 0.3 / nbig));
    lmm_boot_result_free(&small);

    /* allocation failure anywhere in the setup: an error and nothing leaked (ASan) */
    for (i = 0; i < 60; i++) {
        lmm_status st;
        lmm_test_fail_after = lmm_test_allocs + i;
        st = lmm_boot_lrt(lm, NULL, alt, 20, 13, NULL, &small, &err);
        lmm_test_fail_after = -1;
        CHECK(st == LMM_OK || (st == LMM_ERR_NOMEM && small.stats == NULL));
        lmm_boot_result_free(&small);
    }

    lmm_boot_result_free(&all);
    lmm_fit_free(alt); lmm_fit_free(reml);
    lmm_lm_free(lm);
    lmm_frame_free(df);
}

static void sim_fixef(const lmm_fit *refit, void *user, double *out)
{
    (void)user;
    out[0] = refit->beta[0];
    out[1] = refit->beta[1];
}

static void sim_bootmer(void)
{
    lmm_frame *df = sim_read("sleepstudy.csv");
    lmm_fit *fit;
    lmm_error err;
    double *out, m[2] = { 0, 0 }, v[2] = { 0, 0 }, q[3], ci[2];
    static const double x[10] = { 3, 1, 4, 10, 5, 9, 2, 6, 8, 7 }, probs[3] = { 0.1, 0.5, 0.975 };
    static const double probs2[2] = { 0.025, 0.975 };
    const int B = lmm_test_light ? 1000 : 2000;   /* valgrind's run: fewer replicates, the same checks */
    lmm_boot_options o;
    int b, j;
    /* R: quantile(1:10, c(0.1, 0.5, 0.975)) = 1.9, 5.5, 9.775 */
    CHECK(lmm_quantiles(x, 10, 1, probs, 3, q, &err) == LMM_OK);
    CHECK_CLOSE(q[0], 1.9, 1e-14, 0); CHECK_CLOSE(q[1], 5.5, 1e-14, 0); CHECK_CLOSE(q[2], 9.775, 1e-14, 0);
    CHECK(lmm_quantiles(x, 5, 2, probs, 1, q, &err) == LMM_OK);   /* 3, 4, 5, 2, 8: 2.4 */
    CHECK_CLOSE(q[0], 2.4, 1e-14, 0);
    q[0] = 1.5;
    CHECK(lmm_quantiles(x, 10, 1, q, 1, q + 1, &err) == LMM_ERR_ARG);
    if (!df) return;
    fit = sim_fit(df, "Reaction ~ Days + (Days | Subject)", 0);
    if (!fit) { lmm_frame_free(df); return; }
    out = (double *)malloc((size_t)B * 2 * sizeof *out);
    CHECK(lmm_bootmer(fit, B, 99, 0, sim_fixef, 2, NULL, out, NULL, &err) == LMM_OK);
    for (b = 0; b < B; b++) for (j = 0; j < 2; j++) { CHECK(isfinite(out[b * 2 + j])); m[j] += out[b * 2 + j] / B; }
    for (b = 0; b < B; b++) for (j = 0; j < 2; j++) v[j] += (out[b * 2 + j] - m[j]) * (out[b * 2 + j] - m[j]) / (B - 1);
    /* the truth of the simulation is the fit's beta (lme4: 251.405105, 10.467286); within 3 MC SEs */
    CHECK_CLOSE(m[0], 251.40510484848497, 0, 3 * sqrt(v[0] / B));
    CHECK_CLOSE(m[1], 10.467285959595987, 0, 3 * sqrt(v[1] / B));
    /* lme4's bootMer (B = 1000, REML): sd of the fixef 6.58 and 1.53; ours within 10% */
    CHECK_CLOSE(sqrt(v[0]), 6.579196531055425, 0.1, 0);
    CHECK_CLOSE(sqrt(v[1]), 1.5332099617038852, 0.1, 0);
    /* percentile interval of the slope covers the estimate and has about 2 * 1.96 sd width */
    CHECK(lmm_quantiles(out + 1, B, 2, probs2, 2, ci, &err) == LMM_OK);
    CHECK(ci[0] < 10.4673 && ci[1] > 10.4673);
    CHECK_CLOSE(ci[1] - ci[0], 2 * 1.959964 * 1.5332099617038852, 0.15, 0);
    /* a shard reproduces the same replicates */
    memset(&o, 0, sizeof o);
    o.first = B - 10; o.last = B;
    {
        double part[20];
        CHECK(lmm_bootmer(fit, B, 99, 0, sim_fixef, 2, NULL, part, &o, &err) == LMM_OK);
        CHECK(memcmp(part, out + (size_t)(B - 10) * 2, sizeof part) == 0);
    }
    CHECK(lmm_bootmer(fit, B, 99, 0, NULL, 2, NULL, out, NULL, &err) == LMM_ERR_ARG);
    free(out);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

static void sim_predict(void)
{
    lmm_frame *df = sim_read("sleepstudy.csv"), *nd = NULL, *oats = NULL;
    lmm_fit *fit, *ofit;
    lmm_error err;
    double pred[4], days[4] = { 0, 5, 9, NAN }, subj[4] = { 308, 999, 309, 308 }, *all;
    const double b0 = 251.40510484848497, b1 = 10.467285959595987;
    int i;
    if (!df) return;
    fit = sim_fit(df, "Reaction ~ Days + (Days | Subject)", 0);
    if (!fit) { lmm_frame_free(df); return; }
    CHECK(lmm_frame_new(4, &nd, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(nd, "Days", days, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(nd, "Subject", subj, &err) == LMM_OK);
    /* population level (re.form = ~0): X beta with lme4's fixef */
    CHECK(lmm_predict(fit, df, nd, 0, pred, &err) == LMM_OK);
    CHECK_CLOSE(pred[0], b0, 1e-6, 0);
    CHECK_CLOSE(pred[1], b0 + 5 * b1, 1e-6, 0);
    CHECK_CLOSE(pred[2], b0 + 9 * b1, 1e-6, 0);
    CHECK(isnan(pred[3]));                           /* missing Days */
    /* conditional: + ranef of known subjects (lme4), a new subject falls back to the population */
    CHECK(lmm_predict(fit, df, nd, 1, pred, &err) == LMM_OK);
    CHECK_CLOSE(pred[0], b0 + 2.258550949901155, 1e-6, 0);
    CHECK_CLOSE(pred[1], b0 + 5 * b1, 1e-6, 0);
    CHECK_CLOSE(pred[2], b0 - 40.39873807880509 + 9 * (b1 - 8.619680615243206), 1e-5, 0);
    CHECK(isnan(pred[3]));
    /* on the training observations: population X beta, conditional = fitted */
    all = (double *)malloc(180 * sizeof *all);
    CHECK(lmm_predict(fit, NULL, NULL, 0, all, &err) == LMM_OK);
    CHECK_CLOSE(all[179], b0 + 9 * b1, 1e-6, 0);     /* the last row: Days 9 */
    CHECK(lmm_predict(fit, NULL, NULL, 1, all, &err) == LMM_OK);
    /* lme4: fitted(m)[1] = 253.663656 (subject 308, day 0) */
    CHECK_CLOSE(all[0], b0 + 2.258550949901155, 1e-6, 0);
    /* predicting the training frame as newdata gives the fitted values */
    {
        double *again = (double *)malloc(180 * sizeof *again);
        CHECK(lmm_predict(fit, df, df, 1, again, &err) == LMM_OK);
        for (i = 0; i < 180; i++) CHECK_CLOSE(again[i], fit->fitted[i], 1e-10, 1e-9);
        free(again);
    }
    free(all);
    /* bad newdata: a missing column, no training frame */
    {
        lmm_frame *bad = NULL;
        CHECK(lmm_frame_new(4, &bad, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(bad, "Subject", subj, &err) == LMM_OK);
        CHECK(lmm_predict(fit, df, bad, 0, pred, &err) == LMM_ERR_FORMULA);
        CHECK(strstr(err.message, "Days") != NULL);
        lmm_frame_free(bad);
        CHECK(lmm_predict(fit, NULL, nd, 0, pred, &err) == LMM_ERR_ARG);
        /* conditional needs the grouping column; population level does not */
        bad = NULL;
        CHECK(lmm_frame_new(4, &bad, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(bad, "Days", days, &err) == LMM_OK);
        CHECK(lmm_predict(fit, df, bad, 0, pred, &err) == LMM_OK);
        CHECK(lmm_predict(fit, df, bad, 1, pred, &err) == LMM_ERR_FORMULA);
        lmm_frame_free(bad);
    }
    lmm_frame_free(nd);
    lmm_fit_free(fit);

    /* Days as a factor, newdata with plain numbers: matched by R's labels. The design is balanced,
       so the population prediction for a day is that day's mean reaction (closed form). */
    CHECK(lmm_frame_as_factor(df, "Days", &err) == LMM_OK);
    fit = sim_fit(df, "Reaction ~ Days + (1 | Subject)", 0);
    if (fit) {
        double d3 = 0, d0 = 0, nd_days[2] = { 3, 0 }, bad_days[2] = { 3, 12 };
        int c = lmm_frame_find(df, "Reaction");
        for (i = 0; i < 180; i++) {
            if (i % 10 == 3) d3 += df->cols[c].num[i] / 18;
            if (i % 10 == 0) d0 += df->cols[c].num[i] / 18;
        }
        nd = NULL;
        CHECK(lmm_frame_new(2, &nd, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(nd, "Days", nd_days, &err) == LMM_OK);
        CHECK(lmm_predict(fit, df, nd, 0, pred, &err) == LMM_OK);
        CHECK_CLOSE(pred[0], d3, 1e-9, 0);
        CHECK_CLOSE(pred[1], d0, 1e-9, 0);
        lmm_frame_free(nd);
        nd = NULL;
        CHECK(lmm_frame_new(2, &nd, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(nd, "Days", bad_days, &err) == LMM_OK);
        CHECK(lmm_predict(fit, df, nd, 0, pred, &err) == LMM_ERR_DATA);
        CHECK(strstr(err.message, "'12'") != NULL);
        lmm_frame_free(nd);
    }
    lmm_fit_free(fit);
    lmm_frame_free(df);

    /* Oats: a fixed factor and nested groups (1|Block/Variety); lme4 fixef and ranef */
    oats = sim_read("Oats.csv");
    if (!oats) return;
    ofit = sim_fit(oats, "yield ~ nitro + Variety + (1|Block/Variety)", 0);
    if (ofit) {
        static const char *var[3] = { "Victory", "Golden Rain", "Marvellous" }, *blk[3] = { "I", "I", "VII" };
        static const char *badvar[3] = { "Victory", "Spring", "Marvellous" };
        double nitro[3] = { 0.2, 0.4, 0 };
        nd = NULL;
        CHECK(lmm_frame_new(3, &nd, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(nd, "nitro", nitro, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(nd, "Variety", var, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(nd, "Block", blk, &err) == LMM_OK);
        CHECK(lmm_predict(ofit, oats, nd, 0, pred, &err) == LMM_OK);
        CHECK_CLOSE(pred[0], 82.40000000000279 + 0.2 * 73.66666666666625 - 6.875000000000962, 1e-6, 0);
        CHECK_CLOSE(pred[1], 82.40000000000279 + 0.4 * 73.66666666666625, 1e-6, 0);
        CHECK_CLOSE(pred[2], 82.40000000000279 + 5.291666666665614, 1e-6, 0);
        CHECK(lmm_predict(ofit, oats, nd, 1, pred, &err) == LMM_OK);
        /* Golden Rain in block I: + ranef Block I 25.4215358 + Variety:Block "Golden Rain:I" 2.4120749;
           block VII is new: population level */
        CHECK_CLOSE(pred[1], 82.40000000000279 + 0.4 * 73.66666666666625 + 25.42153577978551 + 2.412074884135864, 1e-6, 0);
        CHECK_CLOSE(pred[2], 82.40000000000279 + 5.291666666665614, 1e-6, 0);
        lmm_frame_free(nd);
        nd = NULL;
        /* a fixed-effect level unseen in training is an error */
        CHECK(lmm_frame_new(3, &nd, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(nd, "nitro", nitro, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(nd, "Variety", badvar, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(nd, "Block", blk, &err) == LMM_OK);
        CHECK(lmm_predict(ofit, oats, nd, 0, pred, &err) == LMM_ERR_DATA);
        CHECK(strstr(err.message, "Spring") != NULL);
        lmm_frame_free(nd);
        /* allocation failure anywhere in a conditional prediction: an error, nothing leaked */
        nd = NULL;
        CHECK(lmm_frame_new(3, &nd, &err) == LMM_OK);
        CHECK(lmm_frame_add_numeric(nd, "nitro", nitro, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(nd, "Variety", var, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(nd, "Block", blk, &err) == LMM_OK);
        for (i = 0; i < 80; i++) {
            lmm_status st;
            lmm_test_fail_after = lmm_test_allocs + i;
            st = lmm_predict(ofit, oats, nd, 1, pred, &err);
            lmm_test_fail_after = -1;
            CHECK(st == LMM_OK || st == LMM_ERR_NOMEM);
            if (st == LMM_OK) CHECK_CLOSE(pred[2], 82.40000000000279 + 5.291666666665614, 1e-6, 0);
        }
        lmm_frame_free(nd);
    }
    lmm_fit_free(ofit);
    lmm_frame_free(oats);
}

/* The lecture's BLUPs, Wald intervals and bootstrap prediction intervals on pulp (REML). */
static void sim_pulp_prediction(void)
{
    lmm_frame *df = sim_read("pulp.csv");
    lmm_fit *fit;
    lmm_error err;
    double blup[4], lo[4], hi[4], q[2], *draws;
    static const double probs[2] = { 0.025, 0.975 };
    static const double want[4] = { 60.27806, 60.14088, 60.56767, 60.61340 };
    static const double re[4] = { -0.12194029983934154, -0.25912313715866114, 0.16766791227921463, 0.21339552471897671 };
    int j;
    if (!df) return;
    fit = sim_fit(df, "bright ~ 1 + (1|operator)", 0);
    if (!fit) { lmm_frame_free(df); return; }
    /* fixef(mmod) + ranef(mmod)$operator (lecture) */
    lmm_blup(fit, 0, blup);
    for (j = 0; j < 4; j++) CHECK_CLOSE(blup[j], want[j], 0, 6e-6);
    /* mode -/+ qnorm(0.975) * condsd, lme4 condsd 0.12726034725 */
    CHECK(lmm_ranef_intervals(fit, 0.95, lo, hi, &err) == LMM_OK);
    for (j = 0; j < 4; j++) {
        CHECK_CLOSE(lo[j], re[j] - 1.959963984540054 * 0.12726034725290608, 0, 1e-6);
        CHECK_CLOSE(hi[j], re[j] + 1.959963984540054 * 0.12726034725290608, 0, 1e-6);
    }
    CHECK(lmm_ranef_intervals(fit, 1.5, lo, hi, &err) == LMM_ERR_ARG);
    /* new operator: lme4 (59.62780, 61.24264); operator a: (59.60897, 60.97931); each end within 0.12 */
    draws = (double *)malloc(1000 * sizeof *draws);
    CHECK(lmm_boot_predict_interval(fit, NULL, 0, -1, NULL, 1000, 13, probs, 2, q, draws, NULL, &err) == LMM_OK);
    CHECK_CLOSE(q[0], 59.62780, 0, 0.12);
    CHECK_CLOSE(q[1], 61.24264, 0, 0.12);
    for (j = 0; j < 1000; j++) CHECK(isfinite(draws[j]));
    CHECK(lmm_boot_predict_interval(fit, NULL, 0, 0, NULL, 1000, 13, probs, 2, q, NULL, NULL, &err) == LMM_OK);
    CHECK_CLOSE(q[0], 59.60897, 0, 0.12);
    CHECK_CLOSE(q[1], 60.97931, 0, 0.12);
    CHECK(lmm_boot_predict_interval(fit, NULL, 0, 4, NULL, 1000, 13, probs, 2, q, NULL, NULL, &err) == LMM_ERR_ARG);
    CHECK(lmm_boot_predict_interval(fit, NULL, 1, 0, NULL, 1000, 13, probs, 2, q, NULL, NULL, &err) == LMM_ERR_ARG);
    free(draws);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

static void sim_clone(void)
{
    lmm_frame *df = sim_read("sleepstudy.csv");
    lmm_fit *fit, *c = NULL;
    lmm_error err;
    double *y;
    int i;
    lmm_rng rng;
    if (!df) return;
    fit = sim_fit(df, "Reaction ~ Days + (Days | Subject)", 0);
    if (!fit) { lmm_frame_free(df); return; }
    CHECK(lmm_fit_clone(fit, &c, &err) == LMM_OK);
    if (c) {
        /* a clone refitted on the original response from the fitted theta is the fit */
        CHECK(lmm_fit_refit(c, NULL, fit->theta, &err) == LMM_OK);
        CHECK_CLOSE(c->criterion, fit->criterion, 1e-12, 0);
        for (i = 0; i < 2; i++) CHECK_CLOSE(c->beta[i], fit->beta[i], 1e-10, 0);
        /* refitting the clone on a new response leaves the original untouched */
        y = (double *)malloc(180 * sizeof *y);
        lmm_rng_seed(&rng, 1);
        CHECK(lmm_simulate(fit, &rng, 0, y, &err) == LMM_OK);
        CHECK(lmm_fit_refit(c, y, NULL, &err) == LMM_OK);
        CHECK(c->criterion != fit->criterion);
        CHECK_CLOSE(fit->beta[0], 251.40510484848497, 1e-6, 0);
        free(y);
    }
    lmm_fit_free(c);
    for (i = 1; i < 40; i++) {       /* allocation failure anywhere in the clone: an error, no leak */
        lmm_status st;
        c = NULL;
        lmm_test_fail_after = lmm_test_allocs + i;
        st = lmm_fit_clone(fit, &c, &err);
        lmm_test_fail_after = -1;
        CHECK(st == LMM_OK || (st == LMM_ERR_NOMEM && c == NULL));
        lmm_fit_free(c);
    }
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

void test_sim(void)
{
    sim_moments();
    sim_clone();
    sim_lrt();
    sim_bootmer();
    sim_predict();
    sim_pulp_prediction();
}
