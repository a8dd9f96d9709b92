/* sleepstudy parametric bootstrap of the fixed effects, lme4's
   bootMer(fit, fixef, nsim = 1000) (REML), through lmm_bootmer. */
#include "bench.h"

static void fixef(const lmm_fit *refit, void *user, double *out)
{
    (void)user;
    out[0] = refit->beta[0];
    out[1] = refit->beta[1];
}

int main(int argc, char **argv)
{
    int reps = bench_reps(argc, argv, 5), B = 1000, k, b;
    double *times = (double *)malloc(sizeof(double) * (size_t)reps), *out = (double *)malloc(sizeof(double) * 2 * (size_t)B);
    double mean[2] = {0, 0};
    lmm_frame *df = bench_read("sleepstudy.csv");
    lmm_fit *fit = NULL;
    lmm_fit_options fixef_only;
    lmm_error err;
    char check[96];
    memset(&err, 0, sizeof err);
    memset(&fixef_only, 0, sizeof fixef_only);
    fixef_only.skip_condvar = 1;      /* the replicates keep only fixef */
    if (lmm_fit_formula(df, "Reaction ~ Days + (Days|Subject)", &fixef_only, &fit, &err)) bench_die("sleepstudy", &err);
    for (k = 0; k < reps; k++) {
        double t0 = bench_now();
        if (lmm_bootmer(fit, B, 13, 0, fixef, 2, NULL, out, NULL, &err)) bench_die("lmm_bootmer", &err);
        times[k] = bench_now() - t0;
    }
    for (b = 0; b < B; b++) { mean[0] += out[2 * b] / B; mean[1] += out[2 * b + 1] / B; }
    snprintf(check, sizeof check, "mean_fixef=%.2f,%.3f", mean[0], mean[1]);
    bench_report("sleepstudy_boot", times, reps, check);
    lmm_fit_free(fit); lmm_frame_free(df);
    free(out); free(times);
    return 0;
}
