/* Generalized linear mixed models against lme4 1.1-31 / R 4.2.2 (tests/data/glmm.R -> tests/data/glmm/<name>.json). */
#include "test.h"
#include "json.h"

/* element i of a JSON array, or the number itself (R's auto_unbox of length-1 vectors) */
static double num_at(const tj_node *v, int i)
{
    return v && v->type == TJ_ARR ? tj_num(tj_at(v, i)) : tj_num(v);
}

static int len_of(const tj_node *v)
{
    return v && v->type == TJ_ARR ? tj_len(v) : v ? 1 : 0;
}

/* Fit `formula` on dataset (factors listed) and compare with the reference `name`. */
/* lmm_print_glmm_summary against R's print(summary(m)) (its curly quotes made ASCII, as R's C locale prints them) */
static void check_print(const lmm_glmm *g, const char *name, const char *data_name)
{
    char rel[256];
    FILE *f = tmpfile();
    snprintf(rel, sizeof rel, "glmm/%s.txt", name);
    if (f) lmm_print_glmm_summary(f, g, data_name);
    lmm_test_check_r_text(rel, f);
}

static void check_glmm(const char *name, const char *dataset, const char *formula, const char *const *factors,
                       lmm_family family, lmm_link link, int nagq, const char *weights_column, const char *data_name)
{
    char path[256];
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df;
    lmm_glmm *g = NULL;
    lmm_glmm_options o;
    tj_node *ref;
    const tj_node *v, *re;
    int i, k, j, a;
    double scale;
    snprintf(path, sizeof path, "%s/glmm/%s.json", TEST_DATA_DIR, name);
    ref = tj_parse_file(path);
    df = lmm_test_read_csv(dataset);
    CHECK(ref != NULL && df != NULL);
    if (!ref || !df) { tj_free(ref); lmm_frame_free(df); return; }
    for (i = 0; factors[i]; i++) CHECK(lmm_frame_as_factor(df, factors[i], &err) == LMM_OK);
    memset(&o, 0, sizeof o);
    o.model.family = family; o.model.link = link; o.nagq = nagq; o.model.weights_column = weights_column;
    CHECK(lmm_glmm_fit_formula(df, formula, &o, &g, &err) == LMM_OK);
    if (!g) { fprintf(stderr, "  %s: %s\n", name, err.message); tj_free(ref); lmm_frame_free(df); return; }
    fprintf(stderr, "  %-14s deviance %.10f (lme4 %.10f), %d evaluations\n", name, g->deviance, tj_num(tj_get(ref, "devfun")), g->nevals);
    /* at least as low as lme4's criterion (1e-6 relative), and the same optimum */
    CHECK(g->deviance <= tj_num(tj_get(ref, "devfun")) * (1 + 1e-6));
    CHECK_CLOSE(g->deviance, tj_num(tj_get(ref, "devfun")), 1e-6, 0);
    CHECK_CLOSE(g->loglik, tj_num(tj_get(ref, "loglik")), 1e-6, 0);
    CHECK_CLOSE(g->aic, tj_num(tj_get(ref, "aic")), 1e-6, 0);
    CHECK_CLOSE(g->bic, tj_num(tj_get(ref, "bic")), 1e-6, 0);
    CHECK_CLOSE(g->resid_deviance, tj_num(tj_get(ref, "deviance_resid")), 1e-4, 0);
    CHECK(g->df_resid == (int)tj_num(tj_get(ref, "df_resid")));
    CHECK(g->converged == 1);
    CHECK(g->singular == (tj_get(ref, "singular")->type == TJ_BOOL && tj_num(tj_get(ref, "singular")) != 0));
    v = tj_get(ref, "theta");
    CHECK(len_of(v) == g->ntheta);
    for (i = 0; i < g->ntheta; i++) CHECK_CLOSE(g->theta[i], num_at(v, i), 1e-4, 1e-4);
    v = tj_get(ref, "beta");
    CHECK(len_of(v) == g->p);
    /* 1e-4 relative, or 1e-3 standard errors: lme4 stops short along flat directions (VerbAgg's
       intercept is 3.4e-5 = 1e-4 SE from ours, where our deviance is 3.4e-8 lower) */
    for (i = 0; i < g->p; i++) CHECK_CLOSE(g->beta[i], num_at(v, i), 1e-4, 1e-3 * num_at(tj_get(ref, "se"), i));
    v = tj_get(ref, "se");
    for (i = 0; i < g->p; i++) CHECK_CLOSE(g->se[i], num_at(v, i), 1e-3, 0);
    v = tj_get(ref, "pearson_quantiles");
    for (i = 0; i < 5; i++) CHECK_CLOSE(g->resid_quantiles[i], num_at(v, i), 1e-3, 1e-4);
    v = tj_get(ref, "fitted_head");
    for (i = 0; i < len_of(v); i++) CHECK_CLOSE(g->fitted[i], num_at(v, i), 1e-4, 1e-7);
    /* conditional modes (1e-4) and conditional sds (1e-3), matched by group and level name */
    re = tj_get(ref, "ranef");
    for (k = 0; k < tj_len(re); k++) {
        const tj_node *r = tj_at(re, k), *lv = tj_get(r, "levels"), *md = tj_get(r, "modes"), *sd = tj_get(r, "condsd");
        const lmm_reterm *t = NULL;
        for (j = 0; j < g->model->nterms; j++) if (strcmp(g->model->terms[j].group, tj_str(tj_get(r, "group"))) == 0) t = &g->model->terms[j];
        CHECK(t != NULL);
        if (!t) continue;
        /* near-zero modes: 1e-4 relative to the term's largest mode */
        for (i = 0, scale = 0; i < tj_len(lv); i++)
            for (a = 0; a < t->ncol; a++) if (fabs(num_at(tj_at(md, i), a)) > scale) scale = fabs(num_at(tj_at(md, i), a));
        for (i = 0; i < tj_len(lv); i++) {
            int l = -1;
            for (j = 0; j < t->nlevels; j++) if (strcmp(t->levels[j], tj_str(tj_at(lv, i))) == 0) l = j;
            CHECK(l >= 0);
            if (l < 0) continue;
            for (a = 0; a < t->ncol; a++) {
                double want = num_at(tj_at(md, i), a);
                /* condsd: a 1 x nlevels matrix for a scalar term, nlevels x ncol otherwise */
                double want_sd = t->ncol == 1 ? num_at(tj_at(sd, 0), i) : num_at(tj_at(sd, i), a);
                CHECK_CLOSE(g->b[t->u_offset + l * t->ncol + a], want, 1e-4, 1e-4 * scale);
                CHECK_CLOSE(g->b_condsd[t->u_offset + l * t->ncol + a], want_sd, 1e-3, 1e-6);
            }
        }
    }
    if (data_name) {
        /* the layout, with lme4's numbers where ours differ past the printed digits (a last digit
           rounded the other way): theta, beta, se (our correlations kept), residuals, criteria */
        v = tj_get(ref, "theta");
        for (i = 0; i < g->ntheta; i++) g->theta[i] = num_at(v, i);
        for (i = 0; i < g->p; i++) {
            double s_new = num_at(tj_get(ref, "se"), i);
            for (j = 0; j < g->p; j++) {
                g->vcov[i + j * g->p] *= s_new / g->se[i];
                g->vcov[j + i * g->p] *= s_new / g->se[i];
            }
        }
        for (i = 0; i < g->p; i++) { g->beta[i] = num_at(tj_get(ref, "beta"), i); g->se[i] = num_at(tj_get(ref, "se"), i); }
        for (i = 0; i < 5; i++) g->resid_quantiles[i] = num_at(tj_get(ref, "pearson_quantiles"), i);
        g->deviance = tj_num(tj_get(ref, "devfun")); g->loglik = tj_num(tj_get(ref, "loglik"));
        g->aic = tj_num(tj_get(ref, "aic")); g->bic = tj_num(tj_get(ref, "bic"));
        check_print(g, name, data_name);
    }
    lmm_glmm_free(g);
    lmm_frame_free(df);
    tj_free(ref);
}

