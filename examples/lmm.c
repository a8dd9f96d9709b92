/* lmm: command-line front end of lmm.h.
     lmm fit DATA.csv 'FORMULA' [--ml] [--ref COL=LEVEL]... [--contrasts sum] [--json]
     lmm lm DATA.csv 'FORMULA' [--ref COL=LEVEL]... [--contrasts sum] [--json]
     lmm aov DATA.csv 'FORMULA' [--ref COL=LEVEL]... [--contrasts sum] [--json]
     lmm anova DATA.csv 'F0' 'F1' ... [--ref COL=LEVEL]... [--contrasts sum] [--json]
   Exit status: 0 ok, 1 statistical failure (no convergence), 2 bad input. */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

#define EXIT_STAT 1
#define EXIT_INPUT 2

typedef struct cli_opts {
    const char *data, *formula;
    int ml, json, sum;
    const char *refs[64];
    int nref;
} cli_opts;

static int usage_error(const char *msg)
{
    fprintf(stderr, "lmm: %s (see 'lmm --help')\n", msg);
    return EXIT_INPUT;
}

static void help_main(void)
{
    printf("lmm - linear mixed models from the command line (lmm.h)\n\n"
           "usage: lmm COMMAND [ARGS]\n\n"
           "commands:\n"
           "  fit DATA.csv 'FORMULA'        fit a linear mixed model (lme4's lmer) and print its summary\n"
           "  lm DATA.csv 'FORMULA'         fit a linear model by least squares (R's summary(lm))\n"
           "  aov DATA.csv 'FORMULA'        sequential ANOVA table, coefficients and effects (R's aov)\n"
           "  anova DATA.csv 'F0' 'F1' ...  compare nested lm / lmer models (lme4's anova)\n\n"
           "Run 'lmm COMMAND --help' for a command's options.\n"
           "Exit status: 0 ok, 1 statistical failure (e.g. no convergence), 2 bad input.\n");
}

static void help_fit(void)
{
    printf("usage: lmm fit DATA.csv 'FORMULA' [options]\n\n"
           "Fit FORMULA (lme4 syntax, e.g. 'Reaction ~ Days + (Days | Subject)') to the CSV file\n"
           "by REML and print lme4's summary().\n\n"
           "options:\n"
           "  --ml               maximum likelihood instead of REML (lmer(..., REML = FALSE))\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object instead of the summary\n");
}

/* Parse the options shared by the subcommands; positional arguments go to pos[]. */
static int parse_opts(int argc, char **argv, cli_opts *o, const char **pos, int npos_max, int *npos, int allow_ml)
{
    int i;
    *npos = 0;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--ml") && allow_ml) o->ml = 1;
        else if (!strcmp(a, "--json")) o->json = 1;
        else if (!strcmp(a, "--ref")) {
            if (i + 1 >= argc) return usage_error("--ref needs COLUMN=LEVEL");
            if (!strchr(argv[i + 1], '=')) return usage_error("--ref needs COLUMN=LEVEL, e.g. --ref ID=RC");
            if (o->nref == 64) return usage_error("too many --ref options");
            o->refs[o->nref++] = argv[++i];
        } else if (!strcmp(a, "--contrasts")) {
            if (i + 1 >= argc) return usage_error("--contrasts needs 'sum' or 'treatment'");
            i++;
            if (!strcmp(argv[i], "sum")) o->sum = 1;
            else if (!strcmp(argv[i], "treatment")) o->sum = 0;
            else return usage_error("--contrasts takes 'sum' or 'treatment'");
        } else if (a[0] == '-' && a[1] == '-') {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option '%s'", a);
            return usage_error(msg);
        } else {
            if (*npos == npos_max) return usage_error("too many arguments");
            pos[(*npos)++] = a;
        }
    }
    return 0;
}

static lmm_frame *load_frame(const cli_opts *o)
{
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = NULL;
    int i;
    if (lmm_frame_read_csv(o->data, &df, &err) != LMM_OK) {
        fprintf(stderr, "lmm: %s\n", err.message);
        return NULL;
    }
    for (i = 0; i < o->nref; i++) {
        char col[256];
        const char *eq = strchr(o->refs[i], '=');
        size_t n = (size_t)(eq - o->refs[i]);
        if (n >= sizeof col) n = sizeof col - 1;
        memcpy(col, o->refs[i], n); col[n] = 0;
        if (lmm_frame_find(df, col) >= 0 && df->cols[lmm_frame_find(df, col)].type == LMM_NUMERIC &&
            lmm_frame_as_factor(df, col, &err) != LMM_OK) {
            fprintf(stderr, "lmm: %s\n", err.message); lmm_frame_free(df); return NULL;
        }
        if (lmm_frame_relevel(df, col, eq + 1, &err) != LMM_OK) {
            fprintf(stderr, "lmm: --ref %s: %s\n", o->refs[i], err.message);
            lmm_frame_free(df);
            return NULL;
        }
    }
    return df;
}

