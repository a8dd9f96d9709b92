/* lmm: command-line front end of lmm.h.
     lmm fit DATA.csv 'FORMULA' [--ml] [--ref COL=LEVEL]... [--contrasts sum] [--all-optimizers] [--ddf satterthwaite|kenward-roger] [--json]
     lmm fit DATA.csv 'FORMULA' --family binomial[:probit|:cloglog]|poisson [--nagq K] [--json]
     lmm lm DATA.csv 'FORMULA' [--ref COL=LEVEL]... [--contrasts sum] [--json]
     lmm aov DATA.csv 'FORMULA' [--ref COL=LEVEL]... [--contrasts sum] [--json]
     lmm anova DATA.csv 'FORMULA' [--type 1|2|3] [--ddf satterthwaite|kenward-roger] [--ml] [--json]
     lmm anova DATA.csv 'F0' 'F1' ... [--ref COL=LEVEL]... [--contrasts sum] [--json]
     lmm boot DATA.csv 'F0' 'F1' --nsim B --seed S [--threads T] [--shard K/N --out FILE] [--json]
     lmm boot DATA.csv 'F0' 'F1' --family binomial[:probit|:cloglog]|poisson [--nagq K] --nsim B --seed S [...]
     lmm boot-merge FILE... [--json]
     lmm predict DATA.csv 'FORMULA' NEWDATA.csv [--level cond|pop] [--interval confidence|prediction|boot] [--level 0.95] [--nsim B --seed S --threads T] [--json]
     lmm ranef DATA.csv 'FORMULA' [--ml] [--json]
     lmm confint DATA.csv 'FORMULA' [--method profile|wald|boot] [--level L] [--parm P] [--nsim B --seed S] [--threads T] [--shard K/N --out FILE] [--ml] [--json]
     lmm confint-merge FILE... [--json]
     lmm ranova DATA.csv 'FORMULA' [--ml] [--json]
     lmm contest DATA.csv 'FORMULA' --L 'l1,l2,...' [--L ...] [--ddf satterthwaite|kenward-roger] [--ml] [--json]
     lmm plot ranef|resid|qq DATA.csv 'FORMULA' [--group G] [--title T] > out.svg
     lmm plot hist FILE... > out.svg
     lmm --version
   Every subcommand that reads DATA.csv takes --factor COL (repeatable): the numeric
   column COL becomes a factor (R's df$COL <- factor(df$COL)) before fitting.
   Exit status: 0 ok, 1 statistical failure (no convergence), 2 bad input. */
#define _POSIX_C_SOURCE 200809L   /* isatty */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <errno.h>
#include <time.h>
#include <unistd.h>

#define EXIT_STAT 1
#define EXIT_INPUT 2

typedef struct cli_opts {
    const char *data, *formula;
    int ml, json;
    lmm_model_options model;  /* --contrasts */
    int max_evals;            /* fit --max-evals N (0: the optimizer's default) */
    const char *refs[64];
    int nref;
    const char *factors[64];  /* --factor COL */
    int nfactor;
} cli_opts;

/* The --factor line of every data-reading subcommand's help. */
#define HELP_FACTOR "  --factor COL       make numeric column COL a factor (R's factor(COL): levels in numeric order); repeatable\n"
/* The --weights / --offset lines of the model-fitting subcommands' help. */
#define HELP_WEIGHTS "  --weights COL      prior weights from numeric column COL (lmer's / lm's weights = COL)\n" \
                     "  --offset COL       offset from numeric column COL (lmer's offset = COL; or offset(expr) in the formula)\n"


static int usage_error(const char *msg)
{
    fprintf(stderr, "lmm: %s (see 'lmm --help')\n", msg);
    return EXIT_INPUT;
}

/* --ddf's value: 0, or -1 when it names no method */
static int parse_ddf(const char *v, int *ddf)
{
    if (!strcmp(v, "satterthwaite")) *ddf = LMM_DDF_SATTERTHWAITE;
    else if (!strcmp(v, "kenward-roger")) *ddf = LMM_DDF_KENWARD_ROGER;
    else return -1;
    return 0;
}