static void check_bad(const char *dataset, const char *formula, const char *const *factors, lmm_family family, int nagq,
                      const char *weights_column, lmm_status want, const char *msg_part)
{
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = lmm_test_read_csv(dataset);
    lmm_glmm *g = NULL;
    lmm_glmm_options o;
    int i;
    CHECK(df != NULL);
    if (!df) return;
    for (i = 0; factors[i]; i++) lmm_frame_as_factor(df, factors[i], &err);
    memset(&o, 0, sizeof o);
    o.model.family = family; o.nagq = nagq; o.model.weights_column = weights_column;
    CHECK(lmm_glmm_fit_formula(df, formula, &o, &g, &err) == want);
    CHECK(g == NULL);
    if (!strstr(err.message, msg_part)) fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.message, msg_part);
    CHECK(strstr(err.message, msg_part) != NULL);
    lmm_glmm_free(g);
    lmm_frame_free(df);
}

/* PIRLS far from the optimum: a number or NaN (lme4's PIRLS errors), never a crash or a hang,
   and the fit's own deviance is reproduced afterwards; complete separation fits and stops. */
static void check_pirls_extremes(void)
{
    static const char *const cbf[] = { "herd", "period", NULL };
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = lmm_test_read_csv("cbpp.csv"), *sep = NULL;
    lmm_glmm *g = NULL;
    lmm_glmm_options o;
    double th[1] = { 1e8 }, be[4] = { 1e8, -1e8, 1e8, -1e8 }, th0[1] = { 0 }, be0[4] = { 0, 0, 0, 0 }, d;
    int i;
    char csv[4096];
    size_t len = 0;
    CHECK(df != NULL);
    if (!df) return;
    for (i = 0; cbf[i]; i++) lmm_frame_as_factor(df, cbf[i], &err);
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    CHECK(lmm_glmm_fit_formula(df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &g, &err) == LMM_OK);
    if (g) {
        double dev = g->deviance, t = g->theta[0], b[4];
        memcpy(b, g->beta, sizeof b);
        d = lmm_glmm_deviance_at(g, th, be);
        CHECK(isnan(d) || d > dev);
        d = lmm_glmm_deviance_at(g, th0, be0);
        CHECK(isfinite(d) && d > dev);
        CHECK_CLOSE(lmm_glmm_deviance_at(g, &t, b), dev, 1e-6, 0);
    }
    lmm_glmm_free(g);
    g = NULL;
    /* an allocation failure anywhere is LMM_ERR_NOMEM with no fit (and, under ASan, no leak) */
    {
        int k, nomem_ok = 1;
        lmm_status st = LMM_ERR_NOMEM;
        for (k = 0; k < 2000 && st == LMM_ERR_NOMEM; k++) {
            lmm_test_fail_after = lmm_test_allocs + k;
            st = lmm_glmm_fit_formula(df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &g, &err);
            lmm_test_fail_after = -1;
            if (st == LMM_ERR_NOMEM && g != NULL) nomem_ok = 0;
            if (st != LMM_OK && st != LMM_ERR_NOMEM) fprintf(stderr, "  allocation %d failing: %s\n", k, err.message);
            lmm_glmm_free(g);
            g = NULL;
        }
        CHECK(st == LMM_OK && k > 10 && nomem_ok);
    }
    /* y = (x > 0): the estimates run off (lme4 warns); the fit must still end */
    len += (size_t)snprintf(csv + len, sizeof csv - len, "y,x,g\n");
    for (i = 0; i < 60; i++) {
        double x = -2 + 4 * ((i * 37) % 60) / 59.0;
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%d,%.4f,g%d\n", x > 0, x, i % 6);
    }
    CHECK(lmm_frame_read_csv_text(csv, len, &sep, &err) == LMM_OK);
    if (sep) {
        lmm_status st = lmm_glmm_fit_formula(sep, "y ~ x + (1 | g)", &o, &g, &err);
        CHECK(st == LMM_OK || st == LMM_ERR_NUMERIC);
        if (g) CHECK(g->nevals > 0 && g->nevals < 20000);
    }
    lmm_glmm_free(g);
    lmm_frame_free(sep);
    lmm_frame_free(df);
}

