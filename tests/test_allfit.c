/* lmm_fit_all_optimizers (lme4's allFit) against lme4's optima: every refit of
   sleepstudy reaches lme4's criterion and beta, the spreads match the rows, the
   original fit and its model are left as they were; on Machines (ML) the best
   row reaches lme4's deviance whichever row finds it; the printed layout; and
   allocation failures. */
#include "test.h"
#include "json.h"

/* The spread statistics recomputed from the rows. */
static void check_spread(const lmm_allfit *a)
{
    int i, j, best = -1;
    double lo = HUGE_VAL, hi = -HUGE_VAL, br = 0, ta = 0;
    for (i = 0; i < a->nrows; i++) {
        if (!a->rows[i].ok) continue;
        if (a->rows[i].criterion < lo) { lo = a->rows[i].criterion; best = i; }
        if (a->rows[i].criterion > hi) hi = a->rows[i].criterion;
    }
    CHECK(best >= 0 && best == a->best);
    if (best < 0) return;
    CHECK(a->crit_spread == hi - lo);
    for (i = 0; i < a->nrows; i++) {
        if (!a->rows[i].ok) continue;
        for (j = 0; j < a->p; j++) br = fmax(br, fabs(a->rows[i].beta[j] - a->rows[best].beta[j]) / fabs(a->rows[best].beta[j]));
        for (j = 0; j < a->ntheta; j++) ta = fmax(ta, fabs(a->rows[i].theta[j] - a->rows[best].theta[j]));
    }
    CHECK(a->max_beta_rel == br);
    CHECK(a->max_theta_abs == ta);
}

