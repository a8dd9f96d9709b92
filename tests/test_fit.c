/* Mixed-model fits against lme4 1.1-31 figures (the REML and ML JSON files in tests/data). */
#include "test.h"
#include "json.h"
#include <stdlib.h>

/* Tolerances of the issue: 1e-4 relative, 1e-4 absolute for values under 1e-2. */
#define CHECK_REF(got, want) CHECK_CLOSE(got, want, 1e-4, fabs(want) < 1e-2 ? 1e-4 : 0)

static int level_index(const lmm_reterm *t, const char *level)
{
    int j;
    for (j = 0; j < t->nlevels; j++) if (strcmp(t->levels[j], level) == 0) return j;
    return -1;
}

/* Fit the reference model of `file` and compare everything it lists. */
static void check_reference(const char *file, lmm_factor_kind factor)
{
    char path[512];
    tj_node *ref;
    const tj_node *x, *v;
    lmm_error err = {0};
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_fit_options opts;
    const lmm_model *m;
    int i, k, reml;
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, file);
    ref = tj_parse_file(path);
    CHECK(ref != NULL);
    if (!ref) return;
    snprintf(path, sizeof path, "%s/%s.csv", TEST_DATA_DIR, tj_str(tj_get(ref, "dataset")));
    CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
    if (!df) { fprintf(stderr, "  %s: %s\n", path, err.message); tj_free(ref); return; }
    /* factor level orders as the reference used them (soybean's ID releveled to RC) */
    x = tj_get(ref, "levels");
    for (i = 0; i < tj_len(x); i++) {
        const char *name = x->keys[i];
        const tj_node *lv = x->kids[i];
        int c = lmm_frame_find(df, name);
        if (c >= 0 && df->cols[c].type == LMM_FACTOR && df->cols[c].nlevels == tj_len(lv))
            CHECK(lmm_frame_relevel(df, name, tj_str(tj_at(lv, 0)), &err) == LMM_OK);
    }
    memset(&opts, 0, sizeof opts);
    reml = (int)tj_num(tj_get(ref, "reml"));
    opts.ml = !reml;
    opts.factor = factor;
    if (lmm_fit_formula(df, tj_str(tj_get(ref, "formula")), &opts, &fit, &err) != LMM_OK) {
        fprintf(stderr, "  %s: fit failed: %s\n", file, err.message);
        CHECK(0);
        lmm_frame_free(df); tj_free(ref);
        return;
    }
    m = fit->model;
    CHECK(fit->converged);
    if (factor) CHECK(lmm_model_factor(m) == factor);
    fprintf(stderr, "  %-32s criterion %.10f (lme4 %.10f) evals %d%s\n", file, fit->criterion,
            tj_num(tj_get(ref, "criterion")), fit->nevals, factor == LMM_FACTOR_SPARSE ? " (sparse factor)" : "");
    /* objective at least as low as lme4's (1e-6 relative), and within 1e-5 of it */
    CHECK(fit->criterion <= tj_num(tj_get(ref, "criterion")) * (1 + 1e-6));
    CHECK_CLOSE(fit->criterion, tj_num(tj_get(ref, "criterion")), 0, 1e-5 * fmax(1.0, fabs(tj_num(tj_get(ref, "criterion")))));
    CHECK(fit->nobs == (int)tj_num(tj_get(ref, "nobs")));
    CHECK(fit->df == (int)tj_num(tj_get(ref, "df")));
    CHECK_CLOSE(fit->loglik, tj_num(tj_get(ref, "loglik")), 1e-7, 1e-6);
    CHECK_CLOSE(fit->aic, tj_num(tj_get(ref, "aic")), 1e-7, 1e-6);
    CHECK_CLOSE(fit->bic, tj_num(tj_get(ref, "bic")), 1e-7, 1e-6);
    CHECK_CLOSE(fit->deviance, tj_num(tj_get(ref, "deviance")), 1e-6, 1e-6);
    CHECK_REF(fit->sigma, tj_num(tj_get(ref, "sigma")));
    CHECK((fit->singular != 0) == ((int)tj_num(tj_get(ref, "singular")) != 0));
    x = tj_get(ref, "theta");
    CHECK(fit->ntheta == tj_len(x));
    for (i = 0; i < tj_len(x) && i < fit->ntheta; i++) {
        CHECK_REF(fit->theta[i], tj_num(tj_at(x, i)));
        CHECK_STR(m->theta_names[i], tj_str(tj_at(tj_get(ref, "theta_names"), i)));
    }
    x = tj_get(ref, "fixef");
    CHECK(fit->p == tj_len(x));
    for (i = 0; i < tj_len(x) && i < fit->p; i++) {
        v = tj_at(x, i);
        CHECK_STR(m->X->colnames[i], tj_str(tj_get(v, "name")));
        CHECK_REF(fit->beta[i], tj_num(tj_get(v, "estimate")));
        CHECK_REF(fit->se[i], tj_num(tj_get(v, "se")));
        for (k = 0; k < fit->p; k++)
            CHECK_CLOSE(fit->vcov[i + k * fit->p], tj_num(tj_at(tj_at(tj_get(ref, "vcov"), i), k)), 1e-4,
                        1e-6 * sqrt(fit->vcov[i * (fit->p + 1)] * fit->vcov[k * (fit->p + 1)]));
    }
    /* variance components, in VarCorr order, residual last */
    x = tj_get(ref, "varcorr");
    {
        int row = 0;
        for (k = 0; k < m->nterms; k++) {
            double cov[32 * 32];
            const lmm_reterm *t = &m->terms[k];
            lmm_fit_term_cov(fit, k, cov);
            for (i = 0; i < t->ncol; i++, row++) {
                v = tj_at(x, row);
                CHECK_STR(t->vc_name, tj_str(tj_get(v, "group")));
                CHECK_STR(t->colnames[i], tj_str(tj_get(v, "name")));
                CHECK_REF(cov[i * (t->ncol + 1)], tj_num(tj_get(v, "variance")));
            }
        }
        CHECK(row == tj_len(x) - 1);
        CHECK_REF(fit->sigma * fit->sigma, tj_num(tj_get(tj_at(x, row), "variance")));
    }
    x = tj_get(ref, "corr");
    for (i = 0; i < tj_len(x); i++) {
        const tj_node *c = tj_at(x, i);
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            int a = -1, b = -1, j;
            double cov[32 * 32];
            if (strcmp(t->vc_name, tj_str(tj_get(c, "group"))) != 0) continue;
            for (j = 0; j < t->ncol; j++) {
                if (!strcmp(t->colnames[j], tj_str(tj_at(tj_get(c, "names"), 0)))) a = j;
                if (!strcmp(t->colnames[j], tj_str(tj_at(tj_get(c, "names"), 1)))) b = j;
            }
            CHECK(a >= 0 && b >= 0);
            if (a < 0 || b < 0) continue;
            lmm_fit_term_cov(fit, k, cov);
            CHECK_REF(cov[a + b * t->ncol] / sqrt(cov[a * (t->ncol + 1)] * cov[b * (t->ncol + 1)]), tj_num(tj_get(c, "corr")));
        }
    }
    /* ngroups */
    x = tj_get(ref, "ngroups");
    for (i = 0; i < tj_len(x); i++) {
        int found = 0;
        for (k = 0; k < m->nterms; k++)
            if (!strcmp(m->terms[k].group, x->keys[i])) { found = 1; CHECK(m->terms[k].nlevels == (int)tj_num(x->kids[i])); }
        CHECK(found);
    }
    /* conditional modes and conditional SDs, matched by group, column and level name */
    x = tj_get(ref, "ranef");
    for (i = 0; i < tj_len(x); i++) {
        const char *group = x->keys[i];
        const tj_node *g = x->kids[i], *levels = tj_get(g, "levels"), *cols = tj_get(g, "columns");
        int c, j, checked = 0;
        for (c = 0; c < tj_len(cols); c++) {
            const char *cname = tj_str(tj_at(cols, c));
            for (k = 0; k < m->nterms; k++) {
                const lmm_reterm *t = &m->terms[k];
                int tc;
                if (strcmp(t->group, group) != 0) continue;
                for (tc = 0; tc < t->ncol; tc++) {
                    if (strcmp(t->colnames[tc], cname) != 0) continue;
                    /* A conditional mode near zero is judged against its column's scale:
                       lme4 stops its optimizer a hair short of the optimum (our criterion is
                       lower), which moves small modes by ~1e-4 of the largest one. */
                    double scale = 0;
                    for (j = 0; j < tj_len(levels); j++) {
                        double v = fabs(tj_num(tj_at(tj_at(tj_get(g, "values"), j), c)));
                        if (v > scale) scale = v;
                    }
                    for (j = 0; j < tj_len(levels); j++) {
                        int lj = level_index(t, tj_str(tj_at(levels, j)));
                        double want = tj_num(tj_at(tj_at(tj_get(g, "values"), j), c));
                        double wsd = tj_num(tj_at(tj_at(tj_get(g, "condsd"), j), c));
                        CHECK(lj >= 0);
                        if (lj < 0) continue;
                        CHECK_CLOSE(fit->b[t->u_offset + lj * t->ncol + tc], want, 1e-4, 1e-4 * (scale > 1 ? scale : 1));
                        CHECK_REF(fit->b_condsd[t->u_offset + lj * t->ncol + tc], wsd);
                        checked++;
                    }
                }
            }
        }
        CHECK(checked == tj_len(levels) * tj_len(cols));
    }
    x = tj_get(ref, "resid_quantiles");
    for (i = 0; i < 5; i++) CHECK_REF(fit->resid_quantiles[i], tj_num(tj_at(x, i)));
    x = tj_get(ref, "fitted_head");
    for (i = 0; i < tj_len(x); i++) CHECK_REF(fit->fitted[i], tj_num(tj_at(x, i)));
    lmm_fit_free(fit);
    lmm_frame_free(df);
    tj_free(ref);
}

