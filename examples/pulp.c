/* The pulp example of the lecture notes (STAT 528, linear mixed models with
   lme4), step by step, each result printed in R's layout. The 20 rows ship
   inside the program. */
#define _POSIX_C_SOURCE 200809L
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_seconds(int system)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return system ? ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6 : ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
}

/* R's print of quantile(pv, c(0.025, 0.975)). */
static void print_interval(const double *q)
{
    char v[2][48];
    int w;
    lmm_format_reals(q, 2, 7, v);
    w = (int)strlen(v[0]) > 5 ? (int)strlen(v[0]) : 5;
    printf("%*s %*s \n%*s %*s \n", w, "2.5%", w, "97.5%", w, v[0], w, v[1]);
}

static const char pulp_csv[] =
    "bright,operator\n"
    "59.8,a\n59.8,b\n60.7,c\n61,d\n60,a\n60.2,b\n60.7,c\n60.8,d\n60.8,a\n60.4,b\n"
    "60.5,c\n60.6,d\n60.8,a\n59.9,b\n60.9,c\n60.5,d\n59.8,a\n60,b\n60.3,c\n60.5,d\n";

static int fail(const lmm_error *err)
{
    fprintf(stderr, "pulp: %s\n", err->message);
    return 2;
}

int main(void)
{
    lmm_error err = {LMM_OK, ""};
    lmm_frame *pulp = NULL;
    lmm_lm *lmod = NULL, *nullmod = NULL;
    lmm_fit *mmod = NULL, *smod = NULL;
    lmm_fit_options ml;
    lmm_model_options sum = {LMM_CONTR_SUM, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};
    lmm_aov_row rows[2];
    double effects[4], stat, p;
    char v[4][48];
    int i;

    if (lmm_frame_read_csv_text(pulp_csv, strlen(pulp_csv), &pulp, &err)) return fail(&err);

    printf("> lmod <- aov(bright ~ operator, pulp)   # sum contrasts\n> summary(lmod)\n");
    if (lmm_lm_fit(pulp, "bright ~ operator", &sum, &lmod, &err)) return fail(&err);
    lmm_print_aov(stdout, lmod);

    printf("\n> coef(lmod)\n");
    {
        const char *names[4];
        double c[4];
        for (i = 0; i < 4; i++) { names[i] = lmod->X->colnames[i]; c[i] = lmod->coef[i]; }
        lmm_format_reals(c, 4, 4, v);
        for (i = 0; i < 4; i++) printf("%12s", names[i]);
        printf("\n");
        for (i = 0; i < 4; i++) printf("%12s", v[i]);
        printf("\n");
    }

    lmm_aov_table(lmod, rows);
    printf("\n> (MSA - MSE) / n\n[1] %.4f\n", (rows[0].meansq - rows[1].meansq) / 5);

    printf("\n> mmod <- lmer(bright ~ 1 + (1|operator), pulp)\n> summary(mmod)\n");
    if (lmm_fit_formula(pulp, "bright ~ 1 + (1|operator)", NULL, &mmod, &err)) return fail(&err);
    lmm_print_summary(stdout, mmod, "pulp");

    printf("\n> nullmod <- lm(bright ~ 1, pulp)\n> smod <- lmer(bright ~ 1 + (1|operator), pulp, REML = FALSE)\n");
    if (lmm_lm_fit(pulp, "bright ~ 1", NULL, &nullmod, &err)) return fail(&err);
    memset(&ml, 0, sizeof ml);
    ml.ml = 1;
    if (lmm_fit_formula(pulp, "bright ~ 1 + (1|operator)", &ml, &smod, &err)) return fail(&err);
    p = lmm_lrt(nullmod->loglik, nullmod->df, smod->loglik, smod->df, &stat);
    printf("> as.numeric(2*(logLik(smod) - logLik(nullmod)))\n[1] %.7g\n", stat);
    printf("> pchisq(%.7g, df = 1, lower = FALSE)\n[1] %.7g\n", stat, p);

    {   /* the lecture's parametric bootstrap of the LRT, B = 1000 */
        lmm_boot_result boot;
        double u0 = cpu_seconds(0), s0 = cpu_seconds(1), pval;
        memset(&boot, 0, sizeof boot);
        printf("\n> set.seed(13); B <- 1000   # lmm.h: replicate b draws from stream (13, b)\n"
               "> system.time(for(b in 1:B){ y <- unlist(simulate(nullmod)); bnull <- lm(y ~ 1)\n"
               "+   balt <- lmer(y ~ 1 + (1|operator), pulp, REML = FALSE)\n"
               "+   lrtstat[b] <- as.numeric(2*(logLik(balt) - logLik(bnull))) })\n");
        if (lmm_boot_lrt(nullmod, NULL, smod, 1000, 13, NULL, &boot, &err)) return fail(&err);
        printf("   user  system elapsed \n%7.3f %7.3f %7.3f \n", cpu_seconds(0) - u0, cpu_seconds(1) - s0, boot.elapsed_s);
        printf("> mean(lrtstat < 1e-5)\n[1] %.7g\n", boot.frac_zero);
        pval = boot.pvalue;
        printf("> pval <- mean(lrtstat > 2.568371)\n> pval\n[1] %.7g\n", pval);
        printf("> sqrt(pval*(1-pval)/B)\n[1] %.7g\n", boot.pvalue_se);
        lmm_boot_result_free(&boot);
    }

    printf("\n> ranef(mmod)$operator\n");
    lmm_print_ranef_group(stdout, mmod, "operator");
    printf("\n");

    printf("> (cc <- model.tables(lmod))\nTables of effects\n\n operator \noperator\n");
    if (lmm_aov_effects(lmod, pulp, "operator", effects, &err) < 0) return fail(&err);
    lmm_format_reals(effects, 4, 4, v);
    for (i = 0; i < 4; i++) printf("%*s%s", (int)strlen(v[i]), pulp->cols[1].levels[i], i < 3 ? " " : "\n");
    for (i = 0; i < 4; i++) printf("%s%s", v[i], i < 3 ? " " : "\n");

    printf("\n> cc[[1]]$operator / ranef(mmod)$operator\n  (Intercept)\n");
    for (i = 0; i < 4; i++) printf("%s    %.6f\n", pulp->cols[1].levels[i], effects[i] / mmod->b[i]);

    printf("\n> fixef(mmod) + ranef(mmod)$operator\n  (Intercept)\n");
    for (i = 0; i < 4; i++) printf("%s    %.5f\n", pulp->cols[1].levels[i], mmod->beta[0] + mmod->b[i]);

    {   /* bootstrap prediction intervals: a new operator, then the known operator a */
        static const double probs[2] = { 0.025, 0.975 };
        double q[2], u0 = cpu_seconds(0), s0 = cpu_seconds(1), w0 = wall_seconds();
        lmm_boot_options bo;
        memset(&bo, 0, sizeof bo);
        printf("\n> # new operator: predict(bmod, re.form=~0)[1] + rnorm(1, sd=group.sd) + rnorm(1, sd=resid.sd)\n");
        if (lmm_boot_predict_interval(mmod, NULL, 0, -1, NULL, 1000, 13, probs, 2, q, NULL, &bo, &err)) return fail(&err);
        printf("   user  system elapsed \n%7.3f %7.3f %7.3f \n", cpu_seconds(0) - u0, cpu_seconds(1) - s0, wall_seconds() - w0);
        printf("> quantile(pv, c(0.025, 0.975))\n");
        print_interval(q);
        printf("> # operator a: predict(bmod, newdata=data.frame(operator=\"a\")) + rnorm(1, sd=resid.sd)\n");
        if (lmm_boot_predict_interval(mmod, NULL, 0, 0, NULL, 1000, 14, probs, 2, q, NULL, &bo, &err)) return fail(&err);
        printf("> quantile(pv, c(0.025, 0.975))\n");
        print_interval(q);
    }

    lmm_fit_free(mmod); lmm_fit_free(smod);
    lmm_lm_free(lmod); lmm_lm_free(nullmod);
    lmm_frame_free(pulp);
    return 0;
}
