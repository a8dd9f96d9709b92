/* Model inputs against R 4.2 / lme4 1.1 (tests/data/inputs.R -> inputs.json):
   a missing weight or offset drops the row as R's na.omit does (lmer, lm, aov),
   and offsets in lm/aov (R fits y - offset; fitted values include it). */
#include "test.h"
#include "json.h"

static const tj_node *ref_get(const tj_node *ref, const char *key)
{
    const tj_node *v = tj_get(ref, key);
    CHECK(v != NULL);
    return v;
}

static lmm_fit *fit_opts(const lmm_frame *df, const char *formula, const char *wcol, const double *w,
                         const char *ocol, const double *off, lmm_status want, const char *msg_part)
{
    lmm_fit_options o;
    lmm_error err = {LMM_OK, ""};
    lmm_fit *fit = NULL;
    lmm_status st;
    memset(&o, 0, sizeof o);
    o.model.weights_column = wcol; o.model.weights = w;
    o.model.offset_column = ocol; o.model.offset = off;
    st = lmm_fit_formula(df, formula, &o, &fit, &err);
    if (st != want) fprintf(stderr, "  fit %s: %s (%s)\n", formula, lmm_status_name(st), err.message);
    CHECK(st == want);
    if (msg_part) CHECK(strstr(err.message, msg_part) != NULL);
    return fit;
}

/* lme4's criterion (ours at least as low, within 1e-6 relative), beta within 1e-4 */
static void check_lmer(const lmm_fit *fit, const tj_node *r, const char *name)
{
    int i;
    if (!fit || !r) return;
    fprintf(stderr, "  %-26s criterion %.10f (lme4 %.10f), n %d\n", name, fit->criterion, tj_num(tj_get(r, "criterion")), fit->nobs);
    CHECK(fit->nobs == (int)tj_num(tj_get(r, "nobs")));
    CHECK(fit->criterion <= tj_num(tj_get(r, "criterion")) * (1 + 1e-6));
    CHECK_CLOSE(fit->criterion, tj_num(tj_get(r, "criterion")), 1e-6, 0);
    CHECK_CLOSE(fit->sigma, tj_num(tj_get(r, "sigma")), 1e-4, 0);
    for (i = 0; i < tj_len(tj_get(r, "beta")); i++) CHECK_CLOSE(fit->beta[i], tj_num(tj_at(tj_get(r, "beta"), i)), 1e-4, 0);
}

static lmm_lm *lm_opts(const lmm_frame *df, const char *formula, const char *wcol, const char *ocol, const double *off)
{
    lmm_model_options mo;
    lmm_error err = {LMM_OK, ""};
    lmm_lm *l = NULL;
    lmm_status st;
    memset(&mo, 0, sizeof mo);
    mo.weights_column = wcol; mo.offset_column = ocol; mo.offset = off;
    st = lmm_lm_fit(df, formula, &mo, &l, &err);
    if (st != LMM_OK) fprintf(stderr, "  lm %s: %s\n", formula, err.message);
    CHECK(st == LMM_OK);
    return l;
}