static void help_main(void)
{
    printf("lmm - linear mixed models from the command line (lmm.h)\n\n"
           "usage: lmm COMMAND [ARGS]\n\n"
           "commands:\n"
           "  fit DATA.csv 'FORMULA'        fit a linear mixed model (lme4's lmer) and print its summary\n"
           "  lm DATA.csv 'FORMULA'         fit a linear model by least squares (R's summary(lm))\n"
           "  aov DATA.csv 'FORMULA'        sequential ANOVA table, coefficients and effects (R's aov)\n"
           "  anova DATA.csv 'FORMULA'      lmerTest's F tests of the fixed effects (type III/II/I)\n"
           "  anova DATA.csv 'F0' 'F1' ...  compare nested lm / lmer models (lme4's anova)\n"
           "  boot DATA.csv 'F0' 'F1'       parametric bootstrap of the likelihood-ratio test of F0 against F1\n"
           "  boot-merge FILE...            merge the shards of a bootstrap run (boot --shard K/N --out FILE)\n"
           "  predict DATA.csv 'FORMULA' NEWDATA.csv  predictions, standard errors and intervals for new rows\n"
           "  ranef DATA.csv 'FORMULA'      random effects with conditional SDs and 95%% Wald intervals\n"
           "  confint DATA.csv 'FORMULA'    confidence intervals of every parameter (lme4's confint: profile, Wald, boot)\n"
           "  ranova DATA.csv 'FORMULA'     likelihood-ratio tests of the random-effects terms (lmerTest's ranova)\n"
           "  contest DATA.csv 'FORMULA' --L ...  t/F test of L beta = 0 (lmerTest's contest)\n"
           "  confint-merge FILE...         merge the shards of a bootstrap confint run (confint --shard K/N --out FILE)\n"
           "  plot ranef|resid|qq DATA.csv 'FORMULA'  SVG plot on stdout (plot hist FILE...: bootstrap statistics)\n\n"
           "Run 'lmm COMMAND --help' for a command's options; 'lmm --version' prints the version.\n"
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
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --max-evals N      optimizer evaluation limit (default 10000); reaching it exits with 1\n"
           "  --all-optimizers   refit with every optimizer from several starts and print the table of\n"
           "                     summary(allFit(m)) after the summary (JSON: an all_optimizers array)\n"
           "  --ddf satterthwaite  print lmerTest's summary(): t tests with Satterthwaite's degrees of\n"
           "                     freedom and p-values (JSON: \"df\" and \"p\" per fixef)\n"
           "  --ddf kenward-roger  the same with Kenward-Roger's (pbkrtest's) adjusted standard errors\n"
           "                     and degrees of freedom; REML fits only (with --ml: exit 2)\n"
           "  --family F         a GLMM (lme4's glmer): F is binomial[:logit|:probit|:cloglog] or\n"
           "                     poisson; a binomial response is 0/1, a proportion with --weights\n"
           "                     (the trials) or cbind(successes, failures); a formula without\n"
           "                     random-effects terms is a plain glm (R's glm, summary(glm))\n"
           "  --nagq K           with --family: K-point adaptive Gauss-Hermite quadrature (2..25; one\n"
           "                     scalar random-effects term), default 1 = Laplace\n"
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
        } else if (!strcmp(a, "--factor")) {
            if (i + 1 >= argc) return usage_error("--factor needs a column name");
            if (o->nfactor == 64) return usage_error("too many --factor options");
            o->factors[o->nfactor++] = argv[++i];
        } else if (!strcmp(a, "--weights") || !strcmp(a, "--offset")) {
            if (i + 1 >= argc) return usage_error(a[2] == 'w' ? "--weights needs a column name" : "--offset needs a column name");
            if (a[2] == 'w') o->model.weights_column = argv[++i];
            else o->model.offset_column = argv[++i];
        } else if (!strcmp(a, "--contrasts")) {
            if (i + 1 >= argc) return usage_error("--contrasts needs 'sum' or 'treatment'");
            i++;
            if (!strcmp(argv[i], "sum")) o->model.contrasts = LMM_CONTR_SUM;
            else if (!strcmp(argv[i], "treatment")) o->model.contrasts = LMM_CONTR_TREATMENT;
            else return usage_error("--contrasts takes 'sum' or 'treatment'");
        } else if (!strcmp(a, "--max-evals") && allow_ml) {
            char *end;
            long v;
            if (i + 1 >= argc) return usage_error("--max-evals needs a positive count");
            v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 100000000) return usage_error("--max-evals needs a positive count, e.g. --max-evals 10000");
            o->max_evals = (int)v;
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
    /* before --ref, so that a --factor column can take a reference level */
    for (i = 0; i < o->nfactor; i++)
        if (lmm_frame_as_factor(df, o->factors[i], &err) != LMM_OK) {
            fprintf(stderr, "lmm: --factor %s: %s\n", o->factors[i], err.message);
            lmm_frame_free(df);
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

/* A number in a text column of width w with d decimals; a missing value is
   R's NA, right-aligned in the column as R prints it. */
static void tnum(int w, int d, double x)
{
    if (isnan(x)) printf("%*s", w, "NA"); else printf("%*.*f", w, d, x);
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

/* The all_optimizers array of fit --all-optimizers --json: one object per refit. */
static void print_allfit_json(const lmm_allfit *a)
{
    int i, j;
    printf(", \"all_optimizers\": [");
    for (i = 0; i < a->nrows; i++) {
        const lmm_allfit_row *r = &a->rows[i];
        printf("%s{\"label\": ", i ? ", " : ""); jstr(r->label);
        printf(", \"method\": \"%s\", \"ok\": %s, \"criterion\": ", r->method == LMM_OPT_NELDER_MEAD ? "nelder_mead" : "bobyqa",
               r->ok ? "true" : "false");
        jnum(r->criterion);
        printf(", \"theta\": [");
        for (j = 0; j < a->ntheta; j++) { if (j) printf(", "); jnum(r->theta[j]); }
        printf("], \"beta\": [");
        for (j = 0; j < a->p; j++) { if (j) printf(", "); jnum(r->beta[j]); }
        printf("], \"converged\": %s, \"warning\": ", r->converged ? "true" : "false"); if (r->warning[0]) jstr(r->warning); else printf("null");
        printf(", \"nevals\": %d}", r->nevals);
    }
    printf("]");
}

/* af: the --all-optimizers table, NULL without it; rows: the --ddf t tests, NULL without it */
static void print_fit_json(const lmm_fit *fit, const lmm_allfit *af, const lmm_coef_row *rows)
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
    printf("], \"singular\": %s, \"converged\": %s, \"warning\": ", fit->singular ? "true" : "false",
           fit->converged ? "true" : "false");
    if (fit->warning[0]) jstr(fit->warning); else printf("null");
    printf(", \"nevals\": %d", fit->nevals);
    printf(", \"n_na_dropped\": %d", m->n_na_dropped);
    printf(", \"fixef\": [");
    for (i = 0; i < fit->p; i++) {
        printf("%s{\"name\": ", i ? ", " : ""); jstr(m->X->colnames[i]);
        printf(", \"estimate\": "); jnum(fit->beta[i]);
        /* with --ddf the table's se and t (Kenward-Roger: from the adjusted vcov) */
        printf(", \"se\": "); jnum(rows ? rows[i].se : fit->se[i]);
        printf(", \"t\": "); jnum(rows ? rows[i].t : fit->beta[i] / fit->se[i]);
        if (rows) { printf(", \"df\": "); jnum(rows[i].df); printf(", \"p\": "); jnum(rows[i].p); }
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
    printf("]");
    if (af) print_allfit_json(af);
    printf("}\n");
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

/* fit --family ... --json: a GLMM's estimates (the lmer JSON's fields where they apply). */
static void print_glmm_json(const lmm_glmm *g)
{
    const lmm_model *m = g->model;
    int i, j, k, first = 1;
    printf("{\"formula\": "); jstr(g->formula);
    printf(", \"family\": \"%s\", \"link\": \"%s\", \"nagq\": %d, \"nobs\": %d", lmm_family_name(g->family),
           lmm_link_name(g->link), g->nagq, g->nobs);
    printf(", \"deviance\": "); jnum(g->deviance);
    printf(", \"loglik\": "); jnum(g->loglik);
    printf(", \"df\": %d, \"aic\": ", g->df); jnum(g->aic);
    printf(", \"bic\": "); jnum(g->bic);
    printf(", \"df_resid\": %d, \"theta\": [", g->df_resid);
    for (i = 0; i < g->ntheta; i++) { if (i) printf(", "); jnum(g->theta[i]); }
    printf("], \"singular\": %s, \"converged\": %s, \"warning\": ", g->singular ? "true" : "false", g->converged ? "true" : "false");
    if (g->warning[0]) jstr(g->warning); else printf("null");
    printf(", \"vcov_hessian\": %s, \"nevals\": %d, \"fixef\": [", g->vcov_hessian ? "true" : "false", g->nevals);
    for (i = 0; i < g->p; i++) {
        double z = g->beta[i] / g->se[i];
        printf("%s{\"name\": ", i ? ", " : ""); jstr(m->X->colnames[i]);
        printf(", \"estimate\": "); jnum(g->beta[i]);
        printf(", \"se\": "); jnum(g->se[i]);
        printf(", \"z\": "); jnum(z);
        printf(", \"p\": "); jnum(2 * lmm_pnorm(-fabs(z), 0, 1, 1, 0));
        printf("}");
    }
    printf("], \"vcov\": [");
    for (i = 0; i < g->p; i++) {
        printf("%s[", i ? ", " : "");
        for (j = 0; j < g->p; j++) { if (j) printf(", "); jnum(g->vcov[i + j * g->p]); }
        printf("]");
    }
    printf("], \"ranef\": [");
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        printf("%s{\"group\": ", first ? "" : ", "); jstr(t->vc_name);
        first = 0;
        printf(", \"columns\": [");
        for (i = 0; i < t->ncol; i++) { if (i) printf(", "); jstr(t->colnames[i]); }
        printf("], \"levels\": [");
        for (j = 0; j < t->nlevels; j++) { if (j) printf(", "); jstr(t->levels[j]); }
        printf("], \"values\": [");
        for (j = 0; j < t->nlevels; j++) {
            printf("%s[", j ? ", " : "");
            for (i = 0; i < t->ncol; i++) { if (i) printf(", "); jnum(g->b[t->u_offset + j * t->ncol + i]); }
            printf("]");
        }
        printf("], \"condsd\": [");
        for (j = 0; j < t->nlevels; j++) {
            printf("%s[", j ? ", " : "");
            for (i = 0; i < t->ncol; i++) { if (i) printf(", "); jnum(g->b_condsd ? g->b_condsd[t->u_offset + j * t->ncol + i] : NAN); }
            printf("]");
        }
        printf("]}");
    }
    printf("], \"resid_quantiles\": [");
    for (i = 0; i < 5; i++) { if (i) printf(", "); jnum(g->resid_quantiles[i]); }
    printf("]}\n");
}

/* fit --family: binomial[:logit|:probit|:cloglog] or poisson[:log]; 0 or a usage error. */
static int parse_family(const char *v, lmm_model_options *mo)
{
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : strlen(v);
    if (n == 8 && !strncmp(v, "binomial", 8)) mo->family = LMM_FAMILY_BINOMIAL;
    else if (n == 7 && !strncmp(v, "poisson", 7)) mo->family = LMM_FAMILY_POISSON;
    else return usage_error("--family takes binomial[:logit|:probit|:cloglog] or poisson");
    if (!colon) return 0;
    if (!strcmp(colon + 1, "logit") && mo->family == LMM_FAMILY_BINOMIAL) mo->link = LMM_LINK_LOGIT;
    else if (!strcmp(colon + 1, "probit") && mo->family == LMM_FAMILY_BINOMIAL) mo->link = LMM_LINK_PROBIT;
    else if (!strcmp(colon + 1, "cloglog") && mo->family == LMM_FAMILY_BINOMIAL) mo->link = LMM_LINK_CLOGLOG;
    else if (!strcmp(colon + 1, "log") && mo->family == LMM_FAMILY_POISSON) mo->link = LMM_LINK_LOG;
    else return usage_error("--family: binomial takes the links logit, probit, cloglog; poisson takes log");
    return 0;
}

/* fit --family: lme4's glmer */
/* fit --family with a formula without random-effects terms: R's glm (summary, or JSON). */
static int cmd_fit_glm(lmm_frame *df, const cli_opts *o, const lmm_model_options *mo)
{
    lmm_glm *g = NULL;
    lmm_error err = {LMM_OK, ""};
    char dname[256];
    int i;
    if (lmm_glm_fit_formula(df, o->formula, mo, &g, &err) != LMM_OK) {
        fprintf(stderr, "lmm: %s\n", err.message);
        lmm_frame_free(df);
        return err.code == LMM_ERR_CONVERGENCE || err.code == LMM_ERR_NUMERIC ? EXIT_STAT : EXIT_INPUT;
    }
    if (o->json) {
        printf("{\"formula\": "); jstr(g->formula);
        printf(", \"family\": \"%s\", \"link\": \"%s\", \"nobs\": %d", lmm_family_name(g->family), lmm_link_name(g->link), g->nobs);
        printf(", \"deviance\": "); jnum(g->deviance);
        printf(", \"null_deviance\": "); jnum(g->null_deviance);
        printf(", \"df_resid\": %d, \"df_null\": %d, \"aic\": ", g->df_resid, g->df_null); jnum(g->aic);
        printf(", \"bic\": "); jnum(g->bic);
        printf(", \"loglik\": "); jnum(g->loglik);
        printf(", \"iter\": %d, \"converged\": %s, \"coef\": [", g->iter, g->converged ? "true" : "false");
        for (i = 0; i < g->p; i++) {
            printf("%s{\"name\": ", i ? ", " : ""); jstr(g->model->X->colnames[i]);
            printf(", \"estimate\": "); jnum(g->beta[i]);
            printf(", \"se\": "); jnum(g->se[i]);
            printf(", \"z\": "); jnum(g->zval[i]);
            printf(", \"p\": "); jnum(g->pval[i]);
            printf("}");
        }
        printf("]}\n");
    } else {
        data_name(o->data, dname, sizeof dname);
        lmm_print_glm_summary(stdout, g, dname);
    }
    lmm_glm_free(g);
    lmm_frame_free(df);
    return 0;
}

static int cmd_fit_glmm(lmm_frame *df, const cli_opts *o, const lmm_model_options *mo, int nagq)
{
    lmm_glmm_options go;
    lmm_glmm *g = NULL;
    lmm_error err = {LMM_OK, ""};
    char dname[256];
    int rc;
    if (!strchr(o->formula, '|')) {   /* no random-effects term: a plain glm */
        if (nagq) { lmm_frame_free(df); return usage_error("--nagq needs random-effects terms (a formula without them is a glm)"); }
        return cmd_fit_glm(df, o, mo);
    }
    memset(&go, 0, sizeof go);
    go.model = *mo;
    go.nagq = nagq;
    go.optim.max_evals = o->max_evals;
    if (lmm_glmm_fit_formula(df, o->formula, &go, &g, &err) != LMM_OK) {
        fprintf(stderr, "lmm: %s\n", err.message);
        lmm_frame_free(df);
        return err.code == LMM_ERR_CONVERGENCE || err.code == LMM_ERR_NUMERIC ? EXIT_STAT : EXIT_INPUT;
    }
    if (o->json) print_glmm_json(g);
    else {
        data_name(o->data, dname, sizeof dname);
        lmm_print_glmm_summary(stdout, g, dname);
    }
    if (g->warning[0]) fprintf(stderr, "lmm: warning: %s\n", g->warning);   /* lme4's checkConv: exit 1, as lmer fits */
    rc = g->warning[0] ? EXIT_STAT : 0;
    lmm_glmm_free(g);
    lmm_frame_free(df);
    return rc;
}

static int cmd_fit(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2];
    int npos, rc, i, nargs = 0, all_opt = 0, ddf = -1, nagq = 0;
    lmm_model_options family;
    lmm_frame *df;
    lmm_fit *fit = NULL;
    lmm_allfit *af = NULL;
    lmm_coef_row *rows = NULL;
    lmm_fit_options fo;
    lmm_error err = {LMM_OK, ""};
    char dname[256], **args;
    for (i = 0; i < argc; i++) if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { help_fit(); return 0; }
    memset(&o, 0, sizeof o);
    memset(&family, 0, sizeof family);
    /* --all-optimizers, --ddf, --family and --nagq are fit's own: the shared parser sees the rest */
    if (!(args = (char **)malloc((size_t)(argc + 1) * sizeof *args))) { fprintf(stderr, "lmm: out of memory\n"); return EXIT_INPUT; }
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--all-optimizers")) all_opt = 1;
        else if (!strcmp(argv[i], "--family")) {
            if (i + 1 >= argc) { free(args); return usage_error("--family needs binomial or poisson"); }
            if ((rc = parse_family(argv[++i], &family)) != 0) { free(args); return rc; }
        } else if (!strcmp(argv[i], "--nagq")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[++i], &end, 10) : -1;
            if (v < 1 || v > 25 || *end) { free(args); return usage_error("--nagq takes an integer from 1 to 25"); }
            nagq = (int)v;
        }
        else if (!strcmp(argv[i], "--ddf")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (parse_ddf(v, &ddf) != 0) { free(args); return usage_error("--ddf takes 'satterthwaite' or 'kenward-roger'"); }
        } else args[nargs++] = argv[i];
    }
    rc = parse_opts(nargs, args, &o, pos, 2, &npos, 1);
    free(args);
    if (rc != 0) return rc;
    if (npos != 2) return usage_error("fit needs DATA.csv and 'FORMULA'");
    o.data = pos[0]; o.formula = pos[1];
    if (nagq && family.family == LMM_FAMILY_GAUSSIAN) return usage_error("--nagq needs --family binomial or poisson");
    if (family.family != LMM_FAMILY_GAUSSIAN && (all_opt || ddf >= 0 || o.ml))
        return usage_error("--family fits by maximum likelihood; --ml, --all-optimizers and --ddf are for lmer fits");
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    if (family.family != LMM_FAMILY_GAUSSIAN) {
        family.contrasts = o.model.contrasts;
        family.weights_column = o.model.weights_column;
        family.offset_column = o.model.offset_column;
        return cmd_fit_glmm(df, &o, &family, nagq);
    }
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.model = o.model;
    fo.optim.max_evals = o.max_evals;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) {
        fprintf(stderr, "lmm: %s\n", err.message);
        lmm_frame_free(df);
        return err.code == LMM_ERR_CONVERGENCE || err.code == LMM_ERR_NUMERIC ? EXIT_STAT : EXIT_INPUT;
    }
    if (all_opt && lmm_fit_all_optimizers(fit, &af, &err) != LMM_OK) {
        fprintf(stderr, "lmm: all optimizers: %s\n", err.message);
        lmm_fit_free(fit);
        lmm_frame_free(df);
        return EXIT_STAT;
    }
    if (ddf >= 0 && fit->p > 0) {
        if (!(rows = (lmm_coef_row *)malloc((size_t)fit->p * sizeof *rows)) ||
            lmm_coef_table(fit, (lmm_ddf_method)ddf, rows, &err) != LMM_OK) {
            fprintf(stderr, "lmm: --ddf: %s\n", rows ? err.message : "out of memory");
            free(rows); lmm_allfit_free(af); lmm_fit_free(fit); lmm_frame_free(df);
            return rows && err.code == LMM_ERR_ARG ? EXIT_INPUT : EXIT_STAT;   /* Kenward-Roger on an ML fit */
        }
    }
    if (o.json) print_fit_json(fit, af, rows);
    else {
        lmm_print_options po;
        memset(&po, 0, sizeof po);
        po.tests = ddf >= 0;
        po.ddf = ddf >= 0 ? (lmm_ddf_method)ddf : LMM_DDF_SATTERTHWAITE;
        data_name(o.data, dname, sizeof dname);
        if (lmm_print_summary_ex(stdout, fit, dname, &po, &err) != LMM_OK) fprintf(stderr, "lmm: %s\n", err.message);
        if (af) { printf("\n"); lmm_print_allfit(stdout, af); }
    }
    free(rows);
    lmm_allfit_free(af);
    /* lme4's checkConv ran with the fit: a failed check is a statistical failure (exit 1) */
    rc = 0;
    if (fit->warning[0]) { fprintf(stderr, "lmm: warning: %s\n", fit->warning); rc = EXIT_STAT; }
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
           HELP_FACTOR
           HELP_WEIGHTS
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
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum; operator1..3 for pulp) for the coefficients\n"
           "  --json             print one JSON object: terms [{term, df, sumsq, meansq, f, p}]\n"
           "                     (Residuals last, f and p null), coef [{name, estimate, se, t, p}],\n"
           "                     effects {term: {level: effect}}\n");
}

