/* The soybean part of the lecture notes, on tests/data/soybean_sim.csv: a
   SYNTHETIC data set with the lecture's design (41 genotypes ID, 150 plots,
   70 disks, 8 days); the study's real file is not public, so the numbers differ
   from the lecture's while every step and every printed shape is the same.
   As in the lecture, sum contrasts are in force (options(contrasts = ...) was
   set for the pulp part and never reset), so the ID columns are ID1..ID40;
   the reference genotype RC is made the first level (ID1), as in the study.
   usage: soybean [path/to/soybean_sim.csv] */
#define _POSIX_C_SOURCE 200809L
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <sys/resource.h>

#define FIXED "AqE ~ ID + days + I(days^2) + Precip + Precip_7day"

static int fail(const lmm_error *err)
{
    fprintf(stderr, "soybean: %s\n", err->message);
    return 2;
}

/* R's print of an unnamed numeric vector (7 significant digits). */
static void print_vector(const double *x, int n)
{
    char (*s)[48] = (char (*)[48])malloc((size_t)n * 48);
    int i;
    if (!s) return;
    lmm_format_reals(x, n, 7, s);
    printf("[1]");
    for (i = 0; i < n; i++) printf(" %s", s[i]);
    printf("\n");
    free(s);
}

/* R's print of a named numeric vector: common width, as many per line as fit in 80 columns. */
static void print_named(const char *const *names, const double *x, int n)
{
    char (*s)[48] = (char (*)[48])malloc((size_t)(n ? n : 1) * 48);
    int i, j, w = 0, per;
    if (!s) return;
    lmm_format_reals(x, n, 7, s);
    for (i = 0; i < n; i++) {
        if ((int)strlen(s[i]) > w) w = (int)strlen(s[i]);
        if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
    }
    per = 80 / (w + 1);
    if (per < 1) per = 1;
    for (i = 0; i < n; i += per) {
        for (j = i; j < n && j < i + per; j++) printf("%*s ", w, names[j]);
        printf("\n");
        for (j = i; j < n && j < i + per; j++) printf("%*s ", w, s[j]);
        printf("\n");
    }
    free(s);
}