/* summary(lm)'s figures: coefficients, SEs, sigma, RSS, R^2, F, logLik, fitted and residuals */
static void check_lm(const lmm_lm *l, const tj_node *r)
{
    int i;
    const tj_node *v;
    if (!l || !r) return;
    CHECK(l->nobs == (int)tj_num(tj_get(r, "nobs")));
    v = tj_get(r, "coef");
    CHECK(l->p == tj_len(v));
    for (i = 0; i < l->p && i < tj_len(v); i++) {
        CHECK_CLOSE(l->coef[i], tj_num(tj_at(v, i)), 1e-10, 1e-12);
        CHECK_CLOSE(l->se[i], tj_num(tj_at(tj_get(r, "se"), i)), 1e-10, 0);
    }
    CHECK_CLOSE(l->sigma, tj_num(tj_get(r, "sigma")), 1e-10, 0);
    CHECK_CLOSE(l->rss, tj_num(tj_get(r, "rss")), 1e-10, 0);
    CHECK_CLOSE(l->r_squared, tj_num(tj_get(r, "r2")), 1e-10, 0);
    CHECK_CLOSE(l->adj_r_squared, tj_num(tj_get(r, "adj_r2")), 1e-10, 0);
    CHECK_CLOSE(l->fstat, tj_num(tj_get(r, "fstat")), 1e-9, 0);
    CHECK_CLOSE(l->loglik, tj_num(tj_get(r, "loglik")), 1e-10, 0);
    v = tj_get(r, "fitted");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(l->fitted[i], tj_num(tj_at(v, i)), 1e-10, 0);
    v = tj_get(r, "resid");
    for (i = 0; i < tj_len(v); i++) CHECK_CLOSE(l->resid[i], tj_num(tj_at(v, i)), 1e-8, 1e-9);
}

/* anova(lm): df, sums of squares and F of each term and the residuals */
static void check_aov(const lmm_lm *l, const tj_node *r)
{
    lmm_aov_row rows[8];
    int i, nr;
    if (!l || !r) return;
    nr = lmm_aov_table(l, rows);
    CHECK(nr == tj_len(tj_get(r, "df")));
    for (i = 0; i < nr && i < tj_len(tj_get(r, "df")); i++) {
        CHECK(rows[i].df == (int)tj_num(tj_at(tj_get(r, "df"), i)));
        CHECK_CLOSE(rows[i].sumsq, tj_num(tj_at(tj_get(r, "ss"), i)), 1e-9, 0);
        if (i < nr - 1) CHECK_CLOSE(rows[i].f, tj_num(tj_at(tj_get(r, "F"), i)), 1e-9, 0);
    }
}

/* sleepstudy_w.csv without the rows in drop[] (1-based data rows) */
static lmm_frame *subset_csv(const int *drop, int ndrop)
{
    char path[256], *text, *out, *p;
    FILE *fp;
    lmm_frame *df = NULL;
    lmm_error err = {LMM_OK, ""};
    int row = 0, k;
    size_t o = 0;
    snprintf(path, sizeof path, "%s/sleepstudy_w.csv", TEST_DATA_DIR);
    if (!(fp = fopen(path, "rb"))) return NULL;
    text = lmm_test_slurp(fp);
    fclose(fp);
    if (!text) return NULL;
    out = (char *)malloc(strlen(text) + 1);
    for (p = text; out && *p; row++) {
        char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        int skip = 0;
        for (k = 0; k < ndrop; k++) if (drop[k] == row) skip = 1;   /* row 0 is the header */
        if (!skip) { memcpy(out + o, p, len); o += len; }
        p += len;
    }
    if (out) CHECK(lmm_frame_read_csv_text(out, o, &df, &err) == LMM_OK);
    free(out);
    free(text);
    return df;
}

