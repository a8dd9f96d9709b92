/* The sparse factor's class products (lmm__blocks, sp_ncls) against the dense
   factor: a crossed design whose first-term levels come in three sizes, so the
   products merge by class. Stored as counts when every product is a whole
   number (indicator terms), as doubles otherwise (a slope term, or weights);
   with a vector first term, level pairs instead. The objective must agree with
   the dense path's at several theta, the intended storage must have run (its
   fields read through tests/impl.c), and the moment start, which reads A22's
   entries on the sparse path, must agree with the dense path's. */
#include "test.h"

#define NS 60      /* first-term levels: 5, 6 or 7 observations each */
#define ND 40      /* the crossed term's levels */

static lmm_frame *crossed_frame(void)
{
    static char slab[NS][16], dlab[ND][16];
    const char *sl[NS * 7], *dl[NS * 7];
    double y[NS * 7], x[NS * 7], w[NS * 7];
    unsigned state = 12345u;
    int n = 0, j, k;
    lmm_frame *df = NULL;
    lmm_error err = {0};
    for (j = 0; j < NS; j++) snprintf(slab[j], sizeof slab[j], "s%d", j);
    for (j = 0; j < ND; j++) snprintf(dlab[j], sizeof dlab[j], "d%d", j);
    for (j = 0; j < NS; j++)
        for (k = 0; k < 5 + j % 3; k++) {
            int d;
            state = state * 1103515245u + 12345u;
            d = (int)((state >> 16) % ND);
            sl[n] = slab[j];
            dl[n] = dlab[d];
            x[n] = 0.25 * k + 0.01 * (double)((state >> 8) % 97);
            w[n] = 0.5 + 0.25 * (double)(j % 2);   /* constant within a level: the classes stay few */
            y[n] = 1.0 + 0.3 * x[n] + 0.7 * ((j * 7) % 5 - 2) + 0.5 * ((d * 3) % 7 - 3) + 0.02 * (double)((state >> 4) % 101);
            n++;
        }
    CHECK(lmm_frame_new(n, &df, &err) == LMM_OK);
    if (!df) return NULL;
    CHECK(lmm_frame_add_factor(df, "s", sl, &err) == LMM_OK);
    CHECK(lmm_frame_add_factor(df, "d", dl, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "x", x, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "w", w, &err) == LMM_OK);
    return df;
}

/* The REML and ML objectives on the sparse and the dense factor at a few
   theta; want_ncls classes stored as counts (want_counts) or doubles, or the
   pairs (want_ncls 0). */
static void compare(const lmm_frame *df, const char *formula, int weighted, int want_ncls, int want_counts)
{
    static const double thetas[3][4] = { {1.0, 1.0, 1.0, 1.0}, {0.3, 2.5, 0.2, 0.7}, {1.7, 0.05, -0.3, 1.2} };
    lmm_model_options mo;
    lmm_model *m = NULL;
    lmm_error err = {0};
    int t, reml, ncls = -1, counts = -1, pairs = -1, k, nth;
    double th_sparse[4] = {0, 0, 0, 0}, th_dense[4] = {0, 0, 0, 0};
    memset(&mo, 0, sizeof mo);
    if (weighted) mo.weights_column = "w";
    CHECK(lmm_model_build(df, formula, &mo, &m, &err) == LMM_OK);
    if (!m) return;
    nth = m->ntheta;
    CHECK(lmm_model_set_factor(m, LMM_FACTOR_SPARSE, &err) == LMM_OK);
    CHECK(lmm_test_sparse_storage(m, &ncls, &counts, &pairs) == 1);
    CHECK(ncls == want_ncls);
    CHECK(counts == (want_ncls > 0 && want_counts));
    CHECK(pairs == (want_ncls == 0));
    if (want_ncls > 0) {                         /* scalar terms only: the moment start applies */
        CHECK(lmm_test_moment_theta(m, th_sparse) == 1);
        CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
        CHECK(lmm_test_moment_theta(m, th_dense) == 1);
        for (k = 0; k < nth; k++) CHECK_CLOSE(th_sparse[k], th_dense[k], 1e-12, 0);
        CHECK(th_sparse[0] > 0.05 && th_sparse[0] != 1.0);   /* a moment estimate, not the floor or lme4's start */
    }
    for (t = 0; t < 3; t++)
        for (reml = 0; reml < 2; reml++) {
            double sparse, dense;
            CHECK(lmm_model_set_factor(m, LMM_FACTOR_SPARSE, &err) == LMM_OK);
            CHECK(lmm_model_factor(m) == LMM_FACTOR_SPARSE);
            sparse = lmm_model_objective(m, thetas[t], reml);
            CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
            dense = lmm_model_objective(m, thetas[t], reml);
            CHECK(isfinite(dense));
            CHECK_CLOSE(sparse, dense, 1e-11, 0);
        }
    lmm_model_free(m);
}

void test_sparsecls(void)
{
    lmm_frame *df = crossed_frame();
    if (!df) return;
    compare(df, "y ~ x + (1|s) + (1|d)", 0, 3, 1);        /* three sizes: counts */
    compare(df, "y ~ x + (1|s) + (0 + x|d)", 0, 3, 0);    /* products of x: doubles */
    compare(df, "y ~ x + (1|s) + (1|d)", 1, 6, 0);        /* weighted: two weights a size, doubles */
    compare(df, "y ~ x + (x|s) + (1|d)", 0, 0, 0);        /* p1 = 2: the level pairs */
    lmm_frame_free(df);
}
