/* factor(x) / as.factor(x) in formulas: equal to fitting a string factor
   column, R's numeric level order and labels, R's column names. */
#include "test.h"
#include <stdlib.h>

/* sleepstudy with Days and Subject also as string factor columns ("0".."9", "308"...). */
static lmm_frame *sleep_with_string_factors(void)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy.csv");
    lmm_error err = {0};
    const char **days, **subj;
    char (*buf)[16];
    int i, n, cd, cs, ok = 1;
    if (!df) return NULL;
    n = df->nrow;
    cd = lmm_frame_find(df, "Days"); cs = lmm_frame_find(df, "Subject");
    days = (const char **)malloc((size_t)n * sizeof *days);
    subj = (const char **)malloc((size_t)n * sizeof *subj);
    buf = (char (*)[16])malloc((size_t)n * 2 * sizeof *buf);
    if (cd < 0 || cs < 0 || !days || !subj || !buf) ok = 0;
    for (i = 0; ok && i < n; i++) {
        snprintf(buf[2 * i], 16, "%d", (int)df->cols[cd].num[i]);
        snprintf(buf[2 * i + 1], 16, "%d", (int)df->cols[cs].num[i]);
        days[i] = buf[2 * i]; subj[i] = buf[2 * i + 1];
    }
    if (ok) ok = lmm_frame_add_factor(df, "DaysF", days, &err) == LMM_OK &&
                 lmm_frame_add_factor(df, "SubjectF", subj, &err) == LMM_OK;
    free(days); free(subj); free(buf);
    if (!ok) { lmm_frame_free(df); return NULL; }
    return df;
}

/* Two fits agree figure for figure (same model, differently spelled). */
static void check_same_fit(const lmm_fit *a, const lmm_fit *b)
{
    int j;
    CHECK(a->p == b->p && a->ntheta == b->ntheta && a->nobs == b->nobs);
    if (a->p != b->p || a->ntheta != b->ntheta) return;
    CHECK(a->criterion == b->criterion);
    CHECK(a->sigma == b->sigma);
    for (j = 0; j < a->p; j++) { CHECK(a->beta[j] == b->beta[j]); CHECK(a->se[j] == b->se[j]); }
    for (j = 0; j < a->ntheta; j++) CHECK(a->theta[j] == b->theta[j]);
}

