/* anova() of nested lm / lmer fits against lme4 (R 4.2, lme4's anova.merMod):
   values and the printed table. */
#include "test.h"
#include <stdlib.h>

static lmm_frame *anova_data(const char *name)
{
    char path[512];
    lmm_frame *df = NULL;
    lmm_error err = {0};
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
    if (lmm_frame_read_csv(path, &df, &err) != LMM_OK) fprintf(stderr, "  %s: %s\n", path, err.message);
    return df;
}

/* What lmm_print_anova writes, as a string (caller frees). */
static char *anova_text(const lmm_anova *a, const char *data_name)
{
    FILE *f = tmpfile();
    long n;
    char *s;
    if (!f) return NULL;
    lmm_print_anova(f, a, data_name);
    n = ftell(f);
    rewind(f);
    s = (char *)malloc((size_t)n + 1);
    if (s) { n = (long)fread(s, 1, (size_t)n, f); s[n] = 0; }
    fclose(f);
    return s;
}

/* The text a FILE received (caller frees). */
static char *file_text(FILE *f)
{
    long n = ftell(f);
    char *s;
    rewind(f);
    s = (char *)malloc((size_t)n + 1);
    if (s) { n = (long)fread(s, 1, (size_t)n, f); s[n] = 0; }
    fclose(f);
    return s;
}

/* R 4.2: format.pval(p, digits) */
static void test_format_pvals(void)
{
    static const double a[4] = { 1e-20, 0.000189, 0.335047, 0.778793 }, b[3] = { 1e-20, 0.3955, 0.0839 };
    static const double c[2] = { 1e-20, 7.07e-10 }, e[4] = { 0.5, 6.53e-05, 9.65e-05, 0.01 };
    double d[2];
    char out[4][48];
    lmm_format_pvals(a, 4, 3, out);
    CHECK_STR(out[0], "< 2e-16"); CHECK_STR(out[1], "0.000189"); CHECK_STR(out[2], "0.335047"); CHECK_STR(out[3], "0.778793");
    lmm_format_pvals(b, 3, 3, out);
    CHECK_STR(out[0], "<2e-16"); CHECK_STR(out[1], "0.3955"); CHECK_STR(out[2], "0.0839");
    lmm_format_pvals(c, 2, 4, out);
    CHECK_STR(out[0], "< 2.2e-16"); CHECK_STR(out[1], "7.07e-10");
    lmm_format_pvals(c, 1, 4, out);
    CHECK_STR(out[0], "< 2.2e-16");
    lmm_format_pvals(e, 4, 3, out);
    CHECK_STR(out[0], "0.50"); CHECK_STR(out[1], "6.53e-05"); CHECK_STR(out[2], "9.65e-05"); CHECK_STR(out[3], "0.01");
    d[0] = NAN; d[1] = 0.109019919;
    lmm_format_pvals(d, 2, 4, out);
    CHECK_STR(out[0], "NA"); CHECK_STR(out[1], "0.109");
}

