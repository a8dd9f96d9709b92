/* lmm_model_beta_at: at the fit's theta it reproduces the fit's beta, vcov
   and sigma; off the optimum it agrees with generalized least squares written
   out densely here (V = Z Lambda Lambda' Z' + I), on every factor path: the
   automatic one (sleepstudy and Penicillin take the class path, see
   test_fit.c), the forced dense factor and, where allowed, the sparse one. */
#include "test.h"

/* In-place lower Cholesky of the n x n matrix a; 0 on success. */
static int chol(int n, double *a)
{
    int i, j, k;
    for (j = 0; j < n; j++) {
        double d = a[j + (size_t)j * n];
        for (k = 0; k < j; k++) d -= a[j + (size_t)k * n] * a[j + (size_t)k * n];
        if (!(d > 0)) return 1;
        d = sqrt(d);
        a[j + (size_t)j * n] = d;
        for (i = j + 1; i < n; i++) {
            double s = a[i + (size_t)j * n];
            for (k = 0; k < j; k++) s -= a[i + (size_t)k * n] * a[j + (size_t)k * n];
            a[i + (size_t)j * n] = s / d;
        }
    }
    return 0;
}

/* x <- (L L')^{-1} x for the Cholesky factor L (n x n). */
static void chol_solve(int n, const double *L, double *x)
{
    int i, k;
    for (i = 0; i < n; i++) {
        for (k = 0; k < i; k++) x[i] -= L[i + (size_t)k * n] * x[k];
        x[i] /= L[i + (size_t)i * n];
    }
    for (i = n - 1; i >= 0; i--) {
        for (k = i + 1; k < n; k++) x[i] -= L[k + (size_t)i * n] * x[k];
        x[i] /= L[i + (size_t)i * n];
    }
}

/* GLS given theta from the model's X, y and terms: beta, vcov, sigma. 0 on success. */
static int gls(const lmm_model *m, const double *theta, int reml, double *beta, double *vcov, double *sigma)
{
    int n = m->nobs, p = m->X->ncol, q = m->q, i, j, k, a, c, e;
    double *ZL = (double *)calloc((size_t)n * q, sizeof(double));   /* Z Lambda, n x q */
    double *V = (double *)calloc((size_t)n * n, sizeof(double));
    double *W = (double *)malloc(sizeof(double) * (size_t)n * (p + 1));   /* V^-1 [X y] */
    double A[64], r2 = 0, T[32 * 32];
    int ok = 0;
    if (!ZL || !V || !W || p > 7) goto out;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        const double *th = theta + t->theta_offset;
        int pk = t->ncol;
        for (j = 0; j < pk; j++)            /* lower-triangular template, column by column */
            for (i = 0; i < pk; i++) T[i + j * pk] = i >= j ? *th++ : 0.0;
        for (i = 0; i < n; i++)             /* row i of Z_k Lambda_k: z_i' T at its level's columns */
            for (c = 0; c < pk; c++) {
                double s = 0;
                for (a = 0; a < pk; a++) s += t->z[(size_t)a * n + i] * T[a + c * pk];
                ZL[i + (size_t)(t->u_offset + t->codes[i] * pk + c) * n] = s;
            }
    }
    for (j = 0; j < n; j++)
        for (i = j; i < n; i++) {
            double s = i == j ? 1.0 : 0.0;
            for (e = 0; e < q; e++) s += ZL[i + (size_t)e * n] * ZL[j + (size_t)e * n];
            V[i + (size_t)j * n] = V[j + (size_t)i * n] = s;
        }
    if (chol(n, V) != 0) goto out;
    for (c = 0; c < p; c++) memcpy(W + (size_t)c * n, m->X->v + (size_t)c * n, sizeof(double) * (size_t)n);
    memcpy(W + (size_t)p * n, m->y, sizeof(double) * (size_t)n);
    for (c = 0; c <= p; c++) chol_solve(n, V, W + (size_t)c * n);
    for (a = 0; a < p; a++) {               /* A = X'V^-1 X, beta = X'V^-1 y first */
        for (c = 0; c < p; c++) {
            double s = 0;
            for (i = 0; i < n; i++) s += m->X->v[i + (size_t)a * n] * W[i + (size_t)c * n];
            A[a + c * p] = s;
        }
        beta[a] = 0;
        for (i = 0; i < n; i++) beta[a] += m->X->v[i + (size_t)a * n] * W[i + (size_t)p * n];
    }
    if (chol(p, A) != 0) goto out;
    chol_solve(p, A, beta);
    for (i = 0; i < n; i++) {               /* r'V^-1 r = y'V^-1 y - beta' X'V^-1 y */
        double ri = m->y[i];
        for (a = 0; a < p; a++) ri -= m->X->v[i + (size_t)a * n] * beta[a];
        W[i] = ri;
    }
    chol_solve(n, V, W);
    for (i = 0; i < n; i++) {
        double ri = m->y[i];
        for (a = 0; a < p; a++) ri -= m->X->v[i + (size_t)a * n] * beta[a];
        r2 += ri * W[i];
    }
    r2 /= reml ? (double)(n - p) : (double)n;
    *sigma = sqrt(r2);
    for (c = 0; c < p; c++) {               /* vcov = sigma^2 A^-1, column by column */
        double col[8];
        for (a = 0; a < p; a++) col[a] = a == c ? 1.0 : 0.0;
        chol_solve(p, A, col);
        for (a = 0; a < p; a++) vcov[a + c * p] = r2 * col[a];
    }
    ok = 1;