static void sleepstudy(void)
{
    lmm_frame *df = lmm_test_read_csv("sleepstudy.csv");
    lmm_fit *fit = NULL;
    lmm_allfit *a = NULL;
    lmm_error err = {LMM_OK, ""};
    tj_node *ref;
    char path[512];
    double theta[3], beta[2], crit, want_crit;
    int i, j;
    snprintf(path, sizeof path, "%s/sleepstudy_REML.json", TEST_DATA_DIR);
    ref = tj_parse_file(path);
    CHECK(df != NULL && ref != NULL);
    if (!df || !ref) { lmm_frame_free(df); tj_free(ref); return; }
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (Days|Subject)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { lmm_frame_free(df); tj_free(ref); return; }
    memcpy(theta, fit->theta, sizeof theta);
    memcpy(beta, fit->beta, sizeof beta);
    crit = fit->criterion;
    want_crit = tj_num(tj_get(ref, "criterion"));

    CHECK(lmm_fit_all_optimizers(fit, &a, &err) == LMM_OK);
    if (a) {
        const tj_node *fx = tj_get(ref, "fixef");
        CHECK(a->nrows == 8 && a->ntheta == 3 && a->p == 2 && a->nsdcor == 4);
        CHECK_STR(a->rows[0].label, "bobyqa");
        CHECK_STR(a->rows[1].label, "Nelder_Mead");
        CHECK(a->rows[0].method == LMM_OPT_BOBYQA && a->rows[1].method == LMM_OPT_NELDER_MEAD);
        CHECK_STR(a->sdcor_names[0], "Subject.(Intercept)");
        CHECK_STR(a->sdcor_names[1], "Subject.Days.(Intercept)");
        CHECK_STR(a->sdcor_names[2], "Subject.Days");
        CHECK_STR(a->sdcor_names[3], "sigma");
        CHECK_STR(a->beta_names[1], "Days");
        for (i = 0; i < a->nrows; i++) {
            const lmm_allfit_row *r = &a->rows[i];
            CHECK(r->ok && r->converged && r->warning[0] == '\0' && r->nevals > 0 && r->seconds >= 0);
            CHECK_CLOSE(r->criterion, want_crit, 1e-6, 0);
            for (j = 0; j < 2; j++) CHECK_CLOSE(r->beta[j], tj_num(tj_get(tj_at(fx, j), "estimate")), 1e-5, 0);
            CHECK_CLOSE(r->sdcor[3], tj_num(tj_get(ref, "sigma")), 1e-4, 0);
            CHECK_CLOSE(r->sdcor[0], r->sigma * r->theta[0], 1e-12, 0);   /* sd of the intercept = sigma theta_1 */
        }
        check_spread(a);
        CHECK(a->crit_spread <= 1e-6 * want_crit);
        /* the layout of summary(allFit(m)) */
        {
            FILE *f = tmpfile();
            char *txt = NULL;
            if (f) { lmm_print_allfit(f, a); txt = lmm_test_slurp(f); fclose(f); }
            CHECK(txt != NULL);
            if (txt) {
                static const char *const want[] = {
                    "$which.OK\n              bobyqa          Nelder_Mead      bobyqa.start0.5 \n                TRUE                 TRUE                 TRUE \n",
                    "\n$msgs\n$msgs$bobyqa\nNULL\n\n$msgs$Nelder_Mead\nNULL\n\n",
                    "$msgs$Nelder_Mead.random\nNULL\n\n\n$fixef\n                     (Intercept)     Days\nbobyqa                  251.4051 10.46729\n",
                    "\n$llik\n              bobyqa          Nelder_Mead      bobyqa.start0.5 \n           -871.8141            -871.8141            -871.8141 \n",
                    "\n$sdcor\n                     Subject.(Intercept) Subject.Days.(Intercept) Subject.Days\n",
                    "                        sigma\nbobyqa               25.59182\n",
                    "\n$theta\n                     Subject.(Intercept) Subject.Days.(Intercept) Subject.Days\n",
                    "\n$times\n                      elapsed\nbobyqa ",
                    "\n$feval\n              bobyqa          Nelder_Mead      bobyqa.start0.5 \n",
                    ": the optimum is trustworthy\n" };
                const char *p = txt;
                for (i = 0; i < (int)(sizeof want / sizeof want[0]); i++) {
                    const char *q = strstr(p, want[i]);
                    if (!q) fprintf(stderr, "  allfit print: missing (in order) \"%s\"\n", want[i]);
                    CHECK(q != NULL);
                    if (q) p = q + strlen(want[i]);
                }
                CHECK(strncmp(txt + strlen(txt) - 29, ": the optimum is trustworthy\n", 29) == 0);
                CHECK(strstr(txt, "criterion spread ") != NULL);
                free(txt);
            }
        }
    }
    /* the original fit is untouched, and its model evaluates to its criterion at its theta */
    CHECK(fit->criterion == crit);
    CHECK(memcmp(fit->theta, theta, sizeof theta) == 0 && memcmp(fit->beta, beta, sizeof beta) == 0);
    CHECK_CLOSE(lmm_model_objective(fit->model, fit->theta, fit->reml), crit, 1e-12, 0);
    lmm_allfit_free(a);

    /* an allocation failure anywhere (names, rows, a refit) is LMM_ERR_NOMEM, no leak, fit usable */
    {
        int k, st = LMM_ERR_NOMEM, nomem_ok = 1;
        for (k = 0; k < 400 && st == LMM_ERR_NOMEM; k++) {
            a = NULL;
            lmm_test_fail_after = lmm_test_allocs + k;
            st = lmm_fit_all_optimizers(fit, &a, &err);
            lmm_test_fail_after = -1;
            if (st == LMM_ERR_NOMEM && a != NULL) nomem_ok = 0;
            if (st == LMM_OK) CHECK(a->nrows == 8 && a->rows[7].ok);
            lmm_allfit_free(a);
        }
        CHECK(st == LMM_OK && k > 1 && nomem_ok);
        CHECK_CLOSE(lmm_model_objective(fit->model, fit->theta, fit->reml), crit, 1e-12, 0);
        CHECK(fit->criterion == crit && memcmp(fit->theta, theta, sizeof theta) == 0);
    }
    /* bad arguments */
    a = NULL;
    CHECK(lmm_fit_all_optimizers(NULL, &a, &err) == LMM_ERR_ARG && a == NULL);
    CHECK(lmm_fit_all_optimizers(fit, NULL, &err) == LMM_ERR_ARG);
    lmm_allfit_free(NULL);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    tj_free(ref);
}

