/* The bad-input table (README, "Limitations and bad input"): one check per
   row, each a specific error code and message, or a correct fit. */
#include "test.h"

/* Read CSV text and fit formula; returns the status of the first failing step. */
static lmm_status try_fit(const char *csv, const char *formula, lmm_fit **fit, lmm_error *err)
{
    lmm_frame *df = NULL;
    lmm_status st;
    *fit = NULL;
    err->message[0] = '\0';
    if ((st = lmm_frame_read_csv_text(csv, strlen(csv), &df, err)) != LMM_OK) return st;
    st = lmm_fit_formula(df, formula, NULL, fit, err);
    lmm_frame_free(df);
    return st;
}

static void expect(const char *csv, const char *formula, lmm_status want, const char *fragment)
{
    lmm_fit *fit = NULL;
    lmm_error err;
    lmm_status st = try_fit(csv, formula, &fit, &err);
    if (st != want || !strstr(err.message, fragment))
        fprintf(stderr, "  %s: got %s '%s', want %s '...%s...'\n", formula, lmm_status_name(st), err.message,
                lmm_status_name(want), fragment);
    CHECK(st == want);
    CHECK(strstr(err.message, fragment) != NULL);
    CHECK(fit == NULL);
    lmm_fit_free(fit);
}

/* 200 rows, 10 groups: y = offset + scale * v. */
static char *scaled_csv(double offset, double scale)
{
    char *s = (char *)malloc(200 * 40 + 16);
    int i, o;
    if (!s) return NULL;
    o = sprintf(s, "y,g\n");
    for (i = 0; i < 200; i++) {
        double e = ((i * 7919) % 101) / 101.0 - 0.5, v = (i % 7) * 3.0 + (i % 4) * 10 + (i % 10) * 2.0 + e;
        o += sprintf(s + o, "%.17g,%c\n", offset + scale * v, 'a' + i % 10);
    }
    return s;
}

