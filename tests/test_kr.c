/* Kenward-Roger (pbkrtest 0.5.2's vcovAdj and KRmodcomp, lmerTest 3.1-3's
   ddf = "Kenward-Roger") against tests/data/kenward_roger/ (kenward_roger.R). */
#include "test.h"
#include "json.h"
#include <stdlib.h>

/* Two passes per model, as tests/test_infer.c. Pass 0 at lme4's theta (beta,
   vcov, sigma recomputed there): the method alone, tight. Pass 1 at our own
   optimum, whose distance from lme4's moves the figures a little: Machines'
   (Machine|Worker) optimum is flat (our REML criterion 1.1e-6 below lme4's,
   theta apart in the 4th digit), which moves vcov(beta) itself, and so
   vcovAdj, the se and t by up to 2.6e-4 relative. */
static const double tol_vc[2] = {1e-6, 5e-4}, tol_df[2] = {1e-4, 1e-3}, tol_p[2] = {1e-4, 5e-3};
static double worst_vc[2], worst_df[2];

static void note(double *worst, double got, double want)
{
    double rel = fabs(got - want) / fmax(fabs(want), 1.0);
    if (rel > *worst) *worst = rel;
}

static lmm_fit *fit_reference(const tj_node *ref, lmm_frame **df)
{
    char path[512];
    const tj_node *lv = tj_get(ref, "levels");
    lmm_error err = {0};
    lmm_fit *fit = NULL;
    lmm_fit_options opts;
    int i;
    memset(&opts, 0, sizeof opts);
    if (tj_get(ref, "weights")) opts.model.weights_column = tj_str(tj_get(ref, "weights"));
    snprintf(path, sizeof path, "%s/%s.csv", TEST_DATA_DIR, tj_str(tj_get(ref, "dataset")));
    if (lmm_frame_read_csv(path, df, &err) != LMM_OK) { CHECK(0); return NULL; }
    for (i = 0; i < tj_len(lv); i++) {
        int c = lmm_frame_find(*df, lv->keys[i]);
        if (c >= 0 && (*df)->cols[c].type == LMM_FACTOR && (*df)->cols[c].nlevels == tj_len(lv->kids[i]))
            lmm_frame_relevel(*df, lv->keys[i], tj_str(tj_at(lv->kids[i], 0)), &err);
    }
    if (lmm_fit_formula(*df, tj_str(tj_get(ref, "formula")), &opts, &fit, &err) != LMM_OK) {
        fprintf(stderr, "  fit failed: %s\n", err.message);
        CHECK(0);
    }
    return fit;
}

/* p-values: relative, or 1e-10 absolute when tiny */
static void check_p(double got, double want, int pass)
{
    CHECK_CLOSE(got, want, tol_p[pass], 1e-10);
}