/* lme4's ML deviance of the Machines model (tests/data/Machines_lme4.csv, reml 0). */
static double machines_ml_deviance(void)
{
    char path[512], line[1024];
    double v = NAN;
    FILE *f;
    snprintf(path, sizeof path, "%s/Machines_lme4.csv", TEST_DATA_DIR);
    if (!(f = fopen(path, "r"))) return NAN;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "0,\"", 3) == 0) v = strtod(line + 3, NULL);
    fclose(f);
    return v;
}

static void machines(void)
{
    lmm_frame *df = lmm_test_read_csv("Machines.csv");
    lmm_fit *fit = NULL;
    lmm_allfit *a = NULL;
    lmm_error err = {LMM_OK, ""};
    lmm_fit_options o;
    double want = machines_ml_deviance(), crit, theta[7];
    CHECK(df != NULL && isfinite(want));
    if (!df) return;
    memset(&o, 0, sizeof o);
    o.ml = 1;
    CHECK(lmm_fit_formula(df, "score ~ Machine + (1|Worker) + (0+Machine|Worker)", &o, &fit, &err) == LMM_OK);
    if (!fit) { lmm_frame_free(df); return; }
    CHECK(fit->ntheta == 7);
    crit = fit->criterion;
    memcpy(theta, fit->theta, sizeof theta);
    CHECK(lmm_fit_all_optimizers(fit, &a, &err) == LMM_OK);
    if (a) {
        int i;
        CHECK(a->nrows == 8 && a->best >= 0);
        check_spread(a);
        if (a->best >= 0) {
            fprintf(stderr, "  allfit Machines ML: best %.10g (%s), lme4 %.10g\n", a->rows[a->best].criterion, a->rows[a->best].label, want);
            CHECK(a->rows[a->best].criterion <= want * (1 + 1e-6));
        }
        /* the second (0+Machine|Worker) term is lme4's "Worker.1" in as.data.frame(VarCorr) */
        CHECK_STR(a->sdcor_names[0], "Worker.(Intercept)");
        CHECK_STR(a->sdcor_names[1], "Worker.1.MachineA");
        CHECK_STR(a->sdcor_names[2], "Worker.1.MachineB.MachineA");
        CHECK_STR(a->theta_names[1], "Worker.MachineA");
        for (i = 0; i < a->nrows; i++) CHECK(!a->rows[i].ok || a->rows[i].criterion >= a->rows[a->best].criterion);
        /* a spread beyond 1e-6 relative is worded as a disagreement, never as trustworthy;
           a boundary row lists lme4's singular-fit note among its messages */
        {
            FILE *f = tmpfile();
            char *txt = NULL;
            int nsing = 0;
            if (f) { lmm_print_allfit(f, a); txt = lmm_test_slurp(f); fclose(f); }
            CHECK(txt != NULL);
            for (i = 0; i < a->nrows; i++) nsing += a->rows[i].singular;
            if (txt && a->best >= 0 && a->crit_spread > 1e-6 * a->rows[a->best].criterion)
                CHECK(strstr(txt, "the optimizers disagree beyond 1e-6 relative; the lowest criterion is ") && !strstr(txt, "trustworthy"));
            if (txt && nsing) CHECK(strstr(txt, "[1] \"boundary (singular) fit: see help('isSingular')\"\n") != NULL);
            if (txt) CHECK(strstr(txt, "\n$sdcor\n                     Worker.(Intercept) Worker.1.MachineA\n") != NULL);
            free(txt);
        }
    }
    CHECK(fit->criterion == crit && memcmp(fit->theta, theta, sizeof theta) == 0);
    CHECK_CLOSE(lmm_model_objective(fit->model, fit->theta, fit->reml), crit, 1e-12, 0);
    lmm_allfit_free(a);
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

void test_allfit(void)
{
    sleepstudy();
    machines();
}
