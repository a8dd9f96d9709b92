/* Penicillin diameter ~ 1 + (1|plate) + (1|sample), REML: one crossed fit from the frame. */
#include "bench.h"

int main(int argc, char **argv)
{
    int reps = bench_reps(argc, argv, 200), k;
    double *times = (double *)malloc(sizeof(double) * (size_t)reps), crit = 0;
    lmm_frame *df = bench_read("Penicillin.csv");
    lmm_error err;
    char check[64];
    memset(&err, 0, sizeof err);
    for (k = 0; k < reps; k++) {
        lmm_fit *fit = NULL;
        double t0 = bench_now();
        if (lmm_fit_formula(df, "diameter ~ 1 + (1|plate) + (1|sample)", NULL, &fit, &err)) bench_die("Penicillin", &err);
        times[k] = bench_now() - t0;
        crit = fit->criterion;
        lmm_fit_free(fit);
    }
    snprintf(check, sizeof check, "REML=%.4f", crit);
    bench_report("penicillin_fit", times, reps, check);
    lmm_frame_free(df); free(times);
    return 0;
}
