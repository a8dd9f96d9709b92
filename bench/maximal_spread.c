/* How robust the maximal model's evaluation count is (bench/maximal.c's fit):
   the path of a 72-parameter search is chaotic in the last bits, so one run's
   count says little. This fits the model from the file's row order and from
   K - 1 shuffles of its rows (the criterion is invariant, the rounding is
   not) and prints each fit's evaluations and REML, then their range.
   Not part of bench/run.sh: run by hand from the repository root,
       cc -std=c99 -O2 -march=native -I. -o maximal_spread bench/maximal_spread.c -lm
       ./maximal_spread [K, default 6] [path, default bench/data/maximal.csv]
   Each fit takes a few seconds of CPU; run them on an idle machine only. */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *maximal_formula =
    "rt ~ 1 + spkr*prec*load + (1 + spkr*prec*load | subj) + (1 + spkr*prec*load | item)";

/* xorshift64: the shuffles are the same on every platform */
static unsigned long long shuffle_next(unsigned long long *s)
{
    *s ^= *s << 13; *s ^= *s >> 7; *s ^= *s << 17;
    return *s;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *text = NULL;
    long n;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (text = (char *)malloc((size_t)n + 1)) != NULL) {
        if (fread(text, 1, (size_t)n, f) != (size_t)n) { free(text); text = NULL; }
        else text[n] = '\0';
    }
    fclose(f);
    return text;
}

/* the CSV text with its data lines (all but the header) in a shuffled order */
static char *shuffled_rows(const char *text, unsigned long long seed)
{
    size_t len = strlen(text), nlines = 0, i, at = 0;
    char *copy = (char *)malloc(len + 1), *out = (char *)malloc(len + 2), **lines = NULL, *line;
    if (copy) lines = (char **)malloc((len + 1) * sizeof(char *));
    if (!copy || !out || !lines) { free(copy); free(out); free(lines); return NULL; }
    memcpy(copy, text, len + 1);
    for (line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) lines[nlines++] = line;
    for (i = nlines - 1; i > 1; i--) {   /* Fisher-Yates over lines 1..nlines-1 */
        size_t j = 1 + (size_t)(shuffle_next(&seed) % i);
        char *t = lines[i];
        lines[i] = lines[j]; lines[j] = t;
    }
    for (i = 0; i < nlines; i++) {
        size_t l = strlen(lines[i]);
        memcpy(out + at, lines[i], l);
        at += l;
        out[at++] = '\n';
    }
    out[at] = '\0';
    free(lines); free(copy);
    return out;
}

int main(int argc, char **argv)
{
    int K = argc > 1 ? atoi(argv[1]) : 6, k, lo = 0, hi = 0;
    const char *path = argc > 2 ? argv[2] : "bench/data/maximal.csv";
    char *text = read_text(path);
    double flo = 0, fhi = 0;
    if (!text) { fprintf(stderr, "%s: cannot read\n", path); return 2; }
    if (K < 1) K = 1;
    for (k = 0; k < K; k++) {
        char *rows = k == 0 ? text : shuffled_rows(text, 0x9E3779B97F4A7C15ULL * (unsigned long long)k);
        lmm_frame *df = NULL;
        lmm_fit *fit = NULL;
        lmm_error err;
        memset(&err, 0, sizeof err);
        if (!rows || lmm_frame_read_csv_text(rows, strlen(rows), &df, &err) != LMM_OK ||
            lmm_fit_formula(df, maximal_formula, NULL, &fit, &err) != LMM_OK) {
            fprintf(stderr, "shuffle %d: %s\n", k, rows ? err.message : "out of memory");
            return 2;
        }
        printf("%s %2d: %5d evaluations, REML %.4f%s\n", k ? "shuffle" : "file   ", k, fit->nevals,
               fit->criterion, fit->converged ? "" : " (warning)");
        fflush(stdout);
        if (k == 0 || fit->nevals < lo) lo = fit->nevals;
        if (k == 0 || fit->nevals > hi) hi = fit->nevals;
        if (k == 0 || fit->criterion < flo) flo = fit->criterion;
        if (k == 0 || fit->criterion > fhi) fhi = fit->criterion;
        lmm_fit_free(fit);
        lmm_frame_free(df);
        if (k) free(rows);
    }
    printf("evaluations %d-%d, REML %.4f-%.4f over %d orders (lme4 1.1-31: 2,313 at 28748.71)\n", lo, hi, flo, fhi, K);
    free(text);
    return 0;
}
