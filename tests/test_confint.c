/* lme4's confint for lmer fits against tests/data/confint/ (tests/data/confint.R): Wald
   intervals to 1e-8 at lme4's optimum, profile intervals within 1e-3 relative of lme4's
   spline-interpolated ones, each profile limit checked by an independent refit with the
   parameter held there (deviance = ML optimum + z^2), the printed matrices byte for byte,
   and bootstrap percentiles recomputed from a bootMer run of the test's own. */
#include "test.h"
#include "json.h"

static const char *const cases[] = {
    "sleepstudy_REML", "sleepstudy_ML", "sleepstudy_REML_90", "pulp_REML", "Penicillin_REML",
    "Pastes_REML", "Dyestuff_REML", "Dyestuff_REML_90", "Dyestuff2_REML", "sleepstudy_w_REML"
};
static double worst_profile_rel;   /* reported at the end */
static char worst_profile_what[96];

/* The text lmm_print_confint writes. */
static char *printed(const lmm_confint_result *r)
{
    FILE *f = tmpfile();
    char *s;
    if (!f) return NULL;
    lmm_print_confint(f, r);
    s = lmm_test_slurp(f);
    fclose(f);
    return s;
}

/* R's printed lines, joined with newlines. */
static void join_lines(const tj_node *arr, char *buf, size_t size)
{
    int i;
    buf[0] = 0;
    for (i = 0; i < tj_len(arr); i++) {
        strncat(buf, tj_str(tj_at(arr, i)), size - strlen(buf) - 2);
        strcat(buf, "\n");
    }
}

/* ---- the independent refits: the test's own parametrisation of scalar and 2x2 terms ---- */

typedef struct vctx {
    lmm_model *m;
    double sig0;              /* unit of the standard deviations and sigma */
    double *theta, *beta;
} vctx;

/* theta from (sd, cor, sd) per term and sigma; 1 when impossible. */
static int my_theta(const lmm_model *m, const double *sv, double sigma, double *theta)
{
    int k;
    for (k = 0; k < m->nterms; k++) {
        int o = m->terms[k].theta_offset;
        if (m->terms[k].ncol == 1) theta[o] = sv[o] / sigma;
        else if (m->terms[k].ncol == 2) {
            double rho = sv[o + 1];
            if (rho < -1 || rho > 1 || sv[o] < 0 || sv[o + 2] < 0) return 1;
            theta[o] = sv[o] / sigma;
            theta[o + 1] = rho * sv[o + 2] / sigma;
            theta[o + 2] = sqrt(1 - rho * rho) * sv[o + 2] / sigma;
        } else return 1;
    }
    return 0;
}

/* The ML deviance at (sd/cor, sigma), from the public profiled deviance and sigma-hat:
   D(theta, s) = D(theta) - n (1 + log(2 pi s2)) + n s2 / s^2 + n log(2 pi s^2), s2 = sigma-hat(theta)^2. */
static double my_dev(const double *x, void *ctx)
{
    vctx *c = (vctx *)ctx;
    lmm_model *m = c->m;
    int nth = m->ntheta, i, n = m->nobs;
    double sv[16], sigma = x[nth] * c->sig0, obj, sh, s2;
    const double two_pi = 6.283185307179586;
    for (i = 0; i < nth; i++) sv[i] = x[i];
    for (i = 0; i < m->nterms; i++) {
        int o = m->terms[i].theta_offset;
        sv[o] *= c->sig0;
        if (m->terms[i].ncol == 2) sv[o + 2] *= c->sig0;
    }
    if (!(sigma > 0) || my_theta(m, sv, sigma, c->theta)) return HUGE_VAL;
    obj = lmm_model_objective(m, c->theta, 0);
    if (lmm_model_beta_at(m, c->theta, 0, c->beta, NULL, &sh, NULL) != LMM_OK) return HUGE_VAL;
    s2 = sh * sh;
    return obj - n * (1 + log(two_pi * s2)) + n * s2 / (sigma * sigma) + n * log(two_pi * sigma * sigma);
}