static void help_anova(void)
{
    printf("usage: lmm anova DATA.csv 'FORMULA' [--type 1|2|3] [--ddf satterthwaite|kenward-roger] [--ml] [options]\n"
           "       lmm anova DATA.csv 'F0' 'F1' ... [options]\n"
           "       lmm anova DATA.csv 'F0' 'F1' ... --family binomial|poisson [--nagq K] [options]\n\n"
           "With one mixed-model formula: lmerTest's anova(m), an F test of each fixed-effects term\n"
           "(type III by default, II or I with --type) with Satterthwaite's denominator df (or\n"
           "Kenward-Roger's with --ddf kenward-roger), for the REML fit (ML with --ml).\n"
           "With two or more formulas: compare nested models as lme4's anova(): each formula is a\n"
           "linear model (lm) or, with random-effects terms, a mixed model fitted by maximum\n"
           "likelihood. Rows are named m0, m1, ... in the order given and sorted by their number\n"
           "of parameters. With --family, every formula is a GLMM (lme4's glmer, as 'lmm fit\n"
           "--family') and the table is lme4's anova of the glmer fits; a formula without\n"
           "random-effects terms is a plain glm (R's glm), as lme4's anova(glmer, glm).\n\n"
           "options:\n"
           "  --family F         two or more formulas: glmer fits, F as for 'lmm fit --family'\n"
           "  --nagq K           with --family: K-point adaptive Gauss-Hermite quadrature (2..25)\n"
           "  --type 1|2|3       one formula: the type of the F tests (default 3)\n"
           "  --ddf METHOD       one formula: satterthwaite (default) or kenward-roger\n"
           "  --ml               one formula: fit by maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: models, in the order given, as\n"
           "                     {formula, npar, aic, bic, loglik, deviance, chisq, df, p}\n"
           "                     (chisq, df, p null for the first row of the table); with one\n"
           "                     formula: formula, type, ddf, terms [{term, sumsq, meansq, numdf,\n"
           "                     dendf, f, p}]\n");
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
    if (lmm_lm_fit(*df, o->formula, &o->model, &fit, &err) != LMM_OK) {
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

/* anova with one mixed-model formula: lmerTest's F table of its fit */
static int anova_one(const cli_opts *o, int type, lmm_ddf_method ddf)
{
    lmm_frame *df;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_anova3_row *rows = NULL;
    lmm_error err = {LMM_OK, ""};
    int n = 0, i, rc = 0;
    if (!(df = load_frame(o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o->ml;
    fo.model = o->model;
    fo.skip_condvar = 1;
    if (lmm_fit_formula(df, o->formula, &fo, &fit, &err) != LMM_OK) { rc = fail_status(&err); lmm_frame_free(df); return rc; }
    if (fit->warning[0]) { fprintf(stderr, "lmm: warning: %s\n", fit->warning); rc = EXIT_STAT; }
    if (!(rows = (lmm_anova3_row *)malloc(sizeof *rows * (size_t)(fit->model->X->nterms + 1)))) {
        fprintf(stderr, "lmm: out of memory\n"); lmm_fit_free(fit); lmm_frame_free(df); return EXIT_STAT;
    }
    if (lmm_anova_table(fit, df, type, ddf, rows, &n, &err) != LMM_OK) {
        rc = fail_status_in("anova", &err);
    } else if (o->json) {
        printf("{\"formula\": "); jstr(o->formula);
        printf(", \"type\": %d, \"ddf\": \"%s\", \"terms\": [", type, ddf == LMM_DDF_KENWARD_ROGER ? "kenward-roger" : "satterthwaite");
        for (i = 0; i < n; i++) {
            printf("%s{\"term\": ", i ? ", " : ""); jstr(rows[i].term);
            printf(", \"sumsq\": "); jnum(rows[i].sumsq);
            printf(", \"meansq\": "); jnum(rows[i].meansq);
            printf(", \"numdf\": "); jnum(rows[i].num_df);
            printf(", \"dendf\": "); jnum(rows[i].den_df);
            printf(", \"f\": "); jnum(rows[i].f);
            printf(", \"p\": "); jnum(rows[i].p);
            printf("}");
        }
        printf("]}\n");
    } else lmm_print_anova_table(stdout, type, ddf, rows, n);
    free(rows);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return rc;
}

static int cmd_anova(int argc, char **argv)
{
    cli_opts o;
    const char *pos[MAX_MODELS + 1];
    char names[MAX_MODELS][16];
    int npos, rc = 0, warned = 0, n, i, j;
    lmm_frame *df = NULL;
    lmm_lm *lms[MAX_MODELS];
    lmm_fit *mixed[MAX_MODELS];
    lmm_glmm *glmms[MAX_MODELS];
    lmm_glm *glms[MAX_MODELS];
    lmm_model_ref refs[MAX_MODELS];
    lmm_anova *a = NULL;
    lmm_fit_options fo;
    lmm_error err = {LMM_OK, ""};
    char dname[256];
    int type = 0, ddf = -1, ml = 0, nargs = 0, nagq = 0;
    lmm_model_options family;
    char **args;
    if (wants_help(argc, argv)) { help_anova(); return 0; }
    memset(&o, 0, sizeof o);
    memset(&family, 0, sizeof family);
    /* --type, --ddf and --ml belong to the one-formula table, --family and --nagq to glmer
       comparisons: the shared parser sees the rest */
    if (!(args = (char **)malloc((size_t)(argc + 1) * sizeof *args))) { fprintf(stderr, "lmm: out of memory\n"); return EXIT_INPUT; }
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--type")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (!strcmp(v, "1") || !strcmp(v, "I")) type = 1;
            else if (!strcmp(v, "2") || !strcmp(v, "II")) type = 2;
            else if (!strcmp(v, "3") || !strcmp(v, "III")) type = 3;
            else { free(args); return usage_error("--type takes 1, 2 or 3"); }
        } else if (!strcmp(argv[i], "--ddf")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (parse_ddf(v, &ddf) != 0) { free(args); return usage_error("--ddf takes 'satterthwaite' or 'kenward-roger'"); }
        } else if (!strcmp(argv[i], "--ml")) ml = 1;
        else if (!strcmp(argv[i], "--family")) {
            if (i + 1 >= argc) { free(args); return usage_error("--family needs binomial or poisson"); }
            if ((rc = parse_family(argv[++i], &family)) != 0) { free(args); return rc; }
        } else if (!strcmp(argv[i], "--nagq")) {
            char *end;
            long v = i + 1 < argc ? strtol(argv[++i], &end, 10) : -1;
            if (v < 1 || v > 25 || *end) { free(args); return usage_error("--nagq takes an integer from 1 to 25"); }
            nagq = (int)v;
        } else args[nargs++] = argv[i];
    }
    rc = parse_opts(nargs, args, &o, pos, MAX_MODELS + 1, &npos, 0);
    free(args);
    if (rc != 0) return rc;
    if (nagq && family.family == LMM_FAMILY_GAUSSIAN) return usage_error("--nagq needs --family binomial or poisson");
    if (family.family != LMM_FAMILY_GAUSSIAN && npos == 2)
        return usage_error("anova --family compares two or more glmer formulas (lme4's anova of glmer fits)");
    if (npos == 2) {
        int mixed = is_mixed(pos[1], &err);
        if (mixed < 0) { fprintf(stderr, "lmm: %s\n", err.message); return EXIT_INPUT; }
        if (!mixed && ddf >= 0) return usage_error("--ddf applies to mixed models: the formula has no random-effects terms");
        if (!mixed) return usage_error("anova with one formula needs random-effects terms (lmerTest's anova(m)); "
                                       "for a linear model use 'lmm aov'");
        o.data = pos[0]; o.formula = pos[1]; o.ml = ml;
        return anova_one(&o, type ? type : 3, ddf >= 0 ? (lmm_ddf_method)ddf : LMM_DDF_SATTERTHWAITE);
    }
    if (type || ddf >= 0 || ml) return usage_error("--type, --ddf and --ml apply to anova of one formula");
    if (npos < 3) return usage_error("anova needs DATA.csv and a formula (an F table) or two or more (a comparison)");
    o.data = pos[0];
    n = npos - 1;
    /* parse every formula before reading data, so a syntax error costs nothing */
    for (i = 0; i < n && family.family == LMM_FAMILY_GAUSSIAN; i++)   /* a glmer formula may have cbind(s, f) */
        if (is_mixed(pos[i + 1], &err) < 0) { fprintf(stderr, "lmm: m%d: %s\n", i, err.message); return EXIT_INPUT; }
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(lms, 0, sizeof lms); memset(mixed, 0, sizeof mixed); memset(glmms, 0, sizeof glmms); memset(glms, 0, sizeof glms); memset(refs, 0, sizeof refs);
    memset(&fo, 0, sizeof fo);
    fo.ml = 1;
    fo.skip_condvar = 1;
    fo.model = o.model;
    for (i = 0; i < n && rc == 0; i++) {
        const char *f = pos[i + 1];
        snprintf(names[i], sizeof names[i], "m%d", i);
        refs[i].name = names[i];
        if (family.family != LMM_FAMILY_GAUSSIAN) {
            lmm_glmm_options go;
            memset(&go, 0, sizeof go);
            go.model = family;
            go.model.contrasts = o.model.contrasts;
            go.model.weights_column = o.model.weights_column;
            go.model.offset_column = o.model.offset_column;
            go.nagq = nagq;
            go.optim.max_evals = o.max_evals;
            go.skip_condvar = 1;
            go.skip_hessian = 1;   /* the table needs the likelihood only */
            if (!strchr(f, '|')) {   /* no random-effects term: a plain glm, as anova(glmer, glm) */
                if (lmm_glm_fit_formula(df, f, &go.model, &glms[i], &err) != LMM_OK) rc = fail_status_in(names[i], &err);
            } else if (lmm_glmm_fit_formula(df, f, &go, &glmms[i], &err) != LMM_OK) rc = fail_status_in(names[i], &err);
        } else if (is_mixed(f, &err)) {
            if (lmm_fit_formula(df, f, &fo, &mixed[i], &err) != LMM_OK) rc = fail_status_in(names[i], &err);
            else if (mixed[i]->warning[0]) { fprintf(stderr, "lmm: warning: model %s: %s\n", names[i], mixed[i]->warning); warned = 1; }
            refs[i].lmer = mixed[i];
        } else {
            if (lmm_lm_fit(df, f, &fo.model, &lms[i], &err) != LMM_OK) rc = fail_status_in(names[i], &err);
            refs[i].lm = lms[i];
        }
    }
    if (rc == 0 && family.family != LMM_FAMILY_GAUSSIAN) {
        const char *gnames[MAX_MODELS];
        for (i = 0; i < n; i++) gnames[i] = names[i];
        if (lmm_glm_anova((const lmm_glmm *const *)glmms, (const lmm_glm *const *)glms, gnames, n, &a, &err) != LMM_OK) rc = fail_status(&err);
    } else if (rc == 0 && lmm_anova_models(refs, n, &a, &err) != LMM_OK) rc = fail_status(&err);
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
    for (i = 0; i < n; i++) { lmm_lm_free(lms[i]); lmm_fit_free(mixed[i]); lmm_glmm_free(glmms[i]); lmm_glm_free(glms[i]); }
    lmm_frame_free(df);
    return rc ? rc : warned ? EXIT_STAT : 0;   /* the table stands; a printed warning still means exit 1 */
}

/* ---- shared helpers of the simulation subcommands ------------------------ */

/* Parse a whole decimal integer in [lo, hi] into *v; 0 on success. */
static int parse_int(const char *s, long lo, long hi, long *v)
{
    char *end;
    long x;
    if (!s || !*s) return -1;
    errno = 0;
    x = strtol(s, &end, 10);
    if (*end || errno || x < lo || x > hi) return -1;
    *v = x;
    return 0;
}

static int parse_seed(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    x = strtoull(s, &end, 10);
    if (*end || errno) return -1;
    *v = (uint64_t)x;
    return 0;
}

/* Value of option argv[*i] (advancing *i), or NULL with a message printed. */
static const char *opt_value(int argc, char **argv, int *i, const char *what)
{
    if (*i + 1 >= argc) {
        fprintf(stderr, "lmm: %s needs a value: %s (see 'lmm --help')\n", argv[*i], what);
        return NULL;
    }
    return argv[++*i];
}

/* The replicate options of boot and confint --method boot. */
typedef struct replicate_opts {
    long nsim, threads, shard_k, shard_n;
    uint64_t seed;
    const char *out_path;
} replicate_opts;

/* If argv[*i] is --nsim, --seed, --threads, --shard or --out, take it (and its value) into r
   and return 1, with *rc set on a bad value; else return 0. */
static int replicate_opt(int argc, char **argv, int *i, replicate_opts *r, int *rc)
{
    const char *a = argv[*i], *v;
    if (!strcmp(a, "--nsim")) {
        if (!(v = opt_value(argc, argv, i, "a positive number of replicates"))) *rc = EXIT_INPUT;
        else if (parse_int(v, 1, 100000000L, &r->nsim)) *rc = usage_error("--nsim takes a positive integer number of replicates");
    } else if (!strcmp(a, "--seed")) {
        if (!(v = opt_value(argc, argv, i, "a non-negative integer"))) *rc = EXIT_INPUT;
        else if (parse_seed(v, &r->seed)) *rc = usage_error("--seed takes a non-negative integer");
    } else if (!strcmp(a, "--threads")) {
        if (!(v = opt_value(argc, argv, i, "a number of threads"))) *rc = EXIT_INPUT;
        else if (parse_int(v, 0, 4096, &r->threads)) *rc = usage_error("--threads takes an integer from 0 to 4096");
    } else if (!strcmp(a, "--shard")) {
        char kbuf[32];
        const char *slash;
        if (!(v = opt_value(argc, argv, i, "K/N"))) { *rc = EXIT_INPUT; return 1; }
        slash = strchr(v, '/');
        if (!slash || (size_t)(slash - v) >= sizeof kbuf) { *rc = usage_error("--shard takes K/N with 0 <= K < N, e.g. --shard 0/4"); return 1; }
        memcpy(kbuf, v, (size_t)(slash - v)); kbuf[slash - v] = 0;
        if (parse_int(kbuf, 0, 100000000L, &r->shard_k) || parse_int(slash + 1, 1, 100000000L, &r->shard_n) || r->shard_k >= r->shard_n)
            *rc = usage_error("--shard takes K/N with 0 <= K < N, e.g. --shard 0/4");
    } else if (!strcmp(a, "--out")) {
        if (!(r->out_path = opt_value(argc, argv, i, "a file name"))) *rc = EXIT_INPUT;
    } else return 0;
    return 1;
}

/* Progress bar on stderr (installed only when stderr is a terminal). */
static void progress_bar(int done, int total, void *user)
{
    int *last = (int *)user, width = 40, filled, pct, i;
    if (total <= 0) return;
    pct = (int)(100.0 * done / total);
    if (pct == *last && done != total) return;
    *last = pct;
    filled = (int)((double)width * done / total);
    fputc('\r', stderr);
    fputc('[', stderr);
    for (i = 0; i < width; i++) fputc(i < filled ? '#' : ' ', stderr);
    fprintf(stderr, "] %3d%% %d/%d", pct, done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

/* Fit a formula as lm (no random terms) or as an lmer by ML; exit status on failure (message printed). */
static int fit_either(const lmm_frame *df, const char *formula, const cli_opts *o, const char *what,
                      lmm_lm **lm, lmm_fit **mixed)
{
    lmm_error err = {LMM_OK, ""};
    lmm_fit_options fo;
    int kind = is_mixed(formula, &err);
    *lm = NULL; *mixed = NULL;
    if (kind < 0) return fail_status_in(what, &err);
    memset(&fo, 0, sizeof fo);
    fo.ml = 1;
    fo.skip_condvar = 1;
    fo.model = o->model;
    if (kind) {
        if (lmm_fit_formula(df, formula, &fo, mixed, &err) != LMM_OK) return fail_status_in(what, &err);
    } else if (lmm_lm_fit(df, formula, &fo.model, lm, &err) != LMM_OK) return fail_status_in(what, &err);
    return 0;
}

/* ---- boot and boot-merge -------------------------------------------------- */

static void help_boot(void)
{
    printf("usage: lmm boot DATA.csv 'NULL_FORMULA' 'ALT_FORMULA' --nsim B --seed S [options]\n\n"
           "Parametric bootstrap of the likelihood-ratio test of NULL_FORMULA (a linear model, or a\n"
           "mixed model) against ALT_FORMULA (a mixed model), both fitted by maximum likelihood:\n"
           "each replicate simulates a response from the null fit, refits both models and keeps\n"
           "2 (logLik1 - logLik0). Replicate b always uses the random stream (S, b), so a run can\n"
           "be split into shards (e.g. a Slurm job array) and merged with 'lmm boot-merge'.\n\n"
           "options:\n"
           "  --nsim B           number of replicates (default 1000)\n"
           "  --seed S           random seed, a non-negative integer (default 1)\n"
           "  --threads T        OpenMP threads (0: default; ignored in a build without OpenMP)\n"
           "  --shard K/N        run only shard K of N (K = 0..N-1): replicates [K*B/N, (K+1)*B/N)\n"
           "  --out FILE         write the statistics, one line per replicate, for 'lmm boot-merge'\n"
           "  --family F         both models are GLMMs (lme4's glmer; F as in 'lmm fit --family'): each\n"
           "                     replicate simulates from the null glmer fit, refits both from their\n"
           "                     estimates and keeps deviance0 - deviance1\n"
           "  --nagq K           with --family: K-point adaptive Gauss-Hermite quadrature (2..25)\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: nsim, seed, threads, observed, pvalue,\n"
           "                     pvalue_se, frac_zero, nvalid, first, last, elapsed_s\n\n"
           "A progress bar is shown on stderr when stderr is a terminal.\n");
}

static void help_boot_merge(void)
{
    printf("usage: lmm boot-merge FILE... [--json]\n\n"
           "Merge the statistics files written by 'lmm boot ... --shard K/N --out FILE' (any order)\n"
           "and print the summary of the whole run, identical to a single run of 'lmm boot'\n"
           "(elapsed_s is the sum over the shards). The shards must cover every replicate once.\n\n"
           "options:\n"
           "  --json             print one JSON object (the keys of 'lmm boot --json')\n");
}

/* Print a bootstrap summary (the same for a run, a shard and merged shards). */
static void print_boot(const lmm_boot_result *r, const char *null_f, const char *alt_f, int json)
{
    int nge = 0, i;
    for (i = 0; i < r->last - r->first; i++) if (isfinite(r->stats[i]) && r->stats[i] >= r->observed) nge++;
    if (json) {
        printf("{\"null\": "); jstr(null_f);
        printf(", \"alt\": "); jstr(alt_f);
        printf(", \"nsim\": %d, \"seed\": %llu, \"threads\": %d, \"first\": %d, \"last\": %d, \"nvalid\": %d",
               r->nsim, (unsigned long long)r->seed, r->threads, r->first, r->last, r->nvalid);
        printf(", \"observed\": "); jnum(r->observed);
        printf(", \"pvalue\": "); jnum(r->pvalue);
        printf(", \"pvalue_se\": "); jnum(r->pvalue_se);
        printf(", \"frac_zero\": "); jnum(r->frac_zero);
        printf(", \"elapsed_s\": "); jnum(r->elapsed_s);
        printf("}\n");
        return;
    }
    printf("Parametric bootstrap likelihood-ratio test\n");
    printf("null: %s\n", null_f);
    printf("alt:  %s\n", alt_f);
    if (r->first != 0 || r->last != r->nsim)
        printf("replicates: [%d, %d) of %d (a shard), seed %llu\n", r->first, r->last, r->nsim, (unsigned long long)r->seed);
    else
        printf("replicates: %d, seed %llu\n", r->nsim, (unsigned long long)r->seed);
    printf("valid statistics: %d\n", r->nvalid);
    printf("observed LRT: %.6f\n", r->observed);
    printf("p-value: %.6f (SE %.6f; %d statistics >= observed)\n", r->pvalue, r->pvalue_se, nge);
    printf("share of statistics below 1e-5: %.6f\n", r->frac_zero);
    printf("elapsed: %.3f s (%d thread%s)\n", r->elapsed_s, r->threads, r->threads == 1 ? "" : "s");
}

/* Header of a statistics file: the run's identity, then the formulas, then "index statistic" lines. */
static int write_boot_file(const char *path, const lmm_boot_result *r, const char *null_f, const char *alt_f)
{
    FILE *fp = fopen(path, "w");
    int i;
    if (!fp) { fprintf(stderr, "lmm: --out %s: cannot open for writing: %s\n", path, strerror(errno)); return EXIT_INPUT; }
    fprintf(fp, "# lmm boot nsim %d seed %llu first %d last %d threads %d observed %.17g elapsed %.17g\n",
            r->nsim, (unsigned long long)r->seed, r->first, r->last, r->threads, r->observed, r->elapsed_s);
    fprintf(fp, "# null %s\n# alt %s\n", null_f, alt_f);
    for (i = 0; i < r->last - r->first; i++) {
        if (isfinite(r->stats[i])) fprintf(fp, "%d %.17g\n", r->first + i, r->stats[i]);
        else fprintf(fp, "%d NA\n", r->first + i);
    }
    if (fclose(fp) != 0) { fprintf(stderr, "lmm: --out %s: write failed\n", path); return EXIT_INPUT; }
    return 0;
}

/* Read one statistics file into r (stats allocated); formulas into nf/af. Message printed on failure. */
static int read_boot_file(const char *path, lmm_boot_result *r, char *nf, char *af, size_t fsize)
{
    FILE *fp = fopen(path, "r");
    char line[4096];
    unsigned long long seed;
    int n = 0, lineno = 1, have;
    memset(r, 0, sizeof *r);
    if (!fp) { fprintf(stderr, "lmm: cannot open '%s': %s\n", path, strerror(errno)); return EXIT_INPUT; }
    if (!fgets(line, sizeof line, fp) ||
        sscanf(line, "# lmm boot nsim %d seed %llu first %d last %d threads %d observed %lf elapsed %lf",
               &r->nsim, &seed, &r->first, &r->last, &r->threads, &r->observed, &r->elapsed_s) != 7 ||
        r->nsim < 1 || r->first < 0 || r->first >= r->last || r->last > r->nsim) {
        fprintf(stderr, "lmm: %s: not a statistics file of 'lmm boot --out' (bad header line)\n", path);
        fclose(fp);
        return EXIT_INPUT;
    }
    r->seed = (uint64_t)seed;
    nf[0] = af[0] = 0;
    while ((have = fgets(line, sizeof line, fp) != NULL) && line[0] == '#') {
        size_t len = strlen(line);
        lineno++;
        if (len && line[len - 1] == '\n') line[--len] = 0;
        if (!strncmp(line, "# null ", 7)) snprintf(nf, fsize, "%s", line + 7);
        else if (!strncmp(line, "# alt ", 6)) snprintf(af, fsize, "%s", line + 6);
    }
    if (!(r->stats = (double *)malloc(sizeof(double) * (size_t)(r->last - r->first)))) {
        fprintf(stderr, "lmm: out of memory\n"); fclose(fp); return EXIT_STAT;
    }
    for (; have; have = fgets(line, sizeof line, fp) != NULL) {
        int idx;
        char val[64], *end;
        lineno++;
        if (sscanf(line, "%d %63s", &idx, val) != 2 || idx != r->first + n || n >= r->last - r->first) {
            fprintf(stderr, "lmm: %s:%d: expected replicate %d as 'index statistic'\n", path, lineno, r->first + n);
            fclose(fp); free(r->stats); r->stats = NULL;
            return EXIT_INPUT;
        }
        r->stats[n] = strcmp(val, "NA") ? strtod(val, &end) : NAN;
        if (strcmp(val, "NA") && *end) {
            fprintf(stderr, "lmm: %s:%d: '%s' is not a number\n", path, lineno, val);
            fclose(fp); free(r->stats); r->stats = NULL;
            return EXIT_INPUT;
        }
        n++;
    }
    fclose(fp);
    if (n != r->last - r->first) {
        fprintf(stderr, "lmm: %s: holds %d of the %d replicates its header announces (truncated?)\n", path, n, r->last - r->first);
        free(r->stats); r->stats = NULL;
        return EXIT_INPUT;
    }
    lmm_boot_summarize(r);
    return 0;
}

static int cmd_boot(int argc, char **argv)
{
    cli_opts o;
    const char *pos[3], *out_path = NULL, *v;
    char **rest;
    int npos, rc = 0, i, nrest = 0, last_pct = -1;
    long nsim, threads, shard_k, shard_n;
    uint64_t seed;
    replicate_opts ro = {1000, 0, 0, 1, 1, NULL};
    lmm_frame *df = NULL;
    lmm_lm *null_lm = NULL, *alt_lm = NULL;
    lmm_fit *null_fit = NULL, *alt = NULL;
    lmm_glmm *null_g = NULL, *alt_g = NULL;
    lmm_model_options family;
    long nagq = 0;
    lmm_boot_options bo;
    lmm_boot_result res;
    lmm_error err = {LMM_OK, ""};
    if (wants_help(argc, argv)) { help_boot(); return 0; }
    memset(&family, 0, sizeof family);
    memset(&o, 0, sizeof o);
    memset(&res, 0, sizeof res);
    if (!(rest = (char **)malloc(sizeof(char *) * (size_t)(argc + 1)))) return EXIT_STAT;
    for (i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (replicate_opt(argc, argv, &i, &ro, &rc)) continue;
        if (!strcmp(a, "--family")) {
            if (!(v = opt_value(argc, argv, &i, "binomial or poisson"))) rc = EXIT_INPUT;
            else rc = parse_family(v, &family);
        } else if (!strcmp(a, "--nagq")) {
            if (!(v = opt_value(argc, argv, &i, "an integer from 1 to 25"))) rc = EXIT_INPUT;
            else if (parse_int(v, 1, 25, &nagq)) rc = usage_error("--nagq takes an integer from 1 to 25");
        } else rest[nrest++] = argv[i];
    }
    if (rc == 0 && nagq && family.family == LMM_FAMILY_GAUSSIAN) rc = usage_error("--nagq needs --family binomial or poisson");
    if (rc == 0) rc = parse_opts(nrest, rest, &o, pos, 3, &npos, 0);
    free(rest);
    if (rc) return rc;
    nsim = ro.nsim; threads = ro.threads; shard_k = ro.shard_k; shard_n = ro.shard_n;
    seed = ro.seed; out_path = ro.out_path;
    if (npos != 3) return usage_error("boot needs DATA.csv, 'NULL_FORMULA' and 'ALT_FORMULA'");
    if (shard_n > nsim) return usage_error("--shard K/N: N must not exceed --nsim");
    if (shard_n > 1 && !out_path) return usage_error("--shard needs --out FILE to keep the statistics for 'lmm boot-merge'");
    o.data = pos[0];
    for (i = 1; i < 3 && family.family == LMM_FAMILY_GAUSSIAN; i++) {   /* glmer checks its own (cbind() too) */
        int kind = is_mixed(pos[i], &err);
        if (kind < 0) { fprintf(stderr, "lmm: %s formula: %s\n", i == 1 ? "null" : "alternative", err.message); return EXIT_INPUT; }
        if (i == 2 && !kind) return usage_error("the alternative formula needs a random-effects term, e.g. '(1|g)'");
    }
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    if (family.family != LMM_FAMILY_GAUSSIAN) {   /* glmer against glmer */
        lmm_glmm_options go;
        struct timespec t0, t1;
        memset(&go, 0, sizeof go);
        go.model = family;
        go.model.contrasts = o.model.contrasts;
        go.model.weights_column = o.model.weights_column;
        go.model.offset_column = o.model.offset_column;
        go.nagq = (int)nagq;
        if (lmm_glmm_fit_formula(df, pos[1], &go, &null_g, &err) != LMM_OK) rc = fail_status_in("null model", &err);
        else if (lmm_glmm_fit_formula(df, pos[2], &go, &alt_g, &err) != LMM_OK) rc = fail_status_in("alternative model", &err);
        if (rc == 0) {
            memset(&bo, 0, sizeof bo);
            bo.first = (int)(shard_k * nsim / shard_n);
            bo.last = (int)((shard_k + 1) * nsim / shard_n);
            bo.threads = (int)threads;
            if (isatty(2)) { bo.progress = progress_bar; bo.progress_user = &last_pct; }
            clock_gettime(CLOCK_MONOTONIC, &t0);
            if (lmm_glmm_boot_lrt(null_g, alt_g, (int)nsim, seed, &bo, &res, &err) != LMM_OK) rc = fail_status(&err);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            res.elapsed_s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        }
    } else if ((rc = fit_either(df, pos[1], &o, "null model", &null_lm, &null_fit)) == 0)
        rc = fit_either(df, pos[2], &o, "alternative model", &alt_lm, &alt);
    if (rc == 0 && family.family == LMM_FAMILY_GAUSSIAN) {
        memset(&bo, 0, sizeof bo);
        bo.first = (int)(shard_k * nsim / shard_n);
        bo.last = (int)((shard_k + 1) * nsim / shard_n);
        bo.threads = (int)threads;
        if (isatty(2)) { bo.progress = progress_bar; bo.progress_user = &last_pct; }
        if (lmm_boot_lrt(null_lm, null_fit, alt, (int)nsim, seed, &bo, &res, &err) != LMM_OK) rc = fail_status(&err);
    }
    if (rc == 0 && out_path) rc = write_boot_file(out_path, &res, pos[1], pos[2]);
    if (rc == 0) {
        print_boot(&res, pos[1], pos[2], o.json);
        if (res.nvalid == 0) { fprintf(stderr, "lmm: every bootstrap refit failed\n"); rc = EXIT_STAT; }
    }
    lmm_boot_result_free(&res);
    lmm_lm_free(null_lm); lmm_lm_free(alt_lm);
    lmm_fit_free(null_fit); lmm_fit_free(alt);
    lmm_glmm_free(null_g); lmm_glmm_free(alt_g);
    lmm_frame_free(df);
    return rc;
}

#define MAX_SHARDS 4096

static int cmd_boot_merge(int argc, char **argv)
{
    lmm_boot_result *shards, merged;
    lmm_error err = {LMM_OK, ""};
    char nf[4096], af[4096], nf1[4096], af1[4096];
    int i, n = 0, json = 0, rc = 0;
    if (wants_help(argc, argv)) { help_boot_merge(); return 0; }
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1] == '-') {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option '%s'", argv[i]);
            return usage_error(msg);
        } else n++;
    }
    if (n == 0) return usage_error("boot-merge needs one or more statistics files from 'lmm boot --out'");
    if (n > MAX_SHARDS) return usage_error("too many shard files");
    if (!(shards = (lmm_boot_result *)calloc((size_t)n, sizeof *shards))) return EXIT_STAT;
    memset(&merged, 0, sizeof merged);
    n = 0;
    for (i = 0; i < argc && rc == 0; i++) {
        if (!strcmp(argv[i], "--json")) continue;
        rc = read_boot_file(argv[i], &shards[n], n ? nf : nf1, n ? af : af1, sizeof nf);
        if (rc == 0) n++;
        if (rc == 0 && n > 1 && (strcmp(nf, nf1) || strcmp(af, af1))) {
            fprintf(stderr, "lmm: %s: comes from other formulas than the first file\n", argv[i]);
            rc = EXIT_INPUT;
        }
    }
    if (rc == 0 && lmm_boot_merge(shards, n, &merged, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0) print_boot(&merged, nf1, af1, json);
    lmm_boot_result_free(&merged);
    for (i = 0; i < n; i++) free(shards[i].stats);
    free(shards);
    return rc;
}

/* ---- predict ----------------------------------------------------------- */

static void help_predict(void)
{
    printf("usage: lmm predict DATA.csv 'FORMULA' NEWDATA.csv [options]\n\n"
           "Fit FORMULA (REML unless --ml) to DATA.csv and predict the response for each row of\n"
           "NEWDATA.csv, as lme4's predict(fit, newdata, allow.new.levels = TRUE): conditional on\n"
           "the predicted random effects of known groups, population level for new group levels.\n"
           "Rows with a missing value get NA. With --family, FORMULA is a GLMM (lme4's glmer, as\n"
           "'lmm fit --family'; no intervals) predicted on the link scale (default) or, with --type\n"
           "response, the response scale (the inverse link of it).\n\n"
           "options:\n"
           "  --level cond|pop   conditional predictions (default) or population level (re.form = ~0)\n"
           "  --family F         a GLMM: F is binomial[:logit|:probit|:cloglog] or poisson[:log]\n"
           "  --nagq K           with --family: K-point adaptive Gauss-Hermite quadrature (2..25)\n"
           "  --type link|response   with --family: the scale of the predictions (default link)\n"
           "  --level P          confidence level of the intervals, in (0, 1) (default 0.95)\n"
           "  --interval confidence   Wald interval of the fit: fit -/+ qnorm((1 + P) / 2) se.fit, with\n"
           "                     se.fit = sqrt(x' vcov x) at population level (and for new groups); for a\n"
           "                     known group the joint prediction error of beta and its random effects\n"
           "  --interval prediction   Wald interval of a new observation: se.fit^2 + the variance of\n"
           "                     the random effects not predicted from a known group + sigma^2 / w\n"
           "                     (w: NEWDATA's weights column when the model has weights, else 1)\n"
           "  --interval boot    parametric-bootstrap percentile prediction interval (any random-effects\n"
           "                     structure): simulate (use.u with --level cond), refit, predict, add new\n"
           "                     random effects where no known group is used and residual noise;\n"
           "                     se.fit is the SD of the refits' predictions\n"
           "  --nsim B           bootstrap replicates (default 1000)\n"
           "  --seed S           random seed, a non-negative integer (default 1)\n"
           "  --threads T        OpenMP threads of the bootstrap (0: default); the result does not depend on it\n"
           "  --ml               fit by maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: level, interval, conf, nsim, seed (boot),\n"
           "                     predictions [{row, fit, se.fit, lwr, upr}] (se.fit, lwr, upr only with --interval);\n"
           "                     with --family also family, link, type\n");
}

/* predict --family: lme4's predict of a glmer fit (link or response scale) */
static int predict_glmm(lmm_frame *df, lmm_frame *nd, const cli_opts *o, const lmm_model_options *family, int nagq,
                        int conditional, int response)
{
    lmm_glmm_options go;
    lmm_glmm *g = NULL;
    lmm_error err = {LMM_OK, ""};
    double *pred = NULL;
    int rc = 0, i;
    memset(&go, 0, sizeof go);
    go.model = *family;
    go.model.contrasts = o->model.contrasts;
    go.model.weights_column = o->model.weights_column;
    go.model.offset_column = o->model.offset_column;
    go.nagq = nagq;
    go.optim.max_evals = o->max_evals;
    go.skip_condvar = 1;
    go.skip_hessian = 1;   /* predictions need the estimates only */
    if (lmm_glmm_fit_formula(df, o->formula, &go, &g, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0 && !(pred = (double *)malloc(sizeof(double) * (size_t)(nd->nrow ? nd->nrow : 1)))) { fprintf(stderr, "lmm: out of memory\n"); rc = EXIT_STAT; }
    if (rc == 0 && lmm_glmm_predict(g, df, nd, conditional, response, pred, &err) != LMM_OK) rc = fail_status_in("NEWDATA", &err);
    if (rc == 0 && o->json) {
        printf("{\"formula\": "); jstr(o->formula);
        printf(", \"family\": \"%s\", \"link\": \"%s\", \"type\": \"%s\", \"level\": \"%s\"", lmm_family_name(g->family),
               lmm_link_name(g->link), response ? "response" : "link", conditional ? "cond" : "pop");
        printf(", \"predictions\": [");
        for (i = 0; i < nd->nrow; i++) { printf("%s{\"row\": %d, \"fit\": ", i ? ", " : "", i + 1); jnum(pred[i]); printf("}"); }
        printf("]}\n");
    } else if (rc == 0) {
        printf("%s predictions of %s (%s, %s link) on the %s scale\n", conditional ? "Conditional" : "Population-level", o->formula,
               lmm_family_name(g->family), lmm_link_name(g->link), response ? "response" : "link");
        printf("%5s %14s\n", "row", "fit");
        for (i = 0; i < nd->nrow; i++) { printf("%5d ", i + 1); tnum(14, 6, pred[i]); printf("\n"); }
    }
    free(pred);
    lmm_glmm_free(g);
    lmm_frame_free(nd);
    lmm_frame_free(df);
    return rc;
}

static int cmd_predict(int argc, char **argv)
{
    static const char *const interval_names[] = { "none", "confidence", "prediction", "boot" };
    cli_opts o;
    const char *pos[3], *v;
    char **rest;
    int npos, rc = 0, i, nrest = 0, conditional = 1, interval = LMM_INTERVAL_NONE, nsim_given = 0, last_pct = -1;
    int nagq = 0, response = -1;
    lmm_model_options family;
    long nsim = 1000, threads = 0;
    uint64_t seed = 1;
    double conf = 0.95;
    lmm_frame *df = NULL, *nd = NULL;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_predict_options po;
    lmm_error err = {LMM_OK, ""};
    double *pred = NULL, *se = NULL, *lo = NULL, *hi = NULL;
    if (wants_help(argc, argv)) { help_predict(); return 0; }
    memset(&o, 0, sizeof o);
    memset(&family, 0, sizeof family);
    if (!(rest = (char **)malloc(sizeof(char *) * (size_t)(argc + 1)))) return EXIT_STAT;
    for (i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--family")) {
            if (!(v = opt_value(argc, argv, &i, "binomial or poisson"))) rc = EXIT_INPUT;
            else rc = parse_family(v, &family);
        } else if (!strcmp(a, "--nagq")) {
            long k;
            if (!(v = opt_value(argc, argv, &i, "an integer from 1 to 25"))) rc = EXIT_INPUT;
            else if (parse_int(v, 1, 25, &k)) rc = usage_error("--nagq takes an integer from 1 to 25");
            else nagq = (int)k;
        } else if (!strcmp(a, "--type")) {
            if (!(v = opt_value(argc, argv, &i, "link or response"))) rc = EXIT_INPUT;
            else if (!strcmp(v, "link")) response = 0;
            else if (!strcmp(v, "response")) response = 1;
            else rc = usage_error("--type takes 'link' or 'response'");
        } else if (!strcmp(a, "--level")) {
            char *end;
            if (!(v = opt_value(argc, argv, &i, "cond, pop or a confidence level"))) rc = EXIT_INPUT;
            else if (!strcmp(v, "pop")) conditional = 0;
            else if (!strcmp(v, "cond")) conditional = 1;
            else {
                conf = strtod(v, &end);
                if (end == v || *end || !(conf > 0 && conf < 1))
                    rc = usage_error("--level takes 'cond', 'pop' or a confidence level strictly between 0 and 1 (such as 0.95)");
            }
        } else if (!strcmp(a, "--interval")) {
            if (!(v = opt_value(argc, argv, &i, "confidence, prediction or boot"))) rc = EXIT_INPUT;
            else if (!strcmp(v, "confidence")) interval = LMM_INTERVAL_CONFIDENCE;
            else if (!strcmp(v, "prediction")) interval = LMM_INTERVAL_PREDICTION;
            else if (!strcmp(v, "boot")) interval = LMM_INTERVAL_BOOT;
            else rc = usage_error("--interval takes 'confidence', 'prediction' or 'boot'");
        } else if (!strcmp(a, "--nsim")) {
            nsim_given = 1;
            if (!(v = opt_value(argc, argv, &i, "a positive number of replicates"))) rc = EXIT_INPUT;
            else if (parse_int(v, 1, 100000000L, &nsim)) rc = usage_error("--nsim takes a positive integer number of replicates");
        } else if (!strcmp(a, "--seed")) {
            nsim_given = 1;
            if (!(v = opt_value(argc, argv, &i, "a non-negative integer"))) rc = EXIT_INPUT;
            else if (parse_seed(v, &seed)) rc = usage_error("--seed takes a non-negative integer");
        } else if (!strcmp(a, "--threads")) {
            nsim_given = 1;
            if (!(v = opt_value(argc, argv, &i, "a number of threads"))) rc = EXIT_INPUT;
            else if (parse_int(v, 0, 4096, &threads)) rc = usage_error("--threads takes an integer from 0 to 4096");
        } else rest[nrest++] = argv[i];
    }
    if (rc == 0) rc = parse_opts(nrest, rest, &o, pos, 3, &npos, 1);
    free(rest);
    if (rc) return rc;
    if (npos != 3) return usage_error("predict needs DATA.csv, 'FORMULA' and NEWDATA.csv");
    if (nsim_given && interval != LMM_INTERVAL_BOOT) return usage_error("--nsim, --seed and --threads need --interval boot");
    o.data = pos[0]; o.formula = pos[1];
    if (family.family == LMM_FAMILY_GAUSSIAN && (nagq || response >= 0)) return usage_error("--nagq and --type need --family binomial or poisson");
    if (family.family != LMM_FAMILY_GAUSSIAN) {
        if (interval != LMM_INTERVAL_NONE || o.ml) return usage_error("predict --family gives the fit only: --interval and --ml are for lmer fits");
        if (!(df = load_frame(&o))) return EXIT_INPUT;
        if (lmm_frame_read_csv(pos[2], &nd, &err) != LMM_OK) {
            fprintf(stderr, "lmm: NEWDATA: %s\n", err.message);
            lmm_frame_free(df);
            return EXIT_INPUT;
        }
        return predict_glmm(df, nd, &o, &family, nagq, conditional, response == 1);
    }
    if (is_mixed(o.formula, &err) == 0) return usage_error("predict needs a mixed model formula with a random-effects term; use R for lm predictions");
    if (err.code != LMM_OK) return fail_status_in("formula", &err);
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    if (lmm_frame_read_csv(pos[2], &nd, &err) != LMM_OK) {
        fprintf(stderr, "lmm: NEWDATA: %s\n", err.message);
        lmm_frame_free(df);
        return EXIT_INPUT;
    }
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.skip_condvar = 1;
    fo.model = o.model;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0) {
        int n = nd->nrow ? nd->nrow : 1;
        pred = (double *)malloc(sizeof(double) * 4 * (size_t)n);
        if (!pred) { fprintf(stderr, "lmm: out of memory\n"); rc = EXIT_STAT; }
        else { se = pred + n; lo = se + n; hi = lo + n; }
    }
    if (rc == 0 && (interval == LMM_INTERVAL_PREDICTION || interval == LMM_INTERVAL_BOOT) && fit->model->weights &&
        (!fit->model->weights_label || lmm_frame_find(nd, fit->model->weights_label) < 0))
        fprintf(stderr, "lmm: note: NEWDATA has no weights column%s%s: new observations get weight 1 (as R's predict.lm assumes)\n",
                fit->model->weights_label ? " " : "", fit->model->weights_label ? fit->model->weights_label : "");
    memset(&po, 0, sizeof po);
    po.conditional = conditional; po.interval = (lmm_interval)interval; po.level = conf;
    po.nsim = (int)nsim; po.seed = seed; po.boot.threads = (int)threads;
    if (interval == LMM_INTERVAL_BOOT && isatty(2)) { po.boot.progress = progress_bar; po.boot.progress_user = &last_pct; }
    if (rc == 0 && lmm_predict_ex(fit, df, nd, &po, pred, interval ? se : NULL, lo, hi, &err) != LMM_OK)
        rc = fail_status_in("NEWDATA", &err);
    if (rc == 0 && o.json) {
        printf("{\"formula\": "); jstr(o.formula);
        printf(", \"level\": \"%s\"", conditional ? "cond" : "pop");
        if (interval) printf(", \"interval\": \"%s\", \"conf\": %.15g", interval_names[interval], conf);
        if (interval == LMM_INTERVAL_BOOT) printf(", \"nsim\": %ld, \"seed\": %llu", nsim, (unsigned long long)seed);
        printf(", \"predictions\": [");
        for (i = 0; i < nd->nrow; i++) {
            printf("%s{\"row\": %d, \"fit\": ", i ? ", " : "", i + 1); jnum(pred[i]);
            if (interval) {
                printf(", \"se.fit\": "); jnum(se[i]);
                printf(", \"lwr\": "); jnum(lo[i]); printf(", \"upr\": "); jnum(hi[i]);
            }
            printf("}");
        }
        printf("]}\n");
    } else if (rc == 0) {
        printf("%s predictions of %s\n", conditional ? "Conditional" : "Population-level", o.formula);
        if (interval == LMM_INTERVAL_CONFIDENCE) printf("%g%% Wald confidence intervals (normal quantiles)\n", 100 * conf);
        if (interval == LMM_INTERVAL_PREDICTION) printf("%g%% Wald prediction intervals of a new observation (normal quantiles)\n", 100 * conf);
        if (interval == LMM_INTERVAL_BOOT) printf("%g%% bootstrap prediction intervals, %ld replicates, seed %llu\n", 100 * conf, nsim, (unsigned long long)seed);
        printf("%5s %14s", "row", "fit");
        if (interval) printf(" %14s %14s %14s", "se.fit", "lwr", "upr");
        printf("\n");
        for (i = 0; i < nd->nrow; i++) {
            printf("%5d ", i + 1); tnum(14, 6, pred[i]);
            if (interval) { putchar(' '); tnum(14, 6, se[i]); putchar(' '); tnum(14, 6, lo[i]); putchar(' '); tnum(14, 6, hi[i]); }
            printf("\n");
        }
    }
    free(pred);
    lmm_fit_free(fit);
    lmm_frame_free(nd);
    lmm_frame_free(df);
    return rc;
}

/* ---- ranef ------------------------------------------------------------- */

static void help_ranova(void)
{
    printf("usage: lmm ranova DATA.csv 'FORMULA' [options]\n\n"
           "Fit FORMULA (REML unless --ml) and print lmerTest's ranova(m): for each random-effects\n"
           "term the likelihood-ratio test of the model with the term reduced ((x | g) to (1 | g))\n"
           "or, for (1 | g), dropped, each reduced model refitted the same way (REML or ML).\n\n"
           "options:\n"
           "  --ml               maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: model, rows [{term, npar, loglik, aic, lrt, df, p}]\n"
           "                     (lrt, df, p null for the <none> row)\n");
}

static int cmd_ranova(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2];
    int npos, rc = 0, i;
    lmm_frame *df;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_ranova_table *r = NULL;
    lmm_error err = {LMM_OK, ""};
    if (wants_help(argc, argv)) { help_ranova(); return 0; }
    memset(&o, 0, sizeof o);
    if ((rc = parse_opts(argc, argv, &o, pos, 2, &npos, 1)) != 0) return rc;
    if (npos != 2) return usage_error("ranova needs DATA.csv and 'FORMULA'");
    o.data = pos[0]; o.formula = pos[1];
    if (is_mixed(o.formula, &err) == 0) return usage_error("ranova needs a model with random-effects terms, e.g. '(1|g)'");
    if (err.code != LMM_OK) return fail_status_in("formula", &err);
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.model = o.model;
    fo.skip_condvar = 1;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) rc = fail_status(&err);
    else if (fit->warning[0]) { fprintf(stderr, "lmm: warning: %s\n", fit->warning); }
    if (rc == 0 && lmm_ranova(fit, df, &r, &err) != LMM_OK) rc = fail_status_in("ranova", &err);
    if (rc == 0 && o.json) {
        printf("{\"formula\": "); jstr(o.formula);
        printf(", \"model\": "); jstr(r->model);
        printf(", \"rows\": [");
        for (i = 0; i < r->n; i++) {
            printf("%s{\"term\": ", i ? ", " : ""); jstr(r->rows[i].term);
            printf(", \"npar\": %d, \"loglik\": ", r->rows[i].npar); jnum(r->rows[i].loglik);
            printf(", \"aic\": "); jnum(r->rows[i].aic);
            printf(", \"lrt\": "); jnum(r->rows[i].lrt);
            printf(", \"df\": "); jnum(r->rows[i].df);
            printf(", \"p\": "); jnum(r->rows[i].p);
            printf("}");
        }
        printf("]}\n");
    } else if (rc == 0) lmm_print_ranova(stdout, r);
    if (rc == 0 && fit->warning[0]) rc = EXIT_STAT;
    lmm_ranova_free(r);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return rc;
}

