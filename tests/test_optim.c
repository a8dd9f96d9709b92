/* Optimizer: test functions whose minimizers are known in closed form
   (Rosenbrock, box-constrained quadratics solved by hand through the KKT
   conditions, and a profiled-deviance-like function minimized analytically). */
#include "test.h"
#include <stdlib.h>

static const lmm_optimizer methods[2] = { LMM_OPT_BOBYQA, LMM_OPT_NELDER_MEAD };

/* Separable extended Rosenbrock: sum over pairs; minimum 0 at all ones. */
static double rosen(const double *x, void *ctx)
{
    int n = *(const int *)ctx, i;
    double f = 0;
    for (i = 0; i + 1 < n; i += 2) {
        double a = x[i + 1] - x[i] * x[i], b = 1 - x[i];
        f += 100 * a * a + b * b;
    }
    return f;
}

/* (x1-2)^2 + 2(x2+1)^2 + (x1-2)(x2+1) on [0,1] x [-5,5]: KKT gives x1 = 1 on
   its upper bound (df/dx1 = -1.75 < 0 there) and x2 = -0.75 inside, f = 0.875. */
static double boxquad(const double *x, void *ctx)
{
    double a = x[0] - 2, b = x[1] + 1;
    (void)ctx;
    return a * a + 2 * b * b + a * b;
}

/* (t+1)^2 on [0, inf): minimum exactly at the bound t = 0, f = 1. */
static double shifted(const double *x, void *ctx)
{
    (void)ctx;
    return (x[0] + 1) * (x[0] + 1);
}

/* The shape of lme4's profiled deviance in one theta:
   g(t) = N log(1 + a/(1 + c t^2)) + log(1 + c t^2). With u = c t^2,
   g = N log(1 + u + a) - (N - 1) log(1 + u), dg/du = 0 at u = (N-1)a - 1,
   an interior minimum when (N-1)a > 1; otherwise g increases in u and the
   minimum is t = 0 (a singular fit). */
typedef struct { double N, a, c, shift; } devpar;

static double devlike1(double t, const devpar *q)
{
    double u = q->c * t * t;
    return q->N * log(1 + q->a / (1 + u)) + log(1 + u);
}

static double devlike(const double *x, void *ctx)
{
    return devlike1(x[0], (const devpar *)ctx);
}

/* Two thetas: a singular diagonal one (N=3, a=0.4: (N-1)a = 0.8 < 1, t1 = 0)
   plus an unbounded off-diagonal-like one entering as a quadratic bowl. */
static double devlike2(const double *x, void *ctx)
{
    devpar q = { 3, 0.4, 2, 0 };
    double d = x[1] - 0.3 + 0.5 * x[0];
    (void)ctx;
    return devlike1(x[0], &q) + 2 * d * d;
}

/* Undefined (NaN) left of 0.5, (x - 1)^2 elsewhere: minimum 1 at x = 1. */
static double nanleft(const double *x, void *ctx)
{
    (void)ctx;
    return x[0] < 0.5 ? log(-1.0 - x[0] * x[0]) : (x[0] - 1) * (x[0] - 1);
}

static void test_rosenbrock(void)
{
    int m, n, i;
    for (m = 0; m < 2; m++) {
        lmm_optim_options opt = { LMM_OPT_BOBYQA, 0, 0, 0, 0, 0 };
        lmm_optim_result res;
        double x2[2] = { -1.2, 1 };
        double x4[4] = { -1.2, 1, -1.2, 1 };
        lmm_error err = { LMM_OK, "" };
        opt.method = methods[m];
        n = 2;
        CHECK(lmm_minimize(2, x2, NULL, NULL, rosen, &n, &opt, NULL, &res, &err) == LMM_OK);
        CHECK(res.converged);
        CHECK_CLOSE(x2[0], 1, 0, 1e-5);
        CHECK_CLOSE(x2[1], 1, 0, 1e-5);
        CHECK_CLOSE(res.fmin, 0, 0, 1e-10);
        CHECK(res.nevals < 2000);
        n = 4;
        CHECK(lmm_minimize(4, x4, NULL, NULL, rosen, &n, &opt, NULL, &res, &err) == LMM_OK);
        CHECK(res.converged);
        for (i = 0; i < 4; i++) CHECK_CLOSE(x4[i], 1, 0, 1e-5);
        CHECK_CLOSE(res.fmin, 0, 0, 1e-10);
    }
}

