/* anova() and predict() of glmer fits against lme4 1.1-31 / R 4.2.2
   (tests/data/glmm_anova_predict.R -> tests/data/glmm/anova_predict.json, anova_*.txt). */
#include "test.h"
#include "json.h"

static tj_node *load_ref(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/glmm/anova_predict.json", TEST_DATA_DIR);
    return tj_parse_file(path);
}

static lmm_frame *load_frame(const char *name, const char *const *factors)
{
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = lmm_test_read_csv(name);
    int i;
    CHECK(df != NULL);
    if (!df) return NULL;
    for (i = 0; factors[i]; i++) if (lmm_frame_find(df, factors[i]) >= 0) CHECK(lmm_frame_as_factor(df, factors[i], &err) == LMM_OK);
    return df;
}

static lmm_glmm *fit(const lmm_frame *df, const char *formula, lmm_family family)
{
    lmm_error err = {LMM_OK, ""};
    lmm_glmm_options o;
    lmm_glmm *g = NULL;
    memset(&o, 0, sizeof o);
    o.model.family = family;
    o.skip_condvar = 1;
    CHECK(lmm_glmm_fit_formula(df, formula, &o, &g, &err) == LMM_OK);
    if (!g) fprintf(stderr, "  %s: %s\n", formula, err.message);
    return g;
}

/* the LRT table (rows in R's order) and its print against R's print(anova(...)) */
static void check_anova(const lmm_glmm *const *fits, const char *const *names, int n, const tj_node *ref,
                        const char *txt, const char *data_name)
{
    lmm_error err = {LMM_OK, ""};
    lmm_anova *a = NULL;
    char path[256];
    FILE *f;
    int i;
    CHECK(lmm_glmm_anova(fits, names, n, &a, &err) == LMM_OK);
    if (!a) { fprintf(stderr, "  anova: %s\n", err.message); return; }
    CHECK(a->n == n && tj_len(tj_get(ref, "rows")) == n);
    for (i = 0; i < n && i < a->n; i++) {
        const lmm_anova_row *row = &a->rows[i];
        CHECK_STR(row->name, tj_str(tj_at(tj_get(ref, "rows"), i)));
        CHECK(row->npar == (int)tj_num(tj_at(tj_get(ref, "npar"), i)));
        CHECK_CLOSE(row->loglik, tj_num(tj_at(tj_get(ref, "loglik"), i)), 1e-6, 0);
        CHECK_CLOSE(row->aic, tj_num(tj_at(tj_get(ref, "aic"), i)), 1e-6, 0);
        CHECK_CLOSE(row->bic, tj_num(tj_at(tj_get(ref, "bic"), i)), 1e-6, 0);
        CHECK_CLOSE(row->deviance, tj_num(tj_at(tj_get(ref, "deviance"), i)), 1e-6, 0);
        if (i == 0) { CHECK(isnan(row->chisq) && isnan(row->p)); continue; }
        CHECK_CLOSE(row->chisq, tj_num(tj_at(tj_get(ref, "chisq"), i)), 1e-6, 1e-8);
        CHECK_CLOSE(row->df, tj_num(tj_at(tj_get(ref, "df"), i)), 0, 0);
        CHECK_CLOSE(row->p, tj_num(tj_at(tj_get(ref, "p"), i)), 1e-5, 0);
    }
    snprintf(path, sizeof path, "glmm/%s", txt);
    f = tmpfile();
    if (f) lmm_print_anova(f, a, data_name);
    lmm_test_check_r_text(path, f);
    lmm_anova_free(a);
}

/* Put lme4's beta and conditional modes (ref's "beta", "ranef": scalar terms) into g, so that the
   predictions are compared apart from the optimizer's last digits; 0 if a level is not found. */
static int use_lme4_estimates(lmm_glmm *g, const tj_node *ref)
{
    const tj_node *re = tj_get(ref, "ranef");
    int i, k, j, l;
    if (!tj_get(ref, "beta") || tj_len(tj_get(ref, "beta")) != g->p || !re || tj_len(re) != g->model->nterms) return 0;
    for (i = 0; i < g->p; i++) g->beta[i] = tj_num(tj_at(tj_get(ref, "beta"), i));
    for (k = 0; k < tj_len(re); k++) {
        const tj_node *r = tj_at(re, k);
        const lmm_reterm *t = NULL;
        for (j = 0; j < g->model->nterms; j++) if (!strcmp(g->model->terms[j].group, tj_str(tj_get(r, "group")))) t = &g->model->terms[j];
        if (!t || t->ncol != 1 || tj_len(tj_get(r, "levels")) != t->nlevels) return 0;
        for (l = 0; l < t->nlevels; l++) {
            int found = 0;
            for (j = 0; j < t->nlevels && !found; j++)
                if (!strcmp(t->levels[j], tj_str(tj_at(tj_get(r, "levels"), l)))) { g->b[t->u_offset + j] = tj_num(tj_at(tj_get(r, "values"), l)); found = 1; }
            if (!found) return 0;
        }
    }
    return 1;
}