static void help_contest(void)
{
    printf("usage: lmm contest DATA.csv 'FORMULA' --L 'l1,l2,...' [--L ...] [options]\n\n"
           "Fit FORMULA (REML unless --ml) and test L beta = 0 as lmerTest's contest(m, L) does:\n"
           "each --L is one row of L, one number per fixed-effect coefficient in the order of the\n"
           "summary (commas or spaces between them); several rows give one joint F test.\n\n"
           "options:\n"
           "  --L ROW            a row of the contrast matrix; repeatable\n"
           "  --ddf METHOD       satterthwaite (default) or kenward-roger (REML fits)\n"
           "  --ml               maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: sumsq, meansq, num_df, den_df, f, p; with one\n"
           "                     row also estimate, se, df, t, t_p (the t test)\n");
}

/* One --L row of p numbers into l; 0 on success, else an error message in msg. */
static int parse_contrast_row(const char *text, int p, double *l, int row, char *msg, size_t size)
{
    const char *c = text;
    int k = 0;
    while (*c) {
        char *end;
        double v;
        while (*c == ' ' || *c == ',' || *c == '\t') c++;
        if (!*c) break;
        v = strtod(c, &end);
        if (end == c || !isfinite(v)) {
            snprintf(msg, size, "--L row %d: '%s' is not a list of numbers", row + 1, text);
            return 1;
        }
        if (k < p) l[k] = v;
        k++;
        c = end;
    }
    if (k != p) {
        snprintf(msg, size, "--L row %d has %d value%s; the model has %d fixed-effect coefficient%s", row + 1, k,
                 k == 1 ? "" : "s", p, p == 1 ? "" : "s");
        return 1;
    }
    return 0;
}