out:
    free(ZL); free(V); free(W);
    return ok ? 0 : 1;
}

static void check_model(const char *file, const char *formula, int sparse_ok)
{
    static const lmm_factor_kind kinds[3] = { LMM_FACTOR_AUTO, LMM_FACTOR_DENSE, LMM_FACTOR_SPARSE };
    static const double scales[2] = { 0.5, 2.0 };
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    char path[256];
    double theta[8], beta[8], vcov[64], sigma, gb[8], gv[64], gs, th_nan[8];
    int kk, s, reml, a, k, p;
    long before;
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, file);
    CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_fit_formula(df, formula, NULL, &fit, &err) == LMM_OK);
    if (!fit) { lmm_frame_free(df); return; }
    p = fit->p;
    CHECK(fit->ntheta <= 8 && p <= 7);
    for (kk = 0; kk < 3; kk++) {
        lmm_model *m = fit->model;
        if (kinds[kk] == LMM_FACTOR_SPARSE && !sparse_ok) {
            CHECK(lmm_model_set_factor(m, kinds[kk], &err) == LMM_ERR_ARG);
            continue;
        }
        CHECK(lmm_model_set_factor(m, kinds[kk], &err) == LMM_OK);
        CHECK(lmm_model_factor(m) == (kinds[kk] == LMM_FACTOR_SPARSE ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE));
        /* at the fit's theta: the fit's own estimates (one criterion, one code path) */
        before = lmm_test_allocs;
        CHECK(lmm_model_beta_at(m, fit->theta, fit->reml, beta, vcov, &sigma, &err) == LMM_OK);
        CHECK(lmm_test_allocs == before);
        for (a = 0; a < p; a++) CHECK_CLOSE(beta[a], fit->beta[a], 1e-10, 1e-12);
        for (a = 0; a < p * p; a++) CHECK_CLOSE(vcov[a], fit->vcov[a], 1e-9, 1e-12);
        CHECK_CLOSE(sigma, fit->sigma, 1e-10, 0);
        /* off the optimum, REML and ML: dense GLS */
        for (s = 0; s < 2; s++)
            for (reml = 0; reml < 2; reml++) {
                for (k = 0; k < fit->ntheta; k++) theta[k] = scales[s] * fit->theta[k];
                CHECK(lmm_model_beta_at(m, theta, reml, beta, vcov, &sigma, &err) == LMM_OK);
                CHECK(gls(m, theta, reml, gb, gv, &gs) == 0);
                for (a = 0; a < p; a++) CHECK_CLOSE(beta[a], gb[a], 1e-9, 1e-10);
                for (a = 0; a < p * p; a++) CHECK_CLOSE(vcov[a], gv[a], 1e-8, 1e-12);
                CHECK_CLOSE(sigma, gs, 1e-9, 0);
                /* and off the optimum sigma differs from the fit's: the test can fail */
                CHECK(fabs(sigma - fit->sigma) > 1e-6 * fit->sigma);
            }
        /* beta alone (vcov and sigma NULL) */
        CHECK(lmm_model_beta_at(m, theta, 1, beta, NULL, NULL, &err) == LMM_OK);
        CHECK(gls(m, theta, 1, gb, gv, &gs) == 0);
        for (a = 0; a < p; a++) CHECK_CLOSE(beta[a], gb[a], 1e-9, 1e-10);
    }
    CHECK(lmm_model_set_factor(fit->model, LMM_FACTOR_AUTO, &err) == LMM_OK);
    /* bad input */
    for (k = 0; k < fit->ntheta; k++) th_nan[k] = fit->theta[k];
    th_nan[0] = NAN;
    CHECK(lmm_model_beta_at(fit->model, th_nan, 1, beta, vcov, &sigma, &err) == LMM_ERR_ARG);
    CHECK(lmm_model_beta_at(NULL, fit->theta, 1, beta, vcov, &sigma, &err) == LMM_ERR_ARG);
    CHECK(lmm_model_beta_at(fit->model, fit->theta, 1, NULL, vcov, &sigma, &err) == LMM_ERR_ARG);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

void test_betaat(void)
{
    check_model("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", 0);
    check_model("Penicillin.csv", "diameter ~ 1 + (1|plate) + (1|sample)", 1);
    /* nested, a fixed slope and a two-column second term (Lambda_r not diagonal) */
    check_model("Oats.csv", "yield ~ nitro + (1|Variety:Block) + (nitro|Block)", 0);
}
