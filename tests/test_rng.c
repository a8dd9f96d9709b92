/* Random numbers: published reference sequences, jump states computed
   independently (GF(2) matrix power of the xoshiro256 transition, in Python),
   and statistical checks with tolerances of about 5 standard errors. */
#include "test.h"

#define NDRAW 1000000

/* A proportion from n draws against its exact value, within 5 standard errors. */
static void check_prop(long count, long n, double p)
{
    double se = sqrt(p * (1 - p) / n);
    CHECK_CLOSE((double)count / n, p, 0, 5 * se);
}

/* Pearson chi-square of counts against equal cells must stay below df + 5 sd. */
static void check_chisq_flat(const long *counts, int k, long n)
{
    double expect = (double)n / k, x2 = 0;
    int i;
    for (i = 0; i < k; i++) x2 += (counts[i] - expect) * (counts[i] - expect) / expect;
    if (!(x2 < (k - 1) + 5 * sqrt(2.0 * (k - 1))))
        fprintf(stderr, "  chi-square %.2f on %d df\n", x2, k - 1);
    CHECK(x2 < (k - 1) + 5 * sqrt(2.0 * (k - 1)));
}

static void test_reference_sequences(void)
{
    /* splitmix64 from 1234567 (Vigna's splitmix64.c): the seeded state */
    static const uint64_t splitmix[4] = {
        UINT64_C(6457827717110365317), UINT64_C(3203168211198807973),
        UINT64_C(9817491932198370423), UINT64_C(4593380528125082431) };
    /* xoshiro256** and xoshiro256+ from s = {1,2,3,4} */
    static const uint64_t starstar[6] = {
        UINT64_C(11520), UINT64_C(0), UINT64_C(1509978240), UINT64_C(1215971899390074240),
        UINT64_C(1216172134540287360), UINT64_C(607988272756665600) };
    /* (xoshiro256+ output) >> 11 for the same state: 5, 211106232532999, ... */
    static const uint64_t plus_top53[6] = {
        UINT64_C(0), UINT64_C(103079215104), UINT64_C(103079411712),
        UINT64_C(4503788606128256), UINT64_C(4517008515563648), UINT64_C(6768791191175648) };
    /* xoshiro256** after seeding with 1234567 */
    static const uint64_t seeded_starstar[4] = {
        UINT64_C(3504822795582309479), UINT64_C(1819558768956484042),
        UINT64_C(1250851346055027673), UINT64_C(16940231675099994102) };
    /* xoshiro256+ >> 11 after seeding with 1234567 */
    static const uint64_t seeded_plus_top53[4] = {
        UINT64_C(5396097775993870), UINT64_C(6505686982551683),
        UINT64_C(5497968453008368), UINT64_C(1531957282154392) };
    lmm_rng r, a, b;
    int i;

    lmm_rng_seed(&r, 1234567);
    for (i = 0; i < 4; i++) CHECK(r.s[i] == splitmix[i]);
    CHECK(lmm_rng_next(&r) == seeded_starstar[0]);
    CHECK(lmm_rng_next(&r) == seeded_starstar[1]);
    lmm_rng_seed(&r, 1234567);
    for (i = 0; i < 4; i++) CHECK(lmm_rng_uniform(&r) == ldexp((double)seeded_plus_top53[i], -53));

    for (i = 0; i < 4; i++) r.s[i] = (uint64_t)(i + 1);
    for (i = 0; i < 6; i++) CHECK(lmm_rng_next(&r) == starstar[i]);
    for (i = 0; i < 4; i++) r.s[i] = (uint64_t)(i + 1);
    for (i = 0; i < 6; i++) CHECK(lmm_rng_uniform(&r) == ldexp((double)plus_top53[i], -53));

    /* both scramblers share one transition: interleaving them walks one sequence */
    for (i = 0; i < 4; i++) r.s[i] = (uint64_t)(i + 1);
    CHECK(lmm_rng_next(&r) == starstar[0]);
    CHECK(lmm_rng_uniform(&r) == ldexp((double)plus_top53[1], -53));
    CHECK(lmm_rng_next(&r) == starstar[2]);
    CHECK(lmm_rng_uniform(&r) == ldexp((double)plus_top53[3], -53));

    /* same seed, same sequence; different seed, different sequence */
    lmm_rng_seed(&a, 99);
    lmm_rng_seed(&b, 99);
    for (i = 0; i < 100; i++) CHECK(lmm_rng_next(&a) == lmm_rng_next(&b));
    lmm_rng_seed(&b, 100);
    CHECK(lmm_rng_next(&a) != lmm_rng_next(&b));
    lmm_rng_seed(&r, 0);                       /* seed 0 must not give the dead state */
    CHECK((r.s[0] | r.s[1] | r.s[2] | r.s[3]) != 0);
}