/* Minimum ML deviance with variance parameter w (0..nth-1 sd/cor, nth sigma) held at v. */
static double dev_var_fixed(const lmm_fit *ml, int w, double v)
{
    lmm_model *m = ml->model;
    int nth = m->ntheta, i, k, round;
    double x[17], lo[17], hi[17], theta[16], beta[16];
    vctx c;
    lmm_optim_options oo;
    lmm_optim_result res;
    c.m = m; c.sig0 = ml->sigma; c.theta = theta; c.beta = beta;
    for (i = 0; i <= nth; i++) { lo[i] = 0; hi[i] = HUGE_VAL; }
    for (k = 0; k < m->nterms; k++) {   /* start at the ML optimum */
        int o = m->terms[k].theta_offset;
        const double *t = ml->theta + o;
        x[o] = t[0];
        if (m->terms[k].ncol == 2) {
            double s2 = sqrt(t[1] * t[1] + t[2] * t[2]);
            x[o + 1] = s2 > 0 ? t[1] / s2 : 0; lo[o + 1] = -1; hi[o + 1] = 1;
            x[o + 2] = s2;
        }
    }
    x[nth] = 1;
    {
        int is_cor = 0;
        for (k = 0; k < m->nterms; k++) if (m->terms[k].ncol == 2 && w == m->terms[k].theta_offset + 1) is_cor = 1;
        x[w] = lo[w] = hi[w] = is_cor ? v : v / ml->sigma;
    }
    memset(&oo, 0, sizeof oo);
    oo.rho_end = 1e-10;
    for (round = 0; round < 3; round++)
        if (lmm_minimize(nth + 1, x, lo, hi, my_dev, &c, &oo, NULL, &res, NULL) != LMM_OK) return NAN;
    return res.fmin;
}

/* ML deviance of the refit with beta_j held at v: X without column j, y - v x_j. */
static double dev_beta_fixed(const lmm_frame *df, const char *formula, const lmm_model_options *mo, int j, double v)
{
    lmm_model *m = NULL;
    lmm_fit *f = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_matrix Xd;
    lmm_fit_options fo;
    double *y, dev = NAN;
    int n, p, a, i, c = 0;
    if (lmm_model_build(df, formula, mo, &m, &err) != LMM_OK) return NAN;
    n = m->nobs; p = m->X->ncol;
    y = (double *)malloc(sizeof(double) * (size_t)n);
    memset(&Xd, 0, sizeof Xd);
    Xd.nrow = n; Xd.ncol = p - 1;
    Xd.v = (double *)malloc(sizeof(double) * (size_t)n * (size_t)(p > 1 ? p - 1 : 1));
    Xd.colnames = (char **)calloc((size_t)(p > 1 ? p - 1 : 1), sizeof(char *));
    for (i = 0; i < n; i++) y[i] = m->y[i] - v * m->X->v[(size_t)j * n + i];
    for (a = 0; a < p; a++) {
        if (a == j) continue;
        memcpy(Xd.v + (size_t)c * n, m->X->v + (size_t)a * n, sizeof(double) * (size_t)n);
        Xd.colnames[c++] = m->X->colnames[a];
    }
    memset(&fo, 0, sizeof fo);
    fo.ml = 1; fo.skip_condvar = 1; fo.skip_convcheck = 1;
    fo.optim.rho_end = 1e-9;
    if (lmm_model_set_X(m, &Xd, &err) == LMM_OK && lmm_model_set_response(m, y, &err) == LMM_OK &&
        lmm_model_fit(m, &fo, &f, &err) == LMM_OK)
        dev = f->deviance;
    else fprintf(stderr, "  refit with beta_%d fixed: %s\n", j + 1, err.message);
    lmm_fit_free(f);
    lmm_model_free(m);
    free(y); free(Xd.v); free(Xd.colnames);
    return dev;
}