/* print(summary(lm(...))) and summary(aov(...)) as R 4.2 prints them (ASCII quotes in the legend). */
static void test_print_lm_aov(void)
{
    lmm_frame *pulp = anova_data("pulp.csv"), *ss = anova_data("sleepstudy.csv");
    lmm_lm *fit = NULL;
    lmm_model_options sum = {LMM_CONTR_SUM, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};
    lmm_error err = {0};
    FILE *f;
    char *txt;
    CHECK(pulp && ss);
    if (!pulp || !ss) { lmm_frame_free(pulp); lmm_frame_free(ss); return; }
    CHECK(lmm_lm_fit(pulp, "bright ~ operator", NULL, &fit, &err) == LMM_OK);
    if (fit && (f = tmpfile()) != NULL) {
        lmm_print_lm(f, fit, "pulp");
        txt = file_text(f);
        CHECK_STR(txt,
            "\nCall:\nlm(formula = bright ~ operator, data = pulp)\n\n"
            "Residuals:\n"
            "   Min     1Q Median     3Q    Max \n"
            "-0.440 -0.195 -0.070  0.175  0.560 \n\n"
            "Coefficients:\n"
            "            Estimate Std. Error t value Pr(>|t|)    \n"
            "(Intercept)  60.2400     0.1458 413.243   <2e-16 ***\n"
            "operatorb    -0.1800     0.2062  -0.873   0.3955    \n"
            "operatorc     0.3800     0.2062   1.843   0.0839 .  \n"
            "operatord     0.4400     0.2062   2.134   0.0486 *  \n"
            "---\n"
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n\n"
            "Residual standard error: 0.326 on 16 degrees of freedom\n"
            "Multiple R-squared:  0.4408,\tAdjusted R-squared:  0.3359 \n"
            "F-statistic: 4.204 on 3 and 16 DF,  p-value: 0.02261\n\n");
        free(txt);
    }
    lmm_lm_free(fit); fit = NULL;
    CHECK(lmm_lm_fit(ss, "Reaction ~ Days", NULL, &fit, &err) == LMM_OK);
    if (fit && (f = tmpfile()) != NULL) {
        lmm_print_lm(f, fit, "sleepstudy");
        txt = file_text(f);
        CHECK_STR(txt,
            "\nCall:\nlm(formula = Reaction ~ Days, data = sleepstudy)\n\n"
            "Residuals:\n"
            "     Min       1Q   Median       3Q      Max \n"
            "-110.848  -27.483    1.546   26.142  139.953 \n\n"
            "Coefficients:\n"
            "            Estimate Std. Error t value Pr(>|t|)    \n"
            "(Intercept)  251.405      6.610  38.033  < 2e-16 ***\n"
            "Days          10.467      1.238   8.454 9.89e-15 ***\n"
            "---\n"
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n\n"
            "Residual standard error: 47.71 on 178 degrees of freedom\n"
            "Multiple R-squared:  0.2865,\tAdjusted R-squared:  0.2825 \n"
            "F-statistic: 71.46 on 1 and 178 DF,  p-value: 9.894e-15\n\n");
        free(txt);
    }
    lmm_lm_free(fit); fit = NULL;
    /* summary(aov(bright ~ operator)) under sum contrasts */
    CHECK(lmm_lm_fit(pulp, "bright ~ operator", &sum, &fit, &err) == LMM_OK);
    if (fit && (f = tmpfile()) != NULL) {
        lmm_print_aov(f, fit);
        txt = file_text(f);
        CHECK_STR(txt,
            "            Df Sum Sq Mean Sq F value Pr(>F)  \n"
            "operator     3   1.34  0.4467   4.204 0.0226 *\n"
            "Residuals   16   1.70  0.1062                 \n"
            "---\n"
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
        free(txt);
    }
    lmm_lm_free(fit); fit = NULL;
    /* Subject as a factor (R: factor(Subject)) */
    CHECK(lmm_frame_as_factor(ss, "Subject", &err) == LMM_OK);
    CHECK(lmm_lm_fit(ss, "Reaction ~ Days + Subject", NULL, &fit, &err) == LMM_OK);
    if (fit && (f = tmpfile()) != NULL) {
        lmm_print_aov(f, fit);
        txt = file_text(f);
        CHECK_STR(txt,
            "             Df Sum Sq Mean Sq F value Pr(>F)    \n"
            "Days          1 162703  162703  169.40 <2e-16 ***\n"
            "Subject      17 250618   14742   15.35 <2e-16 ***\n"
            "Residuals   161 154634     960                   \n"
            "---\n"
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
        free(txt);
    }
    lmm_lm_free(fit); fit = NULL;
    lmm_frame_free(pulp); lmm_frame_free(ss);
    /* operators a and b only: no p below 0.1, so no stars column and no legend */
    {
        static const char csv[] = "bright,operator\n59.8,a\n59.8,b\n60,a\n60.2,b\n60.8,a\n60.4,b\n60.8,a\n59.9,b\n59.8,a\n60,b\n";
        lmm_frame *ab = NULL;
        CHECK(lmm_frame_read_csv_text(csv, sizeof csv - 1, &ab, &err) == LMM_OK);
        if (ab) CHECK(lmm_lm_fit(ab, "bright ~ operator", NULL, &fit, &err) == LMM_OK);
        if (fit && (f = tmpfile()) != NULL) {
            lmm_print_aov(f, fit);
            txt = file_text(f);
            CHECK_STR(txt,
                "            Df Sum Sq Mean Sq F value Pr(>F)\n"
                "operator     1  0.081   0.081   0.497  0.501\n"
                "Residuals    8  1.304   0.163               \n");
            free(txt);
        }
        lmm_lm_free(fit);
        lmm_frame_free(ab);
    }
}

/* pulp: lm(bright ~ 1) against the REML lmer(bright ~ 1 + (1|operator)),
   which anova refits by ML. R: print(anova(smod, nullmod)). */
static void test_anova_pulp(void)
{
    lmm_frame *df = anova_data("pulp.csv");
    lmm_lm *null = NULL;
    lmm_fit *smod = NULL;
    lmm_anova *a = NULL;
    lmm_model_ref refs[2];
    lmm_error err = {0};
    double reml_loglik;
    char *txt;
    CHECK(df != NULL);
    if (!df) return;
    CHECK(lmm_lm_fit(df, "bright ~ 1", NULL, &null, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "bright ~ 1 + (1|operator)", NULL, &smod, &err) == LMM_OK);
    if (!null || !smod) { lmm_lm_free(null); lmm_fit_free(smod); lmm_frame_free(df); return; }
    reml_loglik = smod->loglik;
    /* given in R's call order: the mixed model first */
    memset(refs, 0, sizeof refs);
    refs[0].name = "smod"; refs[0].lmer = smod;
    refs[1].name = "nullmod"; refs[1].lm = null;
    CHECK(lmm_anova_models(refs, 2, &a, &err) == LMM_OK);
    if (a) {
        CHECK(a->n == 2 && a->refitted == 1);
        CHECK_STR(a->rows[0].name, "nullmod");
        CHECK(a->rows[0].model == 1 && a->rows[1].model == 0);
        CHECK(a->rows[0].npar == 2 && a->rows[1].npar == 3);
        CHECK_CLOSE(a->rows[0].aic, 23.080046165469401, 1e-12, 0);
        CHECK_CLOSE(a->rows[0].bic, 25.071510712577382, 1e-12, 0);
        CHECK_CLOSE(a->rows[0].loglik, -9.5400230827347006, 1e-12, 0);
        CHECK_CLOSE(a->rows[0].deviance, 19.080046165469401, 1e-12, 0);
        CHECK(isnan(a->rows[0].chisq) && isnan(a->rows[0].df) && isnan(a->rows[0].p));
        CHECK_CLOSE(a->rows[1].aic, 22.511674800716879, 1e-9, 0);
        CHECK_CLOSE(a->rows[1].bic, 25.498871621378854, 1e-9, 0);
        CHECK_CLOSE(a->rows[1].loglik, -8.2558374003584394, 1e-9, 0);
        CHECK_CLOSE(a->rows[1].deviance, 16.511674800716879, 1e-9, 0);
        CHECK_CLOSE(a->rows[1].chisq, 2.568371, 0, 1e-6);   /* the lecture's LRT */
        CHECK_CLOSE(a->rows[1].p, 0.1090199, 0, 1e-7);
        CHECK_CLOSE(a->rows[1].chisq, 2.5683713647525224, 1e-7, 0);
        CHECK_CLOSE(a->rows[1].p, 0.10901991940771086, 1e-7, 0);
        CHECK(a->rows[1].df == 1);
        txt = anova_text(a, "pulp");
        CHECK_STR(txt,
            "refitting model(s) with ML (instead of REML)\n"
            "Data: pulp\n"
            "Models:\n"
            "nullmod: bright ~ 1\n"
            "smod: bright ~ 1 + (1 | operator)\n"
            "        npar    AIC    BIC  logLik deviance  Chisq Df Pr(>Chisq)\n"
            "nullmod    2 23.080 25.072 -9.5400   19.080                     \n"
            "smod       3 22.512 25.499 -8.2558   16.512 2.5684  1      0.109\n");
        free(txt);
    }
    /* allocation failures anywhere (rows, names, the ML refit) give LMM_ERR_NOMEM and no leak */
    {
        int k, st = LMM_ERR_NOMEM, nomem_ok = 1;
        for (k = 0; k < 200 && st == LMM_ERR_NOMEM; k++) {
            lmm_anova *t = NULL;
            lmm_test_fail_after = lmm_test_allocs + k;
            st = lmm_anova_models(refs, 2, &t, &err);
            lmm_test_fail_after = -1;
            if (st == LMM_ERR_NOMEM && t != NULL) nomem_ok = 0;
            if (st == LMM_OK) CHECK_CLOSE(t->rows[1].chisq, 2.5683713647525224, 1e-7, 0);
            lmm_anova_free(t);
        }
        CHECK(st == LMM_OK && k > 1 && nomem_ok);
    }
    /* the REML fit itself is untouched */
    CHECK(smod->reml == 1 && smod->loglik == reml_loglik);
    lmm_anova_free(a);
    /* errors: fewer than two models, a ref with neither fit */
    a = NULL;
    CHECK(lmm_anova_models(refs, 1, &a, &err) == LMM_ERR_ARG && a == NULL);
    refs[1].lm = NULL;
    CHECK(lmm_anova_models(refs, 2, &a, &err) == LMM_ERR_ARG && a == NULL);
    lmm_lm_free(null); lmm_fit_free(smod);
    lmm_frame_free(df);
}

/* sleepstudy: lm and two lmer fits (REML, refitted). R: anova(m2, m0, m1) with
   m0 <- lm(Reaction ~ Days), m1 <- lmer(Reaction ~ Days + (1|Subject)),
   m2 <- lmer(Reaction ~ Days + (Days|Subject)). */
static void test_anova_sleepstudy(void)
{
    lmm_frame *df = anova_data("sleepstudy.csv");
    lmm_lm *m0 = NULL;
    lmm_fit *m1 = NULL, *m2 = NULL, *m1ml = NULL;
    lmm_anova *a = NULL;
    lmm_model_ref refs[3];
    lmm_fit_options o;
    lmm_error err = {0};
    static const double aic[3] = { 1906.2930563563636, 1802.0786430052260, 1763.9393444632096 };
    static const double bic[3] = { 1915.8719269090343, 1814.8504704087868, 1783.0970855685509 };
    static const double ll[3] = { -950.14652817818182, -897.03932150261301, -875.96967223160482 };
    char *txt;
    int i;
    CHECK(df != NULL);
    if (!df) return;
    CHECK(lmm_lm_fit(df, "Reaction ~ Days", NULL, &m0, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (1|Subject)", NULL, &m1, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (Days|Subject)", NULL, &m2, &err) == LMM_OK);
    if (!m0 || !m1 || !m2) goto done;
    memset(refs, 0, sizeof refs);
    refs[0].name = "m1"; refs[0].lmer = m1;
    refs[1].name = "m2"; refs[1].lmer = m2;
    /* lmer against lmer: anova(m1, m2) */
    CHECK(lmm_anova_models(refs, 2, &a, &err) == LMM_OK);
    if (a) {
        CHECK(a->refitted);
        CHECK_CLOSE(a->rows[1].chisq, 42.139298542016377, 1e-6, 0);
        CHECK(a->rows[1].df == 2);
        CHECK_CLOSE(a->rows[1].p, 7.0724125472300269e-10, 1e-5, 0);
        txt = anova_text(a, "ss");
        CHECK_STR(txt,
            "refitting model(s) with ML (instead of REML)\n"
            "Data: ss\n"
            "Models:\n"
            "m1: Reaction ~ Days + (1 | Subject)\n"
            "m2: Reaction ~ Days + (Days | Subject)\n"
            "   npar    AIC    BIC  logLik deviance  Chisq Df Pr(>Chisq)    \n"
            "m1    4 1802.1 1814.8 -897.04   1794.1                         \n"
            "m2    6 1763.9 1783.1 -875.97   1751.9 42.139  2  7.072e-10 ***\n"
            "---\n"
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
        free(txt);
    }
    lmm_anova_free(a); a = NULL;
    /* three models given out of order: sorted by npar */
    refs[0].name = "m2"; refs[0].lmer = m2;
    refs[1].name = "m0"; refs[1].lmer = NULL; refs[1].lm = m0;
    refs[2].name = "m1"; refs[2].lmer = m1;
    CHECK(lmm_anova_models(refs, 3, &a, &err) == LMM_OK);
    if (a) {
        CHECK(a->n == 3);
        CHECK_STR(a->rows[0].name, "m0");
        CHECK_STR(a->rows[1].name, "m1");
        CHECK_STR(a->rows[2].name, "m2");
        for (i = 0; i < 3; i++) {
            CHECK(a->rows[i].npar == (i == 0 ? 3 : i == 1 ? 4 : 6));
            CHECK_CLOSE(a->rows[i].aic, aic[i], 1e-9, 0);
            CHECK_CLOSE(a->rows[i].bic, bic[i], 1e-9, 0);
            CHECK_CLOSE(a->rows[i].loglik, ll[i], 1e-9, 0);
            CHECK_CLOSE(a->rows[i].deviance, -2 * ll[i], 1e-9, 0);
        }
        CHECK_CLOSE(a->rows[1].chisq, 106.214413351137637, 1e-7, 0);
        CHECK_CLOSE(a->rows[1].p, 6.6173594582827357e-25, 1e-5, 0);
        CHECK_CLOSE(a->rows[2].chisq, 42.139298542016377, 1e-6, 0);
        txt = anova_text(a, "ss");
        CHECK_STR(txt,
            "refitting model(s) with ML (instead of REML)\n"
            "Data: ss\n"
            "Models:\n"
            "m0: Reaction ~ Days\n"
            "m1: Reaction ~ Days + (1 | Subject)\n"
            "m2: Reaction ~ Days + (Days | Subject)\n"
            "   npar    AIC    BIC  logLik deviance   Chisq Df Pr(>Chisq)    \n"
            "m0    3 1906.3 1915.9 -950.15   1900.3                          \n"
            "m1    4 1802.1 1814.8 -897.04   1794.1 106.214  1  < 2.2e-16 ***\n"
            "m2    6 1763.9 1783.1 -875.97   1751.9  42.139  2  7.072e-10 ***\n"
            "---\n"
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
        free(txt);
    }
    lmm_anova_free(a); a = NULL;
    /* an ML fit is used as it is: no refitting note, same figures */
    memset(&o, 0, sizeof o);
    o.ml = 1;
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (1|Subject)", &o, &m1ml, &err) == LMM_OK);
    if (m1ml) {
        refs[0].name = "m0"; refs[0].lmer = NULL; refs[0].lm = m0;
        refs[1].name = NULL; refs[1].lm = NULL; refs[1].lmer = m1ml;
        CHECK(lmm_anova_models(refs, 2, &a, &err) == LMM_OK);
        if (a) {
            CHECK(a->refitted == 0);
            CHECK_STR(a->rows[1].name, "MODEL2");
            CHECK_CLOSE(a->rows[1].chisq, 106.214413351137637, 1e-7, 0);
        }
        lmm_anova_free(a); a = NULL;
    }
done:
    lmm_lm_free(m0); lmm_fit_free(m1); lmm_fit_free(m2); lmm_fit_free(m1ml);
    lmm_frame_free(df);
}

/* Models on different numbers of observations cannot be compared. */
static void test_anova_mismatch(void)
{
    static const double x[6] = { 1, 2, 3, 4, 5, 6 }, y[6] = { 1.2, 1.9, 3.4, 3.9, 5.3, 5.8 };
    static const double x2[6] = { 1, 2, 3, 4, 5, NAN };
    lmm_frame *df = NULL;
    lmm_lm *a = NULL, *b = NULL;
    lmm_anova *an = NULL;
    lmm_model_ref refs[2];
    lmm_error err = {0};
    CHECK(lmm_frame_new(6, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_add_numeric(df, "x", x, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "x2", x2, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_lm_fit(df, "y ~ x", NULL, &a, &err) == LMM_OK);
    CHECK(lmm_lm_fit(df, "y ~ x + x2", NULL, &b, &err) == LMM_OK);
    if (a && b) {
        memset(refs, 0, sizeof refs);
        refs[0].lm = a; refs[1].lm = b;
        CHECK(lmm_anova_models(refs, 2, &an, &err) == LMM_ERR_DATA && an == NULL);
        CHECK(strstr(err.message, "same size") != NULL);
    }
    lmm_lm_free(a); lmm_lm_free(b);
    lmm_frame_free(df);
}

void test_anova(void)
{
    test_anova_pulp();
    test_anova_sleepstudy();
    test_anova_mismatch();
    test_format_pvals();
    test_print_lm_aov();
}
