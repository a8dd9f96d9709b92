/* soybean_sim delta-AIC loop: the full ML fit of
   AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1|plot_number) + (1|disk)
   and 40 ML refits, each without one ID column (lmm_model_set_X on one structure). */
#include "bench.h"

int main(int argc, char **argv)
{
    const char *fixed = "AqE ~ ID + days + I(days^2) + Precip + Precip_7day";
    bench b;
    int k, j, c, prev, nfits = 0;
    double maxdelta = 0;
    lmm_frame *df;
    lmm_fit_options opts;
    lmm_error err;
    bench_start(&b, "soybean_loop", argc, argv, 5, "soybean_sim.csv");
    df = b.df;
    memset(&err, 0, sizeof err);
    memset(&opts, 0, sizeof opts);
    opts.ml = 1;
    opts.skip_condvar = 1;
    if (lmm_frame_relevel(df, "ID", "RC", &err)) bench_die("relevel", &err);
    for (k = 0; k < b.reps; k++) {
        lmm_matrix *M = NULL, M1;
        lmm_model *m = NULL;
        lmm_fit *full = NULL;
        double t0 = bench_now();
        nfits = 0;
        if (lmm_model_matrix(df, fixed, NULL, &M, &err)) bench_die("model matrix", &err);
        if (lmm_model_build(df, "AqE ~ 1 + (1|plot_number) + (1|disk)", NULL, &m, &err)) bench_die("model", &err);
        if (lmm_model_set_X(m, M, &err) || lmm_model_fit(m, &opts, &full, &err)) bench_die("full fit", &err);
        nfits++;
        memset(&M1, 0, sizeof M1);
        M1.nrow = M->nrow; M1.ncol = M->ncol - 1;
        M1.v = (double *)malloc(sizeof(double) * (size_t)M->nrow * M->ncol);
        M1.colnames = (char **)malloc(sizeof(char *) * (size_t)M->ncol);
        for (j = 0, prev = -1; j < M->ncol; j++) {
            lmm_fit *fj = NULL;
            int kk;
            double d;
            if (strncmp(M->colnames[j], "ID", 2) != 0) continue;
            if (prev < 0) {
                for (kk = 0, c = 0; kk < M->ncol; kk++) {
                    if (kk == j) continue;
                    memcpy(M1.v + (size_t)c * M->nrow, M->v + (size_t)kk * M->nrow, sizeof(double) * (size_t)M->nrow);
                    M1.colnames[c++] = M->colnames[kk];
                }
            } else {
                /* X without column prev -> X without column j (> prev): only the columns
                   between them move one place, the rest stay (one column for neighbours) */
                for (kk = prev; kk < j; kk++) {
                    memcpy(M1.v + (size_t)kk * M->nrow, M->v + (size_t)kk * M->nrow, sizeof(double) * (size_t)M->nrow);
                    M1.colnames[kk] = M->colnames[kk];
                }
            }
            prev = j;
            if (lmm_model_set_X(m, &M1, &err) || lmm_model_fit(m, &opts, &fj, &err)) bench_die("refit", &err);
            d = full->aic - fj->aic;
            if (d > maxdelta || nfits == 1) maxdelta = d;
            nfits++;
            lmm_fit_free(fj);
        }
        b.times[k] = bench_now() - t0;
        free(M1.v); free(M1.colnames);
        lmm_fit_free(full); lmm_model_free(m); lmm_matrix_free(M);
    }
    snprintf(b.check, sizeof b.check, "fits=%d,max_dAIC=%.4f", nfits, maxdelta);
    return bench_finish(&b);
}
