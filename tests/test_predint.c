/* Prediction standard errors, Wald confidence/prediction intervals and bootstrap prediction intervals
   (lmm_predict_ex) against tests/data/predict_intervals.R (lme4 1.1 / R 4.2, dense algebra at lme4's fit). */
#include "test.h"
#include "json.h"

/* A fit at lme4's theta exactly (one evaluation): the closed forms compare to 1e-8. */
static lmm_fit *fit_at(const lmm_frame *df, const char *formula, const char *wcol, const tj_node *ref)
{
    lmm_fit_options o;
    lmm_error err = {LMM_OK, ""};
    lmm_fit *fit = NULL;
    double theta[8];
    const tj_node *th = tj_get(ref, "theta");
    int i;
    memset(&o, 0, sizeof o);
    for (i = 0; i < tj_len(th) && i < 8; i++) theta[i] = tj_num(tj_at(th, i));
    o.model.weights_column = wcol;
    if (ref) { o.theta_start = theta; o.optim.max_evals = 1; o.skip_convcheck = 1; }
    CHECK(lmm_fit_formula(df, formula, &o, &fit, &err) == LMM_OK);
    if (fit && ref) {
        CHECK_CLOSE(fit->sigma, tj_num(tj_get(ref, "sigma")), 1e-9, 0);
        CHECK_CLOSE(fit->criterion, tj_num(tj_get(ref, "criterion")), 1e-10, 0);
    }
    return fit;
}

/* v[i] against the reference array (null = NAN) */
static void check_arr(const char *what, const double *v, const tj_node *ref, int n, double rtol)
{
    int i;
    CHECK(tj_len(ref) == n);
    for (i = 0; i < n && i < tj_len(ref); i++) {
        double want = tj_num(tj_at(ref, i));
        if (isnan(want)) {
            if (!isnan(v[i])) fprintf(stderr, "  %s[%d] = %g, want NA\n", what, i, v[i]);
            CHECK(isnan(v[i]));
        } else CHECK_CLOSE(v[i], want, rtol, 0);
    }
}

/* Confidence and prediction intervals of both levels against ref (an object with "pop" and "cond"). */
static void check_case(const lmm_fit *fit, const lmm_frame *df, const lmm_frame *nd, const tj_node *ref, double rtol)
{
    int n = nd->nrow, cond, i;
    double *pred = (double *)malloc(sizeof(double) * 4 * (size_t)n), *se = pred + n, *lwr = se + n, *upr = lwr + n;
    double level = tj_num(tj_get(ref, "level")), zq = lmm_qnorm((1 + level) / 2, 0, 1, 1, 0);
    lmm_error err = {LMM_OK, ""};
    for (cond = 0; cond < 2; cond++) {
        const tj_node *r = tj_get(ref, cond ? "cond" : "pop");
        lmm_predict_options o;
        memset(&o, 0, sizeof o);
        o.conditional = cond; o.level = level; o.interval = LMM_INTERVAL_CONFIDENCE;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_OK);
        check_arr("fit", pred, tj_get(r, "fit"), n, rtol);
        check_arr("se", se, tj_get(r, "se"), n, rtol);
        check_arr("conf_lwr", lwr, tj_get(r, "conf_lwr"), n, rtol);
        check_arr("conf_upr", upr, tj_get(r, "conf_upr"), n, rtol);
        o.interval = LMM_INTERVAL_PREDICTION;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_OK);
        check_arr("fit", pred, tj_get(r, "fit"), n, rtol);
        check_arr("se", se, tj_get(r, "se"), n, rtol);          /* se is the fit's, whatever the interval */
        check_arr("pred_lwr", lwr, tj_get(r, "pred_lwr"), n, rtol);
        check_arr("pred_upr", upr, tj_get(r, "pred_upr"), n, rtol);
        for (i = 0; i < n; i++) lwr[i] = (upr[i] - lwr[i]) / (2 * zq);
        check_arr("pred_se", lwr, tj_get(r, "pred_se"), n, rtol);
        /* the plain prediction agrees with lmm_predict */
        CHECK(lmm_predict(fit, df, nd, cond, se, &err) == LMM_OK);
        for (i = 0; i < n; i++) CHECK(isnan(pred[i]) ? isnan(se[i]) : pred[i] == se[i]);
    }
    free(pred);
}

