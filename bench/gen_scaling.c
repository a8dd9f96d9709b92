/* The scaling series' data (bench/scaling.sh): n rows of
       y = 1 + 0.5 x + b1[g1] + b2[g2] + e,   x, e ~ N(0, 1), b1, b2 ~ N(0, 1)
   with L levels each of two crossed grouping factors g1 ("a<k>") and g2
   ("b<k>"), levels drawn uniformly per row. Deterministic: lmm.h's xoshiro256
   with seed + n. Usage: gen_scaling <rows> <levels> <out.csv> [seed] */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n, L, i;
    unsigned long long seed;
    double *b1, *b2;
    lmm_rng rng;
    FILE *f;
    static char buf[1 << 20];
    if (argc < 4) { fprintf(stderr, "usage: gen_scaling <rows> <levels> <out.csv> [seed]\n"); return 2; }
    n = atol(argv[1]);
    L = atol(argv[2]);
    seed = argc > 4 ? strtoull(argv[4], NULL, 10) : 20261130ull;
    if (n < 1 || L < 1) { fprintf(stderr, "gen_scaling: rows and levels must be positive\n"); return 2; }
    b1 = (double *)malloc(sizeof(double) * (size_t)L);
    b2 = (double *)malloc(sizeof(double) * (size_t)L);
    if (!b1 || !b2) { fprintf(stderr, "gen_scaling: out of memory\n"); return 2; }
    lmm_rng_seed(&rng, (uint64_t)seed + (uint64_t)n);
    for (i = 0; i < L; i++) b1[i] = lmm_rng_normal(&rng);
    for (i = 0; i < L; i++) b2[i] = 0.7 * lmm_rng_normal(&rng);
    if (!(f = fopen(argv[3], "wb"))) { perror(argv[3]); return 2; }
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("y,x,g1,g2\n", f);
    for (i = 0; i < n; i++) {
        double x = lmm_rng_normal(&rng);
        long k1 = (long)lmm_rng_below(&rng, (uint64_t)L), k2 = (long)lmm_rng_below(&rng, (uint64_t)L);
        double y = 1 + 0.5 * x + b1[k1] + b2[k2] + lmm_rng_normal(&rng);
        fprintf(f, "%.4f,%.4f,a%ld,b%ld\n", y, x, k1 + 1, k2 + 1);
    }
    if (fclose(f) != 0) { perror(argv[3]); return 2; }
    free(b1); free(b2);
    return 0;
}