static int cmd_contest(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2], *rows_text[64];
    int npos, rc = 0, i, nrow = 0, ddf = LMM_DDF_SATTERTHWAITE, nargs = 0;
    char **args, msg[256];
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_contest_result r;
    double *L = NULL;
    lmm_error err = {LMM_OK, ""};
    if (wants_help(argc, argv)) { help_contest(); return 0; }
    memset(&o, 0, sizeof o);
    /* --L and --ddf are contest's own: the shared parser sees the rest */
    if (!(args = (char **)malloc((size_t)(argc + 1) * sizeof *args))) { fprintf(stderr, "lmm: out of memory\n"); return EXIT_INPUT; }
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--L")) {
            if (i + 1 >= argc) { free(args); return usage_error("--L needs a row of numbers, e.g. --L '0,1'"); }
            if (nrow == 64) { free(args); return usage_error("at most 64 --L rows"); }
            rows_text[nrow++] = argv[++i];
        } else if (!strcmp(argv[i], "--ddf")) {
            const char *v = i + 1 < argc ? argv[++i] : "";
            if (parse_ddf(v, &ddf) != 0) { free(args); return usage_error("--ddf takes 'satterthwaite' or 'kenward-roger'"); }
        } else args[nargs++] = argv[i];
    }
    rc = parse_opts(nargs, args, &o, pos, 2, &npos, 1);
    free(args);
    if (rc != 0) return rc;
    if (npos != 2) return usage_error("contest needs DATA.csv and 'FORMULA'");
    if (nrow == 0) return usage_error("contest needs at least one --L row, e.g. --L '0,1'");
    o.data = pos[0]; o.formula = pos[1];
    if (is_mixed(o.formula, &err) == 0) return usage_error("contest needs a model with random-effects terms, e.g. '(1|g)'");
    if (err.code != LMM_OK) return fail_status_in("formula", &err);
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.model = o.model;
    fo.skip_condvar = 1;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) rc = fail_status(&err);
    else if (fit->warning[0]) fprintf(stderr, "lmm: warning: %s\n", fit->warning);
    if (rc == 0 && !(L = (double *)malloc((size_t)nrow * (size_t)(fit->p > 0 ? fit->p : 1) * sizeof *L))) {
        fprintf(stderr, "lmm: out of memory\n"); rc = EXIT_INPUT;
    }
    for (i = 0; rc == 0 && i < nrow; i++)
        if (parse_contrast_row(rows_text[i], fit->p, L + (size_t)i * fit->p, i, msg, sizeof msg)) rc = usage_error(msg);
    if (rc == 0 && lmm_contest(fit, L, nrow, (lmm_ddf_method)ddf, &r, &err) != LMM_OK) rc = fail_status_in("contest", &err);
    if (rc == 0 && o.json) {
        printf("{\"formula\": "); jstr(o.formula);
        printf(", \"ddf\": \"%s\", \"nrow\": %d, \"sumsq\": ", ddf == LMM_DDF_KENWARD_ROGER ? "kenward-roger" : "satterthwaite", nrow);
        jnum(r.sumsq);
        printf(", \"meansq\": "); jnum(r.meansq);
        printf(", \"num_df\": "); jnum(r.num_df);
        printf(", \"den_df\": "); jnum(r.den_df);
        printf(", \"f\": "); jnum(r.f);
        printf(", \"p\": "); jnum(r.f_p);
        if (nrow == 1) {
            printf(", \"estimate\": "); jnum(r.estimate);
            printf(", \"se\": "); jnum(r.se);
            printf(", \"df\": "); jnum(r.df);
            printf(", \"t\": "); jnum(r.t);
            printf(", \"t_p\": "); jnum(r.p);
        }
        printf("}\n");
    } else if (rc == 0) lmm_print_contest(stdout, &r);
    if (rc == 0 && fit->warning[0]) rc = EXIT_STAT;
    free(L);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return rc;
}