/* JSON output helpers: numbers with 17 significant digits, null for non-finite. */
static void jnum(double x)
{
    if (isfinite(x)) printf("%.17g", x); else printf("null");
}

static void jstr(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 0x20) printf("\\u%04x", c);
        else putchar(c);
    }
    putchar('"');
}

static void print_fit_json(const lmm_fit *fit)
{
    const lmm_model *m = fit->model;
    int i, k, j, c, first;
    double cov[32 * 32];
    printf("{\"formula\": "); jstr(m->formula);
    printf(", \"reml\": %s, \"nobs\": %d", fit->reml ? "true" : "false", fit->nobs);
    printf(", \"criterion\": "); jnum(fit->criterion);
    printf(", \"loglik\": "); jnum(fit->loglik);
    printf(", \"df\": %d, \"aic\": ", fit->df); jnum(fit->aic);
    printf(", \"bic\": "); jnum(fit->bic);
    printf(", \"deviance\": "); jnum(fit->deviance);
    printf(", \"sigma\": "); jnum(fit->sigma);
    printf(", \"theta\": [");
    for (i = 0; i < fit->ntheta; i++) { if (i) printf(", "); jnum(fit->theta[i]); }
    printf("], \"singular\": %s, \"converged\": %s, \"nevals\": %d", fit->singular ? "true" : "false",
           fit->converged ? "true" : "false", fit->nevals);
    printf(", \"n_na_dropped\": %d", m->n_na_dropped);
    printf(", \"fixef\": [");
    for (i = 0; i < fit->p; i++) {
        printf("%s{\"name\": ", i ? ", " : ""); jstr(m->X->colnames[i]);
        printf(", \"estimate\": "); jnum(fit->beta[i]);
        printf(", \"se\": "); jnum(fit->se[i]);
        printf(", \"t\": "); jnum(fit->beta[i] / fit->se[i]);
        printf("}");
    }
    printf("], \"vcov\": [");
    for (i = 0; i < fit->p; i++) {
        printf("%s[", i ? ", " : "");
        for (j = 0; j < fit->p; j++) { if (j) printf(", "); jnum(fit->vcov[i + j * fit->p]); }
        printf("]");
    }
    printf("], \"varcorr\": [");
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        lmm_fit_term_cov(fit, k, cov);
        for (c = 0; c < t->ncol; c++) {
            printf("{\"group\": "); jstr(t->vc_name);
            printf(", \"name\": "); jstr(t->colnames[c]);
            printf(", \"variance\": "); jnum(cov[c * (t->ncol + 1)]);
            printf(", \"sd\": "); jnum(sqrt(cov[c * (t->ncol + 1)]));
            printf("}, ");
        }
    }
    printf("{\"group\": \"Residual\", \"name\": \"\", \"variance\": "); jnum(fit->sigma * fit->sigma);
    printf(", \"sd\": "); jnum(fit->sigma);
    printf("}], \"corr\": [");
    first = 1;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        lmm_fit_term_cov(fit, k, cov);
        for (j = 0; j < t->ncol; j++)
            for (i = j + 1; i < t->ncol; i++) {
                printf("%s{\"group\": ", first ? "" : ", "); jstr(t->vc_name);
                printf(", \"names\": ["); jstr(t->colnames[j]); printf(", "); jstr(t->colnames[i]);
                printf("], \"corr\": ");
                jnum(cov[i + j * t->ncol] / sqrt(cov[i * (t->ncol + 1)] * cov[j * (t->ncol + 1)]));
                printf("}");
                first = 0;
            }
    }
    printf("], \"ngroups\": {");
    first = 1;
    for (k = 0; k < m->nterms; k++) {
        int dup = 0;
        for (j = 0; j < k; j++) if (!strcmp(m->terms[j].group, m->terms[k].group)) dup = 1;
        if (dup) continue;
        printf("%s", first ? "" : ", "); jstr(m->terms[k].group); printf(": %d", m->terms[k].nlevels);
        first = 0;
    }
    printf("}, \"ranef\": {");
    first = 1;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        int dup = 0, k2, pass;
        for (j = 0; j < k; j++) if (!strcmp(m->terms[j].group, t->group)) dup = 1;
        if (dup) continue;
        printf("%s", first ? "" : ", "); jstr(t->group);
        printf(": {\"levels\": [");
        for (j = 0; j < t->nlevels; j++) { if (j) printf(", "); jstr(t->levels[j]); }
        printf("], \"columns\": [");
        c = 0;
        for (k2 = k; k2 < m->nterms; k2++) {
            if (strcmp(m->terms[k2].group, t->group)) continue;
            for (i = 0; i < m->terms[k2].ncol; i++) { if (c++) printf(", "); jstr(m->terms[k2].colnames[i]); }
        }
        for (pass = 0; pass < 2; pass++) {
            const double *src = pass ? fit->b_condsd : fit->b;
            printf("], \"%s\": [", pass ? "condsd" : "values");
            for (j = 0; j < t->nlevels; j++) {
                printf("%s[", j ? ", " : "");
                c = 0;
                for (k2 = k; k2 < m->nterms; k2++) {
                    const lmm_reterm *t2 = &m->terms[k2];
                    if (strcmp(t2->group, t->group)) continue;
                    for (i = 0; i < t2->ncol; i++) {
                        if (c++) printf(", ");
                        jnum(src ? src[t2->u_offset + j * t2->ncol + i] : NAN);
                    }
                }
                printf("]");
            }
        }
        printf("]}");
        first = 0;
    }
    printf("}, \"resid_quantiles\": [");
    for (i = 0; i < 5; i++) { if (i) printf(", "); jnum(fit->resid_quantiles[i]); }
    printf("]}\n");
}

