/* The start beyond 20 covariance parameters (lmm__moment_theta_vector: per-term
   moment estimates from the levels' least-squares fits of the OLS residuals),
   against lme4 1.1-31 (tests/data/vecstart.R): (1 + x1 + ... + x5 | g), 21
   parameters, 80 groups x 15 rows. The fit from the moment start and the one
   from lme4's start (theta_start: ones on the diagonal) reach lme4's optimum,
   the first in fewer evaluations (259 against 382; lme4 461). */
#include "test.h"
#include "json.h"

void test_vecstart(void)
{
    static const char *formula = "y ~ x1 + x2 + x3 + x4 + x5 + (1 + x1 + x2 + x3 + x4 + x5 | g)";
    lmm_frame *df = lmm_test_read_csv("vecstart.csv");
    lmm_fit *fit = NULL, *fit1 = NULL;
    lmm_fit_options o;
    lmm_error err = {LMM_OK, ""};
    tj_node *ref;
    char path[512];
    double ident[21], want;
    int i, j, k = 0;
    snprintf(path, sizeof path, "%s/vecstart_REML.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(df != NULL && ref != NULL);
    if (!df || !ref) { lmm_frame_free(df); tj_free(ref); return; }
    want = tj_num(tj_get(ref, "REML"));
    CHECK(lmm_fit_formula(df, formula, NULL, &fit, &err) == LMM_OK);
    for (j = 0; j < 6; j++)
        for (i = j; i < 6; i++) ident[k++] = i == j ? 1.0 : 0.0;
    memset(&o, 0, sizeof o);
    o.theta_start = ident;
    CHECK(lmm_fit_formula(df, formula, &o, &fit1, &err) == LMM_OK);
    if (fit && fit1) {
        printf("  moment start: REML %.10f in %d evaluations; lme4's start: %.10f in %d (lme4 %.10f in %d)\n",
               fit->criterion, fit->nevals, fit1->criterion, fit1->nevals, want, (int)tj_num(tj_get(ref, "feval")));
        CHECK(fit->ntheta == 21 && fit->converged);
        /* lme4's optimum within the project's 1e-6 relative (4e-3 here): beyond
           20 parameters the search stops once it stalls (LMM__BQ_STALL), on
           this path 3e-5 (moment start) and 3e-4 (identity start) above
           lme4's, which path rounding in the optimizer's sums decides */
        CHECK(fit->criterion <= want * (1 + 1e-6));
        CHECK(fit1->criterion <= want * (1 + 1e-6));
        CHECK_CLOSE(fit->criterion, want, 0, 2e-4);   /* the moment start's fit, nearer */
        CHECK_CLOSE(fit->sigma, tj_num(tj_get(ref, "sigma")), 1e-4, 0);
        for (i = 0; i < 21; i++) CHECK_CLOSE(fit->theta[i], tj_num(tj_at(tj_get(ref, "theta"), i)), 0, 2e-3);
        /* the moment start is the nearer one */
        CHECK(fit->nevals < fit1->nevals);
    }
    lmm_fit_free(fit); lmm_fit_free(fit1);
    lmm_frame_free(df); tj_free(ref);
}