static void test_jumps(void)
{
    /* state and first ** outputs after T^(2^128) / T^(2^192) from {1,2,3,4},
       computed by repeated squaring of the 256x256 GF(2) transition matrix */
    static const uint64_t jump_state[4] = {
        UINT64_C(10122426448480695249), UINT64_C(8079205330032121950),
        UINT64_C(7289065458748526725), UINT64_C(9477464255293849680) };
    static const uint64_t jump_out[3] = {
        UINT64_C(13534147089533256664), UINT64_C(7126240192422241655), UINT64_C(3805973808039778091) };
    static const uint64_t long_state[4] = {
        UINT64_C(678511610814637056), UINT64_C(15850499779492529430),
        UINT64_C(6002989639035333134), UINT64_C(3559352929785830385) };
    static const uint64_t long_out[3] = {
        UINT64_C(5942309088398569549), UINT64_C(15625447729937358436), UINT64_C(6925613901769781251) };
    lmm_rng r;
    int i;
    for (i = 0; i < 4; i++) r.s[i] = (uint64_t)(i + 1);
    lmm_rng_jump(&r);
    for (i = 0; i < 4; i++) CHECK(r.s[i] == jump_state[i]);
    for (i = 0; i < 3; i++) CHECK(lmm_rng_next(&r) == jump_out[i]);
    for (i = 0; i < 4; i++) r.s[i] = (uint64_t)(i + 1);
    lmm_rng_long_jump(&r);
    for (i = 0; i < 4; i++) CHECK(r.s[i] == long_state[i]);
    for (i = 0; i < 3; i++) CHECK(lmm_rng_next(&r) == long_out[i]);
}

static void test_streams(void)
{
    /* stream k of seed s = lmm_rng_seed(s ^ splitmix64_first(k)); first two ** outputs */
    static const struct { uint64_t seed, stream, out0, out1; } want[4] = {
        { 42, 0, UINT64_C(2303456275738999573), UINT64_C(5438210688795116325) },
        { 42, 1, UINT64_C(6361458328680127711), UINT64_C(2631838692071214148) },
        { 42, 7, UINT64_C(2648032583866158101), UINT64_C(15589289955728303254) },
        { 2024, 123456789, UINT64_C(12397070440575358150), UINT64_C(10727473407150500410) } };
    enum { NSTREAM = 1000 };
    static uint64_t first[NSTREAM];
    lmm_rng r, q;
    int i, j, distinct = 1;
    for (i = 0; i < 4; i++) {
        lmm_rng_seed_stream(&r, want[i].seed, want[i].stream);
        CHECK(lmm_rng_next(&r) == want[i].out0);
        CHECK(lmm_rng_next(&r) == want[i].out1);
    }
    /* reproducible regardless of what ran before or in between */
    lmm_rng_seed_stream(&r, 42, 7);
    lmm_rng_seed_stream(&q, 5, 5);
    (void)lmm_rng_normal(&q);
    lmm_rng_seed_stream(&q, 42, 7);
    for (i = 0; i < 50; i++) CHECK(lmm_rng_next(&r) == lmm_rng_next(&q));
    /* stream 0 is not the plain seed, and streams 0..999 all differ */
    lmm_rng_seed(&r, 42);
    lmm_rng_seed_stream(&q, 42, 0);
    CHECK(lmm_rng_next(&r) != lmm_rng_next(&q));
    for (i = 0; i < NSTREAM; i++) {
        lmm_rng_seed_stream(&r, 42, (uint64_t)i);
        first[i] = lmm_rng_next(&r);
    }
    for (i = 0; i < NSTREAM && distinct; i++)
        for (j = i + 1; j < NSTREAM; j++)
            if (first[i] == first[j]) { distinct = 0; break; }
    CHECK(distinct);
    /* neighbouring streams are uncorrelated: bits agree about half the time */
    {
        long agree = 0;
        lmm_rng sa, sb;
        lmm_rng_seed_stream(&sa, 42, 1000);
        lmm_rng_seed_stream(&sb, 42, 1001);
        for (i = 0; i < 1000; i++) {
            uint64_t x = ~(lmm_rng_next(&sa) ^ lmm_rng_next(&sb));
            for (j = 0; j < 64; j++) agree += (long)(x >> j & 1);
        }
        check_prop(agree, 64000, 0.5);
    }
}

