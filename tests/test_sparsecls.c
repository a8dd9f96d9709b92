/* The sparse factor's class products (lmm__blocks, sp_ncls) against the dense
   factor: a crossed design whose first-term levels come in three sizes, so the
   products merge by class. Stored as counts when every product is a whole
   number (indicator terms), as doubles otherwise (a slope term, or weights);
   the objective must agree with the dense path's at several theta. */
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

/* The REML and ML objectives on the sparse and the dense factor at a few theta. */
static void compare(const lmm_frame *df, const char *formula, int weighted)
{
    static const double thetas[3][2] = { {1.0, 1.0}, {0.3, 2.5}, {1.7, 0.05} };
    lmm_model_options mo;
    lmm_model *m = NULL;
    lmm_error err = {0};
    int t, reml;
    memset(&mo, 0, sizeof mo);
    if (weighted) mo.weights_column = "w";
    CHECK(lmm_model_build(df, formula, &mo, &m, &err) == LMM_OK);
    if (!m) return;
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
    compare(df, "y ~ x + (1|s) + (1|d)", 0);        /* counts */
    compare(df, "y ~ x + (1|s) + (0 + x|d)", 0);    /* products of x: doubles */
    compare(df, "y ~ x + (1|s) + (1|d)", 1);        /* weighted: doubles */
    lmm_frame_free(df);
}
