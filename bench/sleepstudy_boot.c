/* sleepstudy parametric bootstrap of the fixed effects, lme4's
   bootMer(fit, fixef, nsim = 1000) (REML), through lmm_bootmer. */
#include "bench.h"

static void fixef(const lmm_fit *refit, void *user, double *out)
{
    (void)user;
    out[0] = refit->beta[0];
    out[1] = refit->beta[1];
}

int main(int argc, char **argv)
{
    bench bn;
    int B = 1000, k, b;
    double *out = (double *)malloc(sizeof(double) * 2 * (size_t)B), mean[2] = {0, 0};
    lmm_fit *fit = NULL;
    lmm_fit_options fixef_only;
    bench_start(&bn, "sleepstudy_boot", argc, argv, 5, "sleepstudy.csv");
    if (!out) bench_die("sleepstudy_boot", NULL);
    memset(&fixef_only, 0, sizeof fixef_only);
    fixef_only.skip_condvar = 1;      /* the replicates keep only fixef */
    if (lmm_fit_formula(bn.df, "Reaction ~ Days + (Days|Subject)", &fixef_only, &fit, &bn.err)) bench_die("sleepstudy", &bn.err);
    for (k = 0; k < bn.reps; k++) {
        double t0 = bench_now();
        if (lmm_bootmer(fit, B, 13, 0, fixef, 2, NULL, out, NULL, &bn.err)) bench_die("lmm_bootmer", &bn.err);
        bn.times[k] = bench_now() - t0;
    }
    for (b = 0; b < B; b++) { mean[0] += out[2 * b] / B; mean[1] += out[2 * b + 1] / B; }
    snprintf(bn.check, sizeof bn.check, "mean_fixef=%.2f,%.3f", mean[0], mean[1]);
    lmm_fit_free(fit);
    free(out);
    return bench_finish(&bn);
}