static void test_uniform(void)
{
    lmm_rng r;
    long i, below1 = 0, below5 = 0, below9 = 0, bins[100] = { 0 };
    double sum = 0, sumsq = 0, lo = 1, hi = 0, mean, var;
    lmm_rng_seed(&r, 20240611);
    for (i = 0; i < NDRAW; i++) {
        double u = lmm_rng_uniform(&r);
        sum += u;
        sumsq += u * u;
        if (u < lo) lo = u;
        if (u > hi) hi = u;
        below1 += u < 0.1;
        below5 += u < 0.5;
        below9 += u < 0.9;
        bins[(int)(u * 100)]++;
    }
    mean = sum / NDRAW;
    var = sumsq / NDRAW - mean * mean;
    CHECK(lo >= 0 && hi < 1);
    CHECK_CLOSE(mean, 0.5, 0, 5 * sqrt(1.0 / 12 / NDRAW));
    CHECK_CLOSE(var, 1.0 / 12, 0, 5 * sqrt(1.0 / 180 / NDRAW));   /* Var((U-1/2)^2) = 1/180 */
    check_prop(below1, NDRAW, 0.1);
    check_prop(below5, NDRAW, 0.5);
    check_prop(below9, NDRAW, 0.9);
    check_chisq_flat(bins, 100, NDRAW);
}

static void test_normal(void)
{
    lmm_rng r;
    long i, n_m1 = 0, n_0 = 0, n_15 = 0, n_196 = 0, n_35 = 0, n_R = 0, n_4 = 0, n_45 = 0, bins[200] = { 0 };
    double m1 = 0, m2 = 0, m3 = 0, m4 = 0, mean, var;
    const double R = 3.654152885361009;       /* the ziggurat's tail start */
    lmm_rng_seed(&r, 777);
    for (i = 0; i < NDRAW; i++) {
        double z = lmm_rng_normal(&r), z2 = z * z, a = fabs(z);
        int cell;
        m1 += z; m2 += z2; m3 += z2 * z; m4 += z2 * z2;
        n_m1 += z < -1;
        n_0 += z < 0;
        n_15 += z < 1.5;
        n_196 += a > 1.96;
        n_35 += a > 3.5;
        n_R += a > R;
        n_4 += a > 4.0;
        n_45 += a > 4.5;
        /* probability-integral transform: Phi(z) is uniform on (0,1) */
        cell = (int)(0.5 * erfc(-z / sqrt(2.0)) * 200);
        if (cell > 199) cell = 199;
        bins[cell]++;
    }
    mean = m1 / NDRAW;
    var = m2 / NDRAW - mean * mean;
    CHECK_CLOSE(mean, 0, 0, 5 * sqrt(1.0 / NDRAW));
    CHECK_CLOSE(var, 1, 0, 5 * sqrt(2.0 / NDRAW));                /* Var(Z^2) = 2 */
    CHECK_CLOSE(m3 / NDRAW, 0, 0, 5 * sqrt(15.0 / NDRAW));        /* Var(Z^3) = 15 */
    CHECK_CLOSE(m4 / NDRAW, 3, 0, 5 * sqrt(96.0 / NDRAW));        /* Var(Z^4) = 105 - 9 */
    check_prop(n_m1, NDRAW, 0.158655253931457051);
    check_prop(n_0, NDRAW, 0.5);
    check_prop(n_15, NDRAW, 0.933192798731141934);
    check_prop(n_196, NDRAW, 0.0499957902964408724);
    check_prop(n_35, NDRAW, 4.6525815807105007e-4);
    check_prop(n_R, NDRAW, 2.5803248765390069e-4);
    check_prop(n_4, NDRAW, 6.3342483666239843e-5);      /* the tail sampler's range */
    check_prop(n_45, NDRAW, 6.7953462494601208e-6);
    check_chisq_flat(bins, 200, NDRAW);
}