static void run_case(const char *name, const char *train, const char *formula, const char *wcol, int own_fit)
{
    char path[256];
    tj_node *ref;
    lmm_frame *df = lmm_test_read_csv(train), *nd = NULL;
    lmm_fit *fit;
    snprintf(path, sizeof path, "predict_intervals/%s_new.csv", name);
    nd = lmm_test_read_csv(path);
    snprintf(path, sizeof path, "%s/predict_intervals/%s.json", TEST_DATA_DIR, name);
    ref = tj_parse_file(path);
    CHECK(df && nd && ref);
    if (!df || !nd || !ref) { lmm_frame_free(df); lmm_frame_free(nd); tj_free(ref); return; }
    fit = fit_at(df, formula, wcol, ref);
    if (fit) check_case(fit, df, nd, ref, 1e-8);
    lmm_fit_free(fit);
    if (own_fit) {   /* our own optimum: as close as the fits agree */
        fit = fit_at(df, formula, wcol, NULL);
        if (fit) check_case(fit, df, nd, ref, 1e-4);
        lmm_fit_free(fit);
    }
    lmm_frame_free(df); lmm_frame_free(nd); tj_free(ref);
}

/* NULL options are lmm_predict's population level; bad arguments are clear errors. */
static void predint_args(void)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy.csv"), *nd = lmm_test_read_csv("predict_intervals/sleepstudy_new.csv");
    lmm_fit *fit = df ? fit_at(df, "Reaction ~ Days + (Days | Subject)", NULL, NULL) : NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_predict_options o;
    double pred[6], p2[6], se[6], lwr[6], upr[6], *all, *allse;
    int i;
    if (!fit || !nd) { lmm_fit_free(fit); lmm_frame_free(df); lmm_frame_free(nd); return; }
    CHECK(lmm_predict_ex(fit, df, nd, NULL, pred, NULL, NULL, NULL, &err) == LMM_OK);
    CHECK(lmm_predict(fit, df, nd, 0, p2, &err) == LMM_OK);
    for (i = 0; i < 6; i++) CHECK(isnan(p2[i]) ? isnan(pred[i]) : pred[i] == p2[i]);
    CHECK(isnan(pred[3]) && !isnan(pred[5]));   /* row 4 has no Days; row 5 no Subject (population level) */
    memset(&o, 0, sizeof o);
    o.interval = LMM_INTERVAL_CONFIDENCE; o.level = 1;
    CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_ERR_ARG);
    CHECK(strstr(err.message, "level") != NULL);
    o.level = -0.5;
    CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_ERR_ARG);
    o.level = NAN;
    CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_ERR_ARG);
    o.level = 0.95; o.interval = (lmm_interval)9;
    CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_ERR_ARG);
    o.interval = LMM_INTERVAL_BOOT; o.nsim = -3;
    CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_ERR_ARG);
    CHECK(lmm_predict_ex(fit, NULL, nd, NULL, pred, NULL, NULL, NULL, &err) == LMM_ERR_ARG);
    /* a higher level widens the interval by the ratio of the normal quantiles (closed form) */
    memset(&o, 0, sizeof o);
    o.interval = LMM_INTERVAL_PREDICTION; o.level = 0.5;
    CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_OK);
    o.level = 0.99;
    {
        double l99[6], u99[6];
        CHECK(lmm_predict_ex(fit, df, nd, &o, p2, NULL, l99, u99, &err) == LMM_OK);
        for (i = 0; i < 6; i++) if (!isnan(pred[i]))
            CHECK_CLOSE((u99[i] - l99[i]) / (upr[i] - lwr[i]), lmm_qnorm(0.995, 0, 1, 1, 0) / lmm_qnorm(0.75, 0, 1, 1, 0), 1e-12, 0);
    }
    /* the training rows (newdata NULL): population se^2 = x' vcov x (Days 0: vcov[0,0]); conditional:
       the fitted values, and the same se as the training frame given as newdata */
    all = (double *)malloc(sizeof(double) * 6 * 180);
    allse = all + 540;
    memset(&o, 0, sizeof o);
    CHECK(lmm_predict_ex(fit, NULL, NULL, &o, all, allse, NULL, NULL, &err) == LMM_OK);
    CHECK_CLOSE(allse[0], sqrt(fit->vcov[0]), 1e-12, 0);
    CHECK_CLOSE(all[0], fit->beta[0], 1e-12, 0);
    o.conditional = 1;
    CHECK(lmm_predict_ex(fit, NULL, NULL, &o, all + 360, allse + 360, NULL, NULL, &err) == LMM_OK);
    CHECK(lmm_predict_ex(fit, df, df, &o, all + 180, allse + 180, NULL, NULL, &err) == LMM_OK);
    for (i = 0; i < 180; i++) {
        CHECK_CLOSE(all[360 + i], fit->fitted[i], 1e-10, 1e-9);
        CHECK_CLOSE(allse[360 + i], allse[180 + i], 1e-12, 0);
    }
    free(all);
    /* allocation failure anywhere (joint system, bootstrap clones): LMM_ERR_NOMEM or the right answer */
    {
        lmm_interval kinds[2] = { LMM_INTERVAL_PREDICTION, LMM_INTERVAL_BOOT };
        double want[6], k;
        int j;
        memset(&o, 0, sizeof o);
        o.conditional = 1; o.interval = LMM_INTERVAL_PREDICTION; o.nsim = 3; o.seed = 1; o.boot.threads = 1;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, want, upr, &err) == LMM_OK);
        for (j = 0; j < 2; j++)
            for (i = 0, k = 0; i < 400; i++) {
                lmm_status st;
                o.interval = kinds[j];
                lmm_test_fail_after = lmm_test_allocs + i;
                st = lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err);
                lmm_test_fail_after = -1;
                CHECK(st == LMM_OK || st == LMM_ERR_NOMEM);
                if (st == LMM_OK && j == 0) CHECK_CLOSE(lwr[0], want[0], 1e-14, 0);
                if (st == LMM_OK && ++k > 2) break;
            }
    }
    lmm_fit_free(fit); lmm_frame_free(df); lmm_frame_free(nd);
}