static void check_case(const char *name)
{
    char path[512], want[4096];
    tj_node *ref, *lref;
    const tj_node *names;
    lmm_frame *df;
    lmm_fit *fit = NULL, *ml = NULL;
    lmm_fit_options fo;
    lmm_confint_options co;
    lmm_confint_result *r = NULL;
    lmm_error err = {LMM_OK, ""};
    const char *formula, *weights;
    double level, z;
    int i, nth, reml;
    char *got;
    snprintf(path, sizeof path, "%s/confint/%s.json", TEST_DATA_DIR, name);
    if (!(ref = tj_parse_file(path))) { CHECK(0); return; }
    df = lmm_test_read_csv(tj_str(tj_get(ref, "data")));
    formula = tj_str(tj_get(ref, "formula"));
    level = tj_num(tj_get(ref, "level"));
    reml = (int)tj_num(tj_get(ref, "reml"));
    names = tj_get(ref, "names");
    z = lmm_qnorm((1 + level) / 2, 0, 1, 1, 0);
    weights = tj_get(ref, "weights") ? tj_str(tj_get(ref, "weights")) : NULL;
    memset(&fo, 0, sizeof fo);
    fo.ml = !reml;
    fo.model.weights_column = weights;
    CHECK(df && lmm_fit_formula(df, formula, &fo, &fit, &err) == LMM_OK);
    fo.ml = 1;
    CHECK(lmm_fit_formula(df, formula, &fo, &ml, &err) == LMM_OK);
    if (!fit || !ml) goto done;
    nth = fit->ntheta;
    memset(&co, 0, sizeof co);
    co.level = level;

    /* Wald at our optimum (which sits within ~1e-6 of lme4's) */
    co.method = LMM_CONFINT_WALD;
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_OK);
    if (!r) goto done;
    CHECK(r->n == tj_len(names));
    for (i = 0; i < r->n && i < tj_len(names); i++) {
        CHECK_STR(r->names[i], tj_str(tj_at(names, i)));
        CHECK_STR(r->columns[0], tj_str(tj_at(tj_get(ref, "columns"), 0)));
        CHECK_STR(r->columns[1], tj_str(tj_at(tj_get(ref, "columns"), 1)));
        if (i <= nth) { CHECK(isnan(r->lower[i]) && isnan(r->upper[i])); continue; }
        CHECK_CLOSE(r->lower[i], tj_num(tj_at(tj_get(ref, "wald_lower"), i)), 1e-5, 0);
        CHECK_CLOSE(r->upper[i], tj_num(tj_at(tj_get(ref, "wald_upper"), i)), 1e-5, 0);
    }
    lmm_confint_free(r); r = NULL;
    /* ... and at lme4's optimum (its theta from the fit's reference file), the method alone: 1e-8 */
    snprintf(path, sizeof path, "%s/%.*s_%s.json", TEST_DATA_DIR, (int)(strchr(tj_str(tj_get(ref, "data")), '.') - tj_str(tj_get(ref, "data"))),
             tj_str(tj_get(ref, "data")), reml ? "REML" : "ML");
    if (weights) lref = NULL;   /* no reference theta for the weighted fit: our optimum's pass only */
    else if (!(lref = tj_parse_file(path))) CHECK(0);
    if (lref) {
        const tj_node *th = tj_get(lref, "theta");
        double theta[16];
        CHECK_STR(tj_str(tj_get(lref, "formula")), formula);
        for (i = 0; i < nth; i++) theta[i] = tj_num(tj_at(th, i));
        CHECK(lmm_model_beta_at(fit->model, theta, reml, fit->beta, fit->vcov, NULL, &err) == LMM_OK);
        CHECK(lmm_confint(fit, &co, &r, &err) == LMM_OK);
        for (i = nth + 1; r && i < r->n; i++) {
            CHECK_CLOSE(r->lower[i], tj_num(tj_at(tj_get(ref, "wald_lower"), i)), 1e-8, 0);
            CHECK_CLOSE(r->upper[i], tj_num(tj_at(tj_get(ref, "wald_upper"), i)), 1e-8, 0);
        }
        if (r) {   /* R's print of the matrix, NA rows and all */
            join_lines(tj_get(ref, "wald_printed"), want, sizeof want);
            got = printed(r);
            CHECK_STR(got, want);
            free(got);
        }
        lmm_confint_free(r); r = NULL;
        tj_free(lref);
        lmm_fit_free(fit); fit = NULL;   /* its beta and vcov are lme4's now: refit */
        fo.ml = !reml;
        CHECK(lmm_fit_formula(df, formula, &fo, &fit, &err) == LMM_OK);
        if (!fit) goto done;
    }

    /* profile */
    co.method = LMM_CONFINT_PROFILE;
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_OK);
    if (!r) goto done;
    CHECK(r->n == tj_len(names));
    for (i = 0; i < r->n && i < tj_len(names); i++) {
        int side;
        for (side = 0; side < 2; side++) {
            double g = side ? r->upper[i] : r->lower[i];
            double w = tj_num(tj_at(tj_get(ref, side ? "profile_upper" : "profile_lower"), i));
            double rel = w != 0 ? fabs(g - w) / fabs(w) : fabs(g - w);
            /* lme4 1.1-31's fixed-effect profiles of weighted fits are wrong (see confint.R):
               there the independent refit below is the check */
            if (!weights || i <= nth) CHECK_CLOSE(g, w, 1e-3, 1e-4);
            if ((!weights || i <= nth) && rel > worst_profile_rel) {
                worst_profile_rel = rel;
                snprintf(worst_profile_what, sizeof worst_profile_what, "%s %s %s", name, r->names[i], side ? "upper" : "lower");
            }
            /* the exact crossing: an independent refit with the parameter held at the limit */
            if (g == 0 && i < nth) continue;   /* a standard deviation whose profile reaches 0 inside z */
            {
                double dev = i <= nth ? dev_var_fixed(ml, i, g) : dev_beta_fixed(df, formula, &fo.model, i - nth - 1, g);
                CHECK_CLOSE(dev - ml->deviance, z * z, 0, 1e-6);
            }
        }
    }
    /* the estimates profiled around are the ML fit's */
    CHECK_CLOSE(r->estimate[nth], ml->sigma, 1e-6, 0);   /* two ML optima: the optimizer's tolerance apart */
    CHECK_CLOSE(r->estimate[nth + 1], ml->beta[0], 1e-6, 0);
    /* R's print, fed R's own numbers (ours differ in the 5th digit or beyond) */
    for (i = 0; i < r->n; i++) {
        r->lower[i] = tj_num(tj_at(tj_get(ref, "profile_lower"), i));
        r->upper[i] = tj_num(tj_at(tj_get(ref, "profile_upper"), i));
    }
    join_lines(tj_get(ref, "printed"), want, sizeof want);
    got = printed(r);
    CHECK_STR(got, want);
    free(got);
    /* the model is left at the fit's own estimates */
    {
        double beta[16], sigma;
        CHECK(lmm_model_beta_at(fit->model, fit->theta, fit->reml, beta, NULL, &sigma, &err) == LMM_OK);
        CHECK_CLOSE(beta[0], fit->beta[0], 1e-12, 1e-12);
    }