static void test_bounds(void)
{
    int m;
    for (m = 0; m < 2; m++) {
        lmm_optim_options opt = { LMM_OPT_BOBYQA, 0, 0, 0, 0, 0 };
        lmm_optim_result res;
        double lo[2] = { 0, -5 }, hi[2] = { 1, 5 }, x[2] = { 0.5, 0 };
        double t[1] = { 1 }, zero[1] = { 0 };
        double lo2[2] = { 0, -HUGE_VAL }, x2[2] = { 1, 0 };
        devpar inner = { 10, 0.5, 2, 0 }, sing = { 3, 0.4, 2, 0 };
        opt.method = methods[m];

        CHECK(lmm_minimize(2, x, lo, hi, boxquad, NULL, &opt, NULL, &res, NULL) == LMM_OK);
        CHECK(res.converged);
        CHECK(x[0] == 1.0);
        CHECK_CLOSE(x[1], -0.75, 0, 1e-6);
        CHECK_CLOSE(res.fmin, 0.875, 1e-12, 0);

        CHECK(lmm_minimize(1, t, zero, NULL, shifted, NULL, &opt, NULL, &res, NULL) == LMM_OK);
        CHECK(t[0] == 0.0);
        CHECK(res.fmin == 1.0);
        CHECK(res.converged);

        /* interior: (N-1)a - 1 = 3.5 = c t^2, t = sqrt(1.75); g = 10 log 5 - 9 log 4.5 */
        t[0] = 1;
        CHECK(lmm_minimize(1, t, zero, NULL, devlike, &inner, &opt, NULL, &res, NULL) == LMM_OK);
        CHECK_CLOSE(t[0], sqrt(1.75), 0, 1e-5);
        CHECK_CLOSE(res.fmin, 10 * log(5.0) - 9 * log(4.5), 1e-12, 0);

        /* singular: minimum at t = 0, g = 3 log 1.4 */
        t[0] = 1;
        CHECK(lmm_minimize(1, t, zero, NULL, devlike, &sing, &opt, NULL, &res, NULL) == LMM_OK);
        CHECK(fabs(t[0]) <= 1e-4);
        CHECK_CLOSE(res.fmin, 3 * log(1.4), 1e-12, 0);

        /* two parameters, first on its bound: t1 = 0, t2 = 0.3, f = 3 log 1.4 */
        CHECK(lmm_minimize(2, x2, lo2, NULL, devlike2, NULL, &opt, NULL, &res, NULL) == LMM_OK);
        CHECK(fabs(x2[0]) <= 1e-4);
        CHECK_CLOSE(x2[1], 0.3, 0, 1e-4);
        CHECK_CLOSE(res.fmin, 3 * log(1.4), 1e-12, 0);
        CHECK(res.converged);
    }
}

static void test_misc(void)
{
    int m, n = 2;
    for (m = 0; m < 2; m++) {
        lmm_optim_options opt = { LMM_OPT_BOBYQA, 0, 0, 0, 0, 0 };
        lmm_optim_result r1, r2;
        double xa[2] = { -1.2, 1 }, xb[2] = { -1.2, 1 }, *work;
        double t[1] = { 3 };
        double lo[2] = { 0.5, -3 }, hi[2] = { 0.5, 3 }, xf[2] = { 0, 2 };
        opt.method = methods[m];
        /* caller-provided work gives bit-identical results */
        work = (double *)malloc(lmm_minimize_worksize(2, opt.method) * sizeof(double));
        CHECK(lmm_minimize(2, xa, NULL, NULL, rosen, &n, &opt, NULL, &r1, NULL) == LMM_OK);
        CHECK(lmm_minimize(2, xb, NULL, NULL, rosen, &n, &opt, work, &r2, NULL) == LMM_OK);
        CHECK(xa[0] == xb[0] && xa[1] == xb[1]);
        CHECK(r1.nevals == r2.nevals && r1.fmin == r2.fmin);
        free(work);
        /* out of budget: LMM_OK, not converged, exactly max_evals calls */
        opt.max_evals = 25;
        xa[0] = -1.2; xa[1] = 1;
        CHECK(lmm_minimize(2, xa, NULL, NULL, rosen, &n, &opt, NULL, &r1, NULL) == LMM_OK);
        CHECK(!r1.converged);
        CHECK(r1.nevals == 25);
        CHECK(r1.fmin <= 24.2);   /* never worse than the start, f(-1.2, 1) = 24.2 */
        opt.max_evals = 0;
        /* NaN region: the optimizer steps away from it */
        CHECK(lmm_minimize(1, t, NULL, NULL, nanleft, NULL, &opt, NULL, &r1, NULL) == LMM_OK);
        CHECK_CLOSE(t[0], 1, 0, 1e-5);
        /* fixed first variable (lower == upper); start outside the box is projected */
        CHECK(lmm_minimize(2, xf, lo, hi, boxquad, NULL, &opt, NULL, &r1, NULL) == LMM_OK);
        CHECK(xf[0] == 0.5);
        /* x2 + 1 = (2 - 0.5)/4 = 0.375 minimizes 2b^2 - 1.5b */
        CHECK_CLOSE(xf[1], -0.625, 0, 1e-5);
        /* everything fixed: one evaluation at the box point */
        xf[0] = 0; xf[1] = 0;
        CHECK(lmm_minimize(2, xf, lo, lo, boxquad, NULL, &opt, NULL, &r1, NULL) == LMM_OK);
        CHECK(xf[0] == 0.5 && xf[1] == -3);
        CHECK(r1.nevals == 1 && r1.converged);
        CHECK_CLOSE(r1.fmin, 2.25 + 8 + 3, 1e-15, 0);   /* a = -1.5, b = -2 */
    }
}

