/* Shared helpers of the benchmark programs: wall clock, peak memory, data
   paths and the one-line result every program prints for bench/run.sh:
       RESULT <workload> <median seconds> <peak RSS in kB> <repetitions> <check>
   Each program runs its workload `reps` times (argv[1], default 5) after the
   data are loaded, and times only the statistical work, as bench/lme4.R does. */
#ifndef LMM_BENCH_H
#define LMM_BENCH_H
#define _POSIX_C_SOURCE 200809L
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#endif
