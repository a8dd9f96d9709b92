/* lm, aov, effects, the ANOVA variance component and LRTs against R
   (tests/data/pulp_classical.json, soybean_sim_models.json). */
#include "test.h"
#include "json.h"
#include <stdlib.h>

static lmm_frame *read_data(const char *name)
{
    char path[512];
    lmm_frame *df = NULL;
    lmm_error err = {0};
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
    if (lmm_frame_read_csv(path, &df, &err) != LMM_OK) fprintf(stderr, "  %s: %s\n", path, err.message);
    return df;
}

static void test_pulp_classical(void)
{
    char path[512];
    tj_node *ref;
    lmm_frame *df = read_data("pulp.csv");
    lmm_lm *aov = NULL, *null = NULL;
    lmm_fit *reml = NULL, *ml = NULL;
    lmm_fit_options opts;
    lmm_model_options sum = {LMM_CONTR_SUM, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};
    lmm_error err = {0};
    lmm_aov_row rows[4];
    double eff[4], stat, p;
    int i, n;
    snprintf(path, sizeof path, "%s/pulp_classical.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref && df);
    if (!ref || !df) { tj_free(ref); lmm_frame_free(df); return; }
    CHECK(lmm_lm_fit(df, "bright ~ operator", &sum, &aov, &err) == LMM_OK);
    if (aov) {
        const tj_node *a = tj_get(ref, "aov"), *cs = tj_get(ref, "coef_sum");
        n = lmm_aov_table(aov, rows);
        CHECK(n == 2);
        CHECK_STR(rows[0].term, "operator");
        CHECK_STR(rows[1].term, "Residuals");
        for (i = 0; i < 2 && i < n; i++) {
            CHECK(rows[i].df == (int)tj_num(tj_at(tj_get(a, "Df"), i)));
            CHECK_CLOSE(rows[i].sumsq, tj_num(tj_at(tj_get(a, "SumSq"), i)), 1e-10, 0);
            CHECK_CLOSE(rows[i].meansq, tj_num(tj_at(tj_get(a, "MeanSq"), i)), 1e-10, 0);
        }
        CHECK_CLOSE(rows[0].f, tj_num(tj_get(a, "F")), 1e-10, 0);
        CHECK_CLOSE(rows[0].p, tj_num(tj_get(a, "p")), 1e-10, 0);
        CHECK(isnan(rows[1].f) && isnan(rows[1].p));
        CHECK(aov->p == 4);
        for (i = 0; i < 4 && i < aov->p; i++) {
            CHECK_STR(aov->X->colnames[i], cs->keys[i]);
            CHECK_CLOSE(aov->coef[i], tj_num(cs->kids[i]), 1e-10, 1e-12);
        }
        CHECK(lmm_aov_effects(aov, df, "operator", eff, &err) == 4);
        for (i = 0; i < 4; i++) CHECK_CLOSE(eff[i], tj_num(tj_get(tj_get(ref, "effects"), df->cols[1].levels[i])), 1e-10, 1e-12);
        /* ANOVA estimator (MSA - MSE) / n of the operator variance, n = 5 per operator */
        CHECK_CLOSE((rows[0].meansq - rows[1].meansq) / 5, tj_num(tj_get(ref, "anova_varcomp")), 1e-10, 0);
    }
    CHECK(lmm_lm_fit(df, "bright ~ 1", NULL, &null, &err) == LMM_OK);
    memset(&opts, 0, sizeof opts);
    CHECK(lmm_fit_formula(df, "bright ~ 1 + (1|operator)", &opts, &reml, &err) == LMM_OK);
    opts.ml = 1;
    CHECK(lmm_fit_formula(df, "bright ~ 1 + (1|operator)", &opts, &ml, &err) == LMM_OK);
    if (null && ml && reml) {
        const tj_node *ln = tj_get(ref, "lm_null");
        CHECK_CLOSE(null->loglik, tj_num(tj_get(ln, "loglik")), 1e-12, 0);
        CHECK(null->df == (int)tj_num(tj_get(ln, "df")));
        CHECK_CLOSE(null->aic, tj_num(tj_get(ln, "aic")), 1e-12, 0);
        CHECK_CLOSE(null->bic, tj_num(tj_get(ln, "bic")), 1e-12, 0);
        CHECK_CLOSE(null->sigma, tj_num(tj_get(ln, "sigma")), 1e-12, 0);
        p = lmm_lrt(null->loglik, null->df, ml->loglik, ml->df, &stat);
        CHECK_CLOSE(stat, tj_num(tj_get(ref, "lrt")), 1e-6, 0);
        CHECK_CLOSE(p, tj_num(tj_get(ref, "lrt_p")), 1e-6, 0);
        CHECK_CLOSE(stat, 2.568371, 0, 5e-7);            /* the lecture's figures */
        CHECK_CLOSE(p, 0.1090199, 0, 5e-8);
        for (i = 0; i < 4 && aov; i++) {
            CHECK_CLOSE(eff[i] / reml->b[i], tj_num(tj_at(tj_get(ref, "ratio_fixed_to_random"), i)), 1e-6, 0);
            CHECK_CLOSE(reml->beta[0] + reml->b[i], tj_num(tj_at(tj_get(ref, "blup"), i)), 1e-9, 0);
        }
    }
    lmm_fit_free(reml); lmm_fit_free(ml);
    lmm_lm_free(aov); lmm_lm_free(null);
    lmm_frame_free(df);
    tj_free(ref);
}

/* The soybean workflow: lm and two ML lmer fits, AIC/BIC, and the one-ID-column-out loop. */
static void test_soybean(void)
{
    char path[512];
    tj_node *ref;
    lmm_frame *df = read_data("soybean_sim.csv");
    lmm_error err = {0};
    lmm_lm *lm = NULL;
    lmm_fit *plot = NULL, *full = NULL;
    lmm_fit_options opts;
    const char *fixed = "AqE ~ ID + days + I(days^2) + Precip + Precip_7day";
    char formula[512];
    int i, j;
    snprintf(path, sizeof path, "%s/soybean_sim_models.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref && df);
    if (!ref || !df) { tj_free(ref); lmm_frame_free(df); return; }
    CHECK(lmm_frame_relevel(df, "ID", "RC", &err) == LMM_OK);
    CHECK(lmm_lm_fit(df, fixed, NULL, &lm, &err) == LMM_OK);
    memset(&opts, 0, sizeof opts);
    opts.ml = 1;
    snprintf(formula, sizeof formula, "%s + (1|plot_number)", fixed);
    CHECK(lmm_fit_formula(df, formula, &opts, &plot, &err) == LMM_OK);
    snprintf(formula, sizeof formula, "%s + (1|plot_number) + (1|disk)", fixed);
    CHECK(lmm_fit_formula(df, formula, &opts, &full, &err) == LMM_OK);
    if (lm && plot && full) {
        const tj_node *aic = tj_get(ref, "aic"), *bic = tj_get(ref, "bic"), *lmr = tj_get(ref, "lm");
        CHECK_CLOSE(lm->aic, tj_num(tj_at(aic, 0)), 0, 1e-4);
        CHECK_CLOSE(plot->aic, tj_num(tj_at(aic, 1)), 0, 1e-4);
        CHECK_CLOSE(full->aic, tj_num(tj_at(aic, 2)), 0, 1e-4);
        CHECK_CLOSE(lm->bic, tj_num(tj_at(bic, 0)), 0, 1e-4);
        CHECK_CLOSE(plot->bic, tj_num(tj_at(bic, 1)), 0, 1e-4);
        CHECK_CLOSE(full->bic, tj_num(tj_at(bic, 2)), 0, 1e-4);
        CHECK_CLOSE(lm->loglik, tj_num(tj_get(lmr, "loglik")), 1e-10, 0);
        CHECK_CLOSE(lm->sigma, tj_num(tj_get(lmr, "sigma")), 1e-10, 0);
        for (i = 0; i < lm->p; i++) {
            const tj_node *c = tj_get(tj_get(lmr, "coef"), lm->X->colnames[i]);
            CHECK(c != NULL);
            if (c) CHECK_CLOSE(lm->coef[i], tj_num(c), 1e-8, 1e-10);
        }
    }
    /* one ID column out at a time: AIC(full) - AIC(without column j), on one RE structure */
    if (full) {
        lmm_matrix *M = NULL, M1;
        lmm_model *m = NULL;
        const tj_node *delta = tj_get(ref, "delta_aic");
        int checked = 0;
        CHECK(lmm_model_matrix(df, fixed, NULL, &M, &err) == LMM_OK);
        CHECK(lmm_model_build(df, "AqE ~ 1 + (1|plot_number) + (1|disk)", NULL, &m, &err) == LMM_OK);
        if (M && m) {
            M1.nrow = M->nrow; M1.ncol = M->ncol - 1;
            M1.v = (double *)malloc(sizeof(double) * (size_t)M->nrow * M->ncol);
            M1.colnames = (char **)malloc(sizeof(char *) * (size_t)M->ncol);
            M1.assign = NULL; M1.nterms = 0; M1.terms = NULL;
            for (j = 0; j < M->ncol; j++) {
                int k, c = 0;
                lmm_fit *fj = NULL;
                const tj_node *want;
                if (strncmp(M->colnames[j], "ID", 2) != 0) continue;
                /* valgrind's run (LMM_TEST_LIGHT): every eighth column's refit, all of them elsewhere */
                if (lmm_test_light && j % 8 != 0) continue;
                for (k = 0; k < M->ncol; k++) {
                    if (k == j) continue;
                    memcpy(M1.v + (size_t)c * M->nrow, M->v + (size_t)k * M->nrow, sizeof(double) * (size_t)M->nrow);
                    M1.colnames[c++] = M->colnames[k];
                }
                CHECK(lmm_model_set_X(m, &M1, &err) == LMM_OK);
                CHECK(lmm_model_fit(m, &opts, &fj, &err) == LMM_OK);
                want = tj_get(delta, M->colnames[j]);
                CHECK(want != NULL && fj != NULL);
                if (want && fj) { CHECK_CLOSE(full->aic - fj->aic, tj_num(want), 0, 1e-4); checked++; }
                lmm_fit_free(fj);
            }
            free(M1.v); free(M1.colnames);
        }
        CHECK(checked == (lmm_test_light ? 5 : 40));
        lmm_model_free(m);
        lmm_matrix_free(M);
    }
    lmm_lm_free(lm); lmm_fit_free(plot); lmm_fit_free(full);
    lmm_frame_free(df);
    tj_free(ref);
}

static void test_sleepstudy_lm(void)
{
    /* R: summary(lm(Reaction ~ Days, sleepstudy)) */
    lmm_frame *df = read_data("sleepstudy.csv");
    lmm_lm *fit = NULL;
    lmm_error err = {0};
    if (!df) { CHECK(0); return; }
    CHECK(lmm_lm_fit(df, "Reaction ~ Days", NULL, &fit, &err) == LMM_OK);
    if (fit) {
        CHECK_CLOSE(fit->coef[0], 251.405, 0, 5e-4);
        CHECK_CLOSE(fit->se[1], 1.238, 0, 5e-4);
        CHECK_CLOSE(fit->tval[1], 8.454, 0, 5e-4);
        CHECK_CLOSE(fit->pval[1], 9.894e-15, 1e-3, 0);
        CHECK_CLOSE(fit->sigma, 47.71, 0, 5e-3);
        CHECK_CLOSE(fit->r_squared, 0.2865, 0, 5e-5);
        CHECK_CLOSE(fit->adj_r_squared, 0.2825, 0, 5e-5);
        CHECK_CLOSE(fit->fstat, 71.46, 0, 5e-3);
        CHECK(fit->f_df1 == 1 && fit->df_resid == 178);
    }
    lmm_lm_free(fit);
    lmm_frame_free(df);
}

void test_lm(void)
{
    test_pulp_classical();
    test_sleepstudy_lm();
    test_soybean();
}
