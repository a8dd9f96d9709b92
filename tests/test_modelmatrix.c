/* Model matrices against R's model.matrix (column names and values from R 4.2). */
#include "test.h"
#include <stdlib.h>

static lmm_frame *small_frame(void)
{
    static const double y[8] = { 1, 2, 3, 4, 5, 6, 7, 8.5 };
    static const double x[8] = { 0.5, 1, 1.5, 2, 3, 4, 5, 7 };
    static const char *const f[8] = { "a", "b", "c", "a", "b", "c", "a", "b" };
    static const char *const g[8] = { "u", "u", "v", "v", "u", "v", "u", "v" };
    lmm_frame *df = NULL;
    lmm_error err = {0};
    if (lmm_frame_new(8, &df, &err) != LMM_OK) return NULL;
    lmm_frame_add_numeric(df, "y", y, &err);
    lmm_frame_add_numeric(df, "x", x, &err);
    lmm_frame_add_factor(df, "f", f, &err);
    lmm_frame_add_factor(df, "g", g, &err);
    return df;
}

/* Build the matrix and compare its column names with R's. */
static lmm_matrix *check_names(const lmm_frame *df, const char *formula, lmm_contrasts contr,
                               const char *const *names, int n)
{
    lmm_matrix *m = NULL;
    lmm_error err = {0};
    lmm_model_options mo = {LMM_CONTR_TREATMENT, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};
    int j;
    mo.contrasts = contr;
    if (lmm_model_matrix(df, formula, &mo, &m, &err) != LMM_OK) {
        fprintf(stderr, "  %s: %s\n", formula, err.message);
        CHECK(0);
        return NULL;
    }
    CHECK(m->ncol == n);
    CHECK(m->nrow == 8);
    for (j = 0; j < n && j < m->ncol; j++) CHECK_STR(m->colnames[j], names[j]);
    return m;
}

static void check_col(const lmm_matrix *m, int j, const double *want)
{
    int i;
    if (!m || j >= m->ncol) { CHECK(0); return; }
    for (i = 0; i < m->nrow; i++) CHECK_CLOSE(m->v[(size_t)j * m->nrow + i], want[i], 1e-7, 1e-12);
}

void test_modelmatrix(void)
{
    lmm_frame *df = small_frame();
    lmm_matrix *m;
    CHECK(df != NULL);
    if (!df) return;
    {
        static const char *const n[] = { "(Intercept)", "x", "fb", "fc", "x:fb", "x:fc" };
        static const double xfc[8] = { 0, 0, 1.5, 0, 0, 4, 0, 0 };
        m = check_names(df, "y ~ x*f", LMM_CONTR_TREATMENT, n, 6);
        check_col(m, 5, xfc);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "(Intercept)", "fa:x", "fb:x", "fc:x" };
        static const double fax[8] = { 0.5, 0, 0, 2, 0, 0, 5, 0 };
        m = check_names(df, "y ~ f:x", LMM_CONTR_TREATMENT, n, 4);
        check_col(m, 1, fax);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "fa", "fb", "fc", "gv" };
        m = check_names(df, "y ~ 0 + f + g", LMM_CONTR_TREATMENT, n, 4);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "(Intercept)", "x", "x:fb", "x:fc" };
        m = check_names(df, "y ~ x + x:f", LMM_CONTR_TREATMENT, n, 4);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "(Intercept)", "fb", "fc", "gv", "fb:gv", "fc:gv" };
        static const double fcgv[8] = { 0, 0, 1, 0, 0, 1, 0, 0 };
        m = check_names(df, "y ~ f*g", LMM_CONTR_TREATMENT, n, 6);
        check_col(m, 5, fcgv);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "(Intercept)", "f1", "f2", "g1", "f1:g1", "f2:g1" };
        static const double f2[8] = { 0, 1, -1, 0, 1, -1, 0, 1 };
        static const double f2g1[8] = { 0, 1, 1, 0, 1, 1, 0, -1 };
        m = check_names(df, "y ~ f*g", LMM_CONTR_SUM, n, 6);
        check_col(m, 2, f2);
        check_col(m, 5, f2g1);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "(Intercept)", "x", "I(x^2)", "log(x)", "I(x + 1)" };
        static const double logx[8] = { -0.6931472, 0.0000000, 0.4054651, 0.6931472, 1.0986123, 1.3862944, 1.6094379, 1.9459101 };
        static const double x2[8] = { 0.25, 1, 2.25, 4, 9, 16, 25, 49 };
        m = check_names(df, "y ~ x + I(x^2) + log(x) + I(x + 1)", LMM_CONTR_TREATMENT, n, 5);
        check_col(m, 2, x2);
        if (m) { int i; for (i = 0; i < 8; i++) CHECK_CLOSE(m->v[3 * 8 + i], logx[i], 1e-6, 1e-7); }
        lmm_matrix_free(m);
    }
    {
        /* neither margin present: both factors coded by indicators, as R does */
        static const char *const n[] = { "(Intercept)", "x", "gu:fa", "gv:fa", "gu:fb", "gv:fb", "gu:fc", "gv:fc" };
        static const double gvfa[8] = { 0, 0, 0, 1, 0, 0, 0, 0 };
        m = check_names(df, "y ~ g:f + x", LMM_CONTR_TREATMENT, n, 8);
        check_col(m, 3, gvfa);
        lmm_matrix_free(m);
    }
    {
        static const char *const n[] = { "x", "fa:gu", "fb:gu", "fc:gu", "fa:gv", "fb:gv", "fc:gv" };
        static const double fcgv[8] = { 0, 0, 1, 0, 0, 1, 0, 0 };
        m = check_names(df, "y ~ -1 + x + f:g", LMM_CONTR_TREATMENT, n, 7);
        check_col(m, 6, fcgv);
        lmm_matrix_free(m);
    }
    {
        /* a factor inside arithmetic is refused with the column named */
        lmm_error err = {0};
        m = NULL;
        CHECK(lmm_model_matrix(df, "y ~ I(f^2)", NULL, &m, &err) == LMM_ERR_FORMULA);
        CHECK(strstr(err.message, "'f'") != NULL);
        CHECK(m == NULL);
    }
    lmm_frame_free(df);
}
