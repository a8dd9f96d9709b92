/* R formula functions (log1p, expm1, pmin, pmax, scale, poly, ns, bs) against
   R: model.matrix names and values, lm and lmer coefficients, the REML
   criterion, and predictions on new data through the training statistics
   (tests/data/formfun.R and tests/data/splines.R write the reference numbers). */
#include "test.h"
#include "json.h"

static lmm_frame *read_data(const char *name)
{
    return lmm_test_read_csv(name);
}

static void check_names(char *const *got, int ngot, const tj_node *want)
{
    int j;
    CHECK(ngot == tj_len(want));
    for (j = 0; j < ngot && j < tj_len(want); j++) CHECK_STR(got[j], tj_str(tj_at(want, j)));
}

/* Predictions on newdata against lme4's (to rtol: the two optima agree to
   about 1e-6) and, for the population level, against R's newdata matrix
   (training poly()/scale() statistics) times this fit's beta, to 1e-9. */
static void check_pred(const lmm_fit *fit, const lmm_frame *train, const lmm_frame *nd, int conditional,
                       const tj_node *want, const tj_node *Xnew, double rtol)
{
    lmm_error err = {0};
    double out[16];
    int i, j, n = nd->nrow;
    if (!want && !Xnew) return;
    CHECK((!want || n == tj_len(want)) && n <= 16);
    if (n > 16) return;
    CHECK(lmm_predict(fit, train, nd, conditional, out, &err) == LMM_OK);
    for (i = 0; want && i < n; i++) {
        double w = tj_num(tj_at(want, i));
        if (isnan(w)) CHECK(isnan(out[i]));
        else CHECK_CLOSE(out[i], w, rtol, rtol);
    }
    if (conditional || !Xnew) return;
    CHECK(tj_len(Xnew) == n * fit->p);
    for (i = 0; i < n; i++) {
        double s = 0;
        for (j = 0; j < fit->p; j++) s += tj_num(tj_at(Xnew, j * n + i)) * fit->beta[j];
        if (isnan(s)) CHECK(isnan(out[i]));
        else CHECK_CLOSE(out[i], s, 1e-9, 1e-9);
    }
}

/* The newdata model matrix of an lm case (R's, through the training knots,
   centring...) checked through a mixed fit of the same fixed part with
   (1 | group): its population prediction is that matrix times its beta. */
static void check_newdata_matrix(const char *formula, const char *group, const lmm_frame *df, const lmm_frame *nd,
                                 const tj_node *Xnew)
{
    char mixed[512];
    lmm_fit *fit = NULL;
    lmm_error err = {0};
    lmm_status st;
    snprintf(mixed, sizeof mixed, "%s + (1 | %s)", formula, group);
    st = lmm_fit_formula(df, mixed, NULL, &fit, &err);
    if (st != LMM_OK) fprintf(stderr, "  %s: %s\n", mixed, err.message);
    CHECK(st == LMM_OK);
    if (fit) check_pred(fit, df, nd, 0, NULL, Xnew, 0);
    lmm_fit_free(fit);
}