done:
    lmm_confint_free(r);
    lmm_fit_free(fit); lmm_fit_free(ml);
    lmm_frame_free(df);
    tj_free(ref);
}

/* ---- boot ---- */

static void my_stat(const lmm_fit *f, void *user, double *out)
{
    (void)user;   /* scalar terms: sd = sigma theta */
    out[0] = f->sigma * f->theta[0];
    out[1] = f->sigma;
    out[2] = f->beta[0];
}

/* boot's percentile interval endpoint, written out: order statistics interpolated on the normal scale */
static double my_perc(double *t, int R, double alpha)
{
    double rk = (R + 1) * alpha, lo, hi;
    int k = (int)floor(rk), a, b;
    for (a = 1; a < R; a++)   /* insertion sort: small R */
        for (b = a; b > 0 && t[b - 1] > t[b]; b--) { double s = t[b]; t[b] = t[b - 1]; t[b - 1] = s; }
    if (k == rk) return t[k - 1];
    if (k < 1) return t[0];
    if (k >= R) return t[R - 1];
    lo = lmm_qnorm(k / (R + 1.0), 0, 1, 1, 0);
    hi = lmm_qnorm((k + 1) / (R + 1.0), 0, 1, 1, 0);
    return t[k - 1] + (lmm_qnorm(alpha, 0, 1, 1, 0) - lo) / (hi - lo) * (t[k] - t[k - 1]);
}

