/* cbpp cbind(incidence, size - incidence) ~ period + (1 | herd), binomial, Laplace:
   one glmer fit from the frame, checked by the deviance. */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    int k;
    double dev = 0;
    lmm_glmm_options o;
    bench_start(&b, "cbpp_fit", argc, argv, 100, "cbpp.csv");
    if (lmm_frame_as_factor(b.df, "herd", &b.err) || lmm_frame_as_factor(b.df, "period", &b.err)) bench_die("factor", &b.err);
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    for (k = 0; k < b.reps; k++) {
        lmm_glmm *g = NULL;
        double t0 = bench_now();
        if (lmm_glmm_fit_formula(b.df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &g, &b.err)) bench_die("glmer", &b.err);
        b.times[k] = bench_now() - t0;
        dev = g->deviance;
        lmm_glmm_free(g);
    }
    snprintf(b.check, sizeof b.check, "deviance=%.4f", dev);
    return bench_finish(&b);
}