/* A fit lme4 warns about (tests/data/glmm_warn.R: HEIGHT unscaled): a criterion at least as
   low, lme4's checkConv messages (the gradient's figure differs where neither fit is at a
   zero gradient), and .prt.warn's block closing the summary. */
static void check_warned_fit(void)
{
    char path[256], *got, *tail;
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = lmm_test_read_csv("grouseticks.csv");
    lmm_glmm *g = NULL;
    lmm_glmm_options o;
    tj_node *ref;
    const tj_node *msgs;
    FILE *f;
    snprintf(path, sizeof path, "%s/glmm/unscaled.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref != NULL && df != NULL);
    if (!ref || !df) { tj_free(ref); lmm_frame_free(df); return; }
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_POISSON;
    CHECK(lmm_glmm_fit_formula(df, tj_str(tj_get(ref, "formula")), &o, &g, &err) == LMM_OK);
    if (!g) { tj_free(ref); lmm_frame_free(df); return; }
    fprintf(stderr, "  %-14s deviance %.10f (lme4 %.10f), %d evaluations\n", "unscaled", g->deviance, tj_num(tj_get(ref, "deviance")), g->nevals);
    CHECK(g->deviance <= tj_num(tj_get(ref, "deviance")) * (1 + 1e-6));
    CHECK(g->converged == 0);
    msgs = tj_get(ref, "messages");
    CHECK(len_of(msgs) == 3);
    CHECK(strncmp(g->warning, "Model failed to converge with max|grad| = ", 42) == 0);
    tail = strchr(g->warning, '\n');
    CHECK(tail != NULL);
    if (tail && len_of(msgs) == 3) {   /* the Hessian's two messages, lme4's text */
        char want[512];
        snprintf(want, sizeof want, "%s\n%s", tj_str(tj_at(msgs, 1)), tj_str(tj_at(msgs, 2)));
        CHECK_STR(tail + 1, want);
    }
    f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        char want[640];
        lmm_print_glmm_summary(f, g, "d");
        rewind(f);
        got = lmm_test_slurp(f);
        fclose(f);
        snprintf(want, sizeof want, "optimizer (Nelder_Mead) convergence code: 0 (OK)\n%s\n\n", g->warning);
        CHECK(strlen(got) > strlen(want) && strcmp(got + strlen(got) - strlen(want), want) == 0);
        free(got);
    }
    lmm_glmm_free(g);
    tj_free(ref);
    lmm_frame_free(df);
}