static void check_objective_hand_value(void)
{
    /* pulp, theta = 1: L = sqrt(5+1) per operator; closed form of the REML criterion */
    lmm_error err = {0};
    lmm_frame *df = NULL;
    lmm_model *m = NULL;
    char path[512];
    double theta = 1.0, ybar = 0, ssw = 0, ssb = 0, n = 20, pw, want;
    int i, j;
    snprintf(path, sizeof path, "%s/pulp.csv", TEST_DATA_DIR);
    CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_model_build(df, "bright ~ 1 + (1|operator)", NULL, &m, &err) == LMM_OK);
    if (m) {
        double gm[4] = { 0, 0, 0, 0 };
        for (i = 0; i < 20; i++) { ybar += m->y[i] / n; gm[m->terms[0].codes[i]] += m->y[i] / 5; }
        for (i = 0; i < 20; i++) ssw += (m->y[i] - gm[m->terms[0].codes[i]]) * (m->y[i] - gm[m->terms[0].codes[i]]);
        for (j = 0; j < 4; j++) ssb += 5 * (gm[j] - ybar) * (gm[j] - ybar);
        /* balanced one-way: pwrss = SSW + SSB / (1 + n_i theta^2), |L|^2 = (1+5)^4, R_X^2 = 20/(1+5) */
        pw = ssw + ssb / (1 + 5 * theta * theta);
        want = 4 * log(6.0) + log(20.0 / 6.0) + (n - 1) * (1 + log(2 * 3.14159265358979323846 * pw / (n - 1)));
        /* 1e-10: the cross-product form loses ~4 digits to y'y (72000) against the pwrss (1.7) */
        CHECK_CLOSE(lmm_model_objective(m, &theta, 1), want, 1e-10, 0);
        want = 4 * log(6.0) + n * (1 + log(2 * 3.14159265358979323846 * pw / n));
        CHECK_CLOSE(lmm_model_objective(m, &theta, 0), want, 1e-10, 0);
    }
    lmm_model_free(m);
    lmm_frame_free(df);
}

