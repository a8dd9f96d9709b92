/* sleepstudy Reaction ~ Days + (Days|Subject), REML: lme4's confint(fit) (profile
   intervals of the six parameters) through lmm_confint; the fit is not timed. */
#include "bench.h"

int main(int argc, char **argv)
{
    bench bn;
    int k;
    lmm_fit *fit = NULL;
    lmm_confint_result *ci = NULL;
    bench_start(&bn, "sleepstudy_confint", argc, argv, 20, "sleepstudy.csv");
    if (lmm_fit_formula(bn.df, "Reaction ~ Days + (Days|Subject)", NULL, &fit, &bn.err)) bench_die("sleepstudy", &bn.err);
    for (k = 0; k < bn.reps; k++) {
        double t0 = bench_now();
        lmm_confint_free(ci);
        ci = NULL;
        if (lmm_confint(fit, NULL, &ci, &bn.err)) bench_die("lmm_confint", &bn.err);
        bn.times[k] = bench_now() - t0;
    }
    snprintf(bn.check, sizeof bn.check, "sig01=%.3f,%.3f;Days=%.3f,%.3f", ci->lower[0], ci->upper[0], ci->lower[5], ci->upper[5]);
    lmm_confint_free(ci);
    lmm_fit_free(fit);
    return bench_finish(&bn);
}