/* The ziggurat's tail (|Z| > R) alone, from enough draws to see ~2000 of it:
   E[|Z| | |Z| > R] = phi(R) / (1 - Phi(R)) = 3.897039..., variance 0.053463...
   (an unaccepted exponential proposal would give R + 1/R = 3.927...), and
   (1 - Phi(|Z|)) / (1 - Phi(R)) must be uniform on (0,1). */
static void test_normal_tail(void)
{
    const double R = 3.654152885361009;
    const double tail_mean = 3.8970390716484729, tail_var = 0.053463042074063629;
    lmm_rng r;
    long i, n = 0, bins[10] = { 0 };
    double sum = 0;
    lmm_rng_seed(&r, 8675309);
    for (i = 0; i < 8 * NDRAW; i++) {
        double a = fabs(lmm_rng_normal(&r));
        if (a > R) {
            int cell = (int)(erfc(a / sqrt(2.0)) / erfc(R / sqrt(2.0)) * 10);
            n++;
            sum += a;
            bins[cell > 9 ? 9 : cell]++;
        }
    }
    check_prop(n, 8 * NDRAW, 2.5803248765390069e-4);
    CHECK_CLOSE(sum / n, tail_mean, 0, 5 * sqrt(tail_var / n));
    check_chisq_flat(bins, 10, n);
}

static void test_below(void)
{
    lmm_rng r;
    long i, counts[7] = { 0 }, low_third = 0;
    int ok = 1;
    long mod3 = 0;
    const uint64_t three_quarters = UINT64_C(3) << 62;    /* n = 3 * 2^62 */
    lmm_rng_seed(&r, 31337);
    for (i = 0; i < 1000; i++) ok &= lmm_rng_below(&r, 1) == 0;
    CHECK(ok);
    CHECK(lmm_rng_below(&r, 0) == 0);
    for (i = 0; i < 70000; i++) {
        uint64_t k = lmm_rng_below(&r, 7);
        if (k >= 7) { ok = 0; break; }
        counts[k]++;
    }
    CHECK(ok);
    check_chisq_flat(counts, 7, 70000);
    /* with n = 3 * 2^62, x mod n hits [0, 2^62) twice as often as the rest
       (P = 1/2) and floor(x * n / 2^64) hits multiples of 3 twice as often
       (P = 1/2); unbiased sampling gives 1/3 for both */
    for (i = 0; i < 100000; i++) {
        uint64_t k = lmm_rng_below(&r, three_quarters);
        ok &= k < three_quarters;
        low_third += k < (UINT64_C(1) << 62);
        mod3 += k % 3 == 0;
    }
    CHECK(ok);
    check_prop(low_third, 100000, 1.0 / 3);
    check_prop(mod3, 100000, 1.0 / 3);
    for (i = 0; i < 1000; i++) ok &= lmm_rng_below(&r, UINT64_MAX) < UINT64_MAX;
    CHECK(ok);
}

void test_rng(void)
{
    test_reference_sequences();
    test_jumps();
    test_streams();
    test_uniform();
    test_normal();
    test_normal_tail();
    test_below();
}
