/* Prior weights and offsets against lme4 1.1 / R 4.2 (tests/data/weights.R -> weights.json). */
#include "test.h"
#include "json.h"

static void check_fit(const lmm_fit *fit, const tj_node *ref, const char *name)
{
    int i, k;
    const tj_node *v;
    fprintf(stderr, "  %-20s criterion %.10f (lme4 %.10f)\n", name, fit->criterion, tj_num(tj_get(ref, "criterion")));
    /* lme4 stops a little short of the optimum: at least as low, and within 1e-7 */
    CHECK(fit->criterion <= tj_num(tj_get(ref, "criterion")) * (1 + 1e-10));
    CHECK_CLOSE(fit->criterion, tj_num(tj_get(ref, "criterion")), 1e-7, 0);
    CHECK_CLOSE(fit->deviance, tj_num(tj_get(ref, "deviance")), 1e-7, 0);
    CHECK_CLOSE(fit->loglik, tj_num(tj_get(ref, "loglik")), 1e-7, 0);
    CHECK_CLOSE(fit->aic, tj_num(tj_get(ref, "aic")), 1e-7, 0);
    CHECK_CLOSE(fit->bic, tj_num(tj_get(ref, "bic")), 1e-7, 0);
    CHECK_CLOSE(fit->sigma, tj_num(tj_get(ref, "sigma")), 1e-5, 0);
    v = tj_get(ref, "theta");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(fit->theta[i], tj_num(tj_at(v, i)), 1e-3, 1e-4);
    v = tj_get(ref, "beta");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(fit->beta[i], tj_num(tj_at(v, i)), 1e-5, 0);
    v = tj_get(ref, "se");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(fit->se[i], tj_num(tj_at(v, i)), 1e-4, 0);
    v = tj_get(ref, "fitted");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(fit->fitted[i], tj_num(tj_at(v, i)), 1e-5, 0);
    v = tj_get(ref, "resid");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(fit->resid[i], tj_num(tj_at(v, i)), 1e-3, 5e-3);
    v = tj_get(ref, "scaled_resid_quantiles");
    for (i = 0; i < 5; i++) CHECK_CLOSE(fit->resid_quantiles[i], tj_num(tj_at(v, i)), 1e-4, 1e-4);
    /* ranef: R's 18 x 2 matrix, column-major */
    v = tj_get(ref, "ranef");
    for (k = 0; k < 2; k++)
        for (i = 0; i < 18; i++) CHECK_CLOSE(fit->b[i * 2 + k], tj_num(tj_at(v, k * 18 + i)), 1e-3, 5e-3);
}

static lmm_fit *fit_with(const lmm_frame *df, const char *formula, int ml, const char *wcol, const double *w,
                         const double *off, lmm_status want, const char *msg_part)
{
    lmm_fit_options o;
    lmm_error err = {LMM_OK, ""};
    lmm_fit *fit = NULL;
    lmm_status st;
    memset(&o, 0, sizeof o);
    o.ml = ml;
    o.model.weights_column = wcol;
    o.model.weights = w;
    o.model.offset = off;
    st = lmm_fit_formula(df, formula, &o, &fit, &err);
    if (st != want) fprintf(stderr, "  fit %s: %s (%s)\n", msg_part ? msg_part : "", lmm_status_name(st), err.message);
    CHECK(st == want);
    if (msg_part) CHECK(strstr(err.message, msg_part) != NULL);
    return fit;
}

/* coefficients, SEs, sigma and R^2 of an lm against summary(lm)'s */
static void check_lm_core(const lmm_lm *l, const tj_node *r)
{
    int i;
    for (i = 0; i < 2; i++) {
        CHECK_CLOSE(l->coef[i], tj_num(tj_at(tj_get(r, "coef"), i)), 1e-10, 0);
        CHECK_CLOSE(l->se[i], tj_num(tj_at(tj_get(r, "se"), i)), 1e-10, 0);
    }
    CHECK_CLOSE(l->sigma, tj_num(tj_get(r, "sigma")), 1e-10, 0);
    CHECK_CLOSE(l->r_squared, tj_num(tj_get(r, "r2")), 1e-10, 0);
}

