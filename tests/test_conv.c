/* Convergence diagnostics (lme4's checkConv): the finite-difference gradient
   against the closed-form REML criterion of a balanced one-way design, clean
   fits pass, boundary fits are exempt, an evaluation limit is reported. */
#include "test.h"

static const double pulp_y[20] = { 59.8, 59.8, 60.7, 61, 60, 60.2, 60.7, 60.8, 60.8, 60.4,
                                   60.5, 60.6, 60.8, 59.9, 60.9, 60.5, 59.8, 60, 60.3, 60.5 };

/* pulp's REML criterion at theta: |L|^2 = a^4, |R_X|^2 = 20/a, a = 1 + 5 theta^2. */
static double pulp_reml(double theta)
{
    double gm[4] = { 0, 0, 0, 0 }, ybar = 0, ssw = 0, ssb = 0, a = 1 + 5 * theta * theta, pw;
    int i, j;
    for (i = 0; i < 20; i++) { ybar += pulp_y[i] / 20; gm[i % 4] += pulp_y[i] / 5; }
    for (i = 0; i < 20; i++) ssw += (pulp_y[i] - gm[i % 4]) * (pulp_y[i] - gm[i % 4]);
    for (j = 0; j < 4; j++) ssb += 5 * (gm[j] - ybar) * (gm[j] - ybar);
    pw = ssw + ssb / a;
    return 4 * log(a) + log(20 / a) + 19 * (1 + log(2 * 3.14159265358979323846 * pw / 19));
}

static lmm_fit *fit_file(const char *file, const char *formula, const lmm_fit_options *o)
{
    char path[256];
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, file);
    if (lmm_frame_read_csv(path, &df, &err) == LMM_OK) lmm_fit_formula(df, formula, o, &fit, &err);
    lmm_frame_free(df);
    return fit;
}