static double cpu_seconds(int which)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (which == 0) return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6;
    return (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/soybean_sim.csv";
    lmm_error err = {LMM_OK, ""};
    lmm_frame *dat = NULL;
    lmm_lm *m = NULL;
    lmm_fit *m_re_plot = NULL, *m_re_full = NULL;
    lmm_fit_options ml;
    lmm_model_options sum = {LMM_CONTR_SUM, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};   /* options(contrasts = c("contr.sum", ...)) */
    lmm_matrix *M = NULL, M1;
    lmm_model *structure = NULL;
    double v[3], t_user, t_sys, t_wall, *aic_ids, *neg;
    const char **ids, **neg_names;
    int j, nids = 0, nneg = 0;

    if (lmm_frame_read_csv(path, &dat, &err)) return fail(&err);
    if (lmm_frame_relevel(dat, "ID", "RC", &err)) return fail(&err);
    printf("> dat <- read.csv(\"%s\")   # synthetic data with the lecture's design\n", path);
    printf("> dat$ID <- relevel(as.factor(dat$ID), \"RC\")\n");
    printf("> m <- lm(" FIXED ", data = dat)\n");
    if (lmm_lm_fit(dat, FIXED, &sum, &m, &err)) return fail(&err);
    memset(&ml, 0, sizeof ml);
    ml.ml = 1;
    ml.model = sum;
    printf("> m_re_plot <- lmer(" FIXED " + (1|plot_number), data = dat, REML = FALSE)\n");
    if (lmm_fit_formula(dat, FIXED " + (1|plot_number)", &ml, &m_re_plot, &err)) return fail(&err);
    printf("> m_re_full <- lmer(" FIXED " + (1|plot_number) + (1|disk), data = dat, REML = FALSE)\n");
    if (lmm_fit_formula(dat, FIXED " + (1|plot_number) + (1|disk)", &ml, &m_re_full, &err)) return fail(&err);

    printf("\n> c(AIC(m), AIC(m_re_plot), AIC(m_re_full))\n");
    v[0] = m->aic; v[1] = m_re_plot->aic; v[2] = m_re_full->aic;
    print_vector(v, 3);
    printf("> c(BIC(m), BIC(m_re_plot), BIC(m_re_full))\n");
    v[0] = m->bic; v[1] = m_re_plot->bic; v[2] = m_re_full->bic;
    print_vector(v, 3);

    /* One ID column out at a time, on one random-effects structure built once. */
    printf("\n> M <- model.matrix(" FIXED ", data = dat)\n");
    if (lmm_model_matrix(dat, FIXED, &sum, &M, &err)) return fail(&err);
    if (lmm_model_build(dat, "AqE ~ 1 + (1|plot_number) + (1|disk)", &sum, &structure, &err)) return fail(&err);
    aic_ids = (double *)malloc(sizeof(double) * (size_t)M->ncol);
    ids = (const char **)malloc(sizeof(char *) * (size_t)M->ncol);
    M1.nrow = M->nrow; M1.ncol = M->ncol - 1;
    M1.v = (double *)malloc(sizeof(double) * (size_t)M->nrow * (size_t)M->ncol);
    M1.colnames = (char **)malloc(sizeof(char *) * (size_t)M->ncol);
    M1.assign = NULL; M1.nterms = 0; M1.terms = NULL;
    if (!aic_ids || !ids || !M1.v || !M1.colnames) { fprintf(stderr, "soybean: out of memory\n"); return 2; }
    printf("> system.time({AIC_IDs <- ... lmer(AqE ~ -1 + M[, -j] + (1|plot_number) + (1|disk), REML = FALSE) ...})\n");
    t_user = cpu_seconds(0); t_sys = cpu_seconds(1); t_wall = wall_seconds();
    for (j = 0; j < M->ncol; j++) {
        lmm_fit *foo = NULL;
        int k, c = 0;
        if (strncmp(M->colnames[j], "ID", 2) != 0) continue;
        for (k = 0; k < M->ncol; k++) {
            if (k == j) continue;
            memcpy(M1.v + (size_t)c * M->nrow, M->v + (size_t)k * M->nrow, sizeof(double) * (size_t)M->nrow);
            M1.colnames[c++] = M->colnames[k];
        }
        if (lmm_model_set_X(structure, &M1, &err) || lmm_model_fit(structure, &ml, &foo, &err)) return fail(&err);
        ids[nids] = M->colnames[j];
        aic_ids[nids++] = m_re_full->aic - foo->aic;
        lmm_fit_free(foo);
    }
    t_user = cpu_seconds(0) - t_user; t_sys = cpu_seconds(1) - t_sys; t_wall = wall_seconds() - t_wall;
    printf("   user  system elapsed \n%7.3f %7.3f %7.3f \n", t_user, t_sys, t_wall);

    printf("> AIC_IDs[AIC_IDs < 0, ]\n");
    neg = (double *)malloc(sizeof(double) * (size_t)(nids ? nids : 1));
    neg_names = (const char **)malloc(sizeof(char *) * (size_t)(nids ? nids : 1));
    if (!neg || !neg_names) return 2;
    for (j = 0; j < nids; j++) if (aic_ids[j] < 0) { neg[nneg] = aic_ids[j]; neg_names[nneg++] = ids[j]; }
    print_named(neg_names, neg, nneg);

    free(neg); free(neg_names); free(aic_ids); free(ids); free(M1.v); free(M1.colnames);
    lmm_model_free(structure); lmm_matrix_free(M);
    lmm_lm_free(m); lmm_fit_free(m_re_plot); lmm_fit_free(m_re_full);
    lmm_frame_free(dat);
    return 0;
}