static void test_missing_inputs(const tj_node *ref)
{
    static const int drop_w[] = { 3, 50, 101 }, drop_wx[] = { 3, 7, 50, 101, 120 }, drop_x[] = { 7, 120 };
    const char *f = "Reaction ~ Days + (Days | Subject)", *flog = "Reaction ~ Days + offset(log(x)) + (Days | Subject)";
    lmm_frame *dn = lmm_test_read_csv("sleepstudy_wna.csv"), *sub = NULL;
    lmm_fit *a, *b;
    lmm_lm *l, *ls;
    double w[180];
    int i, wc;
    CHECK(dn != NULL);
    if (!dn) return;
    wc = lmm_frame_find(dn, "w");
    CHECK(dn->nrow == 180 && wc >= 0 && isnan(dn->cols[wc].num[2]));

    /* NA weights: lme4's fit on 177 rows, and exactly the fit on the subset */
    a = fit_opts(dn, f, "w", NULL, NULL, NULL, LMM_OK, NULL);
    check_lmer(a, ref_get(ref, "lmer_wna"), "REML NA weights");
    if (a) CHECK(a->model->n_na_dropped == 3);
    sub = subset_csv(drop_w, 3);
    b = sub ? fit_opts(sub, f, "w", NULL, NULL, NULL, LMM_OK, NULL) : NULL;
    if (a && b) CHECK(a->criterion == b->criterion && a->beta[1] == b->beta[1] && a->sigma == b->sigma);
    lmm_fit_free(b);
    /* the same weights as a vector with NaN */
    for (i = 0; i < 180; i++) w[i] = dn->cols[wc].num[i];
    b = fit_opts(dn, f, NULL, w, NULL, NULL, LMM_OK, NULL);
    if (a && b) CHECK(a->criterion == b->criterion && a->beta[0] == b->beta[0]);
    lmm_fit_free(b);
    lmm_fit_free(a);
    /* lm and aov with NA weights */
    l = lm_opts(dn, "Reaction ~ Days", "w", NULL, NULL);
    check_lm(l, ref_get(ref, "lm_wna"));
    if (l) CHECK(l->n_na_dropped == 3);
    ls = sub ? lm_opts(sub, "Reaction ~ Days", "w", NULL, NULL) : NULL;
    if (l && ls) CHECK(l->rss == ls->rss && l->coef[1] == ls->coef[1]);
    lmm_lm_free(l); lmm_lm_free(ls);
    lmm_frame_free(sub);
    l = lm_opts(dn, "Reaction ~ Days + factor(Subject)", "w", NULL, NULL);
    check_aov(l, ref_get(ref, "aov_wna"));
    lmm_lm_free(l);

    /* NA in offset(log(x)) and in the weights together: five rows go */
    a = fit_opts(dn, flog, "w", NULL, NULL, NULL, LMM_OK, NULL);
    check_lmer(a, ref_get(ref, "lmer_wna_offlog"), "REML NA weights, offset()");
    sub = subset_csv(drop_wx, 5);
    b = sub ? fit_opts(sub, flog, "w", NULL, NULL, NULL, LMM_OK, NULL) : NULL;
    if (a && b) CHECK(a->criterion == b->criterion && a->beta[1] == b->beta[1]);
    lmm_fit_free(a); lmm_fit_free(b);
    l = lm_opts(dn, "Reaction ~ Days + offset(log(x))", "w", NULL, NULL);
    check_lm(l, ref_get(ref, "lm_wna_offlog"));
    if (l) CHECK(l->n_na_dropped == 5);
    ls = sub ? lm_opts(sub, "Reaction ~ Days + offset(log(x))", "w", NULL, NULL) : NULL;
    if (l && ls) CHECK(l->rss == ls->rss && l->coef[0] == ls->coef[0]);
    lmm_lm_free(l); lmm_lm_free(ls);
    lmm_frame_free(sub);

    /* an offset column with NA */
    a = fit_opts(dn, f, NULL, NULL, "x", NULL, LMM_OK, NULL);
    check_lmer(a, ref_get(ref, "lmer_offcol_na"), "REML NA offset column");
    sub = subset_csv(drop_x, 2);
    b = sub ? fit_opts(sub, f, NULL, NULL, "x", NULL, LMM_OK, NULL) : NULL;
    if (a && b) CHECK(a->criterion == b->criterion);
    lmm_fit_free(a); lmm_fit_free(b);
    lmm_frame_free(sub);

    /* infinite weights or offsets stay errors; so do negative weights */
    for (i = 0; i < 180; i++) w[i] = 1;
    w[10] = INFINITY;
    fit_opts(dn, f, NULL, w, NULL, NULL, LMM_ERR_DATA, "weights are not finite at row 11");
    w[10] = -1;
    fit_opts(dn, f, NULL, w, NULL, NULL, LMM_ERR_DATA, "negative weights");
    w[10] = -INFINITY;
    fit_opts(dn, f, NULL, NULL, NULL, w, LMM_ERR_DATA, "offset are not finite at row 11");
    {
        lmm_model_options mo;
        lmm_error err = {LMM_OK, ""};
        lmm_lm *bad = NULL;
        memset(&mo, 0, sizeof mo);
        mo.weights = w;
        CHECK(lmm_lm_fit(dn, "Reaction ~ Days", &mo, &bad, &err) == LMM_ERR_DATA && bad == NULL);
        for (i = 0; i < 180; i++) w[i] = NAN;   /* every weight missing: nothing left */
        CHECK(lmm_lm_fit(dn, "Reaction ~ Days", &mo, &bad, &err) == LMM_ERR_DATA && bad == NULL);
        CHECK(strstr(err.message, "no complete rows") != NULL);
    }
    lmm_frame_free(dn);
}

