/* lmm: command-line front end of lmm.h.
     lmm fit DATA.csv 'FORMULA' [--ml] [--ref COL=LEVEL]... [--contrasts sum] [--json]
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
           "  fit DATA.csv 'FORMULA'   fit a linear mixed model (lme4's lmer) and print its summary\n\n"
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
static int parse_opts(int argc, char **argv, cli_opts *o, const char **pos, int npos_max, int *npos)
{
    int i;
    *npos = 0;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--ml")) o->ml = 1;
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
    if ((rc = parse_opts(argc, argv, &o, pos, 2, &npos)) != 0) return rc;
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

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        help_main();
        return argc < 2 ? EXIT_INPUT : 0;
    }
    if (!strcmp(argv[1], "fit")) return cmd_fit(argc - 2, argv + 2);
    fprintf(stderr, "lmm: unknown command '%s' (see 'lmm --help')\n", argv[1]);
    return EXIT_INPUT;
}