void test_glmm(void)
{
    static const char *const cbf[] = { "herd", "period", NULL };
    static const char *const none[] = { NULL };
    static const char *const subj[] = { "Subject", NULL };
    static const char *const gsf[] = { "INDEX", "BROOD", "YEAR", "LOCATION", NULL };
    static const char *const vaf[] = { "id", NULL };
    const char *cbpp = "cbind(incidence, size - incidence) ~ period + (1 | herd)";
    check_glmm("cbpp", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, 1, NULL, "cb");
    check_glmm("cbpp_agq9", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_LOGIT, 9, NULL, "cb");
    check_glmm("cbpp_agq25", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_LOGIT, 25, NULL, "cb");
    check_glmm("cbpp_probit", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_PROBIT, 1, NULL, "cb");
    check_glmm("cbpp_cloglog", "cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_CLOGLOG, 1, NULL, "cb");
    check_glmm("cbpp_prop", "cbpp.csv", "incidence / size ~ period + (1 | herd)", cbf, LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, 1, "size", NULL);
    check_glmm("sleep_slope", "sleepstudy_bin.csv", "high ~ Days + (Days | Subject)", subj, LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, 1, NULL, "s");
    check_glmm("singular", "glmm_singular.csv", "y ~ x + (1 | g)", none, LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, 1, NULL, "sg");
    check_glmm("grouseticks", "grouseticks.csv", "TICKS ~ YEAR + scale(HEIGHT) + (1|BROOD) + (1|INDEX) + (1|LOCATION)", gsf,
               LMM_FAMILY_POISSON, LMM_LINK_DEFAULT, 1, NULL, "g");
    /* the largest fit (7,584 rows): left out of the valgrind run (LMM_TEST_LIGHT), run everywhere else */
    if (!lmm_test_light)
        check_glmm("verbagg", "VerbAgg.csv", "r2 ~ Anger + Gender + btype + situ + (1|id) + (1|item)", vaf,
                   LMM_FAMILY_BINOMIAL, LMM_LINK_DEFAULT, 1, NULL, NULL);   /* correlations differ in a third digit */
    check_pirls_extremes();
    check_warned_fit();
    /* bad input: a clear error, never a crash */
    check_bad("cbpp.csv", "size ~ period + (1 | herd)", cbf, LMM_FAMILY_BINOMIAL, 1, NULL, LMM_ERR_DATA, "y values must be 0 <= y <= 1");
    check_bad("cbpp.csv", "incidence / size ~ period + (1 | herd)", cbf, LMM_FAMILY_BINOMIAL, 1, NULL, LMM_ERR_DATA, "non-integer #successes");
    check_bad("cbpp.csv", "cbind(incidence, incidence - size) ~ period + (1 | herd)", cbf, LMM_FAMILY_BINOMIAL, 1, NULL, LMM_ERR_DATA, "counts must be nonnegative");
    check_bad("cbpp.csv", "cbind(incidence + 0.5, size - incidence) ~ period + (1 | herd)", cbf, LMM_FAMILY_BINOMIAL, 1, NULL, LMM_ERR_DATA, "non-integer #successes");
    check_bad("cbpp.csv", "I(incidence - 3) ~ period + (1 | herd)", cbf, LMM_FAMILY_POISSON, 1, NULL, LMM_ERR_DATA, "negative values not allowed for the 'Poisson' family");
    check_bad("grouseticks.csv", "TICKS ~ YEAR + (1|BROOD) + (1|LOCATION)", gsf, LMM_FAMILY_POISSON, 5, NULL, LMM_ERR_ARG,
              "nAGQ > 1 is only available for models with a single, scalar random-effects term");
    check_bad("sleepstudy_bin.csv", "high ~ Days + (Days | Subject)", subj, LMM_FAMILY_BINOMIAL, 3, NULL, LMM_ERR_ARG,
              "nAGQ > 1 is only available for models with a single, scalar random-effects term");
    check_bad("cbpp.csv", cbpp, cbf, LMM_FAMILY_BINOMIAL, 26, NULL, LMM_ERR_ARG, "nAGQ must be between 1 and 25");
    check_bad("cbpp.csv", cbpp, cbf, LMM_FAMILY_GAUSSIAN, 1, NULL, LMM_ERR_ARG, "lmm_fit_formula fits gaussian");
    check_bad("cbpp.csv", cbpp, cbf, LMM_FAMILY_POISSON, 1, NULL, LMM_ERR_FORMULA, "cbind() response is for the binomial family");
}
