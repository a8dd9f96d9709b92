/* Plain GLMs (R's glm) and lme4's anova of a glmer fit against a glm, against R's figures
   (tests/data/glm.R -> tests/data/glm/NAME.json). */
#include "test.h"
#include "json.h"

/* lmm_print_glm_summary against R's print(summary(m)) (curly quotes made ASCII, as R's C locale prints them) */
static void check_print(const lmm_glm *g, const char *name, const char *data_name)
{
    char rel[256];
    FILE *f = tmpfile();
    snprintf(rel, sizeof rel, "glm/%s.txt", name);
    if (f) lmm_print_glm_summary(f, g, data_name);
    lmm_test_check_r_text(rel, f);
}

/* Fit `formula` as a glm and compare it with tests/data/glm/<name>.json; the fit is
   returned in *keep when keep is not NULL. */
static void check_glm(const char *name, const char *dataset, const char *formula, const char *const *factors,
                      lmm_family family, lmm_link link, const char *weights_column, const char *data_name, lmm_glm **keep)
{
    char path[512];
    tj_node *ref;
    lmm_frame *df;
    lmm_model_options o;
    lmm_glm *g = NULL;
    lmm_error err;
    int i, p;
    if (keep) *keep = NULL;
    snprintf(path, sizeof path, "%s/glm/%s.json", TEST_DATA_DIR, name);
    ref = tj_parse_file(path);
    df = lmm_test_read_csv(dataset);
    CHECK(ref != NULL && df != NULL);
    if (!ref || !df) { tj_free(ref); lmm_frame_free(df); return; }
    for (i = 0; factors[i]; i++) CHECK(lmm_frame_as_factor(df, factors[i], &err) == LMM_OK);
    memset(&o, 0, sizeof o);
    o.family = family; o.link = link; o.weights_column = weights_column;
    CHECK(lmm_glm_fit_formula(df, formula, &o, &g, &err) == LMM_OK);
    if (!g) { fprintf(stderr, "  %s: %s\n", name, err.message); tj_free(ref); lmm_frame_free(df); return; }
    p = tj_len(tj_get(ref, "coef"));
    CHECK(g->p == p);
    CHECK(g->nobs == (int)tj_num(tj_get(ref, "nobs")));
    for (i = 0; i < p && i < g->p; i++) {
        CHECK_STR(g->model->X->colnames[i], tj_str(tj_at(tj_get(ref, "coef_names"), i)));
        CHECK_CLOSE(g->beta[i], tj_num(tj_at(tj_get(ref, "coef"), i)), 1e-8, 0);
        CHECK_CLOSE(g->se[i], tj_num(tj_at(tj_get(ref, "se"), i)), 1e-8, 0);
        CHECK_CLOSE(g->zval[i], tj_num(tj_at(tj_get(ref, "z"), i)), 1e-8, 0);
        CHECK_CLOSE(g->pval[i], tj_num(tj_at(tj_get(ref, "p"), i)), 1e-6, 0);
    }
    CHECK_CLOSE(g->deviance, tj_num(tj_get(ref, "deviance")), 1e-9, 0);
    CHECK_CLOSE(g->null_deviance, tj_num(tj_get(ref, "null_deviance")), 1e-9, 0);
    CHECK_CLOSE(g->aic, tj_num(tj_get(ref, "aic")), 1e-9, 0);
    CHECK_CLOSE(g->bic, tj_num(tj_get(ref, "bic")), 1e-9, 0);
    CHECK_CLOSE(g->loglik, tj_num(tj_get(ref, "loglik")), 1e-9, 0);
    CHECK(g->df_resid == (int)tj_num(tj_get(ref, "df_residual")));
    CHECK(g->df_null == (int)tj_num(tj_get(ref, "df_null")));
    CHECK(g->iter == (int)tj_num(tj_get(ref, "iter")));
    CHECK(g->converged);
    fprintf(stderr, "  %-14s deviance %.12f (R %.12f), aic %.10f (R %.10f), %d iterations\n", name, g->deviance,
            tj_num(tj_get(ref, "deviance")), g->aic, tj_num(tj_get(ref, "aic")), g->iter);
    check_print(g, name, data_name);
    if (keep) *keep = g; else lmm_glm_free(g);
    tj_free(ref);
    lmm_frame_free(df);
}

