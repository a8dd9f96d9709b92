/* The dense factor's packed Schur complement (levels of the first term that
   meet most of the other terms' effects: a crossed "maximal" design), against
   lme4 1.1-31. The data are made by an integer recipe that R repeats exactly:
   u(k) = ((7919 k + 104729) mod 10007) / 10007; 24 subjects x 18 items less
   two cells, x = 4 (u(500 + k) - 0.5) for row k, and
   y = 2 + 0.3 x + 1.2 (u(s) - .5) + 0.8 (u(100 + s) - .5) x + 0.9 (u(200 + i) - .5)
       + 0.6 (u(300 + i) - .5) x + (u(1000 + k) - .5).
   lme4's figures: lmer(y ~ x + (1 + x | s) + (1 + x | i), REML = TRUE/FALSE),
   its devFunOnly functions at th below. The subjects come first (more
   levels), each meeting 17 or 18 of the items' 36 effects: rest block 39. */
#include "test.h"

static double lcg_unit(long k)
{
    return (double)((k * 7919 + 104729) % 10007) / 10007.0;
}

/* The profiled REML criterion (reml) or deviance and beta, straight from the
   definition (Bates et al. 2015): the Cholesky factor of the whole
   [L'Z'WZL + I, L'Z'WX, L'Z'Wy; ...; y'WZL, y'WX, y'Wy] (L = Lambda(theta),
   block diagonal by term and level, each block the term's lower-triangular
   template filled column by column from theta), nothing blocked or sparse. */
static double reference_criterion(int n, int ld, int nterm, const int *pk, const int *nlev, const int *const *code,
                                  const double *const *zcol, int p, const double *xcol, const double *y,
                                  const double *w, const double *theta, int reml, double *beta)
{
    int q = 0, k, i, a, b, c, t, d, off, toff;
    double *M, *row, ldl = 0, ldx = 0, ldw = 0, pwrss, crit;
    for (k = 0; k < nterm; k++) q += pk[k] * nlev[k];
    d = q + p + 1;
    M = (double *)calloc((size_t)d * d, sizeof(double));
    row = (double *)calloc((size_t)d, sizeof(double));
    if (!M || !row) { free(M); free(row); return 0; }
    for (i = 0; i < n; i++) {                    /* row i of sqrt(w) [Z L, X, y], then its outer product */
        double sw = w ? sqrt(w[i]) : 1.0;
        memset(row, 0, (size_t)d * sizeof(double));
        for (k = 0, off = 0, toff = 0; k < nterm; k++) {
            const double *T = theta + toff;      /* column a of the template holds rows a .. pk-1 */
            for (a = 0, t = 0; a < pk[k]; a++)
                for (b = a; b < pk[k]; b++, t++)
                    row[off + code[k][i] * pk[k] + a] += sw * zcol[k][(size_t)b * ld + i] * T[t];
            off += pk[k] * nlev[k];
            toff += pk[k] * (pk[k] + 1) / 2;
        }
        for (c = 0; c < p; c++) row[q + c] = sw * xcol[(size_t)c * ld + i];
        row[q + p] = sw * y[i];
        for (a = 0; a < d; a++)
            if (row[a] != 0.0)
                for (b = 0; b <= a; b++) M[(size_t)b * d + a] += row[a] * row[b];
        if (w) ldw += log(w[i]);
    }
    for (a = 0; a < q; a++) M[(size_t)a * d + a] += 1.0;
    for (c = 0; c < d; c++) {                    /* plain Cholesky, lower triangle */
        double s = M[(size_t)c * d + c];
        for (b = 0; b < c; b++) s -= M[(size_t)b * d + c] * M[(size_t)b * d + c];
        s = sqrt(s);
        M[(size_t)c * d + c] = s;
        for (a = c + 1; a < d; a++) {
            double v = M[(size_t)c * d + a];
            for (b = 0; b < c; b++) v -= M[(size_t)b * d + a] * M[(size_t)b * d + c];
            M[(size_t)c * d + a] = v / s;
        }
        if (c < q) ldl += 2 * log(s);
        else if (c < q + p) ldx += 2 * log(s);
    }
    pwrss = M[(size_t)(d - 1) * d + d - 1] * M[(size_t)(d - 1) * d + d - 1];
    for (a = q + p - 1; a >= 0; a--) {           /* [u; beta] from L' x = the last row */
        double v = M[(size_t)a * d + d - 1];
        for (b = a + 1; b < q + p; b++) v -= M[(size_t)a * d + b] * row[b];
        row[a] = v / M[(size_t)a * d + a];
    }
    for (c = 0; c < p; c++) beta[c] = row[q + c];
    if (reml) crit = ldl + ldx + (n - p) * (1 + log(2 * 3.14159265358979323846 * pwrss / (n - p)));
    else crit = ldl + n * (1 + log(2 * 3.14159265358979323846 * pwrss / n));
    free(M); free(row);
    return crit - ldw;
}

