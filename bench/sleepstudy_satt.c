/* sleepstudy Reaction ~ Days + (Days|Subject), REML, then lmerTest's summary():
   the fit and the Satterthwaite t tests of both coefficients (lmm_coef_table),
   timed together as summary(lmerTest::lmer(...)) is in bench/lme4.R. */
#include "bench.h"

int main(int argc, char **argv)
{
    bench b;
    int k;
    lmm_coef_row rows[2];
    bench_start(&b, "sleepstudy_satt", argc, argv, 100, "sleepstudy.csv");
    for (k = 0; k < b.reps; k++) {
        lmm_fit *fit = bench_timed_fit(&b, k, "Reaction ~ Days + (Days|Subject)", NULL);
        double t0 = bench_now();
        if (lmm_coef_table(fit, LMM_DDF_SATTERTHWAITE, rows, &b.err)) bench_die("lmm_coef_table", &b.err);
        b.times[k] += bench_now() - t0;
        lmm_fit_free(fit);
    }
    snprintf(b.check, sizeof b.check, "df=%.3f,%.3f", rows[0].df, rows[1].df);
    return bench_finish(&b);
}
