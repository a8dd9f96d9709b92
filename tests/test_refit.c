/* Refit on new responses: the original response reproduces the fit, an affine
   change of y moves the estimates by closed form, and the loop allocates nothing. */
#include "test.h"

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
}
