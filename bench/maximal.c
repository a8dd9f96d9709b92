/* The "maximal model" of psycholinguistics on a Kronmueller & Barr (2007)-shaped
   design (bench/data/make_maximal.R: 56 subjects x 32 items, 1,790 rows):
   rt ~ 1 + spkr*prec*load + (1 + spkr*prec*load | subj) + (1 + spkr*prec*load | item),
   REML, 72 covariance parameters. The check line carries the criterion and the
   evaluations, to set against lme4's. */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    int k, nevals = 0, converged = 0;
    double crit = 0;
    bench_start(&b, "maximal", argc, argv, 1, "maximal.csv");
    for (k = 0; k < b.reps; k++) {
        lmm_fit *fit = bench_timed_fit(&b, k, "rt ~ 1 + spkr*prec*load + (1 + spkr*prec*load | subj) + "
                                              "(1 + spkr*prec*load | item)", NULL);
        crit = fit->criterion;
        nevals = fit->nevals;
        converged = fit->converged;
        lmm_fit_free(fit);
    }
    snprintf(b.check, sizeof b.check, "REML=%.4f,evals=%d%s", crit, nevals, converged ? "" : ",warning");
    return bench_finish(&b);
}