/* The profiled criteria away from the optimum against lme4's own deviance
   functions (lmer(..., devFunOnly = TRUE)(theta), lme4 1.1-31): these first
   terms (scalar, and sleepstudy's (Days|Subject)) have few distinct level
   blocks Z1'Z1 and take the objective's class path, whose result must equal
   the level-by-level factor's. */
static void check_devfun_values(void)
{
    static const struct { const char *data, *formula, *relevel; int reml, ntheta; double theta[4], want; } cases[] = {
        { "soybean_sim", "AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1|plot_number) + (1|disk)", "RC", 0, 2, { 0.3, 0.4 }, 2810.6358465311164 },
        { "soybean_sim", "AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1|plot_number) + (1|disk)", "RC", 0, 2, { 1, 1 }, 3071.4935365231058 },
        { "soybean_sim", "AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1|plot_number) + (1|disk)", "RC", 0, 2, { 0.05, 2 }, 3098.602407230549 },
        { "Penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", NULL, 1, 2, { 1.5, 3.2 }, 330.96376819867857 },
        { "Penicillin", "diameter ~ 1 + (1|plate) + (1|sample)", NULL, 1, 2, { 0.2, 0.1 }, 590.70143823920853 },
        { "Pastes", "strength ~ 1 + (1|batch/cask)", NULL, 1, 2, { 2.9, 0.5 }, 249.27685137575816 },
        { "Pastes", "strength ~ 1 + (1|batch/cask)", NULL, 1, 2, { 0.7, 1.3 }, 284.74938115554755 },
        { "sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, 1, 3, { 0.9, 0.05, 0.3 }, 1745.4752353795582 },
        { "sleepstudy", "Reaction ~ Days + (Days|Subject)", NULL, 0, 3, { 1.3, -0.2, 0.1 }, 1800.5980296618302 },
        /* a vector-valued second term: Lambda of the trailing block is not diagonal */
        { "Oats", "yield ~ nitro + (1|Variety:Block) + (nitro|Block)", NULL, 1, 4, { 0.6, 1.1, -0.4, 0.7 }, 595.36426150239993 }
    };
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lmm_frame *df = NULL;
        lmm_model *m = NULL;
        lmm_error err;
        char path[256];
        snprintf(path, sizeof path, "%s/%s.csv", TEST_DATA_DIR, cases[k].data);
        CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
        if (!df) continue;
        if (cases[k].relevel) CHECK(lmm_frame_relevel(df, "ID", cases[k].relevel, &err) == LMM_OK);
        CHECK(lmm_model_build(df, cases[k].formula, NULL, &m, &err) == LMM_OK);
        if (m) {
            /* the automatic path, then each forced one: the sparse supernodal
               factor only where every term after the first is scalar */
            int scalar_rest = 1, t;
            for (t = 1; t < m->nterms; t++) if (m->terms[t].ncol != 1) scalar_rest = 0;
            CHECK(m->ntheta == cases[k].ntheta);
            CHECK_CLOSE(lmm_model_objective(m, cases[k].theta, cases[k].reml), cases[k].want, 1e-11, 0);
            CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
            CHECK(lmm_model_factor(m) == LMM_FACTOR_DENSE);
            CHECK_CLOSE(lmm_model_objective(m, cases[k].theta, cases[k].reml), cases[k].want, 1e-11, 0);
            if (scalar_rest && m->nterms > 1) {
                CHECK(lmm_model_set_factor(m, LMM_FACTOR_SPARSE, &err) == LMM_OK);
                CHECK(lmm_model_factor(m) == LMM_FACTOR_SPARSE);
                CHECK_CLOSE(lmm_model_objective(m, cases[k].theta, cases[k].reml), cases[k].want, 1e-11, 0);
                {   /* a new response on the sparse path (its dense cross-products released), then
                       the dense path again (rebuilt from the supernodes): the same objective */
                    double *y2 = (double *)malloc(sizeof(double) * (size_t)m->nobs), fs, fd;
                    int i;
                    CHECK(y2 != NULL);
                    if (y2) {
                        for (i = 0; i < m->nobs; i++) y2[i] = m->y[i] + 0.25 * (i % 7) - 0.1 * (i % 3);
                        CHECK(lmm_model_set_response(m, y2, &err) == LMM_OK);
                        fs = lmm_model_objective(m, cases[k].theta, cases[k].reml);
                        CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
                        fd = lmm_model_objective(m, cases[k].theta, cases[k].reml);
                        CHECK(isfinite(fd) && fd != cases[k].want);
                        CHECK_CLOSE(fs, fd, 1e-11, 0);
                        free(y2);
                    }
                }
            } else {
                CHECK(lmm_model_set_factor(m, LMM_FACTOR_SPARSE, &err) == LMM_ERR_ARG);
                CHECK(strstr(err.message, "sparse factor") != NULL);
                CHECK(lmm_model_factor(m) == LMM_FACTOR_DENSE);
            }
            lmm_model_free(m);
        }
        lmm_frame_free(df);
    }
}