static void test_lm_offsets(const tj_node *ref)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy_w.csv");
    lmm_lm *l;
    double off[180];
    int i, days;
    CHECK(df != NULL);
    if (!df) return;
    days = lmm_frame_find(df, "Days");
    l = lm_opts(df, "Reaction ~ Days + offset(log(x))", NULL, NULL, NULL);
    check_lm(l, ref_get(ref, "lm_offlog"));
    lmm_lm_free(l);
    for (i = 0; i < 180; i++) off[i] = 2 * df->cols[days].num[i];
    l = lm_opts(df, "Reaction ~ Days", NULL, NULL, off);
    check_lm(l, ref_get(ref, "lm_offvec"));
    if (l) CHECK(l->offset != NULL && l->offset[3] == 6 && l->offset_label == NULL);
    lmm_lm_free(l);
    l = lm_opts(df, "Reaction ~ Days", "w", "x", NULL);
    check_lm(l, ref_get(ref, "lm_offcol_w"));
    if (l) CHECK(l->offset_label && strcmp(l->offset_label, "x") == 0);
    lmm_lm_free(l);
    l = lm_opts(df, "Reaction ~ 0 + Days + offset(x) + offset(log(x))", NULL, NULL, NULL);
    check_lm(l, ref_get(ref, "lm_off_noint"));
    lmm_lm_free(l);
    l = lm_opts(df, "Reaction ~ Days + factor(Subject) + offset(2 * Days)", NULL, NULL, NULL);
    check_aov(l, ref_get(ref, "aov_off"));
    lmm_lm_free(l);
    l = lm_opts(df, "Reaction ~ Days + factor(Subject) + offset(log(x))", "w", NULL, NULL);
    check_aov(l, ref_get(ref, "aov_off_w"));
    lmm_lm_free(l);
    {   /* model.tables(aov(y ~ Subject + offset(o)), "effects") with o = (0:179) %% 7: effects of y - offset */
        lmm_error err = {LMM_OK, ""};
        const tj_node *want = ref_get(ref, "aov_off_effects");
        double eff[32];
        int nl;
        for (i = 0; i < 180; i++) off[i] = i % 7;
        CHECK(lmm_frame_as_factor(df, "Subject", &err) == LMM_OK);
        l = lm_opts(df, "Reaction ~ Subject", NULL, NULL, off);
        nl = l ? lmm_aov_effects(l, df, "Subject", eff, &err) : -1;
        CHECK(nl == 18 && nl == tj_len(want));
        for (i = 0; i < nl && i < tj_len(want); i++) CHECK_CLOSE(eff[i], tj_num(tj_at(want, i)), 1e-10, 1e-10);
        lmm_lm_free(l);
    }
    lmm_frame_free(df);
}

void test_inputs(void)
{
    char path[256];
    tj_node *ref;
    snprintf(path, sizeof path, "%s/inputs.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref != NULL);
    if (!ref) return;
    test_missing_inputs(ref);
    test_lm_offsets(ref);
    tj_free(ref);
}
