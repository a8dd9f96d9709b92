/* The dense factor's packed Schur complement (levels of the first term that
   meet most of the other terms' effects: a crossed "maximal" design), against
   lme4 1.1-31. The data are made by an integer recipe that R repeats exactly:
   u(k) = ((7919 k + 104729) mod 10007) / 10007; 24 subjects x 18 items less
   two cells, x = 4 (u(500 + k) - 0.5) for row k, and
   y = 2 + 0.3 x + 1.2 (u(s) - .5) + 0.8 (u(100 + s) - .5) x + 0.9 (u(200 + i) - .5)
       + 0.6 (u(300 + i) - .5) x + (u(1000 + k) - .5).
   lme4's figures: lmer(y ~ x + (1 + x | s) + (1 + x | i), REML = TRUE/FALSE),
   its devFunOnly functions at th below. The subjects come first (more
   levels), each meeting 17 or 18 of the items' 36 effects: rest block 39. */
#include "test.h"

static double lcg_unit(long k)
{
    return (double)((k * 7919 + 104729) % 10007) / 10007.0;
}

void test_dense(void)
{
    enum { NS = 24, NI = 18, N = NS * NI - 2 };
    static const double th[6] = { 0.9, 0.2, 0.6, 1.1, -0.3, 0.4 };
    static const double reml_theta[6] = { 1.1292689411406376, 0.28955016405902656, 0.68983737451327132,
                                          0.91588443765313077, 0.35837513318435121, 0.44917703074737075 };
    static const double ml_theta[6] = { 1.1150416954364624, 0.28816044352287684, 0.67915059736612637,
                                        0.90256775702112402, 0.35207701480317932, 0.44185756510443691 };
    static const double reml_beta[2] = { 1.951306007282656, 0.21088901379866945 };
    double s[N], it[N], x[N], y[N];
    lmm_frame *df = NULL;
    lmm_model *m = NULL;
    lmm_error err;
    int a, b, k = 0, pass;
    for (a = 1; a <= NS; a++)
        for (b = 1; b <= NI; b++) {
            double xv;
            if ((a == 3 && b == 5) || (a == 7 && b == 11)) continue;
            k++;
            xv = 4 * (lcg_unit(500 + k) - 0.5);
            s[k - 1] = a; it[k - 1] = b; x[k - 1] = xv;
            y[k - 1] = 2 + 0.3 * xv + (lcg_unit(a) - 0.5) * 1.2 + (lcg_unit(100 + a) - 0.5) * xv * 0.8 +
                       (lcg_unit(200 + b) - 0.5) * 0.9 + (lcg_unit(300 + b) - 0.5) * xv * 0.6 + (lcg_unit(1000 + k) - 0.5);
        }
    CHECK(k == N);
    CHECK_CLOSE(y[0], 2.3673582779053763, 1e-14, 0);   /* R's first row */
    CHECK(lmm_frame_new(N, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_add_numeric(df, "s", s, &err) == LMM_OK && lmm_frame_add_numeric(df, "i", it, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "x", x, &err) == LMM_OK && lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "s", &err) == LMM_OK && lmm_frame_as_factor(df, "i", &err) == LMM_OK);
    CHECK(lmm_model_build(df, "y ~ x + (1 + x | s) + (1 + x | i)", NULL, &m, &err) == LMM_OK);
    if (!m) { lmm_frame_free(df); return; }
    CHECK(lmm_model_factor(m) == LMM_FACTOR_DENSE);
    for (pass = 0; pass < 2; pass++) {           /* the automatic path, then the forced dense one */
        if (pass == 1) CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
        CHECK_CLOSE(lmm_model_objective(m, th, 1), 429.89052193697205, 1e-11, 0);
        CHECK_CLOSE(lmm_model_objective(m, th, 0), 423.16578352159161, 1e-11, 0);
        CHECK_CLOSE(lmm_model_objective(m, reml_theta, 1), 404.93763718730906, 1e-11, 0);
    }
    for (pass = 0; pass < 2; pass++) {           /* whole fits: REML, then ML */
        lmm_fit_options opts;
        lmm_fit *fit = NULL;
        memset(&opts, 0, sizeof opts);
        opts.ml = pass;
        opts.skip_convcheck = 1;
        CHECK(lmm_model_fit(m, &opts, &fit, &err) == LMM_OK);
        if (!fit) continue;
        CHECK_CLOSE(fit->criterion, pass ? 398.07207219876216 : 404.93763718730906, 1e-9, 0);
        for (k = 0; k < 6; k++) CHECK_CLOSE(fit->theta[k], pass ? ml_theta[k] : reml_theta[k], 0, 2e-4);
        if (!pass) for (k = 0; k < 2; k++) CHECK_CLOSE(fit->beta[k], reml_beta[k], 1e-5, 0);
        lmm_fit_free(fit);
    }
    lmm_model_free(m);
    lmm_frame_free(df);
}