/* One model on both factors at one theta: objective (REML and ML), and the
   estimates, modes and conditional SDs of a fit stopped at that theta. */
static void compare_factor_paths(const lmm_frame *df, const char *formula, const double *theta)
{
    lmm_model *m = NULL;
    lmm_fit *f[2] = { NULL, NULL };
    lmm_error err;
    int k, i;
    CHECK(lmm_model_build(df, formula, NULL, &m, &err) == LMM_OK);
    if (!m) return;
    for (k = 0; k < 2; k++) {
        lmm_fit_options opts;
        memset(&opts, 0, sizeof opts);
        opts.factor = k == 0 ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE;
        opts.skip_convcheck = 1;
        opts.theta_start = theta;
        opts.optim.max_evals = 1;
        CHECK(lmm_model_fit(m, &opts, &f[k], &err) == LMM_OK);
        CHECK(lmm_model_factor(m) == (k == 0 ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE));
    }
    CHECK(lmm_model_set_factor(m, LMM_FACTOR_SPARSE, &err) == LMM_OK);
    {
        double s0 = lmm_model_objective(m, theta, 0), s1 = lmm_model_objective(m, theta, 1), d0, d1;
        CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
        d0 = lmm_model_objective(m, theta, 0); d1 = lmm_model_objective(m, theta, 1);
        CHECK(isfinite(d0) && isfinite(d1));
        CHECK_CLOSE(s0, d0, 1e-11, 0);
        CHECK_CLOSE(s1, d1, 1e-11, 0);
    }
    if (f[0] && f[1]) {
        CHECK_CLOSE(f[0]->criterion, f[1]->criterion, 1e-12, 0);
        for (i = 0; i < f[0]->p; i++) CHECK_CLOSE(f[0]->beta[i], f[1]->beta[i], 1e-10, 1e-12);
        for (i = 0; i < m->q; i++) {
            CHECK_CLOSE(f[0]->b[i], f[1]->b[i], 1e-9, 1e-12);
            CHECK(f[0]->b_condsd && f[1]->b_condsd);
            if (f[0]->b_condsd && f[1]->b_condsd) CHECK_CLOSE(f[0]->b_condsd[i], f[1]->b_condsd[i], 1e-10, 0);
        }
    }
    lmm_fit_free(f[0]); lmm_fit_free(f[1]);
    lmm_model_free(m);
}