/* The summary as printed, into buf (NUL-terminated, truncated to size). */
static void summary_text(const lmm_fit *fit, char *buf, size_t size)
{
    FILE *f = tmpfile();
    size_t n = 0;
    buf[0] = '\0';
    if (!f) return;
    lmm_print_summary(f, fit, NULL);
    rewind(f);
    n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* A refit's convergence warning and flags are its own: a coarse final radius
   (rho_end 0.1) stops sleepstudy's fit from lme4's start with max|grad| far
   above 0.002 (lme4's warning); a refit from the tight optimum converges
   cleanly and must print nothing of the first warning, and a refit onto a new
   response from the start gets the warning back. Dyestuff and Dyestuff2 share
   their design: refitting one's fit on the other's response flips singular. */
static void check_refit_warnings(void)
{
    lmm_fit_options o;
    lmm_fit *tight, *fit;
    lmm_convergence c;
    lmm_error err;
    double start[3] = { 1, 0, 1 }, *y2;
    char text[4096];
    int i;
    tight = fit_file("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", NULL);
    memset(&o, 0, sizeof o);
    o.optim.rho_end = 0.1;
    fit = fit_file("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", &o);
    CHECK(tight != NULL && fit != NULL);
    if (tight && fit) {
        CHECK(tight->warning[0] == '\0' && tight->converged);
        /* one rule: a warning means not converged, whatever stopped the optimizer */
        CHECK(!fit->converged && fit->optimizer_code == 0);
        CHECK(strstr(fit->warning, "Model failed to converge with max|grad| = ") != NULL);
        CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
        CHECK(!c.ok && c.max_grad > 0.05);
        CHECK_STR(fit->warning, c.message);
        summary_text(fit, text, sizeof text);
        CHECK(strstr(text, "Model failed to converge") != NULL);
        /* from the optimum: clean, and the summary shows no stale warning */
        CHECK(lmm_fit_refit(fit, NULL, tight->theta, &err) == LMM_OK);
        CHECK(fit->converged);
        CHECK_STR(fit->warning, "");
        CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
        CHECK(c.ok && c.max_grad < 0.002);
        summary_text(fit, text, sizeof text);
        CHECK(strstr(text, "Model failed to converge") == NULL);
        CHECK(strstr(text, "convergence code") == NULL);
        /* onto a new response (2y + 3: the same theta path) from the start: warned again */
        y2 = (double *)malloc(sizeof(double) * (size_t)fit->nobs);
        if (y2) {
            for (i = 0; i < fit->nobs; i++) y2[i] = 2 * fit->model->y[i] + 3;
            CHECK(lmm_fit_refit(fit, y2, start, &err) == LMM_OK);
            CHECK(strstr(fit->warning, "Model failed to converge with max|grad| = ") != NULL);
            CHECK(!fit->converged);
            CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
            CHECK(!c.ok);
            CHECK_STR(fit->warning, c.message);
            summary_text(fit, text, sizeof text);
            CHECK(strstr(text, fit->warning) != NULL);
            free(y2);
        }
    }
    lmm_fit_free(tight);
    lmm_fit_free(fit);
    /* singular is recomputed: Dyestuff's fit refitted on Dyestuff2's response and back */
    tight = fit_file("Dyestuff2.csv", "Yield ~ 1 + (1|Batch)", NULL);
    fit = fit_file("Dyestuff.csv", "Yield ~ 1 + (1|Batch)", NULL);
    CHECK(tight != NULL && fit != NULL);
    if (tight && fit) {
        double *y = (double *)malloc(sizeof(double) * (size_t)fit->nobs);
        CHECK(tight->singular && !fit->singular && fit->nobs == tight->nobs);
        if (y) {
            memcpy(y, fit->model->y, sizeof(double) * (size_t)fit->nobs);
            CHECK(lmm_fit_refit(fit, tight->model->y, NULL, &err) == LMM_OK);
            CHECK(fit->singular && fit->warning[0] == '\0');
            CHECK_CLOSE(fit->criterion, tight->criterion, 1e-8, 0);
            summary_text(fit, text, sizeof text);
            CHECK(strstr(text, "boundary (singular) fit") != NULL);
            CHECK(lmm_fit_refit(fit, y, start, &err) == LMM_OK);
            CHECK(!fit->singular && fit->converged && fit->warning[0] == '\0');
            summary_text(fit, text, sizeof text);
            CHECK(strstr(text, "boundary (singular) fit") == NULL);
            free(y);
        }
    }
    lmm_fit_free(tight);
    lmm_fit_free(fit);
}

/* Over-specified models, (1|g) beside (0 + f|g): lme4's default fits
   (tests/data/overspec_lme4.csv, from overspec.R) are the bar, and one flag
   rule holds: converged exactly when no warning, and the summary prints the
   warning exactly then. Machines ML used to stop in a boundary basin (220.58);
   from that point the mirrored-column edge probe must reach lme4's optimum. */
static void check_overspecified(void)
{
    lmm_frame *cases = lmm_test_read_csv("overspec_lme4.csv");
    const double stuck[7] = { 3.849084695255172, 0, -5.487057171282947, -0.9420111698355254,
                              1.1580890119766127, 0.5958168095534255, 3.2690664021665623 };
    char text[4096];
    lmm_error err;
    int r, cf, cfo, creml, ccrit;
    CHECK(cases != NULL);
    if (!cases) return;
    cf = lmm_frame_find(cases, "file"); cfo = lmm_frame_find(cases, "formula");
    creml = lmm_frame_find(cases, "reml"); ccrit = lmm_frame_find(cases, "criterion");
    CHECK(cases->nrow == 8 && cf >= 0 && cfo >= 0 && creml >= 0 && ccrit >= 0);
    for (r = 0; r < cases->nrow && cf >= 0 && cfo >= 0 && creml >= 0 && ccrit >= 0; r++) {
        const char *file = cases->cols[cf].levels[cases->cols[cf].codes[r]];
        const char *formula = cases->cols[cfo].levels[cases->cols[cfo].codes[r]];
        double lme4 = cases->cols[ccrit].num[r];
        lmm_fit_options o;
        lmm_fit *fit;
        memset(&o, 0, sizeof o);
        o.ml = cases->cols[creml].num[r] == 0;
        fit = fit_file(file, formula, &o);
        CHECK(fit != NULL);
        if (!fit) continue;
        if (!(fit->criterion - lme4 <= 1e-6 * fabs(lme4)))
            printf("  %s %s %s: %.10f above lme4's %.10f\n", file, formula, o.ml ? "ML" : "REML", fit->criterion, lme4);
        CHECK(fit->criterion - lme4 <= 1e-6 * fabs(lme4));
        CHECK(fit->converged == (fit->warning[0] == '\0') && fit->optimizer_code == 0);
        summary_text(fit, text, sizeof text);
        if (fit->warning[0]) {
            char first[128];
            size_t k = strcspn(fit->warning, "\n");
            memcpy(first, fit->warning, k < sizeof first ? k : sizeof first - 1);
            first[k < sizeof first ? k : sizeof first - 1] = '\0';
            CHECK(strstr(text, first) != NULL);
        } else
            CHECK(strstr(text, "Model failed") == NULL && strstr(text, "unidentifiable") == NULL);
        /* sleepstudy_f: lme4 stops a full unit short of this optimum */
        if (strcmp(file, "sleepstudy_f.csv") == 0 && !o.ml) CHECK(fit->criterion < lme4 - 0.9);
        if (strcmp(file, "Machines.csv") == 0 && o.ml) {
            CHECK(lmm_fit_refit(fit, NULL, stuck, &err) == LMM_OK);
            CHECK(fit->criterion - lme4 <= 1e-6 * fabs(lme4));
            CHECK(fit->theta[1] > 1);           /* off the boundary it started on */
        }
        lmm_fit_free(fit);
    }
    lmm_frame_free(cases);
}

void test_conv(void)
{
    lmm_convergence c;
    lmm_error err;
    lmm_fit *fit = fit_file("pulp.csv", "bright ~ 1 + (1|operator)", NULL);
    CHECK(fit != NULL);
    if (fit) {
        double theta_hat = fit->theta[0], h = 1e-3, g, H, want, crit = fit->criterion;
        CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
        CHECK(c.ok && c.converged && !c.singular && c.nfree == 1);
        CHECK(c.max_grad < 1e-4);
        CHECK(c.message[0] == '\0');
        CHECK(fit->warning[0] == '\0');
        /* away from the optimum: lme4's statistic min(|g| / sqrt(H), |g|) from the closed form */
        fit->theta[0] = 0.5;
        g = (pulp_reml(0.5 + h) - pulp_reml(0.5 - h)) / (2 * h);
        H = (pulp_reml(0.5 + h) - 2 * pulp_reml(0.5) + pulp_reml(0.5 - h)) / (h * h);
        want = fabs(g) / sqrt(H) < fabs(g) ? fabs(g) / sqrt(H) : fabs(g);
        CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
        CHECK_CLOSE(c.max_grad, want, 1e-5, 0);
        CHECK(!c.ok && c.component == 1);
        CHECK(strstr(c.message, "Model failed to converge with max|grad| = ") != NULL);
        CHECK(strstr(c.message, "(tol = 0.002, component 1)") != NULL);
        /* the check leaves the estimates alone */
        fit->theta[0] = theta_hat;
        CHECK(fit->criterion == crit);
        CHECK(lmm_fit_check_convergence(NULL, 0, &c, &err) == LMM_ERR_ARG);
        lmm_fit_free(fit);
    }
    fit = fit_file("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", NULL);
    CHECK(fit != NULL);
    if (fit) {
        CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
        CHECK(c.ok && c.nfree == 3 && c.negative_eigen == 0);
        CHECK(c.max_grad < 2e-3);
        {   /* away from the optimum, lme4's deriv12 done here with its four-point cross terms
               (the check takes two a pair from its diagonal steps): the scaled-gradient statistic */
            double th0[3] = {0.8, 0.05, 0.2}, th[3], f0, fp[3], fm[3], G[3], Hm[9], Lc[9], z[3], want = 0;
            const double d = 1e-4;
            int i, j, k, comp = 0;
            memcpy(fit->theta, th0, sizeof th0);
            f0 = lmm_model_objective(fit->model, th0, 1);
            for (i = 0; i < 3; i++) {
                memcpy(th, th0, sizeof th); th[i] += d; fp[i] = lmm_model_objective(fit->model, th, 1);
                memcpy(th, th0, sizeof th); th[i] -= d; fm[i] = lmm_model_objective(fit->model, th, 1);
                G[i] = (fp[i] - fm[i]) / (2 * d);
                Hm[i + 3 * i] = (fp[i] - 2 * f0 + fm[i]) / (d * d);
                for (j = 0; j < i; j++) {
                    double s[4], sg[4][2] = {{1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
                    for (k = 0; k < 4; k++) {
                        memcpy(th, th0, sizeof th); th[i] += sg[k][0] * d; th[j] += sg[k][1] * d;
                        s[k] = lmm_model_objective(fit->model, th, 1);
                    }
                    Hm[i + 3 * j] = Hm[j + 3 * i] = (s[0] - s[1] - s[2] + s[3]) / (4 * d * d);
                }
            }
            /* H = L L' = R'R; lme4's solve(chol(H), g) is R^-1 g = L'^-1 g */
            memcpy(Lc, Hm, sizeof Lc);
            memcpy(z, G, sizeof z);
            CHECK(lmm_chol(3, Lc, 3) == 0);
            lmm_trsv_lower(3, Lc, 3, z, 1);
            for (i = 0; i < 3; i++) {
                double a = fabs(z[i]) < fabs(G[i]) ? fabs(z[i]) : fabs(G[i]);
                if (a > want) { want = a; comp = i + 1; }
            }
            /* lme4 1.1-31 itself (tests/data/conv_ref.R): devfun and deriv12's statistic at th0 */
            CHECK_CLOSE(f0, 1744.4400051782354, 1e-10, 0);
            CHECK_CLOSE(want, 1.5206087461935407, 1e-5, 0);
            CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
            CHECK_CLOSE(c.max_grad, want, 1e-6, 0);
            CHECK_CLOSE(c.max_grad, 1.5206087461935407, 1e-5, 0);   /* lme4's */
            CHECK(c.component == comp && !c.ok && want > 0.002);
        }
        lmm_fit_free(fit);
    }
    /* boundary fit: theta = 0 is on its bound, nothing left to check (lme4 warns only "singular") */
    fit = fit_file("Dyestuff2.csv", "Yield ~ 1 + (1|Batch)", NULL);
    CHECK(fit != NULL);
    if (fit) {
        CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
        CHECK(c.singular && c.nfree == 0 && c.ok);
        lmm_fit_free(fit);
    }
    {   /* an evaluation limit is a convergence failure */
        lmm_fit_options o;
        char text[4096];
        memset(&o, 0, sizeof o);
        o.optim.max_evals = 5;
        fit = fit_file("sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", &o);
        CHECK(fit != NULL);
        if (fit) {
            CHECK(!fit->converged && fit->optimizer_code == 1);
            summary_text(fit, text, sizeof text);
            CHECK(strstr(text, "convergence code: 1 (maximum number of function evaluations exceeded)") != NULL);
            CHECK(lmm_fit_check_convergence(fit, 0, &c, &err) == LMM_OK);
            CHECK(!c.ok && !c.converged);
            CHECK(strstr(c.message, "evaluation limit") != NULL);
            CHECK(strstr(fit->warning, "evaluation limit") != NULL);   /* the fit ran the check itself */
            lmm_fit_free(fit);
        }
    }
    check_refit_warnings();
    check_overspecified();
}
