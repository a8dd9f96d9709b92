/* Minimal test harness shared by the test files (tests only, not the library). */
#ifndef LMM_TEST_H
#define LMM_TEST_H
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include "lmm.h"

extern int lmm_test_passed, lmm_test_failed;
extern long lmm_test_allocs, lmm_test_fail_after;
/* LMM_TEST_LIGHT set (the valgrind run): the slowest fits are left out */
extern int lmm_test_light;
void lmm_test_check(int ok, const char *file, int line, const char *what);
int lmm_test_close(double got, double want, double rtol, double atol);
lmm_frame *lmm_test_read_csv(const char *name);
char *lmm_test_slurp(FILE *f);   /* an open file's whole text (caller frees) */
/* Output `got` (what print_fn wrote into a tmpfile, read back and freed here) equals R's text in
   TEST_DATA_DIR/relpath, R's curly quotes read as ASCII '; a difference prints both. */
void lmm_test_check_r_text(const char *relpath, FILE *got);
/* The model's objective path runs the class sums (lmm__factor_classes): 1, or 0 (tests/impl.c) */
int lmm_test_model_on_class_path(const lmm_model *m);
/* The first term's levels that go in by observation pairs (lmm__level_pairs), -1 before the blocks */
int lmm_test_pair_levels(const lmm_model *m);
/* The sparse path's storage: 1 on it with A22 as entries; the class products' count, 16-bit counts, pairs */
int lmm_test_sparse_storage(const lmm_model *m, int *ncls, int *counts, int *pairs);
/* The moment start's theta on the model's current path */
int lmm_test_moment_theta(const lmm_model *m, double *theta);

#define CHECK(cond) lmm_test_check(!!(cond), __FILE__, __LINE__, #cond)
/* |got - want| <= max(rtol*|want|, atol) */
#define CHECK_CLOSE(got, want, rtol, atol) do { \
    double g_ = (got), w_ = (want); \
    int ok_ = lmm_test_close(g_, w_, (rtol), (atol)); \
    if (!ok_) fprintf(stderr, "  %s:%d: %s = %.17g, want %.17g\n", __FILE__, __LINE__, #got, g_, w_); \
    lmm_test_check(ok_, __FILE__, __LINE__, #got " ~ " #want); } while (0)
#define CHECK_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    int ok_ = g_ && w_ && strcmp(g_, w_) == 0; \
    if (!ok_) fprintf(stderr, "  %s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
    lmm_test_check(ok_, __FILE__, __LINE__, #got " == " #want); } while (0)

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif
#endif