/* A crossed design of the InstEval kind, small: 600 students rating 10 of 200
   teachers each, nearly all within their own of 10 departments, so a fill-reducing
   order pays and the automatic choice is the sparse factor. The dense factor
   (checked against lme4 above) is the reference: objectives at several theta,
   after a new response, and whole fits must agree. */
static void check_sparse_crossed(void)
{
    enum { NS = 600, NT = 200, ND = 10, PER = 10, N = NS * PER };
    static double s[N], d[N], dept[N], svc[N], y[N], y2[N];
    static const double thetas[4][3] = { { 1, 1, 1 }, { 0.3, 0.8, 0.1 }, { 2.5, 0.05, 1.7 }, { 0.7, 0, 0.4 } };
    double bs[NS], bt[NT], bd[ND], crit[2], th[2][3];
    lmm_rng rng;
    lmm_frame *df = NULL;
    lmm_model *m = NULL;
    lmm_error err;
    int i, j, k;
    lmm_rng_seed(&rng, 20261129);
    for (i = 0; i < NS; i++) bs[i] = 0.8 * lmm_rng_normal(&rng);
    for (i = 0; i < NT; i++) bt[i] = 0.5 * lmm_rng_normal(&rng);
    for (i = 0; i < ND; i++) bd[i] = 0.3 * lmm_rng_normal(&rng);
    for (i = 0, k = 0; i < NS; i++) {
        int home = i % ND;
        for (j = 0; j < PER; j++, k++) {
            int t = lmm_rng_uniform(&rng) < 0.98 ? home + ND * (int)lmm_rng_below(&rng, NT / ND) : (int)lmm_rng_below(&rng, NT);
            s[k] = i + 1; d[k] = t + 1; dept[k] = t % ND + 1; svc[k] = (double)lmm_rng_below(&rng, 2);
            y[k] = 3 + 0.2 * svc[k] + bs[i] + bt[t] + bd[t % ND] + lmm_rng_normal(&rng);
            y2[k] = 1 - 0.4 * svc[k] + 0.5 * bs[i] + 2 * bt[t] + lmm_rng_normal(&rng);
        }
    }
    CHECK(lmm_frame_new(N, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_add_numeric(df, "s", s, &err) == LMM_OK && lmm_frame_add_numeric(df, "d", d, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "dept", dept, &err) == LMM_OK && lmm_frame_add_numeric(df, "service", svc, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "s", &err) == LMM_OK && lmm_frame_as_factor(df, "d", &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "dept", &err) == LMM_OK);
    CHECK(lmm_model_build(df, "y ~ 1 + service + (1|s) + (1|d) + (1|dept)", NULL, &m, &err) == LMM_OK);
    if (!m) { lmm_frame_free(df); return; }
    CHECK(lmm_model_factor(m) == LMM_FACTOR_SPARSE);
    for (k = 0; k < 2; k++) {
        if (k == 1) CHECK(lmm_model_set_response(m, y2, &err) == LMM_OK);   /* the y row of the sparse copy too */
        for (i = 0; i < 4; i++) {
            double sparse, dense;
            CHECK(lmm_model_set_factor(m, LMM_FACTOR_AUTO, &err) == LMM_OK);
            sparse = lmm_model_objective(m, thetas[i], i % 2);
            CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
            dense = lmm_model_objective(m, thetas[i], i % 2);
            CHECK(isfinite(dense));
            CHECK_CLOSE(sparse, dense, 1e-12, 0);
        }
    }
    CHECK(lmm_model_set_response(m, y, &err) == LMM_OK);
    for (k = 0; k < 2; k++) {                    /* whole fits on either factor */
        lmm_fit_options opts;
        lmm_fit *fit = NULL;
        memset(&opts, 0, sizeof opts);
        opts.factor = k == 0 ? LMM_FACTOR_AUTO : LMM_FACTOR_DENSE;
        opts.skip_convcheck = 1;
        if (k == 0) CHECK(lmm_model_set_factor(m, LMM_FACTOR_AUTO, &err) == LMM_OK);
        CHECK(lmm_model_fit(m, &opts, &fit, &err) == LMM_OK);
        if (!fit) continue;
        CHECK(lmm_model_factor(m) == (k == 0 ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE));
        crit[k] = fit->criterion;
        for (i = 0; i < 3; i++) th[k][i] = fit->theta[i];
        lmm_fit_free(fit);
    }
    CHECK_CLOSE(crit[0], crit[1], 1e-10, 0);
    for (i = 0; i < 3; i++) CHECK_CLOSE(th[0][i], th[1][i], 0, 1e-4);
    {   /* the estimates at one theta: fixed effects, modes and conditional SDs
           (selected inversion on the sparse path, L^{-1} on the dense one) */
        lmm_fit *f[2] = { NULL, NULL };
        for (k = 0; k < 2; k++) {
            lmm_fit_options opts;
            memset(&opts, 0, sizeof opts);
            opts.factor = k == 0 ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE;
            opts.skip_convcheck = 1;
            opts.theta_start = th[0];
            opts.optim.max_evals = 1;
            CHECK(lmm_model_fit(m, &opts, &f[k], &err) == LMM_OK);
        }
        if (f[0] && f[1]) {
            CHECK(f[0]->b_condsd != NULL && f[1]->b_condsd != NULL);
            CHECK_CLOSE(f[0]->criterion, f[1]->criterion, 1e-12, 0);
            for (i = 0; i < f[0]->p; i++) CHECK_CLOSE(f[0]->beta[i], f[1]->beta[i], 1e-10, 1e-12);
            for (i = 0; i < m->q; i++) {
                CHECK_CLOSE(f[0]->b[i], f[1]->b[i], 1e-9, 1e-12);
                if (f[0]->b_condsd && f[1]->b_condsd) CHECK_CLOSE(f[0]->b_condsd[i], f[1]->b_condsd[i], 1e-10, 0);
            }
        }
        lmm_fit_free(f[0]); lmm_fit_free(f[1]);
    }
    lmm_model_free(m);
    {   /* a vector-valued first term (two columns per student), no fixed effects, two terms */
        static const double th5[5] = { 0.8, 0.3, 0.5, 0.6, 0.2 }, th2[2] = { 0.9, 0.4 }, th3[3] = { 0.7, 0.5, 0.3 };
        compare_factor_paths(df, "y ~ service + (service|s) + (1|d) + (1|dept)", th5);
        compare_factor_paths(df, "y ~ 0 + (1|s) + (1|d)", th2);
        compare_factor_paths(df, "y ~ service + (1|s) + (1|d) + (1|dept)", th3);
    }
    lmm_frame_free(df);
}

/* The sparse path's start (moment estimates of the variance ratios): in
   these balanced designs they are the ANOVA estimates, which REML reproduces
   when positive, so one evaluation already sits at lme4's theta; the dense
   path keeps lme4's start of 1. */
static void check_moment_start(void)
{
    static const char *const files[] = { "Penicillin_REML.json", "Pastes_REML.json", "Oats_REML.json" };
    size_t f;
    int k, i;
    for (f = 0; f < sizeof files / sizeof files[0]; f++) {
        char path[512];
        tj_node *ref;
        lmm_frame *df = NULL;
        lmm_error err = {0};
        snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, files[f]);
        ref = tj_parse_file(path);
        CHECK(ref != NULL);
        if (!ref) continue;
        snprintf(path, sizeof path, "%s/%s.csv", TEST_DATA_DIR, tj_str(tj_get(ref, "dataset")));
        CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
        for (k = 0; k < 2 && df; k++) {
            lmm_fit_options opts;
            lmm_fit *fit = NULL;
            memset(&opts, 0, sizeof opts);
            opts.factor = k == 0 ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE;
            opts.skip_convcheck = opts.skip_condvar = 1;
            opts.optim.max_evals = 1;
            CHECK(lmm_fit_formula(df, tj_str(tj_get(ref, "formula")), &opts, &fit, &err) == LMM_OK);
            if (!fit) continue;
            CHECK(fit->nevals == 1);
            for (i = 0; i < fit->ntheta; i++)
                if (k == 0) CHECK_REF(fit->theta[i], tj_num(tj_at(tj_get(ref, "theta"), i)));
                else CHECK(fit->theta[i] == 1.0);
            lmm_fit_free(fit);
        }
        lmm_frame_free(df);
        tj_free(ref);
    }
}