static void test_sleepstudy_factor_days(void)
{
    lmm_frame *df = sleep_with_string_factors();
    lmm_fit *a = NULL, *b = NULL;
    lmm_error err = {0};
    char name[32];
    int j;
    CHECK(df != NULL);
    if (!df) return;
    CHECK(lmm_fit_formula(df, "Reaction ~ factor(Days) + (1|Subject)", NULL, &a, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "Reaction ~ DaysF + (1|Subject)", NULL, &b, &err) == LMM_OK);
    if (a && b) {
        check_same_fit(a, b);
        CHECK(a->p == 10);
        CHECK_STR(a->model->X->colnames[0], "(Intercept)");
        for (j = 1; j < a->p && j < 10; j++) {
            snprintf(name, sizeof name, "factor(Days)%d", j);
            CHECK_STR(a->model->X->colnames[j], name);
        }
        CHECK_STR(a->model->X->terms[0], "factor(Days)");
        /* balanced: the intercept is the day-0 mean of sleepstudy.csv (18 rows, summed by awk) */
        CHECK_CLOSE(a->beta[0], 256.6518055555555, 1e-12, 0);
    }
    {
        /* predictions on new rows use the training levels: Days 9 and 0, then an unseen 10 */
        static const double nd_days[2] = { 9, 0 }, nd_subj[2] = { 308, 999 }, bad_days[1] = { 10 };
        static const char *const nd_daysf[2] = { "9", "0" };
        lmm_frame *nd = NULL, *ndf = NULL, *bad = NULL;
        double pa[2], pb[2];
        CHECK(lmm_frame_new(2, &nd, &err) == LMM_OK && lmm_frame_new(2, &ndf, &err) == LMM_OK && lmm_frame_new(1, &bad, &err) == LMM_OK);
        if (nd && ndf && bad && a && b) {
            CHECK(lmm_frame_add_numeric(nd, "Days", nd_days, &err) == LMM_OK);
            CHECK(lmm_frame_add_numeric(nd, "Subject", nd_subj, &err) == LMM_OK);
            CHECK(lmm_frame_add_factor(ndf, "DaysF", nd_daysf, &err) == LMM_OK);
            CHECK(lmm_frame_add_numeric(ndf, "Subject", nd_subj, &err) == LMM_OK);
            CHECK(lmm_predict(a, df, nd, 1, pa, &err) == LMM_OK);
            CHECK(lmm_predict(b, df, ndf, 1, pb, &err) == LMM_OK);
            CHECK(pa[0] == pb[0] && pa[1] == pb[1]);
            CHECK_CLOSE(pa[1], a->beta[0], 1e-14, 0);           /* new subject, day 0: population level */
            CHECK_CLOSE(pa[0] - a->b[0], a->beta[0] + a->beta[9], 1e-12, 0);   /* subject 308 is level 0 */
            {
                /* an allocation failure anywhere in factor() prediction: an error, nothing leaked */
                int i, nok = 0;
                for (i = 0; i < 120; i++) {
                    lmm_status st;
                    lmm_test_fail_after = lmm_test_allocs + i;
                    st = lmm_predict(a, df, nd, 1, pb, &err);
                    lmm_test_fail_after = -1;
                    CHECK(st == LMM_OK || st == LMM_ERR_NOMEM);
                    if (st == LMM_OK) { nok++; CHECK(pb[0] == pa[0] && pb[1] == pa[1]); }
                }
                CHECK(nok > 0);
            }
            CHECK(lmm_frame_add_numeric(bad, "Days", bad_days, &err) == LMM_OK);
            CHECK(lmm_frame_add_numeric(bad, "Subject", nd_subj, &err) == LMM_OK);
            CHECK(lmm_predict(a, df, bad, 0, pa, &err) == LMM_ERR_DATA);
            CHECK(strstr(err.message, "level '10' of factor 'factor(Days)'") != NULL);
        }
        lmm_frame_free(nd); lmm_frame_free(ndf); lmm_frame_free(bad);
    }
    lmm_fit_free(a); lmm_fit_free(b);
    a = b = NULL;
    {
        /* (1|factor(Subject)) is (1|SubjectF), with R's group name */
        lmm_fit_options o;
        memset(&o, 0, sizeof o);
        o.ml = 1;
        CHECK(lmm_fit_formula(df, "Reaction ~ Days + (Days|factor(Subject))", &o, &a, &err) == LMM_OK);
        CHECK(lmm_fit_formula(df, "Reaction ~ Days + (Days|SubjectF)", &o, &b, &err) == LMM_OK);
        if (a && b) {
            check_same_fit(a, b);
            CHECK_STR(a->model->terms[0].group, "factor(Subject)");
            CHECK_STR(a->model->terms[0].vc_name, "factor(Subject)");
            CHECK(a->model->terms[0].nlevels == 18);
            CHECK_STR(a->model->terms[0].levels[0], "308");
        }
        lmm_fit_free(a); lmm_fit_free(b);
        a = b = NULL;
        /* sum contrasts through lmm_fit_options.model */
        o.model.contrasts = LMM_CONTR_SUM;
        CHECK(lmm_fit_formula(df, "Reaction ~ factor(Days) + (1|Subject)", &o, &a, &err) == LMM_OK);
        CHECK(lmm_fit_formula(df, "Reaction ~ DaysF + (1|Subject)", &o, &b, &err) == LMM_OK);
        if (a && b && a->p == 10) {
            check_same_fit(a, b);
            CHECK_STR(a->model->X->colnames[1], "factor(Days)1");
            CHECK_STR(a->model->X->colnames[9], "factor(Days)9");
            /* balanced: the intercept is the mean of the ten day means, the mean of all 180 (awk) */
            CHECK_CLOSE(a->beta[0], 298.5078916666666, 1e-12, 0);
        }
        lmm_fit_free(a); lmm_fit_free(b);
    }
    lmm_frame_free(df);
}

