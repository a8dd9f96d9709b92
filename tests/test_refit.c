/* Refit on new responses: the original response reproduces the fit, an affine
   change of y moves the estimates by closed form, and the loop allocates nothing. */
#include "test.h"

/* lmm_model_set_X with as many columns updates the blocks in place: the criterion
   and beta at a fixed theta match a model given that X afresh (weighted: the
   dense path; the soybean loop of test_lm covers the class path against lme4). */
static void set_x_matches_fresh(const lmm_frame *df, lmm_model *m, const lmm_matrix *X)
{
    lmm_model_options mo;
    lmm_model *fresh = NULL;
    lmm_error err;
    const double theta[3] = { 0.9, 0.05, 0.25 };
    double b1[2], b2[2], s1, s2;
    int reml;
    memset(&mo, 0, sizeof mo);
    mo.weights_column = "w";
    CHECK(lmm_model_set_X(m, X, &err) == LMM_OK);
    CHECK(lmm_model_build(df, "Reaction ~ 1 + (Days | Subject)", &mo, &fresh, &err) == LMM_OK);
    if (!fresh) return;
    CHECK(lmm_model_set_X(fresh, X, &err) == LMM_OK);
    for (reml = 0; reml < 2; reml++)
        CHECK_CLOSE(lmm_model_objective(m, theta, reml), lmm_model_objective(fresh, theta, reml), 1e-12, 0);
    CHECK(lmm_model_beta_at(m, theta, 1, b1, NULL, &s1, &err) == LMM_OK);
    CHECK(lmm_model_beta_at(fresh, theta, 1, b2, NULL, &s2, &err) == LMM_OK);
    CHECK_CLOSE(b1[0], b2[0], 1e-10, 1e-10);
    CHECK_CLOSE(b1[1], b2[1], 1e-10, 1e-10);
    CHECK_CLOSE(s1, s2, 1e-12, 0);
    lmm_model_free(fresh);
}

static void test_set_x_in_place(void)
{
    lmm_frame *df = NULL;
    lmm_model *m = NULL;
    lmm_model_options mo;
    lmm_error err;
    lmm_matrix X;
    char path[256], *names[2];
    double *v;
    int i, n;
    snprintf(path, sizeof path, "%s/sleepstudy_w.csv", TEST_DATA_DIR);
    CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
    if (!df) return;
    memset(&mo, 0, sizeof mo);
    mo.weights_column = "w";
    CHECK(lmm_model_build(df, "Reaction ~ 1 + (Days | Subject)", &mo, &m, &err) == LMM_OK);
    if (!m) { lmm_frame_free(df); return; }
    n = m->nobs;
    v = (double *)malloc(sizeof(double) * 2 * (size_t)n);
    memset(&X, 0, sizeof X);
    X.nrow = n; X.ncol = 2; X.v = v; X.colnames = names;
    names[0] = (char *)"a"; names[1] = (char *)"b";
    for (i = 0; i < n; i++) { double d = df->cols[lmm_frame_find(df, "Days")].num[m->rows ? m->rows[i] : i]; v[i] = 1; v[n + i] = d; }
    set_x_matches_fresh(df, m, &X);            /* one column to two: rebuilt */
    for (i = 0; i < n; i++) v[n + i] = v[n + i] * v[n + i] - 3;
    set_x_matches_fresh(df, m, &X);            /* in place: the intercept kept, a new column */
    for (i = 0; i < n; i++) { double t = v[i]; v[i] = v[n + i]; v[n + i] = t; }
    set_x_matches_fresh(df, m, &X);            /* in place: both columns kept, swapped */
    free(v);
    lmm_model_free(m);
    lmm_frame_free(df);
}

/* The class path (soybean: 150 plots in 23 classes of Z1'Z1) under lmm_model_set_X
   with as many columns: a column dropped and another put back, then two columns
   swapped, move the class sums' X rows and X'y by column (lmm__classes_remap); the
   criterion and beta at fixed thetas must match a model given that X afresh. */