static void help_ranef(void)
{
    printf("usage: lmm ranef DATA.csv 'FORMULA' [options]\n\n"
           "Fit FORMULA (REML unless --ml) and print the conditional modes of the random effects\n"
           "(lme4's ranef(fit, condVar = TRUE)) with their conditional standard deviations and\n"
           "95%% Wald intervals, mode -/+ 1.959964 condsd.\n\n"
           "options:\n"
           "  --ml               maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: ranef [{group, level, name, mode, condsd,\n"
           "                     lower, upper}] by term, level and column\n");
}

static int cmd_ranef(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2];
    int npos, rc = 0, k, j, c, first = 1;
    lmm_frame *df;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_error err = {LMM_OK, ""};
    double *lo = NULL, *hi = NULL;
    if (wants_help(argc, argv)) { help_ranef(); return 0; }
    memset(&o, 0, sizeof o);
    if ((rc = parse_opts(argc, argv, &o, pos, 2, &npos, 1)) != 0) return rc;
    if (npos != 2) return usage_error("ranef needs DATA.csv and 'FORMULA'");
    o.data = pos[0]; o.formula = pos[1];
    if (is_mixed(o.formula, &err) == 0) return usage_error("ranef needs a random-effects term in the formula, e.g. '(1|g)'");
    if (err.code != LMM_OK) return fail_status_in("formula", &err);
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.model = o.model;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0) {
        lo = (double *)malloc(sizeof(double) * (size_t)fit->q);
        hi = (double *)malloc(sizeof(double) * (size_t)fit->q);
        if (!lo || !hi) { fprintf(stderr, "lmm: out of memory\n"); rc = EXIT_STAT; }
        else if (lmm_ranef_intervals(fit, 0.95, lo, hi, &err) != LMM_OK) rc = fail_status(&err);
    }
    if (rc == 0 && o.json) {
        printf("{\"formula\": "); jstr(o.formula);
        printf(", \"reml\": %s, \"conf\": 0.95, \"ranef\": [", fit->reml ? "true" : "false");
        for (k = 0; k < fit->model->nterms; k++) {
            const lmm_reterm *t = &fit->model->terms[k];
            for (j = 0; j < t->nlevels; j++)
                for (c = 0; c < t->ncol; c++) {
                    int u = t->u_offset + j * t->ncol + c;
                    printf("%s{\"group\": ", first ? "" : ", "); jstr(t->group);
                    printf(", \"level\": "); jstr(t->levels[j]);
                    printf(", \"name\": "); jstr(t->colnames[c]);
                    printf(", \"mode\": "); jnum(fit->b[u]);
                    printf(", \"condsd\": "); jnum(fit->b_condsd[u]);
                    printf(", \"lower\": "); jnum(lo[u]);
                    printf(", \"upper\": "); jnum(hi[u]);
                    printf("}");
                    first = 0;
                }
        }
        printf("]}\n");
    } else if (rc == 0) {
        printf("Conditional modes of the random effects (%s fit) with conditional SDs\n"
               "and 95%% Wald intervals (mode -/+ 1.959964 condsd)\n", fit->reml ? "REML" : "ML");
        for (k = 0; k < fit->model->nterms; k++) {
            const lmm_reterm *t = &fit->model->terms[k];
            int wl = 5, wn = 4;
            for (j = 0; j < t->nlevels; j++) if ((int)strlen(t->levels[j]) > wl) wl = (int)strlen(t->levels[j]);
            for (c = 0; c < t->ncol; c++) if ((int)strlen(t->colnames[c]) > wn) wn = (int)strlen(t->colnames[c]);
            printf("\n$%s\n%-*s %-*s %12s %12s %12s %12s\n", t->vc_name, wl, "level", wn, "name", "mode", "condsd", "lower", "upper");
            for (j = 0; j < t->nlevels; j++)
                for (c = 0; c < t->ncol; c++) {
                    int u = t->u_offset + j * t->ncol + c;
                    printf("%-*s %-*s %12.6f %12.6f %12.6f %12.6f\n", wl, t->levels[j], wn, t->colnames[c],
                           fit->b[u], fit->b_condsd[u], lo[u], hi[u]);
                }
        }
    }
    free(lo); free(hi);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return rc;
}