/* predictions of fit g on newdata (and on the training rows) against ref's predict_<name>: within
   rtol (at lme4's estimates: the prediction itself; at ours: also the estimates' own agreement) */
static void check_predict_at(const lmm_glmm *g, const lmm_frame *train, const lmm_frame *nd, const tj_node *ref, double rtol)
{
    static const char *const keys[4] = { "link_cond", "resp_cond", "link_pop", "resp_pop" };
    lmm_error err = {LMM_OK, ""};
    double *out;
    int k, i, n = nd->nrow;
    const tj_node *v;
    out = (double *)malloc(sizeof(double) * (size_t)(g->nobs > n ? g->nobs : n));
    CHECK(out != NULL);
    if (!out) return;
    for (k = 0; k < 4; k++) {
        v = tj_get(ref, keys[k]);
        CHECK(v && tj_len(v) == n);
        CHECK(lmm_glmm_predict(g, train, nd, k < 2, k % 2, out, &err) == LMM_OK);
        if (err.code != LMM_OK) fprintf(stderr, "  predict: %s\n", err.message);
        for (i = 0; i < n && v && i < tj_len(v); i++) CHECK_CLOSE(out[i], tj_num(tj_at(v, i)), rtol, rtol);
    }
    /* the training rows: conditional link (predict(m)) and population response */
    v = tj_get(ref, "fitted_link");
    CHECK(v && tj_len(v) == g->nobs);
    CHECK(lmm_glmm_predict(g, NULL, NULL, 1, 0, out, &err) == LMM_OK);
    for (i = 0; v && i < g->nobs; i++) CHECK_CLOSE(out[i], tj_num(tj_at(v, i)), rtol, rtol);
    if (rtol > 1e-6) for (i = 0; v && i < g->nobs; i++) CHECK_CLOSE(out[i], g->eta[i], 1e-12, 1e-12);
    v = tj_get(ref, "fitted_resp_pop");
    CHECK(lmm_glmm_predict(g, NULL, NULL, 0, 1, out, &err) == LMM_OK);
    for (i = 0; v && i < g->nobs; i++) CHECK_CLOSE(out[i], tj_num(tj_at(v, i)), rtol, rtol);
    free(out);
}

/* at our estimates (1e-4: lme4's own beta and modes agree to about 1e-5), then at lme4's (1e-9) */
static void check_predict(lmm_glmm *g, const lmm_frame *train, const lmm_frame *nd, const tj_node *ref)
{
    check_predict_at(g, train, nd, ref, 1e-4);
    CHECK(use_lme4_estimates(g, ref));
    check_predict_at(g, train, nd, ref, 1e-9);
}