/* y and x with levels whose string order (10, 2.5, 3) differs from the numeric one. */
static lmm_frame *small_frame(void)
{
    static const double y[8] = { 1, 2, 4, 5, 9, 7, 8, 6 };
    static const double x[8] = { 3, 3, 10, 10, 10, 2.5, 2.5, 2.5 };
    static const double z[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const char *const g[8] = { "u", "v", "u", "v", "u", "v", "u", "v" };
    lmm_frame *df = NULL;
    lmm_error err = {0};
    if (lmm_frame_new(8, &df, &err) != LMM_OK) return NULL;
    if (lmm_frame_add_numeric(df, "y", y, &err) != LMM_OK || lmm_frame_add_numeric(df, "x", x, &err) != LMM_OK ||
        lmm_frame_add_numeric(df, "z", z, &err) != LMM_OK || lmm_frame_add_factor(df, "g", g, &err) != LMM_OK) {
        lmm_frame_free(df);
        return NULL;
    }
    return df;
}

static void check_names(const lmm_frame *df, const char *formula, const lmm_model_options *mo,
                        const char *const *names, int n)
{
    lmm_matrix *m = NULL;
    lmm_error err = {0};
    int j;
    if (lmm_model_matrix(df, formula, mo, &m, &err) != LMM_OK) {
        fprintf(stderr, "  %s: %s\n", formula, err.message);
        CHECK(0);
        return;
    }
    CHECK(m->ncol == n);
    for (j = 0; j < n && j < m->ncol; j++) CHECK_STR(m->colnames[j], names[j]);
    lmm_matrix_free(m);
}

static void test_levels_and_names(void)
{
    lmm_frame *df = small_frame();
    lmm_model_options sum;
    lmm_lm *lm = NULL;
    lmm_error err = {0};
    memset(&sum, 0, sizeof sum);
    sum.contrasts = LMM_CONTR_SUM;
    CHECK(df != NULL);
    if (!df) return;
    {
        static const char *const n[] = { "(Intercept)", "factor(x)3", "factor(x)10" };
        check_names(df, "y ~ factor(x)", NULL, n, 3);
    }
    {
        static const char *const n[] = { "(Intercept)", "as.factor(x)3", "as.factor(x)10" };
        check_names(df, "y ~ as.factor(x)", NULL, n, 3);
    }
    {
        static const char *const n[] = { "(Intercept)", "factor(x)1", "factor(x)2" };
        check_names(df, "y ~ factor(x)", &sum, n, 3);
    }
    {
        /* z's margin is absent: indicators for every level */
        static const char *const n[] = { "(Intercept)", "factor(x)2.5:z", "factor(x)3:z", "factor(x)10:z" };
        check_names(df, "y ~ factor(x):z", NULL, n, 4);
    }
    {
        static const char *const n[] = { "(Intercept)", "factor(x)3", "factor(x)10", "gv", "factor(x)3:gv", "factor(x)10:gv" };
        check_names(df, "y ~ factor(x)*g", NULL, n, 6);
    }
    {
        /* a factor passed to factor() keeps its level order (here after relevel) */
        static const char *const n[] = { "(Intercept)", "factor(g)u" };
        lmm_frame *d2 = small_frame();
        CHECK(d2 && lmm_frame_relevel(d2, "g", "v", &err) == LMM_OK);
        if (d2) check_names(d2, "y ~ factor(g)", NULL, n, 2);
        lmm_frame_free(d2);
    }
    /* lm: coefficients are differences of group means; groups 2.5: (7+8+6)/3 = 7, 3: 1.5, 10: 6 */
    CHECK(lmm_lm_fit(df, "y ~ factor(x)", NULL, &lm, &err) == LMM_OK);
    if (lm && lm->p == 3) {
        CHECK_CLOSE(lm->coef[0], 7.0, 1e-12, 1e-12);
        CHECK_CLOSE(lm->coef[1], 1.5 - 7.0, 1e-12, 1e-12);
        CHECK_CLOSE(lm->coef[2], 6.0 - 7.0, 1e-12, 1e-12);
        CHECK_STR(lm->X->terms[0], "factor(x)");
    } else CHECK(0);
    lmm_lm_free(lm); lm = NULL;
    /* sum contrasts: grand mean of the group means, then level effects */
    CHECK(lmm_lm_fit(df, "y ~ factor(x)", &sum, &lm, &err) == LMM_OK);
    if (lm && lm->p == 3) {
        double gm = (7.0 + 1.5 + 6.0) / 3;
        CHECK_CLOSE(lm->coef[0], gm, 1e-12, 1e-12);
        CHECK_CLOSE(lm->coef[1], 7.0 - gm, 1e-12, 1e-12);
        CHECK_CLOSE(lm->coef[2], 1.5 - gm, 1e-12, 1e-12);
    } else CHECK(0);
    lmm_lm_free(lm); lm = NULL;
    lmm_frame_free(df);
}

static void test_labels_missing_and_errors(void)
{
    /* R's labels: 1e-04 (scientific is shorter), 1.5, 2, 10, 1e+05, 123456; NA drops its row */
    static const double y[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    static const double x[8] = { 10, 2, 1.5, 1e-4, NAN, 1e5, 123456, 2 };
    static const char *const n[] = { "factor(x)1e-04", "factor(x)1.5", "factor(x)2", "factor(x)10", "factor(x)1e+05", "factor(x)123456" };
    lmm_frame *df = NULL;
    lmm_matrix *m = NULL;
    lmm_lm *lm = NULL;
    lmm_error err = {0};
    int j;
    CHECK(lmm_frame_new(8, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "x", x, &err) == LMM_OK);
    CHECK(lmm_model_matrix(df, "y ~ 0 + factor(x)", NULL, &m, &err) == LMM_OK);
    if (m) {
        CHECK(m->nrow == 7 && m->ncol == 6);
        for (j = 0; j < 6 && j < m->ncol; j++) CHECK_STR(m->colnames[j], n[j]);
        /* row 1 (x = 10) is an indicator of the fourth level; row 2 (x = 2) of the third */
        if (m->ncol == 6) { CHECK(m->v[3 * 7 + 0] == 1.0); CHECK(m->v[2 * 7 + 1] == 1.0); CHECK(m->v[2 * 7 + 0] == 0.0); }
    }
    lmm_matrix_free(m); m = NULL;
    {
        /* an allocation failure anywhere in factor(): an error, nothing leaked */
        int i, nok = 0;
        for (i = 0; i < 150; i++) {
            lmm_status st;
            lmm_test_fail_after = lmm_test_allocs + i;
            st = lmm_model_matrix(df, "y ~ factor(x) + factor(x):y", NULL, &m, &err);
            lmm_test_fail_after = -1;
            CHECK(st == LMM_OK || st == LMM_ERR_NOMEM);
            if (st == LMM_OK) nok++;
            lmm_matrix_free(m); m = NULL;
        }
        CHECK(nok > 0);
    }
    /* factor() inside arithmetic, a factor response, a bad grouping call */
    CHECK(lmm_model_matrix(df, "y ~ I(factor(x))", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "makes a factor") != NULL);
    CHECK(lmm_lm_fit(df, "factor(y) ~ x", NULL, &lm, &err) == LMM_ERR_DATA);
    CHECK(lmm_model_matrix(df, "y ~ factor(w)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "'w'") != NULL);
    CHECK(lmm_lm_fit(df, "y ~ (1|log(x))", NULL, &lm, &err) == LMM_ERR_FORMULA);
    {
        /* unknown contrasts are refused by the one options resolver */
        lmm_model_options bad;
        memset(&bad, 0, sizeof bad);
        bad.contrasts = (lmm_contrasts)7;
        CHECK(lmm_model_matrix(df, "y ~ x", &bad, &m, &err) == LMM_ERR_ARG);
        CHECK(m == NULL);
    }
    lmm_frame_free(df);
}

void test_factorcall(void)
{
    test_sleepstudy_factor_days();
    test_levels_and_names();
    test_labels_missing_and_errors();
}