static void check_model(const char *name)
{
    char path[512];
    tj_node *ref;
    const tj_node *kr, *aov, *ct, *va;
    lmm_frame *df = NULL;
    lmm_fit *fit;
    lmm_error err = {0};
    lmm_coef_row *rows;
    lmm_anova3_row arows[8];
    double *vadj;
    int i, pass, p, n;
    snprintf(path, sizeof path, "%s/kenward_roger/%s.json", TEST_DATA_DIR, name);
    ref = tj_parse_file(path);
    CHECK(ref != NULL);
    if (!ref) return;
    fit = fit_reference(ref, &df);
    if (!fit) { lmm_frame_free(df); tj_free(ref); return; }
    p = fit->p;
    kr = tj_get(ref, "kenward_roger"); aov = tj_get(ref, "anova_KR"); ct = tj_get(ref, "contest"); va = tj_get(ref, "vcovAdj");
    CHECK(tj_len(kr) == p && tj_len(va) == p * p);
    rows = (lmm_coef_row *)malloc((size_t)p * sizeof *rows);
    vadj = (double *)malloc((size_t)p * p * sizeof *vadj);
    for (pass = 1; pass >= 0; pass--) {
        if (pass == 0) {   /* move the fit to lme4's theta */
            for (i = 0; i < fit->ntheta; i++) fit->theta[i] = tj_num(tj_at(tj_get(ref, "theta"), i));
            CHECK(lmm_model_beta_at(fit->model, fit->theta, 1, fit->beta, fit->vcov, &fit->sigma, &err) == LMM_OK);
        }
        CHECK(lmm_vcov_kr(fit, vadj, &err) == LMM_OK);
        for (i = 0; i < p * p; i++) {
            double want = tj_num(tj_at(va, i)), scale = sqrt(fabs(tj_num(tj_at(va, (i % p) * (p + 1))) *
                                                                 tj_num(tj_at(va, (i / p) * (p + 1)))));
            /* relative to the matrix's scale: off-diagonal zeros are rounding in R */
            note(&worst_vc[pass], vadj[i] / scale, want / scale);
            CHECK_CLOSE(vadj[i] / scale, want / scale, 0, tol_vc[pass]);
        }
        CHECK(lmm_coef_table(fit, LMM_DDF_KENWARD_ROGER, rows, &err) == LMM_OK);
        for (i = 0; i < p; i++) {
            const tj_node *r = tj_at(kr, i);
            CHECK_STR(fit->model->X->colnames[i], tj_str(tj_get(r, "name")));
            CHECK_CLOSE(rows[i].estimate, tj_num(tj_get(r, "estimate")), 1e-6, 0);
            CHECK_CLOSE(rows[i].se, tj_num(tj_get(r, "se")), tol_vc[pass], 0);
            note(&worst_df[pass], rows[i].df, tj_num(tj_get(r, "df")));
            CHECK_CLOSE(rows[i].df, tj_num(tj_get(r, "df")), tol_df[pass], 0);
            CHECK_CLOSE(rows[i].t, tj_num(tj_get(r, "t")), tol_vc[pass], 0);
            check_p(rows[i].p, tj_num(tj_get(r, "p")), pass);
        }
        if (aov) {
            n = 0;
            CHECK(lmm_anova_type3(fit, LMM_DDF_KENWARD_ROGER, arows, &n, &err) == LMM_OK);
            CHECK(n == tj_len(aov));
            for (i = 0; i < n && i < tj_len(aov); i++) {
                const tj_node *r = tj_at(aov, i);
                CHECK_STR(arows[i].term, tj_str(tj_get(r, "term")));
                CHECK(arows[i].num_df == tj_num(tj_get(r, "NumDF")));
                note(&worst_df[pass], arows[i].den_df, tj_num(tj_get(r, "DenDF")));
                CHECK_CLOSE(arows[i].den_df, tj_num(tj_get(r, "DenDF")), tol_df[pass], 0);
                CHECK_CLOSE(arows[i].f, tj_num(tj_get(r, "F")), tol_df[pass], 0);
                CHECK_CLOSE(arows[i].sumsq, tj_num(tj_get(r, "SumSq")), tol_df[pass], 0);
                CHECK_CLOSE(arows[i].meansq, tj_num(tj_get(r, "MeanSq")), tol_df[pass], 0);
                check_p(arows[i].p, tj_num(tj_get(r, "p")), pass);
            }
        }
        if (ct) {
            int nr = (int)tj_num(tj_get(ct, "nrow"));
            double *L = (double *)malloc((size_t)nr * p * sizeof *L);
            lmm_contest_result res;
            for (i = 0; i < nr * p; i++) L[i] = tj_num(tj_at(tj_get(ct, "L"), i));
            CHECK(lmm_contest(fit, L, nr, LMM_DDF_KENWARD_ROGER, &res, &err) == LMM_OK);
            CHECK(res.num_df == tj_num(tj_get(ct, "NumDF")));
            note(&worst_df[pass], res.den_df, tj_num(tj_get(ct, "DenDF")));
            CHECK_CLOSE(res.den_df, tj_num(tj_get(ct, "DenDF")), tol_df[pass], 0);
            CHECK_CLOSE(res.f, tj_num(tj_get(ct, "F")), tol_df[pass], 0);
            /* F = scaling * the unscaled (vcovAdj) Wald F */
            CHECK_CLOSE(res.f / (res.meansq / (fit->sigma * fit->sigma)), tj_num(tj_get(ct, "F_scaling")), tol_df[pass], 0);
            CHECK_CLOSE(res.meansq / (fit->sigma * fit->sigma), tj_num(tj_get(ct, "F_unscaled")), tol_df[pass], 0);
            CHECK_CLOSE(res.sumsq, tj_num(tj_get(ct, "SumSq")), tol_df[pass], 0);
            check_p(res.f_p, tj_num(tj_get(ct, "p")), pass);
            CHECK(isnan(res.estimate));
            free(L);
        }
    }
    free(rows); free(vadj);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    tj_free(ref);
}

