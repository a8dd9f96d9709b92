/* One size of the scaling series (bench/scaling.sh): read a CSV written by
   bench/gen_scaling.c, then build and fit y ~ x + (1|g1) and the crossed
   y ~ x + (1|g1) + (1|g2) (REML). Times are user CPU seconds (getrusage;
   the machine is shared, so wall time says little), peak memory is the
   process's VmHWM, reset before each stage where Linux allows it
   (/proc/self/clear_refs, "5"), so each stage's peak is its own plus what is
   still held (the frame). Prints for bench/scaling.sh:
     READ  <rows> <bytes> <user s> <MB/s> <peak kB>
     MODEL <name> <build s> <fit s> <evaluations> <s per evaluation> <peak kB> <REML criterion>
   A read or build under 0.05 s is repeated for 0.2 s and timed as the mean
   (getrusage's user time can move in scheduler ticks: a 2 ms read showed 0.000 s).
   The per-evaluation time is the median of repeated lmm_model_objective calls
   at the estimates (the fit's own time also holds lme4's convergence check).
   Usage: scaling <file.csv> [evaluation repetitions, default 9] [intercept]
   ("intercept": skip the crossed model, whose dense block of the second
   factor grows as levels^2) */
#include "bench.h"
#include <sys/resource.h>

static double user_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec;
}

static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) { fputs("5", f); fclose(f); }
}

static void run_model(lmm_frame *df, const char *name, const char *formula, int reps)
{
    lmm_model *m = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    double t0, tbuild, tfit, *te = (double *)malloc(sizeof(double) * (size_t)reps), sink = 0;
    int k;
    memset(&err, 0, sizeof err);
    if (!te) bench_die(name, NULL);
    reset_peak();
    t0 = user_now();
    if (lmm_model_build(df, formula, NULL, &m, &err) != LMM_OK) bench_die(name, &err);
    tbuild = user_now() - t0;
    if (tbuild < 0.05) {   /* below getrusage's resolution (a 0.000 s build): the mean of repeated builds */
        int k2 = 0;
        lmm_model_free(m);     /* one model at a time: the peak stays a single build's */
        m = NULL;
        t0 = user_now();
        for (;;) {
            if (lmm_model_build(df, formula, NULL, &m, &err) != LMM_OK) bench_die(name, &err);
            k2++;
            if (user_now() - t0 >= 0.2 || k2 >= 1000) break;
            lmm_model_free(m);
            m = NULL;
        }
        tbuild = (user_now() - t0) / k2;
    }
    t0 = user_now();
    if (lmm_model_fit(m, NULL, &fit, &err) != LMM_OK) bench_die(name, &err);
    tfit = user_now() - t0;
    /* evaluations are short at the small sizes: time enough of them per sample */
    for (k = 0; k < reps; k++) {
        int inner = 0;
        double t1 = user_now(), dt;
        do {
            sink += lmm_model_objective(m, fit->theta, 1);
            inner++;
            dt = user_now() - t1;
        } while (dt < 0.05 && inner < 100000);
        te[k] = dt / inner;
    }
    printf("MODEL %s %.6g %.6g %d %.6g %ld %.6f\n", name, tbuild, tfit, fit->nevals, bench_median(te, reps),
           bench_peak_rss_kb(), fit->criterion);
    if (!(sink == sink)) printf("# objective NaN\n");
    fflush(stdout);
    lmm_fit_free(fit);
    lmm_model_free(m);
    free(te);
}

int main(int argc, char **argv)
{
    lmm_frame *df = NULL;
    lmm_error err;
    double t0, tread;
    long bytes = -1;
    int reps = argc > 2 && atoi(argv[2]) > 0 ? atoi(argv[2]) : 9;
    FILE *f;
    memset(&err, 0, sizeof err);
    if (argc < 2) { fprintf(stderr, "usage: scaling <file.csv> [reps]\n"); return 2; }
    if ((f = fopen(argv[1], "rb"))) { fseek(f, 0, SEEK_END); bytes = ftell(f); fclose(f); }
    reset_peak();
    t0 = user_now();
    if (lmm_frame_read_csv(argv[1], &df, &err) != LMM_OK) bench_die(argv[1], &err);
    tread = user_now() - t0;
    if (tread < 0.05) {    /* below getrusage's resolution (a 0.000 s read): the mean of repeated reads */
        int k = 0;
        t0 = user_now();
        do {
            lmm_frame *df2 = NULL;
            if (lmm_frame_read_csv(argv[1], &df2, &err) != LMM_OK) bench_die(argv[1], &err);
            lmm_frame_free(df2);
            k++;
        } while (user_now() - t0 < 0.2 && k < 1000);
        tread = (user_now() - t0) / k;
    }
    printf("READ %d %ld %.6g %.6g %ld\n", df->nrow, bytes, tread, tread > 0 ? (double)bytes / 1e6 / tread : 0.0,
           bench_peak_rss_kb());
    fflush(stdout);
    run_model(df, "intercept", "y ~ x + (1|g1)", reps);
    if (!(argc > 3 && strcmp(argv[3], "intercept") == 0)) run_model(df, "crossed", "y ~ x + (1|g1) + (1|g2)", reps);
    lmm_frame_free(df);
    return 0;
}