/* ---- confint ------------------------------------------------------------ */

static void help_confint(void)
{
    printf("usage: lmm confint DATA.csv 'FORMULA' [options]\n\n"
           "Fit FORMULA (REML unless --ml) and print lme4's confint(m): intervals for the\n"
           "standard deviations and correlations (.sig01, ...), the residual SD (.sigma) and the\n"
           "fixed effects. profile profiles the ML refit's deviance, as lme4 does for REML fits too.\n\n"
           "options:\n"
           "  --method M         profile (lme4's default), wald (NA for the variance parameters)\n"
           "                     or boot (parametric-bootstrap percentile intervals)\n"
           "  --level L          confidence level in (0, 1), default 0.95\n"
           "  --parm P           one row name, theta_ (variance parameters) or beta_ (fixed effects)\n"
           "  --nsim B           boot: replicates (default 500, lme4's)\n"
           "  --seed S           boot: seed of the replicates' random numbers (default 1)\n"
           "  --threads T        boot and profile: OpenMP threads (builds with -fopenmp)\n"
           "  --shard K/N        boot: run only the K-th of N equal parts of the replicates (needs --out)\n"
           "  --out FILE         boot: write the replicates to FILE, for 'lmm confint-merge'\n"
           "  --ml               maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n"
           "  --json             print one JSON object: method, level, columns, intervals\n"
           "                     [{name, estimate, lower, upper}] (null where R has NA)\n");
}

/* The interval table (R's matrix, or JSON); reml < 0: unknown (a merged run). */
static void print_confint(const lmm_confint_result *r, const char *formula, int reml, int json)
{
    static const char *const methods[] = { "profile", "Wald", "boot" };
    int i;
    if (json) {
        printf("{\"formula\": "); jstr(formula);
        if (reml >= 0) printf(", \"reml\": %s", reml ? "true" : "false");
        printf(", \"method\": \"%s\", \"level\": ", methods[r->method]);
        jnum(r->level);
        printf(", \"columns\": ["); jstr(r->columns[0]); printf(", "); jstr(r->columns[1]); printf("]");
        if (r->method == LMM_CONFINT_BOOT) printf(", \"nsim\": %d, \"nvalid\": %d, \"seed\": %llu", r->nsim, r->nvalid, (unsigned long long)r->seed);
        printf(", \"intervals\": [");
        for (i = 0; i < r->n; i++) {
            printf("%s{\"name\": ", i ? ", " : ""); jstr(r->names[i]);
            printf(", \"estimate\": "); jnum(r->estimate[i]);
            printf(", \"lower\": "); jnum(r->lower[i]);
            printf(", \"upper\": "); jnum(r->upper[i]);
            printf("}");
        }
        printf("]}\n");
        return;
    }
    if (r->method == LMM_CONFINT_BOOT && r->nvalid < r->last - r->first)
        fprintf(stderr, "lmm: warning: %d of %d bootstrap refits failed\n", r->last - r->first - r->nvalid, r->last - r->first);
    lmm_print_confint(stdout, r);
}

/* A boot run's replicates (or a shard's): header, formula, columns, one "# row estimate name" per
   parameter, then "index value..." per replicate (NA for a failed refit). */
static int write_confint_file(const char *path, const lmm_confint_result *r, const char *formula)
{
    FILE *fp = fopen(path, "w");
    int i, b;
    if (!fp) { fprintf(stderr, "lmm: --out %s: cannot open for writing: %s\n", path, strerror(errno)); return EXIT_INPUT; }
    fprintf(fp, "# lmm confint-boot nsim %d seed %llu first %d last %d level %.17g rows %d\n",
            r->nsim, (unsigned long long)r->seed, r->first, r->last, r->level, r->n);
    fprintf(fp, "# formula %s\n# columns %s|%s\n", formula, r->columns[0], r->columns[1]);
    for (i = 0; i < r->n; i++) fprintf(fp, "# row %.17g %s\n", r->estimate[i], r->names[i]);
    for (b = 0; b < r->last - r->first; b++) {
        fprintf(fp, "%d", r->first + b);
        for (i = 0; i < r->n; i++) {
            double v = r->replicates[(size_t)b * r->n + i];
            if (isfinite(v)) fprintf(fp, " %.17g", v); else fprintf(fp, " NA");
        }
        fprintf(fp, "\n");
    }
    if (fclose(fp) != 0) { fprintf(stderr, "lmm: --out %s: write failed\n", path); return EXIT_INPUT; }
    return 0;
}

static void confint_shard_free(lmm_confint_result *r)
{
    int i;
    if (r->names) for (i = 0; i < r->n; i++) free(r->names[i]);
    free(r->names); free(r->estimate); free(r->lower); free(r->upper); free(r->replicates);
    memset(r, 0, sizeof *r);
}