static double never(const double *x, void *ctx)
{
    (void)x; (void)ctx;
    return 0;
}

/* 30 and 50 variables (beyond the 20 where BOBYQA also stops on a stall, and
   the 40 where the stall asks a larger gain), each with lower bound 0: 1000 + sum_i w_i d_i^2 + 0.3 sum_i d_i d_{i+1}, d = x - c, w_i = 1 + i.
   The coupling is diagonally dominated, so the quadratic is convex; with every
   c_i > 0 the minimizer is c itself, f = 1000. With couple == 0 and some c_i
   below the bound the terms separate: x_i = max(c_i, 0), f = 1000 + sum w_i c_i^2
   over the negative c_i. */
typedef struct { int n; double couple, c[50]; } wide;

static double widequad(const double *x, void *ctx)
{
    const wide *q = (const wide *)ctx;
    double f = 1000;
    int i;
    for (i = 0; i < q->n; i++) {
        double d = x[i] - q->c[i];
        f += (1 + i) * d * d;
        if (i + 1 < q->n) f += q->couple * d * (x[i + 1] - q->c[i + 1]);
    }
    return f;
}

static void test_wide(void)
{
    wide q;
    double x[50], lo[50], fstar = 1000;
    lmm_optim_result res;
    int i, k;
    for (k = 0; k < 4; k++) {
        q.n = k < 2 ? 30 : 50; q.couple = k % 2 ? 0 : 0.3;
        fstar = 1000;
        for (i = 0; i < q.n; i++) {
            q.c[i] = 0.3 + 0.05 * i;
            if (k % 2 && i % 5 == 0) { q.c[i] = -0.1; fstar += (1 + i) * 0.01; }
            x[i] = 1; lo[i] = 0;
        }
        CHECK(lmm_minimize(q.n, x, lo, NULL, widequad, &q, NULL, NULL, &res, NULL) == LMM_OK);
        CHECK(res.converged);
        CHECK(res.nevals < 100 * q.n);
        printf("  wide quadratic, %d variables%s: f - f* = %.3g in %d evaluations\n", q.n, k % 2 ? " (bounds active)" : "", res.fmin - fstar, res.nevals);
        /* the stall stop leaves f within 1e-6 relative of the minimum, the
           suites' tolerance against lme4 */
        CHECK(res.fmin >= fstar - 1e-9 && res.fmin - fstar <= 1e-6 * fstar);
        /* beyond 40 variables the stall asks 5e-8 |f| an evaluation: with |f| ~ 1000
           against curvatures 2-100 the 50-variable coupled search stops 2.7e-7
           relative above f*, its x within 1e-2 (the 3e-9 stall left the same point) */
        for (i = 0; i < q.n; i++) CHECK_CLOSE(x[i], q.c[i] > 0 ? q.c[i] : 0, 0, q.n > 40 ? 1e-2 : 2e-3);
    }
}