static void test_against_r(const char *file, int min_cases)
{
    char path[256];
    tj_node *ref;
    const tj_node *cases;
    int c;
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, file);
    ref = tj_parse_file(path);
    CHECK(ref != NULL);
    if (!ref) return;
    cases = tj_get(ref, "cases");
    CHECK(tj_len(cases) >= min_cases);
    for (c = 0; c < tj_len(cases); c++) {
        const tj_node *k = tj_at(cases, c);
        const char *formula = tj_str(tj_get(k, "formula"));
        lmm_frame *df = read_data(tj_str(tj_get(k, "data"))), *nd = read_data(tj_str(tj_get(k, "newdata")));
        const tj_node *coef = tj_get(k, "coef");
        lmm_error err = {0};
        int j;
        CHECK(df && nd);
        if (!df || !nd) { lmm_frame_free(df); lmm_frame_free(nd); continue; }
        if (strcmp(tj_str(tj_get(k, "kind")), "lm") == 0) {
            lmm_matrix *m = NULL;
            lmm_lm *lm = NULL;
            const tj_node *X = tj_get(k, "X");
            lmm_status st = lmm_model_matrix(df, formula, NULL, &m, &err);
            if (st != LMM_OK) fprintf(stderr, "  %s: %s\n", formula, err.message);
            CHECK(st == LMM_OK);
            if (m) {
                check_names(m->colnames, m->ncol, tj_get(k, "colnames"));
                CHECK(tj_len(X) == m->nrow * m->ncol);
                for (j = 0; j < m->nrow * m->ncol && j < tj_len(X); j++)
                    CHECK_CLOSE(m->v[j], tj_num(tj_at(X, j)), 1e-10, 1e-12);
            }
            CHECK(lmm_lm_fit(df, formula, NULL, &lm, &err) == LMM_OK);
            if (lm) {
                check_names(lm->X->colnames, lm->p, tj_get(k, "colnames"));
                for (j = 0; j < lm->p && j < tj_len(coef); j++) CHECK_CLOSE(lm->coef[j], tj_num(tj_at(coef, j)), 1e-8, 1e-10);
            }
            if (tj_get(k, "Xnew")) check_newdata_matrix(formula, tj_str(tj_get(k, "group")), df, nd, tj_get(k, "Xnew"));
            lmm_matrix_free(m);
            lmm_lm_free(lm);
        } else {
            lmm_fit *fit = NULL;
            lmm_status st = lmm_fit_formula(df, formula, NULL, &fit, &err);
            if (st != LMM_OK) fprintf(stderr, "  %s: %s\n", formula, err.message);
            CHECK(st == LMM_OK);
            if (fit) {
                check_names(fit->model->X->colnames, fit->p, tj_get(k, "colnames"));
                for (j = 0; j < fit->p && j < tj_len(coef); j++) CHECK_CLOSE(fit->beta[j], tj_num(tj_at(coef, j)), 1e-6, 1e-6);
                CHECK_CLOSE(fit->criterion, tj_num(tj_get(k, "reml")), 1e-6, 0);
                check_pred(fit, df, nd, 1, tj_get(k, "pred"), NULL, 1e-5);
                check_pred(fit, df, nd, 0, tj_get(k, "pred_pop"), tj_get(k, "Xnew"), 1e-5);
            }
            lmm_fit_free(fit);
        }
        lmm_frame_free(df);
        lmm_frame_free(nd);
    }
    tj_free(ref);
}