/* Copy src into dst[size], cut to fit. */
static void copy_text(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

/* Read a file of 'lmm confint --out' into r (the caller frees with confint_shard_free); formula into f. */
static int read_confint_file(const char *path, lmm_confint_result *r, char *f, size_t fsize)
{
    FILE *fp = fopen(path, "r");
    char line[65536];
    unsigned long long seed;
    int i, b, lineno = 1, nrep;
    memset(r, 0, sizeof *r);
    if (!fp) { fprintf(stderr, "lmm: cannot open '%s': %s\n", path, strerror(errno)); return EXIT_INPUT; }
    if (!fgets(line, sizeof line, fp) ||
        sscanf(line, "# lmm confint-boot nsim %d seed %llu first %d last %d level %lf rows %d",
               &r->nsim, &seed, &r->first, &r->last, &r->level, &r->n) != 6 ||
        r->nsim < 1 || r->first < 0 || r->first >= r->last || r->last > r->nsim || r->n < 1 || r->n > 100000) {
        fprintf(stderr, "lmm: %s: not a replicates file of 'lmm confint --out' (bad header line)\n", path);
        fclose(fp);
        return EXIT_INPUT;
    }
    r->seed = (uint64_t)seed; r->method = LMM_CONFINT_BOOT;
    nrep = r->last - r->first;
    r->names = (char **)calloc((size_t)r->n, sizeof(char *));
    r->estimate = (double *)malloc(sizeof(double) * (size_t)r->n);
    r->lower = (double *)malloc(sizeof(double) * (size_t)r->n);
    r->upper = (double *)malloc(sizeof(double) * (size_t)r->n);
    r->replicates = (double *)malloc(sizeof(double) * (size_t)nrep * (size_t)r->n);
    if (!r->names || !r->estimate || !r->lower || !r->upper || !r->replicates) { fclose(fp); confint_shard_free(r); fprintf(stderr, "lmm: out of memory\n"); return EXIT_STAT; }
    f[0] = 0;
    for (i = -2; i < r->n; i++) {
        size_t len;
        int off = 0;
        lineno++;
        if (!fgets(line, sizeof line, fp)) break;
        len = strlen(line);
        if (len && line[len - 1] == '\n') line[--len] = 0;
        if (i == -2 && !strncmp(line, "# formula ", 10)) { copy_text(f, fsize, line + 10); continue; }
        if (i == -1 && !strncmp(line, "# columns ", 10) && strchr(line + 10, '|') && strlen(line) < 60) {
            char *bar = strchr(line + 10, '|');
            *bar = 0;
            copy_text(r->columns[0], sizeof r->columns[0], line + 10);
            copy_text(r->columns[1], sizeof r->columns[1], bar + 1);
            continue;
        }
        if (i >= 0 && sscanf(line, "# row %lf %n", &r->estimate[i], &off) == 1 && off > 0 && (r->names[i] = (char *)malloc(strlen(line + off) + 1))) {
            strcpy(r->names[i], line + off);
            continue;
        }
        break;
    }
    if (i < r->n) {
        fprintf(stderr, "lmm: %s:%d: expected the formula, columns and %d '# row' lines\n", path, lineno, r->n);
        fclose(fp); confint_shard_free(r); return EXIT_INPUT;
    }
    for (b = 0; b < nrep; b++) {
        char *p = line, *end;
        long idx;
        lineno++;
        if (!fgets(line, sizeof line, fp) || (idx = strtol(p, &end, 10)) != r->first + b || end == p) {
            fprintf(stderr, "lmm: %s:%d: expected replicate %d (truncated?)\n", path, lineno, r->first + b);
            fclose(fp); confint_shard_free(r); return EXIT_INPUT;
        }
        p = end;
        for (i = 0; i < r->n; i++) {
            double v;
            while (*p == ' ') p++;
            if (!strncmp(p, "NA", 2)) { v = NAN; end = p + 2; }
            else v = strtod(p, &end);
            if (end == p) {
                fprintf(stderr, "lmm: %s:%d: replicate %d has fewer than %d values\n", path, lineno, r->first + b, r->n);
                fclose(fp); confint_shard_free(r); return EXIT_INPUT;
            }
            r->replicates[(size_t)b * r->n + i] = v;
            p = end;
        }
        if (isfinite(r->replicates[(size_t)b * r->n])) r->nvalid++;
    }
    fclose(fp);
    for (i = 0; i < r->n; i++) r->lower[i] = r->upper[i] = NAN;
    return 0;
}

static void help_confint_merge(void)
{
    printf("usage: lmm confint-merge FILE... [--json]\n\n"
           "Join the replicate files of one 'lmm confint --method boot --shard K/N --out FILE' run\n"
           "(any order, no gaps or overlaps) and print the run's percentile intervals, the same\n"
           "as one unsharded run.\n\n"
           "options:\n"
           "  --json             print one JSON object as 'lmm confint --json'\n");
}

static int cmd_confint_merge(int argc, char **argv)
{
    lmm_confint_result *shards, **ptrs, *merged = NULL;
    lmm_error err = {LMM_OK, ""};
    char f[4096], f1[4096];
    int i, n = 0, json = 0, rc = 0;
    if (wants_help(argc, argv)) { help_confint_merge(); return 0; }
    for (i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (argv[i][0] == '-' && argv[i][1] == '-') {
            char msg[300];
            snprintf(msg, sizeof msg, "unknown option '%s'", argv[i]);
            return usage_error(msg);
        } else n++;
    }
    if (n == 0) return usage_error("confint-merge needs one or more replicate files from 'lmm confint --out'");
    shards = (lmm_confint_result *)calloc((size_t)n, sizeof *shards);
    ptrs = (lmm_confint_result **)calloc((size_t)n, sizeof *ptrs);
    if (!shards || !ptrs) { free(shards); free(ptrs); return EXIT_STAT; }
    n = 0;
    for (i = 0; i < argc && rc == 0; i++) {
        if (!strcmp(argv[i], "--json")) continue;
        rc = read_confint_file(argv[i], &shards[n], n ? f : f1, sizeof f);
        if (rc == 0) { ptrs[n] = &shards[n]; n++; }
        if (rc == 0 && n > 1 && strcmp(f, f1)) {
            fprintf(stderr, "lmm: %s: comes from another formula than the first file\n", argv[i]);
            rc = EXIT_INPUT;
        }
    }
    if (rc == 0 && lmm_confint_merge(ptrs, n, &merged, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0) print_confint(merged, f1, -1, json);
    lmm_confint_free(merged);
    for (i = 0; i < n; i++) confint_shard_free(&shards[i]);
    free(shards); free(ptrs);
    return rc;
}

static int cmd_confint(int argc, char **argv)
{
    cli_opts o;
    const char *pos[2], *v, *out_path = NULL;
    char **rest, *end;
    int npos, rc = 0, i, nrest = 0;
    long nsim, threads, shard_k, shard_n;
    replicate_opts ro = {500, 0, 0, 1, 1, NULL};
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_confint_options co;
    lmm_confint_result *r = NULL;
    lmm_error err = {LMM_OK, ""};
    if (wants_help(argc, argv)) { help_confint(); return 0; }
    memset(&o, 0, sizeof o);
    memset(&co, 0, sizeof co);
    co.seed = 1;
    co.level = 0.95;
    if (!(rest = (char **)malloc(sizeof(char *) * (size_t)(argc + 1)))) return EXIT_STAT;
    for (i = 0; i < argc && rc == 0; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--method")) {
            if (!(v = opt_value(argc, argv, &i, "profile, wald or boot"))) rc = EXIT_INPUT;
            else if (!strcmp(v, "profile")) co.method = LMM_CONFINT_PROFILE;
            else if (!strcmp(v, "wald") || !strcmp(v, "Wald")) co.method = LMM_CONFINT_WALD;
            else if (!strcmp(v, "boot")) co.method = LMM_CONFINT_BOOT;
            else rc = usage_error("--method takes profile, wald or boot");
        } else if (!strcmp(a, "--level")) {
            if (!(v = opt_value(argc, argv, &i, "a confidence level in (0, 1)"))) rc = EXIT_INPUT;
            else {
                co.level = strtod(v, &end);
                if (*end || end == v || !(co.level > 0 && co.level < 1)) rc = usage_error("--level takes a confidence level strictly between 0 and 1, e.g. --level 0.9");
            }
        } else if (!strcmp(a, "--parm")) {
            if (!(co.parm = opt_value(argc, argv, &i, "a row name, theta_ or beta_"))) rc = EXIT_INPUT;
        } else if (!replicate_opt(argc, argv, &i, &ro, &rc)) rest[nrest++] = argv[i];
    }
    if (rc == 0) rc = parse_opts(nrest, rest, &o, pos, 2, &npos, 1);
    free(rest);
    if (rc) return rc;
    nsim = ro.nsim; threads = ro.threads; shard_k = ro.shard_k; shard_n = ro.shard_n;
    co.seed = ro.seed; out_path = ro.out_path;
    if (npos != 2) return usage_error("confint needs DATA.csv and 'FORMULA'");
    if ((out_path || shard_n > 1) && co.method != LMM_CONFINT_BOOT) return usage_error("--shard and --out apply to --method boot");
    if (shard_n > nsim) return usage_error("--shard K/N: N must not exceed --nsim");
    if (shard_n > 1 && !out_path) return usage_error("--shard needs --out FILE to keep the replicates for 'lmm confint-merge'");
    co.first = (int)(shard_k * nsim / shard_n);
    co.last = (int)((shard_k + 1) * nsim / shard_n);
    o.data = pos[0]; o.formula = pos[1];
    if (is_mixed(o.formula, &err) == 0) return usage_error("confint needs a random-effects term in the formula, e.g. '(1|g)'");
    if (err.code != LMM_OK) return fail_status_in("formula", &err);
    co.nsim = (int)nsim; co.threads = (int)threads;
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.model = o.model;
    fo.skip_condvar = 1;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) rc = fail_status(&err);
    else if (lmm_confint(fit, &co, &r, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0 && out_path) {
        rc = write_confint_file(out_path, r, o.formula);
        if (rc == 0 && shard_n > 1) printf("replicates %d to %d of %d written to %s\n", r->first, r->last - 1, r->nsim, out_path);
    }
    if (rc == 0 && shard_n == 1) print_confint(r, o.formula, fit->reml, o.json);   /* a shard's wait for confint-merge */
    lmm_confint_free(r);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return rc;
}

/* ---- plot -------------------------------------------------------------- */

static void help_plot(void)
{
    printf("usage: lmm plot ranef|resid|qq DATA.csv 'FORMULA' [options] > out.svg\n"
           "       lmm plot hist FILE... [options] > out.svg\n\n"
           "Write a standalone SVG plot to stdout:\n"
           "  ranef   caterpillar plot of the random effects with 95%% intervals (lattice's\n"
           "          dotplot(ranef(fit, condVar = TRUE))), one panel per column of the group\n"
           "  resid   residuals against fitted values\n"
           "  qq      normal QQ plot of the residuals with the line through the quartiles\n"
           "  hist    histogram of the bootstrap statistics in FILE... ('lmm boot --out' files;\n"
           "          several shards are merged)\n\n"
           "options:\n"
           "  --group G          ranef: the grouping factor to plot (default: the first)\n"
           "  --title TEXT       plot title\n"
           "  --ml               fit by maximum likelihood instead of REML\n"
           "  --ref COL=LEVEL    make LEVEL the reference level of factor COL (R's relevel); repeatable\n"
           HELP_FACTOR
           HELP_WEIGHTS
           "  --contrasts sum    sum contrasts (contr.sum) instead of treatment contrasts\n");
}

static int plot_hist_files(int nfiles, char **files, const lmm_plot_options *po)
{
    lmm_boot_result *shards, merged;
    lmm_error err = {LMM_OK, ""};
    char nf[4096], af[4096];
    int i, n = 0, rc = 0;
    if (!(shards = (lmm_boot_result *)calloc((size_t)nfiles, sizeof *shards))) return EXIT_STAT;
    memset(&merged, 0, sizeof merged);
    for (i = 0; i < nfiles && rc == 0; i++)
        if ((rc = read_boot_file(files[i], &shards[i], nf, af, sizeof nf)) == 0) n++;
    if (rc == 0 && lmm_boot_merge(shards, n, &merged, &err) != LMM_OK) rc = fail_status(&err);
    if (rc == 0 && lmm_plot_hist(stdout, merged.stats, merged.nsim, "Bootstrap LRT statistics", po, &err) != LMM_OK)
        rc = fail_status(&err);
    lmm_boot_result_free(&merged);
    for (i = 0; i < n; i++) free(shards[i].stats);
    free(shards);
    return rc;
}

static int cmd_plot(int argc, char **argv)
{
    cli_opts o;
    const char *pos[MAX_SHARDS + 1], *group = NULL, *kind, *v;
    char **rest;
    int npos, rc = 0, i, nrest = 0;
    lmm_frame *df;
    lmm_fit *fit = NULL;
    lmm_fit_options fo;
    lmm_plot_options po;
    lmm_error err = {LMM_OK, ""};
    if (wants_help(argc, argv)) { help_plot(); return 0; }
    memset(&o, 0, sizeof o);
    memset(&po, 0, sizeof po);
    if (!(rest = (char **)malloc(sizeof(char *) * (size_t)(argc + 1)))) return EXIT_STAT;
    for (i = 0; i < argc && rc == 0; i++) {
        if (!strcmp(argv[i], "--group")) {
            if (!(group = opt_value(argc, argv, &i, "a grouping factor"))) rc = EXIT_INPUT;
        } else if (!strcmp(argv[i], "--title")) {
            if (!(v = opt_value(argc, argv, &i, "a title"))) rc = EXIT_INPUT;
            else po.title = v;
        } else rest[nrest++] = argv[i];
    }
    if (rc == 0) rc = parse_opts(nrest, rest, &o, pos, MAX_SHARDS + 1, &npos, 1);
    free(rest);
    if (rc) return rc;
    if (o.json) return usage_error("plot writes SVG; --json does not apply");
    if (npos < 1) return usage_error("plot needs a kind: ranef, resid, qq or hist");
    kind = pos[0];
    if (!strcmp(kind, "hist")) {
        if (npos < 2) return usage_error("plot hist needs one or more statistics files from 'lmm boot --out'");
        if (group) return usage_error("--group applies to 'plot ranef' only");
        return plot_hist_files(npos - 1, (char **)(pos + 1), &po);
    }
    if (strcmp(kind, "ranef") && strcmp(kind, "resid") && strcmp(kind, "qq")) {
        char msg[300];
        snprintf(msg, sizeof msg, "unknown plot '%s': use ranef, resid, qq or hist", kind);
        return usage_error(msg);
    }
    if (npos != 3) return usage_error("plot ranef|resid|qq needs DATA.csv and 'FORMULA'");
    if (group && strcmp(kind, "ranef")) return usage_error("--group applies to 'plot ranef' only");
    o.data = pos[1]; o.formula = pos[2];
    if (is_mixed(o.formula, &err) == 0) return usage_error("plot needs a mixed model formula with a random-effects term, e.g. '(1|g)'");
    if (err.code != LMM_OK) return fail_status_in("formula", &err);
    if (!(df = load_frame(&o))) return EXIT_INPUT;
    memset(&fo, 0, sizeof fo);
    fo.ml = o.ml;
    fo.skip_condvar = strcmp(kind, "ranef") != 0;
    fo.model = o.model;
    if (lmm_fit_formula(df, o.formula, &fo, &fit, &err) != LMM_OK) rc = fail_status(&err);
    else if (group) {
        int k, found = 0;
        for (k = 0; k < fit->model->nterms; k++) if (!strcmp(fit->model->terms[k].group, group)) found = 1;
        if (!found) {
            fprintf(stderr, "lmm: --group %s: the model has no grouping factor '%s'\n", group, group);
            rc = EXIT_INPUT;
        }
    }
    if (rc == 0) {
        lmm_status st;
        if (!strcmp(kind, "ranef")) st = lmm_plot_ranef(stdout, fit, group, &po, &err);
        else if (!strcmp(kind, "resid")) st = lmm_plot_resid(stdout, fit->fitted, fit->resid, fit->nobs, &po, &err);
        else st = lmm_plot_qq(stdout, fit->resid, fit->nobs, &po, &err);
        if (st != LMM_OK) rc = fail_status(&err);
    }
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
    if (!strcmp(argv[1], "--version")) { printf("lmm %s\n", LMM_VERSION); return 0; }
    if (!strcmp(argv[1], "fit")) return cmd_fit(argc - 2, argv + 2);
    if (!strcmp(argv[1], "lm")) return cmd_lm(argc - 2, argv + 2);
    if (!strcmp(argv[1], "aov")) return cmd_aov(argc - 2, argv + 2);
    if (!strcmp(argv[1], "anova")) return cmd_anova(argc - 2, argv + 2);
    if (!strcmp(argv[1], "boot")) return cmd_boot(argc - 2, argv + 2);
    if (!strcmp(argv[1], "predict")) return cmd_predict(argc - 2, argv + 2);
    if (!strcmp(argv[1], "ranef")) return cmd_ranef(argc - 2, argv + 2);
    if (!strcmp(argv[1], "confint")) return cmd_confint(argc - 2, argv + 2);
    if (!strcmp(argv[1], "ranova")) return cmd_ranova(argc - 2, argv + 2);
    if (!strcmp(argv[1], "contest")) return cmd_contest(argc - 2, argv + 2);
    if (!strcmp(argv[1], "confint-merge")) return cmd_confint_merge(argc - 2, argv + 2);
    if (!strcmp(argv[1], "plot")) return cmd_plot(argc - 2, argv + 2);
    if (!strcmp(argv[1], "boot-merge")) return cmd_boot_merge(argc - 2, argv + 2);
    fprintf(stderr, "lmm: unknown command '%s' (see 'lmm --help')\n", argv[1]);
    return EXIT_INPUT;
}