/* Crossed designs with about one observation per subject x item cell and
   many effects a level (maximal models): the first term's levels take the
   observation-pair update of the Schur complement (every level: asserted
   through tests/impl.c). Against the reference above at several thetas: two
   terms (p1 and p2 effects, some cells seen twice, weights), then a third
   scalar term with many levels. p1 = 8 is the maximal model's width (its own
   unrolled pair products); p1 = 6 with p2 = 7 the general chain, with the
   other terms' effects an observation (7, or 8 with the third) unlike p1. */
static void dense_pairs_design(int third, int p1, int p2)
{
    enum { NS = 60, NI = 16, NH = 30, MAXN = NS * NI + 300 };
    static double s[MAXN], it[MAXN], h[MAXN], xs[7][MAXN], y[MAXN], w[MAXN], z[3][8 * MAXN], xcol[2 * MAXN];
    static int cs[MAXN], ci[MAXN], ch[MAXN];
    static const char *const slopes[8] = { "1", "1 + x1", "1 + x1 + x2", "1 + x1 + x2 + x3", "1 + x1 + x2 + x3 + x4",
                                           "1 + x1 + x2 + x3 + x4 + x5", "1 + x1 + x2 + x3 + x4 + x5 + x6",
                                           "1 + x1 + x2 + x3 + x4 + x5 + x6 + x7" };
    const int pk0[3] = { p1, p2, 1 }, nlev0[3] = { NS, NI, NH };
    int pk[3], nlev[3];
    char formula[256];
    const int *codes[3];
    const double *zc[3];
    const char *names[7] = { "x1", "x2", "x3", "x4", "x5", "x6", "x7" };
    lmm_frame *df = NULL;
    lmm_model *m = NULL;
    lmm_model_options mo;
    lmm_error err;
    int a, b, c, k, n = 0, rep, nth = p1 * (p1 + 1) / 2 + p2 * (p2 + 1) / 2 + (third ? 1 : 0);
    double th[36 + 36 + 1], beta[2], rbeta[2];
    if (p1 < 1 || p1 > 8 || p2 < 1 || p2 > 8) { CHECK(0); return; }
    for (a = 0; a < NS; a++)
        for (b = 0; b < NI; b++)
            for (rep = 0; rep < ((a + b) % 7 == 3 && !third ? 2 : 1) && n < MAXN; rep++) {   /* some cells twice */
                double ys = 0;
                s[n] = a + 1; it[n] = b + 1; cs[n] = a; ci[n] = b;
                ch[n] = (int)(lcg_unit(3000 + n) * NH); h[n] = ch[n] + 1;
                for (c = 0; c < 7; c++) xs[c][n] = lcg_unit(5000 + 7 * n + c) - 0.5;
                for (c = 0; c < 8; c++) {
                    double zv = c ? xs[c - 1][n] : 1.0;
                    if (c < p1) z[0][(size_t)c * MAXN + n] = zv;
                    if (c < p2) z[1][(size_t)c * MAXN + n] = zv;
                    ys += zv * ((lcg_unit(400 + 8 * a + c) - 0.5) + 0.7 * (lcg_unit(900 + 8 * b + c) - 0.5));
                }
                z[2][n] = 1.0;
                xcol[n] = 1.0; xcol[MAXN + n] = xs[0][n];
                y[n] = 1 + 0.5 * xs[0][n] + ys + 0.6 * (lcg_unit(7000 + ch[n]) - 0.5) + 0.4 * (lcg_unit(8000 + n) - 0.5);
                w[n] = 0.5 + lcg_unit(9000 + n);
                n++;
            }
    CHECK(lmm_frame_new(n, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_add_numeric(df, "s", s, &err) == LMM_OK && lmm_frame_add_numeric(df, "i", it, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "h", h, &err) == LMM_OK && lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    for (c = 0; c < 7; c++) CHECK(lmm_frame_add_numeric(df, names[c], xs[c], &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "s", &err) == LMM_OK && lmm_frame_as_factor(df, "i", &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "h", &err) == LMM_OK);
    memset(&mo, 0, sizeof mo);
    if (!third) mo.weights = w;
    snprintf(formula, sizeof formula, "y ~ x1 + (%s | s) + (%s | i)%s", slopes[p1 - 1], slopes[p2 - 1], third ? " + (1 | h)" : "");
    CHECK(lmm_model_build(df, formula, &mo, &m, &err) == LMM_OK);
    if (!m) { lmm_frame_free(df); return; }
    CHECK(m->nterms == 2 + third && m->ntheta == nth);
    CHECK_STR(m->terms[0].group, "s");          /* most levels first: s, then h (30) before i (16) */
    CHECK_STR(m->terms[1].group, third ? "h" : "i");
    CHECK(lmm_model_factor(m) == LMM_FACTOR_DENSE);
    for (k = 0; k < 2 + third; k++) {            /* the reference's terms in the model's order */
        int src = k == 0 ? 0 : (k == 1) == !third ? 1 : 2;
        codes[k] = src == 0 ? cs : src == 1 ? ci : ch;
        zc[k] = z[src]; pk[k] = pk0[src]; nlev[k] = nlev0[src];
    }
    for (rep = 0; rep < 3; rep++) {              /* three thetas: diagonals in (0.2, 1.5), the rest in (-0.3, 0.3) */
        int reml = rep != 1, t = 0;
        double want;
        for (k = 0; k < 2 + third; k++)
            for (a = 0; a < pk[k]; a++)
                for (b = a; b < pk[k]; b++, t++) {
                    double u = lcg_unit(20000 + 100 * rep + t);
                    th[t] = b == a ? 0.2 + 1.3 * u : 0.6 * u - 0.3;
                }
        want = reference_criterion(n, MAXN, 2 + third, pk, nlev, codes, zc, 2, xcol, y, third ? NULL : w, th, reml, rbeta);
        CHECK_CLOSE(lmm_model_objective(m, th, reml), want, 1e-10, 0);
        CHECK(lmm_test_pair_levels(m) == NS);    /* the figure above came from the pairs, every level */
        CHECK(lmm_model_beta_at(m, th, reml, beta, NULL, NULL, &err) == LMM_OK);   /* the whole factor after the objective's */
        for (c = 0; c < 2; c++) CHECK_CLOSE(beta[c], rbeta[c], 1e-9, 1e-12);
        CHECK_CLOSE(lmm_model_objective(m, th, reml), want, 1e-10, 0);
    }
    lmm_model_free(m);
    lmm_frame_free(df);
}

void test_dense(void)
{
    enum { NS = 24, NI = 18, N = NS * NI - 2 };
    static const double th[6] = { 0.9, 0.2, 0.6, 1.1, -0.3, 0.4 };
    static const double reml_theta[6] = { 1.1292689411406376, 0.28955016405902656, 0.68983737451327132,
                                          0.91588443765313077, 0.35837513318435121, 0.44917703074737075 };
    static const double ml_theta[6] = { 1.1150416954364624, 0.28816044352287684, 0.67915059736612637,
                                        0.90256775702112402, 0.35207701480317932, 0.44185756510443691 };
    static const double reml_beta[2] = { 1.951306007282656, 0.21088901379866945 };
    double s[N], it[N], x[N], y[N];
    lmm_frame *df = NULL;
    lmm_model *m = NULL;
    lmm_error err;
    int a, b, k = 0, pass;
    for (a = 1; a <= NS; a++)
        for (b = 1; b <= NI; b++) {
            double xv;
            if ((a == 3 && b == 5) || (a == 7 && b == 11)) continue;
            k++;
            xv = 4 * (lcg_unit(500 + k) - 0.5);
            s[k - 1] = a; it[k - 1] = b; x[k - 1] = xv;
            y[k - 1] = 2 + 0.3 * xv + (lcg_unit(a) - 0.5) * 1.2 + (lcg_unit(100 + a) - 0.5) * xv * 0.8 +
                       (lcg_unit(200 + b) - 0.5) * 0.9 + (lcg_unit(300 + b) - 0.5) * xv * 0.6 + (lcg_unit(1000 + k) - 0.5);
        }
    CHECK(k == N);
    CHECK_CLOSE(y[0], 2.3673582779053763, 1e-14, 0);   /* R's first row */
    CHECK(lmm_frame_new(N, &df, &err) == LMM_OK);
    if (!df) return;
    CHECK(lmm_frame_add_numeric(df, "s", s, &err) == LMM_OK && lmm_frame_add_numeric(df, "i", it, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(df, "x", x, &err) == LMM_OK && lmm_frame_add_numeric(df, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(df, "s", &err) == LMM_OK && lmm_frame_as_factor(df, "i", &err) == LMM_OK);
    CHECK(lmm_model_build(df, "y ~ x + (1 + x | s) + (1 + x | i)", NULL, &m, &err) == LMM_OK);
    if (!m) { lmm_frame_free(df); return; }
    CHECK(lmm_model_factor(m) == LMM_FACTOR_DENSE);
    for (pass = 0; pass < 2; pass++) {           /* the automatic path, then the forced dense one */
        if (pass == 1) CHECK(lmm_model_set_factor(m, LMM_FACTOR_DENSE, &err) == LMM_OK);
        CHECK_CLOSE(lmm_model_objective(m, th, 1), 429.89052193697205, 1e-11, 0);
        CHECK_CLOSE(lmm_model_objective(m, th, 0), 423.16578352159161, 1e-11, 0);
        CHECK_CLOSE(lmm_model_objective(m, reml_theta, 1), 404.93763718730906, 1e-11, 0);
    }
    for (pass = 0; pass < 2; pass++) {           /* whole fits: REML, then ML */
        lmm_fit_options opts;
        lmm_fit *fit = NULL;
        memset(&opts, 0, sizeof opts);
        opts.ml = pass;
        opts.skip_convcheck = 1;
        CHECK(lmm_model_fit(m, &opts, &fit, &err) == LMM_OK);
        if (!fit) continue;
        CHECK_CLOSE(fit->criterion, pass ? 398.07207219876216 : 404.93763718730906, 1e-9, 0);
        for (k = 0; k < 6; k++) CHECK_CLOSE(fit->theta[k], pass ? ml_theta[k] : reml_theta[k], 0, 2e-4);
        if (!pass) for (k = 0; k < 2; k++) CHECK_CLOSE(fit->beta[k], reml_beta[k], 1e-5, 0);
        lmm_fit_free(fit);
    }
    lmm_model_free(m);
    lmm_frame_free(df);
    dense_pairs_design(0, 8, 6);
    dense_pairs_design(1, 8, 6);
    dense_pairs_design(0, 6, 7);
    dense_pairs_design(1, 6, 7);
}
