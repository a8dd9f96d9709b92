/* sleepstudy parametric bootstrap of the fixed effects (bootMer(fit, fixef,
   nsim = 1000), REML): simulate y* = X beta + Z b* + e from the fit, refit in place. */
#include "bench.h"

int main(int argc, char **argv)
{
    int reps = bench_reps(argc, argv, 5), B = 1000, k, b, i, a, c, n;
    double *times = (double *)malloc(sizeof(double) * (size_t)reps), *y, *theta0, mean[2] = {0, 0};
    lmm_frame *df = bench_read("sleepstudy.csv");
    lmm_fit *fit = NULL, *boot = NULL;
    lmm_fit_options fixef_only;
    lmm_error err;
    char check[96];
    memset(&err, 0, sizeof err);
    memset(&fixef_only, 0, sizeof fixef_only);
    fixef_only.skip_condvar = 1;      /* the replicates keep only fixef, as bootMer(., fixef) */
    if (lmm_fit_formula(df, "Reaction ~ Days + (Days|Subject)", NULL, &fit, &err)) bench_die("sleepstudy", &err);
    if (lmm_fit_formula(df, "Reaction ~ Days + (Days|Subject)", &fixef_only, &boot, &err)) bench_die("sleepstudy", &err);
    n = fit->nobs;
    y = (double *)malloc(sizeof(double) * (size_t)n);
    theta0 = (double *)malloc(sizeof(double) * (size_t)fit->ntheta);
    memcpy(theta0, fit->theta, sizeof(double) * (size_t)fit->ntheta);
    for (k = 0; k < reps; k++) {
        const lmm_model *m = fit->model;
        lmm_rng rng;
        double t0 = bench_now();
        lmm_rng_seed(&rng, 13);
        mean[0] = mean[1] = 0;
        for (b = 0; b < B; b++) {
            for (i = 0; i < n; i++) {
                double f = 0;
                for (a = 0; a < fit->p; a++) f += m->X->v[(size_t)a * n + i] * fit->beta[a];
                y[i] = f + fit->sigma * lmm_rng_normal(&rng);
            }
            for (c = 0; c < m->nterms; c++) {           /* b* = sigma T z per level */
                const lmm_reterm *t = &m->terms[c];
                int pk = t->ncol, j, x, z;
                double T[32 * 32], u[32], bj[32 * 64];
                const double *th = fit->theta + t->theta_offset;
                if (pk > 32 || t->nlevels > 64) bench_die("bootstrap: term too large for this bench", NULL);
                for (z = 0; z < pk; z++)
                    for (x = 0; x < pk; x++) T[x + z * pk] = x >= z ? *th++ : 0.0;
                for (j = 0; j < t->nlevels; j++) {
                    for (x = 0; x < pk; x++) u[x] = lmm_rng_normal(&rng);
                    for (x = 0; x < pk; x++) {
                        double s = 0;
                        for (z = 0; z <= x; z++) s += T[x + z * pk] * u[z];
                        bj[j * pk + x] = fit->sigma * s;
                    }
                }
                for (i = 0; i < n; i++)
                    for (x = 0; x < pk; x++) y[i] += t->z[(size_t)x * n + i] * bj[t->codes[i] * pk + x];
            }
            if (lmm_fit_refit(boot, y, theta0, &err)) bench_die("refit", &err);
            mean[0] += boot->beta[0] / B; mean[1] += boot->beta[1] / B;
        }
        times[k] = bench_now() - t0;
    }
    snprintf(check, sizeof check, "mean_fixef=%.2f,%.3f", mean[0], mean[1]);
    bench_report("sleepstudy_boot", times, reps, check);
    lmm_fit_free(fit); lmm_fit_free(boot); lmm_frame_free(df);
    free(y); free(theta0); free(times);
    return 0;
}
