/* pulp parametric-bootstrap LRT, B = 1000 (Faraway's loop): simulate from the
   null lm, fit lm(y ~ 1) and the ML lmer(y ~ 1 + (1|operator)), keep 2 (l1 - l0).
   The alternative is refitted in place (lmm_fit_refit: no allocation). */
#include "bench.h"

int main(int argc, char **argv)
{
    int reps = bench_reps(argc, argv, 5), B = 1000, k, b, i, n, exceed = 0;
    double *times = (double *)malloc(sizeof(double) * (size_t)reps), *y, stat_obs, mu, sd;
    lmm_frame *df = bench_read("pulp.csv");
    lmm_lm *null = NULL;
    lmm_fit *alt = NULL;
    lmm_fit_options ml;
    lmm_error err;
    char check[96];
    memset(&err, 0, sizeof err);
    memset(&ml, 0, sizeof ml);
    ml.ml = 1;
    ml.skip_condvar = 1;              /* only the log-likelihood is kept */
    if (lmm_lm_fit(df, "bright ~ 1", LMM_CONTR_TREATMENT, &null, &err)) bench_die("lm", &err);
    if (lmm_fit_formula(df, "bright ~ 1 + (1|operator)", &ml, &alt, &err)) bench_die("lmer", &err);
    lmm_lrt(null->loglik, null->df, alt->loglik, alt->df, &stat_obs);
    n = null->nobs; mu = null->coef[0]; sd = null->sigma;
    y = (double *)malloc(sizeof(double) * (size_t)n);
    for (k = 0; k < reps; k++) {
        lmm_rng rng;
        double t0 = bench_now();
        lmm_rng_seed(&rng, 13);
        exceed = 0;
        for (b = 0; b < B; b++) {
            lmm_lm *bnull = NULL;
            double stat, one = 1.0;
            lmm_matrix X;
            char *name = (char *)"(Intercept)";
            double *ones = (double *)malloc(sizeof(double) * (size_t)n);
            for (i = 0; i < n; i++) { y[i] = mu + sd * lmm_rng_normal(&rng); ones[i] = one; }
            memset(&X, 0, sizeof X);
            X.nrow = n; X.ncol = 1; X.v = ones; X.colnames = &name;
            if (lmm_lm_fit_matrix(&X, y, &bnull, &err)) bench_die("lm refit", &err);
            if (lmm_fit_refit(alt, y, NULL, &err)) bench_die("lmer refit", &err);
            lmm_lrt(bnull->loglik, bnull->df, alt->loglik, alt->df, &stat);
            if (stat > stat_obs) exceed++;
            lmm_lm_free(bnull);
            free(ones);
        }
        times[k] = bench_now() - t0;
    }
    snprintf(check, sizeof check, "p=%.3f", (double)exceed / B);
    bench_report("pulp_boot", times, reps, check);
    lmm_lm_free(null); lmm_fit_free(alt); lmm_frame_free(df);
    free(y); free(times);
    return 0;
}