/* The data name R would print: the file's base name without .csv. */
static void data_name(const char *path, char *buf, size_t size)
{
    const char *b = strrchr(path, '/');
    size_t n;
    b = b ? b + 1 : path;
    snprintf(buf, size, "%s", b);
    n = strlen(buf);
    if (n > 4 && !strcmp(buf + n - 4, ".csv")) buf[n - 4] = 0;
}

static int cmd_fit(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2];
    int npos, rc, i;
    lmm_frame *df;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_error err = {LMM_OK, ""};
    char dname[256];
    for (i = 0; i < argc; i++) if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { help_fit(); return 0; }
    memset(&o, 0, sizeof o);
    if ((rc = parse_opts(argc, argv, &o, pos, 2, &npos, 1)) != 0) return rc;
    if (npos != 2) return usage_error("fit needs DATA.csv and 'FORMULA'");
    o.data = pos[0]; o.formula = pos[1];
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.contrasts = o.sum ? LMM_CONTR_SUM : LMM_CONTR_TREATMENT;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) {
        fprintf(stderr, "lmm: %s\n", err.message);
        lmm_frame_free(df);
        return err.code == LMM_ERR_CONVERGENCE || err.code == LMM_ERR_NUMERIC ? EXIT_STAT : EXIT_INPUT;
    }
    if (o.json) print_fit_json(fit);
    else {
        data_name(o.data, dname, sizeof dname);
        lmm_print_summary(stdout, fit, dname);
    }
    rc = fit->converged ? 0 : EXIT_STAT;
    if (!fit->converged) fprintf(stderr, "lmm: warning: the optimizer reached its evaluation limit without converging\n");
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return rc;
}

static void help_lm(void)
{
    printf("usage: lmm lm DATA.csv 'FORMULA' [options]\n\n"
           "Fit FORMULA (no random-effects terms, e.g. 'Reaction ~ Days') by least squares\n"
           "and print R's summary(lm(...)).\n\n"
           "options:\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: formula, nobs, coef [{name, estimate, se, t, p}],\n"
           "                     sigma, df_resid, r_squared, adj_r_squared, fstatistic, f_df1, f_p,\n"
           "                     loglik, df, aic, bic\n");
}

static void help_aov(void)
{
    printf("usage: lmm aov DATA.csv 'FORMULA' [options]\n\n"
           "Sequential (type I) analysis of variance of FORMULA, as R's summary(aov(...)), then the\n"
           "coefficients and, for each single-factor term of a balanced design,\n"
           "model.tables(type = \"effects\").\n\n"
           "options:\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           "  --contrasts sum    sum contrasts (contr.sum; operator1..3 for pulp) for the coefficients\n"
           "  --json             print one JSON object: terms [{term, df, sumsq, meansq, f, p}]\n"
           "                     (Residuals last, f and p null), coef [{name, estimate, se, t, p}],\n"
           "                     effects {term: {level: effect}}\n");
}

