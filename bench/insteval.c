/* InstEval: y ~ 1 + service + (1|s) + (1|d) + (1|dept), REML (73,421 rows,
   2,972 x 1,128 x 14 levels), checked against lme4's criterion (bench/data). */
#include "bench.h"

int main(int argc, char **argv)
{
    int reps = bench_reps(argc, argv, 3), k, nevals = 0;
    double *times = (double *)malloc(sizeof(double) * (size_t)reps), want = 237733.83412753878, rel = 0;
    lmm_frame *df = bench_read("InstEval.csv");
    lmm_fit_options opts;
    lmm_error err;
    char check[128];
    memset(&err, 0, sizeof err);
    memset(&opts, 0, sizeof opts);
    opts.skip_condvar = getenv("BENCH_SKIP_CONDVAR") != NULL;   /* default: conditional SDs computed too */
    if (lmm_frame_as_factor(df, "s", &err) || lmm_frame_as_factor(df, "d", &err) ||
        lmm_frame_as_factor(df, "dept", &err) || lmm_frame_as_factor(df, "service", &err))
        bench_die("as_factor", &err);
    for (k = 0; k < reps; k++) {
        lmm_fit *fit = NULL;
        double t0 = bench_now();
        if (lmm_fit_formula(df, "y ~ 1 + service + (1|s) + (1|d) + (1|dept)", &opts, &fit, &err) != LMM_OK)
            bench_die("InstEval fit", &err);
        times[k] = bench_now() - t0;
        rel = (fit->criterion - want) / want;
        nevals = fit->nevals;
        if (getenv("BENCH_VERBOSE"))
            fprintf(stderr, "InstEval: %.3f s, criterion %.10f (lme4 %.10f, rel %.2e), evals %d, theta %.6f %.6f %.6f\n",
                    times[k], fit->criterion, want, rel, fit->nevals, fit->theta[0], fit->theta[1], fit->theta[2]);
        lmm_fit_free(fit);
    }
    snprintf(check, sizeof check, "REML_rel_diff=%.1e%s,evals=%d", rel, rel < 1e-6 && rel > -1e-6 ? "" : "(FAIL)", nevals);
    bench_report("insteval", times, reps, check);
    lmm_frame_free(df);
    free(times);
    return 0;
}
