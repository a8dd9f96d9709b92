/* lmerTest's F tables of one model (anova(m, type = 1, 2, 3) with Satterthwaite's
   df), contest with several rows and ranova, against the JSON files of tests/data/ftables and
   the printed tables beside them (written by tests/data/ftables.R). */
#include "test.h"
#include "json.h"
#include <stdlib.h>

/* Our optimum differs from lme4's in the 6th-7th digit of theta on some fits, which
   moves df and F by up to ~1e-5 relative; the bound is 1e-4. */
#define TOL_F tol_f
static double tol_f = 1e-4, tol_p = 1e-4;
static double worst_df[2], worst_f[2], worst_ss[2];   /* at our optimum, at lme4's theta */
static int nprint, nprint_diff;                /* printed tables compared, differing (a last digit) */

static char *read_text(const char *dir, const char *file)
{
    char path[512];
    FILE *f;
    char *s = NULL;
    snprintf(path, sizeof path, "%s/%s/%s", TEST_DATA_DIR, dir, file);
    if ((f = fopen(path, "rb")) != NULL) { s = lmm_test_slurp(f); fclose(f); }
    return s;
}

static void track(double got, double want, double *worst)
{
    double rel = fabs(got - want) / fmax(fabs(want), 1e-300);
    if (rel > *worst) *worst = rel;
}

static void check_p(double got, double want)
{
    if (want < 1e-10) CHECK_CLOSE(got, want, tol_p, 1e-10);
    else CHECK_CLOSE(got, want, tol_p, 0);
}

static lmm_fit *fit_case(const tj_node *c, lmm_frame **df)
{
    char name[128];
    lmm_fit_options o;
    lmm_error err = {0};
    lmm_fit *fit = NULL;
    snprintf(name, sizeof name, "%s.csv", tj_str(tj_get(c, "dataset")));
    *df = lmm_test_read_csv(name);
    if (!*df) { CHECK(0); return NULL; }
    memset(&o, 0, sizeof o);
    o.ml = !(int)tj_num(tj_get(c, "reml"));
    o.skip_condvar = 1;
    if (tj_get(c, "contrasts") && !strcmp(tj_str(tj_get(c, "contrasts")), "sum")) o.model.contrasts = LMM_CONTR_SUM;
    if (tj_get(c, "weights")) o.model.weights_column = tj_str(tj_get(c, "weights"));
    if (lmm_fit_formula(*df, tj_str(tj_get(c, "formula")), &o, &fit, &err) != LMM_OK) {
        fprintf(stderr, "  %s: %s\n", tj_str(tj_get(c, "name")), err.message);
        CHECK(0);
    }
    return fit;
}

