/* sleepstudy Reaction ~ Days + (Days|Subject), REML, with prior weights
   (weights = w, tests/data/sleepstudy_w.csv): set against sleepstudy_fit, the
   weighted fit should cost at most 20% more than the unweighted one. */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    double crit = 0;
    int k;
    lmm_fit_options opts;
    memset(&opts, 0, sizeof opts);
    opts.model.weights_column = "w";
    bench_start(&b, "sleepstudy_wfit", argc, argv, 200, "sleepstudy_w.csv");
    for (k = 0; k < b.reps; k++) {
        lmm_fit *fit = bench_timed_fit(&b, k, "Reaction ~ Days + (Days|Subject)", &opts);
        crit = fit->criterion;
        lmm_fit_free(fit);
    }
    snprintf(b.check, sizeof b.check, "REML=%.4f", crit);
    return bench_finish(&b);
}