/* R's errors, with the byte offset for what the parser can see. */
static void test_errors(void)
{
    lmm_frame *df = lmm_test_read_csv("formfun.csv"), *ss = lmm_test_read_csv("sleepstudy.csv");
    lmm_matrix *m = NULL;
    lmm_lm *lm = NULL;
    lmm_error err = {0};
    CHECK(df && ss);
    if (!df || !ss) { lmm_frame_free(df); lmm_frame_free(ss); return; }
    CHECK(lmm_model_matrix(df, "y ~ poly(x, 0)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "'degree' must be at least 1 at offset 12") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ poly(x, 1.5)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ poly(g, 2)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "factor") != NULL);
    /* R: degree must be less than the number of unique points; no missing x */
    CHECK(lmm_model_matrix(ss, "Reaction ~ poly(Days, 10)", NULL, &m, &err) == LMM_ERR_DATA);
    CHECK(strstr(err.message, "'degree' must be less than number of unique points") != NULL);
    CHECK(lmm_model_matrix(ss, "Reaction ~ poly(Days, 9)", NULL, &m, &err) == LMM_OK);
    CHECK(m && m->ncol == 10);
    lmm_matrix_free(m); m = NULL;
    CHECK(lmm_model_matrix(df, "y ~ poly(w, 2)", NULL, &m, &err) == LMM_ERR_DATA);
    CHECK(strstr(err.message, "missing values are not allowed in 'poly'") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ poly(w, 2, raw = TRUE)", NULL, &m, &err) == LMM_OK);   /* raw: NA rows drop */
    CHECK(m && m->nrow == 36);
    lmm_matrix_free(m); m = NULL;
    /* arguments: unknown, repeated, by position where R means coefs, not literal */
    CHECK(lmm_model_matrix(df, "y ~ poly(x, 2, TRUE)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ poly(x, deg = 2)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "no argument 'deg' at offset 12") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ poly(x, 2, degree = 3)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ poly(x, z)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ poly(x, 2, raw = 1)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ scale(x, center = z)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ log1p(x, 2)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ pmin(x)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ pmin(x, TRUE)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ pmin(x, 3", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ poly(x, 2", NULL, &m, &err) == LMM_ERR_FORMULA);
    /* a matrix cannot be arithmetic or the response */
    CHECK(lmm_model_matrix(df, "y ~ I(poly(x, 2))", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "makes a matrix") != NULL);
    CHECK(lmm_lm_fit(df, "poly(y, 2) ~ x", NULL, &lm, &err) == LMM_ERR_FORMULA);
    CHECK(lm == NULL && m == NULL);
    /* pmin(a, b) of two columns and the constant first, NA propagating as in R */
    CHECK(lmm_model_matrix(df, "y ~ pmin(w, x) + pmax(0, z)", NULL, &m, &err) == LMM_OK);
    if (m) {
        CHECK_STR(m->colnames[1], "pmin(w, x)");
        CHECK_STR(m->colnames[2], "pmax(0, z)");
        CHECK(m->nrow == 35);
    }
    lmm_matrix_free(m);
    m = NULL;
    /* splines: a factor, too small a df, bad knots, c() outside ns()/bs(), a matrix in arithmetic */
    CHECK(lmm_model_matrix(df, "y ~ ns(g, 3)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "factor") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ bs(g, df = 4)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, df = 0)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "ns()'s df must be a whole number from 1 to 100 at offset 15") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, df = 2.5)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, df = 1, intercept = TRUE)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "df must be at least 2") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ bs(x, df = 2)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "bs()'s df must be at least 3") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ bs(x, df = 3, degree = 0)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, knots = c())", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, knots = c(1, z))", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, knots = c(1, 99))", NULL, &m, &err) == LMM_ERR_DATA);
    CHECK(strstr(err.message, "within the boundary knots") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, Boundary.knots = c(2, 2))", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, Boundary.knots = 2)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, intercept = 1)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ ns(x, df = 3, foo = 2)", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(lmm_model_matrix(df, "y ~ pmin(x, c(1, 2))", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "unknown function 'c'") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ I(ns(x, 2))", NULL, &m, &err) == LMM_ERR_FORMULA);
    CHECK(strstr(err.message, "ns() at offset 6 makes a matrix") != NULL);
    CHECK(lmm_model_matrix(df, "y ~ ns(I(x * 0), 2)", NULL, &m, &err) == LMM_ERR_DATA);
    CHECK(strstr(err.message, "a spline needs a range") != NULL);
    CHECK(lmm_lm_fit(df, "ns(y, 2) ~ x", NULL, &lm, &err) == LMM_ERR_FORMULA);
    CHECK(lm == NULL && m == NULL);
    /* NA in x: rows drop, the knots come from the non-missing x (w has two NA) */
    CHECK(lmm_model_matrix(df, "y ~ ns(w, 3) + bs(w, 4)", NULL, &m, &err) == LMM_OK);
    CHECK(m && m->nrow == 36 && m->ncol == 8);
    lmm_matrix_free(m);
    lmm_frame_free(df);
    lmm_frame_free(ss);
}

/* Labels as R deparses them, however they are spaced. */
static void test_labels(void)
{
    lmm_formula *f = NULL;
    lmm_error err = {0};
    char buf[256];
    CHECK(lmm_formula_parse("y~pmin(x,3)+scale(x,center=FALSE,scale=-2)+poly(x,degree=2,raw=TRUE)+log1p(x):expm1(z)", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->nvars == 6);
        if (f->nvars == 6) {
            CHECK_STR(f->vars[1].label, "pmin(x, 3)");
            CHECK_STR(f->vars[2].label, "scale(x, center = FALSE, scale = -2)");
            CHECK_STR(f->vars[3].label, "poly(x, degree = 2, raw = TRUE)");
            CHECK_STR(f->vars[4].label, "log1p(x)");
        }
    }
    lmm_formula_free(f);
    CHECK(lmm_formula_parse("y~ns(x,3)+bs(x,knots=c( 1,-2.5 ),degree=2)+ns(x,Boundary.knots=c(0,10),intercept=TRUE)", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->nvars == 4);
        if (f->nvars == 4) {
            CHECK_STR(f->vars[1].label, "ns(x, 3)");
            CHECK_STR(f->vars[2].label, "bs(x, knots = c(1, -2.5), degree = 2)");
            CHECK_STR(f->vars[3].label, "ns(x, Boundary.knots = c(0, 10), intercept = TRUE)");
        }
    }
    lmm_formula_free(f);
    lmm_deparse_formula("y~poly(x,2,raw=TRUE)+scale(x,center=-1)+(1|g)", buf, sizeof buf);
    CHECK_STR(buf, "y ~ poly(x, 2, raw = TRUE) + scale(x, center = -1) + (1 | g)");
}

void test_formfun(void)
{
    test_against_r("formfun_expected.json", 10);
    test_against_r("splines_expected.json", 15);
    test_errors();
    test_labels();
}