/* R's lm(weights =), summary(lm) and anova(lm) */
static void check_lm(const lmm_frame *df, const tj_node *ref)
{
    lmm_model_options mo;
    lmm_error err = {LMM_OK, ""};
    lmm_lm *l = NULL;
    lmm_aov_row rows[8];
    const tj_node *r = tj_get(ref, "lm_w"), *v;
    double w0[180];
    int i, nr;
    memset(&mo, 0, sizeof mo);
    mo.weights_column = "w";
    CHECK(lmm_lm_fit(df, "Reaction ~ Days", &mo, &l, &err) == LMM_OK);
    if (!l) return;
    check_lm_core(l, r);
    CHECK_CLOSE(l->adj_r_squared, tj_num(tj_get(r, "adj_r2")), 1e-10, 0);
    CHECK_CLOSE(l->fstat, tj_num(tj_at(tj_get(r, "fstat"), 0)), 1e-10, 0);
    CHECK(l->df_resid == 178);
    CHECK_CLOSE(l->loglik, tj_num(tj_get(r, "loglik")), 1e-10, 0);
    v = tj_get(r, "resid");
    for (i = 0; i < 10; i++) CHECK_CLOSE(l->resid[i], tj_num(tj_at(v, i)), 1e-9, 1e-9);
    lmm_lm_free(l); l = NULL;
    /* zero weights: the rows count nowhere */
    for (i = 0; i < df->nrow; i++) w0[i] = df->cols[lmm_frame_find(df, "w")].num[i];
    w0[0] = w0[1] = 0;
    mo.weights_column = NULL; mo.weights = w0;
    r = tj_get(ref, "lm_w0");
    CHECK(lmm_lm_fit(df, "Reaction ~ Days", &mo, &l, &err) == LMM_OK);
    if (l) {
        check_lm_core(l, r);
        CHECK(l->df_resid == (int)tj_num(tj_get(r, "df")));
    }
    lmm_lm_free(l); l = NULL;
    w0[3] = -2;
    CHECK(lmm_lm_fit(df, "Reaction ~ Days", &mo, &l, &err) == LMM_ERR_DATA && !l);
    /* aov with weights: sequential sums of squares of the weighted fit */
    mo.weights = NULL; mo.weights_column = "w";
    CHECK(lmm_lm_fit(df, "Reaction ~ Days + factor(Subject)", &mo, &l, &err) == LMM_OK);
    if (l) {
        r = tj_get(ref, "aov_w");
        nr = lmm_aov_table(l, rows);
        CHECK(nr == 3);
        for (i = 0; i < 3 && i < nr; i++) {
            CHECK(rows[i].df == (int)tj_num(tj_at(tj_get(r, "df"), i)));
            CHECK_CLOSE(rows[i].sumsq, tj_num(tj_at(tj_get(r, "ss"), i)), 1e-10, 0);
        }
        for (i = 0; i < 2 && i < nr; i++) CHECK_CLOSE(rows[i].f, tj_num(tj_at(tj_get(r, "F"), i)), 1e-9, 0);
    }
    lmm_lm_free(l);
}

/* offset(expr) in the formula: lme4's fits and predictions on new data */
static void check_formula_offsets(const lmm_frame *df, const tj_node *ref)
{
    lmm_fit *a, *b;
    lmm_frame *nd = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_formula *f = NULL;
    double out[180];
    const char *csv = "Days,x,Subject\n0,1,308\n2.5,3.5,309\n9,10,372\n";
    const tj_node *v;
    int i;
    a = fit_with(df, "Reaction ~ Days + offset(2 * Days) + (Days|Subject)", 0, NULL, NULL, NULL, LMM_OK, NULL);
    if (a) check_fit(a, tj_get(ref, "reml_offset2days"), "REML offset(2*Days)");
    /* several offsets add up, wherever they stand in the fixed part */
    b = fit_with(df, "Reaction ~ offset(Days) + Days + (Days|Subject) + offset(Days)", 0, NULL, NULL, NULL, LMM_OK, NULL);
    if (a && b) { CHECK_CLOSE(b->criterion, a->criterion, 1e-12, 0); CHECK(b->p == 2); }
    lmm_fit_free(a); lmm_fit_free(b);
    a = fit_with(df, "Reaction ~ Days + offset(log(x)) + (Days|Subject)", 0, "w", NULL, NULL, LMM_OK, NULL);
    if (a) check_fit(a, tj_get(ref, "reml_offsetlog_w"), "REML offset(log(x)), w");
    CHECK(lmm_frame_read_csv_text(csv, strlen(csv), &nd, &err) == LMM_OK);
    if (a && nd) {
        v = tj_get(ref, "predict_offsetlog_w");
        CHECK(lmm_predict(a, df, nd, 1, out, &err) == LMM_OK);
        for (i = 0; i < 3; i++) CHECK_CLOSE(out[i], tj_num(tj_at(tj_get(v, "conditional"), i)), 1e-5, 0);
        CHECK(lmm_predict(a, df, nd, 0, out, &err) == LMM_OK);
        for (i = 0; i < 3; i++) CHECK_CLOSE(out[i], tj_num(tj_at(tj_get(v, "population"), i)), 1e-5, 0);
        /* fitted values include the offset: predict without newdata gives them back */
        CHECK(lmm_predict(a, NULL, NULL, 0, out, &err) == LMM_OK);
        CHECK_CLOSE(out[1], a->beta[0] + a->beta[1] * 1 + log(2.0), 1e-12, 0);
    }
    lmm_fit_free(a);
    lmm_frame_free(nd);
    /* offset() is not a column: the model matrix ignores it; nor is it allowed in a random term */
    CHECK(lmm_formula_parse("y ~ x + offset(log(z)) + (1|g)", &f, &err) == LMM_OK);
    if (f) { CHECK(f->noffset == 1 && f->fixed.nterms == 1); lmm_formula_free(f); f = NULL; }
    CHECK(lmm_formula_parse("y ~ x + (offset(z)|g)", &f, &err) == LMM_ERR_FORMULA && !f);
    CHECK(lmm_formula_parse("y ~ x + offset(z", &f, &err) == LMM_ERR_FORMULA && !f);
    CHECK(lmm_formula_parse("y ~ offsetx + (1|g)", &f, &err) == LMM_OK);
    if (f) { CHECK(f->noffset == 0 && f->fixed.nterms == 1); lmm_formula_free(f); }
}