/* One model's three tables: every column against lmerTest, and the printed text. */
static void check_anova_case(const tj_node *c)
{
    static const char *const keys[3] = { "type1", "type2", "type3" };
    const char *name = tj_str(tj_get(c, "name"));
    /* the weighted fit: lme4 stops 6e-7 above our REML criterion (1737.9770762735 against
       1737.9770756781), theta 1.3e-4 apart, which moves lmerTest's df and F by up to 3e-4
       (lmm_coef_table's df as much); the other fits are held to the 1e-4 */
    int weighted = tj_get(c, "weights") != NULL, pass, k, type;
    lmm_frame *df = NULL;
    lmm_fit *fit = fit_case(c, &df);
    for (pass = 0; pass < 2 && fit; pass++) {
    if (pass == 1) {
        /* at lme4's theta (beta, vcov, sigma recomputed there) the method alone is compared */
        lmm_error err = {0};
        const tj_node *th = tj_get(c, "theta");
        CHECK(tj_len(th) == fit->ntheta);
        for (k = 0; k < fit->ntheta && k < tj_len(th); k++) fit->theta[k] = tj_num(tj_at(th, k));
        CHECK(lmm_model_beta_at(fit->model, fit->theta, fit->reml, fit->beta, fit->vcov, &fit->sigma, &err) == LMM_OK);
    }
    tol_f = pass ? 1e-6 : weighted ? 1e-3 : 1e-4;
    tol_p = pass ? 1e-6 : weighted ? 5e-3 : 1e-4;   /* a p of 4e-6 moves 1.7e-3 there */
    for (type = 1; type <= 3; type++) {
        const tj_node *want = tj_get(c, keys[type - 1]);
        lmm_anova3_row rows[32];
        lmm_error err = {0};
        int n = -1, i;
        char file[128], *got = NULL, *ref;
        FILE *f;
        CHECK(lmm_anova_table(fit, df, type, LMM_DDF_SATTERTHWAITE, rows, &n, &err) == LMM_OK);
        if (n != tj_len(want)) {
            fprintf(stderr, "  %s type %d: %d rows, want %d (%s)\n", name, type, n, tj_len(want), err.message);
            CHECK(0);
            continue;
        }
        for (i = 0; i < n; i++) {
            const tj_node *w = tj_at(want, i), *sym = tj_get(w, "symmetric");
            if (sym) {
                /* lmerTest's own figure rests on a non-orthogonal eigenbasis (see ftables.R):
                   the same hypothesis with eigen(symmetric = TRUE) is the reference */
                CHECK_STR(rows[i].term, tj_str(tj_get(w, "term")));
                CHECK_CLOSE(rows[i].sumsq, tj_num(tj_get(sym, "sumsq")), TOL_F, 0);
                CHECK_CLOSE(rows[i].den_df, tj_num(tj_get(sym, "dendf")), TOL_F, 0);
                CHECK_CLOSE(rows[i].f, tj_num(tj_get(sym, "f")), TOL_F, 0);
                check_p(rows[i].p, tj_num(tj_get(sym, "p")));
                continue;
            }
            CHECK_STR(rows[i].term, tj_str(tj_get(w, "term")));
            CHECK_CLOSE(rows[i].sumsq, tj_num(tj_get(w, "sumsq")), TOL_F, 0);
            CHECK_CLOSE(rows[i].meansq, tj_num(tj_get(w, "meansq")), TOL_F, 0);
            CHECK_CLOSE(rows[i].num_df, tj_num(tj_get(w, "numdf")), 0, 1e-12);
            CHECK_CLOSE(rows[i].den_df, tj_num(tj_get(w, "dendf")), TOL_F, 0);
            CHECK_CLOSE(rows[i].f, tj_num(tj_get(w, "f")), TOL_F, 0);
            check_p(rows[i].p, tj_num(tj_get(w, "p")));
            if (pass == 1) {   /* the same hypotheses: F and Sum Sq to rounding (df: the derivatives') */
                CHECK_CLOSE(rows[i].sumsq, tj_num(tj_get(w, "sumsq")), 1e-9, 0);
                CHECK_CLOSE(rows[i].f, tj_num(tj_get(w, "f")), 1e-9, 0);
            }
            if (weighted && pass == 0) continue;
            track(rows[i].den_df, tj_num(tj_get(w, "dendf")), &worst_df[pass]);
            track(rows[i].f, tj_num(tj_get(w, "f")), &worst_f[pass]);
            track(rows[i].sumsq, tj_num(tj_get(w, "sumsq")), &worst_ss[pass]);
        }
        if (pass == 1) continue;
        snprintf(file, sizeof file, "%s_type%d.txt", name, type);
        ref = read_text("ftables", file);
        if ((f = tmpfile()) != NULL) { lmm_print_anova_table(f, type, LMM_DDF_SATTERTHWAITE, rows, n); got = lmm_test_slurp(f); fclose(f); }
        CHECK(ref && got);
        nprint++;
        if (ref && got) {
            /* the heading and the column header always; the body where our optimum prints the same digits */
            const char *nl1 = strchr(ref, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
            CHECK(nl2 && strncmp(ref, got, (size_t)(nl2 - ref + 1)) == 0);
            if (strcmp(ref, got) != 0) nprint_diff++;
            /* a long label: R wraps the table at width 80, and so must we */
            if (!strcmp(name, "sleep_wide")) CHECK(strcmp(ref, got) == 0);
        }
        free(ref); free(got);
    }
    }
    tol_f = tol_p = 1e-4;
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

/* contest(m, L, joint = TRUE) with 1 to 4 rows, one of them rank deficient. */
static void check_contest(void)
{
    char path[512];
    tj_node *ref;
    const tj_node *tests;
    lmm_frame *df = NULL;
    lmm_fit *fit;
    int i, r, a;
    snprintf(path, sizeof path, "%s/ftables/contest.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref != NULL);
    if (!ref) return;
    fit = fit_case(ref, &df);
    tests = tj_get(ref, "tests");
    for (i = 0; i < tj_len(tests) && fit; i++) {
        const tj_node *t = tj_at(tests, i), *L = tj_get(t, "L");
        double l[6 * 8];
        lmm_contest_result res;
        lmm_error err = {0};
        int nr = tj_len(L);
        CHECK(fit->p == 6 && nr <= 8);
        for (r = 0; r < nr; r++) for (a = 0; a < 6; a++) l[r * 6 + a] = tj_num(tj_at(tj_at(L, r), a));
        CHECK(lmm_contest(fit, l, nr, LMM_DDF_SATTERTHWAITE, &res, &err) == LMM_OK);
        CHECK_CLOSE(res.sumsq, tj_num(tj_get(t, "sumsq")), TOL_F, 0);
        CHECK_CLOSE(res.num_df, tj_num(tj_get(t, "numdf")), 0, 1e-12);
        CHECK_CLOSE(res.den_df, tj_num(tj_get(t, "dendf")), TOL_F, 0);
        CHECK_CLOSE(res.f, tj_num(tj_get(t, "f")), TOL_F, 0);
        check_p(res.f_p, tj_num(tj_get(t, "p")));
    }
    lmm_fit_free(fit);
    lmm_frame_free(df);
    tj_free(ref);
}

/* ranova(m): every row against lmerTest, the Model: line, and the printed heading. */
static double worst_ll, worst_lrt;
static void check_ranova_case(const tj_node *c)
{
    const char *name = tj_str(tj_get(c, "name"));
    const tj_node *want = tj_get(c, "rows");
    lmm_frame *df = NULL;
    lmm_fit *fit = fit_case(c, &df);
    lmm_ranova_table *r = NULL;
    lmm_error err = {0};
    char file[128], *ref, *got = NULL;
    FILE *f;
    int i;
    if (!fit) { lmm_frame_free(df); return; }
    CHECK(lmm_ranova(fit, df, &r, &err) == LMM_OK);
    if (!r) { fprintf(stderr, "  ranova %s: %s\n", name, err.message); lmm_fit_free(fit); lmm_frame_free(df); return; }
    CHECK_STR(r->model, tj_str(tj_get(c, "model")));
    CHECK(r->n == tj_len(want));
    for (i = 0; i < r->n && i < tj_len(want); i++) {
        const tj_node *w = tj_at(want, i);
        double lrt = tj_num(tj_get(w, "lrt"));
        CHECK_STR(r->rows[i].term, tj_str(tj_get(w, "term")));
        CHECK(r->rows[i].npar == (int)tj_num(tj_get(w, "npar")));
        CHECK_CLOSE(r->rows[i].loglik, tj_num(tj_get(w, "loglik")), 1e-6, 0);
        CHECK_CLOSE(r->rows[i].aic, tj_num(tj_get(w, "aic")), 1e-6, 0);
        track(r->rows[i].loglik, tj_num(tj_get(w, "loglik")), &worst_ll);
        if (i == 0) { CHECK(isnan(r->rows[i].lrt) && isnan(r->rows[i].df) && isnan(r->rows[i].p)); continue; }
        CHECK_CLOSE(r->rows[i].lrt, lrt, 1e-6, 1e-6);
        track(r->rows[i].lrt, lrt, &worst_lrt);
        CHECK_CLOSE(r->rows[i].df, tj_num(tj_get(w, "df")), 0, 1e-12);
        check_p(r->rows[i].p, tj_num(tj_get(w, "p")));
    }
    snprintf(file, sizeof file, "ranova_%s.txt", name);
    ref = read_text("ftables", file);
    if ((f = tmpfile()) != NULL) { lmm_print_ranova(f, r); got = lmm_test_slurp(f); fclose(f); }
    CHECK(ref && got);
    if (ref && got) {
        /* heading, blank, Model:, the model, the column header */
        const char *e = ref;
        int k;
        for (k = 0; k < 5 && e; k++) { e = strchr(e, '\n'); if (e) e++; }
        CHECK(e && strncmp(ref, got, (size_t)(e - ref)) == 0);
        nprint++;
        if (strcmp(ref, got) != 0) { nprint_diff++; fprintf(stderr, "  note: %s prints differently:\n--- R\n%s--- lmm.h\n%s", file, ref, got); }
    }
    free(ref); free(got);
    lmm_ranova_free(r);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

/* Bad input: a type outside 1..3; a frame that is not the fit's; type III of an
   interaction model without the frame. */
static void check_bad_input(void)
{
    lmm_frame *df = lmm_test_read_csv("Oats_ftab.csv"), *other = lmm_test_read_csv("sleepstudy.csv");
    lmm_fit *fit = NULL;
    lmm_error err = {0};
    lmm_anova3_row rows[8];
    int n = 0;
    CHECK(df && lmm_fit_formula(df, "yield ~ nitro * Variety + (1|Block/Variety)", NULL, &fit, &err) == LMM_OK);
    if (fit) {
        CHECK(lmm_anova_table(fit, df, 4, LMM_DDF_SATTERTHWAITE, rows, &n, &err) == LMM_ERR_ARG);
        CHECK(strstr(err.message, "type must be 1, 2 or 3") != NULL);
        CHECK(lmm_anova_table(fit, df, 0, LMM_DDF_SATTERTHWAITE, rows, &n, &err) == LMM_ERR_ARG);
        CHECK(lmm_anova_table(fit, other, 3, LMM_DDF_SATTERTHWAITE, rows, &n, &err) != LMM_OK);
        CHECK(lmm_anova_table(fit, NULL, 3, LMM_DDF_SATTERTHWAITE, rows, &n, &err) == LMM_ERR_ARG);
        CHECK(strstr(err.message, "needs the data frame") != NULL);
        CHECK(lmm_ranova(fit, NULL, NULL, &err) == LMM_ERR_ARG);
        /* type 1 needs only X */
        CHECK(lmm_anova_table(fit, NULL, 1, LMM_DDF_SATTERTHWAITE, rows, &n, &err) == LMM_OK && n == 3);
    }
    lmm_fit_free(fit);
    lmm_frame_free(df);
    lmm_frame_free(other);
}

void test_ftab(void)
{
    char path[512];
    tj_node *ref;
    int i;
    snprintf(path, sizeof path, "%s/ftables/anova.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref != NULL && tj_len(ref) >= 14);
    for (i = 0; ref && i < tj_len(ref); i++) check_anova_case(tj_at(ref, i));
    tj_free(ref);
    fprintf(stderr, "  anova tables: worst relative error vs lmerTest at our optimum (unweighted fits): DenDF %.3g, "
            "F %.3g, Sum Sq %.3g; at lme4's theta (all): %.3g, %.3g, %.3g; %d of %d printed tables identical "
            "(the rest differ in a last printed digit)\n", worst_df[0], worst_f[0], worst_ss[0],
            worst_df[1], worst_f[1], worst_ss[1], nprint - nprint_diff, nprint);
    snprintf(path, sizeof path, "%s/ftables/ranova.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(ref != NULL && tj_len(ref) >= 7);
    nprint = nprint_diff = 0;
    for (i = 0; ref && i < tj_len(ref); i++) check_ranova_case(tj_at(ref, i));
    tj_free(ref);
    fprintf(stderr, "  ranova: worst relative logLik error %.3g, LRT %.3g vs lmerTest; %d of %d printed tables identical\n",
            worst_ll, worst_lrt, nprint - nprint_diff, nprint);
    check_contest();
    check_bad_input();
}