static void help_anova(void)
{
    printf("usage: lmm anova DATA.csv 'F0' 'F1' ... [options]\n\n"
           "Compare nested models as lme4's anova(): each formula is a linear model (lm) or, with\n"
           "random-effects terms, a mixed model fitted by maximum likelihood. Rows are named m0, m1, ...\n"
           "in the order given and sorted by their number of parameters.\n\n"
           "options:\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: models, in the order given, as\n"
           "                     {formula, npar, aic, bic, loglik, deviance, chisq, df, p}\n"
           "                     (chisq, df, p null for the first row of the table)\n");
}

/* Exit status for a failed library call: 1 for a statistical failure, 2 for bad input. */
static int fail_status_in(const char *what, const lmm_error *err)
{
    fprintf(stderr, "lmm: %s%s%s\n", what ? what : "", what ? ": " : "", err->message);
    return err->code == LMM_ERR_CONVERGENCE || err->code == LMM_ERR_NUMERIC || err->code == LMM_ERR_RANK ? EXIT_STAT : EXIT_INPUT;
}

static int fail_status(const lmm_error *err)
{
    return fail_status_in(NULL, err);
}

static int wants_help(int argc, char **argv)
{
    int i;
    for (i = 0; i < argc; i++) if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return 1;
    return 0;
}

/* Print a named numeric vector as R does: values formatted jointly, one common
   column width, as many columns as fit in 80 characters. */
static void print_named_vector(char **names, const double *x, int n, int digits)
{
    char (*v)[48] = (char (*)[48])malloc((size_t)(n ? n : 1) * 48);
    int i, w = 0, per, j;
    if (!v) return;
    lmm_format_reals(x, n, digits, v);
    for (i = 0; i < n; i++) {
        if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
        if ((int)strlen(v[i]) > w) w = (int)strlen(v[i]);
    }
    per = 80 / (w + 1);
    if (per < 1) per = 1;
    for (i = 0; i < n; i += per) {
        for (j = i; j < n && j < i + per; j++) printf("%*s ", w, names[j]);
        printf("\n");
        for (j = i; j < n && j < i + per; j++) printf("%*s ", w, v[j]);
        printf("\n");
    }
    free(v);
}

static void print_coef_json(const lmm_lm *fit)
{
    int i;
    printf("[");
    for (i = 0; i < fit->p; i++) {
        printf("%s{\"name\": ", i ? ", " : ""); jstr(fit->X->colnames[i]);
        printf(", \"estimate\": "); jnum(fit->coef[i]);
        printf(", \"se\": "); jnum(fit->se[i]);
        printf(", \"t\": "); jnum(fit->tval[i]);
        printf(", \"p\": "); jnum(fit->pval[i]);
        printf("}");
    }
    printf("]");
}

/* Read the data and fit a linear model; NULL (message printed, *rc set) on failure. */
static lmm_lm *fit_lm_cmd(const cli_opts *o, lmm_frame **df, int *rc)
{
    lmm_lm *fit = NULL;
    lmm_error err = {LMM_OK, ""};
    if (!(*df = load_frame(o))) { *rc = EXIT_INPUT; return NULL; }
    if (lmm_lm_fit(*df, o->formula, o->sum ? LMM_CONTR_SUM : LMM_CONTR_TREATMENT, &fit, &err) != LMM_OK) {
        *rc = fail_status(&err);
        lmm_frame_free(*df); *df = NULL;
        return NULL;
    }
    return fit;
}

static int cmd_lm(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2];
    int npos, rc = 0;
    lmm_frame *df = NULL;
    lmm_lm *fit;
    char dname[256];
    if (wants_help(argc, argv)) { help_lm(); return 0; }
    memset(&o, 0, sizeof o);
    if ((rc = parse_opts(argc, argv, &o, pos, 2, &npos, 0)) != 0) return rc;
    if (npos != 2) return usage_error("lm needs DATA.csv and 'FORMULA'");
    o.data = pos[0]; o.formula = pos[1];
    if (!(fit = fit_lm_cmd(&o, &df, &rc))) return rc;
    if (o.json) {
        printf("{\"formula\": "); jstr(fit->formula);
        printf(", \"nobs\": %d, \"coef\": ", fit->nobs);
        print_coef_json(fit);
        printf(", \"sigma\": "); jnum(fit->sigma);
        printf(", \"df_resid\": %d", fit->df_resid);
        printf(", \"r_squared\": "); jnum(fit->r_squared);
        printf(", \"adj_r_squared\": "); jnum(fit->adj_r_squared);
        printf(", \"fstatistic\": "); jnum(fit->fstat);
        printf(", \"f_df1\": %d", fit->f_df1);
        printf(", \"f_p\": "); jnum(fit->f_p);
        printf(", \"loglik\": "); jnum(fit->loglik);
        printf(", \"df\": %d, \"aic\": ", fit->df); jnum(fit->aic);
        printf(", \"bic\": "); jnum(fit->bic);
        printf(", \"n_na_dropped\": %d}\n", fit->n_na_dropped);
    } else {
        data_name(o.data, dname, sizeof dname);
        lmm_print_lm(stdout, fit, dname);
    }
    lmm_lm_free(fit);
    lmm_frame_free(df);
    return 0;
}