static void check_boot(void)
{
    lmm_frame *df = lmm_test_read_csv("pulp.csv");
    lmm_fit *fit = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_confint_options co;
    lmm_confint_result *r = NULL, *wald = NULL, *big = NULL;
    double mine[99 * 3], col[99];
    int i, b, nsim = 99;
    CHECK(df && lmm_fit_formula(df, "bright ~ 1 + (1|operator)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { lmm_frame_free(df); return; }
    memset(&co, 0, sizeof co);
    co.method = LMM_CONFINT_BOOT; co.nsim = nsim; co.seed = 42;
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_OK);
    /* the same replicates from lmm_bootmer with the test's own statistic */
    CHECK(lmm_bootmer(fit, nsim, 42, 0, my_stat, 3, NULL, mine, NULL, &err) == LMM_OK);
    if (r) {
        CHECK(r->n == 3 && r->nsim == nsim && r->nvalid == nsim);
        for (i = 0; i < 3; i++) {
            for (b = 0; b < nsim; b++) {
                CHECK_CLOSE(r->replicates[b * 3 + i], mine[b * 3 + i], 1e-12, 1e-12);
                col[b] = mine[b * 3 + i];
            }
            CHECK_CLOSE(r->lower[i], my_perc(col, nsim, 0.025), 1e-12, 1e-12);
            CHECK_CLOSE(r->upper[i], my_perc(col, nsim, 0.975), 1e-12, 1e-12);
            CHECK(r->lower[i] <= r->estimate[i] + 1e-12 || i == 0);
        }
        CHECK_STR(r->columns[0], "2.5 %");
    }
    /* the same run in two shards, merged in either order: the same table and limits */
    {
        lmm_confint_result *sh[3] = {NULL, NULL, NULL}, *mg = NULL;
        co.first = 40; co.last = 0;
        CHECK(lmm_confint(fit, &co, &sh[0], &err) == LMM_OK);
        co.first = 0; co.last = 40;
        CHECK(lmm_confint(fit, &co, &sh[1], &err) == LMM_OK);
        co.first = 30; co.last = 50;
        CHECK(lmm_confint(fit, &co, &sh[2], &err) == LMM_OK);
        if (sh[0] && sh[1] && sh[2] && r) {
            CHECK(sh[0]->first == 40 && sh[0]->last == nsim && isnan(sh[0]->lower[0]));
            CHECK(lmm_confint_merge(sh, 2, &mg, &err) == LMM_OK);
            if (mg) {
                CHECK(mg->nvalid == r->nvalid && mg->first == 0 && mg->last == nsim);
                CHECK(memcmp(mg->replicates, r->replicates, sizeof(double) * 3 * (size_t)nsim) == 0);
                for (i = 0; i < 3; i++) CHECK(mg->lower[i] == r->lower[i] && mg->upper[i] == r->upper[i]);
            }
            lmm_confint_free(mg); mg = NULL;
            CHECK(lmm_confint_merge(sh, 1, &mg, &err) == LMM_ERR_ARG && mg == NULL);   /* a gap */
            CHECK(strstr(err.message, "59 of 99") != NULL);
            CHECK(lmm_confint_merge(sh, 3, &mg, &err) == LMM_ERR_ARG && strstr(err.message, "overlap"));
        }
        for (i = 0; i < 3; i++) lmm_confint_free(sh[i]);
        co.first = 99;
        CHECK(lmm_confint(fit, &co, &mg, &err) == LMM_ERR_ARG && mg == NULL);
        co.first = co.last = 0;
    }
    /* one parameter, by name; same seed, same interval */
    co.parm = "(Intercept)";
    CHECK(lmm_confint(fit, &co, &big, &err) == LMM_OK);
    if (big && r) {
        CHECK(big->n == 1);
        CHECK_CLOSE(big->lower[0], r->lower[2], 1e-12, 0);
        CHECK_CLOSE(big->upper[0], r->upper[2], 1e-12, 0);
    }
    lmm_confint_free(big); big = NULL;
    /* with many replicates the intercept's percentile interval approaches the Wald one */
    co.parm = "beta_"; co.nsim = 2000; co.seed = 7;
    CHECK(lmm_confint(fit, &co, &big, &err) == LMM_OK);
    co.method = LMM_CONFINT_WALD; co.parm = NULL;
    CHECK(lmm_confint(fit, &co, &wald, &err) == LMM_OK);
    if (big && wald) {
        double w = wald->upper[2] - wald->lower[2];
        CHECK(big->n == 1);
        CHECK(fabs(big->lower[0] - wald->lower[2]) < 0.15 * w);
        CHECK(fabs(big->upper[0] - wald->upper[2]) < 0.15 * w);
    }
    lmm_confint_free(big); lmm_confint_free(wald); lmm_confint_free(r);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

static void check_bad_input(void)
{
    lmm_frame *df = lmm_test_read_csv("pulp.csv");
    lmm_fit *fit = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_confint_options co;
    lmm_confint_result *r = (lmm_confint_result *)&err;
    CHECK(df && lmm_fit_formula(df, "bright ~ 1 + (1|operator)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { lmm_frame_free(df); return; }
    memset(&co, 0, sizeof co);
    co.level = 1.5;
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_ERR_ARG && r == NULL);
    CHECK(strstr(err.message, "not in (0, 1)") != NULL);
    co.level = -0.1;
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_ERR_ARG);
    co.level = 0.95; co.method = (lmm_confint_method)7;
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_ERR_ARG);
    co.method = LMM_CONFINT_WALD; co.parm = "nope";
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_ERR_ARG && strstr(err.message, "nope"));
    CHECK(lmm_confint(NULL, &co, &r, &err) == LMM_ERR_ARG);
    {   /* an allocation failure anywhere is LMM_ERR_NOMEM with no result (and no leak) */
        int m, k, st = LMM_ERR_NOMEM, nomem_ok = 1;
        for (m = 0; m < 3; m++) {
            memset(&co, 0, sizeof co);
            co.method = (lmm_confint_method)m; co.nsim = 5;
            for (k = 0, st = LMM_ERR_NOMEM; k < 400 && st == LMM_ERR_NOMEM; k++) {
                r = NULL;
                lmm_test_fail_after = lmm_test_allocs + k;
                st = lmm_confint(fit, &co, &r, &err);
                lmm_test_fail_after = -1;
                if (st != LMM_OK && r != NULL) nomem_ok = 0;
                lmm_confint_free(r);
            }
            CHECK(st == LMM_OK && k > 1 && nomem_ok);
        }
    }
    memset(&co, 0, sizeof co);
    co.method = LMM_CONFINT_WALD;
    co.parm = "theta_";   /* the variance parameters only */
    CHECK(lmm_confint(fit, &co, &r, &err) == LMM_OK && r && r->n == 2);
    if (r) CHECK_STR(r->names[1], ".sigma");
    lmm_confint_free(r);
    lmm_confint_free(NULL);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

/* The profile on the sparse factor path equals the dense one (Penicillin's crossed terms). */
static void check_factor_paths(void)
{
    lmm_frame *df = lmm_test_read_csv("Penicillin.csv");
    lmm_fit *fit[2] = {NULL, NULL};
    lmm_confint_result *r[2] = {NULL, NULL};
    lmm_error err = {LMM_OK, ""};
    lmm_fit_options fo;
    int k, i;
    memset(&fo, 0, sizeof fo);
    for (k = 0; k < 2 && df; k++) {
        fo.factor = k ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE;
        CHECK(lmm_fit_formula(df, "diameter ~ 1 + (1|plate) + (1|sample)", &fo, &fit[k], &err) == LMM_OK);
        CHECK(fit[k] && lmm_confint(fit[k], NULL, &r[k], &err) == LMM_OK);
    }
    if (r[0] && r[1]) {
        CHECK(lmm_model_factor(fit[1]->model) == LMM_FACTOR_SPARSE && lmm_model_factor(fit[0]->model) == LMM_FACTOR_DENSE);
        for (i = 0; i < r[0]->n; i++) {
            CHECK_CLOSE(r[1]->lower[i], r[0]->lower[i], 1e-7, 0);
            CHECK_CLOSE(r[1]->upper[i], r[0]->upper[i], 1e-7, 0);
        }
    }
    for (k = 0; k < 2; k++) { lmm_confint_free(r[k]); lmm_fit_free(fit[k]); }
    lmm_frame_free(df);
}

void test_confint(void)
{
    size_t k;
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) check_case(cases[k]);
    fprintf(stderr, "  confint: largest profile difference from lme4 %.2g relative (%s)\n", worst_profile_rel, worst_profile_what);
    check_factor_paths();
    check_boot();
    check_bad_input();
}
