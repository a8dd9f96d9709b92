/* InstEval: y ~ 1 + service + (1|s) + (1|d) + (1|dept), REML (73,421 rows,
   2,972 x 1,128 x 14 levels), checked against lme4's criterion (bench/data). */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    int k, nevals = 0;
    double want = 237733.83412753878, rel = 0;
    lmm_fit_options opts;
    bench_start(&b, "insteval", argc, argv, 3, "InstEval.csv");
    memset(&opts, 0, sizeof opts);
    opts.skip_condvar = getenv("BENCH_SKIP_CONDVAR") != NULL;   /* default: conditional SDs computed too */
    if (lmm_frame_as_factor(b.df, "s", &b.err) || lmm_frame_as_factor(b.df, "d", &b.err) ||
        lmm_frame_as_factor(b.df, "dept", &b.err) || lmm_frame_as_factor(b.df, "service", &b.err))
        bench_die("as_factor", &b.err);
    for (k = 0; k < b.reps; k++) {
        lmm_fit *fit = bench_timed_fit(&b, k, "y ~ 1 + service + (1|s) + (1|d) + (1|dept)", &opts);
        rel = (fit->criterion - want) / want;
        nevals = fit->nevals;
        if (getenv("BENCH_VERBOSE"))
            fprintf(stderr, "InstEval: %.3f s, criterion %.10f (lme4 %.10f, rel %.2e), evals %d, theta %.6f %.6f %.6f\n",
                    b.times[k], fit->criterion, want, rel, fit->nevals, fit->theta[0], fit->theta[1], fit->theta[2]);
        lmm_fit_free(fit);
    }
    snprintf(b.check, sizeof b.check, "REML_rel_diff=%.1e%s,evals=%d", rel, rel < 1e-6 && rel > -1e-6 ? "" : "(FAIL)", nevals);
    return bench_finish(&b);
}