/* The factor column a term names, or -1 if the term is not a single factor. */
static int single_factor(const lmm_frame *df, const char *term)
{
    int c = lmm_frame_find(df, term);
    return c >= 0 && df->cols[c].type == LMM_FACTOR ? c : -1;
}

static int cmd_aov(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2];
    int npos, rc = 0, n, i, t, first;
    lmm_frame *df = NULL;
    lmm_lm *fit;
    lmm_aov_row *rows;
    lmm_error err = {LMM_OK, ""};
    if (wants_help(argc, argv)) { help_aov(); return 0; }
    memset(&o, 0, sizeof o);
    if ((rc = parse_opts(argc, argv, &o, pos, 2, &npos, 0)) != 0) return rc;
    if (npos != 2) return usage_error("aov needs DATA.csv and 'FORMULA'");
    o.data = pos[0]; o.formula = pos[1];
    if (!(fit = fit_lm_cmd(&o, &df, &rc))) return rc;
    rows = (lmm_aov_row *)malloc(sizeof *rows * (size_t)(fit->X->nterms + 1));
    if (!rows) { fprintf(stderr, "lmm: out of memory\n"); lmm_lm_free(fit); lmm_frame_free(df); return EXIT_STAT; }
    n = lmm_aov_table(fit, rows);
    if (o.json) {
        printf("{\"formula\": "); jstr(fit->formula);
        printf(", \"terms\": [");
        for (i = 0; i < n; i++) {
            printf("%s{\"term\": ", i ? ", " : ""); jstr(rows[i].term);
            printf(", \"df\": %d, \"sumsq\": ", rows[i].df); jnum(rows[i].sumsq);
            printf(", \"meansq\": "); jnum(rows[i].meansq);
            printf(", \"f\": "); jnum(rows[i].f);
            printf(", \"p\": "); jnum(rows[i].p);
            printf("}");
        }
        printf("], \"coef\": ");
        print_coef_json(fit);
        printf(", \"effects\": {");
    } else {
        lmm_print_aov(stdout, fit);
        print_named_vector(fit->X->colnames, fit->coef, fit->p, 7);
    }
    first = 1;
    for (t = 0; t < fit->X->nterms; t++) {
        int c = single_factor(df, fit->X->terms[t]), nl;
        double *eff;
        if (c < 0) continue;
        eff = (double *)malloc(sizeof(double) * (size_t)df->cols[c].nlevels);
        if (!eff) continue;
        nl = lmm_aov_effects(fit, df, fit->X->terms[t], eff, &err);
        if (nl < 0) {
            if (!o.json) fprintf(stderr, "lmm: no effects table for '%s': %s\n", fit->X->terms[t], err.message);
            free(eff);
            continue;
        }
        if (o.json) {
            printf("%s", first ? "" : ", "); jstr(fit->X->terms[t]); printf(": {");
            for (i = 0; i < nl; i++) { printf("%s", i ? ", " : ""); jstr(df->cols[c].levels[i]); printf(": "); jnum(eff[i]); }
            printf("}");
        } else {
            if (first) printf("Tables of effects\n");
            printf("\n %s \n%s\n", fit->X->terms[t], fit->X->terms[t]);
            print_named_vector(df->cols[c].levels, eff, nl, 4);
        }
        first = 0;
        free(eff);
    }
    if (o.json) printf("}}\n");
    free(rows);
    lmm_lm_free(fit);
    lmm_frame_free(df);
    return 0;
}

