/* The one translation unit that holds the library's implementation, built
   with a counting allocator so tests can assert "allocates nothing" and
   inject allocation failures. */
#include <stdlib.h>
long lmm_test_allocs = 0;     /* allocations so far */
long lmm_test_fail_after = -1; /* >= 0: allocations beyond this many fail */
static void *lmm_test_malloc(size_t n)
{
    if (lmm_test_fail_after >= 0 && lmm_test_allocs >= lmm_test_fail_after) return NULL;
    lmm_test_allocs++;
    return malloc(n);
}
static void *lmm_test_realloc(void *p, size_t n)
{
    if (lmm_test_fail_after >= 0 && lmm_test_allocs >= lmm_test_fail_after) return NULL;
    lmm_test_allocs++;
    return realloc(p, n);
}
#define LMM_MALLOC(sz) lmm_test_malloc(sz)
#define LMM_REALLOC(p, sz) lmm_test_realloc(p, sz)
#define LMM_FREE(p) free(p)
#define LMM_IMPLEMENTATION
#include "lmm.h"

/* Levels of the first term whose share of the Schur complement goes in by
   observation pairs (lmm__level_pairs; -1 before the blocks are built), so
   the tests can tell that path from the others, which give the same figures. */
int lmm_test_pair_levels(const lmm_model *m)
{
    const lmm__blocks *B = m ? m->blk_ : NULL;
    int j, count = 0;
    if (!B) return -1;
    for (j = 0; j < B->l1; j++) count += lmm__level_pairs(B, j);
    return count;
}

/* The library's internals, seen here only: whether the objective's factor is the class path. */
int lmm_test_model_on_class_path(const lmm_model *m)
{
    return m && m->blk_ && m->blk_->path == LMM__PATH_CLASSES;
}

/* The sparse path's storage, for tests/test_sparsecls.c: returns 1 on the
   sparse path with A22 held as entries (the dense A22 released), and which
   Schur-complement storage the plan chose: merged class products (*ncls
   classes, *counts when stored as 16-bit counts) or level pairs (*pairs). */
int lmm_test_sparse_storage(const lmm_model *m, int *ncls, int *counts, int *pairs)
{
    const lmm__blocks *B = m->blk_;
    *ncls = B->sp_ncls;
    *counts = B->sp_ecnt != NULL;
    *pairs = B->sp_pr != NULL;
    return B->path == LMM__PATH_SPARSE && B->sp_aval != NULL && B->A22 == NULL;
}

/* The moment start's theta (lmm__moment_theta) on the model's current path. */
int lmm_test_moment_theta(const lmm_model *m, double *theta)
{
    return lmm__moment_theta(m, theta);
}
