/* Test runner: runs every suite, ends with one line "N passed, N failed". */
#include "test.h"
#include <stdlib.h>

int lmm_test_passed, lmm_test_failed;
int lmm_test_light;

void lmm_test_check(int ok, const char *file, int line, const char *what)
{
    if (ok) lmm_test_passed++;
    else { lmm_test_failed++; fprintf(stderr, "FAIL %s:%d: %s\n", file, line, what); }
}

int lmm_test_close(double got, double want, double rtol, double atol)
{
    double tol = fabs(want) * rtol;
    if (tol < atol) tol = atol;
    if (isnan(got) || isnan(want)) return isnan(got) && isnan(want);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= tol;
}

/* tests/data/<name> read as a frame, or NULL with the reason on stderr. */
lmm_frame *lmm_test_read_csv(const char *name)
{
    char path[512];
    lmm_frame *df = NULL;
    lmm_error err = {LMM_OK, ""};
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, name);
    if (lmm_frame_read_csv(path, &df, &err) != LMM_OK) fprintf(stderr, "  %s: %s\n", path, err.message);
    return df;
}

/* The whole of an open file (from its start) as a string, or NULL; the caller frees. */
char *lmm_test_slurp(FILE *f)
{
    long n;
    char *s;
    fseek(f, 0, SEEK_END); n = ftell(f); fseek(f, 0, SEEK_SET);
    s = (char *)malloc((size_t)n + 1);
    if (!s) return NULL;
    n = (long)fread(s, 1, (size_t)n, f);
    s[n] = '\0';
    return s;
}

void lmm_test_check_r_text(const char *relpath, FILE *out)
{
    char path[512], *want = NULL, *got = NULL, *w, *r;
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", TEST_DATA_DIR, relpath);
    f = fopen(path, "rb");
    lmm_test_check(f != NULL && out != NULL, __FILE__, __LINE__, relpath);
    if (f) { want = lmm_test_slurp(f); fclose(f); }
    if (out) { rewind(out); got = lmm_test_slurp(out); fclose(out); }
    if (want && got) {
        for (r = w = want; *r; ) {   /* U+2018 / U+2019 -> ', as R's C locale prints them */
            if ((unsigned char)r[0] == 0xE2 && (unsigned char)r[1] == 0x80 && ((unsigned char)r[2] == 0x98 || (unsigned char)r[2] == 0x99)) { *w++ = '\''; r += 3; }
            else *w++ = *r++;
        }
        *w = 0;
        if (strcmp(got, want) != 0) fprintf(stderr, "  %s: printed\n%s\n  R printed\n%s\n", relpath, got, want);
        lmm_test_check(strcmp(got, want) == 0, __FILE__, __LINE__, relpath);
    }
    free(want); free(got);
}

/* The suite list: -D'LMM_SUITES(X)=X(rng)' builds one suite alone; otherwise
   build/suites.h (written by the Makefile from tests/test_*.c) lists them all. */
#ifndef LMM_SUITES
#include "suites.h"
#endif
#define DECLARE(name) void test_##name(void);
LMM_SUITES(DECLARE)

/* no arguments: every suite; "-name": every suite but that one; else the suites named */
static int suite_selected(int argc, char **argv, const char *name)
{
    int a;
    if (argc < 2) return 1;
    if (argv[1][0] == '-') return strcmp(argv[1] + 1, name) != 0;
    for (a = 1; a < argc; a++) if (strcmp(argv[a], name) == 0) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct { const char *name; void (*fn)(void); } suites[] = {
#define ENTRY(name) { #name, test_##name },
        LMM_SUITES(ENTRY)
    };
    size_t i;
    lmm_test_light = getenv("LMM_TEST_LIGHT") != NULL;
    for (i = 0; i < sizeof suites / sizeof suites[0]; i++) {
        int before = lmm_test_failed, pb = lmm_test_passed;
        if (!suite_selected(argc, argv, suites[i].name)) continue;
        suites[i].fn();
        fprintf(stderr, "suite %-12s %4d passed, %d failed\n", suites[i].name,
                lmm_test_passed - pb, lmm_test_failed - before);
    }
    printf("%d passed, %d failed\n", lmm_test_passed, lmm_test_failed);
    return lmm_test_failed ? 1 : 0;
}