/* Bootstrap: deterministic for a seed and thread count, and close to the Wald intervals for large B. */
static void predint_boot(void)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy.csv"), *nd = lmm_test_read_csv("predict_intervals/sleepstudy_new.csv");
    lmm_frame *pd = lmm_test_read_csv("Penicillin.csv"), *pn = lmm_test_read_csv("predict_intervals/penicillin_new.csv");
    lmm_fit *fit = df ? fit_at(df, "Reaction ~ Days + (Days | Subject)", NULL, NULL) : NULL;
    lmm_fit *pfit = pd ? fit_at(pd, "diameter ~ 1 + (1 | plate) + (1 | sample)", NULL, NULL) : NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_predict_options o;
    double pred[6], se[6], lwr[6], upr[6], se2[6], lwr2[6], upr2[6], wl[6], wu[6], wse[6];
    int i, cond;
    if (fit && nd) {
        memset(&o, 0, sizeof o);
        o.interval = LMM_INTERVAL_BOOT; o.nsim = 20; o.seed = 7; o.boot.threads = 1;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_OK);
        o.boot.threads = 2;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se2, lwr2, upr2, &err) == LMM_OK);
        for (i = 0; i < 6; i++) {
            CHECK(isnan(lwr[i]) ? isnan(lwr2[i]) : lwr[i] == lwr2[i]);
            CHECK(isnan(upr[i]) ? isnan(upr2[i]) : upr[i] == upr2[i]);
            CHECK(isnan(se[i]) ? isnan(se2[i]) : se[i] == se2[i]);
        }
        CHECK(isnan(lwr[3]) && isnan(upr[3]) && isnan(se[3]));   /* the NA row */
        o.seed = 8;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se2, lwr2, upr2, &err) == LMM_OK);
        CHECK(lwr[0] != lwr2[0]);
        /* 400 replicates: percentile limits within a quarter of the Wald half-width of the Wald limits
           (the Monte Carlo SD of a 2.5% quantile at B = 400 is about 7% of it), the bootstrap se of the
           population-level fit within 30% of sqrt(x' vcov x) */
        for (cond = 0; cond < 2; cond++) {
            o.conditional = cond; o.nsim = 400; o.seed = 11; o.boot.threads = 0;
            CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, lwr, upr, &err) == LMM_OK);
            o.interval = LMM_INTERVAL_PREDICTION;
            CHECK(lmm_predict_ex(fit, df, nd, &o, pred, wse, wl, wu, &err) == LMM_OK);
            o.interval = LMM_INTERVAL_BOOT;
            for (i = 0; i < 6; i++) {
                double half = (wu[i] - wl[i]) / 2;
                if (isnan(pred[i])) { CHECK(isnan(lwr[i])); continue; }
                fprintf(stderr, "  %s row %d: boot (%.2f, %.2f) se %.2f; wald (%.2f, %.2f) se %.2f\n", cond ? "cond" : "pop",
                        i + 1, lwr[i], upr[i], se[i], wl[i], wu[i], wse[i]);
                CHECK(fabs(lwr[i] - wl[i]) < 0.25 * half);
                CHECK(fabs(upr[i] - wu[i]) < 0.25 * half);
                if (!cond) CHECK(se[i] > 0.7 * wse[i] && se[i] < 1.3 * wse[i]);
            }
        }
    }
    if (pfit && pn) {   /* crossed terms, two random-effects terms: the old bootstrap took one */
        memset(&o, 0, sizeof o);
        o.interval = LMM_INTERVAL_BOOT; o.nsim = 200; o.seed = 3; o.conditional = 1;
        CHECK(lmm_predict_ex(pfit, pd, pn, &o, pred, se, lwr, upr, &err) == LMM_OK);
        o.interval = LMM_INTERVAL_PREDICTION;
        CHECK(lmm_predict_ex(pfit, pd, pn, &o, pred, wse, wl, wu, &err) == LMM_OK);
        for (i = 0; i < 5; i++) {
            double half = (wu[i] - wl[i]) / 2;
            fprintf(stderr, "  penicillin row %d: boot (%.3f, %.3f); wald (%.3f, %.3f)\n", i + 1, lwr[i], upr[i], wl[i], wu[i]);
            CHECK(fabs(lwr[i] - wl[i]) < 0.35 * half);
            CHECK(fabs(upr[i] - wu[i]) < 0.35 * half);
        }
    }
    lmm_fit_free(fit); lmm_fit_free(pfit);
    lmm_frame_free(df); lmm_frame_free(nd); lmm_frame_free(pd); lmm_frame_free(pn);
}