void test_fit(void)
{
    static const char *const files[] = {
        "pulp_REML.json", "pulp_ML.json", "Dyestuff_REML.json", "Dyestuff_ML.json",
        "Dyestuff2_REML.json", "Dyestuff2_ML.json", "Penicillin_REML.json", "Penicillin_ML.json",
        "Pastes_REML.json", "Pastes_ML.json", "Oats_REML.json", "Oats_ML.json",
        "sleepstudy_REML.json", "sleepstudy_ML.json", "sleepstudy_intercept_REML.json",
        "sleepstudy_intercept_ML.json", "sleepstudy_uncorr_REML.json", "sleepstudy_uncorr_ML.json",
        "soybean_sim_plot_ML.json", "soybean_sim_full_ML.json"
    };
    static const char *const sparse_files[] = {
        "Penicillin_REML.json", "Penicillin_ML.json", "Pastes_REML.json", "Pastes_ML.json",
        "Oats_REML.json", "Oats_ML.json", "sleepstudy_uncorr_REML.json", "sleepstudy_uncorr_ML.json",
        "soybean_sim_full_ML.json"
    };
    size_t i;
    check_objective_hand_value();
    check_devfun_values();
    for (i = 0; i < sizeof files / sizeof files[0]; i++) check_reference(files[i], LMM_FACTOR_AUTO);
    /* the crossed and nested designs once more on the sparse supernodal factor */
    for (i = 0; i < sizeof sparse_files / sizeof sparse_files[0]; i++) check_reference(sparse_files[i], LMM_FACTOR_SPARSE);
    check_sparse_crossed();
    check_moment_start();
}