/* the dense, class and sparse factors weight alike (Penicillin, crossed plate x sample) */
static void check_factor_paths(const tj_node *ref)
{
    lmm_frame *pen = lmm_test_read_csv("Penicillin.csv");
    lmm_fit_options o;
    lmm_error err = {LMM_OK, ""};
    lmm_fit *fd = NULL, *fs = NULL, *fa = NULL;
    double w[144];
    int i;
    CHECK(pen && pen->nrow == 144);
    if (!pen || pen->nrow != 144) { lmm_frame_free(pen); return; }
    for (i = 0; i < 144; i++) w[i] = 0.5 + (i % 7) * 0.25;
    memset(&o, 0, sizeof o);
    o.model.weights = w;
    CHECK(lmm_fit_formula(pen, "diameter ~ 1 + (1|plate) + (1|sample)", &o, &fa, &err) == LMM_OK);
    o.factor = LMM_FACTOR_DENSE;
    CHECK(lmm_fit_formula(pen, "diameter ~ 1 + (1|plate) + (1|sample)", &o, &fd, &err) == LMM_OK);
    o.factor = LMM_FACTOR_SPARSE;
    CHECK(lmm_fit_formula(pen, "diameter ~ 1 + (1|plate) + (1|sample)", &o, &fs, &err) == LMM_OK);
    if (fa && fd && fs) {
        CHECK_CLOSE(fs->criterion, fd->criterion, 1e-10, 0);
        CHECK_CLOSE(fa->criterion, fd->criterion, 1e-10, 0);
        CHECK_CLOSE(fa->criterion, tj_num(tj_get(ref, "penicillin_w_criterion")), 1e-9, 0);
        CHECK_CLOSE(fs->theta[1], fd->theta[1], 1e-5, 0);
        CHECK_CLOSE(fs->se[0], fd->se[0], 1e-5, 0);
    }
    lmm_fit_free(fa); lmm_fit_free(fd); lmm_fit_free(fs);
    lmm_frame_free(pen);
}