/* An ML fit is refused with lmerTest's message; bad arguments are clean errors. */
static void check_bad_input(void)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy.csv");
    lmm_fit *fit = NULL, *reml = NULL;
    lmm_fit_options o;
    lmm_error err = {0};
    lmm_coef_row rows[2];
    lmm_anova3_row arows[2];
    lmm_contest_result r;
    double L[4] = {0, 1, 0, 2}, Z[4] = {0, 0, 0, 0}, V[4], bad[2] = {NAN, 1};
    char path[512], *want = NULL;
    FILE *f;
    int n = 0;
    snprintf(path, sizeof path, "%s/kenward_roger/ml_error.txt", TEST_DATA_DIR);
    if ((f = fopen(path, "rb")) != NULL) { want = lmm_test_slurp(f); fclose(f); }
    CHECK(want != NULL);
    if (want && strchr(want, '\n')) *strchr(want, '\n') = '\0';
    memset(&o, 0, sizeof o);
    o.ml = 1;
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (1|Subject)", &o, &fit, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (1|Subject)", NULL, &reml, &err) == LMM_OK);
    if (!fit || !reml || !want) { lmm_fit_free(fit); lmm_fit_free(reml); lmm_frame_free(df); free(want); return; }
    err.code = LMM_OK; err.message[0] = 0;
    CHECK(lmm_coef_table(fit, LMM_DDF_KENWARD_ROGER, rows, &err) == LMM_ERR_ARG);
    CHECK(err.code == LMM_ERR_ARG);
    CHECK_STR(err.message, want);
    err.message[0] = 0;
    CHECK(lmm_contest(fit, L, 1, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_ERR_ARG);
    CHECK_STR(err.message, want);
    err.message[0] = 0;
    CHECK(lmm_anova_type3(fit, LMM_DDF_KENWARD_ROGER, arows, &n, &err) == LMM_ERR_ARG);
    CHECK_STR(err.message, want);
    err.message[0] = 0;
    CHECK(lmm_vcov_kr(fit, V, &err) == LMM_ERR_ARG);
    CHECK_STR(err.message, want);
    /* Satterthwaite still works on the ML fit */
    CHECK(lmm_coef_table(fit, LMM_DDF_SATTERTHWAITE, rows, &err) == LMM_OK);
    /* NULL arguments, an unknown method, empty, zero or non-finite contrasts */
    CHECK(lmm_vcov_kr(NULL, V, &err) == LMM_ERR_ARG);
    CHECK(lmm_vcov_kr(reml, NULL, &err) == LMM_ERR_ARG);
    CHECK(lmm_coef_table(NULL, LMM_DDF_KENWARD_ROGER, rows, &err) == LMM_ERR_ARG);
    CHECK(lmm_coef_table(reml, LMM_DDF_KENWARD_ROGER, NULL, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, NULL, 1, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, L, 1, LMM_DDF_KENWARD_ROGER, NULL, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, L, 0, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, L, 1, (lmm_ddf_method)7, &r, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, bad, 1, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, Z, 1, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_ERR_ARG);
    CHECK(lmm_contest(reml, Z, 2, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_ERR_ARG);
    CHECK(lmm_anova_type3(reml, LMM_DDF_KENWARD_ROGER, NULL, &n, &err) == LMM_ERR_ARG);
    /* two proportional rows: a one-direction F test, equal to the t test's square */
    CHECK(lmm_contest(reml, L, 2, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_OK);
    CHECK(r.num_df == 1);
    CHECK(lmm_coef_table(reml, LMM_DDF_KENWARD_ROGER, rows, &err) == LMM_OK);
    CHECK_CLOSE(r.f, rows[1].t * rows[1].t, 1e-9, 0);
    CHECK_CLOSE(r.den_df, rows[1].df, 1e-9, 0);
    /* every allocation failure is a clean LMM_ERR_NOMEM (and the next call works) */
    {
        int k, nomem = 0;
        double L3[4] = {1, 0, 0, 1};
        for (k = 0; k < 8; k++) {
            lmm_status s1, s2, s3;
            lmm_test_fail_after = lmm_test_allocs + k;
            s1 = lmm_vcov_kr(reml, V, &err);
            lmm_test_fail_after = lmm_test_allocs + k;
            s2 = lmm_contest(reml, L3, 2, LMM_DDF_KENWARD_ROGER, &r, &err);
            lmm_test_fail_after = lmm_test_allocs + k;
            s3 = lmm_coef_table(reml, LMM_DDF_KENWARD_ROGER, rows, &err);
            lmm_test_fail_after = -1;
            CHECK((s1 == LMM_OK || s1 == LMM_ERR_NOMEM) && (s2 == LMM_OK || s2 == LMM_ERR_NOMEM) &&
                  (s3 == LMM_OK || s3 == LMM_ERR_NOMEM));
            nomem += (s1 == LMM_ERR_NOMEM) + (s2 == LMM_ERR_NOMEM) + (s3 == LMM_ERR_NOMEM);
        }
        CHECK(nomem >= 3);
        CHECK(lmm_contest(reml, L3, 2, LMM_DDF_KENWARD_ROGER, &r, &err) == LMM_OK);
    }
    lmm_fit_free(fit); lmm_fit_free(reml);
    lmm_frame_free(df);
    free(want);
}

/* lmerTest's summary(m, ddf = "Kenward-Roger") byte for byte (sleepstudy_summary.txt) */
static void check_summary_text(void)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy.csv");
    lmm_fit *fit = NULL;
    lmm_print_options po;
    lmm_error err = {0};
    char path[512], *want = NULL, *got = NULL;
    FILE *f;
    snprintf(path, sizeof path, "%s/kenward_roger/sleepstudy_summary.txt", TEST_DATA_DIR);
    if ((f = fopen(path, "rb")) != NULL) { want = lmm_test_slurp(f); fclose(f); }
    memset(&po, 0, sizeof po);
    po.tests = 1;
    po.ddf = LMM_DDF_KENWARD_ROGER;
    CHECK(df && lmm_fit_formula(df, "Reaction ~ Days + (1|Subject)", NULL, &fit, &err) == LMM_OK);
    if (fit && (f = tmpfile()) != NULL) {
        CHECK(lmm_print_summary_ex(f, fit, "sleepstudy", &po, &err) == LMM_OK);
        got = lmm_test_slurp(f);
        fclose(f);
    }
    CHECK(want && got);
    if (want && got && strcmp(want, got) != 0) fprintf(stderr, "  summary differs:\n--- R\n%s--- lmm.h\n%s", want, got);
    CHECK(want && got && strcmp(want, got) == 0);
    free(want); free(got);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

void test_kr(void)
{
    static const char *const models[] = {
        "sleepstudy", "sleepstudy_intercept", "Penicillin", "Pastes", "Oats", "Oats_variety",
        "Machines", "pulp", "Dyestuff2", "sleepstudy_unbal", "Machines_unbal", "sleepstudy_w",
        "Machines_overspec"
    };
    size_t i;
    for (i = 0; i < sizeof models / sizeof models[0]; i++) check_model(models[i]);
    fprintf(stderr, "  %d models: max relative error vcovAdj %.3g / df %.3g at lme4's theta, %.3g / %.3g at ours\n",
            (int)(sizeof models / sizeof models[0]), worst_vc[0], worst_df[0], worst_vc[1], worst_df[1]);
    check_bad_input();
    check_summary_text();
}