void test_glmm_infer(void)
{
    static const char *const cbf[] = { "herd", "period", NULL };
    static const char *const gsf[] = { "INDEX", "BROOD", "YEAR", "LOCATION", NULL };
    tj_node *ref = load_ref();
    lmm_frame *cb = load_frame("cbpp.csv", cbf), *gt = load_frame("grouseticks.csv", gsf);
    lmm_frame *cbnew = load_frame("glmm/cbpp_new.csv", cbf), *gtnew = load_frame("glmm/grouseticks_new.csv", gsf);
    lmm_glmm *gm0 = NULL, *gm1 = NULL, *gmo = NULL, *gt00 = NULL, *gt0 = NULL, *gt1 = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_anova *a = NULL;
    CHECK(ref != NULL);
    if (!ref || !cb || !gt || !cbnew || !gtnew) goto done;
    gm0 = fit(cb, "cbind(incidence, size - incidence) ~ 1 + (1 | herd)", LMM_FAMILY_BINOMIAL);
    gm1 = fit(cb, "cbind(incidence, size - incidence) ~ period + (1 | herd)", LMM_FAMILY_BINOMIAL);
    gmo = fit(cb, "incidence ~ period + offset(log(size)) + (1 | herd)", LMM_FAMILY_POISSON);
    gt1 = fit(gt, "TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | INDEX) + (1 | LOCATION)", LMM_FAMILY_POISSON);
    gt0 = fit(gt, "TICKS ~ YEAR + scale(HEIGHT) + (1 | BROOD) + (1 | LOCATION)", LMM_FAMILY_POISSON);
    gt00 = fit(gt, "TICKS ~ YEAR + (1 | BROOD) + (1 | LOCATION)", LMM_FAMILY_POISSON);
    if (gm0 && gm1) {   /* anova(gm1, gm0): R orders the rows by npar */
        const lmm_glmm *fits[2];
        const char *names[2] = { "gm1", "gm0" };
        fits[0] = gm1; fits[1] = gm0;
        check_anova(fits, names, 2, tj_get(ref, "anova_cbpp"), "anova_cbpp.txt", "cbpp");
    }
    if (gt00 && gt0 && gt1) {   /* anova(gt00, gt1, gt0) */
        const lmm_glmm *fits[3];
        const char *names[3] = { "gt00", "gt1", "gt0" };
        fits[0] = gt00; fits[1] = gt1; fits[2] = gt0;
        check_anova(fits, names, 3, tj_get(ref, "anova_grouse"), "anova_grouse.txt", "grouse");
    }
    if (gm1) check_predict(gm1, cb, cbnew, tj_get(ref, "predict_cbpp"));
    if (gt1) check_predict(gt1, gt, gtnew, tj_get(ref, "predict_grouse"));
    if (gmo) {
        CHECK_CLOSE(gmo->deviance, tj_num(tj_get(ref, "offset_deviance")), 1e-6, 0);
        check_predict(gmo, cb, cbnew, tj_get(ref, "predict_offset"));
    }
    /* bad input: different numbers of observations, one model, NULL */
    if (gm1 && gt1) {
        const lmm_glmm *fits[2];
        fits[0] = gm1; fits[1] = gt1;
        CHECK(lmm_glmm_anova(fits, NULL, 2, &a, &err) == LMM_ERR_DATA && a == NULL);
        CHECK(lmm_glmm_anova(fits, NULL, 1, &a, &err) == LMM_ERR_ARG && a == NULL);
    }
    CHECK(lmm_glmm_predict(NULL, cb, cbnew, 1, 0, NULL, &err) == LMM_ERR_ARG);
    if (gm1) {   /* newdata without the fixed-effects column: an error, the outputs NaN */
        lmm_frame *bad = load_frame("glmm/grouseticks_new.csv", gsf);
        double out[8];
        if (bad) {
            CHECK(lmm_glmm_predict(gm1, cb, bad, 1, 1, out, &err) != LMM_OK);
            CHECK(isnan(out[0]));
            lmm_frame_free(bad);
        }
    }
    if (gm1) {   /* a missing period: NaN in that row only (R's na.pass); an unseen period: an error */
        static const char na_csv[] = "herd,period\n1,1\n1,\n99,1\n";
        static const char new_csv[] = "herd,period\n1,1\n1,7\n";
        lmm_frame *nf = NULL;
        double out[3];
        CHECK(lmm_frame_read_csv_text(na_csv, sizeof na_csv - 1, &nf, &err) == LMM_OK);
        if (nf) {
            CHECK(lmm_glmm_predict(gm1, cb, nf, 1, 1, out, &err) == LMM_OK);
            CHECK_CLOSE(out[0], 1 / (1 + exp(-(gm1->beta[0] + gm1->b[0]))), 1e-12, 0);
            CHECK(isnan(out[1]));
            CHECK_CLOSE(out[2], 1 / (1 + exp(-gm1->beta[0])), 1e-12, 0);   /* herd 99 is new: the population value */
            lmm_frame_free(nf); nf = NULL;
        }
        CHECK(lmm_frame_read_csv_text(new_csv, sizeof new_csv - 1, &nf, &err) == LMM_OK);
        if (nf) {
            CHECK(lmm_glmm_predict(gm1, cb, nf, 0, 0, out, &err) == LMM_ERR_DATA);
            lmm_frame_free(nf);
        }
    }
done:
    lmm_glmm_free(gm0); lmm_glmm_free(gm1); lmm_glmm_free(gmo);
    lmm_glmm_free(gt00); lmm_glmm_free(gt0); lmm_glmm_free(gt1);
    lmm_frame_free(cb); lmm_frame_free(gt); lmm_frame_free(cbnew); lmm_frame_free(gtnew);
    tj_free(ref);
}
