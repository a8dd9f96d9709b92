/* sleepstudy Reaction ~ Days + (Days|Subject), REML: one fit from the frame. */
#include "bench.h"

int main(int argc, char **argv)
{
    int reps = bench_reps(argc, argv, 200), k;
    double *times = (double *)malloc(sizeof(double) * (size_t)reps), crit = 0;
    lmm_frame *df = bench_read("sleepstudy.csv");
    lmm_error err;
    char check[64];
    memset(&err, 0, sizeof err);
    for (k = 0; k < reps; k++) {
        lmm_fit *fit = NULL;
        double t0 = bench_now();
        if (lmm_fit_formula(df, "Reaction ~ Days + (Days|Subject)", NULL, &fit, &err)) bench_die("sleepstudy", &err);
        times[k] = bench_now() - t0;
        crit = fit->criterion;
        lmm_fit_free(fit);
    }
    snprintf(check, sizeof check, "REML=%.4f", crit);
    bench_report("sleepstudy_fit", times, reps, check);
    lmm_frame_free(df); free(times);
    return 0;
}