void test_weights(void)
{
    const char *f = "Reaction ~ Days + (Days|Subject)";
    tj_node *ref = tj_parse_file(TEST_DATA_DIR "/weights.json");
    lmm_frame *df = lmm_test_read_csv("sleepstudy_w.csv");
    lmm_fit *a, *b;
    double w[180], off[180], y[180];
    int i, k, n, days, wc, xc;
    CHECK(ref && df);
    if (!ref || !df) { tj_free(ref); lmm_frame_free(df); return; }
    n = df->nrow;
    days = lmm_frame_find(df, "Days"); wc = lmm_frame_find(df, "w"); xc = lmm_frame_find(df, "x");
    CHECK(n == 180 && days >= 0 && wc >= 0 && xc >= 0);

    /* REML and ML with a weight column, and the same weights as a vector */
    a = fit_with(df, f, 0, "w", NULL, NULL, LMM_OK, NULL);
    if (a) check_fit(a, tj_get(ref, "reml_w"), "REML weights");
    for (i = 0; i < n; i++) w[i] = df->cols[wc].num[i];
    b = fit_with(df, f, 0, NULL, w, NULL, LMM_OK, NULL);
    if (a && b) CHECK(a->criterion == b->criterion && a->beta[1] == b->beta[1]);
    lmm_fit_free(b);
    b = fit_with(df, f, 1, "w", NULL, NULL, LMM_OK, NULL);
    if (b) check_fit(b, tj_get(ref, "ml_w"), "ML weights");
    lmm_fit_free(b);

    /* weights all 3: lme4's sigma is sqrt(3) times the unweighted one, the criterion unchanged */
    for (i = 0; i < n; i++) w[i] = 3;
    b = fit_with(df, f, 0, NULL, w, NULL, LMM_OK, NULL);
    if (b) check_fit(b, tj_get(ref, "reml_w3"), "REML weights 3");
    lmm_fit_free(b);

    /* weights all 1: bit-identical to no weights */
    for (i = 0; i < n; i++) w[i] = 1;
    b = fit_with(df, f, 0, NULL, w, NULL, LMM_OK, NULL);
    {
        lmm_fit *c = fit_with(df, f, 0, NULL, NULL, NULL, LMM_OK, NULL);
        if (b && c) {
            CHECK(b->criterion == c->criterion && b->sigma == c->sigma && b->nevals == c->nevals);
            for (k = 0; k < 3; k++) CHECK(b->theta[k] == c->theta[k]);
            for (k = 0; k < 2; k++) CHECK(b->beta[k] == c->beta[k] && b->se[k] == c->se[k]);
            for (k = 0; k < 5; k++) CHECK(b->resid_quantiles[k] == c->resid_quantiles[k]);
        }
        lmm_fit_free(c);
    }
    lmm_fit_free(b);

    /* zero, negative and non-finite weights */
    w[4] = 0;
    fit_with(df, f, 0, NULL, w, NULL, LMM_ERR_DATA, "zero weight at row 5");
    w[4] = -1;
    fit_with(df, f, 0, NULL, w, NULL, LMM_ERR_DATA, "negative weights");
    w[4] = INFINITY;   /* NaN (R's NA) drops the row instead: test_inputs */
    fit_with(df, f, 0, NULL, w, NULL, LMM_ERR_DATA, "not finite");
    fit_with(df, f, 0, "nope", NULL, NULL, LMM_ERR_FORMULA, "weights column 'nope'");
    {
        lmm_fit_options o;
        lmm_error err = {LMM_OK, ""};
        lmm_fit *c = NULL;
        memset(&o, 0, sizeof o);
        o.model.weights_column = "w"; o.model.weights = w;
        CHECK(lmm_fit_formula(df, f, &o, &c, &err) == LMM_ERR_ARG && c == NULL);
    }

    /* offsets as a vector: 2 Days, and log(x) with weights */
    for (i = 0; i < n; i++) off[i] = 2 * df->cols[days].num[i];
    b = fit_with(df, f, 0, NULL, NULL, off, LMM_OK, NULL);
    if (b) check_fit(b, tj_get(ref, "reml_offset2days"), "REML offset 2 Days");
    lmm_fit_free(b);
    for (i = 0; i < n; i++) off[i] = log(df->cols[xc].num[i]);
    b = fit_with(df, f, 0, "w", NULL, off, LMM_OK, NULL);
    if (b) check_fit(b, tj_get(ref, "reml_offsetlog_w"), "REML offset log(x), w");

    /* refit with weights and offset: the same response gives the same fit */
    if (b) {
        lmm_error err = {LMM_OK, ""};
        double crit = b->criterion, b1 = b->beta[1];
        double th0[3] = {1, 0, 1};
        memcpy(y, b->model->y, sizeof y);
        CHECK(lmm_fit_refit(b, y, th0, &err) == LMM_OK);
        CHECK_CLOSE(b->criterion, crit, 1e-9, 0);
        CHECK_CLOSE(b->beta[1], b1, 1e-6, 0);
    }
    lmm_fit_free(b);

    /* simulate: noise variance sigma^2 / w (conditional on u), by weight class over many draws */
    if (a) {
        lmm_rng rng;
        lmm_error err = {LMM_OK, ""};
        double ss[10] = {0}, ys[180];
        int cnt[10] = {0}, r, nrep = 400;
        lmm_rng_seed(&rng, 20261130);
        for (r = 0; r < nrep; r++) {
            CHECK(lmm_simulate(a, &rng, 1, ys, &err) == LMM_OK);
            for (i = 0; i < n; i++) {
                int d = (int)df->cols[days].num[i];
                double e = ys[i] - a->fitted[i];
                ss[d] += e * e; cnt[d]++;
            }
        }
        for (k = 0; k < 10; k++) {
            double want = a->sigma * a->sigma * (k + 1);   /* w = 1 / (Days + 1) */
            CHECK_CLOSE(ss[k] / cnt[k], want, 0.05, 0);
        }
    }
    lmm_fit_free(a);
    check_lm(df, ref);
    check_formula_offsets(df, ref);
    check_factor_paths(ref);
    lmm_frame_free(df);
    tj_free(ref);
}