/* 1 if the formula has random-effects terms (a mixed model), 0 if not, -1 on a parse error. */
static int is_mixed(const char *formula, lmm_error *err)
{
    lmm_formula *f = NULL;
    int mixed;
    if (lmm_formula_parse(formula, &f, err) != LMM_OK) return -1;
    mixed = f->nre > 0;
    lmm_formula_free(f);
    return mixed;
}

#define MAX_MODELS 32

static int cmd_anova(int argc, char **argv)
{
    cli_opts o;
    const char *pos[MAX_MODELS + 1];
    char names[MAX_MODELS][16];
    int npos, rc = 0, n, i, j;
    lmm_frame *df = NULL;
    lmm_lm *lms[MAX_MODELS];
    lmm_fit *mixed[MAX_MODELS];
    lmm_model_ref refs[MAX_MODELS];
    lmm_anova *a = NULL;
    lmm_fit_options fo;
    lmm_error err = {LMM_OK, ""};
    char dname[256];
    if (wants_help(argc, argv)) { help_anova(); return 0; }
    memset(&o, 0, sizeof o);
    if ((rc = parse_opts(argc, argv, &o, pos, MAX_MODELS + 1, &npos, 0)) != 0) return rc;
    if (npos < 3) return usage_error("anova needs DATA.csv and at least two formulas");
    o.data = pos[0];
    n = npos - 1;
    /* parse every formula before reading data, so a syntax error costs nothing */
    for (i = 0; i < n; i++)
        if (is_mixed(pos[i + 1], &err) < 0) { fprintf(stderr, "lmm: m%d: %s\n", i, err.message); return EXIT_INPUT; }
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(lms, 0, sizeof lms); memset(mixed, 0, sizeof mixed); memset(refs, 0, sizeof refs);
    memset(&fo, 0, sizeof fo);
    fo.ml = 1;
    fo.skip_condvar = 1;
    fo.contrasts = o.sum ? LMM_CONTR_SUM : LMM_CONTR_TREATMENT;
    for (i = 0; i < n && rc == 0; i++) {
        const char *f = pos[i + 1];
        snprintf(names[i], sizeof names[i], "m%d", i);
        refs[i].name = names[i];
        if (is_mixed(f, &err)) {
            if (lmm_fit_formula(df, f, &fo, &mixed[i], &err) != LMM_OK) rc = fail_status_in(names[i], &err);
            else if (!mixed[i]->converged) { fprintf(stderr, "lmm: model %s did not converge\n", names[i]); rc = EXIT_STAT; }
            refs[i].lmer = mixed[i];
        } else {
            if (lmm_lm_fit(df, f, fo.contrasts, &lms[i], &err) != LMM_OK) rc = fail_status_in(names[i], &err);
            refs[i].lm = lms[i];
        }
    }
    if (rc == 0 && lmm_anova_models(refs, n, &a, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0) {
        if (o.json) {
            printf("{\"models\": [");
            for (i = 0; i < n; i++) {
                const lmm_anova_row *r = NULL;
                for (j = 0; j < a->n; j++) if (a->rows[j].model == i) r = &a->rows[j];
                printf("%s{\"name\": ", i ? ", " : ""); jstr(r->name);
                printf(", \"formula\": "); jstr(r->formula);
                printf(", \"npar\": %d, \"aic\": ", r->npar); jnum(r->aic);
                printf(", \"bic\": "); jnum(r->bic);
                printf(", \"loglik\": "); jnum(r->loglik);
                printf(", \"deviance\": "); jnum(r->deviance);
                printf(", \"chisq\": "); jnum(r->chisq);
                printf(", \"df\": "); jnum(r->df);
                printf(", \"p\": "); jnum(r->p);
                printf("}");
            }
            printf("]}\n");
        } else {
            data_name(o.data, dname, sizeof dname);
            lmm_print_anova(stdout, a, dname);
        }
    }
    lmm_anova_free(a);
    for (i = 0; i < n; i++) { lmm_lm_free(lms[i]); lmm_fit_free(mixed[i]); }
    lmm_frame_free(df);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        help_main();
        return argc < 2 ? EXIT_INPUT : 0;
    }
    if (!strcmp(argv[1], "fit")) return cmd_fit(argc - 2, argv + 2);
    if (!strcmp(argv[1], "lm")) return cmd_lm(argc - 2, argv + 2);
    if (!strcmp(argv[1], "aov")) return cmd_aov(argc - 2, argv + 2);
    if (!strcmp(argv[1], "anova")) return cmd_anova(argc - 2, argv + 2);
    fprintf(stderr, "lmm: unknown command '%s' (see 'lmm --help')\n", argv[1]);
    return EXIT_INPUT;
}
