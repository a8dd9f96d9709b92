/* cbpp parametric bootstrap, B = 1000: lme4's bootMer(m, fixef) of the Laplace fit
   of cbind(incidence, size - incidence) ~ period + (1 | herd) (simulate with new
   random effects, refit from the fit's parameters), through lmm_glmm_bootmer (one
   thread unless built with -fopenmp); checked by the bootstrap mean of the intercept. */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    int k, i, nvalid = 0;
    double mean = 0, *out;
    lmm_glmm_options o;
    lmm_glmm *g = NULL;
    bench_start(&b, "cbpp_boot", argc, argv, 5, "cbpp.csv");
    if (lmm_frame_as_factor(b.df, "herd", &b.err) || lmm_frame_as_factor(b.df, "period", &b.err)) bench_die("factor", &b.err);
    memset(&o, 0, sizeof o);
    o.model.family = LMM_FAMILY_BINOMIAL;
    if (lmm_glmm_fit_formula(b.df, "cbind(incidence, size - incidence) ~ period + (1 | herd)", &o, &g, &b.err)) bench_die("glmer", &b.err);
    if (!(out = (double *)malloc(sizeof(double) * 1000 * (size_t)g->p))) bench_die("malloc", NULL);
    for (k = 0; k < b.reps; k++) {
        double t0 = bench_now();
        if (lmm_glmm_bootmer(g, 1000, 13, 0, NULL, g->p, NULL, out, NULL, &b.err)) bench_die("lmm_glmm_bootmer", &b.err);
        b.times[k] = bench_now() - t0;
    }
    for (i = 0; i < 1000; i++) if (out[(size_t)i * g->p] == out[(size_t)i * g->p]) { mean += out[(size_t)i * g->p]; nvalid++; }
    snprintf(b.check, sizeof b.check, "mean(b0)=%.3f,valid=%d", mean / nvalid, nvalid);
    free(out);
    lmm_glmm_free(g);
    return bench_finish(&b);
}
