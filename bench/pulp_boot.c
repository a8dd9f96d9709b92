/* pulp parametric-bootstrap LRT, B = 1000 (Faraway's loop): simulate from the
   null lm, fit lm(y ~ 1) and the ML lmer(y ~ 1 + (1|operator)), keep 2 (l1 - l0),
   through lmm_boot_lrt (one thread unless built with -fopenmp). */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    int k;
    double p = 0;
    lmm_frame *df;
    lmm_lm *null = NULL;
    lmm_fit *alt = NULL;
    lmm_fit_options ml;
    lmm_error err;
    bench_start(&b, "pulp_boot", argc, argv, 5, "pulp.csv");
    df = b.df;
    memset(&err, 0, sizeof err);
    memset(&ml, 0, sizeof ml);
    ml.ml = 1;
    ml.skip_condvar = 1;              /* only the log-likelihood is kept */
    if (lmm_lm_fit(df, "bright ~ 1", NULL, &null, &err)) bench_die("lm", &err);
    if (lmm_fit_formula(df, "bright ~ 1 + (1|operator)", &ml, &alt, &err)) bench_die("lmer", &err);
    for (k = 0; k < b.reps; k++) {
        lmm_boot_result res;
        double t0 = bench_now();
        memset(&res, 0, sizeof res);
        if (lmm_boot_lrt(null, NULL, alt, 1000, 13, NULL, &res, &err)) bench_die("lmm_boot_lrt", &err);
        b.times[k] = bench_now() - t0;
        p = res.pvalue;
        lmm_boot_result_free(&res);
    }
    snprintf(b.check, sizeof b.check, "p=%.3f", p);
    lmm_lm_free(null); lmm_fit_free(alt);
    return bench_finish(&b);
}