/* Beyond q + p = 3000 the conditional se of a known level is a clear error; population level and new
   levels need no dense system. The data: 3001 groups of two, y = group effect + noise (closed form not
   needed: only the status and the population se = sqrt(vcov[0]) are checked). */
static void predint_large(void)
{
    enum { G = 3001 };
    lmm_frame *df = NULL, *nd = NULL;
    lmm_fit *fit = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_predict_options o;
    double *y = (double *)malloc(sizeof(double) * 2 * G), pred[2], se[2];
    char **lab = (char **)malloc(sizeof(char *) * 2 * G), buf[2][16];
    const char *ndlab[2];
    lmm_rng rng;
    int i;
    lmm_rng_seed(&rng, 42);
    for (i = 0; i < 2 * G; i++) {
        lab[i] = (char *)malloc(16);
        snprintf(lab[i], 16, "g%d", i / 2);
        y[i] = (i / 2 % 7) + lmm_rng_normal(&rng);
    }
    CHECK(lmm_frame_new(2 * G, &df, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_add_factor(df, "g", (const char *const *)lab, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "y ~ 1 + (1 | g)", NULL, &fit, &err) == LMM_OK);
    snprintf(buf[0], 16, "g5"); snprintf(buf[1], 16, "new");
    ndlab[0] = buf[0]; ndlab[1] = buf[1];
    CHECK(lmm_frame_new(2, &nd, &err) == LMM_OK);
    CHECK(lmm_frame_add_factor(nd, "g", ndlab, &err) == LMM_OK);
    if (fit) {
        memset(&o, 0, sizeof o);
        o.interval = LMM_INTERVAL_CONFIDENCE;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, NULL, NULL, &err) == LMM_OK);
        CHECK_CLOSE(se[0], sqrt(fit->vcov[0]), 1e-12, 0);
        CHECK_CLOSE(se[1], sqrt(fit->vcov[0]), 1e-12, 0);
        o.conditional = 1;
        CHECK(lmm_predict_ex(fit, df, nd, &o, pred, se, NULL, NULL, &err) == LMM_ERR_ARG);
        CHECK(strstr(err.message, "q + p = 3002") != NULL);
    }
    for (i = 0; i < 2 * G; i++) free(lab[i]);
    free(lab); free(y);
    lmm_fit_free(fit); lmm_frame_free(df); lmm_frame_free(nd);
}

void test_predint(void)
{
    run_case("sleepstudy", "sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", NULL, 1);
    run_case("penicillin", "Penicillin.csv", "diameter ~ 1 + (1 | plate) + (1 | sample)", NULL, 1);
    run_case("weighted", "sleepstudy_w.csv", "Reaction ~ Days + offset(log(x)) + (Days | Subject)", "w", 1);
    predint_args();
    predint_boot();
    predint_large();
}
