/* Shared setup and helpers of the benchmark programs: wall clock, peak memory,
   data paths and the one-line result every program prints for bench/run.sh:
       RESULT <workload> <median seconds> <peak RSS in kB> <repetitions> <check>
   Each program runs its workload `reps` times (argv[1], default per program)
   after the data are loaded, and times only the statistical work, as
   bench/lme4.R does. bench_start does the setup (repetitions, times, data
   frame), bench_finish prints the result and frees it; bench_fit_main is the
   whole program of a single-fit workload. */
#ifndef LMM_BENCH_H
#define LMM_BENCH_H
#define _POSIX_C_SOURCE 200809L
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* helpers that only some programs use */
#if defined(__GNUC__) || defined(__clang__)
#define BENCH_FN static __attribute__((unused))
#else
#define BENCH_FN static
#endif

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak resident set size of this process in kB (VmHWM), or -1. */
static long bench_peak_rss_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) { kb = strtol(line + 6, NULL, 10); break; }
    fclose(f);
    return kb;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double bench_median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, bench_cmp);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static int bench_reps(int argc, char **argv, int dflt)
{
    int r = argc > 1 ? atoi(argv[1]) : dflt;
    return r > 0 ? r : dflt;
}

/* Data directory: $LMM_BENCH_DATA, else tests/data (run from the repository root). */
static lmm_frame *bench_read(const char *name)
{
    char path[1024];
    const char *dir = getenv("LMM_BENCH_DATA");
    lmm_frame *df = NULL;
    lmm_error err;
    memset(&err, 0, sizeof err);
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data", name);
    if (lmm_frame_read_csv(path, &df, &err) != LMM_OK) {
        fprintf(stderr, "%s: %s\n", path, err.message);
        exit(2);
    }
    return df;
}

static void bench_die(const char *what, const lmm_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err ? err->message : "failed");
    exit(2);
}

static void bench_report(const char *name, double *times, int reps, const char *check)
{
    printf("RESULT %s %.6g %ld %d %s\n", name, bench_median(times, reps), bench_peak_rss_kb(), reps, check);
}

/* The setup every program shares: its name, the repetitions (argv[1], default
   dflt) with room for their times, the data frame read from csv, an error and
   the check text that bench_finish prints with the result. */
typedef struct bench {
    const char *name;
    int reps;
    double *times;       /* reps */
    lmm_frame *df;
    lmm_error err;
    char check[128];
} bench;

static void bench_start(bench *b, const char *name, int argc, char **argv, int dflt, const char *csv)
{
    memset(b, 0, sizeof *b);
    b->name = name;
    b->reps = bench_reps(argc, argv, dflt);
    b->times = (double *)malloc(sizeof(double) * (size_t)b->reps);
    if (!b->times) bench_die(name, NULL);
    b->df = bench_read(csv);
}

/* Print the RESULT line and free what bench_start allocated; main's return value. */
static int bench_finish(bench *b)
{
    bench_report(b->name, b->times, b->reps, b->check);
    lmm_frame_free(b->df);
    free(b->times);
    return 0;
}

/* Fit formula to the frame (opts may be NULL), timed into times[k]; exits on failure. */
BENCH_FN lmm_fit *bench_timed_fit(bench *b, int k, const char *formula, const lmm_fit_options *opts)
{
    lmm_fit *fit = NULL;
    double t0 = bench_now();
    if (lmm_fit_formula(b->df, formula, opts, &fit, &b->err) != LMM_OK) bench_die(b->name, &b->err);
    b->times[k] = bench_now() - t0;
    return fit;
}

/* A single-fit workload: reps REML fits of formula to csv (default 200), checked
   by the REML criterion; the whole main of bench/sleepstudy_fit.c and
   bench/penicillin_fit.c. */
BENCH_FN int bench_fit_main(int argc, char **argv, const char *name, const char *csv, const char *formula)
{
    bench b;
    double crit = 0;
    int k;
    bench_start(&b, name, argc, argv, 200, csv);
    for (k = 0; k < b.reps; k++) {
        lmm_fit *fit = bench_timed_fit(&b, k, formula, NULL);
        crit = fit->criterion;
        lmm_fit_free(fit);
    }
    snprintf(b.check, sizeof b.check, "REML=%.4f", crit);
    return bench_finish(&b);
}
#endif