/* The stall rule's width threshold (LMM__BQ_WIDE_DIM): with p free
   variables the search ends once a set's worth of evaluations (2p + 1) gains
   under 3e-9 (p <= 40) or 5e-8 (p > 40) times (2p + 1)(1 + |f|), the first
   set included. f = 1 + a sum_i (1 + i/100) x_i^4 from x = 1 with a = 1e-7:
   the start's set and the first model step gain some 25 a, inside that window
   at both 40 and 41 variables (asserted from the recorded values), so 40
   variables search on towards the minimum and 41 stop after that one set. A
   threshold at 39 or 41, or one stall allowance for both, fails here. */
typedef struct { int n, count; double a, f[600]; } quartic;

static double quartic_f(const double *x, void *ctx)
{
    quartic *q = (quartic *)ctx;
    double f = 1;
    int i;
    for (i = 0; i < q->n; i++) f += q->a * (1 + 0.01 * i) * (x[i] * x[i]) * (x[i] * x[i]);
    if (q->count < 600) q->f[q->count] = f;
    q->count++;
    return f;
}

static void test_stall_width(void)
{
    quartic q;
    double x[41], fset = HUGE_VAL;
    lmm_optim_result res;
    int i, p, m;
    for (p = 40; p <= 41; p++) {
        q.n = p; q.count = 0; q.a = 1e-7; m = 2 * p + 1;
        for (i = 0; i < p; i++) x[i] = 1;
        CHECK(lmm_minimize(p, x, NULL, NULL, quartic_f, &q, NULL, NULL, &res, NULL) == LMM_OK);
        CHECK(q.count == res.nevals && res.nevals >= m + 1);
        if (q.count < m + 1) continue;
        for (i = 0; i <= m; i++) if (q.f[i] < fset) fset = q.f[i];
        /* the start's gain over its first set (f(1) then 2p + 1 more) lies between the two allowances */
        CHECK(q.f[0] - fset > 3e-9 * m * (1 + fset) && q.f[0] - fset < 5e-8 * m * (1 + fset));
        if (p == 40) {
            CHECK(res.nevals > 2 * m);             /* searched on, cutting what was left above the minimum (f = 1) fourfold */
            CHECK(res.fmin - 1 < 0.25 * (fset - 1));
        } else {
            CHECK(res.nevals == m + 1);            /* stalled after the first set, no final sweep */
            CHECK(res.fmin == fset);
        }
        printf("  stall width: %d variables, first set gains %.3g (allowances %.3g, %.3g): %d evaluations, f - 1 = %.3g\n",
               p, q.f[0] - fset, 3e-9 * m * (1 + fset), 5e-8 * m * (1 + fset), res.nevals, res.fmin - 1);
        fset = HUGE_VAL;
    }
}

static void test_errors(void)
{
    lmm_error err = { LMM_OK, "" };
    lmm_optim_result res;
    double x[2] = { 1, 1 }, lo[2] = { 0, 2 }, hi[2] = { 1, 1 };
    lmm_optim_options opt = { LMM_OPT_BOBYQA, 0, 0, 0, 0, 0 };
    CHECK(lmm_minimize(0, x, NULL, NULL, never, NULL, NULL, NULL, &res, &err) == LMM_ERR_ARG);
    CHECK(err.code == LMM_ERR_ARG);
    CHECK(lmm_minimize(2, NULL, NULL, NULL, never, NULL, NULL, NULL, &res, &err) == LMM_ERR_ARG);
    CHECK(lmm_minimize(2, x, NULL, NULL, NULL, NULL, NULL, NULL, &res, &err) == LMM_ERR_ARG);
    CHECK(lmm_minimize(2, x, lo, hi, never, NULL, NULL, NULL, &res, &err) == LMM_ERR_ARG);
    opt.method = (lmm_optimizer)7;
    CHECK(lmm_minimize(2, x, NULL, NULL, never, NULL, &opt, NULL, &res, &err) == LMM_ERR_ARG);
    x[1] = HUGE_VAL;
    CHECK(lmm_minimize(2, x, NULL, NULL, never, NULL, NULL, NULL, &res, NULL) == LMM_ERR_NUMERIC);
    x[1] = log(-1.0);
    CHECK(lmm_minimize(2, x, NULL, NULL, never, NULL, NULL, NULL, &res, NULL) == LMM_ERR_NUMERIC);
    CHECK(lmm_minimize_worksize(3, LMM_OPT_BOBYQA) > 0);
    CHECK(lmm_minimize_worksize(3, LMM_OPT_NELDER_MEAD) > 0);
}

void test_optim(void)
{
    test_rosenbrock();
    test_bounds();
    test_misc();
    test_wide();
    test_stall_width();
    test_errors();
}