void test_badinput(void)
{
    static const char *const R = "y ~ 1 + (1|g)";
    /* files */
    expect("", R, LMM_ERR_CSV, "empty file");
    expect("y,g\n", R, LMM_ERR_CSV, "header line only");
    expect("y,g\n1,a\n2\n", R, LMM_ERR_CSV, "line 3 has 1 fields, header has 2");
    expect("y,g\n1,\"a\n", R, LMM_ERR_CSV, "unterminated quoted field starting at line 2");
    expect("y,y\n1,2\n", R, LMM_ERR_CSV, "duplicate column name 'y'");
    expect("y,\n1,2\n", R, LMM_ERR_CSV, "empty column name for column 2");
    /* values */
    expect("y,g\na,x\nb,y\nc,x\nd,y\n", R, LMM_ERR_DATA, "response 'y' is not numeric");
    expect("y,g\n1,a\ninf,b\n3,a\n4,b\n", R, LMM_ERR_CSV, "'inf' is not a finite number");
    expect("y,g\n1,a\nNaN,b\n3,a\n4,b\n", R, LMM_ERR_CSV, "'NaN' is not a finite number");
    expect("y,g\n1,a\n1e999,b\n3,a\n4,b\n", R, LMM_ERR_CSV, "'1e999' is not a finite number");
    expect("y,g,x\n1,a,NA\n2,b,NA\n3,a,NA\n4,b,NA\n", "y ~ x + (1|g)", LMM_ERR_DATA, "no complete rows");
    expect("y,g\n1,a\n1,b\n1,a\n1,b\n1,c\n1,c\n", R, LMM_ERR_NUMERIC, "response constant");
    /* grouping factors and dimensions (lme4's checks) */
    expect("y,g\n1,a\n2,a\n3,a\n4,a\n", R, LMM_ERR_DATA, "must have more than one level");
    expect("y,g\n1,a\n2,b\n3,c\n4,d\n", R, LMM_ERR_DATA, "must be less than the number of observations");
    expect("y,g,x\n1,a,1\n2,b,2\n3,c,3\n4,a,4\n5,b,5\n", "y ~ 1 + (x|g)", LMM_ERR_DATA, "number of random effects");
    /* formulas */
    expect("y,g\n1,a\n2,b\n", "y ~ (1|g", LMM_ERR_FORMULA, "missing ')' at offset 8");
    expect("y,g\n1,a\n2,b\n", "y ~ Dayz + (1|g)", LMM_ERR_FORMULA, "unknown column 'Dayz' at offset 4 in formula 'y ~ Dayz + (1|g)'");
    expect("y,g\n1,a\n2,b\n3,a\n", "y ~ I(g^2) + (1|g)", LMM_ERR_FORMULA, "'g' is a factor");
    expect("y,g\n1,a\n2,b\n3,a\n", "y ~ 1", LMM_ERR_FORMULA, "no random-effects terms");
    expect("y,g\n1,a\n2,b\n3,a\n", "y ~ x +", LMM_ERR_FORMULA, "offset 7");
    expect("y,g\n1,a\n2,b\n3,a\n", "y ~ 1 + (1|g) + (1|", LMM_ERR_FORMULA, "grouping factor");

    {   /* rank deficient X: z = 2x is dropped as lme4 does, the rest equals the fit without z */
        static const char *const csv = "y,g,x,z\n1,a,1,2\n2,b,2,4\n3,a,3,6\n4,b,4,8\n5,c,3,6\n6,c,1,2\n7,a,2,4\n3,b,5,10\n";
        lmm_fit *a = NULL, *b = NULL;
        lmm_error err;
        CHECK(try_fit(csv, "y ~ x + z + (1|g)", &a, &err) == LMM_OK);
        CHECK(try_fit(csv, "y ~ x + (1|g)", &b, &err) == LMM_OK);
        if (a && b) {
            CHECK(a->model->n_aliased == 1);
            CHECK_STR(a->model->aliased[0], "z");
            CHECK(a->p == 2);
            CHECK_CLOSE(a->criterion, b->criterion, 1e-12, 0);
            CHECK_CLOSE(a->beta[1], b->beta[1], 1e-10, 0);
        }
        lmm_fit_free(a); lmm_fit_free(b);
    }
    {   /* very large and very small scales: theta is scale free, sigma and beta scale */
        char *base = scaled_csv(0, 1), *big = scaled_csv(1e9, 1), *tiny = scaled_csv(0, 1e-9);
        lmm_fit *f0 = NULL, *f1 = NULL, *f2 = NULL;
        lmm_error err;
        CHECK(base && big && tiny);
        if (base && big && tiny) {
            CHECK(try_fit(base, R, &f0, &err) == LMM_OK);
            CHECK(try_fit(big, R, &f1, &err) == LMM_OK);
            CHECK(try_fit(tiny, R, &f2, &err) == LMM_OK);
        }
        if (f0 && f1 && f2) {
            /* lme4 1.1-31 on the unscaled data: REML 1580.275459, theta 0.6886187962, sigma 12.00296048 */
            CHECK_CLOSE(f0->criterion, 1580.275459, 1e-9, 0);
            CHECK_CLOSE(f0->theta[0], 0.6886187962, 1e-6, 0);
            CHECK_CLOSE(f1->theta[0], f0->theta[0], 1e-6, 0);
            CHECK_CLOSE(f2->theta[0], f0->theta[0], 1e-6, 0);
            CHECK_CLOSE(f1->sigma, f0->sigma, 1e-6, 0);
            CHECK_CLOSE(f2->sigma, 1e-9 * f0->sigma, 1e-6, 0);
            CHECK_CLOSE(f1->beta[0], 1e9 + f0->beta[0], 1e-15, 0);
            CHECK_CLOSE(f2->beta[0], 1e-9 * f0->beta[0], 1e-9, 0);
            /* REML criterion of c*y: + 2 (n - p) log c */
            CHECK_CLOSE(f2->criterion, f0->criterion + 2.0 * 199 * log(1e-9), 1e-9, 0);
        }
        lmm_fit_free(f0); lmm_fit_free(f1); lmm_fit_free(f2);
        free(base); free(big); free(tiny);
    }
    {   /* extreme imbalance: ten observations in one group, one in each of fifty others;
           y carries no group signal: lme4 1.1-31 gives theta 0 (singular), REML 308.3913 */
        char *s = (char *)malloc(60 * 24 + 8);
        lmm_fit *fit = NULL;
        lmm_error err;
        int i, o;
        if (!s) return;
        o = sprintf(s, "y,g\n");
        for (i = 0; i < 60; i++) o += sprintf(s + o, "%d,g%d\n", (i * 37) % 11, i < 10 ? 0 : i);
        CHECK(try_fit(s, R, &fit, &err) == LMM_OK);
        if (fit) {
            CHECK(fit->singular);
            CHECK(fit->theta[0] == 0.0);
            CHECK_CLOSE(fit->criterion, 308.3913, 0, 1e-4);
            CHECK(fit->model->terms[0].nlevels == 51);
        }
        lmm_fit_free(fit);
        free(s);
    }
}