static void class_path_set_x(void)
{
    const char *fixed = "AqE ~ ID + days + I(days^2) + Precip + Precip_7day";
    const double theta[2][2] = { { 0.3, 0.4 }, { 1.2, 0.05 } };
    lmm_frame *df = NULL;
    lmm_matrix *M = NULL, X;
    lmm_model *m = NULL;
    lmm_error err;
    char path[256], **names;
    double *v, b1[64], b2[64], s1, s2;
    int step, j, c, p, n, t, reml;
    snprintf(path, sizeof path, "%s/soybean_sim.csv", TEST_DATA_DIR);
    CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_relevel(df, "ID", "RC", &err) == LMM_OK);
    CHECK(lmm_model_matrix(df, fixed, NULL, &M, &err) == LMM_OK);
    CHECK(lmm_model_build(df, "AqE ~ 1 + (1|plot_number) + (1|disk)", NULL, &m, &err) == LMM_OK);
    if (!M || !m) { lmm_matrix_free(M); lmm_model_free(m); lmm_frame_free(df); return; }
    n = M->nrow; p = M->ncol - 1;
    CHECK(p + 1 == 45 && p < 64);
    v = (double *)malloc(sizeof(double) * (size_t)n * p);
    names = (char **)malloc(sizeof(char *) * (size_t)p);
    memset(&X, 0, sizeof X);
    X.nrow = n; X.ncol = p; X.v = v; X.colnames = names;
    for (step = 0; step < 4; step++) {
        lmm_model *fresh = NULL;
        int drop = step == 0 ? 5 : 6;            /* 5, then 6 (column 5 comes back), then 6 again, swapped */
        for (j = 0, c = 0; j <= p; j++) {
            if (j == drop) continue;
            memcpy(v + (size_t)c * n, M->v + (size_t)j * n, sizeof(double) * (size_t)n);
            names[c++] = M->colnames[j];
        }
        if (step >= 2) {                         /* swap columns 3 and 40 (and, at step 3, 10 and 11) */
            int sw[2][2] = { { 3, 40 }, { 10, 11 } }, k;
            for (k = 0; k < step - 1; k++) {
                double *a = v + (size_t)sw[k][0] * n, *b = v + (size_t)sw[k][1] * n, tmp;
                char *nm = names[sw[k][0]];
                int i;
                for (i = 0; i < n; i++) { tmp = a[i]; a[i] = b[i]; b[i] = tmp; }
                names[sw[k][0]] = names[sw[k][1]]; names[sw[k][1]] = nm;
            }
        }
        CHECK(lmm_model_set_X(m, &X, &err) == LMM_OK);
        CHECK(lmm_model_build(df, "AqE ~ 1 + (1|plot_number) + (1|disk)", NULL, &fresh, &err) == LMM_OK);
        if (!fresh) break;
        CHECK(lmm_model_set_X(fresh, &X, &err) == LMM_OK);
        CHECK(lmm_test_model_on_class_path(m));  /* the updated sums are what is compared, */
        CHECK(lmm_test_model_on_class_path(fresh));   /* against the class path built afresh */
        for (t = 0; t < 2; t++) {
            for (reml = 0; reml < 2; reml++)
                CHECK_CLOSE(lmm_model_objective(m, theta[t], reml), lmm_model_objective(fresh, theta[t], reml), 1e-12, 0);
            CHECK(lmm_model_beta_at(m, theta[t], 0, b1, NULL, &s1, &err) == LMM_OK);
            CHECK(lmm_model_beta_at(fresh, theta[t], 0, b2, NULL, &s2, &err) == LMM_OK);
            for (j = 0; j < p; j++) CHECK_CLOSE(b1[j], b2[j], 1e-9, 1e-9);
            CHECK_CLOSE(s1, s2, 1e-11, 0);
        }
        CHECK_STR(m->X->colnames[3], names[3]);
        lmm_model_free(fresh);
    }
    free(v); free(names);
    lmm_matrix_free(M);
    lmm_model_free(m);
    lmm_frame_free(df);
}

void test_refit(void)
{
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    char path[256];
    double theta[3], beta[2], b[36], crit, sigma, *y2;
    int i, n, q;
    long before;
    snprintf(path, sizeof path, "%s/sleepstudy.csv", TEST_DATA_DIR);
    CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (Days | Subject)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { lmm_frame_free(df); return; }
    n = fit->nobs; q = fit->q;
    CHECK(n == 180 && q == 36 && fit->ntheta == 3);
    memcpy(theta, fit->theta, sizeof theta);
    memcpy(beta, fit->beta, sizeof beta);
    memcpy(b, fit->b, sizeof b);
    crit = fit->criterion; sigma = fit->sigma;

    /* the same response from the optimum: the same fit, and no allocation */
    before = lmm_test_allocs;
    CHECK(lmm_fit_refit(fit, NULL, theta, &err) == LMM_OK);
    CHECK(lmm_test_allocs == before);
    CHECK_CLOSE(fit->criterion, crit, 1e-12, 0);
    for (i = 0; i < 3; i++) CHECK_CLOSE(fit->theta[i], theta[i], 1e-12, 1e-12);
    for (i = 0; i < 2; i++) CHECK_CLOSE(fit->beta[i], beta[i], 1e-10, 0);
    for (i = 0; i < q; i++) CHECK_CLOSE(fit->b[i], b[i], 1e-9, 1e-9);

    /* y -> 2y + 3: theta unchanged, beta -> 2 beta + (3, 0), b -> 2b, sigma -> 2 sigma,
       REML criterion + 2 (n - p) log 2 (the determinant terms do not change) */
    y2 = (double *)malloc((size_t)n * sizeof *y2);
    for (i = 0; i < n; i++) y2[i] = 2 * fit->model->y[i] + 3;
    before = lmm_test_allocs;
    CHECK(lmm_fit_refit(fit, y2, NULL, &err) == LMM_OK);
    CHECK(lmm_test_allocs == before);
    CHECK(fit->converged);
    for (i = 0; i < 3; i++) CHECK_CLOSE(fit->theta[i], theta[i], 2e-5, 2e-5);
    CHECK_CLOSE(fit->beta[0], 2 * beta[0] + 3, 1e-6, 0);
    CHECK_CLOSE(fit->beta[1], 2 * beta[1], 1e-6, 0);
    CHECK_CLOSE(fit->sigma, 2 * sigma, 1e-6, 0);
    CHECK_CLOSE(fit->criterion, crit + 2.0 * (n - 2) * log(2.0), 1e-10, 0);
    for (i = 0; i < q; i++) CHECK_CLOSE(fit->b[i], 2 * b[i], 1e-4, 1e-3);

    /* back to the original response from the original start: the original fit */
    for (i = 0; i < n; i++) y2[i] = (y2[i] - 3) / 2;
    CHECK(lmm_fit_refit(fit, y2, NULL, &err) == LMM_OK);
    CHECK_CLOSE(fit->criterion, crit, 1e-10, 0);
    CHECK(lmm_fit_refit(fit, NULL, NULL, NULL) == LMM_OK);

    /* bad input: a non-finite response is refused and the fit stays usable */
    y2[5] = NAN;
    CHECK(lmm_fit_refit(fit, y2, NULL, &err) == LMM_ERR_DATA);
    CHECK(strstr(err.message, "observation 6") != NULL);
    CHECK(lmm_fit_refit(NULL, y2, NULL, &err) == LMM_ERR_ARG);
    free(y2);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    test_set_x_in_place();
    class_path_set_x();
}