/* anova(glmer(cbpp), glm(cbpp)): lme4's LRT table, rows by npar (the glm first). */
static void check_anova_cbpp(lmm_glm *m0)
{
    static const char *const cbf[] = { "herd", "period", NULL };
    char path[512];
    tj_node *ref;
    lmm_frame *df = lmm_test_read_csv("cbpp.csv");
    lmm_glmm_options o;
    lmm_glmm *m1 = NULL;
    lmm_anova *a = NULL;
    lmm_error err;
    const lmm_glmm *glmms[2];
    const lmm_glm *glms[2];
    const char *names[2] = { "m1", "m0" };
    int i;
    snprintf(path, sizeof path, "%s/glm/anova_cbpp.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref != NULL && df != NULL && m0 != NULL);
    if (!ref || !df || !m0) { tj_free(ref); lmm_frame_free(df); return; }
    for (i = 0; cbf[i]; i++) lmm_frame_as_factor(df, cbf[i], &err);
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    CHECK(lmm_glmm_fit_formula(df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &m1, &err) == LMM_OK);
    glmms[0] = m1; glmms[1] = NULL;   /* the glmer given first, as anova(m1, m0) */
    glms[0] = NULL; glms[1] = m0;
    CHECK(m1 && lmm_glm_anova(glmms, glms, names, 2, &a, &err) == LMM_OK);
    if (a) {
        CHECK(a->n == 2);
        CHECK_STR(a->rows[0].name, "m0");
        CHECK_STR(a->rows[1].name, "m1");
        for (i = 0; i < 2; i++) {
            CHECK(a->rows[i].npar == (int)tj_num(tj_at(tj_get(ref, "npar"), i)));
            CHECK_CLOSE(a->rows[i].loglik, tj_num(tj_at(tj_get(ref, "loglik"), i)), 1e-7, 0);
            CHECK_CLOSE(a->rows[i].aic, tj_num(tj_at(tj_get(ref, "aic"), i)), 1e-7, 0);
            CHECK_CLOSE(a->rows[i].bic, tj_num(tj_at(tj_get(ref, "bic"), i)), 1e-7, 0);
        }
        CHECK(isnan(a->rows[0].chisq));
        CHECK_CLOSE(a->rows[1].chisq, tj_num(tj_at(tj_get(ref, "chisq"), 1)), 1e-6, 0);
        CHECK_CLOSE(a->rows[1].df, 1, 0, 0);
        CHECK_CLOSE(a->rows[1].p, tj_num(tj_at(tj_get(ref, "p"), 1)), 1e-5, 0);
        fprintf(stderr, "  anova(glmer, glm) Chisq %.10f (lme4 %.10f)\n", a->rows[1].chisq, tj_num(tj_at(tj_get(ref, "chisq"), 1)));
    }
    lmm_anova_free(a);
    /* a glm with random-effects terms and a glmer without are refused */
    {
        lmm_model_options mo;
        lmm_glm *bad = NULL;
        memset(&mo, 0, sizeof mo);
        mo.family = LMM_FAMILY_BINOMIAL;
        CHECK(lmm_glm_fit_formula(df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &mo, &bad, &err) == LMM_ERR_FORMULA);
        CHECK(bad == NULL);
        mo.family = LMM_FAMILY_GAUSSIAN;
        CHECK(lmm_glm_fit_formula(df, "incidence ~ period", &mo, &bad, &err) == LMM_ERR_ARG);
        CHECK(lmm_glm_anova(glmms, NULL, names, 2, &a, &err) == LMM_ERR_ARG);   /* row 2 has no fit */
    }
    lmm_glmm_free(m1);
    tj_free(ref);
    lmm_frame_free(df);
}

void test_glm(void)
{
    static const char *const cbf[] = { "herd", "period", NULL };
    static const char *const gsf[] = { "INDEX", "BROOD", "YEAR", "LOCATION", NULL };
    static const char *const none[] = { NULL };
    const char *cbpp = "cbind(incidence, size - incidence) ~ period";
    lmm_glm *m0 = NULL;
    check_glm("cbpp", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, NULL, "cb", &m0);
    check_glm("cbpp_probit", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_PROBIT, NULL, "cb", NULL);
    check_glm("cbpp_cloglog", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_CLOGLOG, NULL, "cb", NULL);
    check_glm("cbpp_prop", "cbpp.csv", "incidence / size ~ period", cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, "size", "cb", NULL);
    check_glm("cbpp_offset", "cbpp.csv", "incidence ~ period + offset(log(size))", cbf, LMM_FAMILY_POISSON, LMM_LINK_DEFAULT, NULL, "cb", NULL);
    check_glm("sleep_cloglog", "sleepstudy_bin.csv", "high ~ Days", none, LMM_FAMILY_BINOMIAL, LMM_LINK_CLOGLOG, NULL, "s", NULL);
    check_glm("grouseticks", "grouseticks.csv", "TICKS ~ YEAR + scale(HEIGHT)", gsf, LMM_FAMILY_POISSON, LMM_LINK_DEFAULT, NULL, "g", NULL);
    check_anova_cbpp(m0);
    lmm_glm_free(m0);
}
