/* lmm.h - linear mixed models in one C99 header.                 v0.2.0
   No warranty. MIT or public domain, your choice (see end of file).

   lmm.h fits linear mixed models the way R's lme4 does (REML and ML,
   same criterion, same parameterisation, same names), plus the classical
   side (lm, aov, likelihood-ratio tests), simulation and the parametric
   bootstrap. libc and libm only.

   QUICK START
   -----------
   In exactly one C or C++ file:

       #define LMM_IMPLEMENTATION
       #include "lmm.h"

   Every other file includes "lmm.h" without the define.

       lmm_error err = {LMM_OK, ""};
       lmm_frame *df = NULL;
       lmm_fit *fit = NULL;
       if (lmm_frame_read_csv("pulp.csv", &df, &err) != LMM_OK ||
           lmm_fit_formula(df, "bright ~ 1 + (1|operator)", NULL, &fit, &err) != LMM_OK) {
           fprintf(stderr, "error: %s\n", err.message);
           return 2;
       }
       lmm_print_summary(stdout, fit, "pulp");   // summary(lmer(...)) layout
       lmm_fit_free(fit);
       lmm_frame_free(df);

   TASKS
   -----
   Read data      lmm_frame_read_csv / lmm_frame_read_csv_text, or build a
                  frame in memory with lmm_frame_add_numeric/_factor;
                  lmm_frame_relevel sets a factor's reference level;
                  lmm_frame_as_factor, or factor(x) in a formula, makes a
                  numeric column a factor as R's factor() does.
   Fit            lmm_fit_formula(frame, "y ~ x + (x|g)", &opts, &fit, &err).
                  opts may be NULL; zero-initialised options mean lme4's
                  defaults (REML, BOBYQA, treatment contrasts).
                  How the model is built (contrasts) is an lmm_model_options,
                  opts.model here, and the argument (NULL = defaults) of
                  lmm_model_build, lmm_model_matrix and lmm_lm_fit; its
                  weights/offset (a column or a vector) and offset(expr)
                  terms in the formula are lme4's weights = and offset =.
                  The pipeline is also open: lmm_model_build (structure:
                  X, Z, Lambda pattern) -> lmm_model_fit (response y) ->
                  lmm_fit; lmm_refit reuses the structure for a new y.
                  Large crossed designs factor the block after the first
                  term as a sparse supernodal Cholesky, chosen per model;
                  lmm_model_set_factor / opts.factor force dense or sparse.
   Inspect        fields of lmm_fit (beta, se, vcov, theta, sigma, varcorr,
                  ranef, condsd, fitted, resid, logLik/AIC/BIC...);
                  lmm_print_summary prints R's summary() layout.
   Test           lmm_coef_table gives lmerTest's summary() t tests with
                  Satterthwaite or Kenward-Roger df; lmm_contest tests any
                  L beta = 0 (F for several rows; lmm_print_contest prints
                  it as contest(m, L)); lmm_print_summary_ex prints
                  lmerTest's layout; lmm_anova_table / lmm_print_anova_table
                  its anova(m) F tables of type 1, 2 and 3 for any fixed-
                  effects structure (lmerTest's hypotheses; lmm_anova_type3
                  the frameless one); lmm_ranova / lmm_print_ranova its
                  ranova(m); lmm_vcov_kr
                  is pbkrtest's vcovAdj (REML fits).
   Predict        lmm_predict (lme4's predict, allow.new.levels); lmm_predict_ex
                  adds se.fit and Wald confidence or prediction intervals, or
                  parametric-bootstrap prediction intervals (lmm_predict_options).
   GLMM           lmm_glmm_fit_formula(frame, "cbind(s, f) ~ x + (1|g)", &gopts,
                  &g, &err) with gopts.model.family = LMM_FAMILY_BINOMIAL
                  (link logit/probit/cloglog) or LMM_FAMILY_POISSON: lme4's
                  glmer, Laplace or gopts.nagq-point quadrature;
                  lmm_print_glmm_summary prints its summary();
                  lmm_glmm_anova compares nested fits (lme4's anova, printed
                  by lmm_print_anova); lmm_glmm_predict is predict() on the
                  link or response scale, conditional or population level.
                  lmm_glm_fit_formula is R's glm() (no random effects, IRLS),
                  lmm_print_glm_summary its summary();
                  lmm_glm_anova tests glmer against glm fits (anova(glmer, glm)).
                  g->warning holds lme4's convergence warnings;
                  lmm_glmm_simulate (simulate), lmm_glmm_refit (refit),
                  lmm_glmm_bootmer (bootMer) and lmm_glmm_boot_lrt (bootstrap
                  LRT of nested glmer fits).
   Check          lmm_fit_all_optimizers refits with both optimizers from
                  several starts (lme4's allFit); lmm_print_allfit prints
                  summary(allFit(m)) and whether the optimum is trustworthy.
   Intervals      lmm_confint(fit, &opts, &ci, &err) is lme4's confint(m): profile
                  (default; the ML deviance's profile, each limit a root-found
                  refit with the parameter held), Wald or parametric bootstrap;
                  lmm_print_confint prints R's matrix (.sig01 ... .sigma, fixef);
                  lmm_confint_merge joins the shards of a bootstrap run.

   SECTIONS (search for the tag; each uses only the ones above it)
   --------
   @config   config, memory, errors, small utilities (selection, quantiles)
   @rng      xoshiro256 family
   @linalg   dense column-major kernels, blocked Cholesky
   @dist     R's d/p/q functions (normal, t, chi-squared, F, beta, gamma), binomial
             and Poisson pmfs and exact samplers
   @frame    data frames and the CSV reader
   @formula  R formula parser (terms, random-effects bars, I(), factor(),
             log1p/expm1/pmin/pmax, scale(), poly(), ns(), bs(): data-dependent
             ones take their statistics from the training frame, also for new data)
   @matrix   model matrices (contrasts, R's column names), lmm_model_options
   @optim    BOBYQA-like trust region (one compiled copy per dimension 1-3,
             lmm__bobyqa) and Nelder-Mead
   @core     mixed models: blocks, factor paths, objective, estimates, fit
             (its own map of twelve parts sits under its banner)
   @glmm     generalized linear mixed models (glmer): binomial and Poisson
             families, PIRLS, Laplace and adaptive Gauss-Hermite deviance;
             simulate, refit, bootMer and the bootstrap LRT of glmer fits;
             anova; plain GLMs (glm) by IRLS
   @lm       lm, aov, LRT          @anova   anova of nested fits
   @infer    lmerTest's Satterthwaite and pbkrtest's Kenward-Roger t and F tests
             (lmm_contest, lmm_coef_table, lmm_anova_table: F tables of type
             1/2/3, lmm_ranova, lmm_vcov_kr)
   @sim      simulate, bootstrap, prediction (se, intervals), confint
   @print    summary()/anova() layouts     @plot   SVG plots

   HOW A FIT FLOWS
   ---------------
   lmm_fit_formula parses the formula and calls lmm_model_build, which
   keeps the rows complete in every variable, weight and offset (R's na.omit:
   lmm__frame_evaluate, lmm__drop_missing_inputs), evaluates X and the Z
   terms (@matrix) and sets up the blocked cross-products and the factor
   path once (lmm__blocks_setup: dense, class or
   sparse; on the dense path each first-term level's Schur share goes in by
   scattered columns, packed tiles or observation pairs, lmm__pairs_plan). lmm_model_fit hands lmm__objective_cb to lmm_minimize (@optim),
   from lme4's start (1 on the template diagonals) or, on the sparse path,
   from moment estimates of the variance ratios (lmm__moment_theta), or,
   beyond 20 parameters, from per-term moment estimates of the covariance
   matrices (lmm__moment_theta_vector; there the search also stops once
   2n + 1 evaluations gain under 3e-9 |f| each, 5e-8 beyond 40: LMM__BQ_STALL_AT); each
   theta it proposes goes to lmm_model_objective -> lmm__factor_at
   (the one dispatch over the paths) -> lmm__factor_summary (log|L|^2,
   log|R_X|^2, pwrss) -> lmm__criterion. When it stops, components on a
   bound are probed inward (lmm__edge_probe: lme4's restart_edge, plus the
   mirrored column) and any descent restarts it (beyond 20 parameters only
   when the probe's line gains enough to be worth a restart:
   lmm__edge_line); lmm__boundary_snap is
   lme4's check.boundary. At the optimum lmm__finalize runs
   the named parts: lmm__fit_criteria (criterion, sigma, AIC/BIC),
   lmm__beta_from_factor (beta, vcov; lmm_model_beta_at gives them at any
   theta), lmm__fit_modes, lmm__fit_residuals, lmm__condvar_dense/_sparse;
   then lme4's convergence check (lmm__check_conv). lmm_fit_refit swaps
   only the response (lmm_model_set_response) and runs the same loop;
   lmm_model_set_X with as many columns rewrites only the columns of X that
   moved and only X's rows of the blocks (lmm__blocks_update_X): a column equal
   to an old one takes its products, the class sums' included (lmm__classes_remap),
   and its X'y (B->xty), so fits that differ in one column of X share the rest.
   A GLMM (@glmm) builds the same structure (lmm_model_build; a cbind(s, f)
   response becomes s + f, the trials) and keeps its own dense two-part
   factor: the first term's levels are a block diagonal, the later terms
   (and beta in stage 1) a Schur complement over each level's pattern.
   lmm__glmm_pirls is lme4's pwrssUpdate from the linear predictor lp0;
   its first iteration, at lp0's weights W0 whatever (theta, beta), is
   assembled from W0's sums (lmm__glmm_w0_cache; all-scalar terms), not the rows;
   stage 2 searches beta whitened by stage 1's RX and theta scaled by the
   deviance's curvature (lmm__glmm_theta_scale), so BOBYQA sees a round bowl;
   lmm__glmm_devfun0 (stage 1, theta) and lmm__glmm_devfun (stage 2, theta
   and beta: Laplace or lmm__glmm_agq) go to lmm_minimize; lme4's checkConv
   (lmm__glmm_check_conv) computes the Hessian vcov comes from (or
   lmm__glmm_vcov_rx), ranef's variances from lmm__glmm_condvar; stage 2
   (lmm__glmm_stage2) and the results (lmm__glmm_results) are shared with
   lmm_glmm_refit, whose bootstrap replicates run on per-thread shells
   (lmm__glmm_shell: own workspace, the model borrowed).
   To add an optimizer: a method of lmm_minimize (@optim), nothing else.
   To add a model input (weights, offset, family): a field of
   lmm_model_options, resolved in lmm__model_options_resolve, consumed by
   lmm_model_build / the blocks' build (@core, part 1) and, where it changes
   the criterion, by lmm__criterion and lmm__fit_criteria.

   OPTIONS (define before including)
   -------
   LMM_STATIC          all functions static (private copy per file)
   LMM_MALLOC(sz), LMM_REALLOC(p,sz), LMM_FREE(p)   allocation hooks
   LMM_ASSERT(x)       assertion for programmer errors (default assert)
   LMM_USE_CBLAS       route dense kernels through CBLAS
   LMM_NO_FMA          no fused multiply-adds in the factor kernels (dense and
                       sparse) even where the target has them (__FMA__: -mfma,
                       -march=native); with them results may differ in the last bits
   -fopenmp (_OPENMP)  bootstrap replicates in parallel; the sparse factor's
                       big loops (L21 L21' by column, large supernode updates,
                       the dense tail's panels) shared among threads. Every
                       output is computed by the same operations whatever the
                       thread count: results are bit-identical to a serial
                       run. On a loaded machine, OMP_WAIT_POLICY=passive (or
                       OMP_NUM_THREADS=1) keeps spinning threads from stalling.

   ERRORS
   ------
   Every call that can fail on data returns an lmm_status and, when given
   one, fills a caller-owned lmm_error (code + message). The library never
   prints unless asked, never calls exit/abort on bad input, and keeps no
   global mutable state: distinct objects may be used from distinct threads.

   MEMORY
   ------
   Objects returned through out-pointers are owned by the caller and freed
   by their lmm_*_free function (NULL is accepted).
*/
#ifndef LMM_H
#define LMM_H

#define LMM_VERSION_MAJOR 0
#define LMM_VERSION_MINOR 2
#define LMM_VERSION_PATCH 0
#define LMM_VERSION "0.2.0"

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#ifndef LMM_API
#ifdef LMM_STATIC
/* a file may use only part of its private copy: unused functions are fine */
#if defined(__GNUC__) || defined(__clang__)
#define LMM_API static __attribute__((unused))
#else
#define LMM_API static
#endif
#else
#define LMM_API extern
#endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* Errors                                                                    */
/* ======================================================================== */

typedef enum lmm_status {
    LMM_OK = 0,
    LMM_ERR_NOMEM,        /* an allocation failed */
    LMM_ERR_IO,           /* a file could not be opened or read */
    LMM_ERR_CSV,          /* malformed CSV text */
    LMM_ERR_FORMULA,      /* formula syntax error or unknown column */
    LMM_ERR_DATA,         /* data unusable for the model (non-finite, too few rows...) */
    LMM_ERR_ARG,          /* invalid argument from the caller */
    LMM_ERR_RANK,         /* rank-deficient design that cannot be repaired */
    LMM_ERR_NUMERIC,      /* numerical failure (non-positive-definite...) */
    LMM_ERR_CONVERGENCE   /* the optimizer did not converge */
} lmm_status;

typedef struct lmm_error {
    lmm_status code;
    char message[256];
} lmm_error;

/* A short name for a status code ("LMM_ERR_CSV"...). */
LMM_API const char *lmm_status_name(lmm_status s);

/* ======================================================================== */
/* Random numbers                                                           */
/* ======================================================================== */

/* Generator state (xoshiro256 family, Blackman & Vigna), owned by the
   caller; there is no hidden global generator. Seed it before use. */
typedef struct lmm_rng { uint64_t s[4]; } lmm_rng;

/* Seed from one 64-bit value: s[0..3] are four successive splitmix64
   outputs started at seed (never the forbidden all-zero state). */
LMM_API void lmm_rng_seed(lmm_rng *r, uint64_t seed);
/* Seed stream number `stream` of `seed` in O(1), so that work item k (say
   bootstrap replicate k) draws the same numbers however work is split. */
LMM_API void lmm_rng_seed_stream(lmm_rng *r, uint64_t seed, uint64_t stream);
/* Next 64 random bits (xoshiro256** output). */
LMM_API uint64_t lmm_rng_next(lmm_rng *r);
/* Uniform double in [0,1), a multiple of 2^-53 (xoshiro256+ output). */
LMM_API double lmm_rng_uniform(lmm_rng *r);
/* Advance by 2^128 steps: 2^128 non-overlapping blocks for parallel use. */
LMM_API void lmm_rng_jump(lmm_rng *r);
/* Advance by 2^192 steps: 2^64 starting points, each with room for 2^64 jumps. */
LMM_API void lmm_rng_long_jump(lmm_rng *r);
/* Standard normal deviate (256-layer ziggurat, exact tail). */
LMM_API double lmm_rng_normal(lmm_rng *r);
/* Unbiased integer in [0, n) (Lemire's multiply-and-reject); 0 when n is 0. */
LMM_API uint64_t lmm_rng_below(lmm_rng *r, uint64_t n);

/* ======================================================================== */
/* Dense linear algebra (column-major)                                       */
/* ======================================================================== */

/* In-place lower Cholesky A = L L' of the n x n matrix a (leading dim lda);
   only the lower triangle is read and written. Returns 0, or k+1 when the
   leading minor of order k+1 is not positive definite. */
LMM_API int lmm_chol(int n, double *a, int lda);
/* Solve L x = b (trans = 0) or L' x = b (trans = 1) in place, L lower
   triangular n x n with leading dimension lda. */
LMM_API void lmm_trsv_lower(int n, const double *L, int lda, double *b, int trans);
/* Householder QR of the m x n matrix a (m >= n) in place: R in the upper
   triangle, reflectors below it, scalars in tau[n]. */
LMM_API void lmm_qr(int m, int n, double *a, int lda, double *tau);
/* Apply Q' (from lmm_qr) to the vector b of length m in place. */
LMM_API void lmm_qr_qtv(int m, int n, const double *a, int lda, const double *tau, double *b);


/* ======================================================================== */
/* Probability distributions                                                */
/* ======================================================================== */
/* Conventions follow R: cumulative functions take (x, params..., lower_tail,
   log_p) and return P[X <= x] (lower_tail != 0) or P[X > x], as a log when
   log_p != 0; quantile functions invert them (p is a log probability when
   log_p != 0). NaN input or invalid parameters give NaN. Far tails keep
   their relative accuracy; with log_p they stay finite far below 1e-308. */

/* log Gamma(x) for x > 0 (+Inf at x == 0, NaN for x < 0). Thread-safe. */
LMM_API double lmm_lgamma(double x);
/* log Beta(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), a, b > 0. */
LMM_API double lmm_lbeta(double a, double b);

/* Normal density at x (log density when log_p != 0); sd > 0. */
LMM_API double lmm_dnorm(double x, double mu, double sd, int log_p);
/* Normal distribution function; sd > 0. */
LMM_API double lmm_pnorm(double x, double mu, double sd, int lower_tail, int log_p);
/* Normal quantile function; sd > 0. */
LMM_API double lmm_qnorm(double p, double mu, double sd, int lower_tail, int log_p);
/* Student t distribution function, df > 0 (df = Inf gives the normal). */
LMM_API double lmm_pt(double x, double df, int lower_tail, int log_p);
/* Student t quantile function, df > 0. */
LMM_API double lmm_qt(double p, double df, int lower_tail, int log_p);
/* Chi-squared distribution function, df > 0. */
LMM_API double lmm_pchisq(double x, double df, int lower_tail, int log_p);
/* Chi-squared quantile function, df > 0. */
LMM_API double lmm_qchisq(double p, double df, int lower_tail, int log_p);
/* F distribution function, df1, df2 > 0 (either may be Inf). */
LMM_API double lmm_pf(double x, double df1, double df2, int lower_tail, int log_p);
/* F quantile function, df1, df2 > 0 (either may be Inf). */
LMM_API double lmm_qf(double p, double df1, double df2, int lower_tail, int log_p);
/* Beta distribution function (regularized incomplete beta), 0 < a, b < Inf. */
LMM_API double lmm_pbeta(double x, double a, double b, int lower_tail, int log_p);
/* Beta quantile function, 0 < a, b < Inf. */
LMM_API double lmm_qbeta(double p, double a, double b, int lower_tail, int log_p);
/* Gamma distribution function (regularized incomplete gamma of x/scale),
   0 < shape, scale < Inf. */
LMM_API double lmm_pgamma(double x, double shape, double scale, int lower_tail, int log_p);
/* Gamma quantile function, 0 < shape, scale < Inf. */
LMM_API double lmm_qgamma(double p, double shape, double scale, int lower_tail, int log_p);
/* Binomial probability P[X = k] of n trials (log when log_p != 0); 0 off the support. */
LMM_API double lmm_dbinom(double k, double n, double p, int log_p);
/* Poisson probability P[X = k], mean mu >= 0. */
LMM_API double lmm_dpois(double k, double mu, int log_p);
/* Exact Poisson deviate of mean mu (inversion below 10, Hoermann's PTRS above); NaN for a bad mu. */
LMM_API double lmm_rng_poisson(lmm_rng *r, double mu);
/* Exact binomial deviate of n trials (a whole number), success probability p
   (inversion below n min(p, 1-p) = 10, Hoermann's BTRS above); NaN for bad arguments. */
LMM_API double lmm_rng_binomial(lmm_rng *r, double n, double p);

/* ======================================================================== */
/* Data frames and CSV                                                       */
/* ======================================================================== */

typedef enum lmm_coltype { LMM_NUMERIC = 0, LMM_FACTOR = 1 } lmm_coltype;

/* One column. Numeric: num[i] (NAN = missing). Factor: codes[i] in
   0..nlevels-1 (-1 = missing), labels in levels[]. The first level is the
   reference level under treatment contrasts. */
typedef struct lmm_column {
    char *name;
    lmm_coltype type;
    double *num;
    int *codes;
    char **levels;
    int nlevels;
} lmm_column;

typedef struct lmm_frame {
    int nrow;
    int ncol;
    lmm_column *cols;
    int cap_;            /* private: allocated columns */
} lmm_frame;

/* Read a CSV file: header row, RFC 4180 quoting, LF or CRLF, optional UTF-8
   BOM, "NA" or an empty field = missing. A column whose every non-missing
   field parses as a finite number is numeric; otherwise it is a factor with
   levels in byte order. Row names are dropped as R's read.csv reads them: a
   first column with an empty header name (R's write.csv writes "") or a
   header one field shorter than the data rows; other empty names are errors. */
LMM_API lmm_status lmm_frame_read_csv(const char *path, lmm_frame **out, lmm_error *err);
/* The same from text in memory (len bytes; the text need not be 0-terminated). */
LMM_API lmm_status lmm_frame_read_csv_text(const char *text, size_t len, lmm_frame **out, lmm_error *err);
/* An empty frame with nrow rows, to be filled with lmm_frame_add_*. */
LMM_API lmm_status lmm_frame_new(int nrow, lmm_frame **out, lmm_error *err);
LMM_API void lmm_frame_free(lmm_frame *f);
/* Add a numeric column (values copied; NAN = missing). */
LMM_API lmm_status lmm_frame_add_numeric(lmm_frame *f, const char *name, const double *values, lmm_error *err);
/* Add a factor column from labels (NULL entry = missing); levels in byte order. */
LMM_API lmm_status lmm_frame_add_factor(lmm_frame *f, const char *name, const char *const *labels, lmm_error *err);
/* Index of a column by name, or -1. */
LMM_API int lmm_frame_find(const lmm_frame *f, const char *name);
/* Make `level` the first (reference) level of factor column `name` (R's relevel). */
LMM_API lmm_status lmm_frame_relevel(lmm_frame *f, const char *name, const char *level, lmm_error *err);
/* Reorder a factor's levels: `levels` must be a permutation of the current ones. */
LMM_API lmm_status lmm_frame_set_levels(lmm_frame *f, const char *name, const char *const *levels, int nlevels, lmm_error *err);
/* Turn a numeric column into a factor whose levels sort numerically and are
   labelled as R prints the numbers (15 significant digits: "123", "0.5", "1e+05"). No-op on a factor. */
LMM_API lmm_status lmm_frame_as_factor(lmm_frame *f, const char *name, lmm_error *err);

/* ======================================================================== */
/* Formulas                                                                  */
/* ======================================================================== */

/* Arithmetic expression nodes (the inside of I(), log(x), ...). */
typedef enum lmm_expr_op {
    LMM_EX_NUM,   /* num */
    LMM_EX_VAR,   /* name = column */
    LMM_EX_ADD, LMM_EX_SUB, LMM_EX_MUL, LMM_EX_DIV, LMM_EX_POW, /* a op b */
    LMM_EX_NEG,   /* -a */
    LMM_EX_PAREN, /* (a), kept so labels deparse as written */
    LMM_EX_CALL,  /* name(a, b...): I, log, exp, sqrt, abs, log10, log2, sin, cos, log1p, expm1,
                     pmin, pmax, scale, poly, ns, bs; factor, as.factor; c (a vector of numbers,
                     only as an argument). b: the further arguments */
    LMM_EX_ARG,   /* a further argument of a call: name (NULL if positional) = a; b: the next one */
    LMM_EX_LOGICAL /* TRUE (num 1) or FALSE (num 0), as an argument */
} lmm_expr_op;

typedef struct lmm_expr {
    lmm_expr_op op;
    double num;
    char *name;
    struct lmm_expr *a, *b;
    int offset;           /* byte offset in the formula text, for messages */
} lmm_expr;

/* A variable of the formula: a column or an expression, labelled as R
   deparses it ("Days", "I(days^2)", "log(x)", "factor(Days)", "pmin(x, 3)",
   "poly(x, 2, raw = TRUE)"). factor(x) and as.factor(x) make a factor of a
   numeric x as R does (levels in numeric order, labelled as R prints the
   numbers); a factor x is kept as it is. scale(x) centres by the mean and
   divides by the sd (n - 1) of x over all rows of the data (before rows
   missing another variable are dropped, as R); poly(x, k) is k columns named
   label1..labelk: R's orthogonal polynomials (x may not be missing) or with
   raw = TRUE the powers; ns(x, df) and bs(x, df, degree) are the splines
   package's natural and B-spline bases (knots at quantiles of x, or knots =
   c(...); Boundary.knots the range of x), named label1..labelk as well.
   New data reuse the training statistics (centre, scale, polynomial
   coefficients, knots). */
typedef struct lmm_fvar {
    char *label;
    lmm_expr *expr;       /* an LMM_EX_VAR node for a plain column */
} lmm_fvar;

/* A term: the interaction of vars[0]:vars[1]:... (indices into
   lmm_formula.vars, in the order written). The empty term is the intercept. */
typedef struct lmm_term {
    int nvars;
    int *vars;
} lmm_term;

/* A right-hand side after expansion (a*b -> a + b + a:b, a/b -> a + a:b,
   removals with -, duplicates dropped), terms ordered by degree as R's
   terms() orders them (stable within a degree). */
typedef struct lmm_termlist {
    int intercept;        /* 1 unless 0 / -1 was given */
    int nterms;
    lmm_term *terms;
} lmm_termlist;

/* One random-effects term (lhs | group). (x||g) is split into one term per
   column: (1|g) + (0 + x|g); (1|a/b) into (1|a) + (1|b:a). */
typedef struct lmm_reterm_spec {
    lmm_termlist lhs;
    int ngroup;           /* number of factors interacted to form the group */
    int *group;           /* indices into lmm_formula.vars; label order */
    char *group_label;    /* "Subject", "cask:batch" */
    int offset;           /* of the term in the text */
} lmm_reterm_spec;

typedef struct lmm_formula {
    char *text;
    int response;         /* index into vars, -1 if no left-hand side */
    int nvars;
    lmm_fvar *vars;
    lmm_termlist fixed;
    int nre;
    lmm_reterm_spec *re;  /* in the order written */
    int noffset;          /* offset(expr) terms of the fixed part: not columns, their sum is the offset */
    lmm_expr **offsets;
} lmm_formula;

/* Parse "y ~ 1 + x + f*g + I(x^2) + log(x) + factor(x) + (1|g) + (x|g) + (x||g) + (1|a/b) + (1|factor(b))",
   with the calls I, log, log10, log2, log1p, exp, expm1, sqrt, abs, sin, cos, pmin(a, b), pmax(a, b),
   scale(x, center = TRUE|FALSE|number, scale = TRUE|FALSE|number), poly(x, degree, raw = FALSE),
   ns(x, df, knots = c(...), intercept = FALSE, Boundary.knots = c(a, b)),
   bs(x, df, knots, degree = 3, intercept, Boundary.knots), factor, as.factor (arguments by
   position or name, as R matches them; poly's raw by name; c() only for knots).
   Errors (LMM_ERR_FORMULA) name the problem and the byte offset. */
LMM_API lmm_status lmm_formula_parse(const char *text, lmm_formula **out, lmm_error *err);
LMM_API void lmm_formula_free(lmm_formula *f);
/* Check every column the formula names exists in the frame:
   "unknown column 'Dayz' at offset 11 in formula 'Reaction ~ Dayz + (1|Subject)'". */
LMM_API lmm_status lmm_formula_check(const lmm_formula *f, const lmm_frame *df, lmm_error *err);
/* Evaluate an arithmetic expression over all rows into out[nrow] (NAN where
   an input is missing; scale() statistics from df itself). A factor (or
   factor()) inside arithmetic is an error, and so is poly() (a matrix). */
LMM_API lmm_status lmm_expr_eval(const lmm_expr *e, const lmm_frame *df, double *out, lmm_error *err);
/* R's deparse of an expression into buf ("days^2", "x + 1", "log(x)"). */
LMM_API void lmm_expr_deparse(const lmm_expr *e, char *buf, size_t size);

/* ======================================================================== */
/* Model matrices                                                            */
/* ======================================================================== */

typedef enum lmm_contrasts {
    LMM_CONTR_TREATMENT = 0,  /* R's contr.treatment: first level is the reference */
    LMM_CONTR_SUM = 1         /* R's contr.sum: columns f1..f(k-1), last level -1 */
} lmm_contrasts;

/* The response's distribution (lme4's glmer family) and link; zero = gaussian identity (lmer). */
typedef enum lmm_family { LMM_FAMILY_GAUSSIAN = 0, LMM_FAMILY_BINOMIAL = 1, LMM_FAMILY_POISSON = 2 } lmm_family;
typedef enum lmm_link {
    LMM_LINK_DEFAULT = 0,     /* the family's canonical link: identity, logit, log */
    LMM_LINK_IDENTITY, LMM_LINK_LOGIT, LMM_LINK_PROBIT, LMM_LINK_CLOGLOG, LMM_LINK_LOG
} lmm_link;

/* How a model is built from a formula and a frame; zero-initialised (or a
   NULL pointer) = R's defaults. Weights and offset are each a column name or
   a vector over the FRAME's rows (not both); NULL = none (weights 1, offset 0).
   A missing value (NaN: an empty cell or NA) drops the row, as R's na.omit;
   an infinite one is an error. */
typedef struct lmm_model_options {
    lmm_contrasts contrasts;  /* treatment (default) or sum */
    const char *weights_column; /* prior weights (lme4's and lm's weights =): residual variance sigma^2 / w */
    const double *weights;    /* ... or frame nrow values; finite, > 0 for lmer, >= 0 for lm */
    const char *offset_column;  /* a known term added to the linear predictor (lme4's offset =) */
    const double *offset;     /* ... or frame nrow values */
    lmm_family family;        /* gaussian (lmm_fit_formula) or binomial / poisson (lmm_glmm_fit_formula) */
    lmm_link link;            /* DEFAULT = the family's canonical link */
} lmm_model_options;

/* A dense matrix with R's column names. */
typedef struct lmm_matrix {
    int nrow, ncol;
    double *v;                /* column-major, v[j * nrow + i] */
    char **colnames;
    int *assign;              /* term of each column: 0 intercept, t + 1 for terms[t] (R's "assign") */
    int nterms;
    char **terms;             /* term labels: "operator", "x:f" */
} lmm_matrix;

/* The fixed-effects model matrix of a formula on a frame, as R's
   model.matrix builds it: complete cases only, terms ordered by degree,
   treatment or sum contrasts, R's column names. Random terms are ignored. */
LMM_API lmm_status lmm_model_matrix(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                    lmm_matrix **out, lmm_error *err);
LMM_API void lmm_matrix_free(lmm_matrix *m);

/* One random-effects term (lhs | group) evaluated on the observations. */
typedef struct lmm_reterm {
    char *group;          /* grouping factor: "Subject", "cask:batch" */
    char *vc_name;        /* its name in VarCorr: a second term on Subject is "Subject.1" */
    int nlevels;
    char **levels;
    int ncol;             /* columns of the term's model matrix */
    char **colnames;      /* "(Intercept)", "Days" */
    int *codes;           /* level of each observation */
    double *z;            /* nobs x ncol term matrix, column-major */
    int theta_offset;     /* first entry of this term's template in theta */
    int ntheta;           /* ncol (ncol + 1) / 2 */
    int u_offset;         /* level j's effects are u[u_offset + j*ncol ...] */
} lmm_reterm;


/* ======================================================================== */
/* Derivative-free bound-constrained minimization                            */
/* ======================================================================== */

/* Objective at x (length n); a NaN/Inf return counts as +HUGE_VAL (stepped away from). */
typedef double (*lmm_objective_fn)(const double *x, void *ctx);

/* BOBYQA-like quadratic-model trust region (default), or bounded Nelder-Mead with restarts. */
typedef enum lmm_optimizer { LMM_OPT_BOBYQA = 0, LMM_OPT_NELDER_MEAD = 1 } lmm_optimizer;

/* Zero fields mean defaults: rho_begin 0.2 (first step), rho_end 2e-7 (final radius / NM simplex
   size; mixed-model fits default to 2e-6), ftol_abs 1e-10 and xtol_abs 1e-10 (NM only: f spread /
   simplex floor), max_evals 10000. Beyond 20 free variables BOBYQA also stops (converged) once
   2n+1 evaluations (the first set, or any below the first radius) gain under 3e-9 (2n+1)(1 + |f|);
   up to 3 it ends on its model's last Newton step, without the closing compass sweep at rho_end. */
typedef struct lmm_optim_options {
    lmm_optimizer method;
    double rho_begin, rho_end, ftol_abs, xtol_abs;
    int max_evals;
} lmm_optim_options;

/* Best f (HUGE_VAL if never finite), evaluations used, converged = 0 if max_evals ran out. */
typedef struct lmm_optim_result { double fmin; int nevals; int converged; } lmm_optim_result;

/* Number of doubles lmm_minimize needs in `work` for n variables. */
LMM_API size_t lmm_minimize_worksize(int n, lmm_optimizer method);
/* Minimize f over lower <= x <= upper (NULL or +-HUGE_VAL = unbounded; lower == upper fixes x[i]).
   x: start (projected into the box) in, best point out. work (NULL = allocate) never allocates
   when given; opt, res may be NULL. LMM_ERR_ARG for bad n/bounds, LMM_ERR_NUMERIC for a
   non-finite start; running out of max_evals is LMM_OK with res->converged = 0. */
LMM_API lmm_status lmm_minimize(int n, double *x, const double *lower, const double *upper,
                                lmm_objective_fn f, void *ctx, const lmm_optim_options *opt,
                                double *work, lmm_optim_result *res, lmm_error *err);

/* ======================================================================== */
/* Linear mixed models                                                       */
/* ======================================================================== */

/* How the objective factors the random effects after the first term.
   LMM_FACTOR_AUTO (default) picks per model: dense, a sum of per-class dense
   updates for balanced designs, or a sparse supernodal factor in a
   minimum-degree order when that saves over half the dense work (large
   crossed designs). DENSE and SPARSE force a path; SPARSE needs every term
   after the first to be scalar ((1|g), not (x|g)). Estimates agree to
   rounding whichever path runs. */
typedef enum lmm_factor_kind { LMM_FACTOR_AUTO = 0, LMM_FACTOR_DENSE, LMM_FACTOR_SPARSE } lmm_factor_kind;

/* The model structure: X, the random-effects terms (Z), the pattern of
   Lambda(theta) and of the blocked Cholesky factor, and the current
   response. Fields are read-only for callers. */
typedef struct lmm_model {
    char *formula;            /* the formula text */
    char *response;           /* response label */
    int nobs;                 /* observations used */
    int n_na_dropped;         /* frame rows dropped for missing values */
    int *rows;                /* frame row of each observation */
    lmm_matrix *X;            /* nobs x p fixed-effects matrix, aliased columns removed */
    int n_aliased;            /* columns dropped as rank deficient ... */
    char **aliased;           /* ... and their names */
    int nterms;               /* random-effects terms, by decreasing number of levels */
    lmm_reterm *terms;
    int q;                    /* total random effects */
    int ntheta;
    double *theta_lower;      /* 0 for diagonal template entries, -HUGE_VAL otherwise */
    char **theta_names;       /* "Subject.(Intercept)", "Subject.Days.(Intercept)", ... */
    double *y;                /* current response (nobs) */
    double *weights;          /* prior weights (nobs), NULL when none were given */
    double *offset;           /* offset (nobs), NULL when none was given; y - offset is fitted */
    char *weights_label;      /* the weights column ("Weights: w" in the summary), NULL for a vector */
    char *offset_label;       /* the offset column (" Offset: x"), NULL for a vector */
    double *sqrtw_;           /* private: sqrt(weights), NULL when none */
    double ldw_;              /* private: sum of log weights (lme4's ldW), 0 when none */
    int offset_vector_;       /* private: the offset includes a vector (new data cannot evaluate it) */
    struct lmm__blocks *blk_; /* private: cross-products, factor and workspace */
    lmm_factor_kind factor_kind_; /* private: lmm_model_set_factor's request */
    lmm_family family_;       /* private: glmer's checks when not gaussian */
} lmm_model;

typedef struct lmm_fit_options {   /* zero-initialised = lme4's defaults */
    int ml;                   /* 0: REML criterion (default), 1: maximum likelihood */
    lmm_model_options model;  /* how lmm_fit_formula builds the model (contrasts) */
    lmm_optim_options optim;  /* optimizer choice and tolerances */
    const double *theta_start;/* NULL: 1 on the template diagonals, 0 elsewhere (sparse factor, scalar terms: moment estimates) */
    int skip_condvar;         /* 1: skip the conditional variances of the random effects */
    int skip_convcheck;       /* 1: skip lme4's gradient/Hessian check after the fit (skipped anyway beyond 20 thetas) */
    lmm_factor_kind factor;   /* AUTO keeps the model's (automatic unless lmm_model_set_factor) */
} lmm_fit_options;

/* A fitted linear mixed model. Fields are read-only for callers. */
typedef struct lmm_fit {
    lmm_model *model;         /* the structure (owned when built by lmm_fit_formula) */
    int owns_model;
    int reml;
    int nobs, p, q, ntheta;
    double criterion;         /* REML criterion for REML fits, deviance for ML fits */
    double deviance;          /* -2 log-likelihood at the estimates, sigma^2 = pwrss/n */
    double loglik;            /* -criterion/2 */
    int df;                   /* p + ntheta + 1 */
    double aic, bic;
    double sigma;             /* residual standard deviation */
    double pwrss;             /* penalised residual sum of squares */
    double *theta;            /* ntheta */
    double *beta, *se;        /* p fixed effects and standard errors */
    double *vcov;             /* p x p covariance of beta (column-major) */
    double *u;                /* q spherical random effects */
    double *b;                /* q conditional modes b = Lambda u: term k, level j, column c at
                                 model->terms[k].u_offset + j * ncol + c */
    double *b_condsd;         /* q conditional standard deviations (NULL if skipped) */
    double *fitted, *resid;   /* nobs */
    double resid_quantiles[5];/* scaled residuals: min, 1Q, median, 3Q, max */
    int singular;             /* a bounded theta below 1e-4 (lme4's isSingular) */
    int converged;            /* 1 exactly when warning is "": no evaluation limit hit, lme4's check passed */
    int optimizer_code;       /* lme4's optimizer convergence code: 0, or 1 when the evaluation limit was hit */
    int nevals;               /* objective evaluations */
    char warning[256];        /* lme4's convergence warning ("Model failed to converge ..."), "" if none */
    lmm_optim_options optim_; /* private: options and workspace kept for refits */
    int condvar_;
    int convcheck_;           /* private: run lme4's convergence check after each (re)fit */
    int lean_;                /* private: an ML refit keeps only its criterion, loglik and AIC/BIC
                                 (the LRT bootstrap's replicates) */
    size_t optim_work_;
    double *work_;
} lmm_fit;

/* lme4's checkConv at the optimum: finite-difference gradient and Hessian of
   the objective over the free components of theta (those not on a bound). */
typedef struct lmm_convergence {
    int nfree;                /* components of theta not on their bound */
    double max_grad;          /* lme4's statistic: max of min(|H^{-1/2} g|, |g|) */
    int component;            /* 1-based component of theta where it is attained */
    int negative_eigen;       /* eigenvalues of the Hessian (free part) below -1e-6 (lme4's tol) */
    int converged;            /* the optimizer stopped before its evaluation limit */
    int singular;             /* boundary fit (lme4's isSingular) */
    int ok;                   /* no warning */
    char message[256];        /* lme4's warnings, a line each, in its order; empty when ok */
} lmm_convergence;

/* Check a fit's convergence as lme4 does (tol <= 0: lme4's 0.002). Costs about
   ntheta (ntheta + 1) objective evaluations (lme4's deriv12 takes 2 ntheta^2: its
   Hessian's cross terms here reuse the diagonal steps); the fit's estimates are not changed. */
LMM_API lmm_status lmm_fit_check_convergence(lmm_fit *fit, double tol, lmm_convergence *out, lmm_error *err);

/* Build the model structure of `formula` on `df` (rows with missing values
   in any variable the formula uses are dropped). The response is set from
   the formula's left-hand side. */
LMM_API lmm_status lmm_model_build(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                   lmm_model **out, lmm_error *err);
LMM_API void lmm_model_free(lmm_model *m);
/* Replace the fixed-effects matrix (nobs rows; columns and names copied),
   keeping the random-effects structure: the cheap path for refitting many
   fixed-effects specifications (e.g. dropping one column at a time). */
LMM_API lmm_status lmm_model_set_X(lmm_model *m, const lmm_matrix *X, lmm_error *err);
/* Replace the response (nobs values): the cross-products with y are
   recomputed; nothing is allocated. */
LMM_API lmm_status lmm_model_set_response(lmm_model *m, const double *y, lmm_error *err);
/* The objective at theta: REML criterion (reml = 1) or profiled deviance. */
LMM_API double lmm_model_objective(lmm_model *m, const double *theta, int reml);
/* The fixed effects given theta (length ntheta, any value, not only the
   optimum): beta (p) = (X'V^-1 X)^-1 X'V^-1 y with V = Z Lambda Lambda' Z' + W^-1
   (W the prior weights, I without; y less any offset),
   sigma^2 = (y - X beta)'V^-1 (y - X beta) / (n - p) (reml; n for ML) and
   vcov = sigma^2 (X'V^-1 X)^-1 (p x p, column-major; NULL to skip, as sigma).
   Allocates nothing; LMM_ERR_NUMERIC where the system is not positive definite. */
LMM_API lmm_status lmm_model_beta_at(lmm_model *m, const double *theta, int reml, double *beta, double *vcov,
                                     double *sigma, lmm_error *err);
/* Choose the objective's factor (lmm_factor_kind); kept across lmm_model_set_X.
   LMM_ERR_ARG for SPARSE on a model with a vector-valued term after the first. */
LMM_API lmm_status lmm_model_set_factor(lmm_model *m, lmm_factor_kind kind, lmm_error *err);
/* The factor the objective uses now: LMM_FACTOR_SPARSE or LMM_FACTOR_DENSE
   (the class path counts as dense). */
LMM_API lmm_factor_kind lmm_model_factor(const lmm_model *m);
/* Fit the model to its current response. The fit borrows m. */
LMM_API lmm_status lmm_model_fit(lmm_model *m, const lmm_fit_options *opts, lmm_fit **out, lmm_error *err);
/* Parse, build and fit in one call; the fit owns its model. */
LMM_API lmm_status lmm_fit_formula(const lmm_frame *df, const char *formula, const lmm_fit_options *opts,
                                   lmm_fit **out, lmm_error *err);
/* Refit on a new response y (nobs values; NULL keeps the current one), reusing
   the structure, the factor pattern and every buffer of the fit: no allocation
   after the first fit. Starts from theta_start (NULL: the fit's current theta).
   converged, singular and warning are the refit's own (lme4's check reruns
   unless the fit skipped it). The model is shared: refitting changes model->y. */
LMM_API lmm_status lmm_fit_refit(lmm_fit *fit, const double *y, const double *theta_start, lmm_error *err);
LMM_API void lmm_fit_free(lmm_fit *fit);
/* Covariance matrix of random-effects term k (ncol x ncol): sigma^2 T T'. */
LMM_API void lmm_fit_term_cov(const lmm_fit *fit, int k, double *cov);

/* One refit of lmm_fit_all_optimizers: an optimizer from one start. */
typedef struct lmm_allfit_row {
    char label[48];           /* "bobyqa", "Nelder_Mead", "bobyqa.start0.5", ..., "Nelder_Mead.random" */
    lmm_optimizer method;
    int ok;                   /* the refit ran (R's which.OK); when 0, warning holds the error and numbers are NaN */
    double criterion;         /* REML criterion or deviance, as the original fit */
    double *theta, *beta, *sdcor; /* ntheta, p and nsdcor values (theta's block: free only through lmm_allfit_free) */
    double sigma;
    int nevals, converged, singular;
    char warning[256];        /* lme4's convergence warning, "" if none */
    double seconds;           /* processor time of the refit (clock(); single-threaded, so $times' elapsed) */
} lmm_allfit_row;

/* lme4's allFit: the fit redone by every optimizer from several starts. */
typedef struct lmm_allfit {
    int nrows, ntheta, p, nsdcor;
    lmm_allfit_row *rows;
    char **theta_names;       /* the model's theta names */
    char **beta_names;        /* the fixed-effects names */
    char **sdcor_names;       /* as.data.frame(VarCorr)'s: "Subject.(Intercept)", "Subject.Days.(Intercept)", ..., "sigma" */
    int best;                 /* the ok row of least criterion (-1 if none ran) */
    double crit_spread;       /* max - min criterion over the ok rows */
    double max_beta_rel;      /* largest |beta - beta_best| / |beta_best| (absolute where beta_best is 0) */
    double max_theta_abs;     /* largest |theta - theta_best| */
} lmm_allfit;

/* Refit fit's model (same response, REML/ML, options) with BOBYQA and Nelder-Mead
   from lme4's default start, that start times 0.5 and times 2, and one seeded
   random start, as lme4's allFit checks an optimum. The model is shared: after
   the refits it is left factored at fit->theta; fit itself is not modified.
   A refit's own failure is a row with ok = 0; LMM_ERR_NOMEM stops the call. */
LMM_API lmm_status lmm_fit_all_optimizers(const lmm_fit *fit, lmm_allfit **out, lmm_error *err);
LMM_API void lmm_allfit_free(lmm_allfit *a);

/* ======================================================================== */
/* Generalized linear mixed models                                           */
/* ======================================================================== */

/* A binomial or Poisson GLMM fitted as lme4's glmer: the Laplace approximation
   (nAGQ = 1) or adaptive Gauss-Hermite quadrature (nAGQ 2..25, one scalar
   random-effects term), by penalised iteratively reweighted least squares. */
typedef struct lmm_glmm_options {  /* zero-initialised = glmer's defaults, but the family must be set */
    lmm_model_options model;  /* family and link (binomial: logit by default; poisson: log), weights, offset */
    int nagq;                 /* 0 or 1: Laplace; 2..25: adaptive Gauss-Hermite quadrature */
    lmm_optim_options optim;  /* stage-2 optimizer tolerances (method ignored: BOBYQA then a restart); rho_end 0:
                                 1e-8, bootstrap replicates 1e-6 (beta in units of its standard errors) */
    int skip_condvar;         /* 1: skip the conditional variances of the random effects */
    int skip_hessian;         /* 1: vcov from the PIRLS factor (lme4's use.hessian = FALSE) */
} lmm_glmm_options;

typedef struct lmm_glmm {
    lmm_model *model;         /* the structure (X, terms); owned */
    char *formula;            /* the formula as given (cbind(s, f) kept) */
    lmm_family family;
    lmm_link link;
    int nagq;                 /* 1 = Laplace */
    int nobs, p, q, ntheta;
    double deviance;          /* lme4's criterion at the optimum: -2 logLik (its summary's "deviance") */
    double loglik, aic, bic;
    int df, df_resid;         /* df = ntheta + p */
    double resid_deviance;    /* sum of squared deviance residuals (lme4's deviance(m)) */
    double *theta;            /* ntheta */
    double *beta, *se;        /* p */
    double *vcov;             /* p x p */
    int vcov_hessian;         /* 1: vcov = 2 H^-1 (beta block), H the deriv12-style Hessian (differences,
                                 step 1e-4) of the deviance over (theta, beta), lme4's use.hessian; 0: from the PIRLS factor */
    double *u, *b;            /* q spherical and conditional modes (layout as lmm_fit's) */
    double *b_condsd;         /* q conditional standard deviations (NULL if skipped) */
    double *y;                /* response as fitted: proportion (binomial) or count */
    double *prior_weights;    /* binomial: trials (times any prior weights); poisson: weights or 1 */
    double *eta, *fitted;     /* linear predictor and mean at the modes */
    double *pearson;          /* Pearson residuals */
    double resid_quantiles[5];/* of the Pearson residuals: min, 1Q, median, 3Q, max */
    int singular;             /* a bounded theta below 1e-4 (lme4's isSingular) */
    int nevals;               /* deviance evaluations of both stages */
    int converged;            /* 0 when an optimizer stage ran out of evaluations (optim.max_evals) or lme4's checkConv warns */
    char warning[256];        /* lme4's convergence warnings (checkConv: scaled gradient, tol 2e-3; Hessian), a line
                                 each; "" if none or not checked (skip_hessian, bootstrap refits, singular fits) */
    struct lmm__glmm_ws *ws_; /* private: PIRLS workspace */
} lmm_glmm;

/* Build and fit a GLMM. opts->model.family must be LMM_FAMILY_BINOMIAL or
   LMM_FAMILY_POISSON. A binomial response is 0/1, a proportion with weights
   (the trials), or cbind(successes, failures) on the left of the formula. */
LMM_API lmm_status lmm_glmm_fit_formula(const lmm_frame *df, const char *formula, const lmm_glmm_options *opts,
                                        lmm_glmm **out, lmm_error *err);
LMM_API void lmm_glmm_free(lmm_glmm *g);
/* Deviance (lme4's devfun) at theta (ntheta) and beta (p) for the fit's model and
   response: the Laplace approximation or, for nagq > 1, AGQ. NaN when PIRLS fails. */
LMM_API double lmm_glmm_deviance_at(lmm_glmm *g, const double *theta, const double *beta);
/* Family and link names ("binomial", "logit"). */
LMM_API const char *lmm_family_name(lmm_family f);
LMM_API const char *lmm_link_name(lmm_link l);
/* lme4's anova() of nested glmer fits (n >= 2; names[i] the row names, NULL: "MODEL1", ...): the LRT
   table of lmm_anova_models, rows ordered by npar; print it with lmm_print_anova, free it with
   lmm_anova_free. LMM_ERR_DATA if the fits use different numbers of observations. */
struct lmm_anova;   /* declared with anova of lm and lmer fits, below */
LMM_API lmm_status lmm_glmm_anova(const lmm_glmm *const *fits, const char *const *names, int n, struct lmm_anova **out,
                                  lmm_error *err);
/* lme4's predict() of a glmer fit (implemented in @sim, beside lmm_predict): on the training rows
   (newdata NULL; out[nobs]) or on newdata (out[nrow]; train = the fitting frame); conditional = 1
   re.form = NULL, 0 re.form = NA; response_scale = 0 type = "link", 1 "response". New group levels
   get the population value (allow.new.levels = TRUE), offsets are evaluated on newdata, a row with a
   missing value gives NAN. */
LMM_API lmm_status lmm_glmm_predict(const lmm_glmm *g, const lmm_frame *train, const lmm_frame *newdata,
                                    int conditional, int response_scale, double *out, lmm_error *err);

/* A plain GLM (R's glm(), no random effects) of the binomial or Poisson family, fitted by
   IRLS as glm.fit does (mustart, epsilon 1e-8, at most 25 iterations); the response as for
   lmm_glmm_fit_formula (0/1, proportion with weights, cbind(s, f)); offsets and prior weights
   from the model options. Standard errors with dispersion 1 (summary.glm for these families). */
typedef struct lmm_glm {
    lmm_model *model;         /* X (column names), rows used, offset; owned */
    char *formula;            /* as given */
    lmm_family family;
    lmm_link link;
    int nobs, p;
    double *beta, *se, *zval, *pval;   /* p: estimates, SEs, z values, Pr(>|z|) */
    double *vcov;             /* p x p: (X'WX)^-1 at the last iteration's weights */
    double deviance, null_deviance;
    int df_resid, df_null;
    double aic, bic, loglik;  /* R's AIC(glm) (family aic + 2p), BIC, logLik (df p) */
    int iter;                 /* Fisher scoring iterations */
    int converged;            /* 0 when 25 iterations did not meet the criterion */
    double *y;                /* nobs: proportion (binomial) or count */
    double *prior_weights;    /* binomial: trials (times any prior weights); poisson: weights or 1 */
    double *eta, *fitted;     /* linear predictor (offset included) and mean */
    double *working_weights;  /* IRLS weights of the last iteration (R's fit$weights) */
} lmm_glm;

/* Fit a GLM; the formula has no random-effects terms. opts->family must be
   LMM_FAMILY_BINOMIAL or LMM_FAMILY_POISSON (links as for glmer). */
LMM_API lmm_status lmm_glm_fit_formula(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                       lmm_glm **out, lmm_error *err);
LMM_API void lmm_glm_free(lmm_glm *g);
/* lme4's anova() over glmer and glm fits (anova(glmer, glm)): row i is glmms[i] when glmms
   and glmms[i] are not NULL, else glms[i] (its npar the number of coefficients). As
   lmm_glmm_anova otherwise; glms may be NULL. */
LMM_API lmm_status lmm_glm_anova(const lmm_glmm *const *glmms, const lmm_glm *const *glms, const char *const *names,
                                 int n, struct lmm_anova **out, lmm_error *err);

/* ======================================================================== */
/* Linear models, ANOVA and likelihood-ratio tests                           */
/* ======================================================================== */

/* An ordinary least-squares fit (R's lm), by Householder QR. Read-only fields. */
typedef struct lmm_lm {
    char *formula;
    int nobs, p, df_resid;
    int n_na_dropped;
    lmm_matrix *X;            /* model matrix (names, assign, terms), aliased columns removed */
    int n_aliased;
    char **aliased;
    double *y;                /* response (nobs) */
    double *weights;          /* prior weights (nobs), NULL when none: weighted least squares as R's
                                 lm(weights =); zero-weight rows get fitted values but do not count in
                                 df_resid, R^2 or logLik; resid is y - fitted (R's resid()) */
    char *weights_label;      /* the weights column (the call's "weights = w"), NULL for a vector */
    double *offset;           /* offset (nobs): options' column/vector plus offset() terms, NULL when none;
                                 R's lm fits y - offset and its fitted values include the offset */
    char *offset_label;       /* the offset column (the call's "offset = x"), NULL otherwise */
    double *coef, *se, *tval, *pval;
    double *vcov;             /* p x p */
    double sigma;             /* residual standard error */
    double rss;
    double r_squared, adj_r_squared;
    double fstat, f_p;        /* overall F test (numerator df p - intercept, denominator df_resid) */
    int f_df1;
    double loglik;            /* R's logLik: ML, df = p + 1 */
    int df;
    double aic, bic;
    double *fitted, *resid;
    double *effects;          /* Q'y (nobs): sequential sums of squares come from it */
} lmm_lm;

/* Fit `formula` (no random-effects terms) by least squares. */
LMM_API lmm_status lmm_lm_fit(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                              lmm_lm **out, lmm_error *err);
/* Fit y on a caller-built model matrix (columns and names taken as given). */
LMM_API lmm_status lmm_lm_fit_matrix(const lmm_matrix *X, const double *y, lmm_lm **out, lmm_error *err);
LMM_API void lmm_lm_free(lmm_lm *fit);

/* One row of a sequential (type I) ANOVA table. */
typedef struct lmm_aov_row {
    const char *term;         /* "operator", ... "Residuals" last */
    int df;
    double sumsq, meansq, f, p;   /* f and p are NAN for the residual row */
} lmm_aov_row;

/* Sequential sums of squares of a fitted lm, one row per term plus
   Residuals: rows must hold X->nterms + 1 entries; returns the row count. */
LMM_API int lmm_aov_table(const lmm_lm *fit, lmm_aov_row *rows);
/* Effects of each level of single-factor term `term` in a balanced design
   (model.tables(type = "effects")): level mean minus grand mean.
   effects must hold the factor's levels; returns the count, or -1 (with err)
   if the term is not a single factor or the design is unbalanced. */
LMM_API int lmm_aov_effects(const lmm_lm *fit, const lmm_frame *df, const char *term, double *effects, lmm_error *err);

/* Likelihood-ratio test of nested fits: stat = 2 (ll1 - ll0), df = df1 - df0,
   p = P(chi2_df > stat) (stat clamped at 0). */
LMM_API double lmm_lrt(double loglik0, int df0, double loglik1, int df1, double *stat);

/* ======================================================================== */
/* Comparing nested models (anova of lm and lmer fits)                       */
/* ======================================================================== */

/* A model to compare: exactly one of lm / lmer is set. */
typedef struct lmm_model_ref {
    const char *name;         /* row name as R shows it ("nullmod"); NULL: "MODEL1", "MODEL2", ... */
    const lmm_lm *lm;         /* an ordinary least-squares fit, or NULL */
    const lmm_fit *lmer;      /* a mixed-model fit (REML fits are refitted by ML), or NULL */
} lmm_model_ref;

/* One row of lme4's anova() table. */
typedef struct lmm_anova_row {
    int model;                /* index of the model in the caller's array */
    char *name;               /* row name */
    char *formula;            /* the model's formula text */
    int npar;                 /* parameters (logLik's df) */
    double aic, bic, loglik, deviance;   /* ML figures; deviance = -2 logLik */
    double chisq, df, p;      /* LRT against the previous row; NAN in the first row (p NAN when df = 0) */
} lmm_anova_row;

/* The comparison table: rows ordered by npar (stable), as lme4 orders them. */
typedef struct lmm_anova {
    int n;
    int refitted;             /* 1 if some REML fit was refitted by ML ("refitting model(s) with ML") */
    lmm_anova_row *rows;
} lmm_anova;

/* anova(m0, m1, ...) of lme4 for nested fits to the same data (n >= 2): every
   lmer fit by REML is refitted by maximum likelihood (the given fits are not
   changed); LMM_ERR_DATA if the models use different numbers of observations. */
LMM_API lmm_status lmm_anova_models(const lmm_model_ref *models, int n, lmm_anova **out, lmm_error *err);
LMM_API void lmm_anova_free(lmm_anova *a);

/* ======================================================================== */
/* Inference: degrees of freedom and tests                                   */
/* ======================================================================== */

/* Denominator degrees of freedom of t and F tests of fixed effects (lmerTest).
   SATTERTHWAITE: lmerTest's own; KENWARD_ROGER: pbkrtest's adjusted vcov and
   ddf (lmerTest's ddf = "Kenward-Roger"), REML fits only: an ML fit is
   LMM_ERR_ARG "Kenward-Roger's method is only available for REML model fits". */
typedef enum lmm_ddf_method { LMM_DDF_SATTERTHWAITE = 0, LMM_DDF_KENWARD_ROGER } lmm_ddf_method;

/* A test of L beta = 0 (lmerTest's contest). One row: the t test (estimate, se, df, t, p)
   and the same as an F test (f = t^2, num_df = 1, den_df = df, f_p = p). Several rows:
   the F test on rank(L V L') = num_df, estimate .. p NAN. */
typedef struct lmm_contest_result {
    int nrow;
    double estimate, se, df, t, p;
    double f, num_df, den_df, f_p;
    double sumsq, meansq;     /* lmerTest's anova columns: meansq = F sigma^2, sumsq = meansq num_df */
} lmm_contest_result;

/* One row of lmerTest's summary() coefficient table. */
typedef struct lmm_coef_row {
    double estimate, se, df, t, p;
} lmm_coef_row;

/* Test L beta = 0 for L (nrow x p, row-major: row i at L + i * p) as lmerTest 3.x does
   (Satterthwaite: variance parameters (theta, sigma), their covariance 2 H^-1 from the
   Hessian of the REML criterion or deviance, the Jacobian of vcov(beta); both by
   Richardson-extrapolated central differences). The fit's model is refactored at
   other thetas and left at fit->theta. Kenward-Roger (REML fits): see lmm_vcov_kr. */
LMM_API lmm_status lmm_contest(const lmm_fit *fit, const double *L, int nrow, lmm_ddf_method ddf,
                               lmm_contest_result *out, lmm_error *err);
/* lmerTest's summary() table: a t test of every coefficient (rows: fit->p entries). */
LMM_API lmm_status lmm_coef_table(const lmm_fit *fit, lmm_ddf_method ddf, lmm_coef_row *rows, lmm_error *err);
/* One row of lmerTest's anova(m) F table (any type). */
typedef struct lmm_anova3_row {
    const char *term;         /* the fixed-effects term (the model's label) */
    double sumsq, meansq, num_df, den_df, f, p;
} lmm_anova3_row;
/* lmerTest's anova(m, type = type, ddf = ...) of any fixed-effects structure: one F test
   per term (rows: X->nterms entries; *nrows gets the count), with lmerTest's hypotheses:
   type 1 sequential, type 2 each term adjusted for all terms that do not contain it,
   type 3 (R's default) lmerTest's coding-independent ones. df is the frame the fit was
   made from: types 2 and 3 need it to know factors from covariates and to build the
   indicator designs; it may be NULL for type 1 and for models where no term is part of
   another (then type 3 is "all the term's coefficients are 0"). Terms whose hypothesis
   is empty (all columns aliased) come last with NAN, as lmerTest appends them. A model
   with the intercept only, or nothing, gives 0 rows (lmerTest's empty table). */
LMM_API lmm_status lmm_anova_table(const lmm_fit *fit, const lmm_frame *df, int type, lmm_ddf_method ddf,
                                   lmm_anova3_row *rows, int *nrows, lmm_error *err);
/* lmm_anova_table(fit, NULL, 3, ...): a term marginal to an interaction is LMM_ERR_ARG. */
LMM_API lmm_status lmm_anova_type3(const lmm_fit *fit, lmm_ddf_method ddf, lmm_anova3_row *rows, int *nrows,
                                   lmm_error *err);
/* pbkrtest's vcovAdj: the Kenward-Roger adjusted covariance of beta (p x p,
   column-major as fit->vcov) of a REML fit. With KENWARD_ROGER, lmm_contest's
   and lmm_coef_table's se come from it; several rows give pbkrtest's scaled F
   (f = scaling * Wald(vcovAdj) / q, meansq from the unscaled Wald, as lmerTest). */
LMM_API lmm_status lmm_vcov_kr(const lmm_fit *fit, double *vcov_adj, lmm_error *err);

/* One row of lmerTest's ranova(m) table. */
typedef struct lmm_ranova_row {
    char *term;               /* "<none>", "(1 | Subject)", "Days in (Days | Subject)" */
    char *formula;            /* the reduced model as fitted (NULL for <none>) */
    int npar;                 /* logLik's df */
    double loglik, aic;       /* REML or ML, as the fit */
    double lrt, df, p;        /* against <none>: 2 (logLik0 - logLik), npar0 - npar; NAN in <none>'s row */
} lmm_ranova_row;

typedef struct lmm_ranova_table {
    int n;
    char *model;              /* the "Model:" line: "yield ~ nitro + Variety + (1 | Variety:Block) + (1 | Block)" */
    lmm_ranova_row *rows;     /* <none> first, then the terms in lme4's findbars order */
} lmm_ranova_table;

/* lmerTest's ranova(m): for each random-effects term, the likelihood-ratio test of the
   model with the term reduced ((x | g) -> (1 | g), each left-side term not contained in
   another in turn) or, for (1 | g), dropped; refitted with the fit's REML/ML on the same
   X, weights and offset (a linear model when no random term is left). df is the frame
   the fit was made from; LMM_ERR_DATA if a reduced model would use other rows. */
LMM_API lmm_status lmm_ranova(const lmm_fit *fit, const lmm_frame *df, lmm_ranova_table **out, lmm_error *err);
LMM_API void lmm_ranova_free(lmm_ranova_table *r);

/* ======================================================================== */
/* Simulation, parametric bootstrap and prediction                           */
/* ======================================================================== */

/* New response y_out[nobs] = X beta + Z Lambda(theta) u* + sigma eps from an lmer fit, u* ~ N(0, sigma^2 I)
   drawn anew (use_u = 0; term by term, level by level, then eps) or the fitted modes (use_u = 1). */
LMM_API lmm_status lmm_simulate(const lmm_fit *fit, lmm_rng *rng, int use_u, double *y_out, lmm_error *err);
/* New response from a fitted lm into y_out (nobs): fitted + sigma eps (R's simulate.lm). */
LMM_API void lmm_lm_simulate(const lmm_lm *fit, lmm_rng *rng, double *y_out);
/* An independent deep copy of a fit and its model, refittable on its own (one per thread). */
LMM_API lmm_status lmm_fit_clone(const lmm_fit *fit, lmm_fit **out, lmm_error *err);

/* Progress report: done of total replicates finished (called from the calling thread only). */
typedef void (*lmm_progress_fn)(int done, int total, void *user);

/* Zero-initialised = the whole run [0, nsim), OpenMP's default thread count, no progress. */
typedef struct lmm_boot_options {
    int first, last;          /* replicate range [first, last) of this shard; last = 0 means nsim */
    int threads;              /* OpenMP threads (0: OpenMP default); ignored without -fopenmp */
    lmm_progress_fn progress; /* NULL: none */
    void *progress_user;
} lmm_boot_options;

/* Parametric-bootstrap LRT result (a shard holds replicates [first, last)). */
typedef struct lmm_boot_result {
    int nsim;                 /* replicates of the full run */
    uint64_t seed;
    int first, last;          /* range held: stats[b - first] is replicate b */
    double *stats;            /* owned; NAN where a refit failed */
    double observed;          /* 2 (ll1 - ll0) on the data */
    int nvalid;               /* finite statistics */
    double pvalue;            /* mean(stat >= observed) over finite statistics */
    double pvalue_se;         /* sqrt(p (1 - p) / nvalid) */
    double frac_zero;         /* share of statistics below 1e-5 */
    int threads;              /* threads used (1 without OpenMP) */
    double elapsed_s;         /* wall seconds of the replicates alone (shards: summed) */
} lmm_boot_result;

/* Parametric-bootstrap LRT of null (null_lm or ML null_fit, exactly one) against ML lmer alt on the same rows:
   replicate b simulates from the null with stream (seed, b) only, refits both, stat = 2 (ll1 - ll0). */
LMM_API lmm_status lmm_boot_lrt(const lmm_lm *null_lm, const lmm_fit *null_fit, const lmm_fit *alt,
                                int nsim, uint64_t seed, const lmm_boot_options *opt,
                                lmm_boot_result *res, lmm_error *err);
/* Recompute nvalid, pvalue, pvalue_se and frac_zero from stats and observed. */
LMM_API void lmm_boot_summarize(lmm_boot_result *res);
/* Merge shards (any order) covering [0, nsim) of one run without gaps or overlap into out. */
LMM_API lmm_status lmm_boot_merge(const lmm_boot_result *shards, int nshards, lmm_boot_result *out, lmm_error *err);
/* Free res->stats (not res itself). */
LMM_API void lmm_boot_result_free(lmm_boot_result *res);

/* A bootstrap statistic: k values of the refitted model into out (must be thread-safe under OpenMP). */
typedef void (*lmm_boot_statistic_fn)(const lmm_fit *refit, void *user, double *out);
/* lme4's bootMer: replicate b simulates from fit (stream (seed, b); use_u as lmm_simulate), refits a clone
   from fit's theta and stores statistic's k values at out[(b - first) * k] (NAN if the refit failed). */
LMM_API lmm_status lmm_bootmer(const lmm_fit *fit, int nsim, uint64_t seed, int use_u,
                               lmm_boot_statistic_fn statistic, int k, void *user, double *out,
                               const lmm_boot_options *opt, lmm_error *err);

/* glmer fits (implemented in @glmm). lme4's simulate.merMod: a new response
   y_out[nobs] on the fit's scale (binomial: successes / trials; poisson: counts)
   from eta = offset + X beta + Z Lambda u, u ~ N(0, I) drawn anew in u's order
   (use_u = 0) or the fitted modes (use_u = 1), then one exact binomial / Poisson
   draw per observation in order. */
LMM_API lmm_status lmm_glmm_simulate(const lmm_glmm *g, lmm_rng *rng, int use_u, double *y_out, lmm_error *err);
/* lme4's refit: g refitted in place to the response y (g->y's scale), same model
   and options, stage 2 started at g's (theta, beta) as lme4's refit. On failure
   g's results are unspecified (refit again or free it). */
LMM_API lmm_status lmm_glmm_refit(lmm_glmm *g, const double *y, lmm_error *err);
/* A glmer bootstrap statistic: k values of the refit into out (thread-safe under OpenMP). */
typedef void (*lmm_glmm_statistic_fn)(const lmm_glmm *refit, void *user, double *out);
/* lme4's bootMer for a glmer fit: replicate b simulates from g (stream (seed, b); use_u as
   lmm_glmm_simulate), refits a private copy from g's (theta, beta) and stores k values at
   out[(b - first) * k] (NAN if the refit failed): statistic's, or fixef when statistic is
   NULL (k = p). Replicate refits skip the Hessian and the conditional variances: their
   vcov/se come from the PIRLS factor (lme4's use.hessian = FALSE) and b_condsd is NULL. */
LMM_API lmm_status lmm_glmm_bootmer(const lmm_glmm *g, int nsim, uint64_t seed, int use_u,
                                    lmm_glmm_statistic_fn statistic, int k, void *user, double *out,
                                    const lmm_boot_options *opt, lmm_error *err);
/* Parametric-bootstrap LRT of nested glmer fits on the same response: replicate b simulates
   from null_fit (stream (seed, b)), refits both, stat = deviance0 - deviance1 (= 2 (ll1 - ll0)).
   Shards merge with lmm_boot_merge; elapsed_s is not measured (0). */
LMM_API lmm_status lmm_glmm_boot_lrt(const lmm_glmm *null_fit, const lmm_glmm *alt, int nsim, uint64_t seed,
                                     const lmm_boot_options *opt, lmm_boot_result *res, lmm_error *err);
/* R's quantile type 7 of x[0], x[stride], ... (n values, NANs ignored) at probs[nprobs] into q. */
LMM_API lmm_status lmm_quantiles(const double *x, int n, int stride, const double *probs, int nprobs,
                                 double *q, lmm_error *err);

/* lme4's confint(m, method = ...) for an lmer fit. */
typedef enum lmm_confint_method {
    LMM_CONFINT_PROFILE = 0,  /* lme4's default: where the signed root of the ML deviance's profile is -/+ z */
    LMM_CONFINT_WALD,         /* beta -/+ z se; NAN (R's NA) for the variance parameters */
    LMM_CONFINT_BOOT          /* percentile intervals (boot.ci type "perc") from the parametric bootstrap */
} lmm_confint_method;

/* Zero-initialised = confint(m): profile, level 0.95, every parameter. */
typedef struct lmm_confint_options {
    lmm_confint_method method;
    double level;             /* 0: 0.95; otherwise in (0, 1) */
    const char *parm;         /* NULL: all; "theta_" (variance parameters), "beta_" (fixed effects) or one row name */
    int nsim;                 /* boot: replicates (0: lme4's 500) */
    uint64_t seed;            /* boot: replicate b draws from stream (seed, b), as lmm_bootmer */
    int threads;              /* boot, profile: OpenMP threads (0: OpenMP's default); ignored without -fopenmp */
    int first, last;          /* boot: this shard's replicates [first, last) (last = 0: nsim); a shard's
                                 limits are NAN until lmm_confint_merge joins the shards of the run */
} lmm_confint_options;

/* The interval table: rows .sig01, .sig02, ... (each term's standard deviations and
   correlations in theta's order), .sigma, then the fixed effects; NAN where lme4 has NA. */
typedef struct lmm_confint_result {
    int n;                    /* rows */
    char **names;             /* row names */
    double *estimate;         /* the parameter at the optimum (profile: of the ML refit, which lme4 profiles) */
    double *lower, *upper;    /* the limits */
    char columns[2][24];      /* R's column labels: "2.5 %", "97.5 %" */
    double level;
    lmm_confint_method method;
    int nsim, nvalid;         /* boot: replicates of the run, and those here whose refit succeeded */
    int first, last;          /* boot: the replicates held, [first, last) */
    uint64_t seed;            /* boot */
    double *replicates;       /* boot: (last - first) x n row-major (replicate b at replicates + (b - first) n;
                                 NAN if its refit failed); else NULL */
} lmm_confint_result;

/* Confidence intervals of every parameter of an lmer fit, as lme4's confint.merMod.
   Wald uses the fit's vcov (REML's for a REML fit, as lme4). profile profiles the ML
   deviance of the ML refit (for a REML fit too, as lme4's devfun2): each point is a
   refit with the parameter held fixed (warm-started), the crossing found by
   root-finding (not lme4's spline); a standard deviation whose
   profile does not reach -z before 0 gets 0, a correlation -1 / 1; it runs on a copy
   of the model (fit is not modified) and gives the same limits whatever the threads.
   LMM_ERR_ARG for a level outside (0, 1), an unknown parm or method. Free the result
   with lmm_confint_free. */
LMM_API lmm_status lmm_confint(const lmm_fit *fit, const lmm_confint_options *opt, lmm_confint_result **out,
                               lmm_error *err);
/* Join boot shards (any order) covering [0, nsim) of one run without gaps or overlap: the
   intervals of the whole run, as one lmm_confint call would give them. */
LMM_API lmm_status lmm_confint_merge(lmm_confint_result *const *shards, int nshards, lmm_confint_result **out,
                                     lmm_error *err);
LMM_API void lmm_confint_free(lmm_confint_result *r);

/* Population-level (conditional = 0, re.form = ~0) or conditional predictions on the training rows
   (newdata NULL; out[nobs]) or on newdata (out[nrow]; train = the fitting frame, for its factor levels).
   Unseen fixed-effect level: LMM_ERR_DATA; missing column: LMM_ERR_FORMULA; new group level: population
   level (allow.new.levels); a row with a missing value: NAN. */
LMM_API lmm_status lmm_predict(const lmm_fit *fit, const lmm_frame *train, const lmm_frame *newdata,
                               int conditional, double *out, lmm_error *err);
/* BLUPs of term k (coef(fit)): fixed effect of the same name (0 if none) + mode, coef[level * ncol + col]. */
LMM_API void lmm_blup(const lmm_fit *fit, int k, double *coef);
/* Wald intervals of all q random effects: mode -/+ qnorm((1 + level) / 2) * condsd (needs condsd). */
LMM_API lmm_status lmm_ranef_intervals(const lmm_fit *fit, double level, double *lo, double *hi, lmm_error *err);

/* The lecture's bootstrap prediction interval of one row and one term (lmm_predict_ex's LMM_INTERVAL_BOOT does
   every newdata row, any structure): per replicate simulate (use.u), refit, x'beta* (x NULL: X's first
   row) + z'N(0, Sigma_k) for a new level (level < 0) or z'b*_level of term k (z NULL: (1, 0..)) + N(0, sigma^2)
   (Sigma_k, sigma: the original fit's); type-7 quantiles at probs into q; draws (or NULL) gets the values. */
LMM_API lmm_status lmm_boot_predict_interval(const lmm_fit *fit, const double *x, int k, int level,
                                             const double *z, int nsim, uint64_t seed,
                                             const double *probs, int nprobs, double *q, double *draws,
                                             const lmm_boot_options *opt, lmm_error *err);

/* Intervals of lmm_predict_ex. With z = qnorm((1 + level) / 2):
   CONFIDENCE  fit -/+ z se, se the standard error of the fit: population level sqrt(x' vcov x);
               conditional on known levels sqrt(sigma^2 g' A^{-1} g), the prediction-error variance of
               (beta, u) jointly (Henderson's C^{-1}; also what SAS's outpred= reports), with
               g = (Lambda' z of the known levels, x) and A = [L'Z'WZL + I, L'Z'WX; X'WZL, X'WX]
               (L = Lambda(theta)); a row whose groups are all new or missing gets x' vcov x.
   PREDICTION  a new observation: fit -/+ z sqrt(se^2 + sum of z_k' Sigma_k z_k over the terms not
               predicted from a known level (all terms at population level) + sigma^2 / w).
   BOOT        parametric bootstrap (bootMer(FUN = predict) + percentile): replicate b simulates from
               the fit (use.u = TRUE when conditional, FALSE at population level; stream (seed, b)),
               refits, predicts every row, adds a new level's effect N(0, Sigma_k) for each term not
               predicted from a known level and noise N(0, sigma^2 / w) (the fit's Sigma_k, sigma),
               drawn from stream (seed, 2^62 + b); lwr/upr are type-7 quantiles at (1 -/+ level) / 2,
               se the SD of the replicates' predictions (without the new-level and noise draws).
               Deterministic for a seed, whatever the thread count. Any random-effects structure. */
typedef enum lmm_interval {
    LMM_INTERVAL_NONE = 0, LMM_INTERVAL_CONFIDENCE, LMM_INTERVAL_PREDICTION, LMM_INTERVAL_BOOT
} lmm_interval;

/* Zero-initialised = lmm_predict at population level, no interval, level 0.95, 1000 replicates. */
typedef struct lmm_predict_options {
    int conditional;          /* 1: re.form = NULL (known levels' modes), 0: population level (re.form = NA) */
    lmm_interval interval;
    double level;             /* confidence level in (0, 1); 0 means 0.95 */
    const double *weights;    /* prior weights of the rows for sigma^2 / w (NULL: the newdata column named as
                                 the model's weights column if present, else 1 as R's predict.lm assumes) */
    int nsim;                 /* BOOT: replicates (0: 1000) */
    uint64_t seed;            /* BOOT: random seed */
    lmm_boot_options boot;    /* BOOT: threads and progress (first, last must be 0) */
} lmm_predict_options;

/* lmm_predict with standard errors and intervals: pred (as lmm_predict) and, each optional (NULL),
   se, lwr, upr, all of newdata->nrow (or nobs when newdata is NULL: the training rows, their weights).
   A row missing a value the fixed part, the offset or (for PREDICTION and BOOT, or conditional) a
   random term's covariates use is NAN in every array; a missing or non-positive weight makes its
   interval NAN. Conditional standard errors of rows with a known level need q + p <= 3000
   (LMM_ERR_ARG beyond: use population level or BOOT). Bad level, interval or nsim: LMM_ERR_ARG. */
LMM_API lmm_status lmm_predict_ex(const lmm_fit *fit, const lmm_frame *train, const lmm_frame *newdata,
                                  const lmm_predict_options *opt, double *pred, double *se, double *lwr, double *upr,
                                  lmm_error *err);

/* ======================================================================== */
/* Printing                                                                  */
/* ======================================================================== */

/* Print lme4's summary() of a fit (data_name may be NULL: no "Data:" line). */
LMM_API void lmm_print_summary(FILE *out, const lmm_fit *fit, const char *data_name);
/* summary() of a GLMM (lme4's glmerMod layout: Family line, z tests, no Residual row). */
LMM_API void lmm_print_glmm_summary(FILE *out, const lmm_glmm *g, const char *data_name);
/* summary() of a glm (R's summary.glm layout: Call, deviance residuals, z tests, deviances, AIC). */
LMM_API void lmm_print_glm_summary(FILE *out, const lmm_glm *g, const char *data_name);
/* What lmm_print_summary_ex prints; zero-initialised (or NULL) = lme4's summary. */
typedef struct lmm_print_options {
    int tests;                /* 1: lmerTest's summary(), t tests with df and p-values */
    lmm_ddf_method ddf;       /* their degrees of freedom (and, with Kenward-Roger, the adjusted se) */
} lmm_print_options;
/* lmm_print_summary, or with opts->tests lmerTest's summary(): its title and the
   table Estimate, Std. Error, df, t value, Pr(>|t|) with stars. Prints nothing on error. */
LMM_API lmm_status lmm_print_summary_ex(FILE *out, const lmm_fit *fit, const char *data_name,
                                        const lmm_print_options *opts, lmm_error *err);
/* Print summary(allFit(m))'s sections ($which.OK, $msgs, $fixef, $llik, $sdcor,
   $theta, $times, $feval), then one line on the spread across the rows. */
LMM_API void lmm_print_allfit(FILE *out, const lmm_allfit *a);
/* Print ranef(fit, condVar = TRUE) as R prints ranef(): one table per group. */
LMM_API void lmm_print_ranef(FILE *out, const lmm_fit *fit);
/* One grouping factor's modes as a data frame, as R prints ranef(m)$group; -1 if no such group. */
LMM_API int lmm_print_ranef_group(FILE *out, const lmm_fit *fit, const char *group);
/* Format numbers jointly as R's format(x, digits = d): common decimals, common width. */
LMM_API void lmm_format_reals(const double *x, int n, int digits, char (*out)[48]);
/* R's deparse of a formula: "Reaction ~ Days + (Days | Subject)". */
LMM_API void lmm_deparse_formula(const char *formula, char *buf, size_t size);
/* R's abbreviate(name, minlength). */
LMM_API void lmm_abbreviate(const char *name, int minlength, char *buf, size_t size);
/* Print R's summary(lm) (call text from the formula; data_name may be NULL). */
LMM_API void lmm_print_lm(FILE *out, const lmm_lm *fit, const char *data_name);
/* Print R's summary(aov) table with significance stars. */
LMM_API void lmm_print_aov(FILE *out, const lmm_lm *fit);
/* Print lme4's confint() matrix: row names, the two percent columns, R's digits (NA for NAN). */
LMM_API void lmm_print_confint(FILE *out, const lmm_confint_result *r);
/* R's format.pval(p, digits): "0.0226", "9.89e-15", "<2e-16". */
LMM_API void lmm_format_pval(double p, int digits, char *buf, size_t size);
/* Print the table as lme4 prints it: the ML-refit note, "Data: <data_name>"
   (omitted when NULL), the models, the table, significance stars and legend. */
LMM_API void lmm_print_anova(FILE *out, const lmm_anova *a, const char *data_name);
/* Print lmerTest's anova(m) table: "Type II Analysis of Variance Table with
   Satterthwaite's method" (type 1..3, Kenward-Roger's for LMM_DDF_KENWARD_ROGER). */
LMM_API void lmm_print_anova_table(FILE *out, int type, lmm_ddf_method ddf, const lmm_anova3_row *rows, int n);
/* lmm_print_anova_table(out, 3, LMM_DDF_SATTERTHWAITE, rows, n). */
LMM_API void lmm_print_anova_type3(FILE *out, const lmm_anova3_row *rows, int n);
/* Print lmerTest's ranova table: its heading, "Model:" line, npar logLik AIC LRT Df Pr(>Chisq). */
LMM_API void lmm_print_ranova(FILE *out, const lmm_ranova_table *r);
/* Print lmerTest's contest(m, L) (joint F test) as R prints its one-row data frame:
   Sum Sq, Mean Sq, NumDF, DenDF, F value, Pr(>F), each to 7 significant digits. */
LMM_API void lmm_print_contest(FILE *out, const lmm_contest_result *r);
/* R's format.pval(p, digits) over a vector, with eps = DBL_EPSILON: the fixed
   and the scientific entries each share their decimals; "< 2.2e-16" / "<2e-16"
   for tiny ones; "NA" for NAN. */
LMM_API void lmm_format_pvals(const double *p, int n, int digits, char (*out)[48]);

/* ======================================================================== */
/* Plots (standalone SVG)                                                    */
/* ======================================================================== */

/* Size and labels of a plot; zero-initialised (or NULL) = defaults. */
typedef struct lmm_plot_options {
    int width, height;        /* pixels; 0: 640 x 480 (ranef: taller with many levels) */
    const char *title;        /* NULL: the plot's default title */
    const char *xlab, *ylab;  /* NULL: the plot's default axis labels */
} lmm_plot_options;

/* Caterpillar plot, as lattice's dotplot(ranef(m, condVar = TRUE)): one panel per
   random-effect column of `group` (NULL: the first grouping factor), levels sorted
   by the first column, mode +- 1.959964 conditional SD, free x scales. */
LMM_API lmm_status lmm_plot_ranef(FILE *out, const lmm_fit *fit, const char *group,
                                  const lmm_plot_options *opts, lmm_error *err);
/* Residuals against fitted values with a horizontal line at 0 (non-finite pairs skipped). */
LMM_API lmm_status lmm_plot_resid(FILE *out, const double *fitted, const double *resid, int n,
                                  const lmm_plot_options *opts, lmm_error *err);
/* Normal QQ plot of x (qqnorm) with qqline through the quartiles. */
LMM_API lmm_status lmm_plot_qq(FILE *out, const double *x, int n, const lmm_plot_options *opts,
                               lmm_error *err);
/* Histogram of x with R's default Sturges breaks (title NULL: opts->title or "Histogram"). */
LMM_API lmm_status lmm_plot_hist(FILE *out, const double *x, int n, const char *title,
                                 const lmm_plot_options *opts, lmm_error *err);
/* R's pretty(c(lo, hi), n, min.n): round, equally spaced values covering [lo, hi].
   Writes at most max_ticks of them and returns how many there are (0 if lo or hi is not finite). */
LMM_API int lmm_pretty(double lo, double hi, int n, int min_n, double *ticks, int max_ticks);
/* R's ppoints(n): (i - a) / (n + 1 - 2a), a = 3/8 if n <= 10 else 1/2. */
LMM_API void lmm_ppoints(int n, double *p);
/* hist(x, plot = FALSE): Sturges breaks and counts (right-closed, lowest included;
   non-finite x skipped). Writes at most max_breaks breaks and the counts between
   them; returns the number of breaks, or 0 if x has no finite value. */
LMM_API int lmm_hist_breaks(const double *x, int n, double *breaks, int *counts, int max_breaks);

#ifdef __cplusplus
}
#endif

#endif /* LMM_H */

/* ======================================================================== */
/*                              IMPLEMENTATION                              */
/* ======================================================================== */
#if defined(LMM_IMPLEMENTATION) && !defined(LMM__IMPLEMENTED)
#define LMM__IMPLEMENTED

/* ======================================================================== */
/* Config, memory and errors                                       @config */
/* ======================================================================== */
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdarg.h>
#include <float.h>
#include <limits.h>
#include <ctype.h>
#include <time.h>

#if !defined(LMM_MALLOC) && !defined(LMM_REALLOC) && !defined(LMM_FREE)
#define LMM_MALLOC(sz) malloc(sz)
#define LMM_REALLOC(p, sz) realloc(p, sz)
#define LMM_FREE(p) free(p)
#elif !defined(LMM_MALLOC) || !defined(LMM_REALLOC) || !defined(LMM_FREE)
#error "define all of LMM_MALLOC, LMM_REALLOC and LMM_FREE, or none"
#endif

#ifndef LMM_ASSERT
#include <assert.h>
#define LMM_ASSERT(x) assert(x)
#endif

#define LMM__STATIC static

LMM_API const char *lmm_status_name(lmm_status s)
{
    switch (s) {
    case LMM_OK: return "LMM_OK";
    case LMM_ERR_NOMEM: return "LMM_ERR_NOMEM";
    case LMM_ERR_IO: return "LMM_ERR_IO";
    case LMM_ERR_CSV: return "LMM_ERR_CSV";
    case LMM_ERR_FORMULA: return "LMM_ERR_FORMULA";
    case LMM_ERR_DATA: return "LMM_ERR_DATA";
    case LMM_ERR_ARG: return "LMM_ERR_ARG";
    case LMM_ERR_RANK: return "LMM_ERR_RANK";
    case LMM_ERR_NUMERIC: return "LMM_ERR_NUMERIC";
    case LMM_ERR_CONVERGENCE: return "LMM_ERR_CONVERGENCE";
    }
    return "LMM_ERR_UNKNOWN";
}

/* Record an error (if the caller gave a struct) and return its code. */
static lmm_status lmm__fail(lmm_error *err, lmm_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static lmm_status lmm__nomem(lmm_error *err)
{
    return lmm__fail(err, LMM_ERR_NOMEM, "out of memory");
}

/* Allocation with overflow check on count*size; NULL on failure or zero size. */
static void *lmm__alloc(size_t count, size_t size)
{
    if (count == 0 || size == 0) count = size = 1;
    if (count > (size_t)-1 / size) return NULL;
    return LMM_MALLOC(count * size);
}

static void *lmm__calloc(size_t count, size_t size)
{
    void *p = lmm__alloc(count, size);
    if (p) memset(p, 0, (count && size) ? count * size : 1);
    return p;
}

static void *lmm__grow(void *p, size_t count, size_t size)
{
    if (count == 0 || size == 0) count = size = 1;
    if (count > (size_t)-1 / size) return NULL;
    return LMM_REALLOC(p, count * size);
}

static char *lmm__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = (char *)lmm__alloc(n, 1);
    if (d) memcpy(d, s, n);
    return d;
}

static char *lmm__strndup(const char *s, size_t n)
{
    char *d = (char *)lmm__alloc(n + 1, 1);
    if (d) { memcpy(d, s, n); d[n] = 0; }
    return d;
}

#define LMM__NEW(T, n) ((T *)lmm__alloc((size_t)(n), sizeof(T)))
#define LMM__ZNEW(T, n) ((T *)lmm__calloc((size_t)(n), sizeof(T)))

/* ---- utilities ----------------------------------------------------------- */
/* Sorting comparators, bit counting, selection and R's type-7 quantile, joining strings. */

/* qsort order of ints (ascending). */
static int lmm__cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* qsort order of doubles and of 64-bit keys (ascending). */
static int lmm__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int lmm__cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Set bits of x (the builtin where the compiler has one). */
static int lmm__popcount64(unsigned long long x)
{
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_popcountll(x);
#else
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
#endif
}

/* R's default quantile (type 7) of sorted x. */
static double lmm__quantile7(const double *sorted, int n, double prob)
{
    double h = (n - 1) * prob;
    int lo = (int)floor(h);
    if (lo >= n - 1) return sorted[n - 1];
    return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
}

/* Rearrange a[0..n) so that a[k] is its k-th smallest value, smaller ones
   before it and larger after (Hoare's selection, median-of-three pivot). */
static void lmm__select(double *a, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (hi > lo) {
        int i = lo, j = hi, mid = lo + (hi - lo) / 2;
        double piv, t;
        if (a[mid] < a[lo]) { t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
        if (a[hi] < a[lo]) { t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
        if (a[hi] < a[mid]) { t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
        piv = a[mid];
        while (i <= j) {
            while (a[i] < piv) i++;
            while (piv < a[j]) j--;
            if (i <= j) { t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

/* R's type-7 quantile of a[0..n) (rearranged, not sorted): O(n) selection
   instead of a sort, since every refit of a bootstrap computes these. */
static double lmm__quantile7_select(double *a, int n, double prob)
{
    double h = (n - 1) * prob, next;
    int lo = (int)floor(h), i;
    lmm__select(a, n, lo);
    if (lo >= n - 1 || h == lo) return a[lo];
    for (next = a[lo + 1], i = lo + 2; i < n; i++) if (a[i] < next) next = a[i];
    return a[lo] + (h - lo) * (next - a[lo]);
}

/* a sep b in a new allocation (NULL when out of memory). */
static char *lmm__join3(const char *a, const char *sep, const char *b)
{
    size_t n = strlen(a) + strlen(sep) + strlen(b) + 1;
    char *s = (char *)lmm__alloc(n, 1);
    if (s) { strcpy(s, a); strcat(s, sep); strcat(s, b); }
    return s;
}

/* ======================================================================== */
/* Random numbers                                                     @rng */
/* ======================================================================== */
/* One xoshiro256 state transition drives two output scramblers: ** (s[1]
   multiplied, rotated, multiplied) for lmm_rng_next, whose every bit is
   good, and + (s[0] + s[3]) for lmm_rng_uniform, whose low bits are weak
   but whose top 53 bits, the only ones a double keeps, are fine and cheaper.
   Either call advances the same sequence by one step. */

static uint64_t lmm__rotl64(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* One splitmix64 step: advance *state by the golden-ratio increment and
   return its finalised (bijectively mixed) value. */
static uint64_t lmm__splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

/* The xoshiro256 linear transition shared by both scramblers. */
static void lmm__rng_advance(lmm_rng *r)
{
    uint64_t *s = r->s, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lmm__rotl64(s[3], 45);
}

LMM_API void lmm_rng_seed(lmm_rng *r, uint64_t seed)
{
    /* splitmix64's finaliser is a bijection of distinct counter values, so
       at most one of the four words can be zero: the state is never all-zero */
    int i;
    for (i = 0; i < 4; i++) r->s[i] = lmm__splitmix64(&seed);
}

LMM_API void lmm_rng_seed_stream(lmm_rng *r, uint64_t seed, uint64_t stream)
{
    /* Derivation: key = first splitmix64 output started at `stream`, then
       lmm_rng_seed(seed ^ key). The key is a bijection of the stream index,
       so for a fixed seed distinct streams start splitmix64 at distinct
       points and get distinct states; the mixing makes neighbouring indices
       land at unrelated points of splitmix64's 2^64 cycle (overlap between
       two streams' seeding runs has probability about 2^-61). */
    uint64_t key = lmm__splitmix64(&stream);
    lmm_rng_seed(r, seed ^ key);
}

LMM_API uint64_t lmm_rng_next(lmm_rng *r)
{
    uint64_t out = lmm__rotl64(r->s[1] * 5, 7) * 9;
    lmm__rng_advance(r);
    return out;
}

#define LMM__TWO_POW_M53 (1.0 / 9007199254740992.0)

LMM_API double lmm_rng_uniform(lmm_rng *r)
{
    uint64_t out = r->s[0] + r->s[3];
    lmm__rng_advance(r);
    return (double)(out >> 11) * LMM__TWO_POW_M53;
}

/* Replace the state by sum_k c_k T^k(state), c the bits of the jump
   polynomial: that equals T^(2^128) or T^(2^192) applied to the state. */
static void lmm__rng_jump_by(lmm_rng *r, const uint64_t poly[4])
{
    uint64_t acc[4] = { 0, 0, 0, 0 };
    int w, b, i;
    for (w = 0; w < 4; w++)
        for (b = 0; b < 64; b++) {
            if (poly[w] >> b & 1)
                for (i = 0; i < 4; i++) acc[i] ^= r->s[i];
            lmm__rng_advance(r);
        }
    for (i = 0; i < 4; i++) r->s[i] = acc[i];
}

LMM_API void lmm_rng_jump(lmm_rng *r)
{
    static const uint64_t poly[4] = {
        UINT64_C(0x180ec6d33cfd0aba), UINT64_C(0xd5a61266f0c9392c),
        UINT64_C(0xa9582618e03fc9aa), UINT64_C(0x39abdc4529b1661c) };
    lmm__rng_jump_by(r, poly);
}

LMM_API void lmm_rng_long_jump(lmm_rng *r)
{
    static const uint64_t poly[4] = {
        UINT64_C(0x76e15d3efefdcbbf), UINT64_C(0xc5004e441c522fb3),
        UINT64_C(0x77710069854ee241), UINT64_C(0x39109bb02acbe635) };
    lmm__rng_jump_by(r, poly);
}

/* Ziggurat for the half density f(x) = exp(-x^2/2) with 256 layers of equal
   area V = 0.004928673233974655 (Marsaglia & Tsang 2000). lmm__zig_x[1] is
   the tail start R = 3.654152885361009; layer i >= 1 is the box
   [0, x[i]) x [f[i], f[i+1]] with x decreasing to x[256] = 0 and f[i] =
   f(x[i]); layer 0 is the base box of height f[1] stretched to width
   x[0] = V / f(R) so that its part beyond R stands for the tail.
   Solved with 60-digit arithmetic (mpmath), printed to double precision. */
static const double lmm__zig_x[257] = {
    3.910757959524916, 3.654152885361009, 3.449278298561431, 3.3202447338398255, 3.2245750520478014,
    3.147889289518001, 3.0835261320021434, 3.0278377917695933, 2.978603279881843,
    2.9343668672088876, 2.894121053613412, 2.8571387308732246, 2.822877396826443,
    2.7909211740019275, 2.760944005279986, 2.7326853590440114, 2.705933656123062, 2.680514643285745,
    2.6562830375767432, 2.6331163936315827, 2.6109105184888235, 2.5895759867082866,
    2.569035452681844, 2.5492215503247833, 2.530075232159854, 2.5115444416266945,
    2.4935830412710467, 2.476149939670523, 2.459208374334705, 2.442725318200364, 2.4266709849371466,
    2.4110184139011195, 2.3957431197819274, 2.3808227951720857, 2.366237056717291,
    2.3519672273791445, 2.337996148796529, 2.3243080188711325, 2.310888250601372,
    2.2977233489028634, 2.284800802724492, 2.2721089902283818, 2.2596370951737876,
    2.247375032947389, 2.235313384929921, 2.2234433400925107, 2.211756642884161, 2.2002455466112765,
    2.1889027716263607, 2.177721467740293, 2.1666951803543086, 2.1558178198767375,
    2.145083634047889, 2.134487182846017, 2.1240233156895236, 2.113687150686653, 2.1034740557148774,
    2.093379631138792, 2.0833996939983046, 2.073530263518743, 2.0637675478117323,
    2.0541079316506523, 2.0445479652175313, 2.035084353729619, 2.025713947863854, 2.016433734906204,
    2.0072408305605287, 1.9981324713584196, 1.989106007617438, 1.9801588969004766,
    1.9712886979336592, 1.962493064944363, 1.9537697423846467, 1.9451165600086784,
    1.9365314282756947, 1.9280123340526658, 1.9195573365931882, 1.9111645637712533,
    1.9028322085504292, 1.8945585256707047, 1.8863418285367828, 1.8781804862929958,
    1.8700729210712668, 1.8620176053996742, 1.8540130597602018, 1.8460578502851854,
    1.8381505865828067, 1.830289919682757, 1.8224745400938858, 1.8147031759662826,
    1.8069745913508208, 1.7992875845497203, 1.7916409865521625, 1.7840336595494415,
    1.7764644955245228, 1.7689324149112686, 1.7614363653189102, 1.7539753203176716,
    1.7465482782817223, 1.7391542612859117, 1.7317923140529632, 1.724461502948045,
    1.717160915017823, 1.7098896570713018, 1.7026468547999232, 1.6954316519345616,
    1.6882432094371953, 1.681080704725174, 1.673943330926125, 1.6668302961616654,
    1.6597408228581825, 1.652674147083056, 1.6456295179047824, 1.6386061967755476,
    1.6316034569348736, 1.6246205828330347, 1.6176568695730156, 1.6107116223698301,
    1.6037841560260946, 1.5968737944227882, 1.5899798700241907, 1.5831017233960292,
    1.5762387027359064, 1.5693901634151237, 1.562555467531045, 1.5557339834691764,
    1.5489250854741734, 1.5421281532290019, 1.535342571441514, 1.5285677294377125,
    1.521803020760998, 1.5150478427767147, 1.5083015962813116, 1.5015636851154637,
    1.4948335157804935, 1.4881104970574475, 1.4813940396281873, 1.4746835556978555,
    1.4679784586180795, 1.4612781625102755, 1.4545820818884103, 1.447889631280576,
    1.441200224848724, 1.4345132760058923, 1.427828197030256, 1.421144398675309, 1.4144612897754711,
    1.407778276846399, 1.401094763679251, 1.394410150928141, 1.3877238356899761, 1.3810352110758555,
    1.3743436657731662, 1.367648583597476, 1.360949343033283, 1.354245316762635, 1.3475358711805872,
    1.340820365896404, 1.33409815321936, 1.3273685776279258, 1.3206309752210563, 1.3138846731502205,
    1.3071289890307312, 1.3003632303308372, 1.2935866937369478, 1.2867986644932436,
    1.279998415713818, 1.2731852076653563, 1.2663582870182295, 1.2595168860637143,
    1.2526602218948972, 1.2457874955486272, 1.2388978911056874, 1.2319905747461362,
    1.2250646937565308, 1.2181193754854815, 1.211153726243699, 1.2041668301443815,
    1.1971577478794415, 1.190125515426692, 1.1830691426826867, 1.175987612015452, 1.168879876730833,
    1.1617448594456115, 1.1545814503599277, 1.147388505420849, 1.1401648443681514,
    1.1329092486525338, 1.1256204592155334, 1.118297174119345, 1.1109380460135758,
    1.1035416794246398, 1.0961066278520215, 1.0886313906539797, 1.0811144097034038,
    1.0735540657924363, 1.0659486747621225, 1.0582964833306752, 1.05059566459093, 1.042844313144149,
    1.035040439833441, 1.0271819660356458, 1.0192667174654841, 1.0112924174399958,
    1.003256679544673, 0.995156999635091, 0.9869907470990624, 0.9787551552942246,
    0.9704473110642244, 0.9620641432230406, 0.953602409881086, 0.9450586844681654,
    0.9364293402865751, 0.9277105334020002, 0.9188981836495906, 0.9099879534967185,
    0.9009752244612218, 0.8918550707329416, 0.8826222295851656, 0.8732710680888608,
    0.8637955455533088, 0.8541891710081638, 0.8444449549091539, 0.8345553540863822,
    0.8245122087522921, 0.8143066701352152, 0.8039291169899713, 0.7933690588406233,
    0.7826150233072331, 0.7716544242245681, 0.7604734064301081, 0.7490566620178153,
    0.7373872114342956, 0.7254461409099996, 0.7132122851909759, 0.7006618411068151,
    0.6877678927957885, 0.6744998228372938, 0.6608225742444197, 0.6466957148949938,
    0.6320722363860611, 0.6168969900077514, 0.6011046177559927, 0.5846167661063794,
    0.5673382570538188, 0.5491517023271651, 0.5299097206615582, 0.5094233296020918,
    0.487443966139236, 0.46363433679088223, 0.4375184022078717, 0.40838913461199117,
    0.37512133287838056, 0.33573751921442524, 0.2861745917920725, 0.2152418959848817, 0.0
};
static const double lmm__zig_f[257] = {
    0.00047746776460938755, 0.0012602859304985975, 0.002609072746102163, 0.0040379725933630305,
    0.005522403299250998, 0.007050875471373227, 0.008616582769398732, 0.010214971439701471,
    0.01184275785790789, 0.01349745060173988, 0.015177088307935327, 0.01688008315254317,
    0.018605121275724647, 0.02035109623004452, 0.022117062707308868, 0.023902203305795882,
    0.025705804008548896, 0.027527235669603085, 0.029365939758133317, 0.03122141719192025,
    0.03309321945857852, 0.034980941461716084, 0.03688421568856729, 0.03880270740452612,
    0.04073611065594093, 0.04268414491647444, 0.04464655225129445, 0.04662309490193037,
    0.04861355321586853, 0.05061772386094777, 0.05263541827679218, 0.05466646132488892,
    0.0567106901062029, 0.058767952920933765, 0.060838108349539864, 0.06292102443775813,
    0.06501657797124286, 0.0671246538277885, 0.06924514439700677, 0.07137794905889037,
    0.07352297371398127, 0.07568013035892708, 0.07784933670209605, 0.08003051581466306,
    0.08222359581320286, 0.08442850957035337, 0.08664519445055796, 0.0888735920682758,
    0.09111364806637363, 0.09336531191269087, 0.09562853671300883, 0.0979032790388623,
    0.10018949876880982, 0.1024871589419351, 0.1047962256224869, 0.10711666777468365,
    0.10944845714681165, 0.111791568163838, 0.11414597782783836, 0.11651166562561081,
    0.11888861344290999, 0.12127680548479022, 0.12367622820159656, 0.12608687022018586,
    0.12850872227999954, 0.13094177717364433, 0.13338602969166913, 0.13584147657125373,
    0.13830811644855073, 0.1407859498144447, 0.14327497897351343, 0.14577520800599406,
    0.14828664273257455, 0.1508092906818457, 0.15334316106026286, 0.15588826472447923,
    0.1584446141559243, 0.1610122234375111, 0.16359110823236572, 0.16618128576448207,
    0.1687827748012115, 0.17139559563750595, 0.17401977008183878, 0.176655321443735,
    0.17930227452284767, 0.18196065559952257, 0.18463049242679927, 0.18731181422380028,
    0.19000465167046499, 0.19270903690358915, 0.19542500351413428, 0.19815258654577514,
    0.2008918224946566, 0.20364274931033488, 0.20640540639788074, 0.20917983462112502,
    0.21196607630703018, 0.2147641752511736, 0.21757417672433116, 0.22039612748015197,
    0.22323007576391746, 0.22607607132238022, 0.22893416541468026, 0.2318044108243386,
    0.23468686187232993, 0.23758157443123798, 0.24048860594050042, 0.24340801542275015,
    0.24633986350126366, 0.24928421241852827, 0.25224112605594196, 0.2552106699546617,
    0.25819291133761896, 0.2611879191327209, 0.2641957639972608, 0.26721651834356114,
    0.27025025636587524, 0.2732970540685769, 0.2763569892956681, 0.2794301417616378,
    0.28251659308370747, 0.2856164268155016, 0.28872972848218276, 0.29185658561709504,
    0.2949970877999617, 0.29815132669668537, 0.30131939610080294, 0.3045013919766498,
    0.30769741250429195, 0.31090755812628634, 0.3141319315963371, 0.3173706380299135,
    0.32062378495690536, 0.3238914823763911, 0.32717384281360135, 0.3304709813791634,
    0.3337830158307183, 0.33711006663700593, 0.3404522570445217, 0.3438097131468506,
    0.34718256395679353, 0.35057094148140594, 0.3539749808000766, 0.3573948201457803,
    0.3608306009896478, 0.3642824681290038, 0.3677505697790323, 0.3712350576682393,
    0.3747360871378909, 0.37825381724561896, 0.38178841087339344, 0.3853400348400771,
    0.3889088600187886, 0.3924950614593154, 0.39609881851583223, 0.39972031498019706,
    0.40335973922111434, 0.4070172843294732, 0.41069314827018805, 0.41438753404089096,
    0.418100649837848, 0.4218327092294958, 0.42558393133802186, 0.4293545410294413,
    0.43314476911265215, 0.4369548525479854, 0.4407850346658038, 0.4446355653957392,
    0.4485067015072028, 0.4523987068618483, 0.45631185267871616, 0.46024641781284253,
    0.464202689048174, 0.46818096140569326, 0.4721815384677298, 0.47620473271950553,
    0.4802508659090465, 0.48432026942668294, 0.48841328470545764, 0.4925302636438682,
    0.4966715690524894, 0.5008375751261485, 0.5050286679434679, 0.5092452459957476,
    0.5134877207473266, 0.5177565172297559, 0.5220520746723215, 0.526374847171684,
    0.5307253044036616, 0.5351039323804572, 0.5395112342569517, 0.5439477311900258,
    0.5484139632552655, 0.552910490425832, 0.5574378936187656, 0.561996775814524, 0.566587763256164,
    0.5712115067352528, 0.5758686829723533, 0.5805599961007905, 0.5852861792633709,
    0.5900479963328256, 0.594846243767987, 0.5996817526191249, 0.6045553906974674,
    0.6094680649257731, 0.6144207238889136, 0.6194143606058341, 0.6244500155470262,
    0.6295287799248364, 0.6346517992876233, 0.6398202774530563, 0.6450354808208221,
    0.6502987431108165, 0.655611470579697, 0.6609751477766629, 0.6663913439087499,
    0.6718617198970818, 0.6773880362187731, 0.6829721616449944, 0.6886160830046714,
    0.6943219161261164, 0.7000919181365113, 0.7059285013327539, 0.7118342488782481,
    0.7178119326307216, 0.7238645334686298, 0.7299952645614758, 0.7362075981268623,
    0.7425052963401507, 0.7488924472191565, 0.7553735065070958, 0.7619533468367949,
    0.7686373157984858, 0.7754313049811867, 0.7823418326548021, 0.7893761435660241,
    0.7965423304229586, 0.8038494831709639, 0.8113078743126559, 0.818929191603702,
    0.826726833946221, 0.8347162929868832, 0.842915653112204, 0.8513462584586777,
    0.8600336211963312, 0.8690086880368567, 0.8783096558089171, 0.887984660755833,
    0.8980959218983431, 0.9087264400521305, 0.9199915050393467, 0.9320600759592301,
    0.9451989534422993, 0.9598790918001063, 0.9771017012676713, 1.0
};

/* A draw from f restricted to x > R (Marsaglia 1964): exponential proposals
   accepted with probability exp(-x^2/2), exact for any R. */
static double lmm__normal_tail(lmm_rng *r, double R)
{
    double x, y;
    do {
        x = -log(1.0 - lmm_rng_uniform(r)) / R;     /* 1 - u lies in (0, 1] */
        y = -log(1.0 - lmm_rng_uniform(r));
    } while (2.0 * y < x * x);
    return R + x;
}

LMM_API double lmm_rng_normal(lmm_rng *r)
{
    for (;;) {
        /* disjoint bits of one word: layer (0-7), sign (8), abscissa (11-63) */
        uint64_t bits = lmm_rng_next(r);
        int layer = (int)(bits & 255);
        double sign = (bits >> 8 & 1) ? -1.0 : 1.0;
        double x = (double)(bits >> 11) * LMM__TWO_POW_M53 * lmm__zig_x[layer];
        double y;
        if (x < lmm__zig_x[layer + 1]) return sign * x;     /* inside the core */
        if (layer == 0) return sign * lmm__normal_tail(r, lmm__zig_x[1]);
        /* the sliver between the core and the box edge: test under the curve */
        y = lmm__zig_f[layer] + lmm_rng_uniform(r) * (lmm__zig_f[layer + 1] - lmm__zig_f[layer]);
        if (y < exp(-0.5 * x * x)) return sign * x;
    }
}

/* High and low words of the 128-bit product a * b from 32-bit halves. */
static uint64_t lmm__mul64_hi(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = a * b;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

LMM_API uint64_t lmm_rng_below(lmm_rng *r, uint64_t n)
{
    /* Lemire (2019): the high word of x * n is in [0, n); rejecting the
       (2^64 mod n) low words below that threshold leaves each result with
       exactly floor(2^64 / n) preimages. The division runs only rarely. */
    uint64_t lo, hi;
    if (n == 0) return 0;
    hi = lmm__mul64_hi(lmm_rng_next(r), n, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold) hi = lmm__mul64_hi(lmm_rng_next(r), n, &lo);
    }
    return hi;
}

/* ======================================================================== */
/* Dense linear algebra                                            @linalg */
/* ======================================================================== */
#ifdef LMM_USE_CBLAS
#include <cblas.h>
#endif

LMM_API int lmm_chol(int n, double *a, int lda)
{
    int j, k, i;
    for (j = 0; j < n; j++) {
        double *cj = a + (size_t)j * lda, d = cj[j];
        for (k = 0; k < j; k++) d -= a[(size_t)k * lda + j] * a[(size_t)k * lda + j];
        if (!(d > 0.0)) return j + 1;
        d = sqrt(d);
        cj[j] = d;
        /* column j below the diagonal: (a[i,j] - sum_k L[i,k] L[j,k]) / d */
        for (k = 0; k < j; k++) {
            const double *ck = a + (size_t)k * lda;
            double ljk = ck[j];
            if (ljk == 0.0) continue;
            /* four at a time, loads ahead of stores: -O2 compilers vectorise it, the rounding is the same */
            for (i = j + 1; i + 4 <= n; i += 4) {
                double c0 = cj[i] - ck[i] * ljk, c1 = cj[i + 1] - ck[i + 1] * ljk;
                double c2 = cj[i + 2] - ck[i + 2] * ljk, c3 = cj[i + 3] - ck[i + 3] * ljk;
                cj[i] = c0; cj[i + 1] = c1; cj[i + 2] = c2; cj[i + 3] = c3;
            }
            for (; i < n; i++) cj[i] -= ck[i] * ljk;
        }
        for (i = j + 1; i < n; i++) cj[i] /= d;
    }
    return 0;
}

LMM_API void lmm_trsv_lower(int n, const double *L, int lda, double *b, int trans)
{
    int i, k;
    if (!trans) {
        for (k = 0; k < n; k++) {
            const double *ck = L + (size_t)k * lda;
            double v = b[k] / ck[k];
            b[k] = v;
            if (v != 0.0) for (i = k + 1; i < n; i++) b[i] -= ck[i] * v;
        }
    } else {
        for (k = n - 1; k >= 0; k--) {
            const double *ck = L + (size_t)k * lda;
            double v = b[k];
            for (i = k + 1; i < n; i++) v -= ck[i] * b[i];
            b[k] = v / ck[k];
        }
    }
}

/* Dot product in the reference BLAS order (remainder first, then groups of
   five), so sums of squares round as R's lm/aov do; x[0] is replaced by x0. */
static double lmm__ddot_ref(int n, double x0, const double *x, const double *y)
{
    int m = n % 5, i;
    double t = 0.0;
#define LMM__X(i) ((i) == 0 ? x0 : x[i])
    for (i = 0; i < m; i++) t += LMM__X(i) * y[i];
    for (i = m; i < n; i += 5)
        t = t + LMM__X(i) * y[i] + x[i + 1] * y[i + 1] + x[i + 2] * y[i + 2] + x[i + 3] * y[i + 3] + x[i + 4] * y[i + 4];
#undef LMM__X
    return t;
}

/* LINPACK's Householder scheme (as R's dqrdc2, without pivoting): the column
   is scaled by its signed norm, 1 is added to its head, which becomes tau. */
LMM_API void lmm_qr(int m, int n, double *a, int lda, double *tau)
{
    int j, i, k;
    for (j = 0; j < n; j++) {
        double *cj = a + (size_t)j * lda, norm = 0.0, scale = 0.0, inv;
        tau[j] = 0.0;
        if (j == m - 1) break;
        for (i = j; i < m; i++) if (fabs(cj[i]) > scale) scale = fabs(cj[i]);
        if (scale == 0.0) continue;
        if (scale > 1e150 || scale < 1e-150) {
            for (i = j; i < m; i++) { double t = cj[i] / scale; norm += t * t; }
            norm = scale * sqrt(norm);
        } else {
            for (i = j; i < m; i++) norm += cj[i] * cj[i];
            norm = sqrt(norm);
        }
        if (cj[j] != 0.0) norm = cj[j] < 0 ? -norm : norm;
        inv = 1.0 / norm;
        for (i = j; i < m; i++) cj[i] *= inv;
        cj[j] += 1.0;
        for (k = j + 1; k < n; k++) {
            double *ck = a + (size_t)k * lda;
            double t = -lmm__ddot_ref(m - j, cj[j], cj + j, ck + j) / cj[j];
            for (i = j; i < m; i++) ck[i] += t * cj[i];
        }
        tau[j] = cj[j];
        cj[j] = -norm;
    }
}

LMM_API void lmm_qr_qtv(int m, int n, const double *a, int lda, const double *tau, double *b)
{
    int j, i;
    for (j = 0; j < n && j < m - 1; j++) {
        const double *cj = a + (size_t)j * lda;
        double t;
        if (tau[j] == 0.0) continue;
        t = -lmm__ddot_ref(m - j, tau[j], cj + j, b + j) / tau[j];
        b[j] += t * tau[j];
        for (i = j + 1; i < m; i++) b[i] += t * cj[i];
    }
}

/* c (m x n, ldc) -= a (m x k, lda) * b' where b is n x k (ldb); the dense
   kernel of the Schur complement. Only the lower triangle if lower_only. */
static void lmm__gemm_nt_sub(int m, int n, int k, const double *a, int lda,
                             const double *b, int ldb, double *c, int ldc, int lower_only)
{
#ifdef LMM_USE_CBLAS
    if (!lower_only || m != n)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasTrans, m, n, k, -1.0, a, lda, b, ldb, 1.0, c, ldc);
    else
        cblas_dsyrk(CblasColMajor, CblasLower, CblasNoTrans, n, k, -1.0, a, lda, 1.0, c, ldc);
    (void)b; (void)ldb;
#else
    int i, j, l;
    for (l = 0; l < k; l++) {
        const double *al = a + (size_t)l * lda, *bl = b + (size_t)l * ldb;
        for (j = 0; j < n; j++) {
            double bj = bl[j];
            double *cj = c + (size_t)j * ldc;
            if (bj == 0.0) continue;
            for (i = lower_only ? j : 0; i < m; i++) cj[i] -= al[i] * bj;
        }
    }
#endif
}

/* ---- kernels of the mixed-model factor ------------------------------------ */
/* Blocked Cholesky and its register tile, triangular inverse, dot, axpy, symmetric eigenvalues. */

/* Panel width of the blocked Cholesky and the register tile of its update. */
#define LMM__NB 64
#define LMM__MR 8
#define LMM__NR 4

/* c + a b: fused where the target has it (one rounding, and one instruction);
   LMM_NO_FMA keeps the separate product and sum. */
#if defined(__FMA__) && !defined(LMM_NO_FMA)
#define LMM__MADD(a, b, c) fma(a, b, c)
#else
#define LMM__MADD(a, b, c) ((c) + (a) * (b))
#endif

/* c (m x n, ldc; lower part only when diag) -= panel rows [i0, i0+m) times rows
   [j0, j0+n)', for a panel packed in MR-row slabs (pk: slab s, step l, row s*MR + i
   at pk[(s * kb + l) * MR + i]). The 8 x 4 products are named scalars so that
   compilers keep them in registers (and vectorise them) at -O2; each of the
   four b columns read through its own pointer, so that gcc broadcasts it
   from memory (one load) instead of loading the four as a vector and
   permuting it (three shuffles a step: the step's bottleneck, 1.3x slower). */
static void lmm__tile_acc(const double *pk, int kb, int i0, int j0, double acc[LMM__NR][LMM__MR])
{
    const double *a = pk + (size_t)(i0 / LMM__MR) * kb * LMM__MR;
    const double *b0 = pk + (size_t)(j0 / LMM__MR) * kb * LMM__MR + j0 % LMM__MR, *b1 = b0 + 1, *b2 = b0 + 2, *b3 = b0 + 3;
    int l;
#define LMM__ACC4(y) double c0##y = 0, c1##y = 0, c2##y = 0, c3##y = 0, c4##y = 0, c5##y = 0, c6##y = 0, c7##y = 0
    LMM__ACC4(0); LMM__ACC4(1); LMM__ACC4(2); LMM__ACC4(3);
#undef LMM__ACC4
#define LMM__FMA8(y) do { double by = *b##y; c0##y = LMM__MADD(a0, by, c0##y); c1##y = LMM__MADD(a1, by, c1##y); \
                          c2##y = LMM__MADD(a2, by, c2##y); c3##y = LMM__MADD(a3, by, c3##y); c4##y = LMM__MADD(a4, by, c4##y); \
                          c5##y = LMM__MADD(a5, by, c5##y); c6##y = LMM__MADD(a6, by, c6##y); c7##y = LMM__MADD(a7, by, c7##y); } while (0)
    for (l = 0; l < kb; l++) {
        double a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
        LMM__FMA8(0); LMM__FMA8(1); LMM__FMA8(2); LMM__FMA8(3);
        a += LMM__MR; b0 += LMM__MR; b1 += LMM__MR; b2 += LMM__MR; b3 += LMM__MR;
    }
#undef LMM__FMA8
#define LMM__PUT(y) do { acc[y][0] = c0##y; acc[y][1] = c1##y; acc[y][2] = c2##y; acc[y][3] = c3##y; \
                         acc[y][4] = c4##y; acc[y][5] = c5##y; acc[y][6] = c6##y; acc[y][7] = c7##y; } while (0)
    LMM__PUT(0); LMM__PUT(1); LMM__PUT(2); LMM__PUT(3);
#undef LMM__PUT
}

static void lmm__syrk_tile(const double *pk, int kb, int i0, int j0, int m, int n, double *c, int ldc, int diag)
{
    double acc[LMM__NR][LMM__MR];
    int x, y;
    lmm__tile_acc(pk, kb, i0, j0, acc);
    if (m == LMM__MR && n == LMM__NR && !diag) {
        for (y = 0; y < LMM__NR; y++)
            for (x = 0; x < LMM__MR; x++) c[x + (size_t)y * ldc] -= acc[y][x];
        return;
    }
    for (y = 0; y < n; y++)                      /* diag: rows from the diagonal down, no test per entry */
        for (x = diag && j0 + y - i0 > 0 ? j0 + y - i0 : 0; x < m; x++) c[x + (size_t)y * ldc] -= acc[y][x];
}

/* c -= the same panel product as lmm__syrk_tile, one rank-1 term at a time
   in step order (each product rounded, then subtracted): the rounding of a
   sequence of scattered rank-1 updates, at the tiles' speed. */
static void lmm__syrk_tile_seq(const double *pk, int kb, int i0, int j0, int m, int n, double *c, int ldc, int diag)
{
    const double *a = pk + (size_t)(i0 / LMM__MR) * kb * LMM__MR;
    const double *b = pk + (size_t)(j0 / LMM__MR) * kb * LMM__MR + j0 % LMM__MR;
    double acc[LMM__NR][LMM__MR];
    int x, y, l, full = m == LMM__MR && n == LMM__NR && !diag;
    for (y = 0; y < LMM__NR; y++)
        if (full) for (x = 0; x < LMM__MR; x++) acc[y][x] = c[x + (size_t)y * ldc];   /* whole columns: vector loads */
        else for (x = 0; x < LMM__MR; x++) acc[y][x] = x < m && y < n && (!diag || i0 + x >= j0 + y) ? c[x + (size_t)y * ldc] : 0.0;
    {
#define LMM__GET(y) double c0##y = acc[y][0], c1##y = acc[y][1], c2##y = acc[y][2], c3##y = acc[y][3], \
                           c4##y = acc[y][4], c5##y = acc[y][5], c6##y = acc[y][6], c7##y = acc[y][7]
        LMM__GET(0); LMM__GET(1); LMM__GET(2); LMM__GET(3);
#undef LMM__GET
        for (l = 0; l < kb; l++, a += LMM__MR, b += LMM__MR) {
            double a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
#define LMM__SUB8(y) do { double by = b[y]; c0##y -= a0 * by; c1##y -= a1 * by; c2##y -= a2 * by; c3##y -= a3 * by; \
                          c4##y -= a4 * by; c5##y -= a5 * by; c6##y -= a6 * by; c7##y -= a7 * by; } while (0)
            LMM__SUB8(0); LMM__SUB8(1); LMM__SUB8(2); LMM__SUB8(3);
#undef LMM__SUB8
        }
#define LMM__PUT(y) do { acc[y][0] = c0##y; acc[y][1] = c1##y; acc[y][2] = c2##y; acc[y][3] = c3##y; \
                         acc[y][4] = c4##y; acc[y][5] = c5##y; acc[y][6] = c6##y; acc[y][7] = c7##y; } while (0)
        LMM__PUT(0); LMM__PUT(1); LMM__PUT(2); LMM__PUT(3);
#undef LMM__PUT
    }
    if (full) {
        for (y = 0; y < LMM__NR; y++)
            for (x = 0; x < LMM__MR; x++) c[x + (size_t)y * ldc] = acc[y][x];
        return;
    }
    for (y = 0; y < n; y++)
        for (x = 0; x < m; x++)
            if (!diag || i0 + x >= j0 + y) c[x + (size_t)y * ldc] = acc[y][x];
}

/* c (m x n, ldc; only entries x - y >= lo: lo = -LMM__NR for all) += sum over
   the ne entries l of g[l gstep] u w' with u = va + e[2 l], w = vb + e[2 l + 1] (8 and 4
   values read, m and n of them used): a sum of weighted outer products gathered by index, 8 x 4 in
   named scalars as in lmm__tile_acc. gstep 0: one weight for all. assign: c = the sum instead (c not read). */
static void lmm__gather_tile_add(const double *va, const double *vb, const double *g, int gstep, const int *e, int ne, int m, int n,
                                 double *c, int ldc, int lo, int assign)
{
    double acc[LMM__NR][LMM__MR];
    int x, y, l;
#define LMM__ACC4(y) double c0##y = 0, c1##y = 0, c2##y = 0, c3##y = 0, c4##y = 0, c5##y = 0, c6##y = 0, c7##y = 0
    LMM__ACC4(0); LMM__ACC4(1); LMM__ACC4(2); LMM__ACC4(3);
#undef LMM__ACC4
    for (l = 0; l < ne; l++, e += 2, g += gstep) {
        const double *a = va + e[0], *b = vb + e[1];
        double gl = *g, a0 = gl * a[0], a1 = gl * a[1], a2 = gl * a[2], a3 = gl * a[3], a4 = gl * a[4], a5 = gl * a[5],
               a6 = gl * a[6], a7 = gl * a[7];
#define LMM__FMA8(y) do { double by = b[y]; c0##y = LMM__MADD(a0, by, c0##y); c1##y = LMM__MADD(a1, by, c1##y); \
                          c2##y = LMM__MADD(a2, by, c2##y); c3##y = LMM__MADD(a3, by, c3##y); c4##y = LMM__MADD(a4, by, c4##y); \
                          c5##y = LMM__MADD(a5, by, c5##y); c6##y = LMM__MADD(a6, by, c6##y); c7##y = LMM__MADD(a7, by, c7##y); } while (0)
        LMM__FMA8(0); LMM__FMA8(1); LMM__FMA8(2); LMM__FMA8(3);
#undef LMM__FMA8
    }
#define LMM__PUT(y) do { acc[y][0] = c0##y; acc[y][1] = c1##y; acc[y][2] = c2##y; acc[y][3] = c3##y; \
                         acc[y][4] = c4##y; acc[y][5] = c5##y; acc[y][6] = c6##y; acc[y][7] = c7##y; } while (0)
    LMM__PUT(0); LMM__PUT(1); LMM__PUT(2); LMM__PUT(3);
#undef LMM__PUT
    if (m == LMM__MR && n == LMM__NR && lo <= 1 - LMM__NR) {
        for (y = 0; y < LMM__NR; y++)
            if (assign) for (x = 0; x < LMM__MR; x++) c[x + (size_t)y * ldc] = acc[y][x];
            else for (x = 0; x < LMM__MR; x++) c[x + (size_t)y * ldc] += acc[y][x];
        return;
    }
    for (y = 0; y < n; y++)
        for (x = 0; x < m; x++)
            if (x - y >= lo) c[x + (size_t)y * ldc] = assign ? acc[y][x] : c[x + (size_t)y * ldc] + acc[y][x];
}

/* lmm__syrk_tile's product subtracted from scattered places: row i0 + x of
   column y (y0 <= y < n) at dst[colpos[y] + rowpos[i0 + x]] (a supernode's
   update to a later one). Eight rows that land on eight consecutive places
   (rowpos ascending: the target's dense tail) are written as whole vectors. */
static void lmm__syrk_tile_to(const double *pk, int kb, int i0, int j0, int m, int y0, int n, double *dst,
                              const int *rowpos, const size_t *colpos, int diag)
{
    double acc[LMM__NR][LMM__MR];
    int x, y;
    lmm__tile_acc(pk, kb, i0, j0, acc);
    if (!diag && m == LMM__MR && LMM__MR == 8 && rowpos[i0 + 7] - rowpos[i0] == 7) {
        for (y = y0; y < n; y++) {   /* loads ahead of the stores: vectorised */
            double *cy = dst + colpos[y] + rowpos[i0];
            double s0 = cy[0] - acc[y][0], s1 = cy[1] - acc[y][1], s2 = cy[2] - acc[y][2], s3 = cy[3] - acc[y][3];
            double s4 = cy[4] - acc[y][4], s5 = cy[5] - acc[y][5], s6 = cy[6] - acc[y][6], s7 = cy[7] - acc[y][7];
            cy[0] = s0; cy[1] = s1; cy[2] = s2; cy[3] = s3; cy[4] = s4; cy[5] = s5; cy[6] = s6; cy[7] = s7;
        }
        return;
    }
    if (!diag && m == LMM__MR && LMM__MR == 8) {   /* the eight places held in registers for the columns */
        const int *rp = rowpos + i0;
        int r0 = rp[0], r1 = rp[1], r2 = rp[2], r3 = rp[3], r4 = rp[4], r5 = rp[5], r6 = rp[6], r7 = rp[7];
        for (y = y0; y < n; y++) {
            double *cy = dst + colpos[y];
            cy[r0] -= acc[y][0]; cy[r1] -= acc[y][1]; cy[r2] -= acc[y][2]; cy[r3] -= acc[y][3];
            cy[r4] -= acc[y][4]; cy[r5] -= acc[y][5]; cy[r6] -= acc[y][6]; cy[r7] -= acc[y][7];
        }
        return;
    }
    for (y = y0; y < n; y++) {
        double *cy = dst + colpos[y];
        const int *rp = rowpos + i0;
        if (diag) {
            for (x = 0; x < m; x++) if (i0 + x >= j0 + y) cy[rp[x]] -= acc[y][x];
        } else {
            for (x = 0; x < m; x++) cy[rp[x]] -= acc[y][x];
        }
    }
}

/* Rows below a factored kb x kb diagonal block d: pan (m2 x kb, lda) <- pan
   d^{-T}, solved slab by slab of MR rows straight into the packed copy
   (zero-padded; slab s, step l, row s*MR + i at pack[(s * kb + l) * MR + i]),
   which stays in L1 while it is solved. Rows i .. i + 2 MR (or to m2). */
static void lmm__panel_solve_two(int kb, const double *d, int lda, double *pan, int m2, double *pack, int i)
{
    double *slab = pack + (size_t)(i / LMM__MR) * kb * LMM__MR, *slab2 = slab + (size_t)kb * LMM__MR;
    int rows = m2 - i < 2 * LMM__MR ? m2 - i : 2 * LMM__MR, x, y, l;
    for (x = 0; x < kb; x++) {
        double v[2 * LMM__MR], inv = 1.0 / d[x + (size_t)x * lda];
        const double *src = pan + (size_t)x * lda + i;
        if (rows == 2 * LMM__MR) for (y = 0; y < 2 * LMM__MR; y++) v[y] = src[y];   /* full slabs: vector copies */
        else for (y = 0; y < 2 * LMM__MR; y++) v[y] = y < rows ? src[y] : 0.0;
        if (rows > LMM__MR)
            for (l = 0; l < x; l++) {
                const double *sl = slab + (size_t)l * LMM__MR, *sl2 = slab2 + (size_t)l * LMM__MR;
                double f = d[x + (size_t)l * lda];
                for (y = 0; y < LMM__MR; y++) v[y] = LMM__MADD(-sl[y], f, v[y]);   /* fused where FMA is */
                for (y = 0; y < LMM__MR; y++) v[LMM__MR + y] = LMM__MADD(-sl2[y], f, v[LMM__MR + y]);
            }
        else
            for (l = 0; l < x; l++) {
                const double *sl = slab + (size_t)l * LMM__MR;
                double f = d[x + (size_t)l * lda];
                for (y = 0; y < LMM__MR; y++) v[y] = LMM__MADD(-sl[y], f, v[y]);
            }
        for (y = 0; y < LMM__MR; y++) slab[(size_t)x * LMM__MR + y] = v[y] * inv;
        if (rows > LMM__MR) for (y = 0; y < LMM__MR; y++) slab2[(size_t)x * LMM__MR + y] = v[LMM__MR + y] * inv;
    }
    for (x = 0; x < kb; x++) {
        const double *sx = slab + (size_t)x * LMM__MR, *sx2 = slab2 + (size_t)x * LMM__MR;
        double *px = pan + (size_t)x * lda + i;
        if (rows == 2 * LMM__MR && LMM__MR == 8) {   /* named loads ahead of the stores: vectorised though pan and slab are both double * */
            double s0 = sx[0], s1 = sx[1], s2 = sx[2], s3 = sx[3], s4 = sx[4], s5 = sx[5], s6 = sx[6], s7 = sx[7];
            double t0 = sx2[0], t1 = sx2[1], t2 = sx2[2], t3 = sx2[3], t4 = sx2[4], t5 = sx2[5], t6 = sx2[6], t7 = sx2[7];
            px[0] = s0; px[1] = s1; px[2] = s2; px[3] = s3; px[4] = s4; px[5] = s5; px[6] = s6; px[7] = s7;
            px[8] = t0; px[9] = t1; px[10] = t2; px[11] = t3; px[12] = t4; px[13] = t5; px[14] = t6; px[15] = t7;
        } else for (y = 0; y < rows; y++) px[y] = y < LMM__MR ? sx[y] : sx2[y - LMM__MR];
    }
}

/* lmm__panel_solve_two for four whole slabs (rows i .. i + 4 MR): eight
   independent update chains, as many as FMA latency times its throughput
   asks for; each row's operations and order as there. */
static void lmm__panel_solve_four(int kb, const double *d, int lda, double *pan, double *pack, int i)
{
    double *s0 = pack + (size_t)(i / LMM__MR) * kb * LMM__MR;
    const size_t sk = (size_t)kb * LMM__MR;   /* one slab */
    int x, y, l;
    for (x = 0; x < kb; x++) {
        double v0[LMM__MR], v1[LMM__MR], v2[LMM__MR], v3[LMM__MR], inv = 1.0 / d[x + (size_t)x * lda];
        double *px = pan + (size_t)x * lda + i, *o = s0 + (size_t)x * LMM__MR;
        for (y = 0; y < LMM__MR; y++) { v0[y] = px[y]; v1[y] = px[LMM__MR + y]; v2[y] = px[2 * LMM__MR + y]; v3[y] = px[3 * LMM__MR + y]; }
        for (l = 0; l < x; l++) {
            const double *a0 = s0 + (size_t)l * LMM__MR;
            double f = d[x + (size_t)l * lda];
            for (y = 0; y < LMM__MR; y++) v0[y] = LMM__MADD(-a0[y], f, v0[y]);
            for (y = 0; y < LMM__MR; y++) v1[y] = LMM__MADD(-a0[sk + y], f, v1[y]);
            for (y = 0; y < LMM__MR; y++) v2[y] = LMM__MADD(-a0[2 * sk + y], f, v2[y]);
            for (y = 0; y < LMM__MR; y++) v3[y] = LMM__MADD(-a0[3 * sk + y], f, v3[y]);
        }
        for (y = 0; y < LMM__MR; y++) { v0[y] *= inv; v1[y] *= inv; v2[y] *= inv; v3[y] *= inv; }
        for (y = 0; y < LMM__MR; y++) o[y] = v0[y];              /* the packed slabs and the panel itself, whole vectors each */
        for (y = 0; y < LMM__MR; y++) o[sk + y] = v1[y];
        for (y = 0; y < LMM__MR; y++) o[2 * sk + y] = v2[y];
        for (y = 0; y < LMM__MR; y++) o[3 * sk + y] = v3[y];
        for (y = 0; y < LMM__MR; y++) px[y] = v0[y];
        for (y = 0; y < LMM__MR; y++) px[LMM__MR + y] = v1[y];
        for (y = 0; y < LMM__MR; y++) px[2 * LMM__MR + y] = v2[y];
        for (y = 0; y < LMM__MR; y++) px[3 * LMM__MR + y] = v3[y];
    }
}

static void lmm__panel_solve_pack(int kb, const double *d, int lda, double *pan, int m2, double *pack)
{
    int i;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (m2 >= 256)
#endif
    for (i = 0; i < m2; i += 4 * LMM__MR) {     /* four slabs at once where whole, then two */
        int i2;
        if (m2 - i >= 4 * LMM__MR) lmm__panel_solve_four(kb, d, lda, pan, pack, i);
        else for (i2 = i; i2 < m2; i2 += 2 * LMM__MR) lmm__panel_solve_two(kb, d, lda, pan, m2, pack, i2);
    }
}

#ifndef LMM_USE_CBLAS
/* In-place lower Cholesky of a block that fits in the first-level cache (the
   diagonal blocks of lmm__chol_blocked on request), right-looking by panels of four
   columns: each later column takes the panel's four terms in one pass, two
   columns a pass so that the panel's loads serve both, every load ahead of the
   stores so that -O2 compilers vectorise it (lmm_chol's column-by-column dot
   products do not). Each entry subtracts its terms in column order, fused where
   FMA is. Returns 0, or k+1 when the leading minor of order k+1 is not positive
   definite. */
static int lmm__chol_small(int n, double *a, int lda)
{
    int j0, c, c2, k, i;
    for (j0 = 0; j0 < n; j0 += 4) {
        int jb = n - j0 < 4 ? n - j0 : 4;
        const double *p0 = a + (size_t)j0 * lda, *p1 = p0 + lda, *p2 = p1 + lda, *p3 = p2 + lda;
        for (c = j0; c < j0 + jb; c++) {         /* the panel itself, column by column */
            double *cc = a + (size_t)c * lda, d = cc[c];
            if (!(d > 0.0)) return c + 1;
            d = sqrt(d);
            cc[c] = d;
            for (i = c + 1; i + 4 <= n; i += 4) {
                double x0 = cc[i] / d, x1 = cc[i + 1] / d, x2 = cc[i + 2] / d, x3 = cc[i + 3] / d;
                cc[i] = x0; cc[i + 1] = x1; cc[i + 2] = x2; cc[i + 3] = x3;
            }
            for (; i < n; i++) cc[i] /= d;
            for (c2 = c + 1; c2 < j0 + jb; c2++) {
                double *t = a + (size_t)c2 * lda, l = cc[c2];
                for (i = c2; i + 4 <= n; i += 4) {
                    double x0 = cc[i], x1 = cc[i + 1], x2 = cc[i + 2], x3 = cc[i + 3];
                    double y0 = t[i], y1 = t[i + 1], y2 = t[i + 2], y3 = t[i + 3];
                    t[i] = LMM__MADD(-x0, l, y0); t[i + 1] = LMM__MADD(-x1, l, y1);
                    t[i + 2] = LMM__MADD(-x2, l, y2); t[i + 3] = LMM__MADD(-x3, l, y3);
                }
                for (; i < n; i++) t[i] = LMM__MADD(-cc[i], l, t[i]);
            }
        }
        if (jb < 4) break;                       /* the last columns: nothing after them */
        for (k = j0 + 4; k < n; k += 2) {        /* columns k, k + 1 -= panel rows [k, n) times its rows k, k + 1 */
            double *t0 = a + (size_t)k * lda, *t1 = t0 + lda;
            double u0 = p0[k], u1 = p1[k], u2 = p2[k], u3 = p3[k], v0, v1, v2, v3;
            t0[k] = LMM__MADD(-p3[k], u3, LMM__MADD(-p2[k], u2, LMM__MADD(-p1[k], u1, LMM__MADD(-p0[k], u0, t0[k]))));
            if (k + 1 == n) break;
            v0 = p0[k + 1]; v1 = p1[k + 1]; v2 = p2[k + 1]; v3 = p3[k + 1];
#define LMM__DOT4(t, w0, w1, w2, w3, r) LMM__MADD(-x3##r, w3, LMM__MADD(-x2##r, w2, LMM__MADD(-x1##r, w1, LMM__MADD(-x0##r, w0, t))))
#define LMM__LOAD(r, i) double x0##r = p0[i], x1##r = p1[i], x2##r = p2[i], x3##r = p3[i], a##r = t0[i], b##r = t1[i]
            for (i = k + 1; i + 4 <= n; i += 4) {
                LMM__LOAD(0, i); LMM__LOAD(1, i + 1); LMM__LOAD(2, i + 2); LMM__LOAD(3, i + 3);
                a0 = LMM__DOT4(a0, u0, u1, u2, u3, 0); a1 = LMM__DOT4(a1, u0, u1, u2, u3, 1);
                a2 = LMM__DOT4(a2, u0, u1, u2, u3, 2); a3 = LMM__DOT4(a3, u0, u1, u2, u3, 3);
                b0 = LMM__DOT4(b0, v0, v1, v2, v3, 0); b1 = LMM__DOT4(b1, v0, v1, v2, v3, 1);
                b2 = LMM__DOT4(b2, v0, v1, v2, v3, 2); b3 = LMM__DOT4(b3, v0, v1, v2, v3, 3);
                t0[i] = a0; t0[i + 1] = a1; t0[i + 2] = a2; t0[i + 3] = a3;
                t1[i] = b0; t1[i + 1] = b1; t1[i + 2] = b2; t1[i + 3] = b3;
            }
            for (; i < n; i++) {
                LMM__LOAD(0, i);
                t0[i] = LMM__DOT4(a0, u0, u1, u2, u3, 0);
                t1[i] = LMM__DOT4(b0, v0, v1, v2, v3, 0);
            }
#undef LMM__LOAD
#undef LMM__DOT4
        }
    }
    return 0;
}
#endif

/* In-place lower Cholesky, right-looking by panels of LMM__NB columns: the
   trailing update (nearly all the work) runs on a packed panel in register
   tiles (or CBLAS's dtrsm/dsyrk). small_diag: the diagonal blocks by
   lmm__chol_small (plain build; at a hundred-odd rows, the class path's L22,
   lmm_chol's diagonal blocks were a third of the instructions); otherwise by
   lmm_chol, whose rounding the dense path's figures keep. pack holds
   (n + MR) * NB doubles. Returns 0, or k+1 when the leading minor of order k+1
   is not positive definite. */
static int lmm__chol_blocked(int n, double *a, int lda, double *pack, int small_diag)
{
    int k0, kb, info, nb = n >= 8 * LMM__NB ? LMM__NB : LMM__NB / 2;
#ifdef LMM_USE_CBLAS
#define LMM__CHOL_DIAG(k, d) lmm_chol(k, d, lda)
    (void)small_diag;
#else
#define LMM__CHOL_DIAG(k, d) (small_diag ? lmm__chol_small(k, d, lda) : lmm_chol(k, d, lda))
#endif
    if (n <= 48) return LMM__CHOL_DIAG(n, a);
    for (k0 = 0; k0 < n; k0 += kb) {
        int m2;
        double *d, *pan;
        kb = n - k0 < nb ? n - k0 : nb;
        if (k0 == 0 && n > nb) kb = nb - ((nb - n) % LMM__MR + LMM__MR) % LMM__MR;   /* n - kb whole slabs: no part-filled tiles after */
        m2 = n - k0 - kb;
        d = a + (size_t)k0 * lda + k0;
        pan = d + kb;
        if ((info = LMM__CHOL_DIAG(kb, d)) != 0) return k0 + info;
        if (m2 == 0) break;
#ifdef LMM_USE_CBLAS
        cblas_dtrsm(CblasColMajor, CblasRight, CblasLower, CblasTrans, CblasNonUnit, m2, kb, 1.0, d, lda, pan, lda);
        lmm__gemm_nt_sub(m2, m2, kb, pan, lda, pan, lda, pan + (size_t)kb * lda, lda, 1);   /* dsyrk */
        (void)pack;
#else
        (void)lmm__gemm_nt_sub;   /* the CBLAS path's update; here the packed kernel below */
        lmm__panel_solve_pack(kb, d, lda, pan, m2, pack);   /* panel = panel L11^{-T} */
        /* trailing lower triangle -= panel panel' (OpenMP: by tile columns,
           each output computed alike whatever the threads) */
        {
            double *c = pan + (size_t)kb * lda;
            int j0;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 2) if (m2 >= 192)
#endif
            for (j0 = 0; j0 < m2; j0 += LMM__NR) {
                int nn = m2 - j0 < LMM__NR ? m2 - j0 : LMM__NR, i0;
                for (i0 = j0 - j0 % LMM__MR; i0 < m2; i0 += LMM__MR) {
                    int mm = m2 - i0 < LMM__MR ? m2 - i0 : LMM__MR;
                    lmm__syrk_tile(pack, kb, i0, j0, mm, nn, c + (size_t)j0 * lda + i0, lda, i0 < j0 + LMM__NR);
                }
            }
        }
#endif
    }
#undef LMM__CHOL_DIAG
    return 0;
}

/* y[0..n) -= alpha x[0..n), four at a time with the loads ahead of the
   stores, so that -O2 compilers can pack them into vector instructions. */
static void lmm__axpy_sub(int n, double alpha, const double *x, double *y)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        double x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
        double y0 = y[i], y1 = y[i + 1], y2 = y[i + 2], y3 = y[i + 3];
        y[i] = y0 - alpha * x0; y[i + 1] = y1 - alpha * x1;
        y[i + 2] = y2 - alpha * x2; y[i + 3] = y3 - alpha * x3;
    }
    for (; i < n; i++) y[i] -= alpha * x[i];
}

/* x[0..n) *= alpha, four at a time as lmm__axpy_sub (gcc's -O2 cost model
   leaves the plain loop scalar). */
static void lmm__scal(int n, double alpha, double *x)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        double x0 = x[i] * alpha, x1 = x[i + 1] * alpha, x2 = x[i + 2] * alpha, x3 = x[i + 3] * alpha;
        x[i] = x0; x[i + 1] = x1; x[i + 2] = x2; x[i + 3] = x3;
    }
    for (; i < n; i++) x[i] *= alpha;
}

/* v <- T' v in place for a k x k lower-triangular T given as tt = T'
   (column b of tt is row b of T, zero below b): rows in blocks of four,
   each block a sum of tt's columns b >= its first row (held in registers,
   the zeros adding nothing), written back before the next block, which
   reads only later rows of v. Each entry's terms come in the order of the
   dot products sum_{b>=a} T[b,a] v_b (the same rounding). */
static void lmm__trmv_t(int k, const double *tt, double *v)
{
    int a0 = 0, b;
    for (; a0 + 4 <= k; a0 += 4) {
        double o0 = 0.0, o1 = 0.0, o2 = 0.0, o3 = 0.0;
        for (b = a0; b < k; b++) {
            const double *tb = tt + (size_t)b * k + a0;
            double vb = v[b];
            o0 += tb[0] * vb; o1 += tb[1] * vb; o2 += tb[2] * vb; o3 += tb[3] * vb;
        }
        v[a0] = o0; v[a0 + 1] = o1; v[a0 + 2] = o2; v[a0 + 3] = o3;
    }
    for (; a0 < k; a0++) {
        double o = 0.0;
        for (b = a0; b < k; b++) o += tt[(size_t)b * k + a0] * v[b];
        v[a0] = o;
    }
}

/* inv = L^{-1} (n x n, column-major, zero above the diagonal) for lower
   triangular L: forward substitution for eight unit columns at once, so that
   each column of L is read once per eight right-hand sides, not once per one. */
static void lmm__lower_inverse(int n, const double *L, int ld, double *inv)
{
    int j0, k, i, c;
    memset(inv, 0, (size_t)n * n * sizeof(double));
    for (j0 = 0; j0 < n; j0 += 8) {
        int nc = n - j0 < 8 ? n - j0 : 8;
        double *X = inv + (size_t)j0 * n;
        for (c = 0; c < nc; c++) X[(size_t)c * n + j0 + c] = 1.0;
        for (k = j0; k < n; k++) {
            const double *lk = L + (size_t)k * ld;
            double v[8], inv_kk = 1.0 / lk[k];
            for (c = 0; c < 8; c++) {
                v[c] = c < nc ? X[(size_t)c * n + k] * inv_kk : 0.0;
                if (c < nc) X[(size_t)c * n + k] = v[c];
            }
            if (nc == 8) {
                double *x0 = X, *x1 = X + n, *x2 = X + 2 * (size_t)n, *x3 = X + 3 * (size_t)n;
                double *x4 = X + 4 * (size_t)n, *x5 = X + 5 * (size_t)n, *x6 = X + 6 * (size_t)n, *x7 = X + 7 * (size_t)n;
                for (i = k + 1; i < n; i++) {
                    double l = lk[i];
                    x0[i] -= l * v[0]; x1[i] -= l * v[1]; x2[i] -= l * v[2]; x3[i] -= l * v[3];
                    x4[i] -= l * v[4]; x5[i] -= l * v[5]; x6[i] -= l * v[6]; x7[i] -= l * v[7];
                }
            } else {
                for (c = 0; c < nc; c++) {
                    double *xc = X + (size_t)c * n;
                    if (v[c] != 0.0) for (i = k + 1; i < n; i++) xc[i] -= lk[i] * v[c];
                }
            }
        }
    }
}

/* x'y with four running sums (independent chains for the FPU; -O2 does not
   reorder a floating-point reduction by itself). */
static double lmm__dot(int n, const double *x, const double *y)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) { s0 += x[i] * y[i]; s1 += x[i + 1] * y[i + 1]; s2 += x[i + 2] * y[i + 2]; s3 += x[i + 3] * y[i + 3]; }
    for (; i < n; i++) s0 += x[i] * y[i];
    return (s0 + s1) + (s2 + s3);
}

/* Eigenvalues of the symmetric n x n matrix a (destroyed) by cyclic Jacobi;
   vec (n x n, or NULL) gets the eigenvectors as columns, in ev's order. */
static void lmm__sym_eigen(int n, double *a, double *ev, double *vec)
{
    int sweep, p, q, k;
    if (vec) for (p = 0; p < n; p++) for (q = 0; q < n; q++) vec[p + q * n] = p == q ? 1.0 : 0.0;
    for (sweep = 0; sweep < 60; sweep++) {
        double off = 0;
        for (p = 0; p < n; p++) for (q = p + 1; q < n; q++) off += a[p + q * n] * a[p + q * n];
        if (off < 1e-30) break;
        for (p = 0; p < n; p++)
            for (q = p + 1; q < n; q++) {
                double apq = a[p + q * n], app, aqq, t, c, s, theta;
                if (apq == 0.0) continue;
                app = a[p + p * n]; aqq = a[q + q * n];
                theta = (aqq - app) / (2 * apq);
                t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                c = 1 / sqrt(t * t + 1); s = t * c;
                for (k = 0; k < n; k++) {   /* rotate rows/columns p and q */
                    double akp = a[k + p * n], akq = a[k + q * n];
                    a[k + p * n] = c * akp - s * akq; a[k + q * n] = s * akp + c * akq;
                }
                for (k = 0; k < n; k++) {
                    double apk = a[p + k * n], aqk = a[q + k * n];
                    a[p + k * n] = c * apk - s * aqk; a[q + k * n] = s * apk + c * aqk;
                }
                if (vec)
                    for (k = 0; k < n; k++) {
                        double vkp = vec[k + p * n], vkq = vec[k + q * n];
                        vec[k + p * n] = c * vkp - s * vkq; vec[k + q * n] = s * vkp + c * vkq;
                    }
            }
    }
    for (k = 0; k < n; k++) ev[k] = a[k + k * n];
}

/* ======================================================================== */
/* Probability distributions                                         @dist */
/* ======================================================================== */
/* Everything is computed as a pair of logs (lower and upper tail), each tail
   evaluated directly where it is small, so neither loses relative accuracy. */

#define LMM__LN_SQRT_2PI 0.918938533204672741780329736406 /* log(sqrt(2 pi)) */
#define LMM__LN_2PI 1.83787706640934548356065947281
#define LMM__EULER 0.577215664901532860606512090082
#define LMM__DIST_EPS 1e-16

static double lmm__nan(void) { return strtod("NAN", NULL); }
static double lmm__inf(void) { return HUGE_VAL; }

/* zeta(k) - 1 for k = 2..33: coefficients of the series of lgamma(2 + z). */
static const double lmm__zeta_m1[32] = {
    6.44934066848226406e-01, 2.02056903159594292e-01, 8.23232337111381857e-02,
    3.69277551433699266e-02, 1.73430619844491402e-02, 8.34927738192282713e-03,
    4.07735619794433960e-03, 2.00839282608221426e-03, 9.94575127818085256e-04,
    4.94188604119464529e-04, 2.46086553308048320e-04, 1.22713347578489145e-04,
    6.12481350587048277e-05, 3.05882363070204933e-05, 1.52822594086518710e-05,
    7.63719763789976257e-06, 3.81729326499984022e-06, 1.90821271655393897e-06,
    9.53962033872796212e-07, 4.76932986787806447e-07, 2.38450502727733004e-07,
    1.19219925965311064e-07, 5.96081890512594801e-08, 2.98035035146522793e-08,
    1.49015548283650427e-08, 7.45071178983543006e-09, 3.72533402478845728e-09,
    1.86265972351304914e-09, 9.31327432419668166e-10, 4.65662906503378366e-10,
    2.32831183367650534e-10, 1.16415501727005193e-10
};

/* lgamma(2 + z) for |z| <= 0.5 by its Taylor series; keeps relative accuracy
   near the zero at z = 0. */
static double lmm__lgamma2p(double z)
{
    double sum = 0.0, pw = -z; /* (-z)^(k-1) */
    int k;
    for (k = 2; k < 34; k++) {
        pw *= -z;
        sum += lmm__zeta_m1[k - 2] * pw / k;
    }
    return (1.0 - LMM__EULER) * z + sum;
}

/* lgamma(1 + a) for -0.5 <= a <= 1.5, accurate near a = 0 and a = 1. */
static double lmm__lgamma1p(double a)
{
    if (a < 0.5) return lmm__lgamma2p(a) - log1p(a);
    return lmm__lgamma2p(a - 1.0);
}

/* Stirling remainder lgamma(x) - ((x - 0.5) log x - x + log sqrt(2 pi)), x >= 10. */
static double lmm__stirlerr(double x)
{
    static const double c[8] = {
        1.0 / 12.0, -1.0 / 360.0, 1.0 / 1260.0, -1.0 / 1680.0, 1.0 / 1188.0,
        -691.0 / 360360.0, 1.0 / 156.0, -3617.0 / 122400.0
    };
    double r = 1.0 / x, r2 = r * r, s = 0.0;
    int i;
    for (i = 7; i >= 0; i--) s = s * r2 + c[i];
    return s * r;
}

LMM_API double lmm_lgamma(double x)
{
    double prod = 1.0;
    if (isnan(x) || x < 0.0) return lmm__nan();
    if (x == 0.0 || isinf(x)) return lmm__inf();
    if (x < 0.5) return lmm__lgamma2p(x) - log(x) - log1p(x);
    if (x < 1.5) return lmm__lgamma1p(x - 1.0);
    if (x < 2.5) return lmm__lgamma2p(x - 2.0);
    if (x < 10.0) {
        /* recur down into [1.5, 2.5): x - 1 is exact there */
        while (x >= 2.5) { x -= 1.0; prod *= x; }
        return lmm__lgamma2p(x - 2.0) + log(prod);
    }
    return (x - 0.5) * log(x) - x + LMM__LN_SQRT_2PI + lmm__stirlerr(x);
}

LMM_API double lmm_lbeta(double a, double b)
{
    double lo = a < b ? a : b, hi = a < b ? b : a, c;
    if (isnan(a) || isnan(b) || lo < 0.0) return lmm__nan();
    if (lo == 0.0) return lmm__inf();
    if (isinf(hi)) return -lmm__inf();
    c = lo + hi;
    if (hi < 10.0) return lmm_lgamma(lo) + lmm_lgamma(hi) - lmm_lgamma(c);
    if (lo < 10.0) /* lgamma(hi) - lgamma(c) by Stirling, without the big cancellation */
        return lmm_lgamma(lo) - (hi - 0.5) * log1p(lo / hi) - lo * log(c) + lo
               + lmm__stirlerr(hi) - lmm__stirlerr(c);
    return -(lo * log1p(hi / lo) + hi * log1p(lo / hi) + 0.5 * (log(lo) - log1p(lo / hi))
             - LMM__LN_SQRT_2PI + lmm__stirlerr(c) - lmm__stirlerr(lo) - lmm__stirlerr(hi));
}

/* log1p(u) - u without cancellation for small |u|. */
static double lmm__log1pmx(double u)
{
    double r, r2, term, sum;
    int k;
    if (!(fabs(u) < 0.5)) return log1p(u) - u;
    /* log1p(u) = 2 atanh(r) with r = u / (2 + u), and u - 2r = r u */
    r = u / (2.0 + u);
    r2 = r * r;
    term = r * r2;
    sum = 0.0;
    for (k = 3; k < 200; k += 2) {
        double t = term / k;
        sum += t;
        if (fabs(t) <= 1e-17 * fabs(sum)) break;
        term *= r2;
    }
    return 2.0 * sum - r * u;
}

/* log(1 - exp(l)) for l <= 0. */
static double lmm__log1mexp(double l)
{
    return l > -0.693147180559945309 ? log(-expm1(l)) : log1p(-exp(l));
}

/* ------------------------------------------------------------------------ */
/* Normal                                                                    */

/* exp(-t*t/2) with t*t split as hi^2 + (t-hi)(t+hi), hi a multiple of 1/16,
   so the rounding of t*t does not get amplified by exp in the far tail. */
static double lmm__exp_halfsq(double t)
{
    double hi = floor(fabs(t) * 16.0) / 16.0, lo = fabs(t) - hi;
    return exp(-0.5 * hi * hi) * exp(-0.5 * lo * (fabs(t) + hi));
}

/* sum_n t^(2n+1) / (1 3 5 ... (2n+1)), so that Phi(t) - 1/2 = phi(t) * this. */
static double lmm__norm_series(double t)
{
    double t2 = t * t, term = t, sum = t;
    int n;
    for (n = 1; n < 1000; n++) {
        term *= t2 / (2 * n + 1);
        sum += term;
        if (fabs(term) <= 1e-17 * fabs(sum)) break;
    }
    return sum;
}

/* Mills ratio Q(t)/phi(t) for t >= 1.5 by Laplace's continued fraction
   1/(t + 1/(t + 2/(t + 3/(t + ...)))) (modified Lentz). */
static double lmm__mills(double t)
{
    double f = t, c = t, d = 0.0;
    int n;
    if (t > 1e8) return 1.0 / t;
    for (n = 1; n < 5000; n++) {
        double del;
        d = t + n * d;
        d = 1.0 / d;
        c = t + n / c;
        del = c * d;
        f *= del;
        if (fabs(del - 1.0) < LMM__DIST_EPS) break;
    }
    return 1.0 / f;
}

/* Upper tail Q(t) = 1 - Phi(t) for t >= 0: its value, its log, and the log of
   the large complement Phi(t). */
static void lmm__norm_tails(double t, double *q, double *lq, double *lbig)
{
    if (t < 1.5) {
        double half = lmm__exp_halfsq(t) * lmm__norm_series(t) * 0.398942280401432677939946059934;
        *q = 0.5 - half;
        *lq = log(*q);
        *lbig = log1p(2.0 * half) - 0.693147180559945309;
    } else if (isinf(t)) {
        *q = 0.0; *lq = -lmm__inf(); *lbig = 0.0;
    } else {
        double r = lmm__mills(t);
        *q = lmm__exp_halfsq(t) * 0.398942280401432677939946059934 * r;
        *lq = -0.5 * t * t - LMM__LN_SQRT_2PI + log(r);
        *lbig = log1p(-*q);
    }
}

LMM_API double lmm_dnorm(double x, double mu, double sd, int log_p)
{
    double z;
    if (isnan(x) || isnan(mu) || isnan(sd) || !(sd > 0.0) || isinf(sd)) return lmm__nan();
    z = (x - mu) / sd;
    if (isnan(z)) return lmm__nan();
    if (log_p) return -0.5 * z * z - LMM__LN_SQRT_2PI - log(sd);
    if (isinf(z)) return 0.0;
    return lmm__exp_halfsq(z) * 0.398942280401432677939946059934 / sd;
}

LMM_API double lmm_pnorm(double x, double mu, double sd, int lower_tail, int log_p)
{
    double z, q, lq, lbig;
    int small_is_wanted;
    if (isnan(x) || isnan(mu) || isnan(sd) || !(sd > 0.0) || isinf(sd)) return lmm__nan();
    z = (x - mu) / sd;
    if (isnan(z)) return lmm__nan();
    lmm__norm_tails(fabs(z), &q, &lq, &lbig);
    /* the small tail is the upper one for z >= 0 */
    small_is_wanted = (z >= 0.0) != (lower_tail != 0);
    if (small_is_wanted) return log_p ? lq : q;
    return log_p ? lbig : 1.0 - q;
}

/* The log of the lower and upper tail probabilities named by (p, lower_tail,
   log_p); returns 0 when p is not a probability. */
static int lmm__p_tails(double p, int lower_tail, int log_p, double *ll, double *lu)
{
    double lg, lc;
    if (log_p) {
        if (!(p <= 0.0)) return 0;
        lg = p;
        lc = lmm__log1mexp(p);
    } else {
        if (!(p >= 0.0 && p <= 1.0)) return 0;
        lg = log(p);
        lc = log1p(-p);
    }
    if (lower_tail) { *ll = lg; *lu = lc; } else { *ll = lc; *lu = lg; }
    return 1;
}

/* Standard normal quantile from the log of a tail probability lt <= log(1/2):
   the t >= 0 with log Q(t) = lt. */
static double lmm__qnorm_tail(double lt)
{
    /* start from Abramowitz & Stegun 26.2.23, then Newton on the log tail,
       which converges monotonically because log Q is concave */
    double u = sqrt(-2.0 * lt), t;
    int it;
    if (lt < -1e20) {
        /* log Q(t) = -t^2/2 - log(t sqrt(2 pi)) up to O(t^-2) < 1e-20, and t^2 may overflow */
        t = u;
        for (it = 0; it < 3; it++) t = sqrt(-2.0 * (lt + log(t) + LMM__LN_SQRT_2PI));
        return t;
    }
    t = u - (2.515517 + 0.802853 * u + 0.010328 * u * u)
            / (1.0 + 1.432788 * u + 0.189269 * u * u + 0.001308 * u * u * u);
    if (t < 0.0) t = 0.0;
    for (it = 0; it < 100; it++) {
        double q, lq, lbig, step;
        lmm__norm_tails(t, &q, &lq, &lbig);
        /* g = log Q(t) - lt, g' = -phi(t)/Q(t) */
        step = (lq - lt) * exp(lq + 0.5 * t * t + LMM__LN_SQRT_2PI);
        t += step;
        if (fabs(step) <= 1e-15 * t) break;
    }
    return t;
}

/* Standard normal quantile of the lower-tail probability 1/2 + delta, |delta| <= 1/4:
   Newton on phi(z) S(z) = delta keeps full relative accuracy near 0. */
static double lmm__qnorm_center(double delta)
{
    double z = delta * 2.50662827463100050242;
    int it;
    for (it = 0; it < 100 && delta != 0.0; it++) {
        double phi = lmm__exp_halfsq(z) * 0.398942280401432677939946059934;
        double step = lmm__norm_series(z) - delta / phi;
        z -= step;
        if (fabs(step) <= 1e-16 * fabs(z)) break;
    }
    return z;
}

/* Standard normal quantile for the given lower/upper log tails. */
static double lmm__qnorm_std(double ll, double lu)
{
    double small = ll < lu ? ll : lu, sgn = ll < lu ? -1.0 : 1.0;
    if (small == -lmm__inf()) return sgn * lmm__inf();
    if (small > -1.386294361119890618) /* tail > 1/4 */
        return lmm__qnorm_center(ll < lu ? exp(ll) - 0.5 : 0.5 - exp(lu));
    return sgn * lmm__qnorm_tail(small);
}

LMM_API double lmm_qnorm(double p, double mu, double sd, int lower_tail, int log_p)
{
    double ll, lu, z;
    if (isnan(p) || isnan(mu) || isnan(sd) || !(sd > 0.0) || isinf(sd)) return lmm__nan();
    if (!lmm__p_tails(p, lower_tail, log_p, &ll, &lu)) return lmm__nan();
    if (!log_p && p >= 0.25 && p <= 0.75) /* p - 1/2 is exact here */
        z = lmm__qnorm_center(lower_tail ? p - 0.5 : 0.5 - p);
    else
        z = lmm__qnorm_std(ll, lu);
    return mu + sd * z;
}

/* ------------------------------------------------------------------------ */
/* Incomplete gamma                                                          */

/* log(x^a exp(-x) / Gamma(a)); Stirling form for large a avoids cancelling
   a log x - x against lgamma(a). */
static double lmm__gamma_prefix(double a, double x)
{
    double u = (x - a) / a;
    if (a < 10.0) return a * log(x) - x - lmm_lgamma(a);
    /* near the mode log1pmx keeps the cancellation exact; far from it,
       1 + u would be rounded, so take the log of x / a itself */
    return (fabs(u) < 0.5 ? a * lmm__log1pmx(u) : a * (log(x) - log(a)) - (x - a))
           + 0.5 * log(a) - LMM__LN_SQRT_2PI - lmm__stirlerr(a);
}

static int lmm__iter_cap(double size)
{
    double cap = 2000.0 + 50.0 * sqrt(size);
    return cap > 1e7 ? 10000000 : (int)cap;
}


/* log P(a, x) and log Q(a, x) for a >= 1e6, where the series and fraction need
   ~sqrt(a) terms and gather rounding error, by Temme's uniform expansion
   Q = Phi(-w) + phi(w) (C0(eta) + C1(eta) / a) / sqrt(a), w = eta sqrt(a),
   eta^2 / 2 = lambda - 1 - log(lambda), lambda = x / a; the next term is O(a^-2.5). */
static void lmm__gamma_temme(double a, double x, double *lp, double *lq)
{
    double d = (x - a) / a, lam = x / a, eta, w, c0, c1, corr, q, lqn, lbig, ratio;
    /* eta^2 / 2 = lambda - 1 - log(lambda); log1p(d) would amplify the rounding of d near -1 */
    eta = sqrt(2.0 * (fabs(d) < 0.5 ? -lmm__log1pmx(d) : (lam - 1.0) - log(lam)));
    if (d < 0.0) eta = -eta;
    w = eta * sqrt(a);
    if (fabs(eta) < 1e-3) { /* Taylor series: the closed forms cancel near eta = 0 */
        c0 = -1.0 / 3.0 + eta * (1.0 / 12.0 + eta * (-2.0 / 135.0 + eta / 864.0));
        c1 = -1.0 / 540.0 + eta * (-1.0 / 288.0 + eta / 378.0);
    } else {
        c0 = 1.0 / d - 1.0 / eta;
        c1 = 1.0 / (eta * eta * eta) - 1.0 / (d * d * d) - 1.0 / (d * d) - 1.0 / (12.0 * d);
    }
    corr = (c0 + c1 / a) / sqrt(a);
    lmm__norm_tails(fabs(w), &q, &lqn, &lbig);
    /* phi(w) / Phi(-|w|), the inverse Mills ratio (about |w| far out) */
    ratio = fabs(w) > 1e8 ? fabs(w) : exp(-0.5 * w * w - LMM__LN_SQRT_2PI - lqn);
    if (w >= 0.0) { *lq = lqn + log1p(ratio * corr); *lp = lmm__log1mexp(*lq); }
    else { *lp = lqn + log1p(-ratio * corr); *lq = lmm__log1mexp(*lp); }
}

/* log P(a, x) and log Q(a, x), the regularized lower and upper incomplete
   gamma functions, for a > 0 and x >= 0. */
static void lmm__gamma_tails(double a, double x, double *lp, double *lq)
{
    int n, cap = lmm__iter_cap(a + x);
    if (x <= 0.0) { *lp = -lmm__inf(); *lq = 0.0; return; }
    if (isinf(x)) { *lp = 0.0; *lq = -lmm__inf(); return; }
    if (a >= 1e6) { lmm__gamma_temme(a, x, lp, lq); return; } /* within 2e-14 there */
    if (x < a + 1.0 || (a < 1.0 && x < 1.1)) {
        /* P by its positive series: x^a e^-x / Gamma(a+1) sum x^n / ((a+1)...(a+n)) */
        double term = 1.0, sum = 1.0;
        for (n = 1; n < cap; n++) {
            term *= x / (a + n);
            sum += term;
            if (term <= LMM__DIST_EPS * sum) break;
        }
        *lp = lmm__gamma_prefix(a, x) - log(a) + log(sum);
        if (a < 1.0 && x < 1.1) {
            /* small a: 1 - P would cancel, so Q = Gamma(a,x)/Gamma(a) with
               Gamma(a,x) = (Gamma(1+a) - x^a)/a - x^a sum_{n>=1} (-x)^n/(n!(a+n)) */
            double lx = log(x), lg1 = lmm__lgamma1p(a), s = 0.0, t = 1.0, big;
            for (n = 1; n < 200; n++) {
                t *= -x / n;
                s += t / (a + n);
                if (fabs(t) < 1e-17 * fabs(s)) break;
            }
            big = (expm1(lg1) - expm1(a * lx)) / a - exp(a * lx) * s;
            *lq = log(big) + log(a) - lg1;
            /* the log of the tail near 1 is best taken from the small one */
            if (*lq < *lp) *lp = lmm__log1mexp(*lq);
            else *lq = lmm__log1mexp(*lp);
        } else {
            *lq = lmm__log1mexp(*lp);
        }
        return;
    }
    {
        /* Q by its continued fraction (modified Lentz):
           Q = prefix / (x+1-a - 1(1-a)/(x+3-a - 2(2-a)/(x+5-a - ...))) */
        const double tiny = 1e-300;
        double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
        for (n = 1; n < cap; n++) {
            double an = -n * (n - a), del;
            b += 2.0;
            d = an * d + b;
            if (fabs(d) < tiny) d = tiny;
            c = b + an / c;
            if (fabs(c) < tiny) c = tiny;
            d = 1.0 / d;
            del = d * c;
            h *= del;
            if (fabs(del - 1.0) < LMM__DIST_EPS) break;
        }
        *lq = lmm__gamma_prefix(a, x) + log(h);
        *lp = lmm__log1mexp(*lq);
    }
}

/* ------------------------------------------------------------------------ */
/* Incomplete beta                                                           */

/* log(x^a y^b / B(a, b)) with y = 1 - x given separately (both accurate). */
static double lmm__beta_prefix(double a, double b, double x, double y)
{
    double lx = x < 0.5 ? log(x) : log1p(-y), ly = y < 0.5 ? log(y) : log1p(-x);
    if (a >= 10.0 && b >= 10.0) {
        /* Stirling form: a log(x c/a) + b log(y c/b) + ..., with x c - a = x b - y a;
           near the mode the first-order terms +-d cancel exactly */
        double c = a + b, d = x * b - y * a, main;
        if (fabs(d / a) < 0.5 && fabs(d / b) < 0.5)
            main = a * lmm__log1pmx(d / a) + b * lmm__log1pmx(-d / b);
        else
            main = a * (lx + log1p(b / a)) + b * (ly + log1p(a / b));
        return main + 0.5 * (log(a) + log(b / c)) - LMM__LN_SQRT_2PI
               + lmm__stirlerr(c) - lmm__stirlerr(a) - lmm__stirlerr(b);
    }
    return a * lx + b * ly - lmm_lbeta(a, b);
}

/* Continued fraction of I_x(a, b) (modified Lentz): I_x = prefix * cf / a.
   Sets *ok = 0 when it did not converge within cap terms. */
static double lmm__beta_cf(double a, double b, double x, int cap, int *ok)
{
    const double tiny = 1e-300;
    double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0), h;
    int m;
    if (fabs(d) < tiny) d = tiny;
    d = 1.0 / d;
    h = d;
    *ok = 0;
    for (m = 1; m < cap; m++) {
        double m2 = 2.0 * m, num, del;
        num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));  /* even step */
        d = 1.0 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        h *= d * c;
        num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));  /* odd step */
        d = 1.0 + num * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1.0 + num / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        del = d * c;
        h *= del;
        if (fabs(del - 1.0) < LMM__DIST_EPS) { *ok = 1; break; }
    }
    return h;
}

/* log I_x(a, b) with x = 1 - y for a >> b, from y alone. The fraction would
   need x, whose rounding near 1 is amplified by about 1/y. With x = exp(-v),
   I_x = (1/B) int_{u0}^inf e^{-a v} v^{b-1} ((1 - e^{-v}) / v)^{b-1} dv,
   u0 = -log x; expanding the last factor as sum c_n v^n turns each term into
   an upper incomplete gamma Gamma(b + n, a u0) / a^(b + n). */
static double lmm__beta_large_a(double a, double b, double y)
{
    double u0 = -log1p(-y), z = a * u0, lp, lq, h, k, upow = 1.0, sum = 1.0, fact = 1.0;
    double f[41], c[41], lead;
    int n, j;
    lmm__gamma_tails(b, z, &lp, &lq);
    if (lq == -lmm__inf()) return lq;
    /* h = z^b e^-z / Gamma(b, z), the increment of the upward recurrence
       Gamma(s + 1, z) = s Gamma(s, z) + z^s e^-z, relative to Gamma(b, z) */
    h = exp(lmm__gamma_prefix(b, z) - lq);
    f[0] = c[0] = 1.0;
    k = 1.0; /* Gamma(b + n, z) / (Gamma(b, z) a^n) */
    for (n = 1; n <= 40; n++) {
        double cn = 0.0;
        fact *= -(double)(n + 1);
        f[n] = 1.0 / fact; /* (1 - e^-v) / v = sum (-v)^n / (n + 1)! */
        for (j = 1; j <= n; j++) cn += (b * j - n) * f[j] * c[n - j];
        c[n] = cn / n; /* coefficients of f^(b-1) by Miller's recurrence */
        k = ((b + n - 1.0) * k + h * upow) / a;
        upow *= u0;
        sum += c[n] * k;
        if (fabs(c[n] * k) <= 1e-17 * fabs(sum)) break;
    }
    /* log(Gamma(a + b) / (Gamma(a) a^b)) by Stirling without cancellation */
    lead = a * lmm__log1pmx(b / a) + (b - 0.5) * log1p(b / a)
           + lmm__stirlerr(a + b) - lmm__stirlerr(a);
    return lead + lq + log(sum);
}

/* Where lmm__beta_large_a converges fast without cancelling: its terms are
   about c_n (b/a + y)^n with |c_n| <= (|b - 1| / 2)^n / n! (plus n! / (2 pi a)^n). */
static int lmm__beta_use_large_a(double a, double b, double y)
{
    return a >= 100.0 && b <= 0.01 * a && y < 0.5 && fabs(b - 1.0) * (b / a + y) < 1.0;
}

/* log I_x(a, b) (x = 1 - y, pre the log prefix) by the expansion or the
   fraction, whichever is accurate there; NaN when the fraction did not converge. */
static double lmm__beta_lower(double a, double b, double x, double y, double pre, int cap)
{
    int ok;
    double h;
    if (lmm__beta_use_large_a(a, b, y)) return lmm__beta_large_a(a, b, y);
    h = lmm__beta_cf(a, b, x, cap, &ok);
    return ok && h > 0.0 ? pre + log(h) - log(a) : lmm__nan();
}

/* log I_x(a, b) and log(1 - I_x(a, b)) with y = 1 - x given separately. */
static void lmm__beta_tails(double a, double b, double x, double y, double *ll, double *lu)
{
    int ok, cap = lmm__iter_cap(a + b);
    double pre, main, other;
    if (x <= 0.0) { *ll = -lmm__inf(); *lu = 0.0; return; }
    if (y <= 0.0) { *ll = 0.0; *lu = -lmm__inf(); return; }
    pre = lmm__beta_prefix(a, b, x, y);
    /* the fraction converges fast for I_x below the mean, for 1 - I_x = I_y(b, a) above it.
       When that is near 1, its complement T is evaluated directly too, unless the
       fraction would have to take an argument w near 1: given rounded, w carries
       an error of about eps / (1 - w), worse than the eps / T of taking 1 - exp(main). */
    if (x < (a + 1.0) / (a + b + 2.0)) {
        main = lmm__beta_lower(a, b, x, y, pre, cap);
        if (isnan(main)) /* no convergence: keep the last convergent */
            main = pre + log(lmm__beta_cf(a, b, x, cap, &ok)) - log(a);
        *ll = main;
        *lu = lmm__log1mexp(main);
        if (main > -0.1 && (y <= 0.5 || x >= -main || lmm__beta_use_large_a(b, a, x))
            && !isnan(other = lmm__beta_lower(b, a, y, x, pre, 4 * cap))) {
            *lu = other;
            *ll = lmm__log1mexp(other); /* keeps the relative accuracy of a log near 0 */
        }
    } else {
        main = lmm__beta_lower(b, a, y, x, pre, cap);
        if (isnan(main))
            main = pre + log(lmm__beta_cf(b, a, y, cap, &ok)) - log(b);
        *lu = main;
        *ll = lmm__log1mexp(main);
        if (main > -0.1 && (x <= 0.5 || y >= -main || lmm__beta_use_large_a(a, b, y))
            && !isnan(other = lmm__beta_lower(a, b, x, y, pre, 4 * cap))) {
            *ll = other;
            *lu = lmm__log1mexp(other);
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Quantile search                                                           */

/* A distribution on (0, xmax) for the quantile search: Gamma(a) or Beta(a, b). */
typedef struct lmm__qdist { double a, b; int is_beta; } lmm__qdist;

static void lmm__qdist_eval(const lmm__qdist *q, double x, double *ll, double *lu, double *ldens)
{
    if (q->is_beta) {
        double y = 1.0 - x;
        lmm__beta_tails(q->a, q->b, x, y, ll, lu);
        *ldens = lmm__beta_prefix(q->a, q->b, x, y) - log(x) - log1p(-x);
    } else {
        lmm__gamma_tails(q->a, x, ll, lu);
        *ldens = lmm__gamma_prefix(q->a, x) - log(x);
    }
}

/* Solve log T(x) = target for x in (0, exp(umax)), T the lower (upper = 0) or
   upper tail: Newton in u = log x (tails behave like powers of x near 0),
   kept inside a bracket, with bisection / expansion when Newton leaves it. */
static double lmm__qsolve(const lmm__qdist *q, int upper, double target, double x0, double umax)
{
    double u, ulo = -lmm__inf(), uhi = umax, stride = 1.0, prev = lmm__inf();
    int it;
    u = (x0 > 0.0 && log(x0) < umax) ? log(x0) : (isinf(umax) ? 0.0 : umax - 1.0);
    for (it = 0; it < 400; it++) {
        double ll, lu, ld, lt, g, slope, un, step;
        int newton = 1;
        lmm__qdist_eval(q, exp(u), &ll, &lu, &ld);
        lt = upper ? lu : ll;
        g = lt - target;
        if (g == 0.0) break;
        /* the lower tail grows with x: g > 0 means x is too large */
        if ((g > 0.0) != (upper != 0)) uhi = u; else ulo = u;
        slope = exp(u + ld - lt); /* |d log T / du| */
        un = upper ? u + g / slope : u - g / slope;
        if (!(un > ulo && un < uhi)) {
            newton = 0;
            stride *= 2.0;
            if (isinf(ulo)) un = uhi - stride;
            else if (isinf(uhi)) un = ulo + stride;
            else un = 0.5 * (ulo + uhi);
        }
        step = fabs(un - u);
        u = un;
        if (newton && (step < 1e-14 || (it > 6 && step < 1e-10 && step >= 0.5 * prev))) break;
        if (!newton && uhi - ulo < 1e-15) break;
        if (newton) prev = step;
    }
    return exp(u);
}

/* ------------------------------------------------------------------------ */
/* Gamma and chi-squared                                                     */

static double lmm__tail_out(double ll, double lu, int lower_tail, int log_p)
{
    double l = lower_tail ? ll : lu;
    return log_p ? l : exp(l);
}

static int lmm__bad_shape(double a) { return isnan(a) || !(a > 0.0) || isinf(a); }

LMM_API double lmm_pgamma(double x, double shape, double scale, int lower_tail, int log_p)
{
    double ll, lu;
    if (isnan(x) || lmm__bad_shape(shape) || lmm__bad_shape(scale)) return lmm__nan();
    lmm__gamma_tails(shape, x / scale, &ll, &lu);
    return lmm__tail_out(ll, lu, lower_tail, log_p);
}

LMM_API double lmm_pchisq(double x, double df, int lower_tail, int log_p)
{
    return lmm_pgamma(x, 0.5 * df, 2.0, lower_tail, log_p);
}

/* Standard Gamma(a) quantile from the log tails. */
static double lmm__qgamma_std(double a, double ll, double lu)
{
    lmm__qdist q;
    double z, c = 1.0 / (9.0 * a), base, xs, x0;
    if (ll == -lmm__inf()) return 0.0;
    if (lu == -lmm__inf()) return lmm__inf();
    /* Wilson-Hilferty, or P ~ x^a / Gamma(a+1) in the lower tail near 0 */
    z = lmm__qnorm_std(ll, lu);
    base = 1.0 - c + z * sqrt(c);
    xs = exp((ll + lmm_lgamma(a + 1.0)) / a);
    if (ll < lu && (base <= 0.0 || xs < 0.2 * a)) x0 = xs;
    else if (base > 0.0) x0 = a * base * base * base;
    else x0 = a - lu;
    q.a = a; q.b = 0.0; q.is_beta = 0;
    return ll < lu ? lmm__qsolve(&q, 0, ll, x0, lmm__inf()) : lmm__qsolve(&q, 1, lu, x0, lmm__inf());
}

LMM_API double lmm_qgamma(double p, double shape, double scale, int lower_tail, int log_p)
{
    double ll, lu;
    if (isnan(p) || lmm__bad_shape(shape) || lmm__bad_shape(scale)) return lmm__nan();
    if (!lmm__p_tails(p, lower_tail, log_p, &ll, &lu)) return lmm__nan();
    return scale * lmm__qgamma_std(shape, ll, lu);
}

LMM_API double lmm_qchisq(double p, double df, int lower_tail, int log_p)
{
    return lmm_qgamma(p, 0.5 * df, 2.0, lower_tail, log_p);
}

/* ------------------------------------------------------------------------ */
/* Beta, t and F                                                             */

LMM_API double lmm_pbeta(double x, double a, double b, int lower_tail, int log_p)
{
    double ll, lu;
    if (isnan(x) || lmm__bad_shape(a) || lmm__bad_shape(b)) return lmm__nan();
    if (x >= 1.0) { ll = 0.0; lu = -lmm__inf(); }
    else lmm__beta_tails(a, b, x, 1.0 - x, &ll, &lu);
    return lmm__tail_out(ll, lu, lower_tail, log_p);
}

/* A starting pair (x, 1 - x) for the Beta(a, b) quantile with log tails ll, lu. */
static void lmm__qbeta_start(double a, double b, double ll, double lu, double *x, double *y)
{
    double lb = lmm_lbeta(a, b), mean = a / (a + b);
    /* near 0, I_x ~ x^a / (a B); near 1, 1 - I_x ~ (1-x)^b / (b B) */
    double xp = exp((ll + log(a) + lb) / a), yp = exp((lu + log(b) + lb) / b);
    if (ll < lu && xp < 0.2 * mean) { *x = xp; *y = 1.0 - xp; return; }
    if (lu <= ll && yp < 0.2 * (1.0 - mean)) { *y = yp; *x = 1.0 - yp; return; }
    if (a >= 1.0 && b >= 1.0) {
        /* normal approximation on the log-odds scale (as in AS 109) */
        double yn = -lmm__qnorm_std(ll, lu), r = (yn * yn - 3.0) / 6.0;
        double s = 1.0 / (2.0 * a - 1.0), t = 1.0 / (2.0 * b - 1.0), h = 2.0 / (s + t);
        double w = yn * sqrt(h + r) / h - (t - s) * (r + 5.0 / 6.0 - 2.0 / (3.0 * h));
        double e = b * exp(2.0 * w);
        if (isfinite(e)) {
            *x = a / (a + e);
            *y = e / (a + e);
            if (*x > 0.0 && *y > 0.0) return;
        }
    }
    if (xp < 0.5) { *x = xp; *y = 1.0 - xp; }
    else if (yp < 0.5) { *y = yp; *x = 1.0 - yp; }
    else { *x = mean; *y = 1.0 - mean; }
}

/* Beta(a, b) quantile as the pair (x, 1 - x), solving for whichever of the
   two is below 1/2 so that it keeps its relative accuracy. */
static void lmm__qbeta_pair(double a, double b, double ll, double lu, double x0, double y0,
                            double *x, double *y)
{
    lmm__qdist q;
    int pass;
    if (ll == -lmm__inf()) { *x = 0.0; *y = 1.0; return; }
    if (lu == -lmm__inf()) { *x = 1.0; *y = 0.0; return; }
    q.is_beta = 1;
    for (pass = 0; pass < 3; pass++) {
        if (x0 <= 0.5) {
            q.a = a; q.b = b;
            *x = ll < lu ? lmm__qsolve(&q, 0, ll, x0, 0.0) : lmm__qsolve(&q, 1, lu, x0, 0.0);
            *y = 1.0 - *x;
            if (*x <= 0.5) return;
            x0 = *x; y0 = *y;
        } else {
            /* 1 - X ~ Beta(b, a): its lower tail is our upper tail */
            q.a = b; q.b = a;
            *y = lu < ll ? lmm__qsolve(&q, 0, lu, y0, 0.0) : lmm__qsolve(&q, 1, ll, y0, 0.0);
            *x = 1.0 - *y;
            if (*y <= 0.5) return;
            x0 = *x; y0 = *y;
        }
    }
}

LMM_API double lmm_qbeta(double p, double a, double b, int lower_tail, int log_p)
{
    double ll, lu, x0, y0, x, y;
    if (isnan(p) || lmm__bad_shape(a) || lmm__bad_shape(b)) return lmm__nan();
    if (!lmm__p_tails(p, lower_tail, log_p, &ll, &lu)) return lmm__nan();
    lmm__qbeta_start(a, b, ll, lu, &x0, &y0);
    lmm__qbeta_pair(a, b, ll, lu, x0, y0, &x, &y);
    return x;
}

LMM_API double lmm_pt(double t, double df, int lower_tail, int log_p)
{
    double at = fabs(t), lx, ll, lu, ltail, lrest;
    if (isnan(t) || isnan(df) || !(df > 0.0)) return lmm__nan();
    if (isinf(df)) return lmm_pnorm(t, 0.0, 1.0, lower_tail, log_p);
    /* ll = log P(|T| > |t|) = log I_x(df/2, 1/2), x = df/(df + t^2), y = t^2/(df + t^2) */
    lx = log(df) - 2.0 * log(at); /* log(df / t^2), finite even where x underflows */
    if (isinf(t)) {
        ll = -lmm__inf();
    } else if (lx + log1p(df) < -46.0) {
        /* x (df + 1) < 1e-20: I_x = x^a / (a B(a, 1/2)) to full precision */
        double a = 0.5 * df;
        ll = a * (lx - log1p(exp(lx))) - log(a) - lmm_lbeta(a, 0.5);
    } else if (at > sqrt(df)) {
        double r = (df / at) / at;
        lmm__beta_tails(0.5 * df, 0.5, r / (1.0 + r), 1.0 / (1.0 + r), &ll, &lu);
    } else {
        double s = (t / df) * t;
        lmm__beta_tails(0.5 * df, 0.5, 1.0 / (1.0 + s), s / (1.0 + s), &ll, &lu);
    }
    ltail = ll - 0.693147180559945309; /* the tail beyond |t| */
    lrest = lmm__log1mexp(ltail);
    if ((t < 0.0) == (lower_tail != 0)) return log_p ? ltail : exp(ltail);
    return log_p ? lrest : exp(lrest);
}

LMM_API double lmm_qt(double p, double df, int lower_tail, int log_p)
{
    double ll, lu, small, sgn, bl, bu, z, t0, x0, y0, x, y;
    if (isnan(p) || isnan(df) || !(df > 0.0)) return lmm__nan();
    if (isinf(df)) return lmm_qnorm(p, 0.0, 1.0, lower_tail, log_p);
    if (!lmm__p_tails(p, lower_tail, log_p, &ll, &lu)) return lmm__nan();
    small = ll < lu ? ll : lu;
    sgn = ll < lu ? -1.0 : 1.0;
    if (small == -lmm__inf()) return sgn * lmm__inf();
    /* log of 2T and of 1 - 2T, T the smaller tail; straight from p when possible */
    if (!log_p) {
        double tail = p <= 0.5 ? p : 1.0 - p;
        bl = log(2.0 * tail);
        bu = log1p(-2.0 * tail);
    } else {
        bl = small + 0.693147180559945309;
        bu = lmm__log1mexp(bl);
    }
    if (bu == -lmm__inf()) return 0.0;
    {
        /* far tail where x = df / (df + t^2) may underflow: invert the leading
           term 2T = x^a / (a B(a, 1/2)), exact while x (df + 1) < 1e-20 */
        double a = 0.5 * df, lx = (bl + log(a) + lmm_lbeta(a, 0.5)) / a;
        if (lx + log1p(df) < -46.0) return sgn * exp(0.5 * (log(df) - lx));
    }
    /* start from the normal quantile with the first Cornish-Fisher term */
    z = lmm__qnorm_tail(small);
    t0 = z + (z * z * z + z) / (4.0 * df);
    x0 = df / (df + t0 * t0);
    y0 = t0 * t0 / (df + t0 * t0);
    if (!(x0 > 0.0 && y0 > 0.0)) lmm__qbeta_start(0.5 * df, 0.5, bl, bu, &x0, &y0);
    lmm__qbeta_pair(0.5 * df, 0.5, bl, bu, x0, y0, &x, &y);
    return sgn * sqrt(df) * (sqrt(y) / sqrt(x));
}

LMM_API double lmm_pf(double f, double df1, double df2, int lower_tail, int log_p)
{
    double r, ll, lu;
    if (isnan(f) || isnan(df1) || isnan(df2) || !(df1 > 0.0) || !(df2 > 0.0)) return lmm__nan();
    if (isinf(df1) && isinf(df2)) {
        ll = f < 1.0 ? -lmm__inf() : 0.0;
        lu = f < 1.0 ? 0.0 : -lmm__inf();
        return lmm__tail_out(ll, lu, lower_tail, log_p);
    }
    if (isinf(df2)) return lmm_pchisq(f * df1, df1, lower_tail, log_p);
    if (isinf(df1)) return f <= 0.0 ? lmm__tail_out(-lmm__inf(), 0.0, lower_tail, log_p)
                                    : lmm_pchisq(df2 / f, df2, !lower_tail, log_p);
    if (f <= 0.0) { ll = -lmm__inf(); lu = 0.0; }
    else {
        /* x = df1 f / (df1 f + df2) and its complement, each formed directly */
        r = (df1 / df2) * f;
        lmm__beta_tails(0.5 * df1, 0.5 * df2, r / (1.0 + r), 1.0 / (1.0 + r), &ll, &lu);
    }
    return lmm__tail_out(ll, lu, lower_tail, log_p);
}

LMM_API double lmm_qf(double p, double df1, double df2, int lower_tail, int log_p)
{
    double ll, lu, x0, y0, x, y;
    if (isnan(p) || isnan(df1) || isnan(df2) || !(df1 > 0.0) || !(df2 > 0.0)) return lmm__nan();
    if (!lmm__p_tails(p, lower_tail, log_p, &ll, &lu)) return lmm__nan();
    if (isinf(df1) && isinf(df2)) return 1.0;
    if (isinf(df2)) return lmm_qchisq(p, df1, lower_tail, log_p) / df1;
    if (isinf(df1)) return df2 / lmm_qchisq(p, df2, !lower_tail, log_p);
    lmm__qbeta_start(0.5 * df1, 0.5 * df2, ll, lu, &x0, &y0);
    lmm__qbeta_pair(0.5 * df1, 0.5 * df2, ll, lu, x0, y0, &x, &y);
    if (y <= 0.0) return lmm__inf();
    return (x / y) * (df2 / df1);
}

/* ------------------------------------------------------------------------ */
/* Binomial and Poisson: probabilities and exact samplers                    */

LMM_API double lmm_dbinom(double k, double n, double p, int log_p)
{
    double lp;
    if (isnan(k) || isnan(n) || isnan(p) || n < 0 || p < 0 || p > 1 || n != floor(n)) return lmm__nan();
    if (k < 0 || k > n || k != floor(k)) return log_p ? -lmm__inf() : 0.0;
    if (p == 0 || p == 1) {
        int hit = p == 0 ? k == 0 : k == n;
        return log_p ? (hit ? 0.0 : -lmm__inf()) : (hit ? 1.0 : 0.0);
    }
    lp = lmm_lgamma(n + 1) - lmm_lgamma(k + 1) - lmm_lgamma(n - k + 1) + k * log(p) + (n - k) * log1p(-p);
    return log_p ? lp : exp(lp);
}

LMM_API double lmm_dpois(double k, double mu, int log_p)
{
    double lp;
    if (isnan(k) || isnan(mu) || mu < 0) return lmm__nan();
    if (k < 0 || k != floor(k)) return log_p ? -lmm__inf() : 0.0;
    if (mu == 0) return log_p ? (k == 0 ? 0.0 : -lmm__inf()) : (k == 0 ? 1.0 : 0.0);
    lp = k * log(mu) - mu - lmm_lgamma(k + 1);
    return log_p ? lp : exp(lp);
}

/* Poisson deviate. Below mean 10: inversion by the pmf recurrence from 0 (each
   draw one uniform). From 10: Hoermann's (1993) PTRS transformed rejection with
   its squeeze; the acceptance test is the exact log pmf, so the draw is exact. */
LMM_API double lmm_rng_poisson(lmm_rng *r, double mu)
{
    if (!(mu >= 0) || isinf(mu)) return lmm__nan();
    if (mu == 0) return 0;
    if (mu < 10) {
        double u, pk = exp(-mu), k = 0;
        for (;;) {   /* restart in the (rounding) case the pmf's sum falls short of u */
            u = lmm_rng_uniform(r);
            pk = exp(-mu); k = 0;
            while (u > pk && k < 1000) { u -= pk; k += 1; pk *= mu / k; }
            if (k < 1000) return k;
        }
    } else {
        double slam = sqrt(mu), loglam = log(mu), b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
        double inv_alpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2);
        for (;;) {
            double U = lmm_rng_uniform(r) - 0.5, V = lmm_rng_uniform(r), us = 0.5 - fabs(U), k;
            k = floor((2 * a / us + b) * U + mu + 0.43);
            if (us >= 0.07 && V <= vr) return k;
            if (k < 0 || (us < 0.013 && V > us)) continue;
            if (log(V) + log(inv_alpha) - log(a / (us * us) + b) <= -mu + k * loglam - lmm_lgamma(k + 1)) return k;
        }
    }
}

/* Binomial deviate of n (a whole number) trials. With p' = min(p, 1 - p), below
   n p' = 10: inversion by the pmf recurrence; from 10: Hoermann's (1993) BTRS
   transformed rejection, exact by its log-pmf acceptance test. */
LMM_API double lmm_rng_binomial(lmm_rng *r, double n, double p)
{
    double pp, q, k;
    int flip;
    if (!(n >= 0) || n != floor(n) || isinf(n) || !(p >= 0 && p <= 1)) return lmm__nan();
    if (n == 0 || p == 0) return 0;
    if (p == 1) return n;
    flip = p > 0.5;
    pp = flip ? 1 - p : p;
    q = 1 - pp;
    if (n * pp < 10) {
        double s = pp / q, a = (n + 1) * s, pk, u;
        for (;;) {
            u = lmm_rng_uniform(r);
            pk = exp(n * log1p(-pp)); k = 0;
            while (u > pk && k < n) { u -= pk; k += 1; pk *= a / k - s; }
            if (u <= pk) break;   /* else rounding left u above the total: draw again */
        }
    } else {
        double spq = sqrt(n * pp * q), b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * pp, c = n * pp + 0.5;
        double vr = 0.92 - 4.2 / b, alpha = (2.83 + 5.1 / b) * spq, lpq = log(pp / q), m = floor((n + 1) * pp);
        double h = lmm_lgamma(m + 1) + lmm_lgamma(n - m + 1);
        for (;;) {
            double U = lmm_rng_uniform(r) - 0.5, V = lmm_rng_uniform(r), us = 0.5 - fabs(U);
            k = floor((2 * a / us + b) * U + c);
            if (k < 0 || k > n) continue;
            if (us >= 0.07 && V <= vr) break;
            V = log(V * alpha / (a / (us * us) + b));
            if (V <= h - lmm_lgamma(k + 1) - lmm_lgamma(n - k + 1) + (k - m) * lpq) break;
        }
    }
    return flip ? n - k : k;
}

/* ======================================================================== */
/* Data frames and CSV                                              @frame */
/* ======================================================================== */
#include <errno.h>

/* A set of strings with stable ids 0..n-1 in insertion order. It keeps its
   own copies side by side (an arena) and each slot its key's hash and place,
   so a lookup reads a slot and, on a hash match, one compact key: keys left in
   a CSV's buffer cost a cache and TLB miss each once the file outgrows the
   cache (1e5 levels over 1e7 rows). */
typedef struct lmm__strslot { int id; uint32_t hash; size_t off; } lmm__strslot;   /* id -1: empty */
typedef struct lmm__strset {
    char *arena;         /* the keys, each 0-terminated */
    size_t used, size;
    size_t *off;         /* key id -> its offset in arena */
    int n, cap;
    lmm__strslot *slots; /* nslots, a power of two, at most half full */
    size_t nslots;
} lmm__strset;
#define LMM__STRSET_INIT {NULL, 0, 0, NULL, 0, 0, NULL, 0}

/* FNV-1a, then murmur3's finalizer: FNV's low bits (the slot index) are poor
   for labels that differ only in their last digits. *len = strlen(s). */
static uint32_t lmm__strhash(const char *s, size_t *len)
{
    const char *p = s;
    uint32_t h = 2166136261u;
    while (*p) { h ^= (unsigned char)*p++; h *= 16777619u; }
    *len = (size_t)(p - s);
    h ^= h >> 16; h *= 0x85ebca6bu; h ^= h >> 13; h *= 0xc2b2ae35u; h ^= h >> 16;
    return h;
}

static const char *lmm__strset_key(const lmm__strset *set, int id)
{
    return set->arena + set->off[id];
}

static void lmm__strset_free(lmm__strset *set)
{
    LMM_FREE(set->arena);
    LMM_FREE(set->off);
    LMM_FREE(set->slots);
    memset(set, 0, sizeof *set);
}

/* The slot of key (hash h, length len): its own, or the empty one where it would go. */
static size_t lmm__strset_slot(const lmm__strset *set, const char *key, size_t len, uint32_t h)
{
    size_t mask = set->nslots - 1, i;
    for (i = h & mask; set->slots[i].id >= 0; i = (i + 1) & mask)
        if (set->slots[i].hash == h && memcmp(set->arena + set->slots[i].off, key, len + 1) == 0) break;
    return i;
}

static int lmm__strset_find(const lmm__strset *set, const char *key)
{
    size_t len;
    uint32_t h;
    if (set->nslots == 0) return -1;
    h = lmm__strhash(key, &len);
    return set->slots[lmm__strset_slot(set, key, len, h)].id;
}

/* Rebuild the slot table at twice the size so it stays at most half full. */
static int lmm__strset_rehash(lmm__strset *set)
{
    size_t nslots = set->nslots ? set->nslots * 2 : 16, i, j, mask = nslots - 1;
    lmm__strslot *slots = LMM__NEW(lmm__strslot, nslots);
    if (!slots) return 0;
    for (i = 0; i < nslots; i++) slots[i].id = -1;
    for (j = 0; j < set->nslots; j++) {
        if (set->slots[j].id < 0) continue;
        for (i = set->slots[j].hash & mask; slots[i].id >= 0; i = (i + 1) & mask) {}
        slots[i] = set->slots[j];
    }
    LMM_FREE(set->slots);
    set->slots = slots;
    set->nslots = nslots;
    return 1;
}

/* Id of key (length len, hash h), inserting a copy if new (*added says which). 0 on out of memory. */
static int lmm__strset_insert_h(lmm__strset *set, const char *key, size_t len, uint32_t h, int *id, int *added)
{
    size_t i;
    *added = 0;
    if ((size_t)(set->n + 1) * 2 > set->nslots && !lmm__strset_rehash(set)) return 0;
    i = lmm__strset_slot(set, key, len, h);
    if (set->slots[i].id >= 0) { *id = set->slots[i].id; return 1; }
    if (set->n == set->cap) {
        int cap = set->cap ? 2 * set->cap : 16;
        size_t *off = (size_t *)lmm__grow(set->off, (size_t)cap, sizeof *off);
        if (!off) return 0;
        set->off = off;
        set->cap = cap;
    }
    if (len + 1 > set->size - set->used) {
        size_t size = set->size ? 2 * set->size : 256;
        char *arena;
        while (size - set->used < len + 1) size *= 2;
        if (!(arena = (char *)lmm__grow(set->arena, size, 1))) return 0;
        set->arena = arena;
        set->size = size;
    }
    memcpy(set->arena + set->used, key, len + 1);
    set->off[set->n] = set->used;
    set->slots[i].id = set->n;
    set->slots[i].hash = h;
    set->slots[i].off = set->used;
    set->used += len + 1;
    *id = set->n++;
    *added = 1;
    return 1;
}

static int lmm__strset_insert(lmm__strset *set, const char *key, int *id, int *added)
{
    size_t len;
    uint32_t h = lmm__strhash(key, &len);
    return lmm__strset_insert_h(set, key, len, h, id, added);
}

/* The big-endian value of a string's first 8 bytes (0-padded): ordered as strcmp orders them. */
static uint64_t lmm__prefix8(const char *s)
{
    uint64_t v = 0;
    int k;
    for (k = 0; k < 8; k++) { v = v << 8 | (unsigned char)*s; if (*s) s++; }
    return v;
}

typedef struct lmm__label_id { uint64_t prefix; const char *s; int id; } lmm__label_id;

static int lmm__cmp_label_id(const void *a, const void *b)
{
    const lmm__label_id *x = (const lmm__label_id *)a, *y = (const lmm__label_id *)b;
    if (x->prefix != y->prefix) return x->prefix < y->prefix ? -1 : 1;
    return strcmp(x->s, y->s);
}

/* Codes and byte-ordered levels for n labels (NULL = missing -> code -1).
   Labels go in batches: the batch's hashes, then its slots, then the keys they
   point at are read in turn, so that the cache misses of one step overlap (one
   dependent miss after another took 400 ns a label at 1e5 levels); then each
   label is resolved in row order, so the ids are the same as one at a time. */
#define LMM__FACTORIZE_BATCH 16
static lmm_status lmm__factorize(const char *const *labels, int n, int *codes,
                                 char ***levels_out, int *nlevels_out, lmm_error *err)
{
    lmm__strset set = LMM__STRSET_INIT;
    lmm__label_id *order = NULL;
    int *rank = NULL, i, i0, b, k, added;
    char **levels = NULL;
    for (i0 = 0; i0 < n; i0 += LMM__FACTORIZE_BATCH) {
        int nb = n - i0 < LMM__FACTORIZE_BATCH ? n - i0 : LMM__FACTORIZE_BATCH, cand[LMM__FACTORIZE_BATCH];
        size_t len[LMM__FACTORIZE_BATCH], off[LMM__FACTORIZE_BATCH];
        uint32_t h[LMM__FACTORIZE_BATCH];
        char first[LMM__FACTORIZE_BATCH];
        for (b = 0; b < nb; b++) if (labels[i0 + b]) h[b] = lmm__strhash(labels[i0 + b], &len[b]);
        for (b = 0; b < nb; b++) {      /* the first slot of the probe holding the label's hash, if any */
            size_t mask = set.nslots - 1, j;
            cand[b] = -1;
            if (!labels[i0 + b] || !set.nslots) continue;
            for (j = h[b] & mask; set.slots[j].id >= 0; j = (j + 1) & mask)
                if (set.slots[j].hash == h[b]) { cand[b] = set.slots[j].id; off[b] = set.slots[j].off; break; }
        }
        for (b = 0; b < nb; b++) first[b] = cand[b] >= 0 ? set.arena[off[b]] : 0;
        for (b = 0; b < nb; b++) {
            const char *s = labels[i0 + b];
            if (!s) { codes[i0 + b] = -1; continue; }
            if (cand[b] >= 0 && first[b] == s[0] && memcmp(set.arena + off[b], s, len[b] + 1) == 0) codes[i0 + b] = cand[b];
            else if (!lmm__strset_insert_h(&set, s, len[b], h[b], &codes[i0 + b], &added)) goto nomem;
        }
    }
    k = set.n;
    order = LMM__NEW(lmm__label_id, k);
    rank = LMM__NEW(int, k);
    levels = LMM__ZNEW(char *, k);
    if (!order || !rank || !levels) goto nomem;
    for (i = 0; i < k; i++) { order[i].s = lmm__strset_key(&set, i); order[i].prefix = lmm__prefix8(order[i].s); order[i].id = i; }
    qsort(order, (size_t)k, sizeof *order, lmm__cmp_label_id);
    for (i = 0; i < k; i++) {
        rank[order[i].id] = i;
        if (!(levels[i] = lmm__strdup(order[i].s))) goto nomem;
    }
    for (i = 0; i < n; i++) if (codes[i] >= 0) codes[i] = rank[codes[i]];
    LMM_FREE(order); LMM_FREE(rank); lmm__strset_free(&set);
    *levels_out = levels;
    *nlevels_out = k;
    return LMM_OK;
nomem:
    if (levels) for (i = 0; i < k; i++) LMM_FREE(levels[i]);
    LMM_FREE(levels); LMM_FREE(order); LMM_FREE(rank); lmm__strset_free(&set);
    return lmm__nomem(err);
}

static void lmm__column_clear(lmm_column *c)
{
    int i;
    LMM_FREE(c->name);
    LMM_FREE(c->num);
    LMM_FREE(c->codes);
    if (c->levels) for (i = 0; i < c->nlevels; i++) LMM_FREE(c->levels[i]);
    LMM_FREE(c->levels);
    memset(c, 0, sizeof *c);
}

LMM_API void lmm_frame_free(lmm_frame *f)
{
    int j;
    if (!f) return;
    for (j = 0; j < f->ncol; j++) lmm__column_clear(&f->cols[j]);
    LMM_FREE(f->cols);
    LMM_FREE(f);
}

LMM_API lmm_status lmm_frame_new(int nrow, lmm_frame **out, lmm_error *err)
{
    lmm_frame *f;
    if (!out) return lmm__fail(err, LMM_ERR_ARG, "lmm_frame_new: out is NULL");
    *out = NULL;
    if (nrow < 0) return lmm__fail(err, LMM_ERR_ARG, "lmm_frame_new: negative row count %d", nrow);
    f = LMM__ZNEW(lmm_frame, 1);
    if (!f) return lmm__nomem(err);
    f->nrow = nrow;
    *out = f;
    return LMM_OK;
}

LMM_API int lmm_frame_find(const lmm_frame *f, const char *name)
{
    int j;
    if (!f || !name) return -1;
    for (j = 0; j < f->ncol; j++) if (strcmp(f->cols[j].name, name) == 0) return j;
    return -1;
}

/* Common checks before adding a column called name. */
static lmm_status lmm__frame_check_new(const lmm_frame *f, const char *name, lmm_error *err)
{
    if (!f) return lmm__fail(err, LMM_ERR_ARG, "frame is NULL");
    if (!name || !*name) return lmm__fail(err, LMM_ERR_ARG, "column name is empty");
    if (lmm_frame_find(f, name) >= 0)
        return lmm__fail(err, LMM_ERR_ARG, "column '%s' already exists", name);
    return LMM_OK;
}

/* Room for one more column (geometric growth). */
static lmm_status lmm__frame_reserve(lmm_frame *f, lmm_error *err)
{
    if (f->ncol == f->cap_) {
        int cap = f->cap_ ? 2 * f->cap_ : 8;
        lmm_column *cols = (lmm_column *)lmm__grow(f->cols, (size_t)cap, sizeof *cols);
        if (!cols) return lmm__nomem(err);
        f->cols = cols;
        f->cap_ = cap;
    }
    return LMM_OK;
}

LMM_API lmm_status lmm_frame_add_numeric(lmm_frame *f, const char *name, const double *values, lmm_error *err)
{
    lmm_status st = lmm__frame_check_new(f, name, err);
    lmm_column c;
    if (st) return st;
    if (!values && f->nrow > 0) return lmm__fail(err, LMM_ERR_ARG, "column '%s': values is NULL", name);
    if ((st = lmm__frame_reserve(f, err)) != LMM_OK) return st;
    memset(&c, 0, sizeof c);
    c.type = LMM_NUMERIC;
    c.name = lmm__strdup(name);
    c.num = LMM__NEW(double, f->nrow);
    if (!c.name || !c.num) { lmm__column_clear(&c); return lmm__nomem(err); }
    if (f->nrow > 0) memcpy(c.num, values, (size_t)f->nrow * sizeof *c.num);
    f->cols[f->ncol++] = c;
    return LMM_OK;
}

LMM_API lmm_status lmm_frame_add_factor(lmm_frame *f, const char *name, const char *const *labels, lmm_error *err)
{
    lmm_status st = lmm__frame_check_new(f, name, err);
    lmm_column c;
    if (st) return st;
    if (!labels && f->nrow > 0) return lmm__fail(err, LMM_ERR_ARG, "column '%s': labels is NULL", name);
    if ((st = lmm__frame_reserve(f, err)) != LMM_OK) return st;
    memset(&c, 0, sizeof c);
    c.type = LMM_FACTOR;
    c.name = lmm__strdup(name);
    c.codes = LMM__NEW(int, f->nrow);
    if (!c.name || !c.codes) { lmm__column_clear(&c); return lmm__nomem(err); }
    if ((st = lmm__factorize(labels, f->nrow, c.codes, &c.levels, &c.nlevels, err)) != LMM_OK) {
        lmm__column_clear(&c);
        return st;
    }
    f->cols[f->ncol++] = c;
    return LMM_OK;
}

/* The factor column called name, or NULL with err filled. */
static lmm_column *lmm__frame_factor(lmm_frame *f, const char *name, lmm_error *err, lmm_status *st)
{
    int j = lmm_frame_find(f, name);
    if (j < 0) {
        *st = lmm__fail(err, LMM_ERR_ARG, "no column '%s' in the frame", name ? name : "(null)");
        return NULL;
    }
    if (f->cols[j].type != LMM_FACTOR) {
        *st = lmm__fail(err, LMM_ERR_ARG, "column '%s' is numeric, not a factor (use lmm_frame_as_factor)", name);
        return NULL;
    }
    return &f->cols[j];
}

LMM_API lmm_status lmm_frame_relevel(lmm_frame *f, const char *name, const char *level, lmm_error *err)
{
    lmm_status st = LMM_OK;
    lmm_column *c = lmm__frame_factor(f, name, err, &st);
    int k, i;
    char *ref;
    if (!c) return st;
    if (!level) return lmm__fail(err, LMM_ERR_ARG, "relevel of factor '%s': level is NULL", name);
    for (k = 0; k < c->nlevels; k++) if (strcmp(c->levels[k], level) == 0) break;
    if (k == c->nlevels) return lmm__fail(err, LMM_ERR_ARG, "level '%s' not found in factor '%s'", level, name);
    /* level k moves to the front; the levels before it shift up by one */
    ref = c->levels[k];
    for (i = k; i > 0; i--) c->levels[i] = c->levels[i - 1];
    c->levels[0] = ref;
    for (i = 0; i < f->nrow; i++) {
        int code = c->codes[i];
        if (code == k) c->codes[i] = 0;
        else if (code >= 0 && code < k) c->codes[i] = code + 1;
    }
    return LMM_OK;
}

LMM_API lmm_status lmm_frame_set_levels(lmm_frame *f, const char *name, const char *const *levels, int nlevels, lmm_error *err)
{
    lmm_status st = LMM_OK;
    lmm_column *c = lmm__frame_factor(f, name, err, &st);
    lmm__strset set = LMM__STRSET_INIT;
    int *newpos = NULL, i, id, added;
    char **reordered = NULL;
    if (!c) return st;
    if (nlevels != c->nlevels || (!levels && nlevels > 0))
        return lmm__fail(err, LMM_ERR_ARG, "factor '%s' has %d levels, %d given", name, c->nlevels, nlevels);
    newpos = LMM__NEW(int, nlevels);
    reordered = LMM__NEW(char *, nlevels);
    if (!newpos || !reordered) goto nomem;
    for (i = 0; i < nlevels; i++) {
        if (!lmm__strset_insert(&set, c->levels[i], &id, &added)) goto nomem;
        newpos[i] = -1;
    }
    for (i = 0; i < nlevels; i++) {
        int old = levels[i] ? lmm__strset_find(&set, levels[i]) : -1;
        if (old < 0) {
            st = lmm__fail(err, LMM_ERR_ARG, "level '%s' not found in factor '%s'", levels[i] ? levels[i] : "(null)", name);
            goto done;
        }
        if (newpos[old] >= 0) {
            st = lmm__fail(err, LMM_ERR_ARG, "level '%s' given twice for factor '%s'", levels[i], name);
            goto done;
        }
        newpos[old] = i;
        reordered[i] = c->levels[old];
    }
    for (i = 0; i < f->nrow; i++) if (c->codes[i] >= 0) c->codes[i] = newpos[c->codes[i]];
    LMM_FREE(c->levels);
    c->levels = reordered;
    reordered = NULL;
    goto done;
nomem:
    st = lmm__nomem(err);
done:
    LMM_FREE(newpos); LMM_FREE(reordered); lmm__strset_free(&set);
    return st;
}

/* x as R's as.character() writes it: up to 15 significant digits, fixed
   notation unless scientific is shorter (so 1e+05 but 123456). */
static void lmm__format_r(double x, char *buf, size_t size)
{
    char sci[40];
    const char *mant, *e;
    int digits = 0, expo, neg = x < 0, fixed_w, sci_w, rgt;
    if (isinf(x)) { snprintf(buf, size, "%s", x > 0 ? "Inf" : "-Inf"); return; }
    if (x == 0) { snprintf(buf, size, "0"); return; }
    snprintf(sci, sizeof sci, "%.14e", x);
    /* significant digits left after dropping trailing zeros of the mantissa */
    mant = sci + neg;
    e = strchr(mant, 'e');
    expo = atoi(e + 1);
    {
        const char *q = e - 1;
        while (q > mant && (*q == '0' || *q == '.')) q--;
        digits = q > mant ? (int)(q - mant) : 1;    /* q - mant counts the '.' */
    }
    rgt = digits - expo - 1;
    if (rgt < 0) rgt = 0;
    fixed_w = neg + (expo >= 0 ? expo + 1 : 1) + (rgt ? rgt + 1 : 0);
    sci_w = neg + (digits > 1 ? digits + 1 : 1) + (abs(expo) >= 100 ? 5 : 4);
    if (fixed_w <= sci_w) snprintf(buf, size, "%.*f", rgt, x);
    else snprintf(buf, size, "%.*e", digits - 1, x);
}

/* n numbers (NAN = missing, code -1) as factor codes whose levels sort
   numerically and are labelled as R prints them (R's factor() of a numeric
   vector); *levels is owned by the caller (NULL when there is no level). */
static lmm_status lmm__factorize_num(const double *x, int n, int *codes, char ***levels, int *nlevels, lmm_error *err)
{
    int i, m = 0, nu = 0, ng = 0;
    double *vals = LMM__NEW(double, n);
    int *group = LMM__NEW(int, n);
    char **lv = LMM__ZNEW(char *, n), label[48];
    *levels = NULL; *nlevels = 0;
    if (!vals || !group || !lv) goto nomem;
    for (i = 0; i < n; i++) if (!isnan(x[i])) vals[m++] = x[i];
    qsort(vals, (size_t)m, sizeof *vals, lmm__cmp_double);
    for (i = 0; i < m; i++) if (nu == 0 || vals[i] != vals[nu - 1]) vals[nu++] = vals[i];
    /* values printing alike share a level, as in R (0.1+0.2 and 0.3 -> "0.3") */
    for (i = 0; i < nu; i++) {
        lmm__format_r(vals[i], label, sizeof label);
        if (ng == 0 || strcmp(lv[ng - 1], label) != 0)
            if (!(lv[ng++] = lmm__strdup(label))) goto nomem;
        group[i] = ng - 1;
    }
    for (i = 0; i < n; i++) {
        int lo = 0, hi = nu - 1;
        if (isnan(x[i])) { codes[i] = -1; continue; }
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (vals[mid] < x[i]) lo = mid + 1; else hi = mid;
        }
        codes[i] = group[lo];
    }
    if (ng == 0) { LMM_FREE(lv); lv = NULL; }
    *levels = lv; *nlevels = ng;
    LMM_FREE(vals); LMM_FREE(group);
    return LMM_OK;
nomem:
    if (lv) for (i = 0; i < ng; i++) LMM_FREE(lv[i]);
    LMM_FREE(lv); LMM_FREE(vals); LMM_FREE(group);
    return lmm__nomem(err);
}

LMM_API lmm_status lmm_frame_as_factor(lmm_frame *f, const char *name, lmm_error *err)
{
    int j = lmm_frame_find(f, name), nlevels;
    int *codes;
    char **levels;
    lmm_column *c;
    lmm_status st;
    if (j < 0) return lmm__fail(err, LMM_ERR_ARG, "no column '%s' in the frame", name ? name : "(null)");
    c = &f->cols[j];
    if (c->type == LMM_FACTOR) return LMM_OK;
    if (!(codes = LMM__NEW(int, f->nrow))) return lmm__nomem(err);
    if ((st = lmm__factorize_num(c->num, f->nrow, codes, &levels, &nlevels, err)) != LMM_OK) { LMM_FREE(codes); return st; }
    LMM_FREE(c->num);
    c->num = NULL;
    c->type = LMM_FACTOR;
    c->codes = codes;
    c->nlevels = nlevels;
    c->levels = levels;
    return LMM_OK;
}

/* ---- CSV reader ---- */

typedef struct lmm__csv {
    const char *p, *end;
    int line;            /* physical line of p, 1-based */
    char *buf;           /* unescaped fields, each 0-terminated */
    size_t used;
    size_t *fields;      /* offset of each field in buf, row-major */
    size_t nfields, capfields;
} lmm__csv;

static int lmm__csv_is_blank(int ch) { return ch == ' ' || ch == '\t'; }
static int lmm__csv_is_eol(int ch) { return ch == '\n' || ch == '\r'; }

/* Step over one line ending (LF, CRLF or a lone CR). */
static const char *lmm__csv_skip_eol(const char *p, const char *end)
{
    if (*p == '\r' && p + 1 < end && p[1] == '\n') return p + 2;
    return p + 1;
}

/* Parse one field at c->p; *last says whether it ended the record. */
static lmm_status lmm__csv_field(lmm__csv *c, int *last, lmm_error *err)
{
    const char *p = c->p, *end = c->end;
    char *start = c->buf + c->used, *out = start;
    while (p < end && lmm__csv_is_blank(*p)) p++;
    if (p < end && *p == '"') {
        int first_line = c->line;
        p++;
        for (;;) {
            if (p >= end)
                return lmm__fail(err, LMM_ERR_CSV, "unterminated quoted field starting at line %d: add the closing '\"'", first_line);
            if (*p == '"') {
                if (p + 1 < end && p[1] == '"') { *out++ = '"'; p += 2; continue; }
                p++;
                break;
            }
            if (*p == '\n' || (*p == '\r' && !(p + 1 < end && p[1] == '\n'))) c->line++;
            *out++ = *p++;
        }
        while (p < end && lmm__csv_is_blank(*p)) p++;
        if (p < end && *p != ',' && !lmm__csv_is_eol(*p))
            return lmm__fail(err, LMM_ERR_CSV, "line %d: unexpected character '%c' after a closing quote; "
                             "quote the whole field and double any quote inside it", c->line, *p);
    } else {
        /* copy while scanning (one pass, no call per field), then drop trailing blanks */
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') *out++ = *p++;
        while (out > start && lmm__csv_is_blank(out[-1])) out--;
    }
    *out = 0;
    if (c->nfields == c->capfields) {
        size_t cap = c->capfields ? 2 * c->capfields : 1024;
        size_t *fields = (size_t *)lmm__grow(c->fields, cap, sizeof *fields);
        if (!fields) return lmm__nomem(err);
        c->fields = fields;
        c->capfields = cap;
    }
    c->fields[c->nfields++] = c->used;
    c->used += (size_t)(out - start) + 1;
    if (p < end && *p == ',') {
        p++;
        *last = 0;
    } else {
        if (p < end) { p = lmm__csv_skip_eol(p, end); c->line++; }
        *last = 1;
    }
    c->p = p;
    return LMM_OK;
}

/* s as strtod reads it when s is a plain decimal ([+-]digits[.digits][e[+-]digits])
   of at most 15-16 significant digits and a small exponent: the digits make an
   exact double m < 2^53 and 10^|e| <= 10^22 is exact too, so one correctly
   rounded multiply or divide is the correctly rounded value (Clinger's fast
   path). 0 for anything else (the caller uses strtod). Needs double
   arithmetic without excess precision (FLT_EVAL_METHOD 0). */
static int lmm__parse_decimal_fast(const char *s, double *out)
{
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0
    static const double tens[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const char *p = s;
    uint64_t m = 0;
    int neg = 0, digits = 0, frac = 0, e = 0;
    double v;
    if (*p == '+' || *p == '-') neg = *p++ == '-';
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (m > 900719925474098u) return 0;          /* m * 10 + 9 could pass 2^53 */
        m = m * 10 + (uint64_t)(*p - '0');
    }
    if (*p == '.')
        for (p++; *p >= '0' && *p <= '9'; p++, digits++, frac++) {
            if (m > 900719925474098u) return 0;
            m = m * 10 + (uint64_t)(*p - '0');
        }
    if (digits == 0) return 0;
    if (*p == 'e' || *p == 'E') {
        int eneg = 0, edigits = 0;
        p++;
        if (*p == '+' || *p == '-') eneg = *p++ == '-';
        for (; *p >= '0' && *p <= '9'; p++, edigits++) {
            if (e > 1000) return 0;
            e = e * 10 + (*p - '0');
        }
        if (edigits == 0) return 0;
        if (eneg) e = -e;
    }
    if (*p) return 0;
    e -= frac;
    if (e < -22 || e > 22) return 0;
    v = (double)m;
    v = e < 0 ? v / tens[-e] : v * tens[e];
    *out = neg ? -v : v;
    return 1;
#else
    (void)s; (void)out;
    return 0;
#endif
}

static int lmm__csv_missing(const char *s)
{
    return s[0] == 0 || strcmp(s, "NA") == 0;
}

/* Fill column col (numeric if every present field is a number) from the parsed rows. */
/* Data field of row i (0-based) sits at fields[hdr + i*ncol + col]; the header has hdr fields. */
static lmm_status lmm__csv_column(const lmm__csv *c, int hdr, int ncol, int nrow, int col, const char *name,
                                  const int *lines, lmm_column *out, lmm_error *err)
{
    const char **labels;
    double *num = LMM__NEW(double, nrow);
    int i, numeric = 1, bad = -1;
    lmm_status st;
    if (!num) return lmm__nomem(err);
    for (i = 0; i < nrow; i++) {
        const char *s = c->buf + c->fields[(size_t)hdr + (size_t)i * ncol + col];
        char *endp;
        if (lmm__csv_missing(s)) { num[i] = NAN; continue; }
        if (lmm__parse_decimal_fast(s, &num[i])) continue;
        num[i] = strtod(s, &endp);
        if (endp == s || *endp != 0) { numeric = 0; break; }
        if (!isfinite(num[i]) && bad < 0) bad = i;
    }
    if (numeric) {
        if (bad >= 0) {
            LMM_FREE(num);
            return lmm__fail(err, LMM_ERR_CSV, "column '%s', line %d (data row %d): '%.40s' is not a finite number; "
                             "write NA or leave the field empty for a missing value", name, lines[bad], bad + 1,
                             c->buf + c->fields[(size_t)hdr + (size_t)bad * ncol + col]);
        }
        out->type = LMM_NUMERIC;
        out->num = num;
        return LMM_OK;
    }
    LMM_FREE(num);
    labels = LMM__NEW(const char *, nrow);
    out->codes = LMM__NEW(int, nrow);
    if (!labels || !out->codes) { LMM_FREE(labels); return lmm__nomem(err); }
    for (i = 0; i < nrow; i++) {
        const char *s = c->buf + c->fields[(size_t)hdr + (size_t)i * ncol + col];
        labels[i] = lmm__csv_missing(s) ? NULL : s;
    }
    out->type = LMM_FACTOR;
    st = lmm__factorize(labels, nrow, out->codes, &out->levels, &out->nlevels, err);
    LMM_FREE(labels);
    return st;
}

LMM_API lmm_status lmm_frame_read_csv_text(const char *text, size_t len, lmm_frame **out, lmm_error *err)
{
    lmm__csv c;
    lmm__strset names = LMM__STRSET_INIT;
    lmm_frame *f = NULL;
    int *lines = NULL, nrec = 0, caplines = 0, ncol = 0, hdr = 0, rn, j, id, added;
    lmm_status st = LMM_OK;
    if (!out) return lmm__fail(err, LMM_ERR_ARG, "lmm_frame_read_csv_text: out is NULL");
    *out = NULL;
    if (!text && len > 0) return lmm__fail(err, LMM_ERR_ARG, "lmm_frame_read_csv_text: text is NULL");
    memset(&c, 0, sizeof c);
    c.p = text;
    c.end = text + len;
    c.line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) c.p += 3;
    /* unescaping never lengthens a field, and each field adds one terminator */
    if (len >= (size_t)-1 / 2 - 1 || !(c.buf = (char *)lmm__alloc(2 * len + 2, 1))) return lmm__nomem(err);

    while (c.p < c.end) {
        const char *q = c.p;
        size_t before = c.nfields;
        int first_line = c.line, last = 0, nf;
        while (q < c.end && lmm__csv_is_blank(*q)) q++;
        if (q == c.end) break;
        if (lmm__csv_is_eol(*q)) {        /* blank lines are skipped, as R does */
            c.p = lmm__csv_skip_eol(q, c.end);
            c.line++;
            continue;
        }
        while (!last) if ((st = lmm__csv_field(&c, &last, err)) != LMM_OK) goto done;
        if (c.nfields - before > (size_t)INT_MAX) { st = lmm__fail(err, LMM_ERR_CSV, "line %d has too many fields", first_line); goto done; }
        nf = (int)(c.nfields - before);
        if (nrec == 0) {
            hdr = ncol = nf;
        } else if (nrec == 1 && nf == hdr + 1) {
            ncol = nf;                    /* R: a header one field short names all but the row names */
        } else if (nf != ncol && ncol == hdr) {
            st = lmm__fail(err, LMM_ERR_CSV, "line %d has %d fields, header has %d; "
                           "quote fields that contain commas", first_line, nf, ncol);
            goto done;
        } else if (nf != ncol) {
            st = lmm__fail(err, LMM_ERR_CSV, "line %d has %d fields, line %d has %d (row names and the header's %d); "
                           "quote fields that contain commas", first_line, nf, lines[1], ncol, hdr);
            goto done;
        }
        if (nrec == INT_MAX) { st = lmm__fail(err, LMM_ERR_CSV, "too many rows"); goto done; }
        if (nrec == caplines) {
            int cap = caplines ? (caplines > INT_MAX / 2 ? INT_MAX : 2 * caplines) : 1024;
            int *grown = (int *)lmm__grow(lines, (size_t)cap, sizeof *grown);
            if (!grown) { st = lmm__nomem(err); goto done; }
            lines = grown;
            caplines = cap;
        }
        lines[nrec++] = first_line;
    }
    if (nrec == 0) { st = lmm__fail(err, LMM_ERR_CSV, "empty file: expected a header line with column names"); goto done; }
    if (nrec == 1) { st = lmm__fail(err, LMM_ERR_CSV, "no data rows: the file has a header line only"); goto done; }

    /* Row names, as R's read.csv takes them: a first column whose header field is
       empty (write.csv's ""), or a header one field shorter than the data rows.
       File column j (0-based) is named by header field j - (ncol - hdr). */
    rn = hdr < ncol || (ncol > 1 && !c.buf[c.fields[0]]);
    for (j = rn; j < ncol; j++) {
        const char *name = c.buf + c.fields[j - (ncol - hdr)];
        if (!*name) { st = lmm__fail(err, LMM_ERR_CSV, "line %d: empty column name for column %d; give every column a name "
                                     "(only the first column, of row names, may have none)", lines[0], j + 1); goto done; }
        if (!lmm__strset_insert(&names, name, &id, &added)) { st = lmm__nomem(err); goto done; }
        if (!added) {
            st = lmm__fail(err, LMM_ERR_CSV, "line %d: duplicate column name '%s' (columns %d and %d); rename one of them",
                           lines[0], name, id + 1 + rn, j + 1);
            goto done;
        }
    }
    if ((st = lmm_frame_new(nrec - 1, &f, err)) != LMM_OK) goto done;
    f->cols = LMM__ZNEW(lmm_column, ncol - rn);
    if (!f->cols) { st = lmm__nomem(err); goto done; }
    f->cap_ = ncol - rn;
    for (j = rn; j < ncol; j++) {
        lmm_column *col = &f->cols[j - rn];
        const char *name = c.buf + c.fields[j - (ncol - hdr)];
        f->ncol = j - rn + 1;      /* so lmm_frame_free releases a half-built column */
        if (!(col->name = lmm__strdup(name))) { st = lmm__nomem(err); goto done; }
        if ((st = lmm__csv_column(&c, hdr, ncol, f->nrow, j, name, lines + 1, col, err)) != LMM_OK) goto done;
    }
    *out = f;
    f = NULL;
done:
    lmm_frame_free(f);
    lmm__strset_free(&names);
    LMM_FREE(lines);
    LMM_FREE(c.buf);
    LMM_FREE(c.fields);
    return st;
}

LMM_API lmm_status lmm_frame_read_csv(const char *path, lmm_frame **out, lmm_error *err)
{
    FILE *fp;
    char *text = NULL;
    size_t len = 0, cap = 0;
    lmm_status st;
    if (!out) return lmm__fail(err, LMM_ERR_ARG, "lmm_frame_read_csv: out is NULL");
    *out = NULL;
    if (!path) return lmm__fail(err, LMM_ERR_ARG, "lmm_frame_read_csv: path is NULL");
    fp = fopen(path, "rb");
    if (!fp) return lmm__fail(err, LMM_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    {   /* a file that can be seeked is read into one buffer of its size (+1 to see the end); a pipe grows by doubling */
        long size = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
        if (fseek(fp, 0, SEEK_SET) != 0) { clearerr(fp); size = -1; }
        if (size > 0 && (unsigned long)size < (size_t)-1 / 4) {
            if (!(text = (char *)lmm__alloc((size_t)size + 1, 1))) { fclose(fp); return lmm__nomem(err); }
            cap = (size_t)size + 1;
        }
    }
    for (;;) {
        size_t got;
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *grown = ncap > cap ? (char *)lmm__grow(text, ncap, 1) : NULL;
            if (!grown) { LMM_FREE(text); fclose(fp); return lmm__nomem(err); }
            text = grown;
            cap = ncap;
        }
        got = fread(text + len, 1, cap - len, fp);
        len += got;
        if (got == 0) break;
    }
    if (ferror(fp)) {
        int e = errno;
        LMM_FREE(text);
        fclose(fp);
        return lmm__fail(err, LMM_ERR_IO, "cannot read '%s': %s", path, strerror(e));
    }
    fclose(fp);
    st = lmm_frame_read_csv_text(text, len, out, err);
    LMM_FREE(text);
    if (st == LMM_ERR_CSV && err) {
        /* say which file the line numbers refer to */
        char msg[sizeof err->message];
        size_t used, n;
        memcpy(msg, err->message, sizeof msg);
        snprintf(err->message, sizeof err->message, "%s: ", path);
        used = strlen(err->message);
        n = strlen(msg);
        if (n > sizeof err->message - 1 - used) n = sizeof err->message - 1 - used;
        memcpy(err->message + used, msg, n);
        err->message[used + n] = 0;
    }
    return st;
}

/* ======================================================================== */
/* Formulas                                                       @formula */
/* ======================================================================== */

/* A term during expansion is a bit set over formula variables; bit order is
   the order of first appearance, which is also R's order inside a label. */
typedef uint64_t lmm__tmask;
#define LMM__MAX_FVARS 64
/* Expansion limits: (a*b*...*j)^k grows as 2^vars terms and each crossing as the
   product of two lists; beyond these a formula is refused rather than left to
   run for minutes (a fixed-effects part of more than 1024 terms is not a model). */
#define LMM__MAX_TERMS 1024
#define LMM__MAX_CROSS 65536

typedef struct lmm__tlist {
    lmm__tmask *m;
    int n, cap;
} lmm__tlist;

typedef struct lmm__fparser {
    const char *text;
    int pos;
    lmm_formula *f;
    int vcap, recap;
    lmm_error *err;
    lmm_status st;
} lmm__fparser;

static void lmm__expr_free(lmm_expr *e)
{
    if (!e) return;
    lmm__expr_free(e->a);
    lmm__expr_free(e->b);
    LMM_FREE(e->name);
    LMM_FREE(e);
}

static void lmm__termlist_free(lmm_termlist *tl)
{
    int t;
    for (t = 0; t < tl->nterms; t++) LMM_FREE(tl->terms[t].vars);
    LMM_FREE(tl->terms);
    tl->terms = NULL; tl->nterms = 0;
}

LMM_API void lmm_formula_free(lmm_formula *f)
{
    int i;
    if (!f) return;
    for (i = 0; i < f->nvars; i++) { LMM_FREE(f->vars[i].label); lmm__expr_free(f->vars[i].expr); }
    LMM_FREE(f->vars);
    lmm__termlist_free(&f->fixed);
    for (i = 0; i < f->nre; i++) {
        lmm__termlist_free(&f->re[i].lhs);
        LMM_FREE(f->re[i].group);
        LMM_FREE(f->re[i].group_label);
    }
    LMM_FREE(f->re);
    for (i = 0; i < f->noffset; i++) lmm__expr_free(f->offsets[i]);
    LMM_FREE(f->offsets);
    LMM_FREE(f->text);
    LMM_FREE(f);
}

/* ---- deparse (R's spacing: "a + b", "a * b", "a/b", "a^b") ---- */

typedef struct lmm__sbuf { char *p; size_t size, len; } lmm__sbuf;

static void lmm__sbuf_put(lmm__sbuf *s, const char *str)
{
    while (*str) {
        if (s->len + 1 < s->size) s->p[s->len] = *str;
        s->len++; str++;
    }
    if (s->size) s->p[s->len < s->size ? s->len : s->size - 1] = '\0';
}

static void lmm__deparse_into(const lmm_expr *e, lmm__sbuf *s)
{
    static const char *const ops[] = { "", "", " + ", " - ", " * ", "/", "^" };
    char num[48];
    switch (e->op) {
    case LMM_EX_NUM: lmm__format_r(e->num, num, sizeof num); lmm__sbuf_put(s, num); break;
    case LMM_EX_VAR: lmm__sbuf_put(s, e->name); break;
    case LMM_EX_ADD: case LMM_EX_SUB: case LMM_EX_MUL: case LMM_EX_DIV: case LMM_EX_POW:
        lmm__deparse_into(e->a, s); lmm__sbuf_put(s, ops[e->op]); lmm__deparse_into(e->b, s); break;
    case LMM_EX_NEG: lmm__sbuf_put(s, "-"); lmm__deparse_into(e->a, s); break;
    case LMM_EX_PAREN: lmm__sbuf_put(s, "("); lmm__deparse_into(e->a, s); lmm__sbuf_put(s, ")"); break;
    case LMM_EX_CALL:
        lmm__sbuf_put(s, e->name); lmm__sbuf_put(s, "("); lmm__deparse_into(e->a, s);
        if (e->b) lmm__deparse_into(e->b, s);
        lmm__sbuf_put(s, ")"); break;
    case LMM_EX_ARG:   /* R writes ", name = value" */
        lmm__sbuf_put(s, ", ");
        if (e->name) { lmm__sbuf_put(s, e->name); lmm__sbuf_put(s, " = "); }
        lmm__deparse_into(e->a, s);
        if (e->b) lmm__deparse_into(e->b, s);
        break;
    case LMM_EX_LOGICAL: lmm__sbuf_put(s, e->num != 0 ? "TRUE" : "FALSE"); break;
    }
}

LMM_API void lmm_expr_deparse(const lmm_expr *e, char *buf, size_t size)
{
    lmm__sbuf s;
    s.p = buf; s.size = size; s.len = 0;
    if (size) buf[0] = '\0';
    if (e) lmm__deparse_into(e, &s);
}

/* ---- lexical helpers ---- */

static void lmm__fp_ws(lmm__fparser *ps)
{
    while (ps->text[ps->pos] == ' ' || ps->text[ps->pos] == '\t' || ps->text[ps->pos] == '\n' || ps->text[ps->pos] == '\r')
        ps->pos++;
}

static int lmm__fp_peek(lmm__fparser *ps) { lmm__fp_ws(ps); return (unsigned char)ps->text[ps->pos]; }

static int lmm__fp_fail(lmm__fparser *ps, int offset, const char *what)
{
    if (ps->st == LMM_OK) ps->st = lmm__fail(ps->err, LMM_ERR_FORMULA, "%s at offset %d in formula '%s'", what, offset, ps->text);
    return 0;
}

static int lmm__is_name_start(int c) { return isalpha(c) || c == '.'; }
static int lmm__is_name_char(int c) { return isalnum(c) || c == '.' || c == '_'; }

/* A name (plain or `backquoted`); returns an owned copy or NULL. */
static char *lmm__fp_name(lmm__fparser *ps)
{
    const char *t = ps->text;
    int start = ps->pos, end;
    char *name;
    if (t[ps->pos] == '`') {
        end = ps->pos + 1;
        while (t[end] && t[end] != '`') end++;
        if (!t[end]) { lmm__fp_fail(ps, start, "unterminated backquoted name"); return NULL; }
        name = lmm__strndup(t + start + 1, (size_t)(end - start - 1));
        ps->pos = end + 1;
    } else {
        end = ps->pos;
        while (lmm__is_name_char((unsigned char)t[end])) end++;
        name = lmm__strndup(t + start, (size_t)(end - start));
        ps->pos = end;
    }
    if (!name && ps->st == LMM_OK) ps->st = lmm__nomem(ps->err);
    return name;
}

static lmm_expr *lmm__expr_node(lmm__fparser *ps, lmm_expr_op op, int offset)
{
    lmm_expr *e = LMM__ZNEW(lmm_expr, 1);
    if (!e) { if (ps->st == LMM_OK) ps->st = lmm__nomem(ps->err); return NULL; }
    e->op = op; e->offset = offset;
    return e;
}

static int lmm__known_function(const char *name)
{
    static const char *const fns[] = { "I", "log", "exp", "sqrt", "abs", "log10", "log2", "sin", "cos", "factor", "as.factor",
                                       "log1p", "expm1", "pmin", "pmax", "scale", "poly", "ns", "bs" };
    size_t i;
    for (i = 0; i < sizeof fns / sizeof fns[0]; i++) if (strcmp(fns[i], name) == 0) return 1;
    return 0;
}

/* Is e a call factor(x) or as.factor(x)? Such a variable is a factor. */
static int lmm__is_factor_call(const lmm_expr *e)
{
    return e && e->op == LMM_EX_CALL && (strcmp(e->name, "factor") == 0 || strcmp(e->name, "as.factor") == 0);
}

/* ---- arithmetic expressions (the response and the inside of calls) ---- */

static lmm_expr *lmm__fp_arith(lmm__fparser *ps);

static lmm_expr *lmm__fp_number(lmm__fparser *ps)
{
    const char *t = ps->text + ps->pos;
    char *end;
    double v = strtod(t, &end);
    lmm_expr *e;
    if (end == t) { lmm__fp_fail(ps, ps->pos, "expected a number"); return NULL; }
    if (!(e = lmm__expr_node(ps, LMM_EX_NUM, ps->pos))) return NULL;
    e->num = v;
    ps->pos += (int)(end - t);
    return e;
}

/* The parameters after the first each function takes, in R's positional order:
   "" = an unnamed value, "-" = R's coefs, which is never given by position here. */
static const char *const *lmm__call_params(const char *fn)
{
    static const char *const one[] = { NULL };
    static const char *const two[] = { "", NULL };
    static const char *const scl[] = { "center", "scale", NULL };
    static const char *const pol[] = { "degree", "-", "raw", NULL };
    static const char *const nsp[] = { "df", "knots", "intercept", "Boundary.knots", NULL };
    static const char *const bsp[] = { "df", "knots", "degree", "intercept", "Boundary.knots", NULL };
    if (strcmp(fn, "pmin") == 0 || strcmp(fn, "pmax") == 0) return two;
    if (strcmp(fn, "scale") == 0) return scl;
    if (strcmp(fn, "poly") == 0) return pol;
    if (strcmp(fn, "ns") == 0) return nsp;
    if (strcmp(fn, "bs") == 0) return bsp;
    return one;
}

/* Is v a literal number (n or -n)? */
static int lmm__is_num_literal(const lmm_expr *v)
{
    return v && (v->op == LMM_EX_NUM || (v->op == LMM_EX_NEG && v->a->op == LMM_EX_NUM));
}

/* Is e a spline basis call, ns() or bs()? */
static int lmm__is_spline_call(const lmm_expr *e)
{
    return e && e->op == LMM_EX_CALL && (strcmp(e->name, "ns") == 0 || strcmp(e->name, "bs") == 0);
}

/* Length of a literal vector argument: c(n, ...) or a lone number; -1 otherwise. */
static int lmm__cvec_len(const lmm_expr *v)
{
    int k = 1;
    const lmm_expr *a;
    if (lmm__is_num_literal(v)) return 1;
    if (!v || v->op != LMM_EX_CALL || strcmp(v->name, "c") != 0 || !lmm__is_num_literal(v->a)) return -1;
    for (a = v->b; a; a = a->b, k++) if (!lmm__is_num_literal(a->a)) return -1;
    return k;
}

/* Element i of a literal vector argument (lmm__cvec_len says it is one). */
static double lmm__cvec_at(const lmm_expr *v, int i)
{
    if (v->op == LMM_EX_CALL) {
        v = i == 0 ? v->a : v->b;
        while (v->op == LMM_EX_ARG && --i > 0) v = v->b;
        if (v->op == LMM_EX_ARG) v = v->a;
    }
    return v->op == LMM_EX_NEG ? -v->a->num : v->num;
}

/* c(...) after "name =" of ns()/bs(): a call node named "c", the first
   element in a and the rest as positional arguments, so it deparses as R's. */
static lmm_expr *lmm__fp_cvec(lmm__fparser *ps)
{
    int at = ps->pos;
    lmm_expr *e = lmm__expr_node(ps, LMM_EX_CALL, at), **tail, *arg;
    if (!e) return NULL;
    if (!(e->name = lmm__strdup("c"))) { lmm__expr_free(e); ps->st = lmm__nomem(ps->err); return NULL; }
    ps->pos++;
    lmm__fp_peek(ps);
    ps->pos++;   /* the '(' */
    if (lmm__fp_peek(ps) == ')') { lmm__expr_free(e); lmm__fp_fail(ps, ps->pos, "c() needs at least one number"); return NULL; }
    if (!(e->a = lmm__fp_arith(ps))) { lmm__expr_free(e); return NULL; }
    tail = &e->b;
    while (lmm__fp_peek(ps) == ',') {
        int aat = ps->pos++;
        if (!(arg = lmm__expr_node(ps, LMM_EX_ARG, aat))) { lmm__expr_free(e); return NULL; }
        *tail = arg; tail = &arg->b;
        if (!(arg->a = lmm__fp_arith(ps))) { lmm__expr_free(e); return NULL; }
    }
    if (lmm__fp_peek(ps) != ')') { lmm__expr_free(e); lmm__fp_fail(ps, ps->pos, "expected ')' closing c("); return NULL; }
    ps->pos++;
    return e;
}

/* Does the text at the parser's position read "c(" ? */
static int lmm__fp_at_cvec(lmm__fparser *ps)
{
    const char *t = ps->text + ps->pos;
    if (t[0] != 'c' || lmm__is_name_char((unsigned char)t[1])) return 0;
    for (t++; *t == ' ' || *t == '\t' || *t == '\n' || *t == '\r'; t++) {}
    return *t == '(';
}

/* The further arguments of call e after its first, up to and including ')';
   each is checked against the function's parameters so evaluation can trust them. */
static int lmm__fp_call_args(lmm__fparser *ps, lmm_expr *e)
{
    const char *const *params = lmm__call_params(e->name);
    lmm_expr **tail = &e->b, *arg;
    int npos = 0, nparams = 0, seen = 0;
    while (params[nparams]) nparams++;
    while (lmm__fp_peek(ps) == ',') {
        int at, k = -1, start;
        char *aname = NULL;
        lmm_expr *val;
        ps->pos++;
        lmm__fp_ws(ps);
        at = start = ps->pos;
        if (lmm__is_name_start(ps->text[ps->pos])) {
            /* "name =" (not "==") names the argument; otherwise the name starts a value */
            int end = ps->pos;
            while (lmm__is_name_char((unsigned char)ps->text[end])) end++;
            ps->pos = end;
            if (lmm__fp_peek(ps) == '=' && ps->text[ps->pos + 1] != '=') {
                if (!(aname = lmm__strndup(ps->text + start, (size_t)(end - start)))) { ps->st = lmm__nomem(ps->err); return 0; }
                ps->pos++;
            } else ps->pos = start;
        }
        if (aname) {
            for (k = 0; k < nparams; k++) if (params[k][0] && strcmp(params[k], aname) == 0) break;
            if (k == nparams) {
                char msg[128];
                snprintf(msg, sizeof msg, "%.20s() has no argument '%.40s'", e->name, aname);
                LMM_FREE(aname);
                return lmm__fp_fail(ps, at, msg);
            }
        } else {
            k = npos++;
            if (k >= nparams || params[k][0] == '-') {
                char msg[128];
                snprintf(msg, sizeof msg, nparams ? "too many unnamed arguments to %.20s() (name them, e.g. raw = TRUE)"
                                                  : "%.20s() takes one argument", e->name);
                return lmm__fp_fail(ps, at, msg);
            }
        }
        if (seen & (1 << k)) { LMM_FREE(aname); return lmm__fp_fail(ps, at, "argument given twice"); }
        seen |= 1 << k;
        lmm__fp_ws(ps);
        if (strncmp(ps->text + ps->pos, "TRUE", 4) == 0 && !lmm__is_name_char((unsigned char)ps->text[ps->pos + 4])) {
            val = lmm__expr_node(ps, LMM_EX_LOGICAL, ps->pos); if (val) val->num = 1; ps->pos += 4;
        } else if (strncmp(ps->text + ps->pos, "FALSE", 5) == 0 && !lmm__is_name_char((unsigned char)ps->text[ps->pos + 5])) {
            val = lmm__expr_node(ps, LMM_EX_LOGICAL, ps->pos); if (val) val->num = 0; ps->pos += 5;
        } else if (lmm__is_spline_call(e) && lmm__fp_at_cvec(ps)) val = lmm__fp_cvec(ps);
        else val = lmm__fp_arith(ps);
        if (!val) { LMM_FREE(aname); return 0; }
        if (!(arg = lmm__expr_node(ps, LMM_EX_ARG, at))) { LMM_FREE(aname); lmm__expr_free(val); return 0; }
        arg->name = aname; arg->a = val; arg->num = k;   /* num: the parameter's index */
        *tail = arg; tail = &arg->b;
    }
    if (lmm__fp_peek(ps) != ')') return lmm__fp_fail(ps, ps->pos, "expected ')' closing the function call");
    ps->pos++;
    if ((strcmp(e->name, "pmin") == 0 || strcmp(e->name, "pmax") == 0) && !e->b)
        return lmm__fp_fail(ps, e->offset, "pmin()/pmax() need two arguments");
    for (arg = e->b; arg; arg = arg->b) {
        const lmm_expr *v = arg->a;
        int neg = v->op == LMM_EX_NEG && v->a->op == LMM_EX_NUM;
        if (strcmp(e->name, "poly") == 0 && arg->num == 0 && (v->op != LMM_EX_NUM || v->num != floor(v->num) || v->num > 64))
            return lmm__fp_fail(ps, v->offset, "poly() needs a whole-number degree of at most 64");
        if (strcmp(e->name, "poly") == 0 && arg->num == 0 && v->num < 1)
            return lmm__fp_fail(ps, v->offset, "'degree' must be at least 1");   /* R's message */
        if (strcmp(e->name, "poly") == 0 && arg->num == 2 && v->op != LMM_EX_LOGICAL)
            return lmm__fp_fail(ps, v->offset, "poly()'s raw must be TRUE or FALSE");
        if (strcmp(e->name, "scale") == 0 && v->op != LMM_EX_LOGICAL && v->op != LMM_EX_NUM && !neg)
            return lmm__fp_fail(ps, v->offset, "scale()'s center and scale must be TRUE, FALSE or a number");
        if (lmm__is_spline_call(e)) {
            const char *pn = params[(int)arg->num];
            int len = lmm__cvec_len(v);
            double x = len == 1 ? lmm__cvec_at(v, 0) : 0;
            char msg[128];
            if ((strcmp(pn, "df") == 0 || strcmp(pn, "degree") == 0) && (v->op != LMM_EX_NUM || x != floor(x) || x < 1 || x > 100)) {
                snprintf(msg, sizeof msg, "%s()'s %s must be a whole number from 1 to 100", e->name, pn);
                return lmm__fp_fail(ps, v->offset, msg);
            }
            if (strcmp(pn, "intercept") == 0 && v->op != LMM_EX_LOGICAL) return lmm__fp_fail(ps, v->offset, "intercept must be TRUE or FALSE");
            if (strcmp(pn, "knots") == 0 && (len < 1 || len > 100))
                return lmm__fp_fail(ps, v->offset, "knots must be a number or c() of at most 100 numbers");
            if (strcmp(pn, "Boundary.knots") == 0 && (len != 2 || lmm__cvec_at(v, 0) == lmm__cvec_at(v, 1)))
                return lmm__fp_fail(ps, v->offset, "Boundary.knots must be c() of two different numbers");
        }
        if (strcmp(e->name, "pmin") != 0 && strcmp(e->name, "pmax") != 0) continue;
        if (v->op == LMM_EX_LOGICAL) return lmm__fp_fail(ps, v->offset, "pmin()/pmax() need numbers");
    }
    if (lmm__is_spline_call(e)) {
        /* R would lower too small a df to the least it can use (with a warning); here it is an error */
        int bs = e->name[0] == 'b', ki = bs ? 3 : 2;
        const lmm_expr *dfa = NULL, *kn = NULL, *dg = NULL, *ic = NULL;
        int degree, icpt, least;
        for (arg = e->b; arg; arg = arg->b) {
            if ((int)arg->num == 0) dfa = arg->a;
            if ((int)arg->num == 1) kn = arg->a;
            if (bs && (int)arg->num == 2) dg = arg->a;
            if ((int)arg->num == ki) ic = arg->a;
        }
        degree = bs ? (dg ? (int)dg->num : 3) : 3;
        icpt = ic ? ic->num != 0 : 0;
        least = bs ? degree + icpt : 1 + icpt;
        if (dfa && !kn && dfa->num < least) {
            char msg[128];
            snprintf(msg, sizeof msg, "%s()'s df must be at least %d here (%s)", e->name, least, bs ? "degree + intercept" : "1 + intercept");
            return lmm__fp_fail(ps, dfa->offset, msg);
        }
    }
    return 1;
}

static lmm_expr *lmm__fp_atom(lmm__fparser *ps)
{
    int c = lmm__fp_peek(ps), at = ps->pos;
    lmm_expr *e, *inner;
    if (isdigit(c) || (c == '.' && isdigit((unsigned char)ps->text[ps->pos + 1]))) return lmm__fp_number(ps);
    if (c == '(') {
        ps->pos++;
        if (!(inner = lmm__fp_arith(ps))) return NULL;
        if (lmm__fp_peek(ps) != ')') { lmm__expr_free(inner); lmm__fp_fail(ps, ps->pos, "expected ')'"); return NULL; }
        ps->pos++;
        if (!(e = lmm__expr_node(ps, LMM_EX_PAREN, at))) { lmm__expr_free(inner); return NULL; }
        e->a = inner;
        return e;
    }
    if (lmm__is_name_start(c) || c == '`') {
        char *name = lmm__fp_name(ps);
        if (!name) return NULL;
        if (lmm__fp_peek(ps) == '(') {
            if (!lmm__known_function(name)) {
                char msg[256];
                snprintf(msg, sizeof msg, "unknown function '%.40s' (known: I, log, exp, sqrt, abs, log10, log2, sin, cos, log1p, "
                         "expm1, pmin, pmax, scale, poly, ns, bs, factor, as.factor)", name);
                LMM_FREE(name);
                lmm__fp_fail(ps, at, msg);
                return NULL;
            }
            ps->pos++;
            if (!(inner = lmm__fp_arith(ps))) { LMM_FREE(name); return NULL; }
            if (!(e = lmm__expr_node(ps, LMM_EX_CALL, at))) { LMM_FREE(name); lmm__expr_free(inner); return NULL; }
            e->name = name; e->a = inner;
            if (!lmm__fp_call_args(ps, e)) { lmm__expr_free(e); return NULL; }
            return e;
        }
        if (!(e = lmm__expr_node(ps, LMM_EX_VAR, at))) { LMM_FREE(name); return NULL; }
        e->name = name;
        return e;
    }
    if (c == 0) lmm__fp_fail(ps, at, "unexpected end of formula");
    else {
        char msg[64];
        snprintf(msg, sizeof msg, "unexpected '%c'", c);
        lmm__fp_fail(ps, at, msg);
    }
    return NULL;
}

static lmm_expr *lmm__fp_unary(lmm__fparser *ps);

/* '^' binds tighter than unary minus and associates to the right, as in R. */
static lmm_expr *lmm__fp_power(lmm__fparser *ps)
{
    lmm_expr *base = lmm__fp_atom(ps), *e, *ex;
    int at;
    if (!base) return NULL;
    if (lmm__fp_peek(ps) != '^') return base;
    at = ps->pos++;
    if (!(ex = lmm__fp_unary(ps))) { lmm__expr_free(base); return NULL; }
    if (!(e = lmm__expr_node(ps, LMM_EX_POW, at))) { lmm__expr_free(base); lmm__expr_free(ex); return NULL; }
    e->a = base; e->b = ex;
    return e;
}

static lmm_expr *lmm__fp_unary(lmm__fparser *ps)
{
    int c = lmm__fp_peek(ps), at = ps->pos;
    lmm_expr *e, *a;
    if (c == '-' || c == '+') {
        ps->pos++;
        if (!(a = lmm__fp_unary(ps))) return NULL;
        if (c == '+') return a;
        if (!(e = lmm__expr_node(ps, LMM_EX_NEG, at))) { lmm__expr_free(a); return NULL; }
        e->a = a;
        return e;
    }
    return lmm__fp_power(ps);
}

static lmm_expr *lmm__fp_binary(lmm__fparser *ps, int level)
{
    lmm_expr *lhs = level ? lmm__fp_unary(ps) : lmm__fp_binary(ps, 1), *rhs, *e;
    for (;;) {
        int c, at;
        lmm_expr_op op;
        if (!lhs) return NULL;
        c = lmm__fp_peek(ps); at = ps->pos;
        if (level == 0 && (c == '+' || c == '-')) op = c == '+' ? LMM_EX_ADD : LMM_EX_SUB;
        else if (level == 1 && (c == '*' || c == '/')) op = c == '*' ? LMM_EX_MUL : LMM_EX_DIV;
        else return lhs;
        ps->pos++;
        rhs = level ? lmm__fp_unary(ps) : lmm__fp_binary(ps, 1);
        if (!rhs) { lmm__expr_free(lhs); return NULL; }
        if (!(e = lmm__expr_node(ps, op, at))) { lmm__expr_free(lhs); lmm__expr_free(rhs); return NULL; }
        e->a = lhs; e->b = rhs;
        lhs = e;
    }
}

static lmm_expr *lmm__fp_arith(lmm__fparser *ps) { return lmm__fp_binary(ps, 0); }

/* ---- formula variables ---- */

/* Index of the variable with this expression, adding it if new (takes e). */
static int lmm__fp_intern(lmm__fparser *ps, lmm_expr *e)
{
    lmm_formula *f = ps->f;
    char label[512];
    int i;
    lmm_expr_deparse(e, label, sizeof label);
    for (i = 0; i < f->nvars; i++)
        if (strcmp(f->vars[i].label, label) == 0) { lmm__expr_free(e); return i; }
    if (f->nvars >= LMM__MAX_FVARS) {
        lmm__fp_fail(ps, e->offset, "too many distinct variables (at most 64)");
        lmm__expr_free(e);
        return -1;
    }
    if (f->nvars == ps->vcap) {
        int cap = ps->vcap ? 2 * ps->vcap : 8;
        lmm_fvar *nv = (lmm_fvar *)lmm__grow(f->vars, (size_t)cap, sizeof *nv);
        if (!nv) { lmm__expr_free(e); ps->st = lmm__nomem(ps->err); return -1; }
        f->vars = nv; ps->vcap = cap;
    }
    f->vars[f->nvars].label = lmm__strdup(label);
    f->vars[f->nvars].expr = e;
    if (!f->vars[f->nvars].label) { lmm__expr_free(e); ps->st = lmm__nomem(ps->err); return -1; }
    return f->nvars++;
}

/* ---- term lists ---- */

static int lmm__tl_has(const lmm__tlist *l, lmm__tmask m)
{
    int i;
    for (i = 0; i < l->n; i++) if (l->m[i] == m) return 1;
    return 0;
}

static int lmm__tl_add(lmm__fparser *ps, lmm__tlist *l, lmm__tmask m)
{
    if (lmm__tl_has(l, m)) return 1;
    if (l->n >= LMM__MAX_TERMS) return lmm__fp_fail(ps, ps->pos, "the formula expands to more than 1024 terms");
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        lmm__tmask *nm = (lmm__tmask *)lmm__grow(l->m, (size_t)cap, sizeof *nm);
        if (!nm) { if (ps->st == LMM_OK) ps->st = lmm__nomem(ps->err); return 0; }
        l->m = nm; l->cap = cap;
    }
    l->m[l->n++] = m;
    return 1;
}

static void lmm__tl_remove(lmm__tlist *l, lmm__tmask m)
{
    int i, k = 0;
    for (i = 0; i < l->n; i++) if (l->m[i] != m) l->m[k++] = l->m[i];
    l->n = k;
}

/* All unions a|b (R's a:b), left factor varying fastest. */
static int lmm__tl_interact(lmm__fparser *ps, const lmm__tlist *a, const lmm__tlist *b, lmm__tlist *out)
{
    int i, j;
    if ((double)a->n * b->n > LMM__MAX_CROSS) return lmm__fp_fail(ps, ps->pos, "the formula expands to too many terms");
    for (j = 0; j < b->n; j++)
        for (i = 0; i < a->n; i++)
            if (!lmm__tl_add(ps, out, a->m[i] | b->m[j])) return 0;
    return 1;
}

static int lmm__tl_append(lmm__fparser *ps, lmm__tlist *dst, const lmm__tlist *src)
{
    int i;
    for (i = 0; i < src->n; i++) if (!lmm__tl_add(ps, dst, src->m[i])) return 0;
    return 1;
}

static int lmm__popcount(lmm__tmask m) { int c = 0; while (m) { m &= m - 1; c++; } return c; }

/* Stable order by degree, then into the public form; the empty term is dropped. */
static int lmm__tl_export(lmm__fparser *ps, const lmm__tlist *l, int intercept, lmm_termlist *out)
{
    int deg, i, k = 0, maxdeg = 0;
    out->intercept = intercept;
    out->nterms = 0;
    out->terms = LMM__ZNEW(lmm_term, l->n ? l->n : 1);
    if (!out->terms) { ps->st = lmm__nomem(ps->err); return 0; }
    for (i = 0; i < l->n; i++) if (lmm__popcount(l->m[i]) > maxdeg) maxdeg = lmm__popcount(l->m[i]);
    for (deg = 1; deg <= maxdeg; deg++)
        for (i = 0; i < l->n; i++) {
            lmm__tmask m = l->m[i];
            lmm_term *t;
            int v, nv = 0;
            if (lmm__popcount(m) != deg) continue;
            t = &out->terms[k];
            t->vars = LMM__NEW(int, deg);
            if (!t->vars) { ps->st = lmm__nomem(ps->err); return 0; }
            for (v = 0; v < LMM__MAX_FVARS; v++) if (m & ((lmm__tmask)1 << v)) t->vars[nv++] = v;
            t->nvars = nv;
            out->nterms = ++k;
        }
    return 1;
}

/* ---- formula right-hand sides ---- */

/* Intercept state from literal 0 and 1: -1 = not said, 0 = removed, 1 = kept. */
static int lmm__fp_sum(lmm__fparser *ps, lmm__tlist *out, int *intercept, int allow_re);

static int lmm__fp_reterm(lmm__fparser *ps, int open_at);

/* Does the text at the parser's position read "offset(" ? */
static int lmm__fp_at_offset(lmm__fparser *ps)
{
    const char *t = ps->text + ps->pos;
    if (strncmp(t, "offset", 6) != 0 || lmm__is_name_char((unsigned char)t[6])) return 0;
    for (t += 6; *t == ' ' || *t == '\t' || *t == '\n' || *t == '\r'; t++) {}
    return *t == '(';
}

/* offset(expr): kept apart in f->offsets (R's offset terms are no model-matrix column). */
static int lmm__fp_offset(lmm__fparser *ps, int allow, int at)
{
    lmm_formula *f = ps->f;
    lmm_expr *e, **grown;
    if (!allow) return lmm__fp_fail(ps, at, "offset() is only allowed as a top-level term of the fixed part");
    ps->pos += 6;
    lmm__fp_peek(ps);
    ps->pos++;   /* the '(' */
    if (!(e = lmm__fp_arith(ps))) return 0;
    if (lmm__fp_peek(ps) != ')') { lmm__expr_free(e); return lmm__fp_fail(ps, ps->pos, "expected ')' closing offset("); }
    ps->pos++;
    if (!(grown = (lmm_expr **)LMM_REALLOC(f->offsets, (size_t)(f->noffset + 1) * sizeof *grown))) {
        lmm__expr_free(e);
        ps->st = lmm__nomem(ps->err);
        return 0;
    }
    f->offsets = grown;
    f->offsets[f->noffset++] = e;
    return 1;
}

/* A formula primary: returns 1 on success; *literal is 0 or 1 for a bare number. */
static int lmm__fp_fprimary(lmm__fparser *ps, lmm__tlist *out, int *literal, int *is_re, int allow_re)
{
    int c = lmm__fp_peek(ps), at = ps->pos;
    *literal = -1; *is_re = 0;
    if (c == '(') {
        /* A '|' at this depth before the closing ')' makes it a random-effects term. */
        int depth = 0, i, bar = 0;
        for (i = ps->pos; ps->text[i]; i++) {
            if (ps->text[i] == '(') depth++;
            else if (ps->text[i] == ')') { if (--depth == 0) break; }
            else if (ps->text[i] == '|' && depth == 1) bar = 1;
        }
        if (bar) {
            if (!allow_re) return lmm__fp_fail(ps, at, "random-effects term '(... | ...)' is only allowed as a top-level term of the right-hand side");
            *is_re = 1;
            ps->pos++;
            return lmm__fp_reterm(ps, at);
        }
        {
            int icpt = -1;
            ps->pos++;
            if (!lmm__fp_sum(ps, out, &icpt, 0)) return 0;
            if (lmm__fp_peek(ps) != ')') return lmm__fp_fail(ps, ps->pos, "expected ')'");
            ps->pos++;
            if (icpt >= 0 && out->n == 0) *literal = icpt;
            return 1;
        }
    }
    if (isdigit(c) || c == '.') {
        if (c == '.' && !isdigit((unsigned char)ps->text[ps->pos + 1]))
            return lmm__fp_fail(ps, at, "'.' (all columns) is not supported; name the columns");
        {
            lmm_expr *e = lmm__fp_number(ps);
            double v;
            if (!e) return 0;
            v = e->num;
            lmm__expr_free(e);
            if (v != 0.0 && v != 1.0) return lmm__fp_fail(ps, at, "a number in a formula term must be 0 or 1 (wrap arithmetic in I())");
            *literal = (int)v;
            return 1;
        }
    }
    if (lmm__is_name_start(c) && lmm__fp_at_offset(ps)) return lmm__fp_offset(ps, allow_re, at);
    if (lmm__is_name_start(c) || c == '`') {
        lmm_expr *e = lmm__fp_atom(ps);
        int v;
        if (!e) return 0;
        if ((v = lmm__fp_intern(ps, e)) < 0) return 0;
        return lmm__tl_add(ps, out, (lmm__tmask)1 << v);
    }
    if (c == 0) return lmm__fp_fail(ps, at, "unexpected end of formula (a term is missing)");
    {
        char msg[64];
        snprintf(msg, sizeof msg, "unexpected '%c' where a term was expected", c);
        return lmm__fp_fail(ps, at, msg);
    }
}

/* A term list with a literal turned into a list: 1 is the empty term. */
static int lmm__fp_literal_list(lmm__fparser *ps, int literal, int at, lmm__tlist *out)
{
    if (literal == 1) return lmm__tl_add(ps, out, 0);
    return lmm__fp_fail(ps, at, "0 cannot be combined with '*', ':', '/' or '^'");
}

static int lmm__fp_fpower(lmm__fparser *ps, lmm__tlist *out, int *literal, int *is_re, int allow_re)
{
    int at;
    if (!lmm__fp_fprimary(ps, out, literal, is_re, allow_re)) return 0;
    if (lmm__fp_peek(ps) != '^') return 1;
    at = ps->pos++;
    if (*is_re) return lmm__fp_fail(ps, at, "'^' applied to a random-effects term");
    {
        lmm_expr *e;
        int k, power;
        lmm__tlist base = { NULL, 0, 0 }, acc = { NULL, 0, 0 };
        if (!isdigit(lmm__fp_peek(ps))) return lmm__fp_fail(ps, at, "'^' in a formula needs a positive integer power (use I(x^2) for arithmetic)");
        if (!(e = lmm__fp_number(ps))) return 0;
        if (!(e->num >= 1 && e->num <= LMM__MAX_FVARS) || e->num != floor(e->num)) {
            lmm__expr_free(e);
            return lmm__fp_fail(ps, at, "'^' in a formula needs a positive integer power of at most 64 (use I(x^2) for arithmetic)");
        }
        power = (int)e->num;
        lmm__expr_free(e);
        if (*literal >= 0) { *literal = -1; if (!lmm__fp_literal_list(ps, 1, at, out)) return 0; }
        if (!lmm__tl_append(ps, &base, out)) goto fail;
        for (k = 1; k < power; k++) {
            int before = out->n;
            acc.n = 0;
            if (!lmm__tl_append(ps, &acc, out) || !lmm__tl_append(ps, &acc, &base) || !lmm__tl_interact(ps, out, &base, &acc)) goto fail;
            out->n = 0;
            if (!lmm__tl_append(ps, out, &acc)) goto fail;
            if (out->n == before) break;   /* closed under crossing: higher powers add nothing */
        }
        LMM_FREE(base.m); LMM_FREE(acc.m);
        return 1;
    fail:
        LMM_FREE(base.m); LMM_FREE(acc.m);
        return 0;
    }
}

/* ':' then '*' and '/' (R: %in% / * bind looser than ':'). */
static int lmm__fp_fprod(lmm__fparser *ps, int level, lmm__tlist *out, int *literal, int *is_re, int allow_re)
{
    int ok = level ? lmm__fp_fpower(ps, out, literal, is_re, allow_re) : lmm__fp_fprod(ps, 1, out, literal, is_re, allow_re);
    while (ok) {
        int c = lmm__fp_peek(ps), at = ps->pos, lit2, re2;
        lmm__tlist rhs = { NULL, 0, 0 }, res = { NULL, 0, 0 };
        if (!(level == 1 && c == ':') && !(level == 0 && (c == '*' || c == '/'))) return 1;
        if (*is_re) return lmm__fp_fail(ps, at, "random-effects term combined with an operator; join terms with '+'");
        ps->pos++;
        if (level ? !lmm__fp_fpower(ps, &rhs, &lit2, &re2, 0) : !lmm__fp_fprod(ps, 1, &rhs, &lit2, &re2, 0)) { LMM_FREE(rhs.m); return 0; }
        if (*literal >= 0) { if (!lmm__fp_literal_list(ps, *literal, at, out)) { LMM_FREE(rhs.m); return 0; } *literal = -1; }
        if (lit2 >= 0 && !lmm__fp_literal_list(ps, lit2, at, &rhs)) { LMM_FREE(rhs.m); return 0; }
        if (c == ':') ok = lmm__tl_interact(ps, out, &rhs, &res);
        else if (c == '*') ok = lmm__tl_append(ps, &res, out) && lmm__tl_append(ps, &res, &rhs) && lmm__tl_interact(ps, out, &rhs, &res);
        else {
            /* a/b = a + (all variables of a):b */
            lmm__tmask all = 0;
            lmm__tlist whole = { NULL, 0, 0 };
            int i;
            for (i = 0; i < out->n; i++) all |= out->m[i];
            ok = lmm__tl_append(ps, &res, out) && lmm__tl_add(ps, &whole, all) && lmm__tl_interact(ps, &whole, &rhs, &res);
            LMM_FREE(whole.m);
        }
        LMM_FREE(rhs.m);
        if (ok) { out->n = 0; ok = lmm__tl_append(ps, out, &res); }
        LMM_FREE(res.m);
    }
    return 0;
}

static int lmm__fp_sum(lmm__fparser *ps, lmm__tlist *out, int *intercept, int allow_re)
{
    int sign = 1, first = 1;
    for (;;) {
        int c = lmm__fp_peek(ps), at, literal, is_re, ok;
        lmm__tlist part = { NULL, 0, 0 };
        if (c == '-' || (first && c == '+')) { sign = c == '-' ? -1 : 1; ps->pos++; }
        else if (!first) {
            if (c == '+') { sign = 1; ps->pos++; }
            else return 1;
        }
        first = 0;
        at = lmm__fp_peek(ps), at = ps->pos;
        ok = lmm__fp_fprod(ps, 0, &part, &literal, &is_re, allow_re);
        if (ok && is_re && sign < 0) ok = lmm__fp_fail(ps, at, "a random-effects term cannot be removed with '-'");
        if (ok && literal >= 0) *intercept = sign > 0 ? literal : !literal;
        else if (ok && !is_re) {
            int i;
            for (i = 0; i < part.n && ok; i++) {
                if (part.m[i] == 0) { *intercept = sign > 0; continue; }
                if (sign > 0) ok = lmm__tl_add(ps, out, part.m[i]);
                else lmm__tl_remove(out, part.m[i]);
            }
        }
        LMM_FREE(part.m);
        if (!ok) return 0;
    }
}

/* ---- random-effects terms ---- */

static lmm_reterm_spec *lmm__fp_new_re(lmm__fparser *ps)
{
    lmm_formula *f = ps->f;
    if (f->nre == ps->recap) {
        int cap = ps->recap ? 2 * ps->recap : 4;
        lmm_reterm_spec *nr = (lmm_reterm_spec *)lmm__grow(f->re, (size_t)cap, sizeof *nr);
        if (!nr) { ps->st = lmm__nomem(ps->err); return NULL; }
        f->re = nr; ps->recap = cap;
    }
    memset(&f->re[f->nre], 0, sizeof f->re[0]);
    return &f->re[f->nre++];
}

/* One (lhs | group) with the group given as variable indices in label order. */
static int lmm__fp_emit_re(lmm__fparser *ps, const lmm__tlist *lhs, int intercept, const int *group, int ngroup, int at)
{
    lmm_reterm_spec *s = lmm__fp_new_re(ps);
    size_t len = 0;
    int g;
    if (!s) return 0;
    s->offset = at;
    s->group = LMM__NEW(int, ngroup);
    for (g = 0; g < ngroup; g++) len += strlen(ps->f->vars[group[g]].label) + 1;
    s->group_label = (char *)lmm__alloc(len + 1, 1);
    if (!s->group || !s->group_label) { ps->st = lmm__nomem(ps->err); return 0; }
    s->group_label[0] = '\0';
    for (g = 0; g < ngroup; g++) {
        s->group[g] = group[g];
        if (g) strcat(s->group_label, ":");
        strcat(s->group_label, ps->f->vars[group[g]].label);
    }
    s->ngroup = ngroup;
    return lmm__tl_export(ps, lhs, intercept, &s->lhs);
}

/* After '(' of (lhs | g), (lhs || g), (lhs | a/b), (lhs | a:b). */
static int lmm__fp_reterm(lmm__fparser *ps, int open_at)
{
    lmm__tlist lhs = { NULL, 0, 0 };
    int intercept = -1, doubled = 0, units[LMM__MAX_FVARS], unit_len[LMM__MAX_FVARS];
    int nunits = 0, nv = 0, k, ok = 1;
    int vars[LMM__MAX_FVARS];
    if (!lmm__fp_sum(ps, &lhs, &intercept, 0)) { LMM_FREE(lhs.m); return 0; }
    if (intercept < 0) intercept = 1;
    if (lmm__fp_peek(ps) != '|') { LMM_FREE(lhs.m); return lmm__fp_fail(ps, ps->pos, "expected '|' in random-effects term"); }
    ps->pos++;
    if (ps->text[ps->pos] == '|') { doubled = 1; ps->pos++; }
    if (intercept == 0 && lhs.n == 0) { LMM_FREE(lhs.m); return lmm__fp_fail(ps, open_at, "random-effects term has no columns"); }
    /* the grouping side: names joined by ':' (one factor) and '/' (nesting) */
    units[0] = 0; unit_len[0] = 0; nunits = 1;
    for (;;) {
        int c = lmm__fp_peek(ps), at = ps->pos, v;
        lmm_expr *e;
        if (!(lmm__is_name_start(c) || c == '`')) { ok = lmm__fp_fail(ps, at, "expected a grouping factor name after '|'"); break; }
        if (!(e = lmm__fp_atom(ps))) { ok = 0; break; }
        if (e->op != LMM_EX_VAR && !lmm__is_factor_call(e)) { lmm__expr_free(e); ok = lmm__fp_fail(ps, at, "a grouping factor must be a column name or factor(column)"); break; }
        if ((v = lmm__fp_intern(ps, e)) < 0) { ok = 0; break; }
        vars[nv++] = v; unit_len[nunits - 1]++;
        c = lmm__fp_peek(ps);
        if (c == ':') { ps->pos++; continue; }
        if (c == '/') { ps->pos++; units[nunits] = nv; unit_len[nunits] = 0; nunits++; continue; }
        if (c == ')') { ps->pos++; break; }
        ok = lmm__fp_fail(ps, ps->pos, c ? "expected ')' closing the random-effects term" : "unterminated random-effects term: missing ')'");
        break;
    }
    /* a/b/c -> groups a, b:a, c:b:a (lme4's labels) */
    for (k = 0; ok && k < nunits; k++) {
        int group[LMM__MAX_FVARS], ng = 0, u, j;
        for (u = k; u >= 0; u--) for (j = 0; j < unit_len[u]; j++) group[ng++] = vars[units[u] + j];
        if (!doubled) ok = lmm__fp_emit_re(ps, &lhs, intercept, group, ng, open_at);
        else {
            /* (x || g) = (1 | g) + (0 + x | g) + ... one block per term */
            lmm__tlist one = { NULL, 0, 0 };
            int t;
            if (intercept) ok = lmm__fp_emit_re(ps, &one, 1, group, ng, open_at);
            for (t = 0; ok && t < lhs.n; t++) {
                one.n = 0;
                ok = lmm__tl_add(ps, &one, lhs.m[t]) && lmm__fp_emit_re(ps, &one, 0, group, ng, open_at);
            }
            LMM_FREE(one.m);
        }
    }
    LMM_FREE(lhs.m);
    return ok;
}

LMM_API lmm_status lmm_formula_parse(const char *text, lmm_formula **out, lmm_error *err)
{
    lmm__fparser ps;
    lmm__tlist fixed = { NULL, 0, 0 };
    int intercept = -1, tilde;
    const char *t;
    if (out) *out = NULL;
    if (!text || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_formula_parse: NULL argument");
    memset(&ps, 0, sizeof ps);
    ps.text = text; ps.err = err; ps.st = LMM_OK;
    if (!(t = strchr(text, '~'))) return lmm__fail(err, LMM_ERR_FORMULA, "formula '%s' has no '~'", text);
    if (strchr(t + 1, '~')) return lmm__fail(err, LMM_ERR_FORMULA, "more than one '~' at offset %d in formula '%s'", (int)(strchr(t + 1, '~') - text), text);
    tilde = (int)(t - text);
    if (!(ps.f = LMM__ZNEW(lmm_formula, 1))) return lmm__nomem(err);
    ps.f->response = -1;
    if (!(ps.f->text = lmm__strdup(text))) { lmm_formula_free(ps.f); return lmm__nomem(err); }
    if (lmm__fp_peek(&ps) != '~') {
        lmm_expr *e = lmm__fp_arith(&ps);
        if (e) {
            if (lmm__fp_peek(&ps) != '~') { lmm__expr_free(e); lmm__fp_fail(&ps, ps.pos, "unexpected text before '~'"); }
            else ps.f->response = lmm__fp_intern(&ps, e);
        }
    }
    if (ps.st == LMM_OK) {
        ps.pos = tilde + 1;
        if (lmm__fp_peek(&ps) == 0) lmm__fp_fail(&ps, ps.pos, "empty right-hand side");
    }
    if (ps.st == LMM_OK && lmm__fp_sum(&ps, &fixed, &intercept, 1) && lmm__fp_peek(&ps) != 0) {
        int c = lmm__fp_peek(&ps);
        char msg[64];
        snprintf(msg, sizeof msg, c == ')' ? "unmatched ')'" : "unexpected '%c'", c);
        lmm__fp_fail(&ps, ps.pos, msg);
    }
    if (ps.st == LMM_OK) {
        int i;
        /* the response is never a regressor */
        if (ps.f->response >= 0) lmm__tl_remove(&fixed, (lmm__tmask)1 << ps.f->response);
        for (i = 0; i < fixed.n; i++) if (fixed.m[i] == 0) intercept = 1;
        lmm__tl_remove(&fixed, 0);
        lmm__tl_export(&ps, &fixed, intercept < 0 ? 1 : intercept, &ps.f->fixed);
    }
    LMM_FREE(fixed.m);
    if (ps.st != LMM_OK) { lmm_formula_free(ps.f); return ps.st; }
    *out = ps.f;
    return LMM_OK;
}

/* text: the formula, named in the message (the offset counts bytes of it) */
static lmm_status lmm__expr_check(const lmm_expr *e, const lmm_frame *df, const char *text, lmm_error *err)
{
    lmm_status st;
    if (!e) return LMM_OK;
    if (e->op == LMM_EX_VAR && lmm_frame_find(df, e->name) < 0)
        return lmm__fail(err, LMM_ERR_FORMULA, "unknown column '%s' at offset %d in formula '%s'", e->name, e->offset,
                         text ? text : "");
    if ((st = lmm__expr_check(e->a, df, text, err)) != LMM_OK) return st;
    return lmm__expr_check(e->b, df, text, err);
}

LMM_API lmm_status lmm_formula_check(const lmm_formula *f, const lmm_frame *df, lmm_error *err)
{
    int v;
    lmm_status st;
    if (!f || !df) return lmm__fail(err, LMM_ERR_ARG, "lmm_formula_check: NULL argument");
    for (v = 0; v < f->nvars; v++)
        if ((st = lmm__expr_check(f->vars[v].expr, df, f->text, err)) != LMM_OK) return st;
    return LMM_OK;
}

/* The value node of call e's parameter k (lmm__call_params' index), or NULL. */
static const lmm_expr *lmm__call_arg(const lmm_expr *e, int k)
{
    const lmm_expr *a;
    for (a = e->b; a; a = a->b) if ((int)a->num == k) return a->a;
    return NULL;
}

/* The settings of ns() (bs: 0) or bs() (bs: 1) as written: df (0 = not
   given), knots (NULL = from df), degree, intercept, Boundary.knots (NULL =
   the range of x). */
typedef struct lmm__spline_args {
    int bs, df, degree, intercept;
    const lmm_expr *knots, *boundary;
} lmm__spline_args;

static void lmm__spline_args_of(const lmm_expr *e, lmm__spline_args *sa)
{
    const lmm_expr *a;
    memset(sa, 0, sizeof *sa);
    sa->bs = e->name[0] == 'b';
    sa->degree = 3;
    for (a = e->b; a; a = a->b) {
        int k = (int)a->num;
        if (k == 0) sa->df = (int)a->a->num;
        else if (k == 1) sa->knots = a->a;
        else if (sa->bs && k == 2) sa->degree = (int)a->a->num;
        else if (k == (sa->bs ? 3 : 2)) sa->intercept = a->a->num != 0;
        else sa->boundary = a->a;
    }
}

/* Interior knots of a spline call: given, from df, or none. */
static int lmm__spline_ninterior(const lmm__spline_args *sa)
{
    if (sa->knots) return lmm__cvec_len(sa->knots);
    if (!sa->df) return 0;
    return sa->bs ? sa->df - sa->degree - sa->intercept : sa->df - 1 - sa->intercept;
}

/* Columns a formula variable makes: poly(x, k) makes k, ns()/bs() their df,
   everything else one. */
static int lmm__expr_ncol(const lmm_expr *e)
{
    const lmm_expr *d;
    if (lmm__is_spline_call(e)) {
        lmm__spline_args sa;
        lmm__spline_args_of(e, &sa);
        return lmm__spline_ninterior(&sa) + (sa.bs ? sa.degree : 1) + sa.intercept;
    }
    if (!e || e->op != LMM_EX_CALL || strcmp(e->name, "poly") != 0) return 1;
    d = lmm__call_arg(e, 0);
    return d ? (int)d->num : 1;
}

/* A literal argument: a number, -number, TRUE (1) or FALSE (0); *logical says which kind. */
static double lmm__arg_value(const lmm_expr *v, int *logical)
{
    *logical = v->op == LMM_EX_LOGICAL;
    if (v->op == LMM_EX_NEG) return -v->a->num;
    return v->num;
}

static lmm_status lmm__expr_eval_rec(const lmm_expr *e, const lmm_frame *df, const lmm_frame *ref, double *out, lmm_error *err);

/* x evaluated on the reference frame (the training data), for the statistics
   scale() and poly() take from it, as R's makepredictcall keeps them. */
static lmm_status lmm__eval_on_ref(const lmm_expr *x, const lmm_frame *ref, double **out, lmm_error *err)
{
    lmm_status st;
    if (!(*out = LMM__NEW(double, ref->nrow > 0 ? ref->nrow : 1))) return lmm__nomem(err);
    if ((st = lmm__expr_eval_rec(x, ref, ref, *out, err)) != LMM_OK) { LMM_FREE(*out); *out = NULL; }
    return st;
}

/* R's scale(x, center, scale) with the centre and scale of x on ref: the mean and
   the root of sum(x - centre)^2 / (n - 1) over ref's non-missing x (every row of
   the data, also rows the model drops for a missing value elsewhere, as in R). */
static lmm_status lmm__eval_scale(const lmm_expr *e, const lmm_frame *df, const lmm_frame *ref, double *out, lmm_error *err)
{
    const lmm_expr *ca = lmm__call_arg(e, 0), *sa = lmm__call_arg(e, 1);
    int clog = 1, slog = 1, i, n = df->nrow, cnt = 0, from_c, from_s;
    double c = ca ? lmm__arg_value(ca, &clog) : 1, s = sa ? lmm__arg_value(sa, &slog) : 1, *xr = NULL, ss = 0;
    lmm_status st;
    from_c = clog && c != 0; from_s = slog && s != 0;   /* TRUE: from the data */
    if (clog && !from_c) c = 0;
    if (slog && !from_s) s = 1;
    if ((st = lmm__expr_eval_rec(e->a, df, ref, out, err)) != LMM_OK) return st;
    if (from_c || from_s) {
        if ((st = lmm__eval_on_ref(e->a, ref, &xr, err)) != LMM_OK) return st;
        if (from_c) {
            double sum = 0;
            for (i = 0; i < ref->nrow; i++) if (!isnan(xr[i])) { sum += xr[i]; cnt++; }
            c = cnt ? sum / cnt : NAN;
        }
        if (from_s) {
            cnt = 0;
            for (i = 0; i < ref->nrow; i++) if (!isnan(xr[i])) { double d = xr[i] - c; ss += d * d; cnt++; }
            s = sqrt(ss / (cnt > 1 ? cnt - 1 : 1));
        }
        LMM_FREE(xr);
    }
    for (i = 0; i < n; i++) out[i] = (out[i] - c) / s;
    return LMM_OK;
}

/* R's poly(x, k) into out[k * nrow]: raw powers, or the orthogonal polynomials
   of x on ref (monic three-term recurrence whose alpha and norms come from ref,
   each column divided by its norm on ref), evaluated at df's x. */
static lmm_status lmm__eval_poly(const lmm_expr *e, const lmm_frame *df, const lmm_frame *ref, double *out, lmm_error *err)
{
    const lmm_expr *ra = lmm__call_arg(e, 2);
    int k = lmm__expr_ncol(e), n = df->nrow, nr = ref->nrow, i, j, nu = 0, lg;
    double *x = LMM__NEW(double, n > 0 ? n : 1), *xr = NULL, *alpha = NULL, *norm2 = NULL, *p0 = NULL, *p1 = NULL, mean = 0;
    lmm_status st = LMM_OK;
    if (!x) return lmm__nomem(err);
    if ((st = lmm__expr_eval_rec(e->a, df, ref, x, err)) != LMM_OK) goto done;
    if (ra && lmm__arg_value(ra, &lg) != 0) {
        for (j = 0; j < k; j++) for (i = 0; i < n; i++) out[(size_t)j * n + i] = pow(x[i], j + 1);
        goto done;
    }
    if ((st = lmm__eval_on_ref(e->a, ref, &xr, err)) != LMM_OK) goto done;
    alpha = LMM__NEW(double, k + 1); norm2 = LMM__NEW(double, k + 2);
    p0 = LMM__NEW(double, nr > 0 ? nr : 1); p1 = LMM__NEW(double, nr > 0 ? nr : 1);
    if (!alpha || !norm2 || !p0 || !p1) { st = lmm__nomem(err); goto done; }
    for (i = 0; i < nr; i++) {
        if (isnan(xr[i])) { st = lmm__fail(err, LMM_ERR_DATA, "missing values are not allowed in 'poly' (%s at offset %d)", "poly()", e->offset); goto done; }
        mean += xr[i];
    }
    mean /= nr > 0 ? nr : 1;
    /* unique points on ref: sorted copy in p0 */
    memcpy(p0, xr, (size_t)nr * sizeof *p0);
    qsort(p0, (size_t)nr, sizeof *p0, lmm__cmp_double);
    for (i = 0; i < nr; i++) if (i == 0 || p0[i] != p0[i - 1]) nu++;
    if (k >= nu) { st = lmm__fail(err, LMM_ERR_DATA, "'degree' must be less than number of unique points (poly() at offset %d)", e->offset); goto done; }
    /* Stieltjes on the centred ref x: p0 = P_{j-1}, p1 = P_j */
    for (i = 0; i < nr; i++) { xr[i] -= mean; p0[i] = 0; p1[i] = 1; }
    norm2[0] = 1; norm2[1] = nr;
    for (j = 0; j < k; j++) {
        double sx = 0, ss = 0;
        for (i = 0; i < nr; i++) sx += xr[i] * p1[i] * p1[i];
        alpha[j] = sx / norm2[j + 1];
        for (i = 0; i < nr; i++) {
            double next = (xr[i] - alpha[j]) * p1[i] - (j ? norm2[j + 1] / norm2[j] : 0) * p0[i];
            p0[i] = p1[i]; p1[i] = next; ss += next * next;
        }
        norm2[j + 2] = ss;
    }
    /* the same recurrence at df's x (NAN stays NAN) */
    for (i = 0; i < n; i++) {
        double a = 0, b = 1, xc = x[i] - mean;
        for (j = 0; j < k; j++) {
            double next = (xc - alpha[j]) * b - (j ? norm2[j + 1] / norm2[j] : 0) * a;
            a = b; b = next;
            out[(size_t)j * n + i] = b / sqrt(norm2[j + 2]);
        }
    }
done:
    LMM_FREE(x); LMM_FREE(xr); LMM_FREE(alpha); LMM_FREE(norm2); LMM_FREE(p0); LMM_FREE(p1);
    return st;
}

/* Derivative `deriv` (0: the values) at x of the nk - ord B-splines of order
   ord on the sorted knots t[nk], into b[nk - ord]; work holds nk doubles. x
   falls in the interval R's splineDesign takes: t[i] <= x < t[i+1], the right
   boundary knot closing the last interval. Cox-de Boor over all the basis,
   then the derivative recurrence for the top deriv orders. */
static void lmm__bspline_at(const double *t, int nk, int ord, double x, int deriv, double *b, double *work)
{
    int i, r, mu = ord - 1;
    for (i = ord - 1; i < nk - ord; i++) if (t[i] < t[i + 1] && t[i] <= x) mu = i;
    for (i = 0; i < nk - 1; i++) work[i] = i == mu;
    for (r = 2; r <= ord; r++)
        for (i = 0; i < nk - r; i++) {
            double d1 = t[i + r - 1] - t[i], d2 = t[i + r] - t[i + 1];
            if (r <= ord - deriv)
                work[i] = (d1 > 0 ? (x - t[i]) / d1 * work[i] : 0) + (d2 > 0 ? (t[i + r] - x) / d2 * work[i + 1] : 0);
            else work[i] = (r - 1) * ((d1 > 0 ? work[i] / d1 : 0) - (d2 > 0 ? work[i + 1] / d2 : 0));
        }
    for (i = 0; i < nk - ord; i++) b[i] = work[i];
}

/* R's qr() (LINPACK dqrdc2) of the m x 2 matrix a, m >= 3, full rank so that
   it does not pivot: Householder vectors in place, their leading elements in
   qraux; lmm__qr2_qty applies Q' as qr.qty does. ns() keeps R's Q exactly. */
static void lmm__qr2_linpack(double *a, int m, double *qraux)
{
    int l, i;
    for (l = 0; l < 2; l++) {
        double nrm = 0, *xl = a + (size_t)l * m, *x2 = a + (size_t)m, t = 0;
        qraux[l] = 0;
        for (i = l; i < m; i++) nrm += xl[i] * xl[i];
        if ((nrm = sqrt(nrm)) == 0) continue;
        if (xl[l] < 0) nrm = -nrm;
        for (i = l; i < m; i++) xl[i] *= 1.0 / nrm;
        xl[l] += 1.0;
        if (l == 0) {
            for (i = 0; i < m; i++) t += xl[i] * x2[i];
            t = -t / xl[0];
            for (i = 0; i < m; i++) x2[i] += t * xl[i];
        }
        qraux[l] = xl[l];
        xl[l] = -nrm;
    }
}

static void lmm__qr2_qty(const double *a, int m, const double *qraux, double *y)
{
    int j, i;
    for (j = 0; j < 2; j++) {
        const double *v = a + (size_t)j * m;
        double t = qraux[j] * y[j];
        if (qraux[j] == 0) continue;
        for (i = j + 1; i < m; i++) t += v[i] * y[i];
        t = -t / qraux[j];
        y[j] += t * qraux[j];
        for (i = j + 1; i < m; i++) y[i] += t * v[i];
    }
}

/* R's type-7 quantile of sorted x[n] at p, as quantile.default computes it. */
static double lmm__spline_quantile(const double *x, int n, double p)
{
    double index = 1 + (n - 1) * p, h;
    int lo = (int)floor(index), hi = (int)ceil(index);
    if (index > lo && x[hi - 1] != x[lo - 1]) { h = index - lo; return (1 - h) * x[lo - 1] + h * x[hi - 1]; }
    return x[lo - 1];
}

/* R's ns(x, ...) and bs(x, ...) (splines package) into out[ncol * nrow]:
   Boundary.knots the range of x on ref (or given); interior knots given, or
   from df the type-7 quantiles of ref's x inside them at equally spaced
   probabilities; the B-spline basis of order 4 (ns) or degree + 1 (bs) on the
   knots with both boundary knots repeated, its first column dropped without
   intercept. ns projects the basis onto the null space of the second
   derivatives at the boundary knots (R's Q from qr(t(const)), columns 3 on)
   and continues linearly beyond them; bs continues beyond them by the Taylor
   polynomial at R's pivot (R warns there, this does not). */
static lmm_status lmm__eval_spline(const lmm_expr *e, const lmm_frame *df, const lmm_frame *ref, double *out, lmm_error *err)
{
    lmm__spline_args sa;
    int n = df->nrow, nr = ref->nrow, ncol = lmm__expr_ncol(e), nin, ord, nk, ncoef, drop, m, i, j, d, nx = 0, nq = 0;
    double *x = NULL, *xr = NULL, *t = NULL, *b = NULL, *work = NULL, *ends = NULL, *qa = NULL, bk[2], qraux[2], piv[2];
    lmm_status st = LMM_OK;
    lmm__spline_args_of(e, &sa);
    nin = lmm__spline_ninterior(&sa);
    ord = sa.bs ? sa.degree + 1 : 4;
    nk = 2 * ord + nin; ncoef = nk - ord; drop = !sa.intercept; m = ncoef - drop;
    x = LMM__NEW(double, n > 0 ? n : 1); t = LMM__NEW(double, nk); b = LMM__NEW(double, ncoef); work = LMM__NEW(double, nk);
    ends = LMM__NEW(double, (size_t)2 * (ord + 1) * ncoef); qa = LMM__NEW(double, 2 * (size_t)m);
    if (!x || !t || !b || !work || !ends || !qa) { st = lmm__nomem(err); goto done; }
    if ((st = lmm__expr_eval_rec(e->a, df, ref, x, err)) != LMM_OK) goto done;
    if ((st = lmm__eval_on_ref(e->a, ref, &xr, err)) != LMM_OK) goto done;
    for (i = 0; i < nr; i++) if (!isnan(xr[i])) xr[nx++] = xr[i];
    if (nx == 0) { st = lmm__fail(err, LMM_ERR_DATA, "%s() at offset %d: x has no non-missing value", e->name, e->offset); goto done; }
    if (sa.boundary) { bk[0] = lmm__cvec_at(sa.boundary, 0); bk[1] = lmm__cvec_at(sa.boundary, 1); }
    else {
        bk[0] = bk[1] = xr[0];
        for (i = 1; i < nx; i++) { if (xr[i] < bk[0]) bk[0] = xr[i]; if (xr[i] > bk[1]) bk[1] = xr[i]; }
        if (nx == 1 && !sa.bs) { bk[0] = xr[0] * 7 / 8; bk[1] = xr[0] * 9 / 8; }   /* R's ns() of one value */
    }
    if (bk[0] > bk[1]) { double s = bk[0]; bk[0] = bk[1]; bk[1] = s; }
    if (!(bk[0] < bk[1]) || !isfinite(bk[0]) || !isfinite(bk[1])) {
        st = lmm__fail(err, LMM_ERR_DATA, "%s() at offset %d: x takes one value; a spline needs a range", e->name, e->offset);
        goto done;
    }
    for (i = 0; i < ord; i++) { t[i] = bk[0]; t[nk - 1 - i] = bk[1]; }
    if (sa.knots) {
        for (i = 0; i < nin; i++) {
            t[ord + i] = lmm__cvec_at(sa.knots, i);
            if (!(t[ord + i] >= bk[0] && t[ord + i] <= bk[1])) {
                st = lmm__fail(err, LMM_ERR_DATA, "%s() at offset %d: knots must lie within the boundary knots", e->name, e->offset);
                goto done;
            }
        }
        qsort(t + ord, (size_t)nin, sizeof *t, lmm__cmp_double);
    } else if (nin > 0) {
        /* R: quantile(x[!outside], seq.int(0, 1, length.out = nin + 2)[-c(1, nin + 2)]) */
        int lout = nin + 2;
        double by = 1.0 / (lout - 1);
        for (i = 0; i < nx; i++) if (xr[i] >= bk[0] && xr[i] <= bk[1]) xr[nq++] = xr[i];
        if (nq == 0) { st = lmm__fail(err, LMM_ERR_DATA, "%s() at offset %d: no x inside the boundary knots", e->name, e->offset); goto done; }
        qsort(xr, (size_t)nq, sizeof *xr, lmm__cmp_double);
        for (i = 1; i <= nin; i++) t[ord + i - 1] = lmm__spline_quantile(xr, nq, i < lout / 2 ? i * by : 1 - (lout - 1 - i) * by);
    }
    /* beyond the boundary: ns the value and slope at the knot, bs the Taylor terms at R's pivots */
    piv[0] = sa.bs ? 0.75 * bk[0] + 0.25 * t[ord] : bk[0];
    piv[1] = sa.bs ? 0.75 * bk[1] + 0.25 * t[nk - ord - 1] : bk[1];
    for (j = 0; j < 2; j++)
        for (d = 0; d <= (sa.bs ? sa.degree : 1); d++) {
            double *row = ends + ((size_t)j * (ord + 1) + d) * ncoef, fact = 1;
            int k;
            for (k = 2; k <= d; k++) fact *= k;
            lmm__bspline_at(t, nk, ord, piv[j], d, row, work);
            for (k = 0; k < ncoef; k++) row[k] /= fact;
        }
    if (!sa.bs) {
        if (m < 3) { st = lmm__fail(err, LMM_ERR_ARG, "ns() at offset %d has too few columns", e->offset); goto done; }
        for (j = 0; j < 2; j++) {
            lmm__bspline_at(t, nk, ord, bk[j], 2, b, work);
            memcpy(qa + (size_t)j * m, b + drop, (size_t)m * sizeof *b);
        }
        lmm__qr2_linpack(qa, m, qraux);
    }
    for (i = 0; i < n; i++) {
        double xi = x[i];
        if (isnan(xi)) { for (j = 0; j < ncol; j++) out[(size_t)j * n + i] = NAN; continue; }
        if (xi < bk[0] || xi > bk[1]) {
            int side = xi > bk[1];
            double dx = xi - piv[side], p = 1;
            for (j = 0; j < ncoef; j++) b[j] = 0;
            for (d = 0; d <= (sa.bs ? sa.degree : 1); d++, p *= dx) {
                const double *row = ends + ((size_t)side * (ord + 1) + d) * ncoef;
                for (j = 0; j < ncoef; j++) b[j] += p * row[j];
            }
        } else lmm__bspline_at(t, nk, ord, xi, 0, b, work);
        if (!sa.bs) lmm__qr2_qty(qa, m, qraux, b + drop);
        for (j = 0; j < ncol; j++) out[(size_t)j * n + i] = b[drop + (sa.bs ? 0 : 2) + j];
    }
done:
    LMM_FREE(x); LMM_FREE(xr); LMM_FREE(t); LMM_FREE(b); LMM_FREE(work); LMM_FREE(ends); LMM_FREE(qa);
    return st;
}

static lmm_status lmm__expr_eval_rec(const lmm_expr *e, const lmm_frame *df, const lmm_frame *ref, double *out, lmm_error *err)
{
    int n = df->nrow, i;
    double *tmp;
    lmm_status st;
    switch (e->op) {
    case LMM_EX_NUM:
        for (i = 0; i < n; i++) out[i] = e->num;
        return LMM_OK;
    case LMM_EX_VAR: {
        int c = lmm_frame_find(df, e->name);
        if (c < 0) return lmm__fail(err, LMM_ERR_FORMULA, "unknown column '%s' at offset %d", e->name, e->offset);
        if (df->cols[c].type != LMM_NUMERIC)
            return lmm__fail(err, LMM_ERR_FORMULA, "column '%s' is a factor; arithmetic at offset %d needs a numeric column", e->name, e->offset);
        memcpy(out, df->cols[c].num, (size_t)n * sizeof *out);
        return LMM_OK;
    }
    case LMM_EX_PAREN:
        return lmm__expr_eval_rec(e->a, df, ref, out, err);
    case LMM_EX_NEG:
        if ((st = lmm__expr_eval_rec(e->a, df, ref, out, err)) != LMM_OK) return st;
        for (i = 0; i < n; i++) out[i] = -out[i];
        return LMM_OK;
    case LMM_EX_ARG: case LMM_EX_LOGICAL:
        return lmm__fail(err, LMM_ERR_FORMULA, "a logical or argument at offset %d is not a number", e->offset);
    case LMM_EX_CALL:
        if (lmm__is_factor_call(e))
            return lmm__fail(err, LMM_ERR_FORMULA, "%s() at offset %d makes a factor; arithmetic needs numbers", e->name, e->offset);
        if (strcmp(e->name, "poly") == 0 || lmm__is_spline_call(e))
            return lmm__fail(err, LMM_ERR_FORMULA, "%s() at offset %d makes a matrix; it can only be a term of its own", e->name, e->offset);
        if (strcmp(e->name, "scale") == 0) return lmm__eval_scale(e, df, ref, out, err);
        if ((st = lmm__expr_eval_rec(e->a, df, ref, out, err)) != LMM_OK) return st;
        if (strcmp(e->name, "pmin") == 0 || strcmp(e->name, "pmax") == 0) {
            int mx = e->name[2] == 'a';
            if (!(tmp = LMM__NEW(double, n > 0 ? n : 1))) return lmm__nomem(err);
            if ((st = lmm__expr_eval_rec(e->b->a, df, ref, tmp, err)) != LMM_OK) { LMM_FREE(tmp); return st; }
            for (i = 0; i < n; i++)
                out[i] = isnan(out[i]) || isnan(tmp[i]) ? NAN : mx ? (out[i] > tmp[i] ? out[i] : tmp[i]) : (out[i] < tmp[i] ? out[i] : tmp[i]);
            LMM_FREE(tmp);
            return LMM_OK;
        }
        if (strcmp(e->name, "I") == 0) return LMM_OK;
        for (i = 0; i < n; i++) {
            double x = out[i];
            const char *fn = e->name;
            if (strcmp(fn, "log") == 0) x = log(x);
            else if (strcmp(fn, "log10") == 0) x = log10(x);
            else if (strcmp(fn, "log2") == 0) x = log(x) / log(2.0);
            else if (strcmp(fn, "log1p") == 0) x = log1p(x);
            else if (strcmp(fn, "exp") == 0) x = exp(x);
            else if (strcmp(fn, "expm1") == 0) x = expm1(x);
            else if (strcmp(fn, "sqrt") == 0) x = sqrt(x);
            else if (strcmp(fn, "sin") == 0) x = sin(x);
            else if (strcmp(fn, "cos") == 0) x = cos(x);
            else if (strcmp(fn, "abs") == 0) x = fabs(x);
            out[i] = x;
        }
        return LMM_OK;
    default:
        break;
    }
    if ((st = lmm__expr_eval_rec(e->a, df, ref, out, err)) != LMM_OK) return st;
    if (!(tmp = LMM__NEW(double, n > 0 ? n : 1))) return lmm__nomem(err);
    if ((st = lmm__expr_eval_rec(e->b, df, ref, tmp, err)) != LMM_OK) { LMM_FREE(tmp); return st; }
    for (i = 0; i < n; i++) {
        switch (e->op) {
        case LMM_EX_ADD: out[i] += tmp[i]; break;
        case LMM_EX_SUB: out[i] -= tmp[i]; break;
        case LMM_EX_MUL: out[i] *= tmp[i]; break;
        case LMM_EX_DIV: out[i] /= tmp[i]; break;
        default: out[i] = pow(out[i], tmp[i]); break;
        }
    }
    LMM_FREE(tmp);
    return LMM_OK;
}

LMM_API lmm_status lmm_expr_eval(const lmm_expr *e, const lmm_frame *df, double *out, lmm_error *err)
{
    if (!e || !df || (!out && df->nrow > 0)) return lmm__fail(err, LMM_ERR_ARG, "lmm_expr_eval: NULL argument");
    return lmm__expr_eval_rec(e, df, df, out, err);
}

/* A formula variable's columns (lmm__expr_ncol of them) on df's rows into
   out[ncol * nrow], with scale(), poly(), ns() and bs() statistics from ref. */
static lmm_status lmm__var_eval(const lmm_expr *e, const lmm_frame *df, const lmm_frame *ref, double *out, lmm_error *err)
{
    if (e->op == LMM_EX_CALL && strcmp(e->name, "poly") == 0) return lmm__eval_poly(e, df, ref, out, err);
    if (lmm__is_spline_call(e)) return lmm__eval_spline(e, df, ref, out, err);
    return lmm__expr_eval_rec(e, df, ref, out, err);
}

/* ======================================================================== */
/* Model matrices                                                  @matrix */
/* ======================================================================== */

/* The widest model matrix built (columns): beyond it a formula is refused
   rather than left to run for minutes (p x p cross-products of 65536 are 32 GB). */
#define LMM__MAX_COLS 65536

/* A formula variable evaluated on every frame row: numeric values or factor codes. */
typedef struct lmm__var {
    int is_factor;
    int ncol;             /* numeric: columns, more than one for poly(x, k) */
    double *num;          /* numeric: ncol x nrow values column-major, NAN = missing */
    const int *codes;     /* factor: the frame's codes (-1 = missing) */
    int nlevels;
    char *const *levels;
    int *own_codes;       /* factor(x) of numbers: codes and levels made here, freed with the var */
    char **own_levels;
} lmm__var;

static void lmm__levels_free(char **levels, int nlevels)
{
    int j;
    if (levels) for (j = 0; j < nlevels; j++) LMM_FREE(levels[j]);
    LMM_FREE(levels);
}

static void lmm__var_free(lmm__var *v)
{
    LMM_FREE(v->num);
    LMM_FREE(v->own_codes);
    lmm__levels_free(v->own_levels, v->nlevels);
    memset(v, 0, sizeof *v);
}

/* R's factor(e) over all rows of df as a factor var: a factor column is
   borrowed with its levels and their order, numbers get lmm__factorize_num's
   numeric order in codes and levels the var owns. */
static lmm_status lmm__factor_of_expr(const lmm_expr *e, const lmm_frame *df, lmm__var *var, lmm_error *err)
{
    int c = -1;
    double *x;
    lmm_status st;
    while (e->op == LMM_EX_PAREN) e = e->a;
    if (lmm__is_factor_call(e)) return lmm__factor_of_expr(e->a, df, var, err);
    var->is_factor = 1;
    if (e->op == LMM_EX_VAR) c = lmm_frame_find(df, e->name);
    if (c >= 0 && df->cols[c].type == LMM_FACTOR) {
        var->codes = df->cols[c].codes;
        var->levels = df->cols[c].levels;
        var->nlevels = df->cols[c].nlevels;
        return LMM_OK;
    }
    if (!(x = LMM__NEW(double, df->nrow)) || !(var->own_codes = LMM__NEW(int, df->nrow))) { LMM_FREE(x); return lmm__nomem(err); }
    st = lmm_expr_eval(e, df, x, err);
    if (st == LMM_OK) st = lmm__factorize_num(x, df->nrow, var->own_codes, &var->own_levels, &var->nlevels, err);
    LMM_FREE(x);
    var->codes = var->own_codes; var->levels = var->own_levels;
    return st;
}

/* The observations a formula selects and its evaluated variables. */
typedef struct lmm__frame_eval {
    int nrow_frame, nobs, n_dropped;
    int *rows;            /* frame row of each observation */
    lmm__var *vars;       /* one per formula var */
    int nvars;
} lmm__frame_eval;

static void lmm__frame_eval_free(lmm__frame_eval *fe)
{
    int i;
    if (!fe) return;
    if (fe->vars) for (i = 0; i < fe->nvars; i++) lmm__var_free(&fe->vars[i]);   /* vars may be unallocated (out of memory) */
    LMM_FREE(fe->vars);
    LMM_FREE(fe->rows);
    memset(fe, 0, sizeof *fe);
}

static int lmm__var_used(const lmm_formula *f, int v, int include_random)
{
    int t, k, r;
    if (v == f->response) return 1;
    for (t = 0; t < f->fixed.nterms; t++)
        for (k = 0; k < f->fixed.terms[t].nvars; k++) if (f->fixed.terms[t].vars[k] == v) return 1;
    if (!include_random) return 0;
    for (r = 0; r < f->nre; r++) {
        for (k = 0; k < f->re[r].ngroup; k++) if (f->re[r].group[k] == v) return 1;
        for (t = 0; t < f->re[r].lhs.nterms; t++)
            for (k = 0; k < f->re[r].lhs.terms[t].nvars; k++) if (f->re[r].lhs.terms[t].vars[k] == v) return 1;
    }
    return 0;
}

/* Evaluate the formula's variables and pick R's complete cases (na.omit). */
static lmm_status lmm__frame_evaluate(const lmm_frame *df, const lmm_formula *f, int include_random,
                                      lmm__frame_eval *fe, lmm_error *err)
{
    int v, i, n = df->nrow;
    lmm_status st;
    memset(fe, 0, sizeof *fe);
    if ((st = lmm_formula_check(f, df, err)) != LMM_OK) return st;
    fe->nrow_frame = n;
    fe->nvars = f->nvars;
    fe->vars = LMM__ZNEW(lmm__var, f->nvars);
    fe->rows = LMM__NEW(int, n);
    if (!fe->vars || !fe->rows) { lmm__frame_eval_free(fe); return lmm__nomem(err); }
    for (v = 0; v < f->nvars; v++) {
        const lmm_expr *e = f->vars[v].expr;
        lmm__var *var = &fe->vars[v];
        if (!lmm__var_used(f, v, include_random)) continue;
        if (lmm__is_factor_call(e)) {
            /* levels from every row, as R's factor() runs before na.omit; unused ones drop later */
            if ((st = lmm__factor_of_expr(e, df, var, err)) != LMM_OK) { lmm__frame_eval_free(fe); return st; }
            continue;
        }
        if (e->op == LMM_EX_VAR) {
            const lmm_column *c = &df->cols[lmm_frame_find(df, e->name)];
            if (c->type == LMM_FACTOR) {
                var->is_factor = 1; var->codes = c->codes;
                var->nlevels = c->nlevels; var->levels = c->levels;
                continue;
            }
        }
        var->ncol = lmm__expr_ncol(e);
        if (v == f->response && var->ncol > 1) {
            lmm__frame_eval_free(fe);
            return lmm__fail(err, LMM_ERR_FORMULA, "the response '%s' must be one column", f->vars[v].label);
        }
        var->num = LMM__NEW(double, (size_t)n * (size_t)var->ncol);
        if (!var->num) { lmm__frame_eval_free(fe); return lmm__nomem(err); }
        if ((st = lmm__var_eval(e, df, df, var->num, err)) != LMM_OK) { lmm__frame_eval_free(fe); return st; }
    }
    for (i = 0; i < n; i++) {
        int ok = 1, j;
        for (v = 0; v < f->nvars && ok; v++) {
            const lmm__var *var = &fe->vars[v];
            if (var->is_factor) ok = var->codes[i] >= 0;
            else if (var->num) for (j = 0; j < var->ncol; j++) ok = ok && !isnan(var->num[(size_t)j * n + i]);
        }
        if (ok) fe->rows[fe->nobs++] = i;
    }
    fe->n_dropped = n - fe->nobs;
    if (fe->nobs == 0) { lmm__frame_eval_free(fe); return lmm__fail(err, LMM_ERR_DATA, "no complete rows: every row has a missing value in a variable the model uses"); }
    for (v = 0; v < f->nvars; v++) {
        const lmm__var *var = &fe->vars[v];
        if (!var->num || var->is_factor) continue;
        for (i = 0; i < fe->nobs * var->ncol; i++)
            if (!isfinite(var->num[(size_t)(i / fe->nobs) * n + fe->rows[i % fe->nobs]])) {
                lmm__fail(err, LMM_ERR_DATA, "variable '%s' is not finite at row %d", f->vars[v].label, fe->rows[i % fe->nobs] + 1);
                lmm__frame_eval_free(fe);
                return LMM_ERR_DATA;
            }
    }
    return LMM_OK;
}

/* A factor restricted to the observations, unused levels dropped (R's drop.unused.levels). */
typedef struct lmm__obsfactor {
    int nlevels;
    int *codes;           /* nobs */
    char **levels;        /* owned copies */
} lmm__obsfactor;

static void lmm__obsfactor_free(lmm__obsfactor *of)
{
    int j;
    if (!of) return;
    if (of->levels) for (j = 0; j < of->nlevels; j++) LMM_FREE(of->levels[j]);
    LMM_FREE(of->levels);
    LMM_FREE(of->codes);
    memset(of, 0, sizeof *of);
}

/* Factor codes of one variable on the observations: a factor's own codes, or
   a numeric variable turned into a factor whose levels sort numerically. */
static lmm_status lmm__obsfactor_of_var(const lmm__frame_eval *fe, const lmm__var *var, lmm__obsfactor *of, lmm_error *err)
{
    int i, j, n = fe->nobs;
    memset(of, 0, sizeof *of);
    of->codes = LMM__NEW(int, n);
    if (!of->codes) return lmm__nomem(err);
    if (var->is_factor) {
        int *map = LMM__NEW(int, var->nlevels), k = 0;
        if (!map) { lmm__obsfactor_free(of); return lmm__nomem(err); }
        for (j = 0; j < var->nlevels; j++) map[j] = -1;
        for (i = 0; i < n; i++) map[var->codes[fe->rows[i]]] = 0;
        for (j = 0; j < var->nlevels; j++) if (map[j] == 0) map[j] = k++;
        of->nlevels = k;
        of->levels = LMM__ZNEW(char *, k);
        if (!of->levels) { LMM_FREE(map); lmm__obsfactor_free(of); return lmm__nomem(err); }
        for (j = 0; j < var->nlevels; j++)
            if (map[j] >= 0 && !(of->levels[map[j]] = lmm__strdup(var->levels[j]))) {
                LMM_FREE(map); lmm__obsfactor_free(of); return lmm__nomem(err);
            }
        for (i = 0; i < n; i++) of->codes[i] = map[var->codes[fe->rows[i]]];
        LMM_FREE(map);
    } else {
        double *u = LMM__NEW(double, n);
        int k = 0;
        if (!u) { lmm__obsfactor_free(of); return lmm__nomem(err); }
        for (i = 0; i < n; i++) u[i] = var->num[fe->rows[i]];
        qsort(u, (size_t)n, sizeof *u, lmm__cmp_double);
        for (i = 0; i < n; i++) if (k == 0 || u[i] != u[k - 1]) u[k++] = u[i];
        of->nlevels = k;
        of->levels = LMM__ZNEW(char *, k);
        if (!of->levels) { LMM_FREE(u); lmm__obsfactor_free(of); return lmm__nomem(err); }
        for (j = 0; j < k; j++) {
            char buf[64];
            lmm__format_r(u[j], buf, sizeof buf);   /* the label R gives the level */
            if (!(of->levels[j] = lmm__strdup(buf))) { LMM_FREE(u); lmm__obsfactor_free(of); return lmm__nomem(err); }
        }
        for (i = 0; i < n; i++) {
            double x = var->num[fe->rows[i]];
            int lo = 0, hi = k - 1;
            while (lo < hi) { int mid = (lo + hi) / 2; if (u[mid] < x) lo = mid + 1; else hi = mid; }
            of->codes[i] = lo;
        }
        LMM_FREE(u);
    }
    return LMM_OK;
}

/* The grouping factor g1:g2:...: levels "a:b" present in the data, ordered
   with the first factor varying slowest (R's interaction of factors). */
static lmm_status lmm__grouping_factor(const lmm__frame_eval *fe, const lmm_reterm_spec *spec, lmm__obsfactor *out, lmm_error *err)
{
    lmm__obsfactor *parts;
    uint64_t *keys = NULL, *uniq = NULL, radix = 1;
    int g, i, n = fe->nobs, k = 0;
    lmm_status st = LMM_OK;
    memset(out, 0, sizeof *out);
    if (spec->ngroup == 1) return lmm__obsfactor_of_var(fe, &fe->vars[spec->group[0]], out, err);
    parts = LMM__ZNEW(lmm__obsfactor, spec->ngroup);
    if (!parts) return lmm__nomem(err);
    for (g = 0; g < spec->ngroup && st == LMM_OK; g++) {
        st = lmm__obsfactor_of_var(fe, &fe->vars[spec->group[g]], &parts[g], err);
        if (st == LMM_OK) {
            if (radix > ((uint64_t)1 << 62) / (uint64_t)(parts[g].nlevels + 1))
                st = lmm__fail(err, LMM_ERR_DATA, "grouping factor %s has too many level combinations", spec->group_label);
            radix *= (uint64_t)parts[g].nlevels;
        }
    }
    if (st == LMM_OK) {
        keys = LMM__NEW(uint64_t, n);
        uniq = LMM__NEW(uint64_t, n);
        out->codes = LMM__NEW(int, n);
        if (!keys || !uniq || !out->codes) st = lmm__nomem(err);
    }
    if (st == LMM_OK) {
        for (i = 0; i < n; i++) {
            uint64_t key = 0;
            for (g = 0; g < spec->ngroup; g++) key = key * (uint64_t)parts[g].nlevels + (uint64_t)parts[g].codes[i];
            keys[i] = uniq[i] = key;
        }
        qsort(uniq, (size_t)n, sizeof *uniq, lmm__cmp_u64);
        for (i = 0; i < n; i++) if (k == 0 || uniq[i] != uniq[k - 1]) uniq[k++] = uniq[i];
        out->nlevels = k;
        out->levels = LMM__ZNEW(char *, k);
        if (!out->levels) st = lmm__nomem(err);
    }
    for (i = 0; st == LMM_OK && i < k; i++) {
        /* decode the key back into level labels joined by ':' */
        size_t len = 0;
        uint64_t key = uniq[i];
        int idx[16], ng = spec->ngroup;
        if (ng > 16) { st = lmm__fail(err, LMM_ERR_FORMULA, "too many factors in grouping term %s", spec->group_label); break; }
        for (g = ng - 1; g >= 0; g--) { idx[g] = (int)(key % (uint64_t)parts[g].nlevels); key /= (uint64_t)parts[g].nlevels; }
        for (g = 0; g < ng; g++) len += strlen(parts[g].levels[idx[g]]) + 1;
        out->levels[i] = (char *)lmm__alloc(len, 1);
        if (!out->levels[i]) { st = lmm__nomem(err); break; }
        out->levels[i][0] = 0;
        for (g = 0; g < ng; g++) {
            if (g) strcat(out->levels[i], ":");
            strcat(out->levels[i], parts[g].levels[idx[g]]);
        }
    }
    for (i = 0; st == LMM_OK && i < n; i++) {
        int lo = 0, hi = k - 1;
        while (lo < hi) { int mid = (lo + hi) / 2; if (uniq[mid] < keys[i]) lo = mid + 1; else hi = mid; }
        out->codes[i] = lo;
    }
    for (g = 0; g < spec->ngroup; g++) lmm__obsfactor_free(&parts[g]);
    LMM_FREE(parts); LMM_FREE(keys); LMM_FREE(uniq);
    if (st != LMM_OK) lmm__obsfactor_free(out);
    return st;
}

LMM_API void lmm_matrix_free(lmm_matrix *m)
{
    int j;
    if (!m) return;
    if (m->colnames) for (j = 0; j < m->ncol; j++) LMM_FREE(m->colnames[j]);
    LMM_FREE(m->colnames);
    if (m->terms) for (j = 0; j < m->nterms; j++) LMM_FREE(m->terms[j]);
    LMM_FREE(m->terms);
    LMM_FREE(m->assign);
    LMM_FREE(m->v);
    LMM_FREE(m);
}

/* Is the term `t` minus var `drop` among terms[0..before-1]? (sets of vars) */
static int lmm__margin_present(const lmm_termlist *tl, int before, const lmm_term *t, int drop)
{
    int s, a, b;
    for (s = 0; s < before; s++) {
        const lmm_term *o = &tl->terms[s];
        int match = (o->nvars == t->nvars - 1);
        for (a = 0; a < t->nvars && match; a++) {
            int found = 0;
            if (t->vars[a] == drop) continue;
            for (b = 0; b < o->nvars; b++) if (o->vars[b] == t->vars[a]) found = 1;
            match = found;
        }
        if (match) return 1;
    }
    return 0;
}

/* How one variable of a term is coded into columns. */
typedef struct lmm__coding {
    int kind;             /* 0 numeric, 1 contrasts, 2 indicators, 3 a numeric matrix (poly) */
    int ncol;
    lmm__obsfactor f;     /* factor vars */
    const double *num;    /* numeric var values (frame rows; kind 3: column-major) */
    int nrow_frame;       /* kind 3: rows of each column */
    const char *label;
} lmm__coding;

/* The one place model-building defaults are settled: NULL or zero = R's. */
static lmm_status lmm__model_options_resolve(const lmm_model_options *in, lmm_model_options *out, lmm_error *err)
{
    if (in) *out = *in; else memset(out, 0, sizeof *out);
    if (out->contrasts != LMM_CONTR_TREATMENT && out->contrasts != LMM_CONTR_SUM)
        return lmm__fail(err, LMM_ERR_ARG, "unknown contrasts %d (LMM_CONTR_TREATMENT or LMM_CONTR_SUM)", (int)out->contrasts);
    if (out->weights_column && out->weights)
        return lmm__fail(err, LMM_ERR_ARG, "weights: give a column name or a vector, not both");
    if (out->offset_column && out->offset)
        return lmm__fail(err, LMM_ERR_ARG, "offset: give a column name or a vector, not both");
    return LMM_OK;
}

/* One model input (weights or offset) of the options at the observations'
   frame rows into out[nobs]; *given = 0 when the options have none. */
static lmm_status lmm__model_input(const lmm_frame *df, const char *what, const char *col, const double *vec,
                                   const int *rows, int nobs, double *out, int *given, lmm_error *err)
{
    int i, j;
    *given = col || vec;
    if (!*given) return LMM_OK;
    if (col) {
        if ((j = lmm_frame_find(df, col)) < 0) return lmm__fail(err, LMM_ERR_FORMULA, "%s column '%s' not found", what, col);
        if (df->cols[j].type != LMM_NUMERIC) return lmm__fail(err, LMM_ERR_DATA, "%s column '%s' is not numeric", what, col);
        vec = df->cols[j].num;
    }
    for (i = 0; i < nobs; i++) {
        out[i] = vec[rows[i]];
        if (!isfinite(out[i])) return lmm__fail(err, LMM_ERR_DATA, "%s are not finite at row %d", what, rows[i] + 1);
    }
    return LMM_OK;
}

/* R's na.omit covers the model inputs too: an observation whose weight or
   offset (the options' column or vector, or an offset() term) is missing
   (NaN, an empty CSV cell or NA) leaves fe like one missing its response. An
   infinite value stays, for lmm__model_input to refuse. */
static lmm_status lmm__drop_missing_inputs(const lmm_frame *df, const lmm_formula *f, const lmm_model_options *mo,
                                           lmm__frame_eval *fe, lmm_error *err)
{
    const char *col[2];
    const double *vec[2];
    double *miss = NULL;
    int i, j, k, keep = 0;
    lmm_status st;
    col[0] = mo->weights_column; col[1] = mo->offset_column;
    vec[0] = mo->weights; vec[1] = mo->offset;
    for (k = 0; k < 2; k++)
        if (col[k] && (j = lmm_frame_find(df, col[k])) >= 0 && df->cols[j].type == LMM_NUMERIC) vec[k] = df->cols[j].num;
    if (f->noffset) {
        double *v = LMM__NEW(double, df->nrow + 1);
        if (!v || !(miss = LMM__ZNEW(double, df->nrow + 1))) { LMM_FREE(v); return lmm__nomem(err); }
        for (k = 0; k < f->noffset; k++) {
            if ((st = lmm_expr_eval(f->offsets[k], df, v, err)) != LMM_OK) { LMM_FREE(v); LMM_FREE(miss); return st; }
            for (i = 0; i < df->nrow; i++) if (isnan(v[i])) miss[i] = 1;
        }
        LMM_FREE(v);
    }
    for (i = 0; i < fe->nobs; i++) {
        int r = fe->rows[i], drop = miss && miss[r] != 0;
        for (k = 0; k < 2; k++) if (vec[k] && isnan(vec[k][r])) drop = 1;
        if (!drop) fe->rows[keep++] = r;
    }
    LMM_FREE(miss);
    fe->n_dropped += fe->nobs - keep;
    fe->nobs = keep;
    if (keep == 0) return lmm__fail(err, LMM_ERR_DATA, "no complete rows: every row has a missing value in a variable, weight or offset the model uses");
    return LMM_OK;
}

/* The offset at the observations into out[nobs]: the options' column or
   vector plus every offset(expr) of the formula (R adds them up); *given = 0
   when there is none (out is then zeros). */
static lmm_status lmm__offset_total(const lmm_frame *df, const lmm_formula *f, const lmm_model_options *mo,
                                    const int *rows, int nobs, double *out, int *given, lmm_error *err)
{
    int i, k;
    lmm_status st;
    if ((st = lmm__model_input(df, "offset", mo->offset_column, mo->offset, rows, nobs, out, given, err)) != LMM_OK) return st;
    if (!*given) for (i = 0; i < nobs; i++) out[i] = 0;
    if (f->noffset) {
        double *v = LMM__NEW(double, df->nrow + 1);
        if (!v) return lmm__nomem(err);
        for (k = 0; k < f->noffset; k++) {
            if ((st = lmm_expr_eval(f->offsets[k], df, v, err)) != LMM_OK) { LMM_FREE(v); return st; }
            for (i = 0; i < nobs; i++) {
                if (!isfinite(v[rows[i]])) { LMM_FREE(v); return lmm__fail(err, LMM_ERR_DATA, "offset is not finite at row %d", rows[i] + 1); }
                out[i] += v[rows[i]];
            }
        }
        LMM_FREE(v);
        *given = 1;
    }
    return LMM_OK;
}

/* Check prior weights: finite and >= 0 (lm), > 0 when zero_ok is 0 (lmer). */
static lmm_status lmm__check_weights(const double *w, const int *rows, int nobs, int zero_ok, lmm_error *err)
{
    int i;
    for (i = 0; i < nobs; i++) {
        if (w[i] < 0) return lmm__fail(err, LMM_ERR_DATA, "negative weights are not allowed (row %d)", rows[i] + 1);
        /* lme4 keeps a zero-weight row and its criterion is then infinite (log 0 in sum(log w)) */
        if (w[i] == 0 && !zero_ok)
            return lmm__fail(err, LMM_ERR_DATA, "zero weight at row %d: lme4's criterion is infinite then (sum(log(weights))); drop the row", rows[i] + 1);
    }
    return LMM_OK;
}

static double lmm__coding_value(const lmm__coding *c, lmm_contrasts contr, const lmm__frame_eval *fe, int obs, int col)
{
    int code;
    if (c->kind == 0) return c->num[fe->rows[obs]];
    if (c->kind == 3) return c->num[(size_t)col * c->nrow_frame + fe->rows[obs]];
    code = c->f.codes[obs];
    if (c->kind == 2) return code == col ? 1.0 : 0.0;
    if (contr == LMM_CONTR_SUM) return code == col ? 1.0 : (code == c->f.nlevels - 1 ? -1.0 : 0.0);
    return code == col + 1 ? 1.0 : 0.0;
}

static char *lmm__coding_name(const lmm__coding *c, lmm_contrasts contr, int col)
{
    char buf[32];
    const char *suffix = "";
    size_t n;
    char *s;
    if (c->kind == 0) return lmm__strdup(c->label);
    if (c->kind == 3) { snprintf(buf, sizeof buf, "%d", col + 1); suffix = buf; }   /* R: "poly(x, 2)1" */
    else if (c->kind == 2) suffix = c->f.levels[col];
    else if (contr == LMM_CONTR_SUM) { snprintf(buf, sizeof buf, "%d", col + 1); suffix = buf; }
    else suffix = c->f.levels[col + 1];
    n = strlen(c->label) + strlen(suffix) + 1;
    s = (char *)lmm__alloc(n, 1);
    if (s) { strcpy(s, c->label); strcat(s, suffix); }
    return s;
}

/* Build the model matrix of a term list on the evaluated observations. */
static lmm_status lmm__build_matrix(const lmm_formula *f, const lmm_termlist *tl, const lmm__frame_eval *fe,
                                    const lmm_model_options *mo, lmm_matrix **out, lmm_error *err)
{
    lmm_contrasts contr = mo->contrasts;
    lmm_matrix *m = LMM__ZNEW(lmm_matrix, 1);
    int t, k, n = fe->nobs, cap = 0, spanned = tl->intercept;
    lmm_status st = LMM_OK;
    if (!m) return lmm__nomem(err);
    m->nrow = n;
    /* count columns first */
    cap = tl->intercept;
    for (t = 0; t < tl->nterms; t++) {
        const lmm_term *term = &tl->terms[t];
        double cols = 1;
        for (k = 0; k < term->nvars; k++) {
            const lmm__var *v = &fe->vars[term->vars[k]];
            if (v->is_factor) cols *= v->nlevels;   /* an upper bound */
            else if (v->ncol > 1) cols *= v->ncol;
        }
        /* crossings of bases and factors grow as products; a dense matrix this wide is no model */
        if (cap + cols > LMM__MAX_COLS) {
            lmm_matrix_free(m);
            return lmm__fail(err, LMM_ERR_FORMULA, "the model matrix would have more than %d columns (term %d)", LMM__MAX_COLS, t + 1);
        }
        cap += (int)cols;
    }
    m->v = LMM__NEW(double, (size_t)n * (size_t)(cap ? cap : 1));
    m->colnames = LMM__ZNEW(char *, cap ? cap : 1);
    m->assign = LMM__ZNEW(int, cap ? cap : 1);
    m->terms = LMM__ZNEW(char *, tl->nterms ? tl->nterms : 1);
    if (!m->v || !m->colnames || !m->assign || !m->terms) { lmm_matrix_free(m); return lmm__nomem(err); }
    m->nterms = tl->nterms;
    for (t = 0; t < tl->nterms; t++) {
        size_t len = 1;
        for (k = 0; k < tl->terms[t].nvars; k++) len += strlen(f->vars[tl->terms[t].vars[k]].label) + 1;
        if (!(m->terms[t] = (char *)lmm__alloc(len, 1))) { lmm_matrix_free(m); return lmm__nomem(err); }
        m->terms[t][0] = 0;
        for (k = 0; k < tl->terms[t].nvars; k++) {
            if (k) strcat(m->terms[t], ":");
            strcat(m->terms[t], f->vars[tl->terms[t].vars[k]].label);
        }
    }
    if (tl->intercept) {
        int i;
        for (i = 0; i < n; i++) m->v[i] = 1.0;
        if (!(m->colnames[0] = lmm__strdup("(Intercept)"))) { lmm_matrix_free(m); return lmm__nomem(err); }
        m->ncol = 1;
    }
    for (t = 0; t < tl->nterms && st == LMM_OK; t++) {
        const lmm_term *term = &tl->terms[t];
        lmm__coding cod[16];
        int idx[16], total = 1, c, i;
        if (term->nvars > 16) { lmm_matrix_free(m); return lmm__fail(err, LMM_ERR_FORMULA, "interaction of more than 16 variables"); }
        memset(cod, 0, sizeof cod);
        for (k = 0; k < term->nvars && st == LMM_OK; k++) {
            const lmm__var *v = &fe->vars[term->vars[k]];
            cod[k].label = f->vars[term->vars[k]].label;
            if (!v->is_factor) {
                cod[k].kind = v->ncol > 1 ? 3 : 0; cod[k].ncol = v->ncol > 1 ? v->ncol : 1;
                cod[k].num = v->num; cod[k].nrow_frame = fe->nrow_frame;
                continue;
            }
            st = lmm__obsfactor_of_var(fe, v, &cod[k].f, err);
            if (st != LMM_OK) break;
            /* R's rule: contrasts when the margin without this factor is in the model */
            if (term->nvars == 1 ? spanned : lmm__margin_present(tl, t, term, term->vars[k])) {
                cod[k].kind = 1; cod[k].ncol = cod[k].f.nlevels - 1;
                if (cod[k].ncol < 1)
                    st = lmm__fail(err, LMM_ERR_DATA, "factor '%s' has only one level in the data; contrasts need two or more", cod[k].label);
            } else {
                cod[k].kind = 2; cod[k].ncol = cod[k].f.nlevels;
                if (term->nvars == 1) spanned = 1;
            }
        }
        for (k = 0; k < term->nvars && st == LMM_OK; k++) { total *= cod[k].ncol; idx[k] = 0; }
        for (c = 0; c < total && st == LMM_OK; c++) {
            double *col = m->v + (size_t)m->ncol * n;
            size_t len = 0;
            char *names[16];
            for (i = 0; i < n; i++) {
                double val = 1.0;
                for (k = 0; k < term->nvars; k++) val *= lmm__coding_value(&cod[k], contr, fe, i, idx[k]);
                col[i] = val;
            }
            for (k = 0; k < term->nvars; k++) {
                names[k] = lmm__coding_name(&cod[k], contr, idx[k]);
                if (!names[k]) st = LMM_ERR_NOMEM;
                else len += strlen(names[k]) + 1;
            }
            if (st == LMM_OK) {
                char *name = (char *)lmm__alloc(len, 1);
                if (!name) st = LMM_ERR_NOMEM;
                else {
                    name[0] = 0;
                    for (k = 0; k < term->nvars; k++) { if (k) strcat(name, ":"); strcat(name, names[k]); }
                    m->assign[m->ncol] = t + 1;
                    m->colnames[m->ncol++] = name;
                }
            }
            for (k = 0; k < term->nvars; k++) if (names[k]) LMM_FREE(names[k]);
            if (st == LMM_ERR_NOMEM) lmm__nomem(err);
            /* first variable varies fastest, as in R */
            for (k = 0; k < term->nvars; k++) { if (++idx[k] < cod[k].ncol) break; idx[k] = 0; }
        }
        for (k = 0; k < term->nvars; k++) lmm__obsfactor_free(&cod[k].f);
    }
    if (st != LMM_OK) { lmm_matrix_free(m); return st; }
    *out = m;
    return LMM_OK;
}

/* Drop columns aliased with earlier ones (lme4 drops rank-deficient fixed
   effects): sequential Gram-Schmidt with relative tolerance 1e-7. */
static lmm_status lmm__drop_aliased(lmm_matrix *m, int *ndropped, char ***dropped, lmm_error *err)
{
    int n = m->nrow, p = m->ncol, j, k, i, kept = 0, nd = 0;
    double *q = LMM__NEW(double, (size_t)n * (size_t)(p ? p : 1));
    char **dn = LMM__ZNEW(char *, p ? p : 1);
    if (!q || !dn) { LMM_FREE(q); LMM_FREE(dn); return lmm__nomem(err); }
    for (j = 0; j < p; j++) {
        const double *x = m->v + (size_t)j * n;
        double *w = q + (size_t)kept * n, norm0 = 0, norm = 0;
        for (i = 0; i < n; i++) { w[i] = x[i]; norm0 += x[i] * x[i]; }
        for (k = 0; k < kept; k++) {
            const double *qk = q + (size_t)k * n;
            double d = 0;
            for (i = 0; i < n; i++) d += qk[i] * w[i];
            for (i = 0; i < n; i++) w[i] -= d * qk[i];
        }
        for (i = 0; i < n; i++) norm += w[i] * w[i];
        if (norm0 == 0 || sqrt(norm) <= 1e-7 * sqrt(norm0)) {
            dn[nd++] = m->colnames[j];
            m->colnames[j] = NULL;
            continue;
        }
        norm = sqrt(norm);
        for (i = 0; i < n; i++) w[i] /= norm;
        if (kept != j) {
            memmove(m->v + (size_t)kept * n, x, (size_t)n * sizeof(double));
            m->colnames[kept] = m->colnames[j];
            m->assign[kept] = m->assign[j];
            m->colnames[j] = NULL;
        }
        kept++;
    }
    m->ncol = kept;
    LMM_FREE(q);
    *ndropped = nd;
    *dropped = dn;
    return LMM_OK;
}

LMM_API lmm_status lmm_model_matrix(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                    lmm_matrix **out, lmm_error *err)
{
    lmm_formula *f = NULL;
    lmm__frame_eval fe;
    lmm_model_options mo;
    lmm_status st;
    *out = NULL;
    if (!df || !formula) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_matrix: NULL argument");
    if ((st = lmm__model_options_resolve(opts, &mo, err)) != LMM_OK) return st;
    if ((st = lmm_formula_parse(formula, &f, err)) != LMM_OK) return st;
    st = lmm__frame_evaluate(df, f, 0, &fe, err);
    if (st == LMM_OK) {
        st = lmm__build_matrix(f, &f->fixed, &fe, &mo, out, err);
        lmm__frame_eval_free(&fe);
    }
    lmm_formula_free(f);
    return st;
}


/* ======================================================================== */
/* Derivative-free bound-constrained minimization                   @optim */
/* ======================================================================== */

/* Both methods work on the free variables only (lower == upper fixes one) and
   share one evaluator that counts calls, maps failures to +HUGE_VAL and keeps
   the best point, so whatever stops the search the caller gets the best x. */
/* searches restarted from a final sweep that still found descent */
#define LMM__OPT_RESTARTS 4
/* free variables beyond which BOBYQA's geometry steps follow Powell's 10 rho rule
   and the search stops once it stalls (LMM__BQ_STALL) */
#define LMM__BQ_FAR_DIM 20
/* free variables up to which the geometry steps also follow the 10 rho rule
   (and the search ends with Powell's last Newton step): at 2 rho each radius
   level rebuilds most of its 2n+1 points, a large share of a 1-3 parameter
   fit's evaluations (soybean 44 -> 38 per fit, sleepstudy bootMer 76.7 -> 72.8
   per replicate); the 7-parameter fits of the tests took fewer at 2 */
#define LMM__BQ_NEAR_DIM 3
/* beyond LMM__BQ_FAR_DIM: the least mean gain per evaluation, relative to |f|,
   over one set's worth of evaluations (2n+1), for the search to go on. A
   maximal model (72 parameters, singular) creeps along a flat ridge for
   thousands of evaluations at ~1e-9 a step; lme4's stop (one step gaining
   under ftol_abs 1e-8) ends such fits sooner and higher. The fit's edge
   probe (lmm__edge_line) restarts only for a line gain above one set's worth
   (of LMM__BQ_STALL_AT's allowance) */
#define LMM__BQ_STALL 3e-9
/* beyond LMM__BQ_WIDE_DIM free variables the stall test asks a larger gain.
   There the search creeps along a singular ridge at ~1e-8 |f| an evaluation
   for the last half of its evaluations (72 parameters: 28736.2 -> 28735.6;
   lme4 stops at 28748.7), and where that creep falls under the allowance
   decides the count. The maximal model over 18 rounding-level perturbations
   (rows shuffled, start x(1 + 1e-12 u); -O2 with and without FMA): at 3e-9
   1,533-2,619 evaluations, at 3e-8 892-1,254, at 5e-8 752-1,021 (REML
   28735.80-28736.28; with bench/maximal_spread.c's row orders, 36 runs:
   716-1,069, REML up to 28736.34), at 1e-7 ~620-870 (up to 28736.80). The 21-parameter fits keep LMM__BQ_STALL:
   at 3e-8 they stop 8e-4 above lme4's optimum */
#define LMM__BQ_WIDE_DIM 40
#define LMM__BQ_STALL_WIDE 5e-8
/* the stall test's least mean gain per evaluation for p free variables */
#define LMM__BQ_STALL_AT(p) ((p) > LMM__BQ_WIDE_DIM ? LMM__BQ_STALL_WIDE : LMM__BQ_STALL)
/* what a set of 2p + 1 evaluations must gain at f not to stall */
#define LMM__BQ_STALL_ALLOWANCE(p, f) (LMM__BQ_STALL_AT(p) * (2 * (p) + 1) * (1.0 + fabs(f)))

typedef struct lmm__opt {
    int n, nf;                    /* all / free variables */
    const double *lower, *upper;  /* caller's bounds (may be NULL) */
    double *x;                    /* caller's x: best full point so far */
    double *xt;                   /* full-length trial point */
    double *lo, *hi;              /* bounds of the free variables */
    double *zbest;                /* best point, free coordinates */
    double fbest;
    lmm_objective_fn f;
    void *ctx;
    int nevals, max_evals, exhausted;
    int no_sweep;                 /* BOBYQA stopped on its stall test, or on its last Newton step (LMM__BQ_NEAR_DIM) */
    double *fhist;                /* when set, fbest after evaluation k goes in fhist[k % nhist] */
    int nhist;
    double rho_begin, rho_end, ftol, xtol;
} lmm__opt;

static double lmm__clampd(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

static int lmm__opt_fixed(const lmm__opt *o, int i)
{
    return o->lower && o->upper && o->lower[i] == o->upper[i];
}

static double lmm__opt_eval(lmm__opt *o, const double *z)
{
    int i, j = 0;
    double v;
    if (o->nevals >= o->max_evals) { o->exhausted = 1; return HUGE_VAL; }
    if (o->nf == o->n) memcpy(o->xt, z, (size_t)o->n * sizeof(double));   /* nothing fixed */
    else
        for (i = 0; i < o->n; i++)
            if (!lmm__opt_fixed(o, i)) o->xt[i] = z[j++];
    v = o->f(o->xt, o->ctx);
    o->nevals++;
    if (!(v > -HUGE_VAL && v < HUGE_VAL)) v = HUGE_VAL;   /* NaN/Inf: step away */
    /* a new best must beat the old by more than rounding noise, so a start at
       the optimum comes back unchanged (refits reproduce their fit) */
    if (v < o->fbest - 8 * DBL_EPSILON * fabs(o->fbest)) {
        o->fbest = v;
        memcpy(o->x, o->xt, (size_t)o->n * sizeof(double));
        memmove(o->zbest, z, (size_t)o->nf * sizeof(double));
    }
    if (o->fhist) o->fhist[o->nevals % o->nhist] = o->fbest;
    return v;
}

/* Final clean-up: try landing exactly on nearby bounds (singular fits sit on
   them), then one compass sweep at rho_end, so that a search restarted from
   the result finds nothing better (refits reproduce their fit). Only strict
   gains count. Returns 1 when the sweep gained more than rounding: the point
   was not stationary and the search must go on from it. A stalled search
   (o->no_sweep) only lands on the bounds: it stopped on a slope by design. So
   does one that ended on its last Newton step (o->no_sweep too), whose model
   already put the optimum within rho_end: over 1000 sleepstudy bootMer
   replicates the sweep bettered 18 of them, by at most 2.9e-11 relative, for
   6 of their 73 evaluations. */
static int lmm__opt_polish(lmm__opt *o, double *t)
{
    int p = o->nf, i, sgn;
    size_t bytes = (size_t)p * sizeof(double);
    double fswept;
    for (i = 0; i < p && !o->exhausted; i++) {
        for (sgn = 0; sgn < 2; sgn++) {
            double b = sgn ? o->hi[i] : o->lo[i], z = o->zbest[i];
            if (!(b > -HUGE_VAL && b < HUGE_VAL) || z == b) continue;
            if (fabs(z - b) > 1e-3 * (1 + fabs(b))) continue;
            memcpy(t, o->zbest, bytes);
            t[i] = b;
            lmm__opt_eval(o, t);
        }
    }
    fswept = o->fbest;
    for (i = 0; i < p && !o->exhausted && !o->no_sweep; i++)
        for (sgn = -1; sgn <= 1; sgn += 2) {
            memcpy(t, o->zbest, bytes);
            t[i] = lmm__clampd(t[i] + sgn * o->rho_end, o->lo[i], o->hi[i]);
            if (t[i] != o->zbest[i]) lmm__opt_eval(o, t);
        }
    /* a model-based stop can sit on a slope the model missed; 1e-12 of |f| is
       far above the criterion's rounding and far below any real descent */
    return fswept - o->fbest > 1e-12 * (1.0 + fabs(fswept));
}

/* ---- Nelder-Mead ------------------------------------------------------- */

/* One simplex run from zbest with initial edge h. Returns 1 when the simplex
   collapsed (converged), 0 when the evaluation budget ran out. */
static int lmm__nm_run(lmm__opt *o, double h, double *w)
{
    int p = o->nf, i, k, b, wi, sw, stall = 0;
    double fmark, *P = w, *fv = P + (size_t)(p + 1) * p, *cen = fv + p + 1, *xr = cen + p, *xe = xr + p;
    /* adaptive coefficients (Gao & Han 2012) avoid stalls for larger n */
    double alpha = 1, beta = p > 2 ? 1 + 2.0 / p : 2, gam = p > 2 ? 0.75 - 0.5 / p : 0.5,
           delta = p > 2 ? 1 - 1.0 / p : 0.5;
    memcpy(P, o->zbest, (size_t)p * sizeof(double));
    fv[0] = o->fbest;
    for (i = 1; i <= p; i++) {
        double *v = P + (size_t)i * p, up, down, z = o->zbest[i - 1];
        memcpy(v, o->zbest, (size_t)p * sizeof(double));
        up = o->hi[i - 1] - z; down = z - o->lo[i - 1];
        v[i - 1] += up >= h ? h : (down >= h ? -h : (up >= down ? up : -down));
        fv[i] = lmm__opt_eval(o, v);
    }
    fmark = o->fbest;
    for (;;) {
        double diam = 0, fr, *pw, *pb;
        b = 0; wi = 0;
        for (i = 1; i <= p; i++) {
            if (fv[i] < fv[b]) b = i;
            if (fv[i] >= fv[wi]) wi = i;
        }
        if (wi == b) wi = b == 0 ? 1 : 0;
        sw = b;
        for (i = 0; i <= p; i++)
            if (i != wi && fv[i] >= fv[sw]) sw = i;
        pb = P + (size_t)b * p; pw = P + (size_t)wi * p;
        for (i = 0; i <= p; i++)
            for (k = 0; k < p; k++) {
                double d = fabs(P[(size_t)i * p + k] - pb[k]);
                if (d > diam) diam = d;
            }
        if ((fv[wi] - fv[b] <= o->ftol && diam <= o->rho_end) || diam <= o->xtol) return 1;
        if (o->exhausted) return 0;
        /* a simplex flattened against a bound can cycle without shrinking:
           after a long stretch with no real gain, hand over to a restart */
        if (o->fbest < fmark - o->ftol) { fmark = o->fbest; stall = 0; }
        else if (++stall > 50 * (p + 1)) return 1;
        for (k = 0; k < p; k++) {
            double s = 0;
            for (i = 0; i <= p; i++)
                if (i != wi) s += P[(size_t)i * p + k];
            cen[k] = s / p;
        }
        for (k = 0; k < p; k++)
            xr[k] = lmm__clampd(cen[k] + alpha * (cen[k] - pw[k]), o->lo[k], o->hi[k]);
        fr = lmm__opt_eval(o, xr);
        if (fr < fv[b]) {
            double fe;
            for (k = 0; k < p; k++)
                xe[k] = lmm__clampd(cen[k] + beta * (xr[k] - cen[k]), o->lo[k], o->hi[k]);
            fe = lmm__opt_eval(o, xe);
            if (fe < fr) { memcpy(pw, xe, (size_t)p * sizeof(double)); fv[wi] = fe; }
            else { memcpy(pw, xr, (size_t)p * sizeof(double)); fv[wi] = fr; }
        } else if (fr < fv[sw]) {
            memcpy(pw, xr, (size_t)p * sizeof(double)); fv[wi] = fr;
        } else {
            /* contract toward the reflected point (outside) or the worst (inside) */
            double fc, *from = fr < fv[wi] ? xr : pw, fref = fr < fv[wi] ? fr : fv[wi];
            for (k = 0; k < p; k++)
                xe[k] = lmm__clampd(cen[k] + gam * (from[k] - cen[k]), o->lo[k], o->hi[k]);
            fc = lmm__opt_eval(o, xe);
            if (fc < fref) {
                memcpy(pw, xe, (size_t)p * sizeof(double)); fv[wi] = fc;
            } else {
                for (i = 0; i <= p; i++) {
                    double *v = P + (size_t)i * p;
                    if (i == b) continue;
                    for (k = 0; k < p; k++) v[k] = pb[k] + delta * (v[k] - pb[k]);
                    fv[i] = lmm__opt_eval(o, v);
                }
            }
        }
    }
}

/* Restart from the best point until a fresh simplex no longer gains ftol. */
static int lmm__nelder_mead(lmm__opt *o, double *w)
{
    int conv = lmm__nm_run(o, o->rho_begin, w), restarts;
    for (restarts = 0; conv && restarts < 100; restarts++) {
        double before = o->fbest;
        conv = lmm__nm_run(o, o->rho_begin, w);
        if (before - o->fbest <= o->ftol) break;
    }
    return conv;
}

/* ---- quadratic-model trust region (BOBYQA-like) ------------------------ */

/* The trust region's helpers are inlined into one copy of lmm__bobyqa per
   dimension up to LMM__BQ_NEAR_DIM (see lmm__bobyqa): with p, 2p+1 and 3p+2
   known to the compiler their small loops lose their branches and calls,
   which cost more than their arithmetic (sleepstudy: ~7,200 optimizer
   instructions an evaluation at p = 3). The same operations in the same order,
   so the iterates are unchanged. */
/* Not under AddressSanitizer, whose instrumented copies took clang 1.7x as long
   to compile the header (the sanitizer builds check, they do not time). */
#if defined(__SANITIZE_ADDRESS__)
#define LMM__BQ_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LMM__BQ_SANITIZED 1
#endif
#endif
#if (defined(__GNUC__) || defined(__clang__)) && !defined(LMM__BQ_SANITIZED)
#define LMM__BQ_INLINE static inline __attribute__((always_inline))
#else
#define LMM__BQ_INLINE static
#endif
/* gcc -O2 neither fully unrolls constant-count loops that grow the code
   (clang does) nor vectorizes loops its cheap cost model doubts; for the copies
   of lmm__bobyqa_small it should (sleepstudy bootMer: 593 -> 497 M
   instructions); vectorizing without reassociation keeps every sum's order */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__INTEL_COMPILER)
#define LMM__BQ_UNROLL __attribute__((optimize("unroll-loops", "vect-cost-model=dynamic")))
#else
#define LMM__BQ_UNROLL
#endif

/* acc + H[i,0] s[0] + H[i,1] s[1] + ..., summed in that order (H p x p
   column-major); written out up to three variables, where the loop's
   overhead exceeds its arithmetic (-O2 does not unroll it). */
LMM__BQ_INLINE double lmm__hrow(int p, const double *H, int i, const double *s, double acc)
{
    int j;
    if (p <= 3) {
        acc += H[i] * s[0];
        if (p > 1) acc += H[i + p] * s[1];
        if (p > 2) acc += H[i + 2 * p] * s[2];
        return acc;
    }
    for (j = 0; j < p; j++) acc += H[i + (size_t)j * p] * s[j];
    return acc;
}

/* g's + s'Hs/2 for the p-vector s (H p x p column-major). Up to three
   variables (most mixed models) the row sums are written out: the same sums,
   without the inner loop's overhead. */
LMM__BQ_INLINE double lmm__quadval(int p, const double *g, const double *H, const double *s)
{
    double q = 0;
    int i, j;
    if (p <= 3) {
        for (i = 0; i < p; i++) {
            double hs = 0;
            hs += H[i] * s[0];
            if (p > 1) hs += H[i + p] * s[1];
            if (p > 2) hs += H[i + 2 * p] * s[2];
            q += s[i] * (g[i] + 0.5 * hs);
        }
        return q;
    }
    for (i = 0; i < p; i++) {
        double hs = 0;
        for (j = 0; j < p; j++) hs += H[i + (size_t)j * p] * s[j];
        q += s[i] * (g[i] + 0.5 * hs);
    }
    return q;
}

/* Variable i sits on a bound and the gradient pushes it outward. */
LMM__BQ_INLINE int lmm__qp_active(const double *s, const double *lo, const double *hi, const double *grad, int i)
{
    return (s[i] <= lo[i] && grad[i] > 0) || (s[i] >= hi[i] && grad[i] < 0);
}

/* Solve a x = b in place for the SPD n x n a, n <= 3 (a is only read): the
   operations of lmm_chol and the two lmm_trsv_lower sweeps in their order,
   written out. Returns nonzero when a is not positive definite. */
LMM__BQ_INLINE int lmm__chol_solve3(int n, const double *a, double *b)
{
    double d, l00, l10 = 0, l20 = 0, l11 = 1, l21 = 0, l22 = 1, y;
    d = a[0];
    if (!(d > 0.0)) return 1;
    l00 = sqrt(d);
    if (n > 1) l10 = a[1] / l00;
    if (n > 2) l20 = a[2] / l00;
    if (n > 1) {
        d = a[n + 1];
        d -= l10 * l10;
        if (!(d > 0.0)) return 1;
        l11 = sqrt(d);
        if (n > 2) {
            double c = a[n + 2];
            if (l10 != 0.0) c -= l20 * l10;
            l21 = c / l11;
            d = a[2 * n + 2];
            d -= l20 * l20;
            d -= l21 * l21;
            if (!(d > 0.0)) return 1;
            l22 = sqrt(d);
        }
    }
    /* forward: L y = b */
    y = b[0] / l00;
    b[0] = y;
    if (y != 0.0) { if (n > 1) b[1] -= l10 * y; if (n > 2) b[2] -= l20 * y; }
    if (n > 1) {
        y = b[1] / l11;
        b[1] = y;
        if (y != 0.0 && n > 2) b[2] -= l21 * y;
    }
    if (n > 2) b[2] = b[2] / l22;
    /* backward: L' x = y */
    if (n > 2) {
        double v = b[2];
        b[2] = v / l22;
    }
    if (n > 1) {
        double v = b[1];
        if (n > 2) v -= l21 * b[2];
        b[1] = v / l11;
    }
    {
        double v = b[0];
        if (n > 1) v -= l10 * b[1];
        if (n > 2) v -= l20 * b[2];
        b[0] = v / l00;
    }
    return 0;
}

/* Minimize g's + s'Hs/2 over the box lo <= s <= hi (lo <= 0 <= hi, finite) by
   projected Newton on the free variables with a projected-gradient fallback
   when H is not positive definite there. w: 3p + p*p doubles; active: p flags. */
LMM__BQ_INLINE void lmm__boxqp(int p, const double *g, const double *H, const double *lo,
                       const double *hi, double *s, double *w, char *active)
{
    double *grad = w, *d = w + p, *trial = w + 2 * p, *Hff = w + 3 * p;
    double gscale = 0;
    int it, i, j, use_grad = 0;
    for (i = 0; i < p; i++) { s[i] = 0; if (fabs(g[i]) > gscale) gscale = fabs(g[i]); }
    for (i = 0; i < p * p; i++) if (fabs(H[i]) > gscale) gscale = fabs(H[i]);
    for (it = 0; it < 50 + 20 * p; it++) {
        double pg = 0, q0, t, slope, dd = 0, dhd = 0;
        int nfree = 0, newton = 0, accepted = 0, k;
        for (i = 0; i < p; i++) {
            double v = lmm__hrow(p, H, i, s, g[i]);
            grad[i] = v;
            v = fabs(lmm__clampd(s[i] - v, lo[i], hi[i]) - s[i]);
            if (v > pg) pg = v;
        }
        if (pg <= 1e-14 * (1 + gscale)) break;
        for (i = 0; i < p; i++) {
            active[i] = (char)lmm__qp_active(s, lo, hi, grad, i);
            d[i] = active[i] ? 0 : -grad[i];
            if (!active[i]) nfree++;
        }
        if (!use_grad && nfree > 0) {
            /* Newton step on the free variables when their Hessian block is PD */
            int a = 0, b2;
            if (nfree == p) memcpy(Hff, H, (size_t)p * p * sizeof(double));
            for (i = 0; i < p; i++) {
                if (active[i]) continue;
                if (nfree < p)
                    for (j = 0, b2 = 0; j < p; j++)
                        if (!active[j]) Hff[a + (size_t)(b2++) * nfree] = H[i + (size_t)j * p];
                trial[a++] = -grad[i];
            }
            if (nfree <= 3 ? lmm__chol_solve3(nfree, Hff, trial) == 0 : lmm_chol(nfree, Hff, nfree) == 0) {
                if (nfree > 3) {
                    lmm_trsv_lower(nfree, Hff, nfree, trial, 0);
                    lmm_trsv_lower(nfree, Hff, nfree, trial, 1);
                }
                for (i = 0, a = 0; i < p; i++)
                    if (!active[i]) d[i] = trial[a++];
                newton = 1;
            }
        }
        use_grad = 0;
        for (i = 0; i < p; i++) {
            double hd = lmm__hrow(p, H, i, d, 0);
            dd += d[i] * d[i]; dhd += d[i] * hd;
        }
        if (dd == 0) break;
        if (newton) t = 1;
        else if (dhd > 0) t = dd / dhd;
        else {
            /* negative curvature: a step long enough to reach the far side of the box */
            t = 0;
            for (i = 0; i < p; i++)
                if (d[i] != 0 && (hi[i] - lo[i]) / fabs(d[i]) > t) t = (hi[i] - lo[i]) / fabs(d[i]);
        }
        q0 = lmm__quadval(p, g, H, s);
        for (k = 0; k < 60 && !accepted; k++, t *= 0.5) {
            int moved = 0;
            slope = 0;
            for (i = 0; i < p; i++) {
                trial[i] = lmm__clampd(s[i] + t * d[i], lo[i], hi[i]);
                slope += grad[i] * (trial[i] - s[i]);
                if (trial[i] != s[i]) moved = 1;
            }
            if (!moved) break;
            if (lmm__quadval(p, g, H, trial) - q0 <= 1e-4 * slope) accepted = 1;
        }
        if (accepted) memcpy(s, trial, (size_t)p * sizeof(double));
        else if (newton) use_grad = 1;
        else break;
    }
}

/* In-place LU with partial pivoting of the m x m matrix a; row swaps in piv.
   Returns nonzero when a pivot is negligible (poised set lost). */
LMM__BQ_INLINE int lmm__lu(int m, double *a, double *piv)
{
    double amax = 0;
    int i, j, k;
    for (i = 0; i < m * m; i++) if (fabs(a[i]) > amax) amax = fabs(a[i]);
    for (k = 0; k < m; k++) {
        int r = k;
        for (i = k + 1; i < m; i++) if (fabs(a[i + (size_t)k * m]) > fabs(a[r + (size_t)k * m])) r = i;
        piv[k] = r;
        if (!(fabs(a[r + (size_t)k * m]) > 1e-12 * amax)) return 1;
        if (r != k)
            for (j = 0; j < m; j++) {
                double t = a[k + (size_t)j * m];
                a[k + (size_t)j * m] = a[r + (size_t)j * m]; a[r + (size_t)j * m] = t;
            }
        for (i = k + 1; i < m; i++) a[i + (size_t)k * m] /= a[k + (size_t)k * m];
        for (j = k + 1; j < m; j++) {
            double t = a[k + (size_t)j * m];
            if (t != 0)
                for (i = k + 1; i < m; i++) a[i + (size_t)j * m] -= a[i + (size_t)k * m] * t;
        }
    }
    return 0;
}

/* Solve A x = b (trans 0) or A' x = b (trans 1) in place with lmm__lu factors. */
LMM__BQ_INLINE void lmm__lu_solve(int m, const double *a, const double *piv, double *b, int trans)
{
    int i, j;
    if (!trans) {
        for (j = 0; j < m; j++) { int r = (int)piv[j]; double t = b[j]; b[j] = b[r]; b[r] = t; }
        for (j = 0; j < m; j++)   /* a zero b[j] changes nothing: unit columns skip most */
            if (b[j] != 0)
                for (i = j + 1; i < m; i++) b[i] -= a[i + (size_t)j * m] * b[j];
        for (j = m - 1; j >= 0; j--) {
            b[j] /= a[j + (size_t)j * m];
            if (b[j] != 0)
                for (i = 0; i < j; i++) b[i] -= a[i + (size_t)j * m] * b[j];
        }
    } else {
        for (j = 0; j < m; j++) {
            for (i = 0; i < j; i++) b[j] -= a[i + (size_t)j * m] * b[i];
            b[j] /= a[j + (size_t)j * m];
        }
        for (j = m - 1; j >= 0; j--)
            for (i = j + 1; i < m; i++) b[j] -= a[i + (size_t)j * m] * b[i];
        for (j = m - 1; j >= 0; j--) { int r = (int)piv[j]; double t = b[j]; b[j] = b[r]; b[r] = t; }
    }
}

/* Interpolation set around zbest with spacing h: zbest and two distinct steps
   per coordinate inside the box (2p+1 points, as BOBYQA's default); together
   with the previous Hessian they determine the model; zbest becomes point 0. */
static void lmm__bq_initset(lmm__opt *o, double h, double *Y, double *F, double *step2)
{
    int p = o->nf, i;
    size_t bytes = (size_t)p * sizeof(double);
    double *step1 = step2 + p;   /* scratch after step2 (see layout) */
    memcpy(Y, o->zbest, bytes);
    F[0] = o->fbest;
    for (i = 0; i < p; i++) {
        double up = o->hi[i] - Y[i], down = Y[i] - o->lo[i];
        if (up >= h && down >= h) { step1[i] = h; step2[i] = -h; }
        else if (up >= 2 * h) { step1[i] = h; step2[i] = 2 * h; }
        else if (down >= 2 * h) { step1[i] = -h; step2[i] = -2 * h; }
        else { step1[i] = up; step2[i] = -down; }
        if (step2[i] == 0) step2[i] = 0.5 * step1[i];   /* rounding left no room below */
        if (step1[i] == 0) step1[i] = 0.5 * step2[i];
    }
    for (i = 0; i < p; i++) {
        double *y1 = Y + (size_t)(1 + i) * p, *y2 = Y + (size_t)(1 + p + i) * p;
        /* from Y[0], not zbest: the evaluations below may move zbest */
        memcpy(y1, Y, bytes);
        y1[i] = lmm__clampd(y1[i] + step1[i], o->lo[i], o->hi[i]);
        F[1 + i] = lmm__opt_eval(o, y1);
        memcpy(y2, Y, bytes);
        y2[i] = lmm__clampd(y2[i] + step2[i], o->lo[i], o->hi[i]);
        F[1 + p + i] = lmm__opt_eval(o, y2);
    }
}

LMM__BQ_INLINE double lmm__dist_inf(int p, const double *a, const double *b)
{
    double d = 0;
    int i;
    if (p <= 3) {   /* written out, as in lmm__hrow */
        d = fabs(a[0] - b[0]) > d ? fabs(a[0] - b[0]) : d;
        if (p > 1 && fabs(a[1] - b[1]) > d) d = fabs(a[1] - b[1]);
        if (p > 2 && fabs(a[2] - b[2]) > d) d = fabs(a[2] - b[2]);
        return d;
    }
    for (i = 0; i < p; i++) if (fabs(a[i] - b[i]) > d) d = fabs(a[i] - b[i]);
    return d;
}

/* From a solution x = (lambda, c, g) of the interpolation KKT system: the
   gradient g and H += sum_j lambda_j s_j s_j' (the least Frobenius change). */
static void lmm__bq_coef_wide(int p, int m, const double *S, const double *x, double *g, double *H);

LMM__BQ_INLINE void lmm__bq_coef(int p, int m, const double *S, const double *x, double *g, double *H)
{
    int i, j, k;
    if (p > LMM__BQ_FAR_DIM) { lmm__bq_coef_wide(p, m, S, x, g, H); return; }
    for (i = 0; i < p; i++) g[i] = x[m + 1 + i];
    for (k = 0; k < m; k++) {
        const double *sk = S + (size_t)k * p;
        /* in registers: H's stores could otherwise alias them */
        double xk = x[k], s0 = sk[0], s1 = p > 1 ? sk[1] : 0, s2 = p > 2 ? sk[2] : 0;
        if (xk == 0) continue;
        for (j = 0; j < p; j++) {
            double *hj = H + (size_t)j * p, skj = sk[j];
            if (p <= 3) {   /* written out (the loop costs more than the sums) */
                hj[0] += xk * s0 * skj;
                if (p > 1) hj[1] += xk * s1 * skj;
                if (p > 2) hj[2] += xk * s2 * skj;
            } else
                for (i = 0; i < p; i++) hj[i] += xk * sk[i] * skj;
        }
    }
}

/* lmm__bq_coef for many variables (beyond LMM__BQ_FAR_DIM): H += sum_k
   x_k s_k s_k' on the lower triangle, four points a pass so each column of H
   is loaded and stored once per four, then mirrored: the same sums rounded
   in another order, a quarter of the memory traffic and half the products
   (72 variables: the model's Hessian was a quarter of a maximal fit). */
static void lmm__bq_coef_wide(int p, int m, const double *S, const double *x, double *g, double *H)
{
    int i, j, k, n = 0, idx[4];
    for (i = 0; i < p; i++) g[i] = x[m + 1 + i];
    for (k = 0; k <= m; k++) {
        if (k < m && x[k] != 0) idx[n++] = k;
        if (n == 4 || (k == m && n > 0)) {
            const double *s0 = S + (size_t)idx[0] * p, *s1 = S + (size_t)idx[n > 1 ? 1 : 0] * p,
                         *s2 = S + (size_t)idx[n > 2 ? 2 : 0] * p, *s3 = S + (size_t)idx[n > 3 ? 3 : 0] * p;
            double x0 = x[idx[0]], x1 = n > 1 ? x[idx[1]] : 0, x2 = n > 2 ? x[idx[2]] : 0, x3 = n > 3 ? x[idx[3]] : 0;
            for (j = 0; j < p; j++) {
                double *hj = H + (size_t)j * p, a0 = x0 * s0[j], a1 = x1 * s1[j], a2 = x2 * s2[j], a3 = x3 * s3[j];
                for (i = j; i + 4 <= p; i += 4) {   /* four rows as four named sums: one vector */
                    double h0 = hj[i] + (a0 * s0[i] + a1 * s1[i] + a2 * s2[i] + a3 * s3[i]);
                    double h1 = hj[i + 1] + (a0 * s0[i + 1] + a1 * s1[i + 1] + a2 * s2[i + 1] + a3 * s3[i + 1]);
                    double h2 = hj[i + 2] + (a0 * s0[i + 2] + a1 * s1[i + 2] + a2 * s2[i + 2] + a3 * s3[i + 2]);
                    double h3 = hj[i + 3] + (a0 * s0[i + 3] + a1 * s1[i + 3] + a2 * s2[i + 3] + a3 * s3[i + 3]);
                    hj[i] = h0; hj[i + 1] = h1; hj[i + 2] = h2; hj[i + 3] = h3;
                }
                for (; i < p; i++) hj[i] += a0 * s0[i] + a1 * s1[i] + a2 * s2[i] + a3 * s3[i];
            }
            n = 0;
        }
    }
    for (j = 0; j < p; j++)
        for (i = j + 1; i < p; i++) H[j + (size_t)i * p] = H[i + (size_t)j * p];
}

/* s_j' H s_j / 2 for the m points s_j (symmetric H, many variables): from
   the lower triangle by contiguous columns, four points at a time, each
   point's column sums in four lanes (vector registers). */
static void lmm__bq_halfquads(int p, int m, const double *S, const double *H, double *out)
{
    int i, j, k;
    for (k = 0; k < m; k += 4) {
        int nk = m - k < 4 ? m - k : 4;
        const double *s0 = S + (size_t)k * p, *s1 = S + (size_t)(k + (nk > 1)) * p,
                     *s2 = S + (size_t)(k + (nk > 2 ? 2 : 0)) * p, *s3 = S + (size_t)(k + (nk > 3 ? 3 : 0)) * p;
        double q0 = 0, q1 = 0, q2 = 0, q3 = 0;
        for (j = 0; j < p; j++) {
            const double *hj = H + (size_t)j * p;
            double t0, t1, t2, t3, d = hj[j];
            /* each point's sum in four lanes (rows i mod 4), added up after */
            double u[4][4] = { { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } };
            for (i = j + 1; i + 4 <= p; i += 4) {
                const double *h = hj + i;
                int l;
                for (l = 0; l < 4; l++) u[0][l] += h[l] * s0[i + l];
                for (l = 0; l < 4; l++) u[1][l] += h[l] * s1[i + l];
                for (l = 0; l < 4; l++) u[2][l] += h[l] * s2[i + l];
                for (l = 0; l < 4; l++) u[3][l] += h[l] * s3[i + l];
            }
            t0 = (u[0][0] + u[0][1]) + (u[0][2] + u[0][3]); t1 = (u[1][0] + u[1][1]) + (u[1][2] + u[1][3]);
            t2 = (u[2][0] + u[2][1]) + (u[2][2] + u[2][3]); t3 = (u[3][0] + u[3][1]) + (u[3][2] + u[3][3]);
            for (; i < p; i++) {
                double h = hj[i];
                t0 += h * s0[i]; t1 += h * s1[i]; t2 += h * s2[i]; t3 += h * s3[i];
            }
            q0 += s0[j] * (0.5 * d * s0[j] + t0);
            q1 += s1[j] * (0.5 * d * s1[j] + t1);
            q2 += s2[j] * (0.5 * d * s2[j] + t2);
            q3 += s3[j] * (0.5 * d * s3[j] + t3);
        }
        out[k] = q0;
        if (nk > 1) out[k + 1] = q1;
        if (nk > 2) out[k + 2] = q2;
        if (nk > 3) out[k + 3] = q3;
    }
}

/* g + (sum_k x_k s_k s_k') sb without forming the matrix: O(m p). */
static void lmm__bq_coef_grad_at(int p, int m, const double *S, const double *x, const double *sb, double *gb)
{
    int i, k;
    for (i = 0; i < p; i++) gb[i] = x[m + 1 + i];
    for (k = 0; k < m; k++) {
        const double *sk = S + (size_t)k * p;
        double d = 0;
        if (x[k] == 0) continue;
        for (i = 0; i < p; i++) d += sk[i] * sb[i];
        d *= x[k];
        for (i = 0; i < p; i++) gb[i] += d * sk[i];
    }
}

/* Right-hand side whose solution gives the Lagrange functions' values at s:
   (|s_j . s|^2 / 2, 1, s). */
LMM__BQ_INLINE void lmm__bq_wvec(int p, int m, const double *S, const double *s, double *v)
{
    int i, k;
    for (k = 0; k < m; k++) {
        const double *sk = S + (size_t)k * p;
        double d = 0;
        if (p <= 3) {   /* written out, as in lmm__quadval */
            d += sk[0] * s[0];
            if (p > 1) d += sk[1] * s[1];
            if (p > 2) d += sk[2] * s[2];
        } else
            for (i = 0; i < p; i++) d += sk[i] * s[i];
        v[k] = 0.5 * d * d;
    }
    v[m] = 1;
    for (i = 0; i < p; i++) v[m + 1 + i] = s[i];
}


/* gb = g + H sb: the gradient at sb of the quadratic with gradient g at the origin. */
LMM__BQ_INLINE void lmm__bq_grad_at(int p, const double *g, const double *H, const double *sb, double *gb)
{
    int i;
    for (i = 0; i < p; i++) gb[i] = g[i] + lmm__hrow(p, H, i, sb, 0);
}

/* Centre the frame at xb: S_j = (Y_j - xb) / scale with scale the set's
   radius, and W the explicit inverse of the KKT matrix of S (via LU, K solves).
   Returns nonzero when the set is not poised. */
LMM__BQ_INLINE int lmm__bq_frame(int p, int m, const double *Y, const double *xb, double rho, double *S,
                         double *x0, double *scale, double *A, double *W, double *piv, double *col)
{
    int K = m + p + 1, i, j, k;
    double sc = 0;
    for (j = 0; j < m; j++) {
        double d = lmm__dist_inf(p, Y + (size_t)j * p, xb);
        if (d > sc) sc = d;
    }
    if (sc <= 0) sc = rho;
    *scale = sc;
    memcpy(x0, xb, (size_t)p * sizeof(double));
    for (j = 0; j < m; j++)
        for (i = 0; i < p; i++) S[(size_t)j * p + i] = (Y[(size_t)j * p + i] - xb[i]) / sc;
    for (i = 0; i < K * K; i++) A[i] = 0;
    for (j = 0; j < m; j++) {
        lmm__bq_wvec(p, m, S, S + (size_t)j * p, col);
        for (k = 0; k < K; k++) A[j + (size_t)k * K] = A[k + (size_t)j * K] = col[k];
    }
    if (lmm__lu(K, A, piv)) return 1;
    if (K <= 3 * LMM__BQ_NEAR_DIM + 2) {
        /* lmm__bobyqa's constant K: the K solves at once, row j of W holding
           entry j of every solution (W^T: the symmetrization below cannot
           tell), so the loops over the solutions unroll into vector
           operations. Per solution lmm__lu_solve's operations in its order,
           except that zero entries are applied rather than skipped, which
           can change only the sign of a zero */
        for (i = 0; i < K * K; i++) W[i] = 0;
        for (k = 0; k < K; k++) W[k + (size_t)k * K] = 1;
        for (j = 0; j < K; j++) {
            int r = (int)piv[j];
            double *wj = W + (size_t)j * K, *wr = W + (size_t)r * K;
            if (r != j)
                for (k = 0; k < K; k++) { double t = wj[k]; wj[k] = wr[k]; wr[k] = t; }
        }
        for (j = 0; j < K; j++) {
            double row[3 * LMM__BQ_NEAR_DIM + 2];   /* a copy no store can alias */
            memcpy(row, W + (size_t)j * K, (size_t)K * sizeof(double));
            for (i = j + 1; i < K; i++) {
                double *wi = W + (size_t)i * K, l = A[i + (size_t)j * K];
                for (k = 0; k < K; k++) wi[k] -= l * row[k];
            }
        }
        for (j = K - 1; j >= 0; j--) {
            double row[3 * LMM__BQ_NEAR_DIM + 2], *wj = W + (size_t)j * K, d = A[j + (size_t)j * K];
            for (k = 0; k < K; k++) row[k] = wj[k] = wj[k] / d;
            for (i = 0; i < j; i++) {
                double *wi = W + (size_t)i * K, a = A[i + (size_t)j * K];
                for (k = 0; k < K; k++) wi[k] -= a * row[k];
            }
        }
    } else
        for (k = 0; k < K; k++) {
            for (i = 0; i < K; i++) col[i] = i == k;
            lmm__lu_solve(K, A, piv, col, 0);
            memcpy(W + (size_t)k * K, col, (size_t)K * sizeof(double));
        }
    for (k = 0; k < K; k++)   /* the inverse of a symmetric matrix is symmetric */
        for (i = k + 1; i < K; i++)
            W[i + (size_t)k * K] = W[k + (size_t)i * K] = 0.5 * (W[i + (size_t)k * K] + W[k + (size_t)i * K]);
    return 0;
}

/* v = W u for the K x K matrix W when only u's first nu entries can be
   nonzero (a model's right-hand side ends in zeros: its columns are skipped).
   Four rows at a time in registers, each summed over k in order: the same
   sums as a column sweep, in a third of the loads and stores. */
LMM__BQ_INLINE void lmm__bq_symv(int K, int nu, const double *W, const double *u, double *v)
{
    int i, k;
    if (K <= 3 * LMM__BQ_NEAR_DIM + 2) {
        /* lmm__bobyqa's constant K: every row's sum in a local array that
           the unrolled loops keep in (vector) registers; the same sums */
        double acc[3 * LMM__BQ_NEAR_DIM + 2];
        for (i = 0; i < K; i++) acc[i] = 0;
        for (k = 0; k < nu; k++) {
            const double *wk = W + (size_t)k * K;
            double uk = u[k];
            for (i = 0; i < K; i++) acc[i] += wk[i] * uk;
        }
        for (i = 0; i < K; i++) v[i] = acc[i];
        return;
    }
    for (i = 0; i + 4 <= K; i += 4) {
        double v0 = 0, v1 = 0, v2 = 0, v3 = 0;
        for (k = 0; k < nu; k++) {
            const double *wk = W + (size_t)k * K + i;
            double uk = u[k];
            v0 += wk[0] * uk; v1 += wk[1] * uk; v2 += wk[2] * uk; v3 += wk[3] * uk;
        }
        v[i] = v0; v[i + 1] = v1; v[i + 2] = v2; v[i + 3] = v3;
    }
    if (i + 2 <= K) {
        double v0 = 0, v1 = 0;
        for (k = 0; k < nu; k++) {
            const double *wk = W + (size_t)k * K + i;
            v0 += wk[0] * u[k]; v1 += wk[1] * u[k];
        }
        v[i] = v0; v[i + 1] = v1;
        i += 2;
    }
    if (i < K) {
        double vi = 0;
        for (k = 0; k < nu; k++) vi += W[i + (size_t)k * K] * u[k];
        v[i] = vi;
    }
}

/* Point t moves to frame coordinates s (wv = its KKT column against the old
   set, hw = W wv; u, v: K scratch each): Powell's rank-two update of the inverse keeps W exact
   without refactoring. Returns nonzero when the update's denominator is too
   small to trust (the caller then re-frames). */
LMM__BQ_INLINE int lmm__bq_update(int p, int m, double *S, double *W, int t, const double *s,
                          const double *wv, const double *hw, double *u, double *v)
{
    int K = m + p + 1, i, k;
    double alpha = W[t + (size_t)t * K], tau = hw[t], ss = 0, beta, sigma, wHw = 0;
    for (i = 0; i < p; i++) ss += s[i] * s[i];
    for (k = 0; k < K; k++) wHw += wv[k] * hw[k];
    beta = 0.5 * ss * ss - wHw;
    sigma = alpha * beta + tau * tau;
    memcpy(S + (size_t)t * p, s, (size_t)p * sizeof(double));
    if (!(fabs(sigma) > 1e-10 * (tau * tau + fabs(alpha * beta)))) return 1;
    memcpy(u, W + (size_t)t * K, (size_t)K * sizeof(double));   /* W e_t */
    for (k = 0; k < K; k++) v[k] = 0.0 - hw[k];   /* e_t - hw */
    v[t] = 1.0 - hw[t];
    /* W += (alpha v v' - beta u u' + tau (u v' + v u')) / sigma, column by column */
    for (k = 0; k < K; k++) {
        double *wk = W + (size_t)k * K, cv = (alpha * v[k] + tau * u[k]) / sigma, cu = (tau * v[k] - beta * u[k]) / sigma;
        for (i = 0; i + 4 <= K; i += 4) {
            double w0 = wk[i] + (cv * v[i] + cu * u[i]), w1 = wk[i + 1] + (cv * v[i + 1] + cu * u[i + 1]);
            double w2 = wk[i + 2] + (cv * v[i + 2] + cu * u[i + 2]), w3 = wk[i + 3] + (cv * v[i + 3] + cu * u[i + 3]);
            wk[i] = w0; wk[i + 1] = w1; wk[i + 2] = w2; wk[i + 3] = w3;
        }
        switch (K - i) {   /* K % 4 rows, written out: with K constant this folds */
        case 3: wk[i + 2] += cv * v[i + 2] + cu * u[i + 2]; /* fall through */
        case 2: wk[i + 1] += cv * v[i + 1] + cu * u[i + 1]; /* fall through */
        case 1: wk[i] += cv * v[i] + cu * u[i]; break;
        default: break;
        }
    }
    return 0;
}

/* Powell's BOBYQA scheme with 2p+1 interpolation points: each model
   interpolates the set and otherwise changes the previous Hessian as little
   as possible (Frobenius norm). The KKT system's inverse is kept explicitly,
   in a frame (origin x0, lengths in units of the set's radius), and updated by
   rank two when a point moves: an iteration costs O(p^2) flops, no factorization.
   p is o->nf, passed so lmm__bobyqa can fix it at compile time. */
LMM__BQ_INLINE int lmm__bobyqa_run(lmm__opt *o, double *w, const int p)
{
    int m = 2 * p + 1, K = m + p + 1, kopt = 0, geo = 0, rebuilds = 0, framed = 0, updates = 0, i, j;
    size_t bytes = (size_t)p * sizeof(double);
    double *Y = w, *F = Y + (size_t)m * p, *S = F + m, *A = S + (size_t)m * p, *W = A + (size_t)K * K,
           *piv = W + (size_t)K * K, *c = piv + K, *lam = c + K, *wv = lam + K, *g = wv + K, *H = g + p,
           *H0 = H + (size_t)p * p, *s = H0 + (size_t)p * p, *slo = s + p, *shi = slo + p, *xp = shi + p,
           *x0 = xp + p, *sb = x0 + p, *gb = sb + p, *sn = gb + p, *gm = sn + p, *xbm = gm + p, *qw = xbm + p, *cand = qw + 3 * p + (size_t)p * p,
           *fhist = cand + p;
    char *active = (char *)(fhist + m + 1);   /* boxqp's flags, in the last p doubles */
    double rho = o->rho_begin, Delta = rho, scale = 1, diffs[3] = { 0, 0, 0 }, fbm = 0;
    /* a point counts as far (worth a geometry step) beyond 2 Delta; in high
       dimension, beyond 10 rho as in Powell's BOBYQA: each step fixes one of
       2p+1 points, and the extra steps at every radius cost more than the
       better model saves (72 parameters: the same criterion in ~4x fewer
       evaluations); so too up to LMM__BQ_NEAR_DIM variables */
    double farmin = p > LMM__BQ_FAR_DIM || p <= LMM__BQ_NEAR_DIM ? 10 : 2;
    int have_model = 0, nstart = o->nevals, first = 1, stale = 0;
    for (i = 0; i < p * p; i++) H0[i] = 0;
    if (p > LMM__BQ_FAR_DIM) {
        /* the best f of the last m + 1 evaluations, for the stall test */
        for (j = 0; j <= m; j++) fhist[j] = o->fbest;
        o->fhist = fhist; o->nhist = m + 1;
    }
    lmm__bq_initset(o, rho, Y, F, s);
    for (;;) {
        double *xb, fb, fcap = 0, pred, dnorm, fnew, ratio, far = 0;
        int jfar = -1, short_step;
        if (o->exhausted) return 0;
        if (p > LMM__BQ_FAR_DIM && o->nevals - nstart >= m) {
            /* the gain of the last m evaluations; not on the first radius,
               where a search far from its optimum makes its big moves, unless
               the set about the start gained nothing: a restart from an
               optimum then ends after one set */
            double gain = fhist[(o->nevals + 1) % (m + 1)] - o->fbest;
            if ((rho < o->rho_begin || first) && gain < LMM__BQ_STALL_ALLOWANCE(p, o->fbest)) {
                o->no_sweep = 1;
                return 1;
            }
            first = 0;
        }
        kopt = 0;
        for (j = 1; j < m; j++) if (F[j] < F[kopt]) kopt = j;
        xb = Y + (size_t)kopt * p; fb = F[kopt];
        for (j = 0; j < m; j++) {
            double d = lmm__dist_inf(p, Y + (size_t)j * p, xb);
            if (d > far && j != kopt) { far = d; jfar = j; }
            if (F[j] < HUGE_VAL && F[j] - fb > fcap) fcap = F[j] - fb;
        }
        /* re-centre when the best point drifted far from the origin relative
           to the radius (the model gradient would lose digits), and now and
           then to shed the updates' rounding */
        if (!framed || lmm__dist_inf(p, xb, x0) > 10 * (Delta > far ? Delta : far) || updates >= 20 * K) {
            if (lmm__bq_frame(p, m, Y, xb, rho, S, x0, &scale, A, W, piv, c)) {
                /* the set lost poisedness: start a fresh one at the current radius */
                if (++rebuilds > 50) return 0;
                lmm__bq_initset(o, rho, Y, F, s);
                framed = 0;
                continue;
            }
            framed = 1; updates = 0;
        }
        for (i = 0; i < p; i++) sb[i] = (xb[i] - x0[i]) / scale;
        if (geo && jfar >= 0 && far > (2 * Delta > farmin * rho ? 2 * Delta : farmin * rho)) {
            /* geometry step: move the farthest point to where its Lagrange
               function is largest within a small box, keeping the set poised */
            double dg = far * 0.1 < Delta ? far * 0.1 : Delta, best = -1, h, cb;
            int a;
            if (dg < rho) dg = rho;
            h = dg / scale;
            memcpy(c, W + (size_t)jfar * K, (size_t)K * sizeof(double));
            for (i = 0; i < p * p; i++) H[i] = 0;
            lmm__bq_coef(p, m, S, c, g, H);
            /* the Lagrange function about xb: value cb, gradient gb */
            cb = c[m] + lmm__quadval(p, g, H, sb);
            lmm__bq_grad_at(p, g, H, sb, gb);
            for (i = 0; i < p; i++) {
                slo[i] = lmm__clampd((o->lo[i] - xb[i]) / scale, -h, 0);
                shi[i] = lmm__clampd((o->hi[i] - xb[i]) / scale, 0, h);
            }
            /* candidates: the axis steps, the two gradient-sign corners and the
               signed pairs of axes, each clamped to the box; axis and pair values
               need only their own entries of gb and H */
            for (a = 0; a < 2 * p; a++) {
                double step = a % 2 ? slo[a / 2] : shi[a / 2], v;
                i = a / 2;
                if (step == 0) continue;
                v = fabs(cb + step * (gb[i] + 0.5 * H[i + (size_t)i * p] * step));
                if (v > best) { best = v; for (j = 0; j < p; j++) s[j] = j == i ? step : 0; }
            }
            for (a = 0; a < 2; a++) {
                double v;
                int moved = 0;
                for (i = 0; i < p; i++) {
                    cand[i] = (gb[i] >= 0) == (a == 0) ? shi[i] : slo[i];
                    if (cand[i] != 0) moved = 1;
                }
                if (!moved) continue;
                v = fabs(cb + lmm__quadval(p, gb, H, cand));
                if (v > best) { best = v; memcpy(s, cand, bytes); }
            }
            for (i = 0; i < p; i++)
                for (j = i + 1; j < p; j++)
                    for (a = 0; a < 4; a++) {
                        double ci = a % 2 ? slo[i] : shi[i], cj = (a / 2) % 2 ? slo[j] : shi[j], v;
                        int k;
                        if (ci == 0 && cj == 0) continue;
                        v = fabs(cb + ci * (gb[i] + 0.5 * H[i + (size_t)i * p] * ci) + cj * (gb[j] + 0.5 * H[j + (size_t)j * p] * cj)
                                 + ci * cj * H[i + (size_t)j * p]);
                        if (v > best) { best = v; for (k = 0; k < p; k++) s[k] = k == i ? ci : (k == j ? cj : 0); }
                    }
            geo = 0;
            if (best > 0) {
                for (i = 0; i < p; i++) {
                    xp[i] = lmm__clampd(xb[i] + s[i] * scale, o->lo[i], o->hi[i]);
                    if (s[i] == slo[i] && o->lo[i] - xb[i] >= -dg) xp[i] = o->lo[i];
                    if (s[i] == shi[i] && o->hi[i] - xb[i] <= dg) xp[i] = o->hi[i];
                    sn[i] = (xp[i] - x0[i]) / scale;
                }
                F[jfar] = lmm__opt_eval(o, xp);
                if (have_model) {
                    /* the last model's error here measures its accuracy too */
                    double q;
                    for (i = 0; i < p; i++) cand[i] = xp[i] - xbm[i];
                    q = fbm + lmm__quadval(p, gm, H0, cand);
                    diffs[2] = diffs[1]; diffs[1] = diffs[0];
                    diffs[0] = F[jfar] < HUGE_VAL ? fabs(F[jfar] - q) : HUGE_VAL;
                }
                memcpy(Y + (size_t)jfar * p, xp, bytes);
                lmm__bq_wvec(p, m, S, sn, wv);
                lmm__bq_symv(K, K, W, wv, lam);
                if (lmm__bq_update(p, m, S, W, jfar, sn, wv, lam, piv, c)) framed = 0;
                updates++;
                continue;
            }
            /* no candidate moved (a box pinned to a point): rebuild at spacing rho */
            lmm__bq_initset(o, rho, Y, F, s);
            framed = 0;
            continue;
        }
        geo = 0;
        /* model: values relative to fb (failed points capped above the rest)
           minus the old curvature, whose least change then fits the residue */
        for (i = 0; i < p * p; i++) H[i] = H0[i] * scale * scale;
        for (i = 0; i < p; i++) gb[i] = 0;   /* zero gradient: quadval gives s'Hs/2 */
        if (p > LMM__BQ_FAR_DIM) {   /* H is symmetric here: its lower triangle suffices */
            lmm__bq_halfquads(p, m, S, H, wv);
            for (j = 0; j < m; j++) wv[j] = (F[j] < HUGE_VAL ? F[j] - fb : 10 * fcap + 1) - wv[j];
        } else
            for (j = 0; j < m; j++)
                wv[j] = (F[j] < HUGE_VAL ? F[j] - fb : 10 * fcap + 1) - lmm__quadval(p, gb, H, S + (size_t)j * p);
        for (j = m; j < K; j++) wv[j] = 0;
        lmm__bq_symv(K, m, W, wv, c);
        lmm__bq_coef(p, m, S, c, g, H);
        lmm__bq_grad_at(p, g, H, sb, gb);   /* the model's gradient at xb */
        if (p > LMM__BQ_FAR_DIM) {
            /* Powell's safeguard: when the least-norm interpolant (no carried
               curvature) has a far smaller gradient at xb three models running,
               the carried curvature has gone stale and gives way to it. Its
               gradient at xb needs no Hessian (O(mp)), which is formed only
               when it takes over; sn, cand are scratch */
            double gq = 0, gi = 0;
            for (j = 0; j < m; j++) wv[j] = F[j] < HUGE_VAL ? F[j] - fb : 10 * fcap + 1;
            for (j = m; j < K; j++) wv[j] = 0;
            lmm__bq_symv(K, m, W, wv, lam);
            lmm__bq_coef_grad_at(p, m, S, lam, sb, sn);   /* its Hessian only if it takes over */
            for (i = 0; i < p; i++) {
                double a = gb[i], b = sn[i];
                if (xb[i] <= o->lo[i]) { a = a < 0 ? a : 0; b = b < 0 ? b : 0; }
                else if (xb[i] >= o->hi[i]) { a = a > 0 ? a : 0; b = b > 0 ? b : 0; }
                gq += a * a; gi += b * b;
            }
            stale = gq < 10 * gi ? 0 : stale + 1;
            if (stale >= 3) {
                for (i = 0; i < p * p; i++) H[i] = 0;
                lmm__bq_coef_wide(p, m, S, lam, cand, H);
                memcpy(gb, sn, bytes);
                stale = 0;
            }
        }
        for (i = 0; i < p * p; i++) H0[i] = H[i] / (scale * scale);
        for (i = 0; i < p; i++) gm[i] = gb[i] / scale;
        memcpy(xbm, xb, bytes); fbm = fb; have_model = 1;
        for (i = 0; i < p; i++) {
            slo[i] = lmm__clampd((o->lo[i] - xb[i]) / scale, -Delta / scale, 0);
            shi[i] = lmm__clampd((o->hi[i] - xb[i]) / scale, 0, Delta / scale);
        }
        lmm__boxqp(p, gb, H, slo, shi, s, qw, active);
        pred = -lmm__quadval(p, gb, H, s);
        for (i = 0; i < p; i++) {
            xp[i] = lmm__clampd(xb[i] + s[i] * scale, o->lo[i], o->hi[i]);
            /* land exactly on a bound the model step pushed against */
            if (s[i] == slo[i] && o->lo[i] - xb[i] >= -Delta) xp[i] = o->lo[i];
            if (s[i] == shi[i] && o->hi[i] - xb[i] <= Delta) xp[i] = o->hi[i];
        }
        dnorm = lmm__dist_inf(p, xp, xb);
        short_step = !(pred > 0) || dnorm < 0.5 * rho;
        if (!short_step) {
            double bestscore = -1, lmax = 0;
            int jrep = -1;
            fnew = lmm__opt_eval(o, xp);
            ratio = (fb - fnew) / pred;
            diffs[2] = diffs[1]; diffs[1] = diffs[0];
            diffs[0] = fnew < HUGE_VAL ? fabs(fnew - fb + pred) : HUGE_VAL;
            if (ratio <= 0.1) Delta = 0.5 * Delta < dnorm ? 0.5 * Delta : dnorm;
            else if (ratio <= 0.7) Delta = 0.5 * Delta > dnorm ? 0.5 * Delta : dnorm;
            else Delta = 0.5 * Delta > 2 * dnorm ? 0.5 * Delta : 2 * dnorm;
            if (Delta <= 1.5 * rho) Delta = rho;
            /* replace the point whose removal keeps the set best poised,
               favouring points far from the (new) best point */
            for (i = 0; i < p; i++) sn[i] = (xp[i] - x0[i]) / scale;
            lmm__bq_wvec(p, m, S, sn, wv);
            lmm__bq_symv(K, K, W, wv, lam);
            for (j = 0; j < m; j++) if (fabs(lam[j]) > lmax) lmax = fabs(lam[j]);
            for (j = 0; j < m; j++) {
                /* the distances to the new centre, kept in A (free between frames) for far below */
                double d = (A[j] = lmm__dist_inf(p, Y + (size_t)j * p, fnew < fb ? xp : xb)) / Delta, sc;
                if (j == kopt && !(fnew < fb)) continue;
                if (fabs(lam[j]) < 1e-3 * lmax) continue;
                sc = fabs(lam[j]) * (d > 1 ? d * d : 1);
                if (sc > bestscore) { bestscore = sc; jrep = j; }
            }
            if (jrep >= 0) {
                memcpy(Y + (size_t)jrep * p, xp, bytes); F[jrep] = fnew;
                if (lmm__bq_update(p, m, S, W, jrep, sn, wv, lam, piv, c)) framed = 0;
                updates++;
                A[jrep] = lmm__dist_inf(p, xp, fnew < fb ? xp : xb);
            }
            if (ratio >= 0.1) continue;
            far = 0;
            for (j = 0; j < m; j++)
                if (A[j] > far) far = A[j];
            if (far > (2 * Delta > farmin * rho ? 2 * Delta : farmin * rho)) { geo = 1; continue; }
            /* under the 10 rho rule a step of length rho that came back a rounding
               longer is no longer step (else failed steps repeat at this radius) */
            if (Delta > rho || dnorm > rho * (farmin > 2 ? 1 + 1e-9 : 1)) continue;
        } else {
            /* Powell's test: when the last three checks of the model (trust
               region and geometry points) predicted f to within its curvature's
               reach at this radius, or to rounding, the short step means this
               resolution is done and geometry steps would be wasted */
            double crv = HUGE_VAL, ss = 0, shs = 0, errbig = diffs[0];
            Delta = 0.5 * Delta;
            if (Delta <= 1.5 * rho) Delta = rho;
            if (diffs[1] > errbig) errbig = diffs[1];
            if (diffs[2] > errbig) errbig = diffs[2];
            for (i = 0; i < p; i++) {
                double hs = lmm__hrow(p, H, i, s, 0);
                if (H[i + (size_t)i * p] < crv) crv = H[i + (size_t)i * p];
                ss += s[i] * s[i]; shs += s[i] * hs;
            }
            if (ss > 0 && shs / ss < crv) crv = shs / ss;
            crv /= scale * scale;
            if (!(crv > 0 && errbig <= 0.125 * crv * rho * rho + 1e-12 * fabs(fb)) && far > (2 * Delta > farmin * rho ? 2 * Delta : farmin * rho)) {
                geo = 1; continue;
            }
        }
        /* this resolution is exhausted: shrink rho as BOBYQA does */
        if (rho <= o->rho_end) {
            /* Powell's last Newton step: under the 10 rho rule the final short
               step is where the model's optimum lies, closer than rho_end */
            if (p <= LMM__BQ_NEAR_DIM) {
                if (short_step && pred > 0 && dnorm > 0) lmm__opt_eval(o, xp);
                o->no_sweep = 1;
            }
            return 1;
        }
        {
            double r = rho / o->rho_end, old = rho;
            rho = r <= 16 ? o->rho_end : (r <= 250 ? sqrt(r) * o->rho_end : 0.1 * rho);
            Delta = 0.5 * old > rho ? 0.5 * old : rho;
        }
    }
}

/* one copy of the search per small dimension (most mixed models have 1-3
   covariance parameters), where the constant p unrolls the model's loops */
LMM__BQ_UNROLL static int lmm__bobyqa_small(lmm__opt *o, double *w)
{
    switch (o->nf) {
    case 1: return lmm__bobyqa_run(o, w, 1);
    case 2: return lmm__bobyqa_run(o, w, 2);
    default: return lmm__bobyqa_run(o, w, 3);
    }
}

/* and one for any p, compiled as the rest (unrolling it only costs build time) */
static int lmm__bobyqa_any(lmm__opt *o, double *w)
{
    return lmm__bobyqa_run(o, w, o->nf);
}

static int lmm__bobyqa(lmm__opt *o, double *w)
{
    return o->nf <= 3 ? lmm__bobyqa_small(o, w) : lmm__bobyqa_any(o, w);   /* small's three copies */
}

LMM_API size_t lmm_minimize_worksize(int n, lmm_optimizer method)
{
    size_t p = n > 0 ? (size_t)n : 1, m = 2 * p + 1, K = m + p + 1, common = 5 * p;
    if (method == LMM_OPT_NELDER_MEAD) return common + (p + 1) * p + (p + 1) + 3 * p;
    return common + 2 * m * p + 2 * m + 1 + 2 * K * K + 4 * K + 3 * p * p + 16 * p;
}

LMM_API lmm_status lmm_minimize(int n, double *x, const double *lower, const double *upper,
                                lmm_objective_fn f, void *ctx, const lmm_optim_options *opt,
                                double *work, lmm_optim_result *res, lmm_error *err)
{
    lmm__opt o;
    lmm_optimizer method = opt ? opt->method : LMM_OPT_BOBYQA;
    double *mine = NULL, minwidth = HUGE_VAL, *alg, *tmp;
    int i, j, conv = 1;
    if (res) { res->fmin = HUGE_VAL; res->nevals = 0; res->converged = 0; }
    if (n < 1 || !x || !f) return lmm__fail(err, LMM_ERR_ARG, "lmm_minimize: need n >= 1, x and f");
    if (method != LMM_OPT_BOBYQA && method != LMM_OPT_NELDER_MEAD)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_minimize: unknown method %d", (int)method);
    for (i = 0; i < n; i++) {
        double lo = lower ? lower[i] : -HUGE_VAL, hi = upper ? upper[i] : HUGE_VAL;
        if (lo != lo || hi != hi || lo > hi || lo == HUGE_VAL || hi == -HUGE_VAL)
            return lmm__fail(err, LMM_ERR_ARG, "lmm_minimize: bad bounds for x[%d]", i);
        if (!(x[i] > -HUGE_VAL && x[i] < HUGE_VAL))
            return lmm__fail(err, LMM_ERR_NUMERIC, "lmm_minimize: non-finite start x[%d]", i);
    }
    memset(&o, 0, sizeof o);
    o.n = n; o.lower = lower; o.upper = upper; o.x = x; o.f = f; o.ctx = ctx;
    o.rho_begin = opt && opt->rho_begin > 0 ? opt->rho_begin : 0.2;
    o.rho_end = opt && opt->rho_end > 0 ? opt->rho_end : 2e-7;
    o.ftol = opt && opt->ftol_abs > 0 ? opt->ftol_abs : 1e-10;
    o.xtol = opt && opt->xtol_abs > 0 ? opt->xtol_abs : 1e-10;
    o.max_evals = opt && opt->max_evals > 0 ? opt->max_evals : 10000;
    if (!work) {
        work = mine = LMM__NEW(double, lmm_minimize_worksize(n, method));
        if (!mine) return lmm__nomem(err);
    }
    o.xt = work; o.lo = work + n; o.hi = o.lo + n; o.zbest = o.hi + n; tmp = o.zbest + n;
    alg = tmp + n;
    for (i = 0, j = 0; i < n; i++) {
        double lo = lower ? lower[i] : -HUGE_VAL, hi = upper ? upper[i] : HUGE_VAL;
        x[i] = lmm__clampd(x[i], lo, hi);   /* a start outside the box is projected */
        o.xt[i] = x[i];
        if (lo == hi) continue;
        o.lo[j] = lo; o.hi[j] = hi; o.zbest[j] = x[i];
        if (hi - lo < minwidth) minwidth = hi - lo;
        j++;
    }
    o.nf = j;
    /* steps must fit in the box, as in BOBYQA */
    if (o.rho_begin > 0.5 * minwidth) o.rho_begin = 0.5 * minwidth;
    if (o.rho_end > o.rho_begin) o.rho_end = o.rho_begin;
    o.fbest = HUGE_VAL;
    o.fbest = lmm__opt_eval(&o, o.zbest);
    if (o.nf > 0) {
        int restarts = 0;
        for (;;) {
            conv = method == LMM_OPT_NELDER_MEAD ? lmm__nelder_mead(&o, alg) : lmm__bobyqa(&o, alg);
            o.fhist = NULL;
            if (!lmm__opt_polish(&o, tmp) || o.exhausted || ++restarts > LMM__OPT_RESTARTS) break;
            /* in high dimension a restart resumes at the final radius: one from
               rho_begin walks every level again at ~2n+1 evaluations each */
            if (method == LMM_OPT_BOBYQA && o.nf > LMM__BQ_FAR_DIM) o.rho_begin = o.rho_end;
        }
        if (o.exhausted) conv = 0;
    }
    if (!(o.fbest < HUGE_VAL)) conv = 0;   /* f never returned a finite value */
    if (res) { res->fmin = o.fbest; res->nevals = o.nevals; res->converged = conv; }
    LMM_FREE(mine);
    return LMM_OK;
}

/* ======================================================================== */
/* Mixed-model core                                                  @core */
/* ======================================================================== */
/* Map, in pipeline order (each part uses only what stands above it):
      1. blocks and their build
      2. class path
      3. sparse plan
      4. path choice, response and the model's lifetime
      5. Lambda(theta) products
      6. the factor paths
      7. objective
      8. model build
      9. estimates at theta
     10. conditional variances and finalize
     11. convergence check
     12. fit driver
     13. replicates on a thread team (the bootstraps' loop)
   The general dense kernels (blocked Cholesky, triangular inverse) are in
   "Dense linear algebra", the sorting and quantile helpers in "Utilities". */

/* The blocked system follows the profiled formulation of Bates et al. (2015):
   the first random-effects term (most levels) gives a block-diagonal leading
   block; every other row/column ("rest": the other terms, then X, then y)
   lives in a dense trailing block. The factor L of
       [ L'Z'ZL + I   L'Z'X  L'Z'y ]
       [    X'ZL       X'X    X'y  ]   (L = Lambda(theta))
       [    y'ZL       y'X    y'y  ]
   is computed block by block; its last diagonal entry is sqrt(pwrss).
   The off-diagonal block [Zr X y]' Z1 is stored sparse by level of the first
   term: level j touches only the rest rows its observations meet (in crossed
   designs a few dozen out of thousands), and since L11 is block diagonal L21
   keeps that pattern. The Schur complement L21 L21' is then a sum of small
   dense outer products, and the trailing block is factored dense (blocked).
   Where a level meets most of the rest block (maximal crossed designs:
   every subject sees every item) those outer products are not small: such
   levels' columns are stacked into packed panels and subtracted as one
   register-tiled SYRK (lmm__schur_packed), in the same order and rounding.
   With about one observation per cell as well (maximal models: 32 observations
   of a subject meet 256 item effects), a level's share is cheaper from its
   observations: L21_j = W_j B_j' (W_j: Lambda_r' [Zr X y]' of its n_j
   observations, a few nonzeros a column; B_j = L11_j^{-1} T1' Z1_j'), so
   L21_j L21_j' = W_j (B_j' B_j) W_j' is n_j^2 small blocks, summed by target
   block in register tiles (lmm__schur_pairs: each pair's b_o2 . b_o formed
   there, each observation's w and b side by side, stored by the second
   term's level so that a block reads them in order; an entry is the two w
   offsets), chosen level by level when the
   estimated work is under half (lmm__pairs_plan). Such an evaluation costs
   n_j^2 per level, not r^2. The objective then forms only those levels' X and
   y rows of L21; the estimates ask for the whole factor (lmm__factor_at, full).
   Otherwise one evaluation costs nothing proportional to the number of observations. */

/* ---- 1. blocks and their build ------------------------------------------ */
/* the objective's factor for the block after the first term */
typedef enum lmm__path { LMM__PATH_DENSE = 0, LMM__PATH_CLASSES, LMM__PATH_SPARSE } lmm__path;

/* The blocks (lmm__blocks): the cross-products of [Z X y] by blocks, accumulated from the terms and X. */
typedef struct lmm__blocks {
    int q1, p1, l1;       /* first term: q1 = l1 * p1 effects */
    int qr;               /* random effects of the other terms */
    int r;                /* rest dimension: qr + p + 1 */
    double *A11;          /* l1 blocks of p1 x p1: Z1'Z1 */
    size_t *cp;           /* l1 + 1: level j's rest rows are ri[cp[j] .. cp[j+1]) */
    int *ri;              /* sorted rest rows per level; the X and y rows are always last */
    double *A21;          /* level j: n_j x p1 block (column-major) at cp[j] * p1: [Zr X y]' Z1 */
    double *A22;          /* r x r (full symmetric): [Zr X y]' [Zr X y]; NULL while the sparse
                             path holds its nonzeros in sp_aval (lmm__sparse_release_a22) */
    double *ycol;         /* r: A22's y row while A22 is released */
    double *L11, *L21, *L22;
    int *rowterm;         /* r: term of each rest row (0 for the X and y rows) */
    size_t *tp;           /* r + 1: the pattern by rest row: row b occurs in level tl[e] ... */
    int *tl, *tt;         /* ... at position tt[e] of its list, e in tp[b] .. tp[b+1] */
    int diag_rest;        /* every other term has one column: Lambda_r is diagonal */
    double *rowscale;     /* r: that diagonal (1 for the X and y rows) */
    double *pack;         /* panel workspace of the blocked Cholesky */
    double *T;            /* templates, sum of ncol^2 */
    int *T_offset;        /* per term */
    double *work;         /* max(r, q) scratch */
    double *xtx_chol;     /* p x p Cholesky of X'X, for the response shift */
    int shift_ok;         /* 0 if X'X was not numerically positive definite */
    double *beta0;        /* OLS coefficients subtracted from y (see set_response) */
    double *xty;          /* p: X'(y - offset) (weighted: X'W(y - offset)) behind beta0 ... */
    int xty_ok;           /* ... for the current X and y (lmm_model_set_response clears it, lmm_model_set_X remaps it) */
    double *yshift;       /* n: y - X beta0 (weighted: sqrt(w) (y - offset - X beta0)) */
    double *work_y;       /* n: w (y - offset), only with weights */
    /* When the first term's levels share few distinct blocks Z1'Z1 (balanced
       or nearly: plots with 11..32 observations, subjects seen on the same
       days), L21 L21' = sum over those classes c of sum_{a<=b} M_c[a,b] S_c^ab,
       M_c = T1 (T1' D_c T1 + I)^{-1} T1', S_c^ab = the class's sum of
       a_j^a a_j^b' + a_j^b a_j^a' (a^a: column a of level j's [Zr X y]' Z1 block;
       once for a = b). The objective then costs a few dense r x r updates
       instead of every level's scattered outer products. */
    int ncls;             /* classes (0: path off) */
    int *cls_of;          /* l1: class of each level */
    double *cls_d;        /* ncls blocks p1 x p1: the class's Z1'Z1 */
    double *cls_C;        /* ncls * p1(p1+1)/2 blocks r x r, lower triangle: S_c^ab */
    double *cls_L;        /* ncls blocks p1 x p1: chol(T1' D_c T1 + I) at the last theta */
    double *cls_M;        /* ncls blocks p1 x p1: M_c at the last theta */
    int *cls_cnt;         /* ncls: levels in each class */
    double *cls_w;        /* ncls * p1(p1+1)/2 + 7: the nonzero weights M_c[a,b] of one evaluation (padded to eights) ... */
    const double **cls_S; /* ... and their sums S_c^ab */
    int cls_ready;        /* S current apart from the y row */
    int y_exact;          /* X fits y to rounding (constant y): no variance to model */
    /* The sparse path (lmm__sparse_plan): when every term after the first is
       scalar and a minimum-degree order of the rest block's random effects
       saves most of the dense factor's work (crossed designs such as
       students x teachers), the objective factors L22 by supernodes: each a
       dense column-major m x c block (its c columns, all m rows of its pattern),
       factored in place, its update written from register tiles straight into
       the later supernodes (fused multiply-adds where the target has FMA). (A better order was looked for: CHOLMOD's AMD on
       InstEval's teachers graph, 1142 nodes and 141188 edges after the
       students, needs the same work, sum of squared column counts 1.11e8
       against 1.20e8 here with the supernodes' explicit zeros.) The X and y rows stay last, so log|R_X| and pwrss
       read off the final supernode as in the dense factor. */
    lmm__path path;       /* dense, class or sparse: the objective's factor */
    int sp_nsn;           /* supernodes (0: no plan) */
    int *sp_perm;         /* r: original rest row at each factor position */
    int *sp_first;        /* nsn + 1: first column of each supernode */
    int *sp_rp;           /* nsn + 1: row lists sp_rows[sp_rp[s] .. sp_rp[s+1]) */
    int *sp_rows;         /* each supernode's rows, ascending factor positions */
    size_t *sp_off;       /* nsn + 1: each supernode's block in sp_val */
    int *sp_snof;         /* r: supernode of each column */
    int *sp_map;          /* r: scratch, position of a row in a target supernode */
    int *sp_rel;          /* r: scratch, those positions by a supernode's row */
    double *sp_val;       /* the supernodal factor */
    /* A22's nonzeros in factor order (NULL: S is built dense and gathered), all
       an evaluation reads and all A22 holds (InstEval: 5.7 k entries where the
       supernodes' layout has 495 k places): per factor column j, entries
       sp_acol[j] .. sp_acol[j+1], rows ascending, each its row in the column's
       supernode and value; the X and y rows always (y's is each column's last
       entry, for a new response) */
    size_t *sp_acol;
    unsigned short *sp_arow;
    double *sp_aval;
    /* L21 L21' by target column (factor order), each column's levels in tp's
       order: for tp entry e (level j, its row t) sp_pn[e] pairs, each two
       shorts (the target's row in the column's supernode, the row x of j's
       list), x's factor position at or after the column's. One column's
       updates stay in one cache-resident column of sp_val. */
    unsigned short *sp_pr;
    unsigned short *sp_pn;  /* tp[r]: pairs of each tp entry */
    size_t *sp_pcol;      /* r + 1: first pair of each factor column in sp_pr */
    /* Instead of the pairs, when p1 = 1 and the levels' Z1'Z1 = a_j take few
       values (InstEval: 86 class sizes for 2,972 students): L21_j = Lambda_r'
       A21_j T1 / L11_j, so the random effects' part of L21 L21' is
       Lambda_r' (sum_c w_c C_c) Lambda_r with w_c = T1^2 / (T1^2 a_c + 1) and
       C_c = sum over the class's levels of A21_j A21_j', structure only. C_c is
       stored merged by column and class (InstEval: 1.15 M entries for 2.1 M
       pairs) and an evaluation reads no L21 there; the X and y rows' part comes
       from L21, level by level into sp_tail. */
    int sp_ncls;          /* classes (0: the pairs, if any) */
    double *sp_cls_a;     /* 2 ncls: each class's a, then its weight at the evaluation's theta */
    int *sp_gcol;         /* r + 1: column fy's groups (a class reaching it) */
    int *sp_gcls;         /* class of each group */
    size_t *sp_gstart;    /* groups + 1: each group's entries in sp_erow, sp_eval */
    unsigned short *sp_erow;  /* the entry's row in its column's supernode */
    double *sp_eval;      /* C_c there (NULL when sp_ecnt holds them) */
    unsigned short *sp_ecnt;  /* C_c there when all are whole numbers below 65536 (unweighted indicator
                                 terms: counts), a quarter of the bytes an evaluation reads, exact */
    double *sp_tail;      /* qr * nt + nt * nt (nt = r - qr): L21 L21' between each rest row and the X, y rows, then among these */
    double *sp_z;         /* the inverse of the random-effects part of L22 L22' on the factor's
                             pattern (selected inversion), for conditional variances; lazily */
    /* Observation pairs (lmm__schur_pairs): with about one observation per
       cell, level j's L21_j = W_j B_j' (W_j: Lambda_r' times its observations'
       rest rows, a few nonzeros each; B_j = L11_j^{-1} T1' Z1_j'), so
       L21_j L21_j' = W_j (B_j' B_j) W_j' costs n_j^2 small blocks instead of
       the r x r triangle (maximal designs: 32 observations meeting 265 rows). */
    int *pr_start;        /* l1 + 1: level j's pair observations pr_start[j] .. pr_start[j+1] (none: other paths); NULL: no level */
    double *pr_z1;        /* sqrt(w) Z1_j, level by level, column-major (n_j x p1) */
    double *pr_zr;        /* sqrt(w) z of the other terms: pr_qs columns over all pair observations */
    int *pr_row;          /* each: rest row of each other term's first effect */
    int pr_qs;            /* other terms' effects an observation */
    int pr_fresh;         /* every level by pairs and every two levels of another term meet in one: the blocks between
                             them are left unset by lmm__schur_build's copy of A22 (zero there) and stored whole here */
    int *pr_perm;         /* each: its place in pr_w, ordered by the second term's level (a block's entries then read them in order) */
    int pr_nblk;          /* target blocks of L22: each a pair of the other terms' levels met together */
    int *pr_bpos;         /* 2 per block: its first row and first column (rest rows) */
    size_t *pr_bstart;    /* nblk + 1: the block's entries pr_ent[2 e .. ], and their G_j values pr_g[e ..] */
    int *pr_ent;          /* 2 per entry: the row and column factor's w offsets into pr_w (b_o: the observation's w offset, less
                             the term's column among the qs, plus qs) */
    int pr_nxblk;         /* blocks of the X and y rows against one level of another term */
    int *pr_xpos;         /* each: that level's first rest row */
    int *pr_xstart;       /* nxblk + 1: its entries pr_xent[2 e ..]: offsets into pr_h and pr_w (each weighed -1) */
    int *pr_xent;
    double *pr_b, *pr_w, *pr_g, *pr_h;   /* one evaluation's W by columns (qs x total, scratch); per observation w_o (qs)
                                            then b_o (p1), pr_perm's order (padded); -b_o2 . b_o by entry; and
                                            L21's X and y rows times B_j (padded) */
    double *pr_pack;      /* p1 columns of the most observations of a level and the X and y rows, each part
                             rounded up to 8 rows: B_j then L21_j's X and y rows, packed for the tiles */
} lmm__blocks;


/* Rest rows (other terms' effects, then X) of an observation whose terms' levels
   are codes[0..nterms); returns the count, the same for every observation. */
static int lmm__rest_rows(const lmm_model *m, const int *codes, int *idx)
{
    const lmm__blocks *B = m->blk_;
    int k, c, nz = 0;
    for (k = 1; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        for (c = 0; c < t->ncol; c++) idx[nz++] = t->u_offset - B->q1 + codes[k] * t->ncol + c;
    }
    for (c = 0; c < m->X->ncol; c++) idx[nz++] = B->qr + c;
    return nz;
}

/* What lmm__blocks_build reads of observation i, packed: codes = each term's
   level; vals = the first term's z, the values of its nz rest rows (Z and X
   rows scaled by sqrt(w), as lme4), then w and sqrt(w) when there are weights. */
static void lmm__obs_pack(const lmm_model *m, int i, double *vals, int *codes)
{
    int n = m->nobs, k, c, v = 0;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        codes[k] = t->codes[i];
        for (c = 0; c < t->ncol; c++) vals[v++] = t->z[(size_t)c * n + i];
    }
    for (c = 0; c < m->X->ncol; c++) vals[v++] = m->X->v[(size_t)c * n + i];
    if (m->sqrtw_) {
        for (c = m->terms[0].ncol; c < v; c++) vals[c] *= m->sqrtw_[i];
        vals[v++] = m->weights[i];
        vals[v++] = m->sqrtw_[i];
    }
}

/* Every observation packed (lmm__obs_pack: nv values, nc codes each) in the
   order of its first-term level, rows ascending within a level (start: the
   levels' offsets), so that the level-by-level passes read memory in order:
   gathering each observation from the model's columns by level missed the
   cache and the TLB several times a row (0.8 us a row at 1e7 rows). Two
   cache-friendly steps of a stable radix sort: each observation goes to its
   run of consecutive levels (at most a few hundred kB, or one level), then
   each run of several levels is sorted by level through a run-sized buffer.
   0 on out of memory. */
static int lmm__obs_by_level(const lmm_model *m, const int *start, int nv, int nc, double *pv, int *pc)
{
    int n = m->nobs, l1 = m->terms[0].nlevels, i, j, r, nrun = 0, big, ok = 0;
    int *run_of = LMM__NEW(int, l1), *run_lev = LMM__NEW(int, (size_t)l1 + 1), *head = NULL, *lhead = NULL, *tc = NULL;
    double *tv = NULL;
    size_t rec = (size_t)nv * sizeof(double) + (size_t)nc * sizeof(int);
    big = 262144 / (int)rec > 64 ? 262144 / (int)rec : 64;   /* observations of a run of several levels */
    if (!run_of || !run_lev) goto done;
    for (j = 0; j < l1; j++) {
        if (nrun == 0 || (j > run_lev[nrun - 1] && start[j + 1] - start[run_lev[nrun - 1]] > big)) run_lev[nrun++] = j;
        run_of[j] = nrun - 1;
    }
    run_lev[nrun] = l1;
    head = LMM__NEW(int, nrun);
    lhead = LMM__NEW(int, l1);
    tv = LMM__NEW(double, (size_t)big * nv);
    tc = LMM__NEW(int, (size_t)big * nc);
    if (!head || !lhead || !tv || !tc) goto done;
    for (r = 0; r < nrun; r++) head[r] = start[run_lev[r]];
    for (i = 0; i < n; i++) {
        int e = head[run_of[m->terms[0].codes[i]]]++;
        lmm__obs_pack(m, i, pv + (size_t)e * nv, pc + (size_t)e * nc);
    }
    for (r = 0; r < nrun; r++) {
        int j0 = run_lev[r], j1 = run_lev[r + 1], s0 = start[j0], e;
        if (j1 - j0 < 2) continue;          /* one level: already in row order */
        for (j = j0; j < j1; j++) lhead[j] = start[j] - s0;
        for (e = s0; e < start[j1]; e++) {
            int d = lhead[pc[(size_t)e * nc]]++;
            memcpy(tv + (size_t)d * nv, pv + (size_t)e * nv, (size_t)nv * sizeof *tv);
            memcpy(tc + (size_t)d * nc, pc + (size_t)e * nc, (size_t)nc * sizeof *tc);
        }
        memcpy(pv + (size_t)s0 * nv, tv, (size_t)(start[j1] - s0) * nv * sizeof *tv);
        memcpy(pc + (size_t)s0 * nc, tc, (size_t)(start[j1] - s0) * nc * sizeof *tc);
    }
    ok = 1;
done:
    LMM_FREE(run_of); LMM_FREE(run_lev); LMM_FREE(head); LMM_FREE(lhead); LMM_FREE(tv); LMM_FREE(tc);
    return ok;
}

/* Level j's share of L21 L21' goes in by lmm__schur_packed when its
   random-effect rows are half the rest block or more (maximal crossed
   designs) and observation pairs do not take it: the register tiles then do
   the whole r x r triangle, zeros and all, some three times quicker than the
   scattered column updates do its nonzeros (callgrind: 10 instructions a
   multiply-add there, under 1 in the tiles). Levels that meet a few of the
   other terms' effects (soybean's plots, r = 116: 10% more instructions
   packed) and small blocks keep the column updates. */
static int lmm__level_wide(const lmm__blocks *B, int j)
{
    int nre = (int)(B->cp[j + 1] - B->cp[j]) - (B->r - B->qr);
    return B->r >= 32 && 2 * nre >= B->r;
}

/* Level j's share goes in by observation pairs (lmm__pairs_plan). */
static int lmm__level_pairs(const lmm__blocks *B, int j)
{
    return B->pr_start && B->pr_start[j + 1] > B->pr_start[j];
}

static int lmm__level_packed(const lmm__blocks *B, int j)
{
    return lmm__level_wide(B, j) && !lmm__level_pairs(B, j);
}

/* The column among an observation's qs other-term effects (pr_w) at which
   rest row R's term starts. */
static int lmm__pairs_column(const lmm_model *m, int R)
{
    int k, c = 0;
    for (k = 1; k < m->blk_->rowterm[R]; k++) c += m->terms[k].ncol;
    return c;
}

/* The pair levels' entries (lmm__schur_pairs) by target block of L22: for
   each level, observations o, o2 and other terms k, k2 whose rows R (o's for
   k) <= R2 (o2's for k2), the entry (G_j[o2, o], w_o2 for k2, w_o for k) adds
   to the block at rows R2, columns R; sorted by column, then row (two
   counting-sort passes), so that each block is summed once in registers.
   G_j's entry is formed per evaluation in the entry's own place of pr_g
   (from b_o2 and b_o, found beside w_o2 and w_o in pr_w), read there hot by
   the block's tiles. 0 on out of memory. */
static int lmm__pairs_entries(lmm_model *m)
{
    lmm__blocks *B = m->blk_;
    int r = B->r, qs = B->pr_qs, nseg = m->nterms - 1, j, o, o2, s, s2, c, c2, pass, nb = 0;
    size_t ne = 0, e, *cnt = LMM__ZNEW(size_t, (size_t)r + 1);
    int *ent = NULL, *tmp = NULL, *key = NULL, *tkey = NULL, ws = qs + B->p1;
    if (!cnt) return 0;
    for (pass = 0; pass < 2; pass++) {
        for (j = 0, e = 0; j < B->l1; j++) {
            int o0 = B->pr_start[j], nob = B->pr_start[j + 1] - o0;
            const int *rows = B->pr_row + (size_t)o0 * nseg;
            for (o = 0; o < nob; o++)
                for (s = 0, c = 0; s < nseg; c += m->terms[++s].ncol)
                    for (o2 = 0; o2 < nob; o2++)
                        for (s2 = 0, c2 = 0; s2 < nseg; c2 += m->terms[++s2].ncol) {
                            int R = rows[(size_t)o * nseg + s], R2 = rows[(size_t)o2 * nseg + s2];
                            if (R2 < R) continue;
                            if (pass == 1) {
                                ent[2 * e] = B->pr_perm[o0 + o2] * ws + c2;
                                ent[2 * e + 1] = B->pr_perm[o0 + o] * ws + c;
                                key[2 * e] = R2; key[2 * e + 1] = R;
                            }
                            e++;
                        }
        }
        if (pass == 1) break;
        ne = e;
        if ((double)ne >= INT_MAX - 1 || (double)B->pr_start[B->l1] * (ws + r) >= INT_MAX - LMM__MR) {
            LMM_FREE(cnt); LMM_FREE(B->pr_start);  /* beyond int offsets: the other updates */
            B->pr_start = NULL;                  /* lmm__level_pairs reads it */
            return 1;
        }
        ent = LMM__NEW(int, 2 * ne); tmp = LMM__NEW(int, 2 * ne);   /* ne >= 1: each observation meets itself */
        key = LMM__NEW(int, 2 * ne); tkey = LMM__NEW(int, 2 * ne);
        B->pr_g = LMM__NEW(double, ne);
        if (!ent || !tmp || !key || !tkey || !B->pr_g) break;
    }
    if (!ent || !tmp || !key || !tkey || !B->pr_g) { LMM_FREE(cnt); LMM_FREE(ent); LMM_FREE(tmp); LMM_FREE(key); LMM_FREE(tkey); return 0; }
    for (pass = 0; pass < 2; pass++) {           /* by row, then stably by column */
        int *se = pass ? tmp : ent, *de = pass ? ent : tmp, *sk = pass ? tkey : key, *dk = pass ? key : tkey, x;
        memset(cnt, 0, ((size_t)r + 1) * sizeof *cnt);
        for (e = 0; e < ne; e++) cnt[sk[2 * e + pass] + 1]++;
        for (x = 0; x < r; x++) cnt[x + 1] += cnt[x];
        for (e = 0; e < ne; e++) {
            size_t d = cnt[sk[2 * e + pass]]++;
            de[2 * d] = se[2 * e]; de[2 * d + 1] = se[2 * e + 1];
            dk[2 * d] = sk[2 * e]; dk[2 * d + 1] = sk[2 * e + 1];
        }
    }
    for (e = 0; e < ne; e++) if (e == 0 || key[2 * e] != key[2 * e - 2] || key[2 * e + 1] != key[2 * e - 1]) nb++;
    B->pr_bpos = LMM__NEW(int, 2 * (size_t)nb + 2);
    B->pr_bstart = LMM__NEW(size_t, (size_t)nb + 1);
    if (B->pr_bpos && B->pr_bstart) {
        for (e = 0, nb = 0; e < ne; e++)
            if (e == 0 || key[2 * e] != key[2 * e - 2] || key[2 * e + 1] != key[2 * e - 1]) {
                B->pr_bpos[2 * nb] = key[2 * e]; B->pr_bpos[2 * nb + 1] = key[2 * e + 1];
                B->pr_bstart[nb++] = e;
            }
        B->pr_bstart[nb] = ne;
        B->pr_nblk = nb;
    }
    B->pr_ent = ent;
    if (B->pr_bpos && B->pr_bstart && !B->diag_rest) {   /* pr_fresh: count the blocks between two levels of one term */
        size_t need = 0, have = 0;
        int k;
        B->pr_fresh = 1;
        for (j = 0; j < B->l1; j++) if (!lmm__level_pairs(B, j)) B->pr_fresh = 0;
        for (k = 1; k < m->nterms; k++) need += (size_t)m->terms[k].nlevels * (m->terms[k].nlevels - 1) / 2;
        for (k = 0; k < nb; k++)
            have += B->pr_bpos[2 * k] != B->pr_bpos[2 * k + 1] && B->rowterm[B->pr_bpos[2 * k]] == B->rowterm[B->pr_bpos[2 * k + 1]];
        if (have != need) B->pr_fresh = 0;
    }
    LMM_FREE(cnt); LMM_FREE(tmp); LMM_FREE(key); LMM_FREE(tkey);
    if (!B->pr_bpos || !B->pr_bstart) return 0;
    {   /* the X and y rows' entries: each observation's h against its w, by the other term's level (counting sort) */
        int total = B->pr_start[B->l1], nt = r - B->qr, x, *at = LMM__ZNEW(int, (size_t)r + 1), *rows = B->pr_row;
        if (!at) return 0;
        for (o = 0; o < total * nseg; o++) at[rows[o] + 1]++;
        for (x = 0, nb = 0; x < r; x++) nb += at[x + 1] > 0;   /* the levels met: one block each */
        B->pr_xent = LMM__NEW(int, 2 * (size_t)total * nseg);
        B->pr_xpos = LMM__NEW(int, (size_t)nb);
        B->pr_xstart = LMM__NEW(int, (size_t)nb + 1);
        if (!B->pr_xent || !B->pr_xpos || !B->pr_xstart) { LMM_FREE(at); return 0; }
        for (x = 0, nb = 0; x < r; x++) {
            if (at[x + 1]) { B->pr_xpos[nb] = x; B->pr_xstart[nb++] = at[x]; }
            at[x + 1] += at[x];
        }
        B->pr_xstart[nb] = total * nseg;
        B->pr_nxblk = nb;
        for (o = 0; o < total; o++)
            for (s = 0, c = 0; s < nseg; c += m->terms[++s].ncol) {
                int d = at[rows[(size_t)o * nseg + s]]++;
                B->pr_xent[2 * d] = o * nt;
                B->pr_xent[2 * d + 1] = B->pr_perm[o] * ws + c;
            }
        LMM_FREE(at);
    }
    return 1;
}

/* Which levels go in by observation pairs (lmm__schur_pairs): those whose
   estimated work there (n_j^2 blocks of the other terms' effects, a loop
   overhead each) is under half that of their current update (the packed
   tiles' r x r triangle at about an instruction a multiply-add, or the
   scattered column updates' nonzeros at about five), then their
   observations' values (pv, from lmm__obs_by_level: nv each, in level
   order from start) and rows. 0 on out of memory. */
static int lmm__pairs_plan(lmm_model *m, const int *start, const double *pv, const int *pc, int nv)
{
    lmm__blocks *B = m->blk_;
    int p1 = B->p1, r = B->r, nt = r - B->qr, nseg = m->nterms - 1, nc = m->nterms, qs = 0, k, j, i, c, s, total = 0, most = 0, *idx;
    for (k = 1; k < m->nterms; k++) qs += m->terms[k].ncol;
    if (nseg < 1 || !(B->pr_start = LMM__ZNEW(int, (size_t)B->l1 + 1))) return nseg < 1;
    B->pr_qs = qs;
    for (j = 0; j < B->l1; j++) {
        double nob = start[j + 1] - start[j], nre = (double)(B->cp[j + 1] - B->cp[j]) - nt;
        double old = lmm__level_wide(B, j) ? p1 * 0.5 * r * (r + 1) : 5.0 * p1 * (nre * (nre + 1) / 2 + nre * nt);
        double pairs = nob * nob * (0.5 * qs * qs + p1 + 10.0 * nseg * nseg) + nob * (2.0 * nt * p1 + qs * (p1 + qs));
        int take = 2 * pairs < old;
        B->pr_start[j + 1] = B->pr_start[j] + (take ? start[j + 1] - start[j] : 0);
        if (take && start[j + 1] - start[j] > most) most = start[j + 1] - start[j];
    }
    total = B->pr_start[B->l1];
    if (total == 0) { LMM_FREE(B->pr_start); B->pr_start = NULL; return 1; }
    B->pr_z1 = LMM__NEW(double, (size_t)total * p1);
    B->pr_zr = LMM__NEW(double, (size_t)total * qs);
    B->pr_row = LMM__NEW(int, (size_t)total * nseg);
    B->pr_b = LMM__NEW(double, (size_t)total * qs);
    B->pr_w = LMM__ZNEW(double, (size_t)total * (qs + p1) + LMM__MR);   /* the tiles read up to 8 values past a term's */
    B->pr_h = LMM__ZNEW(double, (size_t)total * nt + LMM__MR);
    most = (most + LMM__MR - 1) / LMM__MR * LMM__MR;   /* B_j's slabs, then the X and y rows' */
    B->pr_pack = LMM__ZNEW(double, (size_t)((most + nt + LMM__MR - 1) / LMM__MR * LMM__MR) * p1);
    idx = LMM__NEW(int, r);
    if (!B->pr_z1 || !B->pr_zr || !B->pr_row || !B->pr_b || !B->pr_w || !B->pr_h || !B->pr_pack || !idx) {
        LMM_FREE(idx);
        return 0;
    }
    for (j = 0; j < B->l1; j++) {
        int o = B->pr_start[j], nob = B->pr_start[j + 1] - o;
        for (i = start[j]; nob > 0 && i < start[j + 1]; i++, o++) {
            const double *val = pv + (size_t)i * nv;
            double so = m->sqrtw_ ? val[nv - 1] : 1.0;
            for (c = 0; c < p1; c++) B->pr_z1[(size_t)B->pr_start[j] * p1 + (size_t)c * nob + i - start[j]] = val[c] * so;
            for (c = 0; c < qs; c++) B->pr_zr[(size_t)c * total + o] = val[p1 + c];
            lmm__rest_rows(m, pc + (size_t)i * nc, idx);
            for (s = 0, c = 0; s < nseg; c += m->terms[++s].ncol) B->pr_row[(size_t)o * nseg + s] = idx[c];
        }
    }
    LMM_FREE(idx);
    {   /* pr_w's order: by the second term's level (counting sort), then level j */
        int *at = LMM__ZNEW(int, (size_t)r + 1), o;
        B->pr_perm = LMM__NEW(int, (size_t)total + 1);
        if (!at || !B->pr_perm) { LMM_FREE(at); return 0; }
        for (o = 0; o < total; o++) at[B->pr_row[(size_t)o * nseg] + 1]++;
        for (i = 0; i < r; i++) at[i + 1] += at[i];
        for (o = 0; o < total; o++) B->pr_perm[o] = at[B->pr_row[(size_t)o * nseg]]++;
        LMM_FREE(at);
    }
    return lmm__pairs_entries(m);
}

/* Accumulate the structure's cross-products (everything but y) and fix the
   sparse pattern of the off-diagonal block (the plans come after: lmm__blocks_setup). */
static lmm_status lmm__blocks_build(lmm_model *m, lmm_error *err)
{
    lmm__blocks *B = LMM__ZNEW(lmm__blocks, 1);
    const lmm_reterm *t1 = &m->terms[0];
    int n = m->nobs, p = m->X->ncol, i, j, k, c, c2, tsz = 0, nz, nv, nc = m->nterms;
    int *idx = NULL, *start = NULL, *mark = NULL, *pc = NULL;
    double *pv = NULL;
    size_t nnz;
    if (!B) return lmm__nomem(err);
    m->blk_ = B;
    B->p1 = t1->ncol; B->l1 = t1->nlevels; B->q1 = B->p1 * B->l1;
    B->qr = m->q - B->q1;
    B->r = B->qr + p + 1;
    for (k = 0; k < m->nterms; k++) tsz += m->terms[k].ncol * m->terms[k].ncol;
    for (k = 1, nz = p; k < m->nterms; k++) nz += m->terms[k].ncol;
    nv = B->p1 + nz + (m->sqrtw_ ? 2 : 0);
    B->A11 = LMM__ZNEW(double, (size_t)B->l1 * B->p1 * B->p1);
    B->L11 = LMM__NEW(double, (size_t)B->l1 * B->p1 * B->p1);
    B->cp = LMM__NEW(size_t, (size_t)B->l1 + 1);
    B->A22 = LMM__ZNEW(double, (size_t)B->r * B->r);
    B->L22 = LMM__NEW(double, (size_t)B->r * B->r);
    B->rowterm = LMM__ZNEW(int, B->r);
    B->tp = LMM__ZNEW(size_t, (size_t)B->r + 1);
    B->rowscale = LMM__NEW(double, B->r);
    B->pack = LMM__NEW(double, ((size_t)B->r + LMM__MR) * LMM__NB);
    B->T = LMM__ZNEW(double, tsz);
    B->T_offset = LMM__NEW(int, m->nterms);
    B->work = LMM__NEW(double, (size_t)(B->r > m->q ? B->r : m->q) + 1);
    B->xtx_chol = LMM__NEW(double, (size_t)p * p + 1);
    B->beta0 = LMM__ZNEW(double, (size_t)p + 1);
    B->xty = LMM__ZNEW(double, (size_t)p + 1);
    B->yshift = LMM__NEW(double, (size_t)n + 1);
    if (m->sqrtw_ && !(B->work_y = LMM__NEW(double, (size_t)n + 1))) goto nomem;
    idx = LMM__NEW(int, B->r);
    start = LMM__ZNEW(int, (size_t)B->l1 + 1);
    mark = LMM__NEW(int, B->r);
    pv = LMM__NEW(double, (size_t)n * nv);
    pc = LMM__NEW(int, (size_t)n * nc);
    if (!B->A11 || !B->L11 || !B->cp || !B->A22 || !B->L22 || !B->rowterm || !B->tp || !B->rowscale || !B->pack || !B->T || !B->T_offset ||
        !B->work || !B->xtx_chol || !B->beta0 || !B->xty || !B->yshift || !idx || !start || !mark || !pv || !pc)
        goto nomem;
    for (k = 0, tsz = 0; k < m->nterms; k++) { B->T_offset[k] = tsz; tsz += m->terms[k].ncol * m->terms[k].ncol; }
    B->diag_rest = 1;
    for (k = 1; k < m->nterms; k++) {
        for (c = 0; c < m->terms[k].nlevels * m->terms[k].ncol; c++) B->rowterm[m->terms[k].u_offset - B->q1 + c] = k;
        if (m->terms[k].ncol != 1) B->diag_rest = 0;
    }
    /* observations grouped by first-term level, rows ascending within a level */
    for (i = 0; i < n; i++) start[t1->codes[i] + 1]++;
    for (j = 0; j < B->l1; j++) start[j + 1] += start[j];
    if (!lmm__obs_by_level(m, start, nv, nc, pv, pc)) goto nomem;
    /* pattern: count, then fill and sort the distinct rest rows of each level */
    for (c = 0; c < B->r; c++) mark[c] = -1;
    B->cp[0] = 0;
    for (j = 0; j < B->l1; j++) {
        size_t cnt = (size_t)p + 1;
        for (i = start[j]; i < start[j + 1] && nz > p; i++) {
            lmm__rest_rows(m, pc + (size_t)i * nc, idx);
            for (c = 0; c < nz - p; c++) if (mark[idx[c]] != j) { mark[idx[c]] = j; cnt++; }
        }
        B->cp[j + 1] = B->cp[j] + cnt;
    }
    nnz = B->cp[B->l1];
    B->ri = LMM__NEW(int, nnz);
    B->A21 = LMM__ZNEW(double, nnz * B->p1);
    B->L21 = LMM__NEW(double, nnz * B->p1);
    B->tl = LMM__NEW(int, nnz + 1);
    B->tt = LMM__NEW(int, nnz + 1);
    if (!B->ri || !B->A21 || !B->L21 || !B->tl || !B->tt) goto nomem;
    for (c = 0; c < B->r; c++) mark[c] = -1;
    for (j = 0; j < B->l1; j++) {
        int *rows = B->ri + B->cp[j], cnt = 0, nj = (int)(B->cp[j + 1] - B->cp[j]);
        double *a21 = B->A21 + B->cp[j] * B->p1, *a11 = B->A11 + (size_t)j * B->p1 * B->p1;
        for (i = start[j]; i < start[j + 1] && nz > p; i++) {
            lmm__rest_rows(m, pc + (size_t)i * nc, idx);
            for (c = 0; c < nz - p; c++) if (mark[idx[c]] != j) { mark[idx[c]] = j; rows[cnt++] = idx[c]; }
        }
        for (c = B->qr; c < B->r; c++) rows[cnt++] = c;
        qsort(rows, (size_t)cnt, sizeof *rows, lmm__cmp_int);
        for (c = 0; c < nj; c++) mark[rows[c]] = c;   /* now: position of a row in this level's list */
        for (i = start[j]; i < start[j + 1]; i++) {
            const double *z1 = pv + (size_t)i * nv, *val = z1 + B->p1;
            double wo = m->sqrtw_ ? val[nz] : 1.0, so = m->sqrtw_ ? val[nz + 1] : 1.0;   /* x * 1.0 is exact */
            int a, b;
            lmm__rest_rows(m, pc + (size_t)i * nc, idx);
            for (c = 0; c < B->p1; c++)
                for (c2 = 0; c2 < B->p1; c2++) a11[c + c2 * B->p1] += z1[c] * z1[c2] * wo;
            for (a = 0; a < nz; a++) {
                double va = val[a];
                if (va == 0.0) continue;
                for (c = 0; c < B->p1; c++) a21[(size_t)c * nj + mark[idx[a]]] += va * (so * z1[c]);
                for (b = 0; b <= a; b++) {
                    int r0 = idx[a], c0 = idx[b];
                    if (r0 < c0) { int tmp = r0; r0 = c0; c0 = tmp; }
                    B->A22[(size_t)c0 * B->r + r0] += va * val[b];
                }
            }
        }
        for (c = 0; c < nj; c++) mark[rows[c]] = -1;
    }
    if (!lmm__pairs_plan(m, start, pv, pc, nv)) goto nomem;
    LMM_FREE(pv); LMM_FREE(pc);
    pv = NULL; pc = NULL;
    /* the same pattern by rest row, for the Schur complement column by column */
    for (nnz = 0; nnz < B->cp[B->l1]; nnz++) B->tp[B->ri[nnz] + 1]++;
    for (c = 0; c < B->r; c++) B->tp[c + 1] += B->tp[c];
    for (j = 0; j < B->l1; j++) {
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        for (c = 0; c < nj; c++) {
            size_t e = B->tp[B->ri[B->cp[j] + c]]++;
            B->tl[e] = j; B->tt[e] = c;
        }
    }
    for (c = B->r; c > 0; c--) B->tp[c] = B->tp[c - 1];
    B->tp[0] = 0;
    /* mirror the lower triangle; entries with equal index were added once per pair */
    for (c = 0; c < B->r; c++)
        for (c2 = c + 1; c2 < B->r; c2++) B->A22[(size_t)c2 * B->r + c] = B->A22[(size_t)c * B->r + c2];
    LMM_FREE(idx); LMM_FREE(start); LMM_FREE(mark);
    for (c = 0; c < p; c++)
        for (c2 = 0; c2 < p; c2++) B->xtx_chol[c + c2 * p] = B->A22[(size_t)(B->qr + c2) * B->r + B->qr + c];
    B->shift_ok = p > 0 && lmm_chol(p, B->xtx_chol, p) == 0;
    return LMM_OK;
nomem:
    LMM_FREE(idx); LMM_FREE(start); LMM_FREE(mark); LMM_FREE(pv); LMM_FREE(pc);
    return lmm__nomem(err);
}

/* ---- 2. class path ------------------------------------------------------ */
/* Per-class sums S_c^ab of balanced first terms: whether they pay, and filling them. */

/* Decide the class path (see lmm__blocks): on when the classes' dense updates
   cost at most half the levels' sparse ones and fit in 32 MB. Classes are
   found by exact comparison with the ones seen so far (few, or the path is off). */
static lmm_status lmm__classes_plan(lmm__blocks *B, lmm_error *err)
{
    int p1 = B->p1, pp = p1 * p1, npair = p1 * (p1 + 1) / 2, j, c, nc = 0, maxc = B->l1 / 2;
    size_t rr = (size_t)B->r * B->r;
    double scattered = 0, dense;
    B->ncls = 0;
    if (B->l1 < 2 || maxc > 256) maxc = B->l1 < 2 ? 0 : 256;
    if (maxc < 1 || p1 > 8) return LMM_OK;   /* p1 > 8: the weights' scratch is fixed-size */
    if (!(B->cls_of = LMM__NEW(int, B->l1)) || !(B->cls_d = LMM__NEW(double, (size_t)maxc * pp)))
        return lmm__nomem(err);   /* freed with the blocks */
    for (j = 0; j < B->l1; j++) {
        const double *A = B->A11 + (size_t)j * pp;
        double nj = (double)(B->cp[j + 1] - B->cp[j]);
        scattered += 0.5 * p1 * nj * (nj + 1);
        for (c = 0; c < nc && memcmp(B->cls_d + (size_t)c * pp, A, (size_t)pp * sizeof(double)) != 0; c++) {}
        if (c == nc) {
            if (nc == maxc) break;   /* too many distinct blocks */
            memcpy(B->cls_d + (size_t)nc++ * pp, A, (size_t)pp * sizeof(double));
        }
        B->cls_of[j] = c;
    }
    dense = 0.5 * (double)nc * npair * (double)B->r * (B->r + 1);
    if (j < B->l1 || 2 * dense > scattered || (double)nc * npair * (double)rr > 4194304.0) {
        LMM_FREE(B->cls_of); LMM_FREE(B->cls_d);
        B->cls_of = NULL; B->cls_d = NULL;
        return LMM_OK;
    }
    if (!(B->cls_C = LMM__NEW(double, (size_t)nc * npair * rr)) || !(B->cls_L = LMM__NEW(double, (size_t)nc * pp)) ||
        !(B->cls_M = LMM__NEW(double, (size_t)nc * pp)) || !(B->cls_w = LMM__NEW(double, (size_t)nc * npair + 7)) ||
        !(B->cls_S = LMM__NEW(const double *, (size_t)nc * npair + 7)) || !(B->cls_cnt = LMM__ZNEW(int, nc)))
        return lmm__nomem(err);
    for (j = 0; j < B->l1; j++) B->cls_cnt[B->cls_of[j]]++;
    B->ncls = nc;
    B->cls_ready = 0;
    return LMM_OK;
}

/* S_c^ab from A21, its rows from `from` on (lower triangle): all of it (0)
   or only the y row (r - 1: the response changed; X changes go through
   lmm__classes_remap). Every level's list ends with the X and y rows, so the
   rows from `from` >= qr are the last r - from of each list. */
static void lmm__classes_fill(lmm__blocks *B, int from)
{
    int r = B->r, p1 = B->p1, npair = p1 * (p1 + 1) / 2, j, a, b, x, y, k;
    size_t rr = (size_t)r * r;
    if (from == 0) memset(B->cls_C, 0, (size_t)B->ncls * npair * rr * sizeof(double));
    else
        for (k = 0; k < B->ncls * npair; k++)
            for (y = 0; y < r; y++)
                for (x = y > from ? y : from; x < r; x++) B->cls_C[k * rr + (size_t)y * r + x] = 0.0;
    for (j = 0; from && j < B->l1; j++) {        /* the last rows only: by row x of the tail, each cell still one term a level */
        int nj = (int)(B->cp[j + 1] - B->cp[j]), tail = nj - (r - from);
        const int *rows = B->ri + B->cp[j];
        const double *V = B->A21 + B->cp[j] * p1;
        double *C = B->cls_C + (size_t)B->cls_of[j] * npair * rr;
        for (a = 0, k = 0; a < p1; a++)
            for (b = a; b < p1; b++, k++) {
                const double *va = V + (size_t)a * nj, *vb = V + (size_t)b * nj;
                double *S = C + (size_t)k * rr;
                for (x = tail; x < nj; x++) {
                    double *cell = S + rows[x], ax = va[x], bx = vb[x];
                    if (a == b) { for (y = 0; y <= x; y++) if (va[y] != 0.0) cell[(size_t)rows[y] * r] += ax * va[y]; }
                    else for (y = 0; y <= x; y++) cell[(size_t)rows[y] * r] += ax * vb[y] + bx * va[y];
                }
            }
    }
    for (j = 0; !from && j < B->l1; j++) {     /* everything: by column y */
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        const int *rows = B->ri + B->cp[j];
        const double *V = B->A21 + B->cp[j] * p1;
        double *C = B->cls_C + (size_t)B->cls_of[j] * npair * rr;
        for (a = 0, k = 0; a < p1; a++)
            for (b = a; b < p1; b++, k++) {   /* pair (a, b), a <= b, is block k */
                const double *va = V + (size_t)a * nj, *vb = V + (size_t)b * nj;
                double *S = C + (size_t)k * rr;
                for (y = 0; y < nj; y++) {   /* rows ascend: rows[x] >= rows[y] for x >= y */
                    double *col = S + (size_t)rows[y] * r, by = vb[y], ay = va[y];
                    if (a == b) { if (ay != 0.0) for (x = y; x < nj; x++) col[rows[x]] += va[x] * ay; }
                    else for (x = y; x < nj; x++) col[rows[x]] += va[x] * by + vb[x] * ay;
                }
            }
    }
    B->cls_ready = 1;
}

/* The class sums' X rows after X changed column by column (lmm__blocks_update_X):
   X column a equal to old column map[a] >= 0 takes that column's sums (the same
   products summed in the same level order as lmm__classes_fill, so the same bits),
   the others are summed from A21 as lmm__classes_fill sums them; the y row is the
   response's. No pass over the levels when every column is an old one. map[p + a]:
   the end of the run of consecutive old columns (or of new ones) starting at a.
   tmp: p * p doubles (p = the number of X columns). */
static void lmm__classes_remap(lmm__blocks *B, const int *map, double *tmp)
{
    int r = B->r, qr = B->qr, p = r - qr - 1, p1 = B->p1, npair = p1 * (p1 + 1) / 2, j, a, b, x, y, k, fresh = 0, a0, s0;
    size_t rr = (size_t)r * r;
    for (a = 0; a < p; a++) fresh += map[a] < 0;
    for (a0 = 0; a0 < p && map[a0] == a0; a0++) {}   /* columns before a0 stay where they are: untouched (a0 starts a run) */
    for (a = a0, s0 = p; a < p; a++) if (map[a] >= 0 && map[a] < s0) s0 = map[a];   /* the old columns read from s0 on */
    for (k = 0; a0 < p && k < B->ncls * npair; k++) {
        double *S = B->cls_C + k * rr;
        for (y = 0; y < qr; y++) {               /* X rows of the random-effects columns, by runs of consecutive old columns from a0 on */
            double *col = S + (size_t)y * r + qr;
            memcpy(tmp + s0, col + s0, (size_t)(p - s0) * sizeof(double));
            for (a = a0; a < p; a = b) {
                b = map[p + a];
                if (map[a] < 0) for (x = a; x < b; x++) col[x] = 0.0;
                else memcpy(col + a, tmp + map[a], (size_t)(b - a) * sizeof(double));
            }
        }
        for (b = 0; b < p; b++) {                /* X x X, lower triangle: its old entries at and beyond a0 (old: tmp[lo * p + hi]) */
            int from = b < a0 ? a0 : b;
            memcpy(tmp + (size_t)b * p + from, S + (size_t)(qr + b) * r + qr + from, (size_t)(p - from) * sizeof(double));
        }
        for (b = 0; b < p; b++)
            for (a = b < a0 ? a0 : b; a < p; a++) {
                int oa = map[a], ob = map[b], lo = oa < ob ? oa : ob, hi = oa < ob ? ob : oa;
                S[(size_t)(qr + b) * r + qr + a] = oa < 0 || ob < 0 ? 0.0 : hi < a0 ? S[(size_t)(qr + lo) * r + qr + hi] : tmp[(size_t)lo * p + hi];
            }
    }
    for (j = 0; fresh && j < B->l1; j++) {       /* new columns: their entries against every row but y's */
        int nj = (int)(B->cp[j + 1] - B->cp[j]), x0 = nj - p - 1;
        const int *rows = B->ri + B->cp[j];
        const double *V = B->A21 + B->cp[j] * p1;
        double *C = B->cls_C + (size_t)B->cls_of[j] * npair * rr;
        for (a = 0; a < p; a++) {
            int t = x0 + a, rt = rows[t];
            if (map[a] >= 0) continue;
            for (x = 0; x < nj - 1; x++) {
                int lo = x < t ? x : t, hi = x < t ? t : x, e1, e2;
                double *cell = x < t ? C + (size_t)rows[x] * r + rt : C + (size_t)rt * r + rows[x];   /* (rows[lo], rows[hi]) */
                if (x >= x0 && x < t && map[x - x0] < 0) continue;   /* a pair of new columns: once, from the later */
                if (p1 == 1) { *cell += V[hi] * V[lo]; continue; }
                for (e1 = 0, k = 0; e1 < p1; e1++)
                    for (e2 = e1; e2 < p1; e2++, k++) {
                        const double *va = V + (size_t)e1 * nj, *vb = V + (size_t)e2 * nj;
                        if (e1 == e2) cell[(size_t)k * rr] += va[hi] * va[lo];
                        else cell[(size_t)k * rr] += va[hi] * vb[lo] + vb[hi] * va[lo];
                    }
            }
        }
    }
    B->cls_ready = 1;
}

/* ---- 3. sparse plan ----------------------------------------------------- */
/* Minimum-degree order, supernodes and assembly positions of the sparse factor of L22. */

/* Free the plan and the supernodal factor (the path falls back to dense or classes). */
static void lmm__sparse_free(lmm__blocks *B)
{
    LMM_FREE(B->sp_perm); LMM_FREE(B->sp_first); LMM_FREE(B->sp_rp); LMM_FREE(B->sp_rows);
    LMM_FREE(B->sp_off); LMM_FREE(B->sp_snof); LMM_FREE(B->sp_map); LMM_FREE(B->sp_rel); LMM_FREE(B->sp_val);
    LMM_FREE(B->sp_pr); LMM_FREE(B->sp_pn); LMM_FREE(B->sp_pcol); LMM_FREE(B->sp_z);
    LMM_FREE(B->sp_cls_a); LMM_FREE(B->sp_gcol); LMM_FREE(B->sp_gcls); LMM_FREE(B->sp_gstart);
    LMM_FREE(B->sp_erow); LMM_FREE(B->sp_eval); LMM_FREE(B->sp_ecnt); LMM_FREE(B->sp_tail);
    LMM_FREE(B->sp_acol); LMM_FREE(B->sp_arow); LMM_FREE(B->sp_aval);
    B->sp_cls_a = B->sp_eval = B->sp_tail = B->sp_aval = NULL; B->sp_gcol = B->sp_gcls = NULL; B->sp_gstart = B->sp_acol = NULL;
    B->sp_erow = B->sp_ecnt = B->sp_arow = NULL;
    B->sp_ncls = 0;
    B->sp_z = NULL;
    B->sp_perm = B->sp_first = B->sp_rp = B->sp_rows = B->sp_snof = B->sp_map = B->sp_rel = NULL;
    B->sp_pr = B->sp_pn = NULL;
    B->sp_off = B->sp_pcol = NULL; B->sp_val = NULL;
    B->sp_nsn = 0;
}

/* Entry of sp_val holding factor position (x, y), x >= y: a binary search in
   the rows of y's supernode. */
static size_t lmm__sparse_entry(const lmm__blocks *B, int x, int y)
{
    int s = B->sp_snof[y], lo = B->sp_rp[s], hi = B->sp_rp[s + 1] - 1, mr = hi - lo + 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (B->sp_rows[mid] < x) lo = mid + 1; else hi = mid;
    }
    return B->sp_off[s] + (size_t)(y - B->sp_first[s]) * mr + (size_t)(lo - B->sp_rp[s]);
}

/* sp_map <- each row's position in supernode t's row list. */
static void lmm__sparse_map(lmm__blocks *B, int t)
{
    const int *rt = B->sp_rows + B->sp_rp[t];
    int i, mt = B->sp_rp[t + 1] - B->sp_rp[t];
    for (i = 0; i < mt; i++) B->sp_map[rt[i]] = i;
}

/* sp_aval's y row from A22's (the response changed): y is the last row of
   every supernode, as r - 1 is the last factor position. */
static void lmm__sparse_sync_y(lmm__blocks *B)
{
    int r = B->r, j;
    const double *yrow = B->A22 ? B->A22 + r - 1 : B->ycol;
    size_t step = B->A22 ? (size_t)r : 1;
    for (j = 0; j < r; j++) B->sp_aval[B->sp_acol[j + 1] - 1] = yrow[(size_t)B->sp_perm[j] * step];
}

/* Release the dense A22 (r^2 doubles) once sp_aval holds it: every nonzero of
   A22 lies on the factor's pattern (two rest effects meet only in an
   observation, and its first-term level's clique joins them; the X and y rows
   are dense). Only the y row stays, in ycol, for lmm_model_set_response. */
static void lmm__sparse_release_a22(lmm__blocks *B)
{
    int r = B->r;
    if (!B->sp_aval || !B->A22) return;
    if (!B->ycol && !(B->ycol = LMM__NEW(double, r))) return;   /* not fatal: A22 is kept */
    memcpy(B->ycol, B->A22 + (size_t)(r - 1) * r, (size_t)r * sizeof(double));
    LMM_FREE(B->A22);
    B->A22 = NULL;
}

/* A22 back from sp_aval and ycol, before the plan is dropped (path change). */
static int lmm__sparse_restore_a22(lmm__blocks *B)
{
    int r = B->r, s, c, i;
    size_t e;
    if (B->A22) return 0;
    if (!(B->A22 = LMM__ZNEW(double, (size_t)r * r))) return 1;
    for (s = 0; s < B->sp_nsn; s++) {
        int f = B->sp_first[s], nc = B->sp_first[s + 1] - f;
        const int *rows = B->sp_rows + B->sp_rp[s];
        for (c = 0; c < nc; c++)
            for (e = B->sp_acol[f + c]; e < B->sp_acol[f + c + 1]; e++) {
                int oc = B->sp_perm[f + c], orow = B->sp_perm[rows[B->sp_arow[e]]];
                B->A22[(size_t)oc * r + orow] = B->A22[(size_t)orow * r + oc] = B->sp_aval[e];
            }
    }
    for (i = 0; i < r; i++) B->A22[(size_t)i * r + r - 1] = B->A22[(size_t)(r - 1) * r + i] = B->ycol[i];
    return 0;
}

/* The merged class products (lmm__blocks, sp_ncls) from A21's random-effect
   rows, for p1 = 1; none (sp_ncls = 0) when they would not save a quarter of
   the pairs or memory runs out. iperm: factor position of each rest row.
   Columns in factor order, each column's levels sorted by
   class, each class's products summed in a scratch column; pass 0 also checks
   whether all are counts (sp_ecnt: whole, 0..65535), exact in 16 bits. */
static void lmm__sparse_plan_classes(lmm__blocks *B, const int *iperm, size_t npair)
{
    int r = B->r, qr = B->qr, nt = r - qr, l1 = B->l1, ncls = 0, j, c, fy, s, ng, pass, counts = 1;
    int *cls = LMM__NEW(int, l1), *cnt = NULL, *mark = LMM__NEW(int, r), *touched = LMM__NEW(int, r), *order = NULL;
    double *a = LMM__NEW(double, (size_t)l1 + 1), *acc = LMM__NEW(double, r);
    size_t ne, e;
    if (!cls || !mark || !touched || !a || !acc) goto fail;
    for (j = 0; j < l1; j++) a[j] = B->A11[j];
    qsort(a, (size_t)l1, sizeof *a, lmm__cmp_double);
    for (j = 0; j < l1; j++) if (j == 0 || a[j] != a[ncls - 1]) a[ncls++] = a[j];
    if (ncls > l1 / 4) goto fail;                /* levels of their own: the pairs would not merge */
    for (j = 0; j < l1; j++) {                   /* each level's class: a binary search */
        int lo = 0, hi = ncls - 1;
        while (lo < hi) { int mid = (lo + hi) / 2; if (a[mid] < B->A11[j]) lo = mid + 1; else hi = mid; }
        cls[j] = lo;
    }
    cnt = LMM__NEW(int, ncls + 1);
    order = LMM__NEW(int, B->tp[r] + 1);
    B->sp_gcol = LMM__NEW(int, r + 1);
    B->sp_cls_a = LMM__NEW(double, 2 * (size_t)ncls);
    B->sp_tail = LMM__NEW(double, (size_t)qr * nt + (size_t)nt * nt);
    if (!cnt || !order || !B->sp_gcol || !B->sp_cls_a || !B->sp_tail) goto fail;
    memcpy(B->sp_cls_a, a, (size_t)ncls * sizeof *a);
    for (c = 0; c < r; c++) mark[c] = -1;
    /* pass 0 counts the groups and entries, pass 1 stores them in arrays of
       that size (growing them would leave copies behind in the heap) */
    for (pass = 0; pass < 2; pass++) {
        for (fy = 0, s = -1, ng = 0, ne = 0; fy < qr; fy++) {   /* the X and y columns have no entries */
            int oc = B->sp_perm[fy], k, nd;
            size_t e0 = B->tp[oc], e1 = B->tp[oc + 1];
            if (pass && B->sp_snof[fy] != s) lmm__sparse_map(B, s = B->sp_snof[fy]);
            B->sp_gcol[fy] = ng;
            for (c = 0; c <= ncls; c++) cnt[c] = 0;   /* the column's levels by class (counting sort) */
            for (e = e0; e < e1; e++) cnt[cls[B->tl[e]] + 1]++;
            for (c = 0; c < ncls; c++) cnt[c + 1] += cnt[c];
            for (e = e0; e < e1; e++) order[cnt[cls[B->tl[e]]]++] = (int)e;
            for (k = 0; k < (int)(e1 - e0);) {
                int cl = cls[B->tl[order[k]]];
                nd = 0;
                for (; k < (int)(e1 - e0) && cls[B->tl[order[k]]] == cl; k++) {
                    size_t ee = (size_t)order[k];
                    int lv = B->tl[ee], nj = (int)(B->cp[lv + 1] - B->cp[lv]), x;
                    const int *rows = B->ri + B->cp[lv];
                    const double *v = B->A21 + B->cp[lv];
                    double vy = v[B->tt[ee]];
                    for (x = 0; x < nj - nt; x++) {
                        int fx = iperm[rows[x]];
                        if (fx < fy) continue;
                        if (mark[fx] != cl) { mark[fx] = cl; acc[fx] = 0.0; touched[nd++] = fx; }
                        acc[fx] += v[x] * vy;
                    }
                }
                if (pass) {
                    B->sp_gcls[ng] = cl;
                    B->sp_gstart[ng] = ne;
                    for (j = 0; j < nd; j++) {
                        B->sp_erow[ne + (size_t)j] = (unsigned short)B->sp_map[touched[j]];
                        if (counts) B->sp_ecnt[ne + (size_t)j] = (unsigned short)acc[touched[j]];
                        else B->sp_eval[ne + (size_t)j] = acc[touched[j]];
                    }
                } else
                    for (j = 0; j < nd && counts; j++) {
                        double v = acc[touched[j]];
                        counts = v >= 0.0 && v <= 65535.0 && v == floor(v);
                    }
                for (j = 0; j < nd; j++) mark[touched[j]] = -1;
                ng++;
                ne += (size_t)nd;
            }
        }
        if (pass == 0) {
            if (ne > 3 * npair / 4) goto fail;   /* merging saves too little */
            B->sp_gcls = LMM__NEW(int, ng + 1);
            B->sp_gstart = LMM__NEW(size_t, (size_t)ng + 1);
            B->sp_erow = LMM__NEW(unsigned short, ne + 1);
            if (counts) B->sp_ecnt = LMM__NEW(unsigned short, ne + 1);
            else B->sp_eval = LMM__NEW(double, ne + 1);
            if (!B->sp_gcls || !B->sp_gstart || !B->sp_erow || (!B->sp_eval && !B->sp_ecnt)) goto fail;
        }
    }
    for (fy = qr; fy <= r; fy++) B->sp_gcol[fy] = ng;
    B->sp_gstart[ng] = ne;
    B->sp_ncls = ncls;
    LMM_FREE(cls); LMM_FREE(cnt); LMM_FREE(mark); LMM_FREE(touched); LMM_FREE(order); LMM_FREE(a); LMM_FREE(acc);
    return;
fail:
    LMM_FREE(B->sp_cls_a); LMM_FREE(B->sp_gcol); LMM_FREE(B->sp_gcls); LMM_FREE(B->sp_gstart);
    LMM_FREE(B->sp_erow); LMM_FREE(B->sp_eval); LMM_FREE(B->sp_ecnt); LMM_FREE(B->sp_tail);
    B->sp_cls_a = B->sp_eval = B->sp_tail = NULL; B->sp_gcol = B->sp_gcls = NULL; B->sp_gstart = NULL;
    B->sp_erow = B->sp_ecnt = NULL;
    B->sp_ncls = 0;
    LMM_FREE(cls); LMM_FREE(cnt); LMM_FREE(mark); LMM_FREE(touched); LMM_FREE(order); LMM_FREE(a); LMM_FREE(acc);
}

/* A22's entries in factor order (lmm__blocks, sp_acol): the nonzeros of each
   factor column on its supernode's rows (every one lies there), and the X and
   y rows. Nonzero when out of memory. */
static int lmm__sparse_plan_a22_entries(lmm__blocks *B)
{
    int r = B->r, qr = B->qr, s, c, i, pass;
    size_t ne = 0;
    if (!(B->sp_acol = LMM__NEW(size_t, (size_t)r + 1))) return 1;
    for (pass = 0; pass < 2; pass++) {           /* count, then store */
        for (s = 0, ne = 0; s < B->sp_nsn; s++) {
            int f = B->sp_first[s], nc = B->sp_first[s + 1] - f, mr = B->sp_rp[s + 1] - B->sp_rp[s];
            const int *rows = B->sp_rows + B->sp_rp[s];
            for (c = 0; c < nc; c++) {
                const double *src = B->A22 + (size_t)B->sp_perm[f + c] * r;
                B->sp_acol[f + c] = ne;
                for (i = c; i < mr; i++) {
                    double v = src[B->sp_perm[rows[i]]];
                    if (v != 0.0 || rows[i] >= qr) {
                        if (pass) {
                            B->sp_arow[ne] = (unsigned short)i;
                            B->sp_aval[ne] = v;
                        }
                        ne++;
                    }
                }
            }
        }
        B->sp_acol[r] = ne;
        if (pass == 0 && (!(B->sp_arow = LMM__NEW(unsigned short, ne + 1)) || !(B->sp_aval = LMM__NEW(double, ne + 1)))) {
            LMM_FREE(B->sp_acol); LMM_FREE(B->sp_arow);
            B->sp_acol = NULL; B->sp_arow = NULL;
            return 1;
        }
    }
    return 0;
}

/* The sparse path's direct assembly: A22's entries in factor order,
   and for every factor column the merged class products (p1 = 1, when they
   pay) or the pairs of first-term levels that update it (sp_pr). Off (S
   built dense, then gathered) when the pairs would outgrow L22 itself or a
   position does not fit a short. Nonzero when out of memory with A22 gone. */
static int lmm__sparse_plan_assembly(lmm__blocks *B, const int *iperm)
{
    int r = B->r, s, j, x, fy;
    size_t npair = 0, k, e;
    for (j = 0; j < B->l1; j++) {
        size_t nj = B->cp[j + 1] - B->cp[j];
        npair += nj * (nj + 1) / 2;
    }
    if (npair > 2 * (size_t)r * r || r > 65535 || B->sp_off[B->sp_nsn] > (size_t)INT_MAX) return 0;
    if (lmm__sparse_plan_a22_entries(B) != 0) return 0;   /* not fatal: S gathered from A22, still in place */
    if (B->p1 == 1) {
        lmm__sparse_release_a22(B);              /* before the classes are built: a lower peak */
        lmm__sparse_plan_classes(B, iperm, npair);
        if (B->sp_ncls) return 0;
    }
    B->sp_pr = LMM__NEW(unsigned short, 2 * npair + 2);
    B->sp_pn = LMM__NEW(unsigned short, B->tp[r] + 1);
    B->sp_pcol = LMM__NEW(size_t, (size_t)r + 1);
    if (!B->sp_pr || !B->sp_pn || !B->sp_pcol) {   /* not fatal: the gathering path needs none of it, only A22 */
        LMM_FREE(B->sp_pr); LMM_FREE(B->sp_pn); LMM_FREE(B->sp_pcol);
        B->sp_pr = B->sp_pn = NULL; B->sp_pcol = NULL;
        if (lmm__sparse_restore_a22(B) != 0) return 1;
        LMM_FREE(B->sp_acol); LMM_FREE(B->sp_arow); LMM_FREE(B->sp_aval);
        B->sp_aval = NULL; B->sp_acol = NULL; B->sp_arow = NULL;
        return 0;
    }
    lmm__sparse_release_a22(B);                  /* before the pairs are written: a lower peak */
    for (fy = 0, k = 0, s = -1; fy < r; fy++) {  /* columns in factor order; sp_map follows the supernode */
        int oc = B->sp_perm[fy];
        if (B->sp_snof[fy] != s) lmm__sparse_map(B, s = B->sp_snof[fy]);
        B->sp_pcol[fy] = k;
        for (e = B->tp[oc]; e < B->tp[oc + 1]; e++) {
            const int *rows = B->ri + B->cp[B->tl[e]];
            int nj = (int)(B->cp[B->tl[e] + 1] - B->cp[B->tl[e]]);
            size_t k0 = k;
            for (x = 0; x < nj; x++)
                if (iperm[rows[x]] >= fy) {
                    B->sp_pr[2 * k] = (unsigned short)B->sp_map[iperm[rows[x]]];
                    B->sp_pr[2 * k + 1] = (unsigned short)x;
                    k++;
                }
            B->sp_pn[e] = (unsigned short)(k - k0);
        }
    }
    B->sp_pcol[r] = k;
    return 0;
}

/* Plan the sparse path (see lmm__blocks): order the qr random effects of the
   rest block by minimum degree on the explicit elimination graph (bit sets;
   two effects are adjacent when a first-term level meets both, since then
   L21 L21' couples them), read each column's pattern off the elimination,
   and group columns into supernodes (chains in the elimination tree, allowed a
   few explicit zeros so the dense kernels get wide blocks). force: plan even
   when the order saves little. Sets B->sp_nsn > 0 when the path is usable;
   expects no plan in place (lmm__choose_path frees it). */
static lmm_status lmm__sparse_plan(lmm__blocks *B, int force, lmm_error *err)
{
    int qr = B->qr, r = B->r, nt = r - qr, nw = (qr + 63) / 64, j, k, a, b, s, nsn = 0;
    unsigned long long *adj = NULL, *mask = NULL;
    int *deg = NULL, *done = NULL, *iperm = NULL, *cnt = NULL, *parent = NULL, *pat = NULL;
    size_t *pp = NULL, npat = 0, cap = 0, total = 0;
    double sparse_work = 0, dense_work = 0;
    lmm_status st = LMM_OK;
    if (!B->diag_rest || qr < 1) return LMM_OK;
    if (!force && qr < 128) return LMM_OK;   /* small blocks: the dense factor is as quick */
    adj = LMM__ZNEW(unsigned long long, (size_t)qr * nw);
    deg = LMM__NEW(int, qr); done = LMM__ZNEW(int, qr); iperm = LMM__NEW(int, r);
    cnt = LMM__NEW(int, r); parent = LMM__NEW(int, r); pp = LMM__NEW(size_t, (size_t)qr + 1);
    B->sp_perm = LMM__NEW(int, r);
    cap = (size_t)qr + 64;
    pat = LMM__NEW(int, cap);
    mask = LMM__ZNEW(unsigned long long, nw);
    if (!adj || !deg || !done || !iperm || !cnt || !parent || !pp || !B->sp_perm || !pat || !mask) goto nomem;
    for (j = 0; j < B->l1; j++) {               /* each level's random-effect rows form a clique */
        const int *rows = B->ri + B->cp[j];
        int nre = (int)(B->cp[j + 1] - B->cp[j]) - nt, w0, w1;
        if (nre < 2) continue;
        w0 = rows[0] / 64; w1 = rows[nre - 1] / 64;   /* rows ascending */
        if (w1 - w0 < nre) {                     /* the level's rows as one mask, ORed word by word; self bits cleared below */
            for (a = 0; a < nre; a++) mask[rows[a] / 64] |= 1ULL << (rows[a] % 64);
            for (a = 0; a < nre; a++) {
                unsigned long long *ar = adj + (size_t)rows[a] * nw;
                for (b = w0; b <= w1; b++) ar[b] |= mask[b];
            }
            for (b = w0; b <= w1; b++) mask[b] = 0;
        } else
            for (a = 0; a < nre; a++)
                for (b = 0; b < nre; b++)
                    if (a != b) adj[(size_t)rows[a] * nw + rows[b] / 64] |= 1ULL << (rows[b] % 64);
    }
    for (a = 0; a < qr; a++) adj[(size_t)a * nw + a / 64] &= ~(1ULL << (a % 64));
    for (a = 0; a < qr; a++) {
        int d = 0;
        for (b = 0; b < nw; b++) d += lmm__popcount64(adj[(size_t)a * nw + b]);
        deg[a] = d;
    }
    for (k = 0; k < qr; k++) {
        int v = -1, w;
        const unsigned long long *av;
        for (a = 0; a < qr; a++) if (!done[a] && (v < 0 || deg[a] < deg[v])) v = a;
        B->sp_perm[k] = v; iperm[v] = k; done[v] = 1;
        av = adj + (size_t)v * nw;
        pp[k] = npat;
        if (npat + (size_t)deg[v] > cap) {       /* the column's pattern, original rows for now */
            int *grown;
            cap = 2 * cap + (size_t)deg[v] + 1024;
            if (!(grown = (int *)LMM_REALLOC(pat, cap * sizeof(int)))) goto nomem;
            pat = grown;
        }
        for (w = 0; w < nw; w++) {
            unsigned long long bits = av[w];
            while (bits) {
                int u = w * 64 + lmm__popcount64((bits & (~bits + 1)) - 1);
                unsigned long long *au = adj + (size_t)u * nw;
                bits &= bits - 1;
                pat[npat++] = u;
                for (b = 0; b < nw; b++) au[b] |= av[b];          /* the clique of v's neighbours */
                au[u / 64] &= ~(1ULL << (u % 64));
                au[v / 64] &= ~(1ULL << (v % 64));
            }
        }
        for (a = (int)pp[k]; a < (int)npat; a++) {
            int u = pat[a], d = 0;
            for (b = 0; b < nw; b++) d += lmm__popcount64(adj[(size_t)u * nw + b]);
            deg[u] = d;
        }
    }
    pp[qr] = npat;
    for (k = qr; k < r; k++) { B->sp_perm[k] = k; iperm[k] = k; }
    /* counts (with the diagonal and the X, y rows) and elimination-tree
       parents: a column's parent is its first row below the diagonal */
    for (k = 0; k < qr; k++) {
        int nk = (int)(pp[k + 1] - pp[k]), first = qr;
        for (a = (int)pp[k]; a < (int)pp[k + 1]; a++) if (iperm[pat[a]] < first) first = iperm[pat[a]];
        cnt[k] = 1 + nk + nt;
        parent[k] = first;
    }
    /* relabel by a postorder of the elimination tree, each node's widest child
       last: subtrees become contiguous and the widest child sits right before
       its parent, where the supernode rule below can merge them */
    {
        int *head = LMM__NEW(int, qr + 1), *next = LMM__NEW(int, qr), *stack = LMM__NEW(int, qr + 1);
        int *post = LMM__NEW(int, qr), *newpos = LMM__NEW(int, qr), *oldperm = LMM__NEW(int, qr), *pat2, top = 0, np = 0;
        size_t *pp2 = LMM__NEW(size_t, (size_t)qr + 1);
        pat2 = LMM__NEW(int, npat + 1);
        if (!head || !next || !stack || !post || !newpos || !oldperm || !pp2 || !pat2) {
            LMM_FREE(head); LMM_FREE(next); LMM_FREE(stack); LMM_FREE(post); LMM_FREE(newpos); LMM_FREE(oldperm);
            LMM_FREE(pp2); LMM_FREE(pat2);
            goto nomem;
        }
        for (k = 0; k <= qr; k++) head[k] = -1;
        for (k = qr - 1; k >= 0; k--) {          /* child lists by count, widest first (it is pushed last) */
            int *h = &head[parent[k]];
            while (*h >= 0 && cnt[*h] > cnt[k]) h = &next[*h];
            next[k] = *h; *h = k;
        }
        stack[top++] = qr;                       /* depth first from the virtual root (the X, y rows) */
        while (top > 0) {
            int v = stack[top - 1];
            if (head[v] >= 0) {
                int c = head[v];
                head[v] = next[c];
                stack[top++] = c;
            } else {
                top--;
                if (v < qr) post[np++] = v;
            }
        }
        for (k = 0; k < qr; k++) { newpos[post[k]] = k; oldperm[k] = B->sp_perm[k]; }
        for (k = 0, npat = 0; k < qr; k++) {
            int o = post[k], nk = (int)(pp[o + 1] - pp[o]);
            B->sp_perm[k] = oldperm[o];
            pp2[k] = npat;
            for (a = 0; a < nk; a++) {             /* ascending factor positions: a bit set read in order */
                int u = newpos[iperm[pat[pp[o] + a]]];
                mask[u / 64] |= 1ULL << (u % 64);
            }
            for (b = 0; b < nw; b++)
                for (; mask[b]; mask[b] &= mask[b] - 1)
                    pat2[npat++] = b * 64 + lmm__popcount64((mask[b] & (~mask[b] + 1)) - 1);
            cnt[k] = 1 + nk + nt;
            parent[k] = nk ? pat2[pp2[k]] : qr;
        }
        pp2[qr] = npat;
        for (k = 0; k < qr; k++) iperm[B->sp_perm[k]] = k;
        LMM_FREE(pat); LMM_FREE(pp);
        pat = pat2; pp = pp2;
        LMM_FREE(head); LMM_FREE(next); LMM_FREE(stack); LMM_FREE(post); LMM_FREE(newpos); LMM_FREE(oldperm);
    }
    for (k = qr; k < r; k++) { cnt[k] = r - k; parent[k] = k + 1; }
    for (k = 0; k < r; k++) { sparse_work += (double)cnt[k] * cnt[k]; dense_work += (double)(r - k) * (r - k); }
    if (!force && sparse_work > 0.5 * dense_work) goto done;
    /* supernodes: chains k -> k+1 in the elimination tree, explicit zeros at most
       a quarter of the block (half while it is narrow): a scattered update costs
       as much as dozens of flops in the dense kernels */
    B->sp_first = LMM__NEW(int, r + 1);
    B->sp_snof = LMM__NEW(int, r);
    B->sp_map = LMM__NEW(int, r);
    B->sp_rel = LMM__NEW(int, r);
    if (!B->sp_first || !B->sp_snof || !B->sp_map || !B->sp_rel) goto nomem;
    for (k = 0; k < r;) {
        int f = k;
        double nz = cnt[k];
        while (k + 1 < r && parent[k] == k + 1) {
            int c2 = k + 2 - f;
            double m2 = (double)c2 + cnt[k + 1] - 1, stored = c2 * m2 - 0.5 * c2 * (c2 - 1.0);
            double zeros = stored - (nz + cnt[k + 1]);
            if (zeros > (c2 <= 32 ? stored / 2 : stored / 4)) break;
            nz += cnt[++k];
        }
        B->sp_first[nsn++] = f;
        k++;
    }
    B->sp_first[nsn] = r;
    B->sp_rp = LMM__NEW(int, nsn + 1);
    B->sp_off = LMM__NEW(size_t, (size_t)nsn + 1);
    if (!B->sp_rp || !B->sp_off) goto nomem;
    B->sp_rp[0] = 0; B->sp_off[0] = 0;
    for (s = 0; s < nsn; s++) {                 /* rows: its own columns, then those below its last */
        int f = B->sp_first[s], l = B->sp_first[s + 1] - 1, m = l - f + cnt[l];
        for (k = f; k <= l; k++) B->sp_snof[k] = s;
        B->sp_rp[s + 1] = B->sp_rp[s] + m;
        B->sp_off[s + 1] = B->sp_off[s] + (size_t)m * (l - f + 1);
    }
    total = B->sp_off[nsn];
    B->sp_rows = LMM__NEW(int, B->sp_rp[nsn]);
    B->sp_val = LMM__ZNEW(double, total);
    if (!B->sp_rows || !B->sp_val) goto nomem;
    for (s = 0; s < nsn; s++) {
        int f = B->sp_first[s], l = B->sp_first[s + 1] - 1, *rows = B->sp_rows + B->sp_rp[s], m = 0;
        for (k = f; k <= l; k++) rows[m++] = k;
        if (l < qr) {
            for (a = (int)pp[l]; a < (int)pp[l + 1]; a++) rows[m++] = pat[a];
            for (k = qr; k < r; k++) rows[m++] = k;
        } else {
            for (k = l + 1; k < r; k++) rows[m++] = k;
        }
    }
    B->sp_nsn = nsn;
    if (lmm__sparse_plan_assembly(B, iperm) != 0) goto nomem;
done:
    LMM_FREE(adj); LMM_FREE(mask); LMM_FREE(deg); LMM_FREE(done); LMM_FREE(iperm); LMM_FREE(cnt); LMM_FREE(parent);
    LMM_FREE(pp); LMM_FREE(pat);
    if (!B->sp_nsn) lmm__sparse_free(B);
    return st;
nomem:
    st = lmm__nomem(err);
    goto done;
}

/* ---- 4. path choice, response and the model's lifetime ------------------ */
/* The objective's path, the response's cross-products; setting up and freeing blocks and model. */

/* The objective's factor: the model's request (lmm_model_set_factor), else
   the sparse path when its order pays (the class path would still factor L22
   densely), else classes when they pay, else dense. */
static lmm_status lmm__choose_path(lmm_model *m, lmm_error *err)
{
    lmm__blocks *B = m->blk_;
    lmm_status st;
    if (lmm__sparse_restore_a22(B) != 0) return lmm__nomem(err);
    B->path = LMM__PATH_DENSE;
    lmm__sparse_free(B);
    if (m->factor_kind_ == LMM_FACTOR_DENSE) return LMM_OK;
    if ((st = lmm__sparse_plan(B, m->factor_kind_ == LMM_FACTOR_SPARSE, err)) != LMM_OK) return st;
    if (B->sp_nsn) {
        B->path = LMM__PATH_SPARSE;
        lmm__sparse_release_a22(B);
    }
    else if (B->ncls) {
        B->path = LMM__PATH_CLASSES;
        if (!B->cls_ready) lmm__classes_fill(B, 0);
    }
    return LMM_OK;
}

/* The blocks of a model whose X and terms are set: the cross-products, the
   class and sparse plans, the objective's path. */
static lmm_status lmm__blocks_setup(lmm_model *m, lmm_error *err)
{
    lmm_status st;
    if ((st = lmm__blocks_build(m, err)) != LMM_OK) return st;
    if ((st = lmm__classes_plan(m->blk_, err)) != LMM_OK) return st;
    return lmm__choose_path(m, err);
}

/* The response's cross-products; X'y comes from B->xty while B->xty_ok (lmm_model_set_X,
   y unchanged, after lmm__blocks_update_X kept it). */
static lmm_status lmm__set_response(lmm_model *m, const double *y, lmm_error *err)
{
    lmm__blocks *B;
    int n, i, k, c, j, ylast;
    double yy = 0, *yrow;
    size_t ystep;
    if (!m || !y) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_set_response: NULL argument");
    B = m->blk_; n = m->nobs; ylast = B->r - 1;
    yrow = B->A22 ? B->A22 + ylast : B->ycol;    /* A22's y row, or its copy while A22 is released */
    ystep = B->A22 ? (size_t)B->r : 1;
    for (i = 0; i < n; i++)
        if (!isfinite(y[i])) return lmm__fail(err, LMM_ERR_DATA, "response is not finite at observation %d", i + 1);
    if (m->y != y) memcpy(m->y, y, (size_t)n * sizeof(double));
    /* Work with y - X beta0 (beta0 = OLS fit): the PLS solution only shifts beta by
       beta0, and y'y no longer dwarfs the penalised RSS (pulp: 72000 against 1.7).
       With weights and offset the fitted response is sqrt(w) (y - offset) on sqrt(w) X. */
    {
        int p = m->X->ncol;
        const double *yt = m->y;
        if (m->offset || m->sqrtw_) {   /* y - offset, and w (y - offset) for X'W y */
            for (i = 0; i < n; i++) B->yshift[i] = m->offset ? m->y[i] - m->offset[i] : m->y[i];
            if (m->sqrtw_) for (i = 0; i < n; i++) B->work_y[i] = B->yshift[i] * m->weights[i];
            yt = m->sqrtw_ ? B->work_y : B->yshift;
        }
        if (!B->xty_ok)
            for (c = 0; c < p; c++) B->xty[c] = B->shift_ok ? lmm__dot(n, m->X->v + (size_t)c * n, yt) : 0.0;
        B->xty_ok = B->shift_ok;
        for (c = 0; c < p; c++) B->beta0[c] = B->shift_ok ? B->xty[c] : 0.0;
        if (B->shift_ok) {
            lmm_trsv_lower(p, B->xtx_chol, p, B->beta0, 0);
            lmm_trsv_lower(p, B->xtx_chol, p, B->beta0, 1);
        }
        if (!m->offset && !m->sqrtw_) memcpy(B->yshift, m->y, (size_t)n * sizeof(double));
        for (c = 0; c < p; c++) if (B->beta0[c] != 0.0) lmm__axpy_sub(n, B->beta0[c], m->X->v + (size_t)c * n, B->yshift);
        if (m->sqrtw_) for (i = 0; i < n; i++) B->yshift[i] *= m->sqrtw_[i];
    }
    /* the y row is the last of every level's list; accumulate Z1'y into the work vector first */
    for (c = 0; c < B->q1; c++) B->work[c] = 0.0;
    for (c = 0; c < B->r; c++) yrow[c * ystep] = 0.0;
    for (i = 0; i < n; i++) {
        const lmm_reterm *t1 = &m->terms[0];
        double yi = m->sqrtw_ ? B->yshift[i] * m->sqrtw_[i] : B->yshift[i];   /* (sqrt(w) z)'(sqrt(w) r) */
        for (c = 0; c < B->p1; c++) B->work[t1->codes[i] * B->p1 + c] += yi * t1->z[(size_t)c * n + i];
        for (k = 1; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            for (c = 0; c < t->ncol; c++)
                yrow[(size_t)(t->u_offset - B->q1 + t->codes[i] * t->ncol + c) * ystep] += yi * t->z[(size_t)c * n + i];
        }
        yy += B->yshift[i] * B->yshift[i];
    }
    {   /* X'(sqrt(w) r), column by column */
        const double *yw = B->yshift;
        if (m->sqrtw_) {
            for (i = 0; i < n; i++) B->work_y[i] = B->yshift[i] * m->sqrtw_[i];
            yw = B->work_y;
        }
        for (c = 0; c < m->X->ncol; c++) yrow[(size_t)(B->qr + c) * ystep] = lmm__dot(n, m->X->v + (size_t)c * n, yw);
    }
    for (j = 0; j < B->l1; j++) {
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        for (c = 0; c < B->p1; c++) B->A21[B->cp[j] * B->p1 + (size_t)c * nj + nj - 1] = B->work[j * B->p1 + c];
    }
    if (B->A22) for (c = 0; c < ylast; c++) B->A22[(size_t)ylast * B->r + c] = B->A22[(size_t)c * B->r + ylast];
    yrow[(size_t)ylast * ystep] = yy;
    {   /* residuals of the OLS shift at rounding level: every criterion value would be noise */
        double y2 = 0;
        if (m->offset || m->sqrtw_)
            for (i = 0; i < n; i++) { double v = (m->offset ? m->y[i] - m->offset[i] : m->y[i]) * (m->sqrtw_ ? m->sqrtw_[i] : 1.0); y2 += v * v; }
        else
            for (i = 0; i < n; i++) y2 += m->y[i] * m->y[i];
        B->y_exact = B->shift_ok && yy <= 1e-26 * y2;
    }
    if (B->path == LMM__PATH_CLASSES) lmm__classes_fill(B, B->cls_ready ? B->r - 1 : 0);
    else B->cls_ready = 0;                       /* filled in full if the class path is chosen again */
    if (B->sp_aval) lmm__sparse_sync_y(B);
    return LMM_OK;
}

LMM_API lmm_status lmm_model_set_response(lmm_model *m, const double *y, lmm_error *err)
{
    if (!m || !m->blk_) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_set_response: NULL argument");
    m->blk_->xty_ok = 0;                         /* a new y: X'y anew */
    return lmm__set_response(m, y, err);
}

/* Free the blocks, plans and factor of m (kept: the model's own fields). */
static void lmm__blocks_free(lmm_model *m)
{
    lmm__blocks *B = m->blk_;
    if (!B) return;
    LMM_FREE(B->A11); LMM_FREE(B->A21); LMM_FREE(B->A22); LMM_FREE(B->ycol);
    LMM_FREE(B->L11); LMM_FREE(B->L21); LMM_FREE(B->L22);
    LMM_FREE(B->cp); LMM_FREE(B->ri); LMM_FREE(B->rowterm); LMM_FREE(B->pack);
    LMM_FREE(B->tp); LMM_FREE(B->tl); LMM_FREE(B->tt); LMM_FREE(B->rowscale);
    LMM_FREE(B->T); LMM_FREE(B->T_offset); LMM_FREE(B->work);
    LMM_FREE(B->xtx_chol); LMM_FREE(B->beta0); LMM_FREE(B->xty); LMM_FREE(B->yshift); LMM_FREE(B->work_y);
    LMM_FREE(B->cls_of); LMM_FREE(B->cls_d); LMM_FREE(B->cls_C); LMM_FREE(B->cls_L); LMM_FREE(B->cls_M);
    LMM_FREE(B->cls_w); LMM_FREE(B->cls_S); LMM_FREE(B->cls_cnt);
    LMM_FREE(B->pr_start); LMM_FREE(B->pr_z1); LMM_FREE(B->pr_zr); LMM_FREE(B->pr_row);
    LMM_FREE(B->pr_b); LMM_FREE(B->pr_w); LMM_FREE(B->pr_g); LMM_FREE(B->pr_h);
    LMM_FREE(B->pr_perm); LMM_FREE(B->pr_bpos); LMM_FREE(B->pr_bstart); LMM_FREE(B->pr_ent);
    LMM_FREE(B->pr_xpos); LMM_FREE(B->pr_xstart); LMM_FREE(B->pr_xent); LMM_FREE(B->pr_pack);
    lmm__sparse_free(B);
    LMM_FREE(B);
    m->blk_ = NULL;
}

/* Free one term's names, levels, codes and Z columns. */
static void lmm__reterm_free(lmm_reterm *t)
{
    int j;
    LMM_FREE(t->group); LMM_FREE(t->vc_name);
    if (t->levels) for (j = 0; j < t->nlevels; j++) LMM_FREE(t->levels[j]);
    LMM_FREE(t->levels);
    if (t->colnames) for (j = 0; j < t->ncol; j++) LMM_FREE(t->colnames[j]);
    LMM_FREE(t->colnames);
    LMM_FREE(t->codes); LMM_FREE(t->z);
}

LMM_API void lmm_model_free(lmm_model *m)
{
    int k;
    if (!m) return;
    LMM_FREE(m->formula); LMM_FREE(m->response); LMM_FREE(m->rows);
    lmm_matrix_free(m->X);
    if (m->aliased) for (k = 0; k < m->n_aliased; k++) LMM_FREE(m->aliased[k]);
    LMM_FREE(m->aliased);
    if (m->terms) for (k = 0; k < m->nterms; k++) lmm__reterm_free(&m->terms[k]);
    LMM_FREE(m->terms);
    LMM_FREE(m->theta_lower);
    if (m->theta_names) for (k = 0; k < m->ntheta; k++) LMM_FREE(m->theta_names[k]);
    LMM_FREE(m->theta_names);
    LMM_FREE(m->y); LMM_FREE(m->weights); LMM_FREE(m->offset); LMM_FREE(m->sqrtw_);
    LMM_FREE(m->weights_label); LMM_FREE(m->offset_label);
    lmm__blocks_free(m);
    LMM_FREE(m);
}

LMM_API lmm_status lmm_model_set_factor(lmm_model *m, lmm_factor_kind kind, lmm_error *err)
{
    if (!m || !m->blk_) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_set_factor: NULL model");
    if (kind != LMM_FACTOR_AUTO && kind != LMM_FACTOR_DENSE && kind != LMM_FACTOR_SPARSE)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_model_set_factor: unknown kind %d", (int)kind);
    if (kind == LMM_FACTOR_SPARSE && (!m->blk_->diag_rest || m->blk_->qr < 1))
        return lmm__fail(err, LMM_ERR_ARG, "the sparse factor needs two or more random-effects terms, each after the first of one column");
    m->factor_kind_ = kind;
    return lmm__choose_path(m, err);
}

LMM_API lmm_factor_kind lmm_model_factor(const lmm_model *m)
{
    return m && m->blk_ && m->blk_->path == LMM__PATH_SPARSE ? LMM_FACTOR_SPARSE : LMM_FACTOR_DENSE;
}

/* map[a] = the old X's column equal to column a of X, or -1 (the same column,
   a neighbour: one dropped or added, then any); map[p + a] = the end of the run
   of consecutive old columns (or of new ones) that starts at a. */
static void lmm__x_column_map(const lmm_matrix *old, const lmm_matrix *X, int *map)
{
    int n = X->nrow, p = X->ncol, a, b;
    size_t bytes = (size_t)n * sizeof(double);
    for (a = 0; a < p; a++) {
        const double *xa = X->v + (size_t)a * n;
        int cand[3], ci;
        map[a] = -1;
        cand[0] = a; cand[1] = a + 1; cand[2] = a - 1;
        for (ci = 0; ci < 3 && map[a] < 0; ci++)
            if (cand[ci] >= 0 && cand[ci] < p && memcmp(xa, old->v + (size_t)cand[ci] * n, bytes) == 0) map[a] = cand[ci];
        for (b = 0; b < p && map[a] < 0; b++)
            if (old->v[(size_t)b * n] == xa[0] && memcmp(xa, old->v + (size_t)b * n, bytes) == 0) map[a] = b;
    }
    for (a = 0; a < p; a = b)
        for (b = a + 1, map[p + a] = p; b < p; b++)
            if (map[a] < 0 ? map[b] >= 0 : map[b] != map[a] + (b - a)) { map[p + a] = b; break; }
}

/* The blocks' X rows for a new X of as many columns (lmm_model_set_X), in place:
   the random-effects cross-products, the pattern and the path stay; column a
   equal to old column map[a] (lmm__x_column_map) keeps its products, the class
   sums included (a refit without one column of X computes only what that
   change moves). The y row is left to the response. The old products wait in
   the factor's storage, stale until the next factor anyway: L22 (r^2 >= p^2 +
   qr p + 1) holds X'X and Zr'X, L21 (A21's size) level by level X'Z1. */
static void lmm__blocks_update_X(lmm_model *m, const int *map)
{
    lmm__blocks *B = m->blk_;
    const lmm_matrix *X = m->X;
    const lmm_reterm *t1 = &m->terms[0];
    int n = m->nobs, p = X->ncol, qr = B->qr, r = B->r, p1 = B->p1, a, b, c, i, j, k;
    double *oxx = B->L22, *ozx = B->L22 + (size_t)p * p, *oa21 = B->L21, *xw = B->yshift;   /* yshift: scratch until set_response rewrites it */
    /* the old X rows' products, before they are overwritten */
    for (b = 0; b < p; b++) {
        const double *col = B->A22 + (size_t)(qr + b) * r;
        memcpy(oxx + (size_t)b * p, col + qr, (size_t)p * sizeof(double));
        memcpy(ozx + (size_t)b * qr, col, (size_t)qr * sizeof(double));
    }
    for (j = 0; j < B->l1; j++) {
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        for (c = 0; c < p1; c++)
            memcpy(oa21 + ((size_t)j * p1 + c) * p, B->A21 + B->cp[j] * p1 + (size_t)c * nj + nj - p - 1, (size_t)p * sizeof(double));
    }
    for (a = 0; a < p; a++) {
        const double *xa = X->v + (size_t)a * n;
        double *col = B->A22 + (size_t)(qr + a) * r;   /* column qr + a, mirrored into row qr + a below */
        if (map[a] >= 0) {
            memcpy(col, ozx + (size_t)map[a] * qr, (size_t)qr * sizeof(double));
            for (b = 0; b < p; b++)
                if (map[b] >= 0) col[qr + b] = oxx[(size_t)map[a] * p + map[b]];
            for (j = 0; j < B->l1; j++) {
                int nj = (int)(B->cp[j + 1] - B->cp[j]);
                for (c = 0; c < p1; c++)
                    B->A21[B->cp[j] * p1 + (size_t)c * nj + nj - p - 1 + a] = oa21[((size_t)j * p1 + c) * p + map[a]];
            }
            continue;
        }
        for (i = 0; i < n; i++) xw[i] = m->sqrtw_ ? xa[i] * m->weights[i] : xa[i];
        for (b = 0; b < p; b++) {                /* with every column: the new ones' pairs twice, alike */
            double sum = lmm__dot(n, xw, X->v + (size_t)b * n);
            col[qr + b] = sum;
            B->A22[(size_t)(qr + b) * r + qr + a] = sum;
        }
        memset(col, 0, (size_t)qr * sizeof(double));
        for (j = 0; j < B->l1; j++) {
            int nj = (int)(B->cp[j + 1] - B->cp[j]);
            for (c = 0; c < p1; c++) B->A21[B->cp[j] * p1 + (size_t)c * nj + nj - p - 1 + a] = 0.0;
        }
        for (i = 0; i < n; i++) {
            int nj;
            double v = xw[i];
            if (v == 0.0) continue;
            for (k = 1; k < m->nterms; k++) {
                const lmm_reterm *t = &m->terms[k];
                for (c = 0; c < t->ncol; c++) col[t->u_offset - B->q1 + t->codes[i] * t->ncol + c] += v * t->z[(size_t)c * n + i];
            }
            j = t1->codes[i];
            nj = (int)(B->cp[j + 1] - B->cp[j]);
            for (c = 0; c < p1; c++) B->A21[B->cp[j] * p1 + (size_t)c * nj + nj - p - 1 + a] += v * t1->z[(size_t)c * n + i];
        }
    }
    for (a = 0; a < p; a++)                      /* row qr + a from column qr + a */
        for (c = 0; c < qr + p; c++) B->A22[(size_t)c * r + qr + a] = B->A22[(size_t)(qr + a) * r + c];
    for (a = 0; a < p; a++)
        for (b = 0; b < p; b++) B->xtx_chol[a + (size_t)b * p] = B->A22[(size_t)(qr + b) * r + qr + a];
    B->shift_ok = lmm_chol(p, B->xtx_chol, p) == 0;
    if (B->xty_ok && !m->offset && !m->sqrtw_) {   /* X'y by column for the response (y is the same) */
        memcpy(oxx, B->xty, (size_t)p * sizeof(double));
        for (a = 0; a < p; a++) B->xty[a] = map[a] >= 0 ? oxx[map[a]] : lmm__dot(n, X->v + (size_t)a * n, m->y);
    }
    else B->xty_ok = 0;
    if (B->path == LMM__PATH_CLASSES && B->cls_ready) lmm__classes_remap(B, map, oxx);   /* the class sums' X rows (oxx: its scratch now) */
    else B->cls_ready = 0;                       /* filled in full when the class path is chosen */
}

LMM_API lmm_status lmm_model_set_X(lmm_model *m, const lmm_matrix *X, lmm_error *err)
{
    lmm_matrix *copy, *old;
    int j, p;
    if (!m || !X) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_set_X: NULL argument");
    if (X->nrow != m->nobs) return lmm__fail(err, LMM_ERR_ARG, "X has %d rows but the model has %d observations", X->nrow, m->nobs);
    if (X->ncol >= m->nobs) return lmm__fail(err, LMM_ERR_DATA, "%d fixed effects but only %d observations", X->ncol, m->nobs);
    p = X->ncol;
    if (m->blk_ && m->X && m->X->colnames && m->X->ncol == p && p > 0 && m->blk_->path != LMM__PATH_SPARSE && m->blk_->A22) {
        /* as many columns: X is rewritten in place where it changed (a refit without
           one column moves a few), and the blocks' X rows follow (lmm__blocks_update_X) */
        int *map = LMM__NEW(int, 2 * (size_t)p), n = m->nobs;
        char **names = LMM__ZNEW(char *, p);
        if (!map || !names) { LMM_FREE(map); LMM_FREE(names); return lmm__nomem(err); }
        for (j = 0; j < p; j++)
            if (!(names[j] = lmm__strdup(X->colnames && X->colnames[j] ? X->colnames[j] : ""))) {
                while (j-- > 0) LMM_FREE(names[j]);
                LMM_FREE(map); LMM_FREE(names);
                return lmm__nomem(err);
            }
        lmm__x_column_map(m->X, X, map);
        for (j = 0; j < p; j++) {
            if (map[j] != j) memcpy(m->X->v + (size_t)j * n, X->v + (size_t)j * n, (size_t)n * sizeof(double));
            LMM_FREE(m->X->colnames[j]);
            m->X->colnames[j] = names[j];
        }
        LMM_FREE(names);
        if (m->X->terms) for (j = 0; j < m->X->nterms; j++) LMM_FREE(m->X->terms[j]);
        LMM_FREE(m->X->terms); LMM_FREE(m->X->assign);   /* as a copy would: the caller's X brings no terms */
        m->X->terms = NULL; m->X->assign = NULL; m->X->nterms = 0;
        lmm__blocks_update_X(m, map);
        LMM_FREE(map);
        return lmm__set_response(m, m->y, err);
    }
    copy = LMM__ZNEW(lmm_matrix, 1);
    if (!copy) return lmm__nomem(err);
    copy->nrow = X->nrow;
    copy->v = LMM__NEW(double, (size_t)X->nrow * (X->ncol ? X->ncol : 1));
    copy->colnames = LMM__ZNEW(char *, X->ncol ? X->ncol : 1);
    if (!copy->v || !copy->colnames) { lmm_matrix_free(copy); return lmm__nomem(err); }
    memcpy(copy->v, X->v, (size_t)X->nrow * X->ncol * sizeof(double));
    for (j = 0; j < X->ncol; j++) {
        if (!(copy->colnames[j] = lmm__strdup(X->colnames && X->colnames[j] ? X->colnames[j] : ""))) { lmm_matrix_free(copy); return lmm__nomem(err); }
        copy->ncol = j + 1;
    }
    old = m->X;
    m->X = copy;
    lmm__blocks_free(m);
    if (lmm__blocks_setup(m, err) != LMM_OK) { lmm_matrix_free(old); return LMM_ERR_NOMEM; }
    lmm_matrix_free(old);
    return lmm__set_response(m, m->y, err);
}

/* ---- 5. Lambda(theta) products ------------------------------------------ */
/* The templates T_k from theta and their products with the rest rows, columns and L21. */

/* Fill each term's lower-triangular template from theta (column by column). */
static void lmm__set_templates(lmm_model *m, const double *theta)
{
    lmm__blocks *B = m->blk_;
    int k, i, j;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        double *T = B->T + B->T_offset[k];
        const double *th = theta + t->theta_offset;
        for (j = 0; j < t->ncol; j++)
            for (i = 0; i < t->ncol; i++) T[i + j * t->ncol] = i >= j ? *th++ : 0.0;
    }
}

/* cols <- cols T for pk columns (nrows rows, leading dimension ld) and a
   pk x pk lower-triangular template T: column a becomes sum_{b>=a} T[b,a] col b. */
static void lmm__cols_times_template(double *cols, int ld, int nrows, const double *T, int pk)
{
    int a, b;
    for (a = 0; a < pk; a++) {
        double *ca = cols + (size_t)a * ld;
        lmm__scal(nrows, T[a + a * pk], ca);
        for (b = a + 1; b < pk; b++) {
            double tba = T[b + a * pk];
            if (tba == 0.0) continue;            /* zero below the diagonal: often, at the start */
            lmm__axpy_sub(nrows, -tba, cols + (size_t)b * ld, ca);   /* ca += tba cb, the same rounding */
        }
    }
}

/* Apply Lambda_r' to the rest rows of the sparse L21 (level by level; but
   for the pair levels when skip_pairs: only their X and y rows are formed). */
static void lmm__l21_lambda_t(const lmm_model *m, int skip_pairs)
{
    const lmm__blocks *B = m->blk_;
    int j, t, c, a, b, p1 = B->p1, tk = 0;
    double tt[32 * 32];                      /* T_tk', for lmm__trmv_t */
    for (j = 0; j < B->l1; j++) {
        const int *rows = B->ri + B->cp[j];
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        double *V = B->L21 + B->cp[j] * p1;
        if (skip_pairs && lmm__level_pairs(B, j)) continue;
        for (t = 0; t < nj;) {
            int k = B->rowterm[rows[t]], pk;
            const double *T;
            if (k == 0) break;               /* the X and y rows come last */
            pk = m->terms[k].ncol;
            T = B->T + B->T_offset[k];
            if (pk == 1) {
                for (c = 0; c < p1; c++) V[(size_t)c * nj + t] *= T[0];
                t++;
                continue;
            }
            if (k != tk) {
                for (a = 0; a < pk; a++)
                    for (b = 0; b < pk; b++) tt[a + b * pk] = T[b + a * pk];
                tk = k;
            }
            for (c = 0; c < p1; c++) lmm__trmv_t(pk, tt, V + (size_t)c * nj + t);   /* a level's pk rows are adjacent in the list */
            t += pk;
        }
    }
}

/* Lambda_r's diagonal entry for rest row c when every later term is scalar
   (1 for the X and y rows). */
static double lmm__rest_scale(const lmm__blocks *B, int c)
{
    return B->rowterm[c] ? B->T[B->T_offset[B->rowterm[c]]] : 1.0;
}

/* The lower triangle of Lambda_r' L22 Lambda_r (Lambda_r not diagonal),
   from L22's: the row pass (T_k' on each level's rows) over the columns up
   to the level's last row, the column pass (T_k on each level's columns)
   over the rows from the level's first, each diagonal block mirrored first
   (the only upper entries those passes read). Every lower entry is computed
   as by the passes over the whole mirrored matrix; half the work. With
   own_levels_only (L22 holds A22 itself), the blocks between two levels of
   one term are known zero (an observation has one level per term) and are
   skipped unread. */
static void lmm__rest_congruence_lower(lmm_model *m, int own_levels_only)
{
    lmm__blocks *B = m->blk_;
    int r = B->r, k, j, c, a, b;
    double *M = B->L22, tt[32 * 32];
    for (k = 1; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        int pk = t->ncol, base = t->u_offset - B->q1;
        for (j = 0; j < t->nlevels && pk > 1; j++) {
            int s0 = base + j * pk;
            for (b = 1; b < pk; b++)
                for (a = 0; a < b; a++) M[(size_t)(s0 + b) * r + s0 + a] = M[(size_t)(s0 + a) * r + s0 + b];
        }
    }
    for (k = 1; k < m->nterms; k++) {            /* rows: T_k' v on each level's rows of columns 0 .. its last row */
        const lmm_reterm *t = &m->terms[k];
        const double *T = B->T + B->T_offset[k];
        int pk = t->ncol, base = t->u_offset - B->q1, nl = t->nlevels;
        if (pk == 1) {
            for (c = 0; c < base + nl; c++) {
                int j0 = c > base ? c - base : 0;
                lmm__scal(nl - j0, T[0], M + (size_t)c * r + base + j0);
            }
            continue;
        }
        for (a = 0; a < pk; a++)
            for (b = 0; b < pk; b++) tt[a + b * pk] = T[b + a * pk];
        for (c = 0; c < base + nl * pk; c++)
            for (j = c > base ? (c - base) / pk : 0; j < (own_levels_only && c >= base ? (c - base) / pk + 1 : nl); j++) {
                double *v = M + (size_t)c * r + base + j * pk;
                for (a = 0; a < pk && v[a] == 0.0; a++) {}
                if (a < pk) lmm__trmv_t(pk, tt, v);   /* T' 0 = 0: two levels of different terms seldom meet */
            }
    }
    for (k = 1; k < m->nterms; k++) {            /* columns: each level's columns times T_k, rows from its first */
        const lmm_reterm *t = &m->terms[k];
        const double *T = B->T + B->T_offset[k];
        int pk = t->ncol, base = t->u_offset - B->q1, tend = base + t->nlevels * pk;
        for (j = 0; j < t->nlevels; j++) {
            int s0 = base + j * pk, i0, i1;
            for (i0 = s0; i0 < r; i0 = i1) {     /* in chunks of rows, those zero in all pk columns skipped (each row is its own sum) */
                int zero = 1, cap = r;
                if (own_levels_only && i0 >= s0 + pk && i0 < tend) i0 = tend;   /* the term's later levels */
                if (i0 >= r) break;
                if (own_levels_only && i0 < s0 + pk) cap = s0 + pk;
                i1 = i0 + LMM__MR < cap ? i0 + LMM__MR : cap;
                for (a = 0; a < pk && zero; a++)
                    for (c = i0; c < i1 && zero; c++) zero = M[(size_t)(s0 + a) * r + c] == 0.0;
                if (!zero) lmm__cols_times_template(M + (size_t)s0 * r + i0, r, i1 - i0, T, pk);
            }
        }
    }
}

/* L22 <- Lambda_r' L22 Lambda_r + I_qr, from L22's lower triangle
   (own_levels_only: L22 holds A22, see lmm__rest_congruence_lower). */
static void lmm__rest_congruence(lmm_model *m, int own_levels_only)
{
    lmm__blocks *B = m->blk_;
    int r = B->r, c, i;
    if (B->diag_rest) {                          /* one pass over the lower triangle */
        for (c = 0; c < r; c++) B->rowscale[c] = lmm__rest_scale(B, c);
        for (c = 0; c < r; c++) {
            double *lc = B->L22 + (size_t)c * r, sc = B->rowscale[c];
            for (i = c; i < r; i++) lc[i] *= B->rowscale[i] * sc;
        }
    } else {
        lmm__rest_congruence_lower(m, own_levels_only);
    }
    for (c = 0; c < B->qr; c++) B->L22[(size_t)c * r + c] += 1.0;
}

/* ---- 6. the factor paths ------------------------------------------------ */
/* The factor at theta: dense, sparse, by classes; lmm__factor_at, the one entry to them. */

/* L21 = (Lambda_r' A21 T1) L11^{-T} on the fixed sparse pattern, from the
   templates and L11 in place (every path's factor of the first term). With
   skip_pairs, the pair levels' rows of the other terms are left alone (the
   objective's pair update reads only their X and y rows, which are the same
   either way: each row is transformed by itself). */
static void lmm__factor_l21(lmm_model *m, int skip_pairs)
{
    lmm__blocks *B = m->blk_;
    int p1 = B->p1, j, a, b, i, nt = B->r - B->qr;
    const double *T1 = B->T + B->T_offset[0];
    if (!skip_pairs || !B->pr_start) memcpy(B->L21, B->A21, B->cp[B->l1] * p1 * sizeof(double));
    else
        for (j = 0; j < B->l1; j++) {
            int nj = (int)(B->cp[j + 1] - B->cp[j]), skip = lmm__level_pairs(B, j) ? nj - nt : 0;
            for (a = 0; a < p1; a++) {
                size_t o = B->cp[j] * p1 + (size_t)a * nj + skip;
                memcpy(B->L21 + o, B->A21 + o, (size_t)(nj - skip) * sizeof(double));
            }
        }
    lmm__l21_lambda_t(m, skip_pairs);
    for (j = 0; j < B->l1; j++) {
        int nj = (int)(B->cp[j + 1] - B->cp[j]), skip = skip_pairs && lmm__level_pairs(B, j) ? nj - nt : 0, nr = nj - skip;
        double *cols = B->L21 + B->cp[j] * p1 + skip;   /* rows skip .. nj of each column (leading dimension nj) */
        const double *L = B->L11 + (size_t)j * p1 * p1;
        if (p1 == 1) {
            double s = T1[0] / L[0];
            for (i = 0; i < nr; i++) cols[i] *= s;
            continue;
        }
        if (p1 == 2) {                           /* (C T1) L^{-T} row by row, in closed form */
            double t00 = T1[0], t10 = T1[1], t11 = T1[3], i00 = 1.0 / L[0], l10 = L[1], i11 = 1.0 / L[3];
            double *c1 = cols + nj;
            for (i = 0; i < nr; i++) {
                double x0 = (cols[i] * t00 + c1[i] * t10) * i00;
                c1[i] = (c1[i] * t11 - x0 * l10) * i11;
                cols[i] = x0;
            }
            continue;
        }
        lmm__cols_times_template(cols, nj, nr, T1, p1);
        for (a = 0; a < p1; a++) {               /* right-solve X L' = C: columns forward */
            double *ca = cols + (size_t)a * nj;
            for (b = 0; b < a; b++) lmm__axpy_sub(nr, L[a + b * p1], cols + (size_t)b * nj, ca);
            lmm__scal(nr, 1.0 / L[a + a * p1], ca);
        }
    }
}

/* The first term's part of the blocked factor at theta: the templates, L11
   and L21 (skip_pairs: see lmm__factor_l21). Returns 0, or nonzero when a
   first-term block is not positive definite. */
static int lmm__factor_first(lmm_model *m, const double *theta, int skip_pairs)
{
    lmm__blocks *B = m->blk_;
    int p1 = B->p1, j, a, b;
    const double *T1;
    double W[32 * 32];
    lmm__set_templates(m, theta);
    T1 = B->T + B->T_offset[0];
    /* L11_j = chol(T1' A11_j T1 + I) */
    for (j = 0; j < B->l1; j++) {
        const double *A = B->A11 + (size_t)j * p1 * p1;
        double *L = B->L11 + (size_t)j * p1 * p1;
        if (p1 == 1) {
            L[0] = sqrt(T1[0] * T1[0] * A[0] + 1.0);
            continue;
        }
        if (p1 == 2) {                           /* (Days|Subject) and the like, in closed form */
            double t00 = T1[0], t10 = T1[1], t11 = T1[3];
            double w00 = A[0] * t00 + A[2] * t10, w10 = A[1] * t00 + A[3] * t10;   /* W = A T */
            double w11 = A[3] * t11;
            double m00 = t00 * w00 + t10 * w10 + 1.0, m10 = t11 * w10, m11 = t11 * w11 + 1.0, l10;
            if (!(m00 > 0)) return 1;
            L[0] = sqrt(m00);
            l10 = m10 / L[0];
            m11 -= l10 * l10;
            if (!(m11 > 0)) return 1;
            L[1] = l10; L[2] = 0.0; L[3] = sqrt(m11);
            continue;
        }
        for (b = 0; b < p1; b++) {               /* W = A T1 (T1 lower triangular) by columns, each entry's sum in y order; then L = T1' W + I */
            double *wb = W + b * p1;
            int y;
            for (a = 0; a < p1; a++) wb[a] = 0.0;
            for (y = b; y < p1; y++) {
                const double *ay = A + (size_t)y * p1, tyb = T1[y + b * p1];
                for (a = 0; a < p1; a++) wb[a] += ay[a] * tyb;
            }
        }
        for (b = 0; b < p1; b++)
            for (a = 0; a < p1; a++) {           /* the lower triangle (lmm_chol reads no more), zeros above */
                double s = 0;
                int x;
                if (a < b) { L[a + b * p1] = 0.0; continue; }
                for (x = a; x < p1; x++) s += T1[x + a * p1] * W[x + b * p1];
                L[a + b * p1] = s + (a == b ? 1.0 : 0.0);
            }
        if (lmm_chol(p1, L, p1) != 0) return 1;
    }
    lmm__factor_l21(m, skip_pairs);
    return 0;
}

/* L22's lower triangle -= V V' over the packed levels (lmm__level_packed),
   its random-effect columns (lmm__schur_tail does the X and y block): each
   column of their L21 blocks scattered to its rest rows, zeros elsewhere,
   NB columns at a time into one panel, subtracted by the register tiles in
   the order and rounding of the column updates (the results do not
   change), or by cblas_dsyrk and dgemm. One rank-NB update instead of a
   rank-p1 update per level: the tiles' k-loops run long, L22 passes once
   per panel. */
static void lmm__schur_packed(lmm__blocks *B)
{
    int r = B->r, qr = B->qr, p1 = B->p1, j = 0, c = 0, kb, l, a, total = 0, done = 0;
#ifdef LMM_USE_CBLAS
    const int ld = r;                             /* column-major r x kb panel */
#else
    int j0, i0;
#endif
    for (j = 0; j < B->l1; j++) if (lmm__level_packed(B, j)) total += p1;
    for (j = 0; done < total; done += kb) {
        kb = total - done < LMM__NB ? total - done : LMM__NB;
#ifdef LMM_USE_CBLAS
        memset(B->pack, 0, (size_t)ld * kb * sizeof(double));
#endif
        for (l = 0; l < kb; l++) {
            const int *rows;
            const double *vc;
            int nj;
            while (!lmm__level_packed(B, j)) j++;
            rows = B->ri + B->cp[j];
            nj = (int)(B->cp[j + 1] - B->cp[j]);
            vc = B->L21 + B->cp[j] * p1 + (size_t)c * nj;
#ifdef LMM_USE_CBLAS
            for (a = 0; a < nj; a++) B->pack[(size_t)l * ld + rows[a]] = vc[a];
#else
            {   /* slab by slab: its MR rows of the column, zeros in the gaps and the padding */
                double *dst = B->pack + (size_t)l * LMM__MR, seg[LMM__MR];
                int x0, x;
                for (a = 0, x0 = 0; x0 < r; x0 += LMM__MR, dst += (size_t)kb * LMM__MR) {
                    for (x = 0; x < LMM__MR; x++) seg[x] = 0.0;
                    for (; a < nj && rows[a] < x0 + LMM__MR; a++) seg[rows[a] - x0] = vc[a];
                    for (x = 0; x < LMM__MR; x++) dst[x] = seg[x];
                }
            }
#endif
            if (++c == p1) { c = 0; j++; }
        }
#ifdef LMM_USE_CBLAS
        lmm__gemm_nt_sub(qr, qr, kb, B->pack, ld, B->pack, ld, B->L22, r, 1);
        lmm__gemm_nt_sub(r - qr, qr, kb, B->pack + qr, ld, B->pack, ld, B->L22 + qr, r, 0);
        (void)lmm__syrk_tile_seq;   /* the plain build's update */
#else
        for (j0 = 0; j0 < qr; j0 += LMM__NR)
            for (i0 = j0 - j0 % LMM__MR; i0 < r; i0 += LMM__MR)
                lmm__syrk_tile_seq(B->pack, kb, i0, j0, r - i0 < LMM__MR ? r - i0 : LMM__MR,
                                   qr - j0 < LMM__NR ? qr - j0 : LMM__NR, B->L22 + (size_t)j0 * r + i0, r, i0 < j0 + LMM__NR);
#endif
    }
}

/* The X and y rows end every level's list, so their block of L21 L21' is a
   dense product: gather the tails in chunks of NB effects into packed slabs
   and subtract with the register tiles. */
static void lmm__schur_tail(lmm__blocks *B)
{
    int r = B->r, qr = B->qr, nt = r - qr, p1 = B->p1, j = 0, c = 0, x;
    double *c22 = B->L22 + (size_t)qr * r + qr;
    if (nt <= 4) {
        /* the usual few fixed effects: accumulate in registers, store once
           (updating c22 in place chains every level through memory) */
        double s00 = 0, s10 = 0, s20 = 0, s30 = 0, s11 = 0, s21 = 0, s31 = 0, s22 = 0, s32 = 0, s33 = 0, acc[16];
        int a, b;
        for (j = 0; j < B->l1; j++) {
            int nj = (int)(B->cp[j + 1] - B->cp[j]);
            for (c = 0; c < p1; c++) {
                const double *tail = B->L21 + B->cp[j] * p1 + (size_t)c * nj + nj - nt;
                double t0 = tail[0], t1 = nt > 1 ? tail[1] : 0, t2 = nt > 2 ? tail[2] : 0, t3 = nt > 3 ? tail[3] : 0;
                s00 += t0 * t0; s10 += t1 * t0; s20 += t2 * t0; s30 += t3 * t0;
                s11 += t1 * t1; s21 += t2 * t1; s31 += t3 * t1;
                s22 += t2 * t2; s32 += t3 * t2; s33 += t3 * t3;
            }
        }
        acc[0] = s00; acc[1] = s10; acc[2] = s20; acc[3] = s30; acc[5] = s11; acc[6] = s21; acc[7] = s31;
        acc[10] = s22; acc[11] = s32; acc[15] = s33;
        for (b = 0; b < nt; b++)
            for (a = b; a < nt; a++) c22[(size_t)b * r + a] -= acc[a + 4 * b];
        return;
    }
    if (nt <= LMM__MR) {                         /* a few columns: plain outer products */
        for (j = 0; j < B->l1; j++) {
            int nj = (int)(B->cp[j + 1] - B->cp[j]), a, b;
            for (c = 0; c < p1; c++) {
                const double *tail = B->L21 + B->cp[j] * p1 + (size_t)c * nj + nj - nt;
                for (b = 0; b < nt; b++)
                    for (a = b; a < nt; a++) c22[(size_t)b * r + a] -= tail[a] * tail[b];
            }
        }
        return;
    }
    while (j < B->l1) {
        int kb = 0, i0, j0;
        memset(B->pack, 0, (size_t)(nt + LMM__MR) * LMM__NB * sizeof(double));
        for (; j < B->l1 && kb < LMM__NB; kb++) {
            int nj = (int)(B->cp[j + 1] - B->cp[j]);
            const double *tail = B->L21 + B->cp[j] * p1 + (size_t)c * nj + nj - nt;
            for (x = 0; x < nt; x++) B->pack[((size_t)(x / LMM__MR) * LMM__NB + kb) * LMM__MR + x % LMM__MR] = tail[x];
            if (++c == p1) { c = 0; j++; }
        }
        for (j0 = 0; j0 < nt; j0 += LMM__NR)
            for (i0 = j0 - j0 % LMM__MR; i0 < nt; i0 += LMM__MR)
                lmm__syrk_tile(B->pack, LMM__NB, i0, j0, nt - i0 < LMM__MR ? nt - i0 : LMM__MR,
                               nt - j0 < LMM__NR ? nt - j0 : LMM__NR, c22 + (size_t)j0 * r + i0, r, i0 < j0 + LMM__NR);
    }
}

/* L22's lower triangle -= L21_j L21_j' over the pair levels (lmm__pairs_plan),
   all but the X and y block (lmm__schur_tail's): per observation o of level j,
   b_o = L11_j^{-1} T1' z1_o and w_o = T_k' z_k,o for each other term k (its
   rows), so that L21_j = sum_o [w_o; X and y rows] b_o'. Then the random
   effects' block is the sum over pairs (o, o2) of (b_o . b_o2) w_o2 w_o'
   (each pair once per orientation: the lower block when o2 has the later
   rows, the lower triangle alone when the rows coincide), summed by target
   block in 8 x 4 tiles over the entries lmm__pairs_entries listed, each
   block's b_o2 . b_o formed just before its tiles (in L1 for them; a stored
   B_j' B_j per level was read scattered over half a megabyte), and the
   X and y rows against them sum_o h_o w_o' (h_o = L21_j's X, y rows times b_o). */
static void lmm__schur_pairs(lmm_model *m)
{
    lmm__blocks *B = m->blk_;
    int p1 = B->p1, r = B->r, qr = B->qr, nt = r - qr, qs = B->pr_qs, nseg = m->nterms - 1, j, o, a, c, s, x, k;
    const double *T1 = B->T + B->T_offset[0];
    static const double minus_one = -1.0;        /* the X and y rows' entries' weight */
    double *L22 = B->L22;
    {   /* w_o = T_k' z_k,o for every pair observation: by columns over all of them (in pr_b), then by observation */
        int total = B->pr_start[B->l1];
        double *Wt = B->pr_b;
        for (s = 0, c = 0; s < nseg; c += m->terms[++s].ncol) {
            const double *T = B->T + B->T_offset[s + 1];
            int pk2 = m->terms[s + 1].ncol;
            for (a = 0; a < pk2; a++) {
                double *wa = Wt + (size_t)(c + a) * total;
                memset(wa, 0, (size_t)total * sizeof(double));
                for (x = a; x < pk2; x++) lmm__axpy_sub(total, -T[x + a * pk2], B->pr_zr + (size_t)(c + x) * total, wa);
            }
        }
        for (o = 0; o < total; o++)
            for (c = 0; c < qs; c++) B->pr_w[(size_t)B->pr_perm[o] * (qs + p1) + c] = Wt[(size_t)c * total + o];
    }
    for (j = 0; j < B->l1; j++) {
        int o0 = B->pr_start[j], nob = B->pr_start[j + 1] - o0, nj = (int)(B->cp[j + 1] - B->cp[j]), i0, j0, nobp;
        const double *L = B->L11 + (size_t)j * p1 * p1, *tail = B->L21 + B->cp[j] * p1 + nj - nt, *Z1 = B->pr_z1 + (size_t)o0 * p1;
        double *pk = B->pr_pack;
        if (nob == 0) continue;
        for (i0 = 0; i0 < nob; i0 += LMM__MR) {  /* B_j = L^{-1} T1' Z1_j' straight into MR-row slabs (lmm__tile_acc), zeros past nob */
            double *slab = pk + (size_t)(i0 / LMM__MR) * p1 * LMM__MR;
            int rows = nob - i0 < LMM__MR ? nob - i0 : LMM__MR, y;
            for (a = 0; a < p1; a++) {           /* each row's sums in the order and rounding of the former axpys over the level */
                double v[LMM__MR], inv = 1.0 / L[a + a * p1];
                for (y = 0; y < LMM__MR; y++) v[y] = 0.0;
                for (x = a; x < p1; x++) {
                    double t = -T1[x + a * p1];
                    const double *z = Z1 + (size_t)x * nob + i0;
                    if (rows == LMM__MR) for (y = 0; y < LMM__MR; y++) v[y] = v[y] - t * z[y];
                    else for (y = 0; y < rows; y++) v[y] = v[y] - t * z[y];
                }
                for (x = 0; x < a; x++) {
                    double f = L[a + x * p1];
                    const double *bx = slab + (size_t)x * LMM__MR;
                    for (y = 0; y < LMM__MR; y++) v[y] = v[y] - f * bx[y];
                }
                for (y = 0; y < LMM__MR; y++) slab[(size_t)a * LMM__MR + y] = v[y] * inv;
            }
        }
        for (o = 0; o < nob; o++) {              /* b_o after w_o in pr_perm's place */
            const double *d = pk + ((size_t)(o / LMM__MR) * p1) * LMM__MR + o % LMM__MR;
            double *bo = B->pr_w + (size_t)B->pr_perm[o0 + o] * (qs + p1) + qs;
            for (a = 0; a < p1; a++) bo[a] = d[(size_t)a * LMM__MR];
        }
        o = (nob + LMM__MR - 1) / LMM__MR * LMM__MR;
        nobp = o;                                /* then L21_j's X and y rows, packed alike from slab nobp / MR */
        for (; o < nobp + nt || o % LMM__MR; o++)
            for (a = 0; a < p1; a++)
                pk[((size_t)(o / LMM__MR) * p1 + a) * LMM__MR + o % LMM__MR] = o < nobp + nt ? tail[(size_t)a * nj + o - nobp] : 0.0;
        for (i0 = 0; i0 < nob; i0 += LMM__MR)   /* h_o = L21_j's X and y rows times b_o, by the tiles into pr_h (observation-major) */
            for (j0 = 0; j0 < nt; j0 += LMM__NR) {
                double acc[LMM__NR][LMM__MR], *h = B->pr_h + (size_t)(o0 + i0) * nt + j0;
                int mm = nob - i0 < LMM__MR ? nob - i0 : LMM__MR, nn = nt - j0 < LMM__NR ? nt - j0 : LMM__NR, y;
                lmm__tile_acc(pk, p1, i0, nobp + j0, acc);
                for (x = 0; x < mm; x++)
                    for (y = 0; y < nn; y++) h[(size_t)x * nt + y] = acc[y][x];
            }
    }
    for (k = 0; k < B->pr_nxblk; k++) {          /* the X and y rows against each other level: -sum h w' */
        int R = B->pr_xpos[k], pk2 = m->terms[B->rowterm[R]].ncol, ne = B->pr_xstart[k + 1] - B->pr_xstart[k], i0, j0;
        const int *e = B->pr_xent + 2 * (size_t)B->pr_xstart[k];
        for (j0 = 0; j0 < pk2; j0 += LMM__NR)
            for (i0 = 0; i0 < nt; i0 += LMM__MR)
                lmm__gather_tile_add(B->pr_h + i0, B->pr_w + j0, &minus_one, 0, e, ne, nt - i0 < LMM__MR ? nt - i0 : LMM__MR,
                                     pk2 - j0 < LMM__NR ? pk2 - j0 : LMM__NR, L22 + (size_t)(R + j0) * r + qr + i0, r, -LMM__NR, 0);
    }
    for (k = 0; k < B->pr_nblk; k++) {           /* the random effects' blocks, each summed in 8 x 4 tiles */
        int R2 = B->pr_bpos[2 * k], R = B->pr_bpos[2 * k + 1], pk2 = m->terms[B->rowterm[R2]].ncol, pk = m->terms[B->rowterm[R]].ncol;
        int ne = (int)(B->pr_bstart[k + 1] - B->pr_bstart[k]), i0, j0, l;
        int fresh = B->pr_fresh && R2 != R && B->rowterm[R2] == B->rowterm[R];   /* two levels of one term: unset in L22 (lmm__schur_build) */
        const int *e = B->pr_ent + 2 * B->pr_bstart[k];
        const double *bu = B->pr_w + qs - lmm__pairs_column(m, R2), *bv = B->pr_w + qs - lmm__pairs_column(m, R);   /* b_o from w_o's offset */
        double *g = B->pr_g + B->pr_bstart[k];
        /* G_j's entries, hot for the tiles, each summed in the order and rounding of
           the tiles that formed B_j' B_j before (fits keep their path); p1 = 8 unrolled */
        if (p1 == 8)
            for (l = 0; l < ne; l++) {
                const double *u = bu + e[2 * l], *v = bv + e[2 * l + 1];
                double t = u[0] * v[0];
                t = LMM__MADD(u[1], v[1], t); t = LMM__MADD(u[2], v[2], t); t = LMM__MADD(u[3], v[3], t);
                t = LMM__MADD(u[4], v[4], t); t = LMM__MADD(u[5], v[5], t); t = LMM__MADD(u[6], v[6], t);
                g[l] = 0.0 - LMM__MADD(u[7], v[7], t);
            }
        else
            for (l = 0; l < ne; l++) {
                const double *u = bu + e[2 * l], *v = bv + e[2 * l + 1];
                double t = u[0] * v[0];
                for (a = 1; a < p1; a++) t = LMM__MADD(u[a], v[a], t);
                g[l] = 0.0 - t;
            }
        for (j0 = 0; j0 < pk; j0 += LMM__NR)
            for (i0 = R2 == R ? j0 - j0 % LMM__MR : 0; i0 < pk2; i0 += LMM__MR)
                lmm__gather_tile_add(B->pr_w + i0, B->pr_w + j0, g, 1, e, ne, pk2 - i0 < LMM__MR ? pk2 - i0 : LMM__MR,
                                     pk - j0 < LMM__NR ? pk - j0 : LMM__NR, L22 + (size_t)(R + j0) * r + R2 + i0, r,
                                     R2 == R ? j0 - i0 : -LMM__NR, fresh);
    }
}

/* lmm__factor_first, then S = Lambda_r' A22 Lambda_r + I - L21 L21' in L22's
   lower triangle (the dense paths' input to L22's Cholesky): the levels with
   few rest rows by scattered column updates, the others as one packed SYRK. */
static int lmm__schur_build(lmm_model *m, const double *theta, int full)
{
    lmm__blocks *B = m->blk_;
    int p1 = B->p1, r = B->r, a, b, c, scattered = 0;
    if (lmm__factor_first(m, theta, !full) != 0) return 1;
    for (c = 0; c < B->l1 && !scattered; c++) scattered = !lmm__level_packed(B, c) && !lmm__level_pairs(B, c);
    /* L22 = chol(Lambda_r' A22 Lambda_r + I_qr - L21 L21'), the product as a sum
       of each level's outer product, into the lower triangle */
    for (c = 0; c < r; c++) {
        int k = B->rowterm[c], gap0 = r, gap1 = r;   /* rows [gap0, gap1): the term's later levels, set by lmm__schur_pairs (pr_fresh) */
        if (B->pr_start && B->pr_fresh && k > 0) {
            int pk = m->terms[k].ncol, base = m->terms[k].u_offset - B->q1;
            gap0 = base + ((c - base) / pk + 1) * pk;
            gap1 = base + m->terms[k].nlevels * pk;
        }
        memcpy(B->L22 + (size_t)c * r + c, B->A22 + (size_t)c * r + c, (size_t)(gap0 - c) * sizeof(double));
        memcpy(B->L22 + (size_t)c * r + gap1, B->A22 + (size_t)c * r + gap1, (size_t)(r - gap1) * sizeof(double));
    }
    lmm__rest_congruence(m, 1);
    for (b = 0; b < B->qr && scattered; b++) {   /* column b of L21 L21', one column at a time */
        double *col = B->L22 + (size_t)b * r;
        size_t e;
        for (e = B->tp[b]; e < B->tp[b + 1]; e++) {
            const int *rows = B->ri + B->cp[B->tl[e]];
            int nj = (int)(B->cp[B->tl[e] + 1] - B->cp[B->tl[e]]), t = B->tt[e];
            int nre = nj - (r - B->qr), a0 = t > nre ? t - nre : 0;   /* the X and y rows: a contiguous tail */
            const double *V = B->L21 + B->cp[B->tl[e]] * p1;
            if (lmm__level_packed(B, B->tl[e]) || lmm__level_pairs(B, B->tl[e])) continue;
            for (c = 0; c < p1; c++) {
                const double *vc = V + (size_t)c * nj, *vt = vc + nre;
                double vb = vc[t], *ct = col + B->qr;
                if (vb == 0.0) continue;
                for (a = t; a < nre; a++) col[rows[a]] -= vc[a] * vb;
                lmm__axpy_sub(r - B->qr - a0, vb, vt + a0, ct + a0);
            }
        }
    }
    lmm__schur_tail(B);
    lmm__schur_packed(B);
    if (B->pr_start) lmm__schur_pairs(m);
    return 0;
}

/* The dense path's factor at theta: S built level by level, L22 by the
   blocked Cholesky; L21 whole when full (else the pair levels' X and y rows
   alone: lmm__factor_l21). Returns 0, or nonzero when not positive definite. */
static int lmm__factor_dense(lmm_model *m, const double *theta, int full)
{
    lmm__blocks *B = m->blk_;
    if (lmm__schur_build(m, theta, full) != 0) return 1;
    return lmm__chol_blocked(B->r, B->L22, B->r, B->pack, 0) != 0;
}

/* Column j (factor order) of the sparse path's S: Lambda_r' A22 Lambda_r + I
   there (scale: Lambda_r's diagonal in factor order), minus the first-term
   levels' L21 outer products that reach it (sp_pr), levels in tp's order;
   the column stays in cache from its copy to its last update. */
static void lmm__sparse_pairs_col(lmm__blocks *B, int j, const double *scale)
{
    int sn = B->sp_snof[j], oc = B->sp_perm[j], p1 = B->p1, c, k, f = B->sp_first[sn], mr = B->sp_rp[sn + 1] - B->sp_rp[sn];
    size_t o = B->sp_off[sn] + (size_t)(j - f) * mr;
    double *col = B->sp_val + o, sc = scale[j];
    const int *rows = B->sp_rows + B->sp_rp[sn];
    const unsigned short *pr = B->sp_pr + 2 * B->sp_pcol[j];
    size_t e;
    memset(col + (j - f), 0, (size_t)(mr - (j - f)) * sizeof(double));
    for (e = B->sp_acol[j]; e < B->sp_acol[j + 1]; e++)
        col[B->sp_arow[e]] = B->sp_aval[e] * scale[rows[B->sp_arow[e]]] * sc;
    if (j < B->qr) col[j - f] += 1.0;
    for (e = B->tp[oc]; e < B->tp[oc + 1]; e++) {
        int lv = B->tl[e], nj = (int)(B->cp[lv + 1] - B->cp[lv]), np = B->sp_pn[e];
        const double *v = B->L21 + B->cp[lv] * p1;
        for (c = 0; c < p1; c++, v += nj) {
            double vy = v[B->tt[e]];
            if (vy != 0.0) for (k = 0; k < np; k++) col[pr[2 * k]] -= v[pr[2 * k + 1]] * vy;
        }
        pr += 2 * np;
    }
}

/* The class path's S (lmm__blocks, sp_ncls), column j in factor order: A22
   minus the weighted class products on the random-effect rows, scaled by
   Lambda_r, plus I; then the X and y rows' part from sp_tail. */
static void lmm__sparse_classes_col(lmm__blocks *B, int j, const double *scale)
{
    int sn = B->sp_snof[j], f = B->sp_first[sn], mr = B->sp_rp[sn + 1] - B->sp_rp[sn], qr = B->qr, nt = B->r - qr, g, k;
    size_t o = B->sp_off[sn] + (size_t)(j - f) * mr;
    double *col = B->sp_val + o, sc = scale[j];
    const double *w = B->sp_cls_a + B->sp_ncls, *tail;
    const int *rows = B->sp_rows + B->sp_rp[sn];
    size_t e;
    memset(col + (j - f), 0, (size_t)(mr - (j - f)) * sizeof(double));
    for (e = B->sp_acol[j]; e < B->sp_acol[j + 1]; e++) col[B->sp_arow[e]] = B->sp_aval[e];
    /* a group's rows are distinct: four at a time, loads ahead of the stores */
#define LMM__CLASS_GROUP(ev) do {                                                           \
        for (k = 0; k + 4 <= n; k += 4) {                                                   \
            int e0 = er[k], e1 = er[k + 1], e2 = er[k + 2], e3 = er[k + 3];                 \
            double x0 = col[e0] - wc * (double)(ev)[k], x1 = col[e1] - wc * (double)(ev)[k + 1]; \
            double x2 = col[e2] - wc * (double)(ev)[k + 2], x3 = col[e3] - wc * (double)(ev)[k + 3]; \
            col[e0] = x0; col[e1] = x1; col[e2] = x2; col[e3] = x3;                         \
        }                                                                                   \
        for (; k < n; k++) col[er[k]] -= wc * (double)(ev)[k];                              \
    } while (0)
    for (g = B->sp_gcol[j]; g < B->sp_gcol[j + 1]; g++) {
        const unsigned short *er = B->sp_erow + B->sp_gstart[g];
        double wc = w[B->sp_gcls[g]];
        int n = (int)(B->sp_gstart[g + 1] - B->sp_gstart[g]);
        if (B->sp_ecnt) LMM__CLASS_GROUP(B->sp_ecnt + B->sp_gstart[g]);
        else LMM__CLASS_GROUP(B->sp_eval + B->sp_gstart[g]);
    }
#undef LMM__CLASS_GROUP
    for (k = j - f; k < mr; k++) col[k] *= scale[rows[k]] * sc;
    if (j < qr) {
        col[j - f] += 1.0;
        tail = B->sp_tail + (size_t)B->sp_perm[j] * nt;
        for (k = 0; k < nt; k++) col[mr - nt + k] -= tail[k];
    } else {                                     /* the X and y columns: the last supernode is dense */
        tail = B->sp_tail + (size_t)qr * nt + (size_t)(j - qr) * nt;
        for (k = j - qr; k < nt; k++) col[mr - nt + k] -= tail[k];
    }
}

/* The class path's sp_tail at theta (L21 formed): for every level, its
   random-effect rows against its X and y rows, and those among themselves. */
static void lmm__sparse_classes_tail(lmm__blocks *B)
{
    int qr = B->qr, nt = B->r - qr, j, t, a, b;
    double *tt = B->sp_tail + (size_t)qr * nt;
    memset(B->sp_tail, 0, ((size_t)qr * nt + (size_t)nt * nt) * sizeof(double));
    for (j = 0; j < B->l1; j++) {
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        const int *rows = B->ri + B->cp[j];
        const double *v = B->L21 + B->cp[j], *vt = v + nj - nt;
        for (t = 0; t < nj - nt; t++) {
            double *acc = B->sp_tail + (size_t)rows[t] * nt, vv = v[t];
            if (nt == 3) { acc[0] += vt[0] * vv; acc[1] += vt[1] * vv; acc[2] += vt[2] * vv; }   /* short tails unrolled */
            else if (nt == 4) { acc[0] += vt[0] * vv; acc[1] += vt[1] * vv; acc[2] += vt[2] * vv; acc[3] += vt[3] * vv; }
            else for (a = 0; a < nt; a++) acc[a] += vt[a] * vv;
        }
        for (b = 0; b < nt; b++)
            for (a = b; a < nt; a++) tt[(size_t)b * nt + a] += vt[a] * vt[b];
    }
}

/* Supernode s of the sparse factor (its mr x nc block, rows sp_rows, lda mr)
   factored in place by panels of NB columns, each panel's rows below packed
   once: its update of the supernode's later columns, and of the later
   supernodes its rows below meet (a group of rows per target, the target's
   columns), straight from register tiles into their storage: no frontal
   matrix, nothing but the tiles' own writes. The last, dense supernode runs
   the same panels (fused tiles where the target has FMA: lmm__tile_acc).
   Returns 0, or nonzero when not positive definite. */
static int lmm__sparse_supernode(lmm__blocks *B, int s)
{
    int f = B->sp_first[s], nc = B->sp_first[s + 1] - f, mr = B->sp_rp[s + 1] - B->sp_rp[s], k0;
    const int *rows = B->sp_rows + B->sp_rp[s];
    double *blk = B->sp_val + B->sp_off[s], *pack = B->pack;
    int *rel = B->sp_rel;
    if (nc == mr && mr <= 48) return lmm_chol(mr, blk, mr) != 0;   /* the last supernode, dense and small */
    for (k0 = 0; k0 < nc; k0 += LMM__NB) {
        int kb = nc - k0 < LMM__NB ? nc - k0 : LMM__NB, p0 = k0 + kb, m2 = mr - p0, j0, g0, g1;
        double *d = blk + (size_t)k0 * mr + k0;
        if (lmm_chol(kb, d, mr) != 0) return 1;
        lmm__panel_solve_pack(kb, d, mr, d + kb, m2, pack);   /* pack row i: supernode row p0 + i */
        /* OpenMP: by tile columns, each output computed alike whatever the threads */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if ((double)kb * (nc - p0) * m2 >= 4e6)
#endif
        for (j0 = 0; j0 < nc - p0; j0 += LMM__NR) {            /* the supernode's later columns */
            int nn = nc - p0 - j0 < LMM__NR ? nc - p0 - j0 : LMM__NR, i0;
            for (i0 = j0 - j0 % LMM__MR; i0 < m2; i0 += LMM__MR)
                lmm__syrk_tile(pack, kb, i0, j0, m2 - i0 < LMM__MR ? m2 - i0 : LMM__MR, nn,
                                     blk + (size_t)(p0 + j0) * mr + p0 + i0, mr, i0 < j0 + LMM__NR);
        }
        for (g0 = nc; g0 < mr; g0 = g1) {                      /* the later supernodes */
            int t = B->sp_snof[rows[g0]], ft = B->sp_first[t], lt = B->sp_first[t + 1], mt = B->sp_rp[t + 1] - B->sp_rp[t], i;
            double *tb = B->sp_val + B->sp_off[t];
            for (g1 = g0; g1 < mr && rows[g1] < lt; g1++) {}
            lmm__sparse_map(B, t);
            for (i = g0; i < mr; i++) rel[i - p0] = B->sp_map[rows[i]];
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if ((double)kb * (g1 - g0) * (mr - g0) >= 4e6)
#endif
            for (j0 = (g0 - p0) - (g0 - p0) % LMM__NR; j0 < g1 - p0; j0 += LMM__NR) {   /* tiles' columns stay in a slab */
                int nn = g1 - p0 - j0 < LMM__NR ? g1 - p0 - j0 : LMM__NR, y0 = j0 < g0 - p0 ? g0 - p0 - j0 : 0, y, i0;
                size_t colpos[LMM__NR];
                for (y = y0; y < nn; y++) colpos[y] = (size_t)(rows[p0 + j0 + y] - ft) * mt;
                for (i0 = j0 - j0 % LMM__MR; i0 < m2; i0 += LMM__MR)
                    lmm__syrk_tile_to(pack, kb, i0, j0, m2 - i0 < LMM__MR ? m2 - i0 : LMM__MR, y0, nn, tb, rel, colpos,
                                      i0 < j0 + LMM__NR);
            }
        }
    }
    return 0;
}

/* The objective's factor on the sparse path (lmm__blocks): S assembled into
   the supernodes in factor order (or built dense and gathered), then each
   supernode factored in place, its update written into the later supernodes
   (lmm__sparse_supernode). L21 and L11 as lmm__factor_dense leaves them. */
static int lmm__factor_sparse(lmm_model *m, const double *theta)
{
    lmm__blocks *B = m->blk_;
    int r = B->r, s, c, i, j;
    const int *perm = B->sp_perm;
    double *F = B->L22;
    if (B->sp_ncls) {                            /* S straight into the supernodes, by classes */
        double *scale = B->work, t2, *w = B->sp_cls_a + B->sp_ncls;
        if (lmm__factor_first(m, theta, 0) != 0) return 1;
        t2 = B->T[B->T_offset[0]] * B->T[B->T_offset[0]];
        for (c = 0; c < B->sp_ncls; c++) w[c] = t2 / (t2 * B->sp_cls_a[c] + 1.0);
        for (c = 0; c < r; c++) scale[c] = lmm__rest_scale(B, perm[c]);
        lmm__sparse_classes_tail(B);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 8) if (r >= 256)
#endif
        for (j = 0; j < r; j++) lmm__sparse_classes_col(B, j, scale);
    } else if (B->sp_pr) {                       /* S straight into the supernodes */
        double *scale = B->work;                 /* Lambda_r's diagonal in factor order */
        if (lmm__factor_first(m, theta, 0) != 0) return 1;
        for (c = 0; c < r; c++) scale[c] = lmm__rest_scale(B, perm[c]);
        /* column by column (OpenMP: columns are independent, each summed
           alike whatever the threads) */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 8) if (r >= 256)
#endif
        for (j = 0; j < r; j++) lmm__sparse_pairs_col(B, j, scale);
    } else {                                     /* S in L22, then gathered */
        if (lmm__schur_build(m, theta, 1) != 0) return 1;
        for (s = 0; s < B->sp_nsn; s++) {
            int f = B->sp_first[s], nc = B->sp_first[s + 1] - f, mr = B->sp_rp[s + 1] - B->sp_rp[s];
            const int *rows = B->sp_rows + B->sp_rp[s];
            double *blk = B->sp_val + B->sp_off[s];
            for (c = 0; c < nc; c++) {
                int oc = perm[f + c];
                double *dst = blk + (size_t)c * mr;
                for (i = c; i < mr; i++) {
                    int orow = perm[rows[i]];
                    dst[i] = orow >= oc ? F[(size_t)oc * r + orow] : F[(size_t)orow * r + oc];
                }
            }
        }
    }
    for (s = 0; s < B->sp_nsn; s++)
        if (lmm__sparse_supernode(B, s) != 0) return 1;
    return 0;
}

/* The sparse factor's last supernode when it is the dense trailing block
   holding every X and y column (rows = columns, from its first column f):
   the estimates read R_X and the y row there. 0 when it is not. */
static int lmm__sparse_tail_block(const lmm__blocks *B, const double **blk, int *f, int *mr)
{
    int s = B->sp_nsn - 1;
    if (s < 0 || B->sp_first[s] > B->qr || B->sp_rp[s + 1] - B->sp_rp[s] != B->r - B->sp_first[s]) return 0;
    *blk = B->sp_val + B->sp_off[s];
    *f = B->sp_first[s];
    *mr = B->r - *f;
    return 1;
}

/* The sparse factor (factor order) written into L22's lower triangle, zero
   off its pattern, for the dense solves of the estimates. */
static void lmm__sparse_to_dense(lmm__blocks *B)
{
    int r = B->r, s, c, i;
    for (c = 0; c < r; c++) memset(B->L22 + (size_t)c * r + c, 0, (size_t)(r - c) * sizeof(double));
    for (s = 0; s < B->sp_nsn; s++) {
        int f = B->sp_first[s], nc = B->sp_first[s + 1] - f, mr = B->sp_rp[s + 1] - B->sp_rp[s];
        const int *rows = B->sp_rows + B->sp_rp[s];
        const double *blk = B->sp_val + B->sp_off[s];
        for (c = 0; c < nc; c++)
            for (i = c; i < mr; i++) B->L22[(size_t)(f + c) * r + rows[i]] = blk[(size_t)c * mr + i];
    }
}

/* The objective's factor by classes (lmm__blocks): L22 as lmm__factor_dense
   leaves it, L11 only when full (the criterion reads the classes' blocks);
   L21 is not formed (lmm__factor_at does when asked). */
/* dst[i] = src[i] - w0 x[0][i] - ... - w7 x[7][i], the terms in that order and
   fused where FMA is (one instruction a term: the class sums' inner loop), four
   rows at a time with the loads ahead of the stores (src may be dst). */
static void lmm__sub8(int n, const double *w, const double *const *x, const double *src, double *dst)
{
    const double *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3], *x4 = x[4], *x5 = x[5], *x6 = x[6], *x7 = x[7];
    double w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7];
    int i = 0;
#define LMM__T8(i) LMM__MADD(-x7[i], w7, LMM__MADD(-x6[i], w6, LMM__MADD(-x5[i], w5, LMM__MADD(-x4[i], w4, \
                   LMM__MADD(-x3[i], w3, LMM__MADD(-x2[i], w2, LMM__MADD(-x1[i], w1, LMM__MADD(-x0[i], w0, src[i]))))))))
    for (; i + 4 <= n; i += 4) {
        double d0 = LMM__T8(i), d1 = LMM__T8(i + 1), d2 = LMM__T8(i + 2), d3 = LMM__T8(i + 3);
        dst[i] = d0; dst[i + 1] = d1; dst[i + 2] = d2; dst[i + 3] = d3;
    }
    for (; i < n; i++) dst[i] = LMM__T8(i);
#undef LMM__T8
}

/* dst[i] *= scale[i] * sc, four at a time (the rounding of lmm__rest_congruence's loop). */
static void lmm__scale_rows(int n, double sc, const double *scale, double *dst)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        double d0 = dst[i] * (scale[i] * sc), d1 = dst[i + 1] * (scale[i + 1] * sc);
        double d2 = dst[i + 2] * (scale[i + 2] * sc), d3 = dst[i + 3] * (scale[i + 3] * sc);
        dst[i] = d0; dst[i + 1] = d1; dst[i + 2] = d2; dst[i + 3] = d3;
    }
    for (; i < n; i++) dst[i] *= scale[i] * sc;
}

static int lmm__factor_classes(lmm_model *m, const double *theta, int full)
{
    lmm__blocks *B = m->blk_;
    int r = B->r, p1 = B->p1, pp = p1 * p1, npair = p1 * (p1 + 1) / 2, c, col, i, j, a, b, x, y, k, nw, g;
    size_t rr = (size_t)r * r;
    const double *T1;
    double G[64], *M = B->cls_M;   /* G: p1 x p1 scratch, p1 <= 8 (lmm__classes_plan) */
    const double *xs[8];
    lmm__set_templates(m, theta);
    T1 = B->T + B->T_offset[0];
    for (c = 0; c < B->ncls; c++) {
        const double *D = B->cls_d + (size_t)c * pp;
        double *L = B->cls_L + (size_t)c * pp, *Mc = M + (size_t)c * pp;
        for (a = 0; a < p1; a++)               /* K = T1' D T1 + I (T1 lower triangular) */
            for (b = 0; b < p1; b++) {
                double sum = 0;
                for (x = a; x < p1; x++)
                    for (y = b; y < p1; y++) sum += T1[x + a * p1] * D[x + y * p1] * T1[y + b * p1];
                L[a + b * p1] = sum + (a == b ? 1.0 : 0.0);
            }
        if (lmm_chol(p1, L, p1) != 0) return 1;
        for (i = 0; i < p1; i++)               /* G = T1 L^{-T}: row i solves G_i L' = T1_i */
            for (a = 0; a < p1; a++) {
                double v = a <= i ? T1[i + a * p1] : 0.0;
                for (b = 0; b < a; b++) v -= G[i + b * p1] * L[a + b * p1];
                G[i + a * p1] = v / L[a + a * p1];
            }
        for (a = 0; a < p1; a++)               /* M = G G' */
            for (b = 0; b < p1; b++) {
                double v = 0;
                for (k = 0; k < p1; k++) v += G[a + k * p1] * G[b + k * p1];
                Mc[a + b * p1] = v;
            }
    }
    if (full)                                  /* the criterion reads the classes' (lmm__factor_summary) */
        for (j = 0; j < B->l1; j++) memcpy(B->L11 + (size_t)j * pp, B->cls_L + (size_t)B->cls_of[j] * pp, (size_t)pp * sizeof(double));
    /* Lambda_r' (A22 - sum_c sum_{a<=b} M_c[a,b] S_c^ab) Lambda_r + I: the nonzero
       weights first, then four sums per pass over L22 (one load and store of it per four) */
    for (c = 0, nw = 0; c < B->ncls; c++)
        for (a = 0, k = 0; a < p1; a++)
            for (b = a; b < p1; b++, k++) {
                double w = M[(size_t)c * pp + a + b * p1];
                if (w == 0.0) continue;
                B->cls_w[nw] = w;
                B->cls_S[nw++] = B->cls_C + ((size_t)c * npair + k) * rr;
            }
    for (g = nw; nw > 4 && g % 8; g++) { B->cls_w[g] = 0.0; B->cls_S[g] = B->cls_S[0]; }   /* a last group of eight, zeros padding it */
    if (nw > 4) nw = g;
    if (B->diag_rest) for (col = 0; col < r; col++) B->rowscale[col] = lmm__rest_scale(B, col);
    for (col = 0; col < r; col++) {
        size_t o = (size_t)col * r + col;
        const double *src = B->A22 + o;
        double *dst = B->L22 + o;
        for (g = 0; g + 8 <= nw; g += 8, src = dst) {
            for (k = 0; k < 8; k++) xs[k] = B->cls_S[g + k] + o;
            lmm__sub8(r - col, B->cls_w + g, xs, src, dst);
        }
        if (src != dst) memcpy(dst, src, (size_t)(r - col) * sizeof(double));
        for (; g < nw; g++) lmm__axpy_sub(r - col, B->cls_w[g], B->cls_S[g] + o, dst);
        if (B->diag_rest) {                      /* lmm__rest_congruence's diagonal case, column by column while it is at hand */
            lmm__scale_rows(r - col, B->rowscale[col], B->rowscale + col, dst);
            if (col < B->qr) dst[0] += 1.0;
        }
    }
    if (!B->diag_rest) lmm__rest_congruence(m, 0);
    return lmm__chol_blocked(r, B->L22, r, B->pack, 1) != 0;
}

/* THE factor of the model at theta, on the path lmm__choose_path chose.
   full = 0: what the criterion reads (L11, and L22's diagonal: dense, or in
   the supernodes); full = 1: also what the estimates read, L21 on every path
   and L22 dense in its lower triangle (factor order on the sparse path).
   Returns 0, or nonzero when the system is not positive definite. */
static int lmm__factor_at(lmm_model *m, const double *theta, int full)
{
    lmm__blocks *B = m->blk_;
    if (B->path == LMM__PATH_CLASSES) {
        if (lmm__factor_classes(m, theta, full) != 0) return 1;
        if (full) lmm__factor_l21(m, 0);
        return 0;
    }
    if (B->path == LMM__PATH_SPARSE) {
        const double *blk;
        int f, mr;
        if (lmm__factor_sparse(m, theta) != 0) return 1;
        if (full && !lmm__sparse_tail_block(B, &blk, &f, &mr)) lmm__sparse_to_dense(B);   /* else the estimates solve on the supernodes */
        return 0;
    }
    return lmm__factor_dense(m, theta, full);
}

/* ---- 7. objective ------------------------------------------------------- */
/* The profiled REML criterion or deviance, read off the factor's diagonal. */

/* Add log(d) to *s through a running product (one log call per many factors). */
static void lmm__log_acc(double *s, double *prod, double d)
{
    if (d > 1e100 || d < 1e-100) { *s += log(d); return; }
    *prod *= d;
    if (*prod > 1e150 || *prod < 1e-150) { *s += log(*prod); *prod = 1.0; }
}

/* Diagonal entry k of values stored in the supernodes' layout (sp_val, sp_z). */
static double lmm__sparse_diag(const lmm__blocks *B, const double *vals, int k)
{
    int s = B->sp_snof[k], f = B->sp_first[s], mr = B->sp_rp[s + 1] - B->sp_rp[s];
    return vals[B->sp_off[s] + (size_t)(k - f) * mr + (k - f)];
}

/* Diagonal entry k of the rest block's factor, on the dense or the sparse path. */
static double lmm__rest_diag(const lmm__blocks *B, int sparse, int k)
{
    return sparse ? lmm__sparse_diag(B, B->sp_val, k) : B->L22[(size_t)k * B->r + k];
}

/* log|L|^2 over the random effects, log|R_X|^2, and pwrss from the factor. */
static void lmm__factor_summary(const lmm_model *m, int sparse, double *ldL2, double *ldRX2, double *pwrss)
{
    const lmm__blocks *B = m->blk_;
    int j, a, r = B->r;
    double s = 0, sx = 0, ps = 1, px = 1, last;
    if (B->path == LMM__PATH_CLASSES)            /* levels of a class share their block: its log-determinant times their count */
        for (j = 0; j < B->ncls; j++) {
            double d = 1;
            for (a = 0; a < B->p1; a++) d *= B->cls_L[(size_t)j * B->p1 * B->p1 + a * (B->p1 + 1)];
            s += B->cls_cnt[j] * log(d);
        }
    else
        for (j = 0; j < B->l1; j++)
            for (a = 0; a < B->p1; a++) lmm__log_acc(&s, &ps, B->L11[(size_t)j * B->p1 * B->p1 + a * (B->p1 + 1)]);
    for (j = 0; j < B->qr; j++) lmm__log_acc(&s, &ps, lmm__rest_diag(B, sparse, j));
    for (j = B->qr; j < r - 1; j++) lmm__log_acc(&sx, &px, lmm__rest_diag(B, sparse, j));
    s += log(ps); sx += log(px);
    last = lmm__rest_diag(B, sparse, r - 1);
    *ldL2 = 2 * s; *ldRX2 = 2 * sx; *pwrss = last * last;
}

/* The REML criterion (reml) or deviance from the factor's summary. */
static double lmm__criterion(const lmm_model *m, double ldL2, double ldRX2, double pwrss, int reml)
{
    double n = m->nobs, p = m->X->ncol;
    const double two_pi = 6.283185307179586476925286766559;
    double c;
    if (reml) c = ldL2 + ldRX2 + (n - p) * (1.0 + log(two_pi * pwrss / (n - p)));
    else c = ldL2 + n * (1.0 + log(two_pi * pwrss / n));
    return m->sqrtw_ ? c - m->ldw_ : c;   /* the weights' log-determinant, lme4's ldW */
}

LMM_API double lmm_model_objective(lmm_model *m, const double *theta, int reml)
{
    double ldL2, ldRX2, pwrss;
    int k;
    for (k = 0; k < m->ntheta; k++) if (isnan(theta[k])) return HUGE_VAL;
    if (m->blk_->y_exact) return HUGE_VAL;
    if (lmm__factor_at(m, theta, 0) != 0) return HUGE_VAL;
    lmm__factor_summary(m, m->blk_->path == LMM__PATH_SPARSE, &ldL2, &ldRX2, &pwrss);
    if (!(pwrss > 0)) return HUGE_VAL;
    return lmm__criterion(m, ldL2, ldRX2, pwrss, reml);
}

/* ---- 8. model build ----------------------------------------------------- */
/* A model from formula and frame: term order, names, lme4's identifiability checks, blocks. */

/* Sort terms by decreasing number of levels (stable), then lay out u and theta. */
static void lmm__order_terms(lmm_model *m)
{
    int k, j, off = 0, toff = 0;
    for (k = 1; k < m->nterms; k++) {
        lmm_reterm t = m->terms[k];
        for (j = k; j > 0 && m->terms[j - 1].nlevels < t.nlevels; j--) m->terms[j] = m->terms[j - 1];
        m->terms[j] = t;
    }
    for (k = 0; k < m->nterms; k++) {
        lmm_reterm *t = &m->terms[k];
        t->u_offset = off; off += t->nlevels * t->ncol;
        t->theta_offset = toff; t->ntheta = t->ncol * (t->ncol + 1) / 2; toff += t->ntheta;
    }
    m->q = off; m->ntheta = toff;
}

/* lme4's names of the variance components and of theta, and theta's lower bounds. */
static lmm_status lmm__model_names(lmm_model *m, lmm_error *err)
{
    int k, i, j, th = 0;
    m->theta_lower = LMM__NEW(double, m->ntheta);
    m->theta_names = LMM__ZNEW(char *, m->ntheta);
    if (!m->theta_lower || !m->theta_names) return lmm__nomem(err);
    for (k = 0; k < m->nterms; k++) {
        lmm_reterm *t = &m->terms[k];
        int same = 0;
        char suffix[16];
        for (j = 0; j < k; j++) if (strcmp(m->terms[j].group, t->group) == 0) same++;
        if (same) { snprintf(suffix, sizeof suffix, ".%d", same); t->vc_name = lmm__join3(t->group, "", suffix); }
        else t->vc_name = lmm__strdup(t->group);
        if (!t->vc_name) return lmm__nomem(err);
        for (j = 0; j < t->ncol; j++)
            for (i = j; i < t->ncol; i++) {
                char *a = lmm__join3(t->group, ".", t->colnames[i]), *s = a;
                if (a && i != j) { s = lmm__join3(a, ".", t->colnames[j]); LMM_FREE(a); }
                if (!s) return lmm__nomem(err);
                m->theta_names[th] = s;
                m->theta_lower[th++] = i == j ? 0.0 : -HUGE_VAL;
            }
    }
    return LMM_OK;
}

/* Check lme4's identifiability rules for each term. */
static lmm_status lmm__check_terms(const lmm_model *m, lmm_error *err)
{
    int k;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        if (t->nlevels < 2)
            return lmm__fail(err, LMM_ERR_DATA, "grouping factor '%s' must have more than one level (it has %d)", t->group, t->nlevels);
        if (m->family_ != LMM_FAMILY_GAUSSIAN) continue;   /* glmer ignores the checks against nobs */
        if (t->nlevels >= m->nobs)
            return lmm__fail(err, LMM_ERR_DATA, "number of levels of grouping factor '%s' (%d) must be less than the number of observations (%d)",
                             t->group, t->nlevels, m->nobs);
        if (t->nlevels * t->ncol >= m->nobs)
            return lmm__fail(err, LMM_ERR_DATA, "number of observations (%d) <= number of random effects (%d) for term (%s | %s); the random-effects parameters and the residual variance are probably unidentifiable",
                             m->nobs, t->nlevels * t->ncol, t->ncol == 1 ? t->colnames[0] : "...", t->group);
    }
    return LMM_OK;
}

/* Finish a model whose X, terms, y and rows are set: names, order, blocks. */
static lmm_status lmm__model_finish(lmm_model *m, lmm_error *err)
{
    lmm_status st;
    if (m->nterms < 1) return lmm__fail(err, LMM_ERR_FORMULA, "no random-effects terms in the formula; a mixed model needs at least one (g | f) term (use lm for a fixed-effects model)");
    if (m->X->ncol >= m->nobs) return lmm__fail(err, LMM_ERR_DATA, "%d fixed effects but only %d observations", m->X->ncol, m->nobs);
    lmm__order_terms(m);
    if ((st = lmm__check_terms(m, err)) != LMM_OK) return st;
    if ((st = lmm__model_names(m, err)) != LMM_OK) return st;
    if ((st = lmm__blocks_setup(m, err)) != LMM_OK) return st;
    return lmm_model_set_response(m, m->y, err);
}

/* The model's weights (with sqrt and sum of logs) and offset from the options, at m->rows. */
static lmm_status lmm__model_weights_offset(lmm_model *m, const lmm_frame *df, const lmm_formula *f,
                                            const lmm_model_options *mo, lmm_error *err)
{
    int n = m->nobs, i, k, given;
    lmm_status st;
    if (!(m->weights = LMM__NEW(double, n + 1)) || !(m->offset = LMM__NEW(double, n + 1))) return lmm__nomem(err);
    if ((st = lmm__model_input(df, "weights", mo->weights_column, mo->weights, m->rows, n, m->weights, &given, err)) != LMM_OK) return st;
    if (!given) { LMM_FREE(m->weights); m->weights = NULL; }
    else {
        if (mo->weights_column && !(m->weights_label = lmm__strdup(mo->weights_column))) return lmm__nomem(err);
        if ((st = lmm__check_weights(m->weights, m->rows, n, 0, err)) != LMM_OK) return st;
        if (!(m->sqrtw_ = LMM__NEW(double, n + 1))) return lmm__nomem(err);
        m->ldw_ = 0;
        for (i = 0; i < n; i++) { m->sqrtw_[i] = sqrt(m->weights[i]); m->ldw_ += log(m->weights[i]); }
    }
    if ((st = lmm__model_input(df, "offset", mo->offset_column, mo->offset, m->rows, n, m->offset, &given, err)) != LMM_OK) return st;
    if (given && mo->offset_column && !(m->offset_label = lmm__strdup(mo->offset_column))) return lmm__nomem(err);
    m->offset_vector_ = given && !mo->offset_column;
    if (!given && f->noffset == 0) { LMM_FREE(m->offset); m->offset = NULL; return LMM_OK; }
    if (!given) for (i = 0; i < n; i++) m->offset[i] = 0;
    if (f->noffset) {   /* offset(expr) terms add up, as in R */
        double *v = LMM__NEW(double, df->nrow + 1);
        if (!v) return lmm__nomem(err);
        for (k = 0; k < f->noffset; k++) {
            if ((st = lmm_expr_eval(f->offsets[k], df, v, err)) != LMM_OK) { LMM_FREE(v); return st; }
            for (i = 0; i < n; i++) {
                double o = v[m->rows[i]];
                if (!isfinite(o)) { LMM_FREE(v); return lmm__fail(err, LMM_ERR_DATA, "offset is not finite at row %d", m->rows[i] + 1); }
                m->offset[i] += o;
            }
        }
        LMM_FREE(v);
    }
    return LMM_OK;
}

/* fixed_only: a formula without random-effects terms, its model left unfinished (X, y,
   weights, offset, rows: what glm needs); a random-effects term is refused. */
static lmm_status lmm__model_build(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                   int fixed_only, lmm_model **out, lmm_error *err)
{
    lmm_formula *f = NULL;
    lmm__frame_eval fe;
    lmm_model_options mo;
    lmm_model *m;
    lmm_status st;
    int i, r;
    *out = NULL;
    if (!df || !formula) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_build: NULL argument");
    if ((st = lmm__model_options_resolve(opts, &mo, err)) != LMM_OK) return st;
    if ((st = lmm_formula_parse(formula, &f, err)) != LMM_OK) return st;
    if (f->response < 0) { lmm_formula_free(f); return lmm__fail(err, LMM_ERR_FORMULA, "formula has no response: write 'y ~ ...'"); }
    if ((st = lmm__frame_evaluate(df, f, 1, &fe, err)) != LMM_OK) { lmm_formula_free(f); return st; }
    if ((st = lmm__drop_missing_inputs(df, f, &mo, &fe, err)) != LMM_OK) { lmm__frame_eval_free(&fe); lmm_formula_free(f); return st; }
    m = LMM__ZNEW(lmm_model, 1);
    if (!m) { st = lmm__nomem(err); goto done; }
    m->nobs = fe.nobs;
    m->n_na_dropped = fe.n_dropped;
    m->family_ = mo.family;
    m->formula = lmm__strdup(formula);
    m->response = lmm__strdup(f->vars[f->response].label);
    m->rows = LMM__NEW(int, fe.nobs);
    m->y = LMM__NEW(double, fe.nobs);
    if (!m->formula || !m->response || !m->rows || !m->y) { st = lmm__nomem(err); goto done; }
    memcpy(m->rows, fe.rows, (size_t)fe.nobs * sizeof(int));
    if (fe.vars[f->response].is_factor) {
        st = lmm__fail(err, LMM_ERR_DATA, "response '%s' is not numeric", m->response);
        goto done;
    }
    for (i = 0; i < fe.nobs; i++) m->y[i] = fe.vars[f->response].num[fe.rows[i]];
    if ((st = lmm__model_weights_offset(m, df, f, &mo, err)) != LMM_OK) goto done;
    if ((st = lmm__build_matrix(f, &f->fixed, &fe, &mo, &m->X, err)) != LMM_OK) goto done;
    if ((st = lmm__drop_aliased(m->X, &m->n_aliased, &m->aliased, err)) != LMM_OK) goto done;
    m->nterms = f->nre;
    m->terms = LMM__ZNEW(lmm_reterm, f->nre ? f->nre : 1);
    if (!m->terms) { st = lmm__nomem(err); goto done; }
    for (r = 0; r < f->nre && st == LMM_OK; r++) {
        const lmm_reterm_spec *spec = &f->re[r];
        lmm_reterm *t = &m->terms[r];
        lmm__obsfactor g;
        lmm_matrix *zm = NULL;
        if ((st = lmm__grouping_factor(&fe, spec, &g, err)) != LMM_OK) break;
        t->nlevels = g.nlevels; t->levels = g.levels; t->codes = g.codes;
        if (!(t->group = lmm__strdup(spec->group_label))) { st = lmm__nomem(err); break; }
        if ((st = lmm__build_matrix(f, &spec->lhs, &fe, &mo, &zm, err)) != LMM_OK) break;
        if (zm->ncol == 0) { lmm_matrix_free(zm); st = lmm__fail(err, LMM_ERR_FORMULA, "random-effects term for '%s' has no columns", spec->group_label); break; }
        t->ncol = zm->ncol; t->colnames = zm->colnames; t->z = zm->v;
        zm->colnames = NULL; zm->v = NULL; zm->ncol = 0;
        lmm_matrix_free(zm);
        if (t->ncol > 32) { st = lmm__fail(err, LMM_ERR_FORMULA, "random-effects term for '%s' has more than 32 columns", t->group); break; }
    }
    if (st == LMM_OK && fixed_only && f->nre > 0)
        st = lmm__fail(err, LMM_ERR_FORMULA, "a glm formula has no random-effects terms (fit it with lmm_glmm_fit_formula)");
    else if (st == LMM_OK && !fixed_only) {
        lmm__frame_eval_free(&fe);       /* the blocks' build needs room more than these copies */
        st = lmm__model_finish(m, err);
    }
done:
    lmm__frame_eval_free(&fe);
    lmm_formula_free(f);
    if (st != LMM_OK) { lmm_model_free(m); return st; }
    *out = m;
    return LMM_OK;
}

LMM_API lmm_status lmm_model_build(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                   lmm_model **out, lmm_error *err)
{
    return lmm__model_build(df, formula, opts, 0, out, err);
}

/* ---- 9. estimates at theta ---------------------------------------------- */
/* Finalize (a)-(d): criteria and sigma, beta and vcov at any theta, modes, residuals. */

/* sigma^2 from the penalised RSS: over n - p for REML, n for ML. */
static double lmm__sigma2(const lmm_model *m, double pwrss, int reml)
{
    return pwrss / (reml ? (double)(m->nobs - m->X->ncol) : (double)m->nobs);
}

/* (a) The criterion, sigma and the information criteria of a fit from the
   factor in place at fit->theta; returns sigma^2. */
static double lmm__fit_criteria(lmm_fit *fit)
{
    const lmm_model *m = fit->model;
    int n = m->nobs, p = m->X->ncol;
    double ldL2, ldRX2, pwrss, s2;
    lmm__factor_summary(m, m->blk_->path == LMM__PATH_SPARSE, &ldL2, &ldRX2, &pwrss);
    fit->pwrss = pwrss;
    fit->criterion = lmm__criterion(m, ldL2, ldRX2, pwrss, fit->reml);
    fit->deviance = lmm__criterion(m, ldL2, ldRX2, pwrss, 0);
    s2 = lmm__sigma2(m, pwrss, fit->reml);
    fit->sigma = sqrt(s2);
    fit->loglik = -fit->criterion / 2;
    fit->df = p + m->ntheta + 1;
    fit->aic = fit->criterion + 2.0 * fit->df;
    fit->bic = fit->criterion + log((double)n) * fit->df;
    return s2;
}

/* (b) beta for the shifted response (lmm_model_set_response; add beta0 for
   the model's) and, unless vcov is NULL, vcov = s2 (R_X' R_X)^{-1}, from a
   full factor (lmm__factor_at). */
static void lmm__beta_from_factor(const lmm_model *m, double s2, double *beta, double *vcov)
{
    const lmm__blocks *B = m->blk_;
    int p = m->X->ncol, r = B->r, qr = B->qr, a, c, ld = r, f = 0;
    const double *Lxx = B->L22 + (size_t)qr * r + qr, *ylast = B->L22 + (r - 1), *blk;
    double *w = B->work;
    if (B->path == LMM__PATH_SPARSE && lmm__sparse_tail_block(B, &blk, &f, &ld)) {   /* on the supernodes */
        Lxx = blk + (size_t)(qr - f) * ld + (qr - f);
        ylast = blk + (r - 1 - f);
    } else
        f = 0;
    /* last row of the factor: (c_u1 | c_ur, c_beta | r); beta = Lxx^{-T} c_beta */
    for (a = 0; a < p; a++) beta[a] = ylast[(size_t)(qr + a - f) * ld];
    lmm_trsv_lower(p, Lxx, ld, beta, 1);
    if (!vcov) return;
    /* vcov = s2 * Lxx^{-T} Lxx^{-1}: columns of Lxx^{-1} then products */
    for (a = 0; a < p; a++) {
        for (c = 0; c < p; c++) w[c] = c == a ? 1.0 : 0.0;
        lmm_trsv_lower(p, Lxx, ld, w, 0);
        lmm_trsv_lower(p, Lxx, ld, w, 1);
        for (c = 0; c < p; c++) vcov[a * p + c] = s2 * w[c];
    }
}

/* (b) beta, vcov and sigma at any theta (the profiled GLS estimates given
   theta): what lmm_model_beta_at returns. Allocates nothing. */
static lmm_status lmm__beta_at(lmm_model *m, const double *theta, int reml, double *beta, double *vcov,
                               double *sigma, lmm_error *err)
{
    const lmm__blocks *B = m->blk_;
    int p = m->X->ncol, a;
    double ldL2, ldRX2, pwrss, s2;
    if (lmm__factor_at(m, theta, 1) != 0)
        return lmm__fail(err, LMM_ERR_NUMERIC, "the system is not positive definite at this theta");
    lmm__factor_summary(m, B->path == LMM__PATH_SPARSE, &ldL2, &ldRX2, &pwrss);
    s2 = lmm__sigma2(m, pwrss, reml);
    lmm__beta_from_factor(m, s2, beta, vcov);
    for (a = 0; a < p; a++) beta[a] += B->beta0[a];
    if (sigma) *sigma = sqrt(s2);
    return LMM_OK;
}

LMM_API lmm_status lmm_model_beta_at(lmm_model *m, const double *theta, int reml, double *beta, double *vcov,
                                     double *sigma, lmm_error *err)
{
    int k;
    if (!m || !m->blk_ || !theta || !beta) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_beta_at: NULL argument");
    for (k = 0; k < m->ntheta; k++)
        if (!isfinite(theta[k])) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_beta_at: theta[%d] is not finite", k);
    return lmm__beta_at(m, theta, reml, beta, vcov, sigma, err);
}

/* (b2) The unprofiled deviance's pieces at theta, for @infer's derivatives:
   d[0] = log|L|^2, d[1] = log|R_X|^2, d[2] = pwrss, and unscaled (p x p) =
   (X'V^-1 X)^-1 / sigma^2 (beta: p scratch). Nonzero where not positive definite. */
static int lmm__pieces_at(lmm_model *m, const double *theta, double *d, double *beta, double *unscaled)
{
    if (lmm__factor_at(m, theta, 1) != 0) return 1;
    lmm__factor_summary(m, m->blk_->path == LMM__PATH_SPARSE, &d[0], &d[1], &d[2]);
    lmm__beta_from_factor(m, 1.0, beta, unscaled);
    return 0;
}

/* (c) The conditional modes from a full factor and fit->beta for the shifted
   response: the rest part solves Lrr' u_r = c_ur - Lxr' beta, then
   L11' u_1 = c_u1 - L21r' u_r level by level; b = Lambda u. */
static void lmm__fit_modes(lmm_fit *fit)
{
    lmm_model *m = fit->model;
    lmm__blocks *B = m->blk_;
    int p = m->X->ncol, r = B->r, qr = B->qr, p1 = B->p1, i, j, a, k, c, f, mr;
    const double *ylast = B->L22 + (r - 1), *blk;
    double *w = B->work;
    if (B->path == LMM__PATH_SPARSE && lmm__sparse_tail_block(B, &blk, &f, &mr)) {
        int s, nt = r - qr;                      /* Lrr' u_r = c_ur - Lxr' beta on the supernodes, from the last column */
        for (s = B->sp_nsn - 1; s >= 0; s--) {
            int fs = B->sp_first[s], nc = B->sp_first[s + 1] - fs, ms = B->sp_rp[s + 1] - B->sp_rp[s];
            const int *rows = B->sp_rows + B->sp_rp[s];
            for (c = nc - 1; c >= 0; c--) {
                const double *col = B->sp_val + B->sp_off[s] + (size_t)c * ms;
                double sum;
                if (fs + c >= qr) continue;
                sum = col[ms - 1];               /* the y row, then the X rows, end every supernode's list */
                for (a = 0; a < p; a++) sum -= col[ms - nt + a] * fit->beta[a];
                for (i = c + 1; i < ms && rows[i] < qr; i++) sum -= col[i] * w[rows[i]];
                w[fs + c] = sum / col[c];
            }
        }
        for (j = 0; j < qr; j++) fit->u[B->q1 + B->sp_perm[j]] = w[j];
    } else {                                     /* on L22, dense or the sparse factor's copy */
        for (j = 0; j < qr; j++) {
            double s = ylast[(size_t)j * r];
            for (a = 0; a < p; a++) s -= B->L22[(size_t)j * r + qr + a] * fit->beta[a];
            fit->u[B->q1 + j] = s;
        }
        lmm_trsv_lower(qr, B->L22, r, fit->u + B->q1, 1);
        if (B->path == LMM__PATH_SPARSE) {       /* factor order back to the model's */
            memcpy(w, fit->u + B->q1, (size_t)qr * sizeof(double));
            for (j = 0; j < qr; j++) fit->u[B->q1 + B->sp_perm[j]] = w[j];
        }
    }
    for (j = 0; j < B->l1; j++) {
        const int *rows = B->ri + B->cp[j];
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        for (c = 0; c < p1; c++) {
            const double *col = B->L21 + B->cp[j] * p1 + (size_t)c * nj;
            double s = col[nj - 1];              /* the y row */
            for (i = 0; i < nj - 1; i++)
                s -= col[i] * (rows[i] < qr ? fit->u[B->q1 + rows[i]] : fit->beta[rows[i] - qr]);
            fit->u[j * p1 + c] = s;
        }
    }
    for (j = 0; j < B->l1; j++) lmm_trsv_lower(p1, B->L11 + (size_t)j * p1 * p1, p1, fit->u + j * p1, 1);
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        const double *T = B->T + B->T_offset[k];
        for (j = 0; j < t->nlevels; j++) {
            const double *u = fit->u + t->u_offset + j * t->ncol;
            double *b = fit->b + t->u_offset + j * t->ncol;
            for (a = 0; a < t->ncol; a++) {
                double s = 0;
                for (c = 0; c <= a; c++) s += T[a + c * t->ncol] * u[c];
                b[a] = s;
            }
        }
    }
}

/* (d) Fitted values X beta + Z b, residuals and the scaled residuals' quantiles. */
/* R's type-7 quantiles of a[0..n) (rearranged) at increasing probs: each
   selection runs only on the part above the previous one's index (every
   bootstrap refit computes the residuals' five). */
static void lmm__quantiles7_sorted_probs(double *a, int n, const double *probs, int nprobs, double *out)
{
    int k, i, from = 0;
    for (k = 0; k < nprobs; k++) {
        double h = (n - 1) * probs[k], next;
        int lo = (int)floor(h);
        if (lo < from) from = 0;                 /* probs out of order: the whole array */
        if (from == 0) { out[k] = lmm__quantile7_select(a, n, probs[k]); from = lo; continue; }
        lmm__select(a + from, n - from, lo - from);
        from = lo;
        if (lo >= n - 1 || h == lo) { out[k] = a[lo]; continue; }
        for (next = a[lo + 1], i = lo + 2; i < n; i++) if (a[i] < next) next = a[i];
        out[k] = a[lo] + (h - lo) * (next - a[lo]);
    }
}

static void lmm__fit_residuals(lmm_fit *fit)
{
    const lmm_model *m = fit->model;
    int n = m->nobs, p = m->X->ncol, i, a, k, c;
    double *sr = fit->work_ + fit->optim_work_;
    static const double probs[5] = { 0, 0.25, 0.5, 0.75, 1 };
    double *f = fit->fitted;
    /* X beta by columns, four a pass (each row's sum in the order a = 0, 1, ..., as row by row) */
    for (i = 0; i < n; i++) f[i] = 0.0;
    for (a = 0; a + 4 <= p; a += 4) {
        const double *x0 = m->X->v + (size_t)a * n, *x1 = x0 + n, *x2 = x1 + n, *x3 = x2 + n;
        double b0 = fit->beta[a], b1 = fit->beta[a + 1], b2 = fit->beta[a + 2], b3 = fit->beta[a + 3];
#define LMM__XB4(i) (f[i] + x0[i] * b0 + x1[i] * b1 + x2[i] * b2 + x3[i] * b3)
        for (i = 0; i + 4 <= n; i += 4) {        /* four rows, loads ahead of the stores (f may alias X for all the compiler knows) */
            double d0 = LMM__XB4(i), d1 = LMM__XB4(i + 1), d2 = LMM__XB4(i + 2), d3 = LMM__XB4(i + 3);
            f[i] = d0; f[i + 1] = d1; f[i + 2] = d2; f[i + 3] = d3;
        }
        for (; i < n; i++) f[i] = LMM__XB4(i);
#undef LMM__XB4
    }
    for (; a < p; a++) {
        const double *xa = m->X->v + (size_t)a * n;
        double ba = fit->beta[a];
        for (i = 0; i < n; i++) f[i] += xa[i] * ba;
    }
    for (i = 0; i < n; i++) {
        double fi = f[i];
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            const double *b = fit->b + t->u_offset + t->codes[i] * t->ncol;
            for (c = 0; c < t->ncol; c++) fi += t->z[(size_t)c * n + i] * b[c];
        }
        if (m->offset) fi += m->offset[i];
        f[i] = fi;
        fit->resid[i] = m->y[i] - fi;
    }
    /* lme4's resid() is y - fitted; summary's scaled residuals are Pearson's, sqrt(w) (y - fitted) / sigma */
    if (m->sqrtw_) for (i = 0; i < n; i++) sr[i] = m->sqrtw_[i] * fit->resid[i] / fit->sigma;
    else for (i = 0; i < n; i++) sr[i] = fit->resid[i] / fit->sigma;
    lmm__quantiles7_sorted_probs(sr, n, probs, 5, fit->resid_quantiles);
}

/* ---- 10. conditional variances and finalize ----------------------------- */
/* Finalize (e), the conditional SDs (dense and sparse side by side), and lmm__finalize. */

/* Selected inversion: Z = (L L')^{-1} for the random-effects part L of the
   sparse factor, on L's pattern only (every entry the conditional variances
   read: a first-term level's rows form a clique there). Supernodes from the
   last: with W = L_B L_D^{-1} (B: the supernode's rows below its columns),
   Z_BD = -Z_BB W and Z_DD = (L_D L_D')^{-1} + W' Z_BB W, Z_BB already known.
   L22's storage is the scratch. Returns 0, or nonzero when out of memory. */
static int lmm__sparse_selinv(lmm__blocks *B)
{
    int qr = B->qr, s, a, i, k;
    if (!B->sp_z && !(B->sp_z = LMM__NEW(double, B->sp_off[B->sp_nsn] + 1))) return 1;
    for (s = B->sp_nsn - 1; s >= 0; s--) {
        int f = B->sp_first[s], nc = B->sp_first[s + 1] - f, mr = B->sp_rp[s + 1] - B->sp_rp[s];
        int c = (f + nc <= qr ? nc : qr - f), b = 0, cur = -1;
        const int *rows = B->sp_rows + B->sp_rp[s];
        const double *Ls = B->sp_val + B->sp_off[s];
        double *Zs = B->sp_z + B->sp_off[s], *G, *W, *Tm, *Di;
        if (c <= 0) continue;                    /* the X and y columns */
        if (nc == c) while (nc + b < mr && rows[nc + b] < qr) b++;
        G = B->L22; W = G + (size_t)b * b; Tm = W + (size_t)b * c; Di = Tm + (size_t)b * c;
        for (i = 0; i < b; i++) {                /* W = L_B L_D^{-1}, row by row */
            for (a = c - 1; a >= 0; a--) {
                double v = Ls[(size_t)a * mr + nc + i];
                for (k = a + 1; k < c; k++) v -= W[i + (size_t)k * b] * Ls[(size_t)a * mr + k];
                W[i + (size_t)a * b] = v / Ls[(size_t)a * mr + a];
            }
        }
        for (k = 0; k < b; k++) {                /* G = Z_BB from the later supernodes */
            int col = rows[nc + k], t = B->sp_snof[col], mt = B->sp_rp[t + 1] - B->sp_rp[t];
            const double *zc = B->sp_z + B->sp_off[t] + (size_t)(col - B->sp_first[t]) * mt;
            if (t != cur) lmm__sparse_map(B, cur = t);
            for (i = k; i < b; i++) G[i + (size_t)k * b] = G[k + (size_t)i * b] = zc[B->sp_map[rows[nc + i]]];
        }
        for (a = 0; a < c; a += 4) {             /* Tm = G W, four columns per pass over G; Z_BD = -Tm */
            int na = c - a < 4 ? c - a : 4, y;
            for (y = 0; y < na; y++) memset(Tm + (size_t)(a + y) * b, 0, (size_t)b * sizeof(double));
            k = 0;
            if (na == 4)                         /* four k a pass, each sum in a register: the same terms in the same order */
                for (; k + 4 <= b; k += 4) {
                    const double *g0 = G + (size_t)k * b, *g1 = g0 + b, *g2 = g1 + b, *g3 = g2 + b;
                    const double *wa = W + k + (size_t)a * b;
                    double *t0 = Tm + (size_t)a * b, *t1 = t0 + b, *t2 = t1 + b, *t3 = t2 + b;
                    double w00 = wa[0], w01 = wa[1], w02 = wa[2], w03 = wa[3], w10 = wa[b], w11 = wa[b + 1], w12 = wa[b + 2], w13 = wa[b + 3];
                    double w20 = wa[2 * b], w21 = wa[2 * b + 1], w22 = wa[2 * b + 2], w23 = wa[2 * b + 3];
                    double w30 = wa[3 * b], w31 = wa[3 * b + 1], w32 = wa[3 * b + 2], w33 = wa[3 * b + 3];
                    for (i = 0; i < b; i++) {
                        double x0 = g0[i], x1 = g1[i], x2 = g2[i], x3 = g3[i], s0 = t0[i], s1 = t1[i], s2 = t2[i], s3 = t3[i];
                        s0 += x0 * w00; s0 += x1 * w01; s0 += x2 * w02; s0 += x3 * w03;
                        s1 += x0 * w10; s1 += x1 * w11; s1 += x2 * w12; s1 += x3 * w13;
                        s2 += x0 * w20; s2 += x1 * w21; s2 += x2 * w22; s2 += x3 * w23;
                        s3 += x0 * w30; s3 += x1 * w31; s3 += x2 * w32; s3 += x3 * w33;
                        t0[i] = s0; t1[i] = s1; t2[i] = s2; t3[i] = s3;
                    }
                }
            for (; k < b; k++) {                 /* the rest of k one at a time, in the same order */
                const double *gk = G + (size_t)k * b;
                for (y = 0; y < na; y++) {
                    double w = W[k + (size_t)(a + y) * b], *ty = Tm + (size_t)(a + y) * b;
                    for (i = 0; i < b; i++) ty[i] += gk[i] * w;
                }
            }
            for (y = 0; y < na; y++)
                for (i = 0; i < b; i++) Zs[(size_t)(a + y) * mr + nc + i] = -Tm[i + (size_t)(a + y) * b];
        }
        lmm__lower_inverse(c, Ls, mr, Di);       /* Di = L_D^{-1} */
        for (a = 0; a < c; a++)                  /* Z_DD = Di' Di + W' Tm, lower part */
            for (i = a; i < c; i++) {
                const double *di = Di + (size_t)i * c, *da = Di + (size_t)a * c, *wi = W + (size_t)i * b, *ta = Tm + (size_t)a * b;
                Zs[(size_t)a * mr + i] = lmm__dot(c - i, di + i, da + i) + lmm__dot(b, wi, ta);
            }
    }
    return 0;
}

/* Entry (x, y) of Z (factor positions, either order). */
static double lmm__sparse_z(const lmm__blocks *B, int x, int y)
{
    return x >= y ? B->sp_z[lmm__sparse_entry(B, x, y)] : B->sp_z[lmm__sparse_entry(B, y, x)];
}

/* out[a] = sqrt(s2 (T V T')[a,a]) for a pk x pk block V (column-major) of
   (L L')^{-1} and the term's template T: a level's conditional SDs. */
static void lmm__block_condsd(int pk, const double *T, const double *V, double s2, double *out)
{
    int a, c, d;
    for (a = 0; a < pk; a++) {
        double s = 0;
        for (c = 0; c < pk; c++)
            for (d = 0; d < pk; d++) s += T[a + c * pk] * V[c + d * pk] * T[a + d * pk];
        out[a] = sqrt(s2 * s);
    }
}

/* (e) Conditional SDs on the dense paths, the diagonal blocks of
   s2 * Lambda (L L')^{-1} Lambda': for each effect e of a level, x = L^{-1} e
   has a first-term part x1 (one level block) and a rest part xr. Every xr is
   a combination of columns of Lrr^{-1}, so that inverse is formed once (qr
   triangular solves); a first-term level then costs its pattern times qr. */
static void lmm__condvar_dense(lmm_fit *fit, double s2)
{
    lmm_model *m = fit->model;
    lmm__blocks *B = m->blk_;
    int r = B->r, qr = B->qr, p1 = B->p1, i, j, a, k, c;
    double *Linv = fit->work_ + fit->optim_work_, *x = Linv + (size_t)qr * qr;
    double blockv[32 * 32], x1[32 * 32];
    lmm__lower_inverse(qr, B->L22, r, Linv);
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        const double *T = B->T + B->T_offset[k];
        int pk = t->ncol;
        for (j = 0; j < t->nlevels; j++) {
            int s0 = t->u_offset + j * pk, e, lo[32];
            for (e = 0; e < pk; e++) {
                double *xr = x + (size_t)e * (qr + 1), *x1e = x1 + e * 32;
                if (k == 0) {
                    const double *L = B->L11 + (size_t)j * p1 * p1, *V = B->L21 + B->cp[j] * p1;
                    const int *rows = B->ri + B->cp[j];
                    int nj = (int)(B->cp[j + 1] - B->cp[j]), tt;
                    for (c = 0; c < p1; c++) x1e[c] = c == e ? 1.0 : 0.0;
                    lmm_trsv_lower(p1, L, p1, x1e, 0);
                    lo[e] = nj > 0 && rows[0] < qr ? rows[0] : qr;
                    memset(xr, 0, (size_t)(qr + 1) * sizeof(double));
                    for (tt = 0; tt < nj && rows[tt] < qr; tt++) {   /* xr = -Lrr^{-1} L21 x1e */
                        const double *lc = Linv + (size_t)rows[tt] * qr;
                        double f = 0;
                        for (c = 0; c < p1; c++) f += V[(size_t)c * nj + tt] * x1e[c];
                        if (f == 0.0) continue;
                        for (i = rows[tt]; i < qr; i++) xr[i] -= lc[i] * f;
                    }
                } else {
                    int s = s0 - B->q1 + e;
                    lo[e] = s;
                    memcpy(xr, Linv + (size_t)s * qr, (size_t)qr * sizeof(double));
                }
            }
            for (a = 0; a < pk; a++)
                for (c = 0; c < pk; c++) {
                    double s = 0;
                    const double *xa = x + (size_t)a * (qr + 1), *xc = x + (size_t)c * (qr + 1);
                    for (i = lo[a] > lo[c] ? lo[a] : lo[c]; i < qr; i++) s += xa[i] * xc[i];
                    if (k == 0) { int d; for (d = 0; d < p1; d++) s += x1[d + a * 32] * x1[d + c * 32]; }
                    blockv[a + c * pk] = s;
                }
            lmm__block_condsd(pk, T, blockv, s2, fit->b_condsd + s0);
        }
    }
}

/* x1 = L^{-1} (p1 columns at stride 32) for a level's lower factor L, and g = x1' x1 (p1 x p1):
   the level's own part of the inverse the conditional variances need. */
static void lmm__level_inv_gram(int p1, const double *L, double *x1, double *g)
{
    int a, c, d, e;
    for (e = 0; e < p1; e++) {
        double *x1e = x1 + e * 32;
        for (c = 0; c < p1; c++) x1e[c] = c == e ? 1.0 : 0.0;
        lmm_trsv_lower(p1, L, p1, x1e, 0);
    }
    for (a = 0; a < p1; a++)
        for (c = 0; c < p1; c++) {
            double sum = 0;
            for (d = 0; d < p1; d++) sum += x1[d + a * 32] * x1[d + c * 32];
            g[a + c * p1] = sum;
        }
}

/* Conditional SDs on the sparse path (every term after the first scalar):
   a rest effect's variance is its diagonal entry of Z (lmm__sparse_selinv);
   a first-term level's block is x1' x1 + v' Z v with x1 = L11^{-1} e and v =
   L21 x1 on the level's rows, whose pairs are all on Z's pattern. */
static lmm_status lmm__condvar_sparse(lmm_fit *fit, double s2, lmm_error *err)
{
    lmm_model *m = fit->model;
    lmm__blocks *B = m->blk_;
    int qr = B->qr, p1 = B->p1, j, k, a, c, t, u, e;
    int *ipos = B->sp_rel;                       /* factor position of each rest row, after selinv */
    double blockv[32 * 32], x1[32 * 32], *v = fit->work_ + fit->optim_work_;
    if (lmm__sparse_selinv(B) != 0) return lmm__nomem(err);
    for (j = 0; j < qr; j++) ipos[B->sp_perm[j]] = j;
    for (k = 1; k < m->nterms; k++) {            /* scalar terms: s2 T^2 Z_ff */
        const lmm_reterm *tm = &m->terms[k];
        double tk = B->T[B->T_offset[k]];
        for (j = 0; j < tm->nlevels; j++)
            fit->b_condsd[tm->u_offset + j] = sqrt(s2 * tk * tk * lmm__sparse_diag(B, B->sp_z, ipos[tm->u_offset - B->q1 + j]));
    }
    if (p1 <= 32) {                              /* the pairs by column: Z read in place, no search */
        int fy, cur = -1;
        double *W = LMM__NEW(double, B->cp[B->l1] * p1 + 1), *acc = LMM__ZNEW(double, (size_t)B->l1 * p1 * p1 + 1);
        if (W && acc) {
            for (j = 0; j < B->l1; j++) {        /* acc_j = x1' x1, W_j = L21_j x1 (x1 = L11_j^{-1}) */
                const double *L = B->L11 + (size_t)j * p1 * p1, *V = B->L21 + B->cp[j] * p1;
                int nj = (int)(B->cp[j + 1] - B->cp[j]);
                double *Wj = W + B->cp[j] * p1, *accj = acc + (size_t)j * p1 * p1;
                lmm__level_inv_gram(p1, L, x1, accj);
                for (e = 0; e < p1; e++)
                    for (t = 0; t < nj; t++) {
                        double sum = 0;
                        for (c = 0; c < p1; c++) sum += V[(size_t)c * nj + t] * x1[c + e * 32];
                        Wj[(size_t)e * nj + t] = sum;
                    }
            }
            for (fy = 0; fy < qr; fy++) {        /* column fy of Z: every level's pairs (t, x) there */
                int sn = B->sp_snof[fy], oc = B->sp_perm[fy];
                const double *zc = B->sp_z + B->sp_off[sn] + (size_t)(fy - B->sp_first[sn]) * (B->sp_rp[sn + 1] - B->sp_rp[sn]);
                size_t ee;
                if (sn != cur) lmm__sparse_map(B, cur = sn);   /* a row's place in the column */
                for (ee = B->tp[oc]; ee < B->tp[oc + 1]; ee++) {
                    int lv = B->tl[ee], nj = (int)(B->cp[lv + 1] - B->cp[lv]), x;
                    const int *rows = B->ri + B->cp[lv];
                    const double *Wj = W + B->cp[lv] * p1;
                    double *accj = acc + (size_t)lv * p1 * p1;
                    t = B->tt[ee];
                    for (x = 0; x < nj && rows[x] < qr; x++) {   /* the X and y rows end the list */
                        int fx = ipos[rows[x]];
                        double z;
                        if (fx < fy) continue;   /* each pair once, in its earlier column */
                        z = zc[B->sp_map[fx]];
                        for (a = 0; a < p1; a++)
                            for (c = 0; c < p1; c++) {
                                const double *va = Wj + (size_t)a * nj, *vc = Wj + (size_t)c * nj;
                                accj[a + c * p1] += (x == t ? va[t] * vc[t] : va[t] * vc[x] + va[x] * vc[t]) * z;
                            }
                    }
                }
            }
            for (j = 0; j < B->l1; j++)
                lmm__block_condsd(p1, B->T + B->T_offset[0], acc + (size_t)j * p1 * p1, s2, fit->b_condsd + (size_t)j * p1);
            LMM_FREE(W); LMM_FREE(acc);
            return LMM_OK;
        }
        LMM_FREE(W); LMM_FREE(acc);              /* not fatal: the search below needs none of it */
    }
    for (j = 0; j < B->l1; j++) {
        const double *L = B->L11 + (size_t)j * p1 * p1, *V = B->L21 + B->cp[j] * p1, *T = B->T + B->T_offset[0];
        const int *rows = B->ri + B->cp[j];
        int nj = (int)(B->cp[j + 1] - B->cp[j]), nre = 0;
        while (nre < nj && rows[nre] < qr) nre++;
        lmm__level_inv_gram(p1, L, x1, blockv);
        for (e = 0; e < p1; e++)                 /* v_e = L21 x1_e on the level's random-effect rows */
            for (t = 0; t < nre; t++) {
                double sum = 0;
                for (c = 0; c < p1; c++) sum += V[(size_t)c * nj + t] * x1[c + e * 32];
                v[(size_t)e * nre + t] = sum;
            }
        for (t = 0; t < nre; t++)                /* v_a' Z v_c over the level's pairs */
            for (u = t; u < nre; u++) {
                double z = lmm__sparse_z(B, ipos[rows[u]], ipos[rows[t]]);
                for (a = 0; a < p1; a++)
                    for (c = 0; c < p1; c++) {
                        const double *va = v + (size_t)a * nre, *vc = v + (size_t)c * nre;
                        blockv[a + c * p1] += (u == t ? va[t] * vc[t] : va[t] * vc[u] + va[u] * vc[t]) * z;
                    }
            }
        lmm__block_condsd(p1, T, blockv, s2, fit->b_condsd + (size_t)j * p1);
    }
    return LMM_OK;
}

/* From the factor at the optimum: the criteria (a), beta and vcov (b), the
   modes (c), fitted values and residuals (d) and, unless skipped, the
   conditional SDs (e). */
/* Singular fit: a bounded theta below lme4's tolerance. */
static int lmm__theta_singular(const lmm_model *m, const double *theta)
{
    int a;
    for (a = 0; a < m->ntheta; a++) if (m->theta_lower[a] == 0.0 && theta[a] < 1e-4) return 1;
    return 0;
}

static lmm_status lmm__finalize(lmm_fit *fit, int want_condvar, lmm_error *err)
{
    lmm_model *m = fit->model;
    lmm__blocks *B = m->blk_;
    int p = m->X->ncol, a;
    double s2;
    if (lmm__factor_at(m, fit->theta, 1) != 0)
        return lmm__fail(err, LMM_ERR_NUMERIC, "the system is not positive definite at the optimum");
    s2 = lmm__fit_criteria(fit);
    lmm__beta_from_factor(m, s2, fit->beta, fit->vcov);
    for (a = 0; a < p; a++) fit->se[a] = sqrt(fit->vcov[a * p + a]);
    lmm__fit_modes(fit);
    for (a = 0; a < p; a++) fit->beta[a] += B->beta0[a];   /* back from the shifted response */
    lmm__fit_residuals(fit);
    fit->singular = lmm__theta_singular(m, fit->theta);
    if (!want_condvar) return LMM_OK;
    if (!fit->b_condsd && !(fit->b_condsd = LMM__NEW(double, m->q))) return lmm__nomem(err);
    if (B->path == LMM__PATH_SPARSE) return lmm__condvar_sparse(fit, s2, err);
    lmm__condvar_dense(fit, s2);
    return LMM_OK;
}

/* ---- 11. convergence check ---------------------------------------------- */
/* lme4's checkConv: finite-difference gradient and Hessian of the criterion at the estimate. */

/* Doubles lmm__check_conv needs for n thetas: theta, gradient, x, the
   one-coordinate steps' values, two n x n matrices, and two int arrays (a double each). */
static size_t lmm__conv_worksize(int n)
{
    return 2 * (size_t)n * n + 7 * (size_t)n + 1;
}

/* The objective at theta + si*delta*e_i + sj*delta*e_j (theta restored on return). */
static double lmm__conv_f(lmm_fit *fit, double *th, int i, double si, int j, double sj, double delta)
{
    double ti = th[i], tj = th[j], v;
    th[i] += si * delta;
    th[j] += sj * delta;
    v = lmm_model_objective(fit->model, th, fit->reml);
    th[i] = ti; th[j] = tj;
    return v;
}

/* Append one of lme4's convergence messages (a line each) and mark the check failed. */
static void lmm__conv_say(lmm_convergence *out, const char *msg)
{
    size_t used = strlen(out->message);
    if (used) snprintf(out->message + used, sizeof out->message - used, "\n%s", msg);
    else snprintf(out->message, sizeof out->message, "%s", msg);
    out->ok = 0;
}

/* lmm_fit_check_convergence on the caller's workspace (lmm__conv_worksize
   doubles), so that refits allocate nothing. */
static lmm_status lmm__check_conv(lmm_fit *fit, double tol, lmm_convergence *out, double *work, double f_at_theta,
                                  int restore, lmm_error *err)
{
    const double delta = 1e-4;   /* lme4's deriv12 step */
    const double hess_tol = 1e-6; /* lme4's check.conv.hess tol */
    lmm_model *m = fit->model;
    int n = m->ntheta, nf = 0, i, j, *idx, *fwd, chol_ok, zero_eigen = 0;
    double evmax = 0, evmin = 0;
    double *th = work, *g = th + n, *H = g + n, *L = H + (size_t)n * n, *x = L + (size_t)n * n, f0;
    double *fp = x + 3 * (size_t)n, *fm = fp + n;   /* f at theta + delta e_i, and at - delta e_i (2 delta e_i one-sided) */
    lmm_status st = LMM_OK;
    idx = (int *)(x + n);                        /* ints in the doubles' room, a double each */
    fwd = (int *)(x + 2 * (size_t)n);
    if (tol <= 0) tol = 0.002;
    memset(out, 0, sizeof *out);
    out->converged = fit->optimizer_code == 0;
    out->singular = fit->singular;
    /* free components: not on their bound (an active bound with an outward gradient is optimal) */
    for (i = 0; i < n; i++)
        if (!(m->theta_lower[i] == 0.0 && fit->theta[i] <= 0.0)) {
            fwd[nf] = fit->theta[i] - delta < m->theta_lower[i];   /* too close to the bound: one-sided */
            idx[nf++] = i;
        }
    out->nfree = nf;
    memcpy(th, fit->theta, (size_t)n * sizeof *th);
    f0 = isnan(f_at_theta) ? lmm_model_objective(m, th, fit->reml) : f_at_theta;
#define LMM__F(di, si, dj, sj) lmm__conv_f(fit, th, idx[di], si, idx[dj], sj, delta)
    for (i = 0; i < nf; i++) {
        if (!fwd[i]) {
            fp[i] = LMM__F(i, 1, i, 0); fm[i] = LMM__F(i, -1, i, 0);
            g[i] = (fp[i] - fm[i]) / (2 * delta);
            H[i + i * nf] = (fp[i] - 2 * f0 + fm[i]) / (delta * delta);
        } else {
            fp[i] = LMM__F(i, 1, i, 0); fm[i] = LMM__F(i, 2, i, 0);
            g[i] = (-3 * f0 + 4 * fp[i] - fm[i]) / (2 * delta);
            H[i + i * nf] = (f0 - 2 * fp[i] + fm[i]) / (delta * delta);
        }
        /* Cross terms from the diagonal steps already taken: two evaluations a pair,
           (f++ + f-- - f+0 - f-0 - f0+ - f0- + 2 f0) / 2 delta^2, second order as lme4's
           four-point (f++ - f+- - f-+ + f--) / 4 delta^2 it stands in for (they differ by
           O(delta^2): ~1e-8 relative, far below the check's tolerances). */
        for (j = 0; j < i; j++) {
            double h;
            if (!fwd[i] && !fwd[j])
                h = (LMM__F(i, 1, j, 1) + LMM__F(i, -1, j, -1) - fp[i] - fm[i] - fp[j] - fm[j] + 2 * f0) / (2 * delta * delta);
            else
                h = (LMM__F(i, 1, j, 1) - fp[i] - fp[j] + f0) / (delta * delta);
            H[i + j * nf] = H[j + i * nf] = h;
        }
    }
#undef LMM__F
    if (restore) (void)lmm__factor_at(m, fit->theta, 1);   /* leave the whole factor (L21 too) at the estimate */
    out->ok = out->converged;
    if (!out->converged) {
        snprintf(out->message, sizeof out->message, "convergence failure: the optimizer reached its evaluation limit (%d evaluations)", fit->nevals);
        goto done;
    }
    if (nf <= 0) goto done;
    for (i = 0; i < nf; i++) if (!isfinite(g[i])) { st = lmm__fail(err, LMM_ERR_NUMERIC, "the objective is not finite near the estimate"); goto done; }
    memcpy(L, H, (size_t)nf * nf * sizeof *L);
    chol_ok = lmm_chol(nf, L, nf) == 0;
    if (chol_ok) {
        /* lme4: scaled gradient solve(chol(H), g), statistic max(pmin(|scaled|, |g|)) */
        memcpy(x, g, (size_t)nf * sizeof *x);
        lmm_trsv_lower(nf, L, nf, x, 1);
        for (i = 0; i < nf; i++) {
            double v = fabs(x[i]) < fabs(g[i]) ? fabs(x[i]) : fabs(g[i]);
            if (v > out->max_grad) { out->max_grad = v; out->component = idx[i] + 1; }
        }
    } else
        for (i = 0; i < nf; i++) if (fabs(g[i]) > out->max_grad) { out->max_grad = fabs(g[i]); out->component = idx[i] + 1; }
    memcpy(L, H, (size_t)nf * nf * sizeof *L);
    lmm__sym_eigen(nf, L, x, NULL);
    for (i = 0; i < nf; i++) {
        if (x[i] < -hess_tol) out->negative_eigen++;
        if (fabs(x[i]) < hess_tol) zero_eigen++;
        if (i == 0 || x[i] > evmax) evmax = x[i];
        if (i == 0 || x[i] < evmin) evmin = x[i];
    }
    /* lme4 checks no derivatives of a boundary fit */
    if (fit->singular) goto done;
    /* lme4's messages in its order: the gradient's, then the Hessian's */
    if (!chol_ok) lmm__conv_say(out, "unable to evaluate scaled gradient");
    else if (out->max_grad > tol) {
        char msg[128];
        snprintf(msg, sizeof msg, "Model failed to converge with max|grad| = %g (tol = %g, component %d)", out->max_grad, tol, out->component);
        lmm__conv_say(out, msg);
    }
    if (out->negative_eigen > 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "Model failed to converge: degenerate  Hessian with %d negative eigenvalues", out->negative_eigen);
        lmm__conv_say(out, msg);
    } else if (zero_eigen > 0 || !chol_ok)
        lmm__conv_say(out, "Hessian is numerically singular: parameters are not uniquely determined");
    else {
        if (evmax * hess_tol > 1) lmm__conv_say(out, "Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?");
        if (evmin / evmax < hess_tol) lmm__conv_say(out, "Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?");
    }
done:
    return st;
}

LMM_API lmm_status lmm_fit_check_convergence(lmm_fit *fit, double tol, lmm_convergence *out, lmm_error *err)
{
    double *work;
    lmm_status st;
    if (!fit || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_check_convergence: NULL argument");
    if (!(work = LMM__NEW(double, lmm__conv_worksize(fit->model->ntheta)))) return lmm__nomem(err);
    st = lmm__check_conv(fit, tol, out, work, NAN, 1, err);
    LMM_FREE(work);
    return st;
}

/* ---- 12. fit driver ----------------------------------------------------- */
/* Fits and refits: allocation, the optimizer, finalize and the convergence check, freeing;
   last, lmm_fit_all_optimizers (allFit), which refits the same model from several starts. */

LMM_API void lmm_fit_free(lmm_fit *fit)
{
    if (!fit) return;
    LMM_FREE(fit->theta); LMM_FREE(fit->beta); LMM_FREE(fit->se); LMM_FREE(fit->vcov);
    LMM_FREE(fit->u); LMM_FREE(fit->b); LMM_FREE(fit->b_condsd);
    LMM_FREE(fit->fitted); LMM_FREE(fit->resid); LMM_FREE(fit->work_);
    if (fit->owns_model) lmm_model_free(fit->model);
    LMM_FREE(fit);
}

LMM_API void lmm_fit_term_cov(const lmm_fit *fit, int k, double *cov)
{
    const lmm_reterm *t = &fit->model->terms[k];
    int pk = t->ncol, a, b, c;
    double T[32 * 32];
    const double *th = fit->theta + t->theta_offset;
    for (b = 0; b < pk; b++)
        for (a = 0; a < pk; a++) T[a + b * pk] = a >= b ? *th++ : 0.0;
    for (a = 0; a < pk; a++)
        for (b = 0; b < pk; b++) {
            double s = 0;
            for (c = 0; c < pk; c++) s += T[a + c * pk] * T[b + c * pk];
            cov[a + b * pk] = fit->sigma * fit->sigma * s;
        }
}

/* The optimizer's view of the objective: the fit's criterion at theta. */
static double lmm__objective_cb(const double *theta, void *ctx)
{
    lmm_fit *fit = (lmm_fit *)ctx;
    return lmm_model_objective(fit->model, theta, fit->reml);
}

/* A fit of m with every buffer a fit or refit will need. */
static lmm_status lmm__fit_alloc(lmm_model *m, lmm_fit **out, lmm_error *err)
{
    lmm_fit *fit = LMM__ZNEW(lmm_fit, 1);
    int p = m->X->ncol;
    if (!fit) return lmm__nomem(err);
    fit->model = m;
    fit->nobs = m->nobs; fit->p = p; fit->q = m->q; fit->ntheta = m->ntheta;
    fit->theta = LMM__NEW(double, m->ntheta);
    fit->beta = LMM__NEW(double, p);
    fit->se = LMM__NEW(double, p);
    fit->vcov = LMM__NEW(double, (size_t)p * p);
    fit->u = LMM__NEW(double, m->q);
    fit->b = LMM__NEW(double, m->q);
    fit->fitted = LMM__NEW(double, m->nobs);
    fit->resid = LMM__NEW(double, m->nobs);
    {   /* optimizer workspace, sorted residuals, condVar solves and the convergence
           check: refits allocate nothing */
        size_t wb = lmm_minimize_worksize(m->ntheta, LMM_OPT_BOBYQA), wn = lmm_minimize_worksize(m->ntheta, LMM_OPT_NELDER_MEAD);
        size_t qr = (size_t)m->blk_->qr, scratch = qr * qr + (qr + 1) * 32, conv = lmm__conv_worksize(m->ntheta);
        if (scratch < (size_t)m->nobs) scratch = (size_t)m->nobs;
        if (scratch < conv) scratch = conv;
        fit->optim_work_ = wb > wn ? wb : wn;
        fit->work_ = LMM__NEW(double, fit->optim_work_ + scratch);
    }
    if (!fit->theta || !fit->beta || !fit->se || !fit->vcov || !fit->u || !fit->b || !fit->fitted || !fit->resid || !fit->work_) {
        lmm_fit_free(fit);
        return lmm__nomem(err);
    }
    *out = fit;
    return LMM_OK;
}

/* Optimise theta from fit->theta (the start) and finish the fit. */
/* edge restarts before the fit gives up looking off its boundary */
#define LMM__EDGE_RESTARTS 8

/* lme4's restart_edge, and the mirror image it misses. A component on its
   bound is probed one step of 1e-5 inward (lme4's one-sided difference); a
   template diagonal at zero is also probed from the mirrored column (entries
   below it negated: the same Lambda Lambda', so the same criterion), whose
   inward slope is the opposite of the first one's: an over-specified term
   can stop on a boundary point that is a minimum only on one side of that
   fold. Returns 1 and leaves the best probe in th, its value in *fth, when
   one beats f0. */
static int lmm__edge_probe(lmm_fit *fit, double f0, double *th, double *fth, double *trial)
{
    const lmm_model *m = fit->model;
    size_t bytes = (size_t)m->ntheta * sizeof(double);
    double fbest = f0 - 1e-12 * (1.0 + fabs(f0));
    int k, i, j, mirror, found = 0;
    for (k = 0; k < m->nterms; k++) {
        int nc = m->terms[k].ncol, d = m->terms[k].theta_offset;
        for (j = 0; j < nc; d += nc - j, j++) {
            if (fit->theta[d] != m->theta_lower[d]) continue;
            for (mirror = 0; mirror < 2; mirror++) {
                double f;
                int nonzero = 0;
                memcpy(trial, fit->theta, bytes);
                for (i = 1; mirror && i < nc - j; i++) { nonzero |= trial[d + i] != 0; trial[d + i] = -trial[d + i]; }
                if (mirror && !nonzero) break;
                trial[d] = m->theta_lower[d] + 1e-5;
                f = lmm__objective_cb(trial, fit);
                fit->nevals++;
                if (f < fbest) { fbest = f; memcpy(th, trial, bytes); found = 1; }
            }
        }
    }
    *fth = fbest;
    return found;
}

/* Beyond LMM__BQ_FAR_DIM parameters a restart costs a whole interpolation set
   (2 ntheta + 1 evaluations) before its stall test can end it. So first the
   probe's own direction is followed, its step growing tenfold while f falls:
   when that line gains less than the stall test's allowance for one set, the
   restart could only stall, and the line's best point is the estimate.
   Returns 1 when it was taken (fit->theta, *fmin set), 0: restart from th
   (the line's best point). fth: f at th, the probe. */
static int lmm__edge_line(lmm_fit *fit, double *fmin, double *th, double fth, double *trial)
{
    const lmm_model *m = fit->model;
    size_t bytes = (size_t)m->ntheta * sizeof(double);
    double t, allowance = LMM__BQ_STALL_ALLOWANCE(m->ntheta, *fmin);
    int d;
    for (d = 0; d < m->ntheta; d++)
        if (fit->theta[d] == m->theta_lower[d] && th[d] != m->theta_lower[d]) break;
    for (t = 1e-4; d < m->ntheta && t <= 1.0; t *= 10) {
        double f;
        memcpy(trial, th, bytes);
        trial[d] = m->theta_lower[d] + t;
        f = lmm__objective_cb(trial, fit);
        fit->nevals++;
        if (!(f < fth)) break;
        fth = f;
        memcpy(th, trial, bytes);
    }
    if (*fmin - fth >= allowance) return 0;
    memcpy(fit->theta, th, bytes);
    *fmin = fth;
    return 1;
}

/* lme4's check.boundary: a component within 1e-5 of its bound is put on it
   when the criterion is no worse there. */
static void lmm__boundary_snap(lmm_fit *fit, double *f0, double *trial)
{
    const lmm_model *m = fit->model;
    int i;
    for (i = 0; i < m->ntheta; i++) {
        double lo = m->theta_lower[i], f;
        if (!(lo > -HUGE_VAL) || fit->theta[i] == lo || fit->theta[i] - lo >= 1e-5) continue;
        memcpy(trial, fit->theta, (size_t)m->ntheta * sizeof(double));
        trial[i] = lo;
        f = lmm__objective_cb(trial, fit);
        fit->nevals++;
        if (f <= *f0) { *f0 = f; fit->theta[i] = lo; }
    }
}

static lmm_status lmm__fit_optimize(lmm_fit *fit, const lmm_fit_options *opts, double first_rho, lmm_error *err)
{
    lmm_model *m = fit->model;
    lmm_optim_result res;
    lmm_optim_options oo = opts->optim, first;
    lmm_status st;
    double fmin_final;
    int lean;                                  /* an ML refit that keeps only its criterion */
    fit->optim_ = opts->optim;
    fit->condvar_ = !opts->skip_condvar;
    fit->convcheck_ = !opts->skip_convcheck;
    fit->warning[0] = '\0';                      /* a refit's warning is its own */
    fit->converged = 0;
    /* Final radius 2e-6 (with the closing compass sweep): the criterion ends
       within ~1e-13 relative of the optimum, far closer than lme4's ftol_abs
       1e-8 stop, and a level of the radius schedule sooner than 2e-7. */
    if (oo.rho_end <= 0) oo.rho_end = 2e-6;
    first = oo;                                  /* first_rho > 0: a close start's first radius, unless the caller chose one */
    if (first_rho > 0 && first.rho_begin <= 0) first.rho_begin = first_rho;
    st = lmm_minimize(m->ntheta, fit->theta, m->theta_lower, NULL, lmm__objective_cb, fit,
                      &first, fit->work_, &res, err);
    if (st != LMM_OK) return st;
    if (!isfinite(res.fmin))
        return lmm__fail(err, LMM_ERR_NUMERIC, "the objective is not finite anywhere the optimizer looked (is the response constant?)");
    fit->nevals = res.nevals;
    fit->converged = res.converged;
    {   /* the edge restarts, then the boundary check; the probes use the scratch
           after the optimizer's workspace (at least 5 ntheta doubles) */
        double *th = fit->work_ + fit->optim_work_, *trial = th + m->ntheta, fmin = res.fmin, fth;
        int round;
        for (round = 0; round < LMM__EDGE_RESTARTS && fit->converged && lmm__edge_probe(fit, fmin, th, &fth, trial); round++) {
            if (m->ntheta > LMM__BQ_FAR_DIM && lmm__edge_line(fit, &fmin, th, fth, trial)) break;
            memcpy(fit->theta, th, (size_t)m->ntheta * sizeof(double));
            st = lmm_minimize(m->ntheta, fit->theta, m->theta_lower, NULL, lmm__objective_cb, fit,
                              &oo, fit->work_, &res, err);
            if (st != LMM_OK) return st;
            fit->nevals += res.nevals;
            fit->converged = res.converged;
            fmin = res.fmin;
        }
        lmm__boundary_snap(fit, &fmin, trial);
        fmin_final = fmin;
    }
    /* as lme4 does after every lmer fit and refit; its finite-difference Hessian
       costs 2 ntheta^2 evaluations, so beyond 20 parameters (a factor-valued
       slope with a dozen levels) the automatic check is left to the caller.
       It runs before finalize, whose factor at the estimate its steps would
       otherwise have to restore (one factorization a fit); the optimizer's
       value at the estimate is the criterion there, bit for bit. */
    lean = fit->lean_ && !fit->reml;
    fit->optimizer_code = !fit->converged;
    if (fit->optimizer_code)
        snprintf(fit->warning, sizeof fit->warning, "convergence failure: the optimizer reached its evaluation limit (%d evaluations)", fit->nevals);
    else if (fit->convcheck_ && m->ntheta <= 20) {
        lmm_convergence cc;
        fit->singular = lmm__theta_singular(m, fit->theta);
        if (lmm__check_conv(fit, 0, &cc, fit->work_ + fit->optim_work_, fmin_final, lean, NULL) == LMM_OK && !cc.ok)
            memcpy(fit->warning, cc.message, sizeof fit->warning);
    }
    if (lean) {                                /* the optimizer's best value is the criterion there */
        fit->criterion = fit->deviance = fmin_final;
        fit->loglik = -fmin_final / 2;
        fit->df = m->X->ncol + m->ntheta + 1;
        fit->aic = fmin_final + 2.0 * fit->df;
        fit->bic = fmin_final + log((double)m->nobs) * fit->df;
    } else if ((st = lmm__finalize(fit, !opts->skip_condvar, err)) != LMM_OK) return st;
    fit->converged = fit->warning[0] == '\0';  /* one rule for every reader: no warning, converged */
    return LMM_OK;
}

/* terms the moment start handles (its system is solved on the stack), and
   the optimizer's first radius from it: evaluations over the sparse-path fits
   of tests/test_fit.c and InstEval were fewest at 0.01-0.03 (InstEval 36 at
   0.02, 46 at 0.05, 52 at lme4's 0.2) */
#define LMM__MOMENT_MAXTERMS 16
#define LMM__MOMENT_RHO 0.02

/* A start for theta on the sparse path, where an evaluation costs a large
   factorization: Henderson's method 1 on the OLS residuals e = (I - H) y (the
   shifted response of lmm_model_set_response), every term scalar. For each
   term k, T_k = sum_j (Z_k'e)_j^2 / (Z_k'Z_k)_jj, and T_0 = e'e; with
   G = Z_k'(I - H) Z_k', E[T_k] = sum_k' sigma_k'^2 sum_j |G_j.|^2 / (Z_k'Z_k)_jj
   + sigma^2 sum_j G(k=k')_jj / (Z_k'Z_k)_jj and E[T_0] = sum_k' sigma_k'^2
   tr G(k'=k') + (n - p) sigma^2: exact moments (balanced designs: the ANOVA
   estimates). Z_k'H Z_k' = P_k P_k' with P_k = Z_k'X R_X^-T, so the sums run
   over the blocks' nonzeros plus p x p products, never over the rows.
   theta_k = sigma_k / sigma, a small interior value where a variance comes out
   negative. Returns 1 when theta was set, 0 (theta untouched) when the moments
   do not apply or give no usable system. */
static int lmm__moment_theta(const lmm_model *m, double *theta)
{
    const lmm__blocks *B = m->blk_;
    int K = m->nterms, dim = K + 1, r = B->r, qr = B->qr, nt = r - qr, p = m->X->ncol, j, k, x, y, s, c, ok = 0;
    double A[(LMM__MOMENT_MAXTERMS + 1) * (LMM__MOMENT_MAXTERMS + 1)], rhs[LMM__MOMENT_MAXTERMS + 1];
    double piv[LMM__MOMENT_MAXTERMS + 1], *dr = B->work;   /* dr: the later terms' Z'Z diagonal */
    double *P1 = NULL, *Pr = NULL, *Q = NULL;             /* rows of P: first term's levels, the later effects */
    const double *yrow = B->A22 ? B->A22 + r - 1 : B->ycol;
    size_t ystep = B->A22 ? (size_t)r : 1;
    if (K > LMM__MOMENT_MAXTERMS || B->p1 != 1 || !B->diag_rest || B->y_exact || (!B->shift_ok && p > 0)) return 0;
    if (!B->A22 && !B->sp_aval) return 0;
    P1 = LMM__ZNEW(double, (size_t)B->l1 * p + 1);
    Pr = LMM__ZNEW(double, (size_t)qr * p + 1);
    Q = LMM__ZNEW(double, (size_t)K * p * p + 1);
    if (!P1 || !Pr || !Q) goto done;
    memset(A, 0, sizeof A);
    memset(rhs, 0, sizeof rhs);
    /* Z'Z's diagonal and P = (Z'X) R_X^-T for every effect, Q_k = P_k'P_k */
    for (j = 0; j < B->l1; j++) {
        int nj = (int)(B->cp[j + 1] - B->cp[j]);
        for (c = 0; c < p; c++) P1[(size_t)j * p + c] = B->A21[B->cp[j] + nj - nt + c];
    }
    for (x = 0; x < qr; x++) {                   /* sp_aval: factor position x holds rest row sp_perm[x] */
        if (B->A22) {
            dr[x] = B->A22[(size_t)x * r + x];
            for (c = 0; c < p; c++) Pr[(size_t)x * p + c] = B->A22[(size_t)x * r + qr + c];
        } else {
            size_t e0 = B->sp_acol[x], e1 = B->sp_acol[x + 1];
            int o = B->sp_perm[x];
            /* the diagonal leads the column's entries unless it is zero; its X and y rows end them */
            dr[o] = e0 < e1 && B->sp_arow[e0] == x - B->sp_first[B->sp_snof[x]] ? B->sp_aval[e0] : 0.0;
            for (c = 0; c < p; c++) Pr[(size_t)o * p + c] = B->sp_aval[e1 - nt + c];
        }
    }
    for (j = 0; j < B->l1 + qr; j++) {
        double *pj = j < B->l1 ? P1 + (size_t)j * p : Pr + (size_t)(j - B->l1) * p, *Qk;
        k = j < B->l1 ? 0 : B->rowterm[j - B->l1];
        if (p == 0) continue;
        lmm_trsv_lower(p, B->xtx_chol, p, pj, 0);
        Qk = Q + (size_t)k * p * p;
        for (x = 0; x < p; x++)
            for (y = 0; y < p; y++) Qk[x + y * p] += pj[x] * pj[y];
    }
    /* per effect: its own moment, the residual's and e'e's coefficients, the P Q P' part, the diagonal of G */
    for (j = 0; j < B->l1 + qr; j++) {
        const double *pj = j < B->l1 ? P1 + (size_t)j * p : Pr + (size_t)(j - B->l1) * p;
        double d = j < B->l1 ? B->A11[j] : dr[j - B->l1], u, pp = 0, g;
        int n1 = j < B->l1 ? (int)(B->cp[j + 1] - B->cp[j]) : 0;
        k = j < B->l1 ? 0 : B->rowterm[j - B->l1];
        u = j < B->l1 ? B->A21[B->cp[j] + n1 - 1] : yrow[(size_t)(j - B->l1) * ystep];
        if (!(d > 0)) continue;
        for (x = 0; x < p; x++) pp += pj[x] * pj[x];
        rhs[k] += u * u / d;
        A[k + K * dim] += 1.0 - pp / d;
        A[K + k * dim] += d - pp;
        g = d - pp;                              /* G_jj, and P_k Q_k' P_k' for each k' */
        A[k + k * dim] += (g * g - pp * pp) / d;
        for (y = 0; y < K; y++) {
            const double *Qy = Q + (size_t)y * p * p;
            double v = 0;
            for (x = 0; x < p; x++)
                for (c = 0; c < p; c++) v += pj[x] * Qy[x + c * p] * pj[c];
            A[k + y * dim] += v / d;
        }
    }
    /* the off-diagonal nonzeros of Z'Z between terms: (G^2 - (P P')^2) on each side */
#define LMM__MOMENT_PAIR(kx, ky, g, px, py, dx, dy) do {                              \
        double pq_ = 0, gg_; int c_;                                                  \
        for (c_ = 0; c_ < p; c_++) pq_ += (px)[c_] * (py)[c_];                        \
        gg_ = (g) - pq_; gg_ = gg_ * gg_ - pq_ * pq_;                                 \
        if ((dx) > 0) A[(kx) + (ky) * dim] += gg_ / (dx);                            \
        if ((dy) > 0) A[(ky) + (kx) * dim] += gg_ / (dy);                            \
    } while (0)
    for (j = 0; j < B->l1; j++) {                /* the first term's levels and the later effects */
        const int *rows = B->ri + B->cp[j];
        const double *a21 = B->A21 + B->cp[j];
        for (x = 0; rows[x] < qr; x++)
            if (a21[x] != 0.0)
                LMM__MOMENT_PAIR(0, B->rowterm[rows[x]], a21[x], P1 + (size_t)j * p, Pr + (size_t)rows[x] * p, B->A11[j], dr[rows[x]]);
    }
    if (B->A22) {                                /* among the later terms */
        for (y = 0; y < qr; y++)
            for (x = y + 1; x < qr; x++) {
                double g = B->A22[(size_t)y * r + x];
                if (g != 0.0 && B->rowterm[x] != B->rowterm[y])
                    LMM__MOMENT_PAIR(B->rowterm[x], B->rowterm[y], g, Pr + (size_t)x * p, Pr + (size_t)y * p, dr[x], dr[y]);
            }
    } else
        for (s = 0; s < B->sp_nsn; s++) {
            int f = B->sp_first[s], nc = B->sp_first[s + 1] - f;
            const int *rows = B->sp_rows + B->sp_rp[s];
            size_t e;
            for (c = 0; c < nc && f + c < qr; c++)
                for (e = B->sp_acol[f + c]; e < B->sp_acol[f + c + 1] && rows[B->sp_arow[e]] < qr; e++) {
                    double g = B->sp_aval[e];
                    int ox = B->sp_perm[rows[B->sp_arow[e]]], oy = B->sp_perm[f + c];
                    if (B->sp_arow[e] == c) continue;   /* the diagonal */
                    if (g != 0.0 && B->rowterm[ox] != B->rowterm[oy])
                        LMM__MOMENT_PAIR(B->rowterm[ox], B->rowterm[oy], g, Pr + (size_t)ox * p, Pr + (size_t)oy * p, dr[ox], dr[oy]);
                }
        }
#undef LMM__MOMENT_PAIR
    rhs[K] = yrow[(size_t)(r - 1) * ystep];
    A[K + K * dim] = m->nobs - p;
    if (lmm__lu(dim, A, piv) != 0) goto done;
    lmm__lu_solve(dim, A, piv, rhs, 0);
    if (!(rhs[K] > 0) || !isfinite(rhs[K])) goto done;
    for (k = 0; k < K; k++) {
        piv[k] = rhs[k] > 0 ? sqrt(rhs[k] / rhs[K]) : 0.0;
        if (!isfinite(piv[k]) || piv[k] > 1e3) goto done;
    }
    for (k = 0; k < K; k++) theta[m->terms[k].theta_offset] = piv[k] > 0.05 ? piv[k] : 0.05;
    ok = 1;
done:
    LMM_FREE(P1); LMM_FREE(Pr); LMM_FREE(Q);
    return ok;
}

/* the largest-dimension start (lmm__moment_theta_vector): its optimizer's first
   radius, and the floor of the start's relative standard deviations. The
   maximal model's evaluations by first radius (-O2 / -ffp-contract=fast
   builds): 0.02 2,707 / 1,978; 0.05 1,779 / 2,231; 0.1 2,206 / 1,847; 0.2
   2,594 / 2,626 (lme4's identity start at 0.2: 2,554 / 1,918) */
#define LMM__VMOMENT_RHO 0.05
#define LMM__VMOMENT_FLOOR 0.05

/* A start for theta beyond LMM__BQ_FAR_DIM parameters (vector-valued terms,
   where lme4's identity start is far off and every evaluation counts): per
   term, each level's least-squares fit of the OLS residuals on the term's
   columns gives b_j; their second moment less the noise's share,
   s2 mean((Z_j'Z_j)^-1), estimates the term's covariance, s2 being the
   levels' pooled residual variance (noise plus the other terms' effects).
   The residual variance is each s2 less the other terms' mean z'Sigma z,
   averaged over terms; Sigma / sigma^2 is Cholesky-factored after raising
   its eigenvalues to LMM__VMOMENT_FLOOR^2. Returns 1 when theta was set, 0
   (theta untouched) when no term has levels with enough rows. */
static int lmm__moment_theta_vector(const lmm_model *m, double *theta)
{
    const lmm__blocks *B = m->blk_;
    int n = m->nobs, p = m->X->ncol, K = m->nterms, i, j, k, a, b, ok = 0, ncmax = 1;
    double *eig = NULL, *sig = NULL, *s2 = NULL, *v = NULL, *acc = NULL, sigma2 = 0;
    const double *e = B ? B->yshift : NULL;   /* the OLS residuals (weighted: sqrt(w) (y - offset - X beta0)) */
    if (!e || (p > 0 && !B->shift_ok)) return 0;
    for (k = 0; k < K; k++) if (m->terms[k].ncol > ncmax) ncmax = m->terms[k].ncol;
    sig = LMM__ZNEW(double, (size_t)K * ncmax * ncmax);
    s2 = LMM__ZNEW(double, 2 * (size_t)K);
    if (!sig || !s2) goto done;
    v = s2 + K;
    for (k = 0; k < K; k++) {
        const lmm_reterm *t = &m->terms[k];
        int nc = t->ncol, L = t->nlevels, used = 0, blk = nc * nc + nc + 2;
        double rss = 0, dof = 0, *S = sig + (size_t)k * ncmax * ncmax, *Minv, *bj;
        /* per level: Z_j'Z_j, Z_j'e, e_j'e_j, rows; then the term's sums */
        acc = LMM__ZNEW(double, (size_t)L * blk + 2 * (size_t)nc * nc + nc);
        if (!acc) goto done;
        Minv = acc + (size_t)L * blk; bj = Minv + (size_t)nc * nc;
        for (i = 0; i < n; i++) {
            double w = m->sqrtw_ ? m->sqrtw_[i] : 1.0, *g = acc + (size_t)t->codes[i] * blk;
            for (a = 0; a < nc; a++) {
                double za = w * t->z[(size_t)a * n + i];
                for (b = a; b < nc; b++) g[b + a * nc] += za * w * t->z[(size_t)b * n + i];
                g[nc * nc + a] += za * e[i];
            }
            g[nc * nc + nc] += e[i] * e[i];
            g[nc * nc + nc + 1] += 1;
        }
        for (j = 0; j < L; j++) {
            double *g = acc + (size_t)j * blk, *zte = g + nc * nc, r;
            if (g[nc * nc + nc + 1] <= nc || lmm_chol(nc, g, nc) != 0) continue;
            memcpy(bj, zte, (size_t)nc * sizeof(double));
            lmm_trsv_lower(nc, g, nc, bj, 0);
            r = g[nc * nc + nc];
            for (a = 0; a < nc; a++) r -= bj[a] * bj[a];    /* e'e less the fitted part */
            lmm_trsv_lower(nc, g, nc, bj, 1);
            for (a = 0; a < nc; a++)
                for (b = 0; b < nc; b++) S[a + b * nc] += bj[a] * bj[b];
            for (b = 0; b < nc; b++) {                      /* (Z_j'Z_j)^-1, column by column */
                for (a = 0; a < nc; a++) bj[a] = a == b;
                lmm_trsv_lower(nc, g, nc, bj, 0);
                lmm_trsv_lower(nc, g, nc, bj, 1);
                for (a = 0; a < nc; a++) Minv[a + b * nc] += bj[a];
            }
            rss += r > 0 ? r : 0;
            dof += g[nc * nc + nc + 1] - nc;
            used++;
        }
        if (used < 2 || !(dof > 0)) goto done;
        s2[k] = rss / dof;
        for (a = 0; a < nc * nc; a++) S[a] = (S[a] - s2[k] * Minv[a]) / used;
        LMM_FREE(acc); acc = NULL;
        for (i = 0; i < n; i++) {                            /* mean z'Sigma z over the rows */
            double w = m->sqrtw_ ? m->sqrtw_[i] : 1.0, q = 0;
            for (a = 0; a < nc; a++)
                for (b = 0; b < nc; b++) q += t->z[(size_t)a * n + i] * S[a + b * nc] * t->z[(size_t)b * n + i];
            v[k] += w * w * q / n;
        }
    }
    for (k = 0; k < K; k++) {
        double r = s2[k];
        for (j = 0; j < K; j++) if (j != k) r -= v[j];
        sigma2 += r / K;
    }
    {
        double smin = s2[0];
        for (k = 1; k < K; k++) if (s2[k] < smin) smin = s2[k];
        if (!(sigma2 > 0.1 * smin)) sigma2 = 0.1 * smin;
    }
    if (!(sigma2 > 0) || !isfinite(sigma2)) goto done;
    if (!(eig = LMM__NEW(double, (size_t)ncmax * ncmax + ncmax))) goto done;   /* eigenvalues, eigenvectors */
    for (k = 0; k < K; k++) {
        const lmm_reterm *t = &m->terms[k];
        int nc = t->ncol;
        double *S = sig + (size_t)k * ncmax * ncmax, *ev = eig, *vec = eig + nc;
        for (a = 0; a < nc * nc; a++) S[a] /= sigma2;
        for (a = 0; a < nc; a++) for (b = a + 1; b < nc; b++) S[a + b * nc] = S[b + a * nc] = 0.5 * (S[a + b * nc] + S[b + a * nc]);
        lmm__sym_eigen(nc, S, ev, vec);
        for (a = 0; a < nc; a++) if (!(ev[a] > LMM__VMOMENT_FLOOR * LMM__VMOMENT_FLOOR)) ev[a] = LMM__VMOMENT_FLOOR * LMM__VMOMENT_FLOOR;
        for (a = 0; a < nc; a++)
            for (b = 0; b < nc; b++) {
                double q = 0;
                for (j = 0; j < nc; j++) q += vec[a + j * nc] * ev[j] * vec[b + j * nc];
                S[a + b * nc] = q;
            }
        if (lmm_chol(nc, S, nc) != 0) goto done;
        for (a = 0; a < nc * nc; a++) if (!isfinite(S[a]) || fabs(S[a]) > 1e3) goto done;
    }
    for (k = 0; k < K; k++) {                                /* every term factored: theta takes them */
        const lmm_reterm *t = &m->terms[k];
        int nc = t->ncol;
        double *S = sig + (size_t)k * ncmax * ncmax, *th = theta + t->theta_offset;
        for (b = 0; b < nc; b++)
            for (a = b; a < nc; a++) *th++ = S[a + b * nc];
    }
    ok = 1;
done:
    LMM_FREE(eig); LMM_FREE(sig); LMM_FREE(s2); LMM_FREE(acc);
    return ok;
}

LMM_API lmm_status lmm_model_fit(lmm_model *m, const lmm_fit_options *opts, lmm_fit **out, lmm_error *err)
{
    lmm_fit_options defaults;
    lmm_fit *fit = NULL;
    lmm_status st;
    double first_rho = 0;
    int k, i, j;
    *out = NULL;
    if (!m) return lmm__fail(err, LMM_ERR_ARG, "lmm_model_fit: NULL model");
    if (!opts) { memset(&defaults, 0, sizeof defaults); opts = &defaults; }
    if (opts->factor != LMM_FACTOR_AUTO && (st = lmm_model_set_factor(m, opts->factor, err)) != LMM_OK) return st;
    if ((st = lmm__fit_alloc(m, &fit, err)) != LMM_OK) return st;
    fit->reml = !opts->ml;
    if (opts->theta_start) memcpy(fit->theta, opts->theta_start, (size_t)m->ntheta * sizeof(double));
    else if (m->blk_->path == LMM__PATH_SPARSE && lmm__moment_theta(m, fit->theta))
        first_rho = LMM__MOMENT_RHO;
    else if (m->ntheta > LMM__BQ_FAR_DIM && m->family_ == LMM_FAMILY_GAUSSIAN && lmm__moment_theta_vector(m, fit->theta))
        first_rho = LMM__VMOMENT_RHO;
    else
        for (k = 0; k < m->nterms; k++) {
            double *th = fit->theta + m->terms[k].theta_offset;
            for (j = 0; j < m->terms[k].ncol; j++)
                for (i = j; i < m->terms[k].ncol; i++) *th++ = i == j ? 1.0 : 0.0;
        }
    if ((st = lmm__fit_optimize(fit, opts, first_rho, err)) != LMM_OK) { lmm_fit_free(fit); return st; }
    *out = fit;
    return LMM_OK;
}

LMM_API lmm_status lmm_fit_refit(lmm_fit *fit, const double *y, const double *theta_start, lmm_error *err)
{
    lmm_fit_options o;
    lmm_status st;
    if (!fit) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_refit: NULL fit");
    if (fit->p != fit->model->X->ncol) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_refit: the model's X changed since this fit; fit it anew");
    if (y && (st = lmm_model_set_response(fit->model, y, err)) != LMM_OK) return st;
    if (theta_start) memmove(fit->theta, theta_start, (size_t)fit->ntheta * sizeof(double));
    memset(&o, 0, sizeof o);
    o.ml = !fit->reml;
    o.optim = fit->optim_;
    o.skip_condvar = !fit->condvar_;
    o.skip_convcheck = !fit->convcheck_;
    return lmm__fit_optimize(fit, &o, 0, err);
}

LMM_API lmm_status lmm_fit_formula(const lmm_frame *df, const char *formula, const lmm_fit_options *opts,
                                   lmm_fit **out, lmm_error *err)
{
    lmm_model *m = NULL;
    lmm_status st;
    *out = NULL;
    if (opts && opts->model.family != LMM_FAMILY_GAUSSIAN)
        return lmm__fail(err, LMM_ERR_ARG, "family %s: fit it with lmm_glmm_fit_formula", opts->model.family == LMM_FAMILY_BINOMIAL ? "binomial" : "poisson");
    if ((st = lmm_model_build(df, formula, opts ? &opts->model : NULL, &m, err)) != LMM_OK) return st;
    if ((st = lmm_model_fit(m, opts, out, err)) != LMM_OK) { lmm_model_free(m); return st; }
    (*out)->owns_model = 1;
    return LMM_OK;
}

/* all optimizers (lme4's allFit): rows, spread, the driver */

LMM_API void lmm_allfit_free(lmm_allfit *a)
{
    int i;
    if (!a) return;
    if (a->rows) for (i = 0; i < a->nrows; i++) LMM_FREE(a->rows[i].theta);
    if (a->theta_names) for (i = 0; i < a->ntheta; i++) LMM_FREE(a->theta_names[i]);
    if (a->beta_names) for (i = 0; i < a->p; i++) LMM_FREE(a->beta_names[i]);
    if (a->sdcor_names) for (i = 0; i < a->nsdcor; i++) LMM_FREE(a->sdcor_names[i]);
    LMM_FREE(a->rows); LMM_FREE(a->theta_names); LMM_FREE(a->beta_names); LMM_FREE(a->sdcor_names);
    LMM_FREE(a);
}

/* The names and every row's value block of an lmm_allfit for m. */
static lmm_status lmm__allfit_alloc(const lmm_model *m, int nrows, lmm_allfit **out, lmm_error *err)
{
    lmm_allfit *a = LMM__ZNEW(lmm_allfit, 1);
    int i, j, k, s = 0, nv;
    if (!a) return lmm__nomem(err);
    a->ntheta = m->ntheta; a->p = m->X->ncol; a->nsdcor = m->ntheta + 1; a->best = -1;
    nv = a->ntheta + a->p + a->nsdcor;
    a->rows = LMM__ZNEW(lmm_allfit_row, nrows);
    a->theta_names = LMM__ZNEW(char *, a->ntheta);
    a->beta_names = LMM__ZNEW(char *, a->p ? a->p : 1);
    a->sdcor_names = LMM__ZNEW(char *, a->nsdcor);
    if (!a->rows || !a->theta_names || !a->beta_names || !a->sdcor_names) { lmm_allfit_free(a); return lmm__nomem(err); }
    a->nrows = nrows;
    for (i = 0; i < nrows; i++) {
        if (!(a->rows[i].theta = LMM__NEW(double, nv))) { lmm_allfit_free(a); return lmm__nomem(err); }
        a->rows[i].beta = a->rows[i].theta + a->ntheta;
        a->rows[i].sdcor = a->rows[i].beta + a->p;
    }
    for (i = 0; i < a->ntheta; i++)
        if (!(a->theta_names[i] = lmm__strdup(m->theta_names[i]))) { lmm_allfit_free(a); return lmm__nomem(err); }
    for (i = 0; i < a->p; i++)
        if (!(a->beta_names[i] = lmm__strdup(m->X->colnames[i]))) { lmm_allfit_free(a); return lmm__nomem(err); }
    /* as.data.frame(VarCorr)'s names: the term's group (".1" on a repeat), its columns, in theta's order */
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        for (j = 0; j < t->ncol; j++)
            for (i = j; i < t->ncol; i++, s++) {
                char *g = lmm__join3(t->vc_name, ".", t->colnames[i]);
                a->sdcor_names[s] = g && i != j ? lmm__join3(g, ".", t->colnames[j]) : g;
                if (g && i != j) LMM_FREE(g);
                if (!a->sdcor_names[s]) { lmm_allfit_free(a); return lmm__nomem(err); }
            }
    }
    if (!(a->sdcor_names[s] = lmm__strdup("sigma"))) { lmm_allfit_free(a); return lmm__nomem(err); }
    *out = a;
    return LMM_OK;
}

/* Copy fit f into row r: theta, beta, and the sds and correlations in theta's order. */
static void lmm__allfit_row_set(lmm_allfit_row *r, const lmm_fit *f)
{
    const lmm_model *m = f->model;
    double cov[32 * 32];
    int k, i, j, s = 0;
    r->ok = 1;
    r->criterion = f->criterion; r->sigma = f->sigma;
    r->nevals = f->nevals; r->converged = f->converged; r->singular = f->singular;
    snprintf(r->warning, sizeof r->warning, "%s", f->warning);
    memcpy(r->theta, f->theta, (size_t)f->ntheta * sizeof(double));
    memcpy(r->beta, f->beta, (size_t)f->p * sizeof(double));
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        int nc = t->ncol;
        lmm_fit_term_cov(f, k, cov);
        for (j = 0; j < nc; j++)
            for (i = j; i < nc; i++)
                r->sdcor[s++] = i == j ? sqrt(cov[i * (nc + 1)]) : cov[i + j * nc] / sqrt(cov[i * (nc + 1)] * cov[j * (nc + 1)]);
    }
    r->sdcor[s] = f->sigma;
}

/* The best row and the spread of the ok rows around it. */
static void lmm__allfit_spread(lmm_allfit *a)
{
    int i, j;
    double lo = HUGE_VAL, hi = -HUGE_VAL;
    const lmm_allfit_row *b;
    a->best = -1;
    a->crit_spread = a->max_beta_rel = a->max_theta_abs = NAN;
    for (i = 0; i < a->nrows; i++) {
        if (!a->rows[i].ok) continue;
        if (a->best < 0 || a->rows[i].criterion < a->rows[a->best].criterion) a->best = i;
        if (a->rows[i].criterion < lo) lo = a->rows[i].criterion;
        if (a->rows[i].criterion > hi) hi = a->rows[i].criterion;
    }
    if (a->best < 0) return;
    b = &a->rows[a->best];
    a->crit_spread = hi - lo;
    a->max_beta_rel = a->max_theta_abs = 0;
    for (i = 0; i < a->nrows; i++) {
        const lmm_allfit_row *r = &a->rows[i];
        if (!r->ok) continue;
        for (j = 0; j < a->p; j++) {
            double d = fabs(r->beta[j] - b->beta[j]);
            if (b->beta[j] != 0) d /= fabs(b->beta[j]);
            if (d > a->max_beta_rel) a->max_beta_rel = d;
        }
        for (j = 0; j < a->ntheta; j++)
            if (fabs(r->theta[j] - b->theta[j]) > a->max_theta_abs) a->max_theta_abs = fabs(r->theta[j] - b->theta[j]);
    }
}

LMM_API lmm_status lmm_fit_all_optimizers(const lmm_fit *fit, lmm_allfit **out, lmm_error *err)
{
    /* starts: lme4's default, scaled by 0.5 and by 2, one seeded random; each by both optimizers */
    static const char *const start_tag[4] = { "", ".start0.5", ".start2", ".random" };
    static const double scale[3] = { 1.0, 0.5, 2.0 };
    lmm_model *m;
    lmm_allfit *a = NULL;
    lmm_fit_options o;
    double *start;
    lmm_status st = LMM_OK;
    lmm_rng rng;
    int s, meth, i, j, k, row = 0;
    if (out) *out = NULL;
    if (!fit || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_all_optimizers: NULL argument");
    m = fit->model;
    if (fit->p != m->X->ncol) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_all_optimizers: the model's X changed since this fit; fit it anew");
    if ((st = lmm__allfit_alloc(m, 8, &a, err)) != LMM_OK) return st;
    if (!(start = LMM__NEW(double, m->ntheta))) { lmm_allfit_free(a); return lmm__nomem(err); }
    memset(&o, 0, sizeof o);
    o.ml = !fit->reml;
    o.skip_condvar = 1;                  /* the rows need no conditional variances */
    o.skip_convcheck = !fit->convcheck_;
    lmm_rng_seed(&rng, 20150601u);       /* a fixed seed: the table is reproducible */
    for (s = 0; s < 4; s++) {
        for (k = 0; k < m->nterms; k++) {
            double *th = start + m->terms[k].theta_offset;
            for (j = 0; j < m->terms[k].ncol; j++)
                for (i = j; i < m->terms[k].ncol; i++, th++)
                    if (s < 3) *th = i == j ? scale[s] : 0.0;
                    else *th = i == j ? 0.25 + 1.5 * lmm_rng_uniform(&rng) : 0.5 * lmm_rng_normal(&rng);
        }
        for (meth = 0; meth < 2; meth++, row++) {
            lmm_allfit_row *r = &a->rows[row];
            lmm_fit *f = NULL;
            lmm_error e = {LMM_OK, ""};
            clock_t t0 = clock();
            r->method = meth ? LMM_OPT_NELDER_MEAD : LMM_OPT_BOBYQA;
            snprintf(r->label, sizeof r->label, "%s%s", meth ? "Nelder_Mead" : "bobyqa", start_tag[s]);
            o.optim = fit->optim_;
            o.optim.method = r->method;
            o.theta_start = start;
            st = lmm_model_fit(m, &o, &f, &e);
            r->seconds = (double)(clock() - t0) / CLOCKS_PER_SEC;
            if (st == LMM_ERR_NOMEM) break;
            if (st == LMM_OK) lmm__allfit_row_set(r, f);
            else {   /* as allFit keeps a failing optimizer's error: a row that did not run */
                r->ok = 0;
                r->criterion = r->sigma = NAN;
                for (i = 0; i < a->ntheta + a->p + a->nsdcor; i++) r->theta[i] = NAN;
                snprintf(r->warning, sizeof r->warning, "%s", e.message);
                st = LMM_OK;
            }
            lmm_fit_free(f);
        }
        if (st != LMM_OK) break;
    }
    LMM_FREE(start);
    /* the refits left the shared factor at their last theta: put back fit's full factor */
    lmm__factor_at(m, fit->theta, 1);
    if (st != LMM_OK) { lmm_allfit_free(a); return lmm__nomem(err); }
    lmm__allfit_spread(a);
    *out = a;
    return LMM_OK;
}

/* ---- 13. replicates on a thread team ------------------------------------ */
/* The parametric bootstraps' loop, shared by the linear and the generalized
   ones: every thread of the OpenMP team (or the one thread) builds its private
   state once, then takes replicates one at a time in chunks (about 1% each
   when progress is asked, else one chunk: no extra barriers). A thread whose
   state could not be built writes NANs; the first failure is returned. */
typedef void *(*lmm__team_init_fn)(const void *ctx, lmm_status *st, lmm_error *err);
typedef void (*lmm__team_one_fn)(const void *ctx, void *state, int b, double *out);
typedef void (*lmm__team_free_fn)(void *state);

typedef struct lmm__team {
    const void *ctx;                      /* what the replicates share, read-only */
    lmm__team_init_fn init;               /* a thread's state (NULL on failure) */
    lmm__team_one_fn one;                 /* replicate b into out (k values) */
    lmm__team_free_fn fini;
    int k;                                /* values per replicate */
    double *out;                          /* (last - first) * k */
    int first, last, chunk, threads;
    lmm_progress_fn progress;
    void *progress_user;
    lmm_status status;
    lmm_error err;
} lmm__team;

static void lmm__team_worker(lmm__team *t)
{
    lmm_error terr;
    lmm_status st = LMM_OK;
    void *state = t->init(t->ctx, &st, &terr);
    int start, b, j;
    if (!state) {
        if (st == LMM_OK) st = lmm__nomem(&terr);
#ifdef _OPENMP
#pragma omp critical (lmm__team_status)
#endif
        {
            if (t->status == LMM_OK) { t->status = st; t->err = terr; }
        }
    }
#ifdef _OPENMP
#pragma omp atomic
#endif
    t->threads++;
    for (start = t->first; start < t->last; start += t->chunk) {
        int end = t->last - start > t->chunk ? start + t->chunk : t->last;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (b = start; b < end; b++) {
            double *out = t->out + (size_t)(b - t->first) * t->k;
            if (state) t->one(t->ctx, state, b, out);
            else for (j = 0; j < t->k; j++) out[j] = NAN;
        }
#ifdef _OPENMP
#pragma omp master
#endif
        {
            if (t->progress) t->progress(end - t->first, t->last - t->first, t->progress_user);
        }
    }
    if (state) t->fini(state);
}

/* The shard [first, last) of nsim replicates that opt names; 0, or nonzero
   (with the error) when it does not lie inside [0, nsim). */
static int lmm__team_range(int nsim, const lmm_boot_options *opt, int *first, int *last, lmm_error *err)
{
    *first = opt ? opt->first : 0;
    *last = opt && opt->last > 0 ? opt->last : nsim;
    if (nsim < 1) { lmm__fail(err, LMM_ERR_ARG, "nsim must be positive (got %d)", nsim); return 1; }
    if (*first < 0 || *first >= *last || *last > nsim) {
        lmm__fail(err, LMM_ERR_ARG, "replicate range [%d, %d) is not inside [0, %d)", *first, *last, nsim);
        return 1;
    }
    return 0;
}

/* Validate the range, run the replicates on the team, report the setup status. */
static lmm_status lmm__team_run(lmm__team *t, int nsim, const lmm_boot_options *opt, lmm_error *err)
{
    int nthreads = opt ? opt->threads : 0;
    if (lmm__team_range(nsim, opt, &t->first, &t->last, err)) return LMM_ERR_ARG;
    t->progress = opt ? opt->progress : NULL;
    t->progress_user = opt ? opt->progress_user : NULL;
    t->chunk = t->progress ? (t->last - t->first + 99) / 100 : t->last - t->first;
    if (t->chunk < 1) t->chunk = 1;
    t->threads = 0;
    t->status = LMM_OK;
    (void)nthreads;
#ifdef _OPENMP
    if (nthreads > 0) {
#pragma omp parallel num_threads(nthreads)
        lmm__team_worker(t);
    } else {
#pragma omp parallel
        lmm__team_worker(t);
    }
#else
    lmm__team_worker(t);
#endif
    if (t->status != LMM_OK) {
        if (err) *err = t->err;
        return t->status;
    }
    return LMM_OK;
}

/* An LRT bootstrap's p-value, its Monte Carlo SE and the share of statistics
   at zero (below 1e-5) from the finite ones. */
static void lmm__boot_tally(lmm_boot_result *res)
{
    int i, n = res->last - res->first, valid = 0, ge = 0, zero = 0;
    for (i = 0; i < n; i++) {
        double s = res->stats[i];
        if (!isfinite(s)) continue;
        valid++;
        if (s >= res->observed) ge++;
        if (s < 1e-5) zero++;
    }
    res->nvalid = valid;
    res->pvalue = valid ? (double)ge / valid : NAN;
    res->pvalue_se = valid ? sqrt(res->pvalue * (1 - res->pvalue) / valid) : NAN;
    res->frac_zero = valid ? (double)zero / valid : NAN;
}

/* ======================================================================== */
/* Generalized linear mixed models                                   @glmm */
/* ======================================================================== */
/* lme4's glmer. For a given theta (and beta in stage 2) PIRLS finds the
   conditional modes u of the penalised deviance sum(devres) + |u|^2 by
   Fisher scoring; the Laplace deviance is then log|L|^2 + |u|^2 + aic(mu)
   (lme4's glmResp::Laplace), L the Cholesky factor of
   Lambda'Z'WZ Lambda + I at the modes' working weights W. AGQ (one scalar
   term) replaces it by sum(devc0) + log|L|^2 - 2 sum_j log(mult_j) as lme4's
   glmerAGQ. Stage 1 optimizes theta with (u, beta) both from PIRLS; stage 2
   optimizes (theta, beta). The system is factored in two parts: the first
   term's levels are disjoint per observation (a block diagonal), the rest
   (later terms, and beta in stage 1) is a dense Schur complement. */

LMM_API const char *lmm_family_name(lmm_family f)
{
    return f == LMM_FAMILY_BINOMIAL ? "binomial" : f == LMM_FAMILY_POISSON ? "poisson" : "gaussian";
}

LMM_API const char *lmm_link_name(lmm_link l)
{
    switch (l) {
    case LMM_LINK_LOGIT: return "logit";
    case LMM_LINK_PROBIT: return "probit";
    case LMM_LINK_CLOGLOG: return "cloglog";
    case LMM_LINK_LOG: return "log";
    case LMM_LINK_IDENTITY: return "identity";
    default: return "default";
    }
}

#define LMM__GLMM_EPS 2.220446049250313e-16   /* R's .Machine$double.eps */

/* mu from eta, R's linkinv with its clamps away from 0 and 1 */
static double lmm__glmm_linkinv(lmm_link l, double eta)
{
    double t;
    switch (l) {
    case LMM_LINK_LOGIT:
        t = eta < -30 ? LMM__GLMM_EPS : eta > 30 ? 1 / LMM__GLMM_EPS : exp(eta);
        return t / (1 + t);
    case LMM_LINK_PROBIT:
        t = -lmm_qnorm(LMM__GLMM_EPS, 0, 1, 1, 0);
        return lmm_pnorm(eta < -t ? -t : eta > t ? t : eta, 0, 1, 1, 0);
    case LMM_LINK_CLOGLOG:
        t = -expm1(-exp(eta));
        return t > 1 - LMM__GLMM_EPS ? 1 - LMM__GLMM_EPS : t < LMM__GLMM_EPS ? LMM__GLMM_EPS : t;
    case LMM_LINK_LOG:
        t = exp(eta);
        return t < LMM__GLMM_EPS ? LMM__GLMM_EPS : t;
    default: return eta;
    }
}

/* d mu / d eta (R's mu.eta) */
static double lmm__glmm_mueta(lmm_link l, double eta)
{
    double t;
    switch (l) {
    case LMM_LINK_LOGIT:
        if (eta > 30 || eta < -30) return LMM__GLMM_EPS;
        t = exp(eta);
        return t / ((1 + t) * (1 + t));
    case LMM_LINK_PROBIT:
        t = lmm_dnorm(eta, 0, 1, 0);
        return t < LMM__GLMM_EPS ? LMM__GLMM_EPS : t;
    case LMM_LINK_CLOGLOG:
        if (eta > 700) eta = 700;
        t = exp(eta) * exp(-exp(eta));
        return t < LMM__GLMM_EPS ? LMM__GLMM_EPS : t;
    case LMM_LINK_LOG:
        t = exp(eta);
        return t < LMM__GLMM_EPS ? LMM__GLMM_EPS : t;
    default: return 1.0;
    }
}

/* mu and mu.eta together (one exp where the link allows): PIRLS needs both per row. */
static void lmm__glmm_mu_mueta(lmm_link l, double eta, double *mu, double *me)
{
    double t;
    switch (l) {
    case LMM_LINK_LOGIT:
        t = eta < -30 ? LMM__GLMM_EPS : eta > 30 ? 1 / LMM__GLMM_EPS : exp(eta);
        {
            double inv = 1 / (1 + t);   /* one division for both */
            *mu = t * inv;
            *me = eta > 30 || eta < -30 ? LMM__GLMM_EPS : *mu * inv;
        }
        return;
    case LMM_LINK_LOG:
        t = exp(eta);
        *mu = *me = t < LMM__GLMM_EPS ? LMM__GLMM_EPS : t;
        return;
    default:
        *mu = lmm__glmm_linkinv(l, eta);
        *me = lmm__glmm_mueta(l, eta);
    }
}

static double lmm__glmm_linkfun(lmm_link l, double mu)
{
    switch (l) {
    case LMM_LINK_LOGIT: return log(mu / (1 - mu));
    case LMM_LINK_PROBIT: return lmm_qnorm(mu, 0, 1, 1, 0);
    case LMM_LINK_CLOGLOG: return log(-log1p(-mu));
    case LMM_LINK_LOG: return log(mu);
    default: return mu;
    }
}

static double lmm__glmm_variance(lmm_family f, double mu)
{
    return f == LMM_FAMILY_BINOMIAL ? mu * (1 - mu) : f == LMM_FAMILY_POISSON ? mu : 1.0;
}

static double lmm__ylogy(double y, double mu) { return y > 0 ? y * log(y / mu) : 0.0; }

/* deviance residual (squared): R's family()$dev.resids */
static double lmm__glmm_devres(lmm_family f, double y, double mu, double wt)
{
    if (f == LMM_FAMILY_BINOMIAL) return 2 * wt * (lmm__ylogy(y, mu) + lmm__ylogy(1 - y, 1 - mu));
    if (f == LMM_FAMILY_POISSON) return 2 * wt * (y > 0 ? y * log(y / mu) - (y - mu) : mu);
    return wt * (y - mu) * (y - mu);
}

/* The private state of a GLMM fit: data, Lambda, the two-part factor. */
typedef struct lmm__glmm_ws {
    const lmm_model *m;
    lmm_family family;
    lmm_link link;
    int n, p, q, q1, c1, nlev1, nz, nru, nagq;
    const double *y, *pw;
    double *trials;       /* binomial: the trials m of each observation (owned) */
    double *T;            /* templates, term k at T_off[k] */
    int *T_off;
    double *zl;           /* n x nz: row i of Z Lambda, its nonzeros */
    int *zc;              /* their columns in u */
    double *u, *beta, *eta, *mu, *me, *w, *wr, *off; /* off = offset (+ X beta in stage 2); me = mu.eta at eta */
    double *base_off;     /* the model's offset (0 without) */
    double *lp0;          /* linear predictor less the offset each PIRLS starts from (lme4's lp0) */
    double *H11, *H21, *H22, *rhs, *sol, *tmp;
    int r;                /* rest size of the last assembly */
    double ldL2;
    double *gh_z, *gh_w;  /* Gauss-Hermite nodes and weights for N(0,1) */
    double aic_const;     /* the mu-free part of the aic (lmm__glmm_aic_const) */
    double aic_shift;     /* aic = sum(devres) + aic_shift when aic_from_dev (lmm__glmm_aic_const) */
    double *ylogy;        /* n: y log y + (1 - y) log(1 - y) (binomial) or y log y (Poisson), for lmm__glmm_mu_dev */
    int aic_from_dev;     /* every binomial row has integer trials and successes (Poisson: always) */
    double *wht;          /* p x p lower Cholesky factor of stage 1's fixed-effects information (NULL: none):
                             stage 2 searches delta = wht' (beta - wctr), beta in units of its standard errors */
    double *wctr;         /* p: the centre of that map (stage 1's beta) */
    double *bw;           /* p: beta mapped back from delta */
    int *pat_ptr, *pat_idx; /* per level of the first term: the rest rows its observations touch, ascending, then the p beta rows */
    double *w0c;          /* PIRLS's cache at lp0's weights W0, all-scalar terms (NULL: none yet): A11 (q1),
                             A21 (nru x q1, H21's layout), A22 (nru x nru), Z'W0 z0 (q), Z'W0 X (q x p),
                             theta per column (q), X'W0X (p x p), X'W0 z0 (p) */
    int w0_ok;            /* w0c matches lp0 and y (cleared wherever either is written) */
    int unit_logit;       /* binomial-logit, every prior weight 1 and ylogy set (lmm__glmm_aic_const) */
    double tsc[96];       /* stage 2 searches theta_k * tsc[k] (when tsc_on): the deviance's curvature ~2 in each, as whitened beta's */
    int tsc_on;
    int evals, fail;
    char fail_msg[160];
    lmm_glmm_options opts;  /* as fitted (nagq, optim, skips): refits reuse them */
} lmm__glmm_ws;

static void lmm__glmm_ws_free(lmm__glmm_ws *ws)
{
    if (!ws) return;
    LMM_FREE(ws->T); LMM_FREE(ws->T_off); LMM_FREE(ws->zl); LMM_FREE(ws->zc);
    LMM_FREE(ws->u); LMM_FREE(ws->beta); LMM_FREE(ws->eta); LMM_FREE(ws->mu); LMM_FREE(ws->me); LMM_FREE(ws->w); LMM_FREE(ws->wr);
    LMM_FREE(ws->off); LMM_FREE(ws->base_off); LMM_FREE(ws->lp0); LMM_FREE(ws->H11); LMM_FREE(ws->H21); LMM_FREE(ws->H22); LMM_FREE(ws->rhs);
    LMM_FREE(ws->sol); LMM_FREE(ws->tmp); LMM_FREE(ws->trials); LMM_FREE(ws->gh_z); LMM_FREE(ws->gh_w);
    LMM_FREE(ws->pat_ptr); LMM_FREE(ws->pat_idx); LMM_FREE(ws->wht); LMM_FREE(ws->ylogy); LMM_FREE(ws->w0c);
    LMM_FREE(ws);
}

/* Nodes and weights of Gauss-Hermite quadrature for the standard normal
   (sum w f(z) ~ E f(Z)): Newton on the orthonormal Hermite recurrence. */
static void lmm__gauss_hermite(int n, double *z, double *w)
{
    int i, j, its, mid = (n + 1) / 2;
    double x = 0, p1, p2, p3, pp = 1, x1;
    const double pim4 = 0.7511255444649425;   /* pi^(-1/4) */
    for (i = 0; i < mid; i++) {
        if (i == 0) x = sqrt(2.0 * n + 1) - 1.85575 * pow(2.0 * n + 1, -0.16667);
        else if (i == 1) x -= 1.14 * pow((double)n, 0.426) / x;
        else if (i == 2) x = 1.86 * x - 0.86 * z[0];
        else if (i == 3) x = 1.91 * x - 0.91 * z[1];
        else x = 2 * x - z[i - 2];
        for (its = 0; its < 100; its++) {
            p1 = pim4; p2 = 0;
            for (j = 1; j <= n; j++) {
                p3 = p2; p2 = p1;
                p1 = x * sqrt(2.0 / j) * p2 - sqrt((double)(j - 1) / j) * p3;
            }
            pp = sqrt(2.0 * n) * p2;
            x1 = x; x = x1 - p1 / pp;
            if (fabs(x - x1) <= 1e-15 * (fabs(x) > 1 ? fabs(x) : 1)) break;
        }
        if (fabs(x) < 1e-13) x = 0;
        z[i] = x; z[n - 1 - i] = -x;
        w[i] = w[n - 1 - i] = 2.0 / (pp * pp);
    }
    /* physicists' nodes t (weight exp(-t^2)) to the normal: z = sqrt(2) t, w / sqrt(pi) */
    for (i = 0; i < n; i++) { z[i] *= 1.4142135623730951; w[i] /= 1.7724538509055160; }
}

/* The columns in u of each observation's random effects (fixed by the model). */
static void lmm__glmm_set_cols(lmm__glmm_ws *ws)
{
    const lmm_model *m = ws->m;
    int k, i, a, e;
    for (i = 0; i < ws->n; i++)
        for (k = 0, e = 0; k < m->nterms; k++)
            for (a = 0; a < m->terms[k].ncol; a++, e++)
                ws->zc[(size_t)i * ws->nz + e] = m->terms[k].u_offset + m->terms[k].codes[i] * m->terms[k].ncol + a;
}

/* Lambda(theta): templates and the rows of Z Lambda. */
static void lmm__glmm_set_theta(lmm__glmm_ws *ws, const double *theta)
{
    const lmm_model *m = ws->m;
    int k, i, j, a, r, e;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        double *T = ws->T + ws->T_off[k];
        const double *th = theta + t->theta_offset;
        for (j = 0; j < t->ncol; j++)
            for (i = 0; i < t->ncol; i++) T[i + j * t->ncol] = i >= j ? *th++ : 0.0;
    }
    for (k = 0, e = 0; k < m->nterms; k++) {   /* term by term: a scalar term is one product a row */
        const lmm_reterm *t = &m->terms[k];
        const double *T = ws->T + ws->T_off[k];
        int c = t->ncol, nz = ws->nz;
        double *zl = ws->zl + e;
        if (c == 1) {
            double th = T[0];
            for (i = 0; i < ws->n; i++) zl[(size_t)i * nz] = t->z[i] * th;
        } else
            for (i = 0; i < ws->n; i++)
                for (a = 0; a < c; a++) {
                    double s = 0;
                    for (r = a; r < c; r++) s += t->z[(size_t)r * ws->n + i] * T[r + a * c];
                    zl[(size_t)i * nz + a] = s;
                }
        e += c;
    }
}

/* mu, mu.eta and the deviance residual of row i at eta. For binomial-logit and
   Poisson-log the residual comes from log mu = log t - log(1 + t) (t = exp(eta) as R's
   linkinv clamps it) and log(1 - mu) = -log(1 + t), or log mu = eta: one log or none
   where R's dev.resids takes two logs (the same value up to rounding). */
static double lmm__glmm_mu_dev(const lmm__glmm_ws *ws, int i, double eta, double *mu, double *me)
{
    double y = ws->y[i], t, lt;
    if (ws->ylogy && ws->family == LMM_FAMILY_BINOMIAL && ws->link == LMM_LINK_LOGIT) {
        double inv;
        if (eta < -30) { t = LMM__GLMM_EPS; lt = -36.043653389117154; }      /* log(eps) */
        else if (eta > 30) { t = 1 / LMM__GLMM_EPS; lt = 36.043653389117154; }
        else { t = exp(eta); lt = eta; }
        inv = 1 / (1 + t);
        *mu = t * inv;
        *me = eta > 30 || eta < -30 ? LMM__GLMM_EPS : *mu * inv;
        return 2 * ws->pw[i] * (ws->ylogy[i] - y * lt + log(1 + t));   /* log, not log1p: an absolute error of 1e-16 is all a sum needs */
    }
    if (ws->ylogy && ws->family == LMM_FAMILY_POISSON && ws->link == LMM_LINK_LOG) {
        t = exp(eta); lt = eta;
        if (t < LMM__GLMM_EPS) { t = LMM__GLMM_EPS; lt = -36.043653389117154; }
        *mu = *me = t;
        return 2 * ws->pw[i] * (ws->ylogy[i] - y * lt - y + t);
    }
    lmm__glmm_mu_mueta(ws->link, eta, mu, me);
    return lmm__glmm_devres(ws->family, y, *mu, ws->pw[i]);
}

/* eta = off (+ X beta when joint) + Z Lambda u, and mu; returns sum(devres) + |u|^2. */
static double lmm__glmm_update_mu(lmm__glmm_ws *ws, const double *u, const double *beta)
{
    int i, j, e;
    double dev = 0;
    if (ws->unit_logit) {   /* binomial-logit with unit weights: sum log(1 + t) as the log of products, one log per 16 rows */
        double prod = 1, lsum = 0;
        for (i = 0; i < ws->n; i++) {
            double eta = ws->off[i], t, lt, inv;
            if (beta) for (j = 0; j < ws->p; j++) eta += ws->m->X->v[(size_t)j * ws->n + i] * beta[j];
            for (e = 0; e < ws->nz; e++) eta += ws->zl[(size_t)i * ws->nz + e] * u[ws->zc[(size_t)i * ws->nz + e]];
            ws->eta[i] = eta;
            if (eta < -30) { t = LMM__GLMM_EPS; lt = -36.043653389117154; }   /* as lmm__glmm_mu_dev */
            else if (eta > 30) { t = 1 / LMM__GLMM_EPS; lt = 36.043653389117154; }
            else { t = exp(eta); lt = eta; }
            inv = 1 / (1 + t);
            ws->mu[i] = t * inv;
            ws->me[i] = eta > 30 || eta < -30 ? LMM__GLMM_EPS : ws->mu[i] * inv;
            dev += ws->ylogy[i] - ws->y[i] * lt;
            prod *= 1 + t;   /* each factor below 4.6e15: 16 of them stay finite */
            if ((i & 15) == 15) { lsum += log(prod); prod = 1; }
        }
        dev = 2 * (dev + lsum + log(prod));
        for (j = 0; j < ws->q; j++) dev += u[j] * u[j];
        return dev;
    }
    for (i = 0; i < ws->n; i++) {
        double eta = ws->off[i];
        if (beta) for (j = 0; j < ws->p; j++) eta += ws->m->X->v[(size_t)j * ws->n + i] * beta[j];
        for (e = 0; e < ws->nz; e++) eta += ws->zl[(size_t)i * ws->nz + e] * u[ws->zc[(size_t)i * ws->nz + e]];
        ws->eta[i] = eta;
        dev += lmm__glmm_mu_dev(ws, i, eta, ws->mu + i, ws->me + i);
    }
    for (j = 0; j < ws->q; j++) dev += u[j] * u[j];
    return dev;
}

/* Working weights and the working response less the fixed offset:
   wr = eta - off + (y - mu) / mu.eta. */
static void lmm__glmm_weights(lmm__glmm_ws *ws)
{
    int i;
    for (i = 0; i < ws->n; i++) {
        double me = ws->me[i];
        ws->w[i] = ws->pw[i] * me * me / lmm__glmm_variance(ws->family, ws->mu[i]);
        ws->wr[i] = ws->eta[i] - ws->off[i] + (ws->y[i] - ws->mu[i]) / me;
    }
}

/* S -= l l' (lower triangle) over the rows pat[0..np) of the Schur complement S (r x r). */
static void lmm__glmm_schur_sub(const double *l, double *S, int r, int np, const int *pat)
{
    int t2, t3;
    if (np == r) {   /* every row: contiguous, so the compiler vectorizes it */
        for (t2 = 0; t2 < r; t2++) {
            double lb = l[t2], *Sb = S + (size_t)t2 * r;
            if (lb == 0.0) continue;
            for (t3 = t2; t3 < r; t3++) Sb[t3] -= l[t3] * lb;
        }
        return;
    }
    for (t2 = 0; t2 < np; t2++) {
        double lb = l[pat[t2]], *Sb = S + (size_t)pat[t2] * r;
        if (lb == 0.0) continue;
        for (t3 = t2; t3 < np; t3++) Sb[pat[t3]] -= l[pat[t3]] * lb;
    }
}

/* Assemble Lambda'Z'WZLambda (u part) and, when joint, the X columns, with the
   right-hand side, from the rows at the working weights w and response wr. */
static void lmm__glmm_assemble(lmm__glmm_ws *ws, int joint)
{
    int n = ws->n, c1 = ws->c1, q1 = ws->q1, nz = ws->nz, p = ws->p;
    int r = ws->nru + (joint ? p : 0), i, a, b, e, j, s;
    int ridx[64 + 256];
    double rval[64 + 256];
    memset(ws->H11, 0, (size_t)ws->nlev1 * c1 * c1 * sizeof(double));
    if (r) {
        memset(ws->H21, 0, (size_t)r * q1 * sizeof(double));
        memset(ws->H22, 0, (size_t)r * r * sizeof(double));
    }
    memset(ws->rhs, 0, (size_t)(q1 + r) * sizeof(double));
    if (c1 == 1) {   /* a scalar first term: the same sums with no index lists; stage 1 (joint) adds beta's rows after the rest */
        int nru = ws->nru;
        const double *X = ws->m->X->v;
        for (i = 0; i < n; i++) {
            const double *zl = ws->zl + (size_t)i * nz;
            const int *zc = ws->zc + (size_t)i * nz;
            double wi = ws->w[i], ri = ws->wr[i], wa = wi * zl[0], *h21 = ws->H21 + (size_t)zc[0] * r, xi[64];
            if (joint) for (j = 0; j < p; j++) xi[j] = X[(size_t)j * n + i];
            ws->H11[zc[0]] += wa * zl[0];
            ws->rhs[zc[0]] += wa * ri;
            for (e = 1; e < nz; e++) {
                int re = zc[e] - q1;
                double we = wi * zl[e], *h22 = ws->H22 + (size_t)re * r;
                h21[re] += wa * zl[e];
                ws->rhs[zc[e]] += we * ri;
                for (b = 1; b < nz; b++) if (zc[b] - q1 >= re) h22[zc[b] - q1] += we * zl[b];
                if (joint) for (j = 0; j < p; j++) h22[nru + j] += we * xi[j];
            }
            if (joint) for (j = 0; j < p; j++) {
                double wx = wi * xi[j], *h22 = ws->H22 + (size_t)(nru + j) * r + nru;
                h21[nru + j] += wa * xi[j];
                ws->rhs[q1 + nru + j] += wx * ri;
                for (b = j; b < p; b++) h22[b] += wx * xi[b];
            }
        }
    } else for (i = 0; i < n; i++) {
        const double *zl = ws->zl + (size_t)i * nz;
        const int *zc = ws->zc + (size_t)i * nz;
        double wi = ws->w[i], ri = ws->wr[i];
        int col0 = zc[0] - 0, nr = 0;   /* first term: columns col0 .. col0 + c1 - 1 */
        double *B = ws->H11 + (size_t)(col0 / c1) * c1 * c1;
        for (e = c1; e < nz; e++) { ridx[nr] = zc[e] - q1; rval[nr++] = zl[e]; }
        if (joint) for (j = 0; j < p; j++) { ridx[nr] = ws->nru + j; rval[nr++] = ws->m->X->v[(size_t)j * n + i]; }
        for (a = 0; a < c1; a++) {
            double wa = wi * zl[a];
            for (b = a; b < c1; b++) B[b + a * c1] += wa * zl[b];
            ws->rhs[col0 + a] += wa * ri;
            for (s = 0; s < nr; s++) ws->H21[(size_t)(col0 + a) * r + ridx[s]] += wa * rval[s];
        }
        for (s = 0; s < nr; s++) {
            double ws_ = wi * rval[s];
            ws->rhs[q1 + ridx[s]] += ws_ * ri;
            for (b = 0; b < nr; b++) if (ridx[b] >= ridx[s]) ws->H22[(size_t)ridx[s] * r + ridx[b]] += ws_ * rval[b];
        }
    }
}

/* lp0 from the current linear predictor (less the offset); the W0 cache follows lp0, so it goes. */
static void lmm__glmm_lp0_from_eta(lmm__glmm_ws *ws)
{
    int i;
    for (i = 0; i < ws->n; i++) ws->lp0[i] = ws->eta[i] - ws->base_off[i];
    ws->w0_ok = 0;
}

/* The cache at lp0 (all terms scalar): PIRLS's first iteration has the weights W0 of lp0
   whatever (theta, beta), so its cross-products are W0's sums scaled by theta (and, in
   stage 2, shifted by X beta): no pass over the rows. 0 when the cache is not available. */
static int lmm__glmm_w0_cache(lmm__glmm_ws *ws)
{
    const lmm_model *m = ws->m;
    int n = ws->n, q = ws->q, q1 = ws->q1, nz = ws->nz, p = ws->p, r = ws->nru, i, e, b, j;
    size_t len = (size_t)q1 + (size_t)r * q1 + (size_t)r * r + (size_t)q * (p + 2) + (size_t)p * (p + 1);
    double *A11, *A21, *A22, *B, *C, *XX, *Xz;
    if (ws->w0_ok) return 1;
    if (ws->c1 != 1 || nz != m->nterms) return 0;   /* a vector-valued term */
    if (!ws->w0c && !(ws->w0c = LMM__NEW(double, len))) return 0;
    memset(ws->w0c, 0, len * sizeof(double));
    A11 = ws->w0c; A21 = A11 + q1; A22 = A21 + (size_t)r * q1; B = A22 + (size_t)r * r; C = B + q;
    XX = C + (size_t)q * (p + 1); Xz = XX + (size_t)p * p;   /* after C and the theta column scales */
    for (i = 0; i < n; i++) {
        double mu, me, wi, zi, eta = ws->base_off[i] + ws->lp0[i];
        const int *zc = ws->zc + (size_t)i * nz;
        lmm__glmm_mu_mueta(ws->link, eta, &mu, &me);
        wi = ws->pw[i] * me * me / lmm__glmm_variance(ws->family, mu);
        zi = ws->lp0[i] + (ws->y[i] - mu) / me;   /* the working response less the offset, beta = 0 */
        for (e = 0; e < nz; e++) {
            double we = wi * m->terms[e].z[i];
            B[zc[e]] += we * zi;
            for (j = 0; j < p; j++) C[zc[e] + (size_t)j * q] += we * m->X->v[(size_t)j * n + i];
            if (e == 0) { A11[zc[0]] += we * m->terms[0].z[i]; continue; }
            A21[(size_t)zc[0] * r + zc[e] - q1] += wi * m->terms[0].z[i] * m->terms[e].z[i];
            for (b = 1; b < nz; b++) if (zc[b] >= zc[e]) A22[(size_t)(zc[e] - q1) * r + zc[b] - q1] += we * m->terms[b].z[i];
        }
        for (j = 0; j < p; j++) {
            double wx = wi * m->X->v[(size_t)j * n + i];
            Xz[j] += wx * zi;
            for (b = j; b < p; b++) XX[(size_t)j * p + b] += wx * m->X->v[(size_t)b * n + i];
        }
    }
    ws->w0_ok = 1;
    return 1;
}

/* H11, H21, H22 and rhs of PIRLS's first iteration from the W0 cache at the current theta:
   stage 2 (the working response z0 - X beta, ws->beta), or joint (beta's rows appended). */
static void lmm__glmm_assemble_w0(lmm__glmm_ws *ws, int joint)
{
    const lmm_model *m = ws->m;
    int q = ws->q, q1 = ws->q1, p = ws->p, nru = ws->nru, r = nru + (joint ? p : 0), k, l, j, b;
    double *A11 = ws->w0c, *A21 = A11 + q1, *A22 = A21 + (size_t)nru * q1, *B = A22 + (size_t)nru * nru, *C = B + q;
    double *th = C + (size_t)q * p, *XX = th + q, *Xz = XX + (size_t)p * p;
    for (k = 0; k < m->nterms; k++)
        for (l = 0; l < m->terms[k].nlevels; l++) th[m->terms[k].u_offset + l] = ws->T[ws->T_off[k]];
    for (j = 0; j < q1; j++) {
        const double *a = A21 + (size_t)j * nru;
        double *h = ws->H21 + (size_t)j * r, t = th[j];
        ws->H11[j] = A11[j] * t * t;
        for (l = 0; l < nru; l++) h[l] = a[l] * t * th[q1 + l];
        if (joint) for (b = 0; b < p; b++) h[nru + b] = C[j + (size_t)b * q] * t;
    }
    if (joint) memset(ws->H22, 0, (size_t)r * r * sizeof(double));
    for (l = 0; l < nru; l++) {
        double *h = ws->H22 + (size_t)l * r;
        for (b = 0; b < nru; b++) h[b] = A22[(size_t)l * nru + b] * th[q1 + l] * th[q1 + b];
        if (joint) for (b = 0; b < p; b++) h[nru + b] = C[q1 + l + (size_t)b * q] * th[q1 + l];
    }
    if (joint) {
        for (j = 0; j < p; j++)
            for (b = j; b < p; b++) ws->H22[(size_t)(nru + j) * r + nru + b] = XX[(size_t)j * p + b];
        for (k = 0; k < q; k++) ws->rhs[k] = th[k] * B[k];
        for (j = 0; j < p; j++) ws->rhs[q + j] = Xz[j];
        return;
    }
    for (k = 0; k < q; k++) {
        double v = B[k];
        for (j = 0; j < p; j++) v -= C[k + (size_t)j * q] * ws->beta[j];
        ws->rhs[k] = th[k] * v;
    }
}

/* Assemble (from the rows, or from the W0 cache: from_w0) and factor
   Lambda'Z'WZLambda + I and, when joint, the X columns, with the right-hand
   side. 0, or -1 when not positive definite. */
static int lmm__glmm_factor(lmm__glmm_ws *ws, int joint, int from_w0)
{
    int c1 = ws->c1, p = ws->p;
    int r = ws->nru + (joint ? p : 0), a, j, s;
    ws->r = r;
    if (from_w0) lmm__glmm_assemble_w0(ws, joint);
    else lmm__glmm_assemble(ws, joint);
    ws->ldL2 = 0;
    for (j = 0; j < ws->nlev1; j++) {
        double *B = ws->H11 + (size_t)j * c1 * c1;
        for (a = 0; a < c1; a++) B[a * (c1 + 1)] += 1.0;
        if (lmm_chol(c1, B, c1) != 0) return -1;
        for (a = 0; a < c1; a++) ws->ldL2 += 2 * log(B[a * (c1 + 1)]);
    }
    if (!r) return 0;
    for (a = 0; a < ws->nru; a++) ws->H22[(size_t)a * (r + 1)] += 1.0;
    /* L21 = H21 L11^-T on the level's pattern of rows (the rest effects its observations
       touch, then beta when joint): column block j (r x c1), rows solved by L11_j;
       then S = H22 - L21 L21' (lower triangle) over the pattern */
    if (c1 == 1) {   /* a scalar first term: L11 is a number; levels that touch every row go four at a time */
        int L = ws->nlev1;
        for (j = 0; j < L; j++) {
            double *l = ws->H21 + (size_t)j * r, d = 1.0 / ws->H11[j];
            const int *pat = ws->pat_idx + ws->pat_ptr[j];
            int np = ws->pat_ptr[j + 1] - ws->pat_ptr[j] - (joint ? 0 : p), t2;
            for (t2 = 0; t2 < np; t2++) l[pat[t2]] *= d;
        }
        for (j = 0; j < L;) {
#define LMM__GLMM_NP(j_) (ws->pat_ptr[(j_) + 1] - ws->pat_ptr[j_] - (joint ? 0 : p))
            if (j + 4 <= L && LMM__GLMM_NP(j) == r && LMM__GLMM_NP(j + 1) == r && LMM__GLMM_NP(j + 2) == r && LMM__GLMM_NP(j + 3) == r) {
                const double *l0 = ws->H21 + (size_t)j * r, *l1 = l0 + r, *l2 = l1 + r, *l3 = l2 + r;
                int t2, t3;
                for (t2 = 0; t2 < r; t2++) {
                    double b0 = l0[t2], b1 = l1[t2], b2 = l2[t2], b3 = l3[t2], *Sb = ws->H22 + (size_t)t2 * r;
                    for (t3 = t2; t3 < r; t3++) Sb[t3] -= l0[t3] * b0 + l1[t3] * b1 + l2[t3] * b2 + l3[t3] * b3;
                }
                j += 4;
            } else {
                lmm__glmm_schur_sub(ws->H21 + (size_t)j * r, ws->H22, r, LMM__GLMM_NP(j), ws->pat_idx + ws->pat_ptr[j]);
                j++;
            }
#undef LMM__GLMM_NP
        }
    } else for (j = 0; j < ws->nlev1; j++) {
        const double *B = ws->H11 + (size_t)j * c1 * c1;
        int np = ws->pat_ptr[j + 1] - ws->pat_ptr[j] - (joint ? 0 : p), t2;
        const int *pat = ws->pat_idx + ws->pat_ptr[j];
        for (t2 = 0; t2 < np; t2++) {
            double *x = ws->tmp;
            s = pat[t2];
            for (a = 0; a < c1; a++) x[a] = ws->H21[(size_t)(j * c1 + a) * r + s];
            lmm_trsv_lower(c1, B, c1, x, 0);
            for (a = 0; a < c1; a++) ws->H21[(size_t)(j * c1 + a) * r + s] = x[a];
        }
        for (a = 0; a < c1; a++) lmm__glmm_schur_sub(ws->H21 + (size_t)(j * c1 + a) * r, ws->H22, r, np, pat);
    }
    if (lmm_chol(r, ws->H22, r) != 0) return -1;
    for (a = 0; a < ws->nru; a++) ws->ldL2 += 2 * log(ws->H22[(size_t)a * (r + 1)]);
    return 0;
}

/* The rows of L21 each level of the first term can fill: the later terms'
   effects of its observations, then beta (the factor's pattern). */
static int lmm__glmm_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

static lmm_status lmm__glmm_patterns(lmm__glmm_ws *ws, lmm_error *err)
{
    const lmm_model *m = ws->m;
    int n = ws->n, L = ws->nlev1, i, j, k, e, pass, cnt = 0, *mark = NULL, *count = NULL, *start = NULL, *obs = NULL;
    ws->pat_ptr = LMM__ZNEW(int, L + 1);
    mark = LMM__NEW(int, ws->nru + 1);
    count = LMM__ZNEW(int, L + 1);
    start = LMM__NEW(int, L + 1);
    obs = LMM__NEW(int, n);
    if (!ws->pat_ptr || !mark || !count || !start || !obs) { LMM_FREE(mark); LMM_FREE(count); LMM_FREE(start); LMM_FREE(obs); return lmm__nomem(err); }
    for (i = 0; i < n; i++) count[m->terms[0].codes[i]]++;
    for (j = 0, k = 0; j < L; j++) { start[j] = k; k += count[j]; }
    for (i = 0; i < n; i++) obs[start[m->terms[0].codes[i]]++] = i;   /* observations by level */
    for (j = 0, k = 0; j < L; j++) { start[j] = k; k += count[j]; }
    for (pass = 0; pass < 2; pass++) {
        for (e = 0; e <= ws->nru; e++) mark[e] = -1;
        for (j = 0, cnt = 0; j < L; j++) {
            int c0 = cnt;
            if (pass) ws->pat_ptr[j] = cnt;
            for (k = start[j]; k < start[j] + count[j]; k++)
                for (e = ws->c1; e < ws->nz; e++) {
                    int row = ws->zc[(size_t)obs[k] * ws->nz + e] - ws->q1;
                    if (mark[row] != j) { mark[row] = j; if (pass) ws->pat_idx[cnt] = row; cnt++; }
                }
            if (pass) qsort(ws->pat_idx + c0, (size_t)(cnt - c0), sizeof(int), lmm__glmm_cmp_int);
            for (e = 0; e < ws->p; e++, cnt++) if (pass) ws->pat_idx[cnt] = ws->nru + e;
        }
        if (pass) ws->pat_ptr[L] = cnt;
        else if (!(ws->pat_idx = LMM__NEW(int, cnt + 1))) break;
    }
    LMM_FREE(mark); LMM_FREE(count); LMM_FREE(start); LMM_FREE(obs);
    return ws->pat_idx ? LMM_OK : lmm__nomem(err);
}

/* Solve the factored system for rhs into sol (q1 + r). */
static void lmm__glmm_solve(lmm__glmm_ws *ws)
{
    int c1 = ws->c1, q1 = ws->q1, r = ws->r, j, s;
    double *x = ws->sol;
    memcpy(x, ws->rhs, (size_t)(q1 + r) * sizeof(double));
    for (j = 0; j < ws->nlev1; j++) lmm_trsv_lower(c1, ws->H11 + (size_t)j * c1 * c1, c1, x + j * c1, 0);
    if (r) {
        double *xr = x + q1;
        for (j = 0; j < q1; j++) {
            const double *l = ws->H21 + (size_t)j * r;
            for (s = 0; s < r; s++) xr[s] -= l[s] * x[j];
        }
        lmm_trsv_lower(r, ws->H22, r, xr, 0);
        lmm_trsv_lower(r, ws->H22, r, xr, 1);
        for (j = 0; j < q1; j++) {
            const double *l = ws->H21 + (size_t)j * r;
            double t = 0;
            for (s = 0; s < r; s++) t += l[s] * xr[s];
            x[j] -= t;
        }
    }
    for (j = 0; j < ws->nlev1; j++) {
        double *xj = x + j * c1;
        lmm_trsv_lower(c1, ws->H11 + (size_t)j * c1 * c1, c1, xj, 1);
    }
}

/* PIRLS at the current theta as lme4's pwrssUpdate runs it: from the linear
   predictor lp0 (kept from the previous stage), Fisher scoring steps for u
   (and beta when joint) until the penalised deviance changes by less than
   1e-7 relative, halving a step that increases it. The factor left in place
   (ldL2) is the one of the last step, at the weights before it, as lme4's:
   its deviance is a function of (theta, beta) given lp0, and so is ours.
   Returns the penalised deviance, NaN on failure (ws->fail_msg). */
static double lmm__glmm_pirls(lmm__glmm_ws *ws, int joint)
{
    int q = ws->q, p = ws->p, n = ws->n, it, k, j, cvgd = 0;
    double pdev = HUGE_VAL, oldpdev = HUGE_VAL, *beta = joint ? ws->beta : NULL;
    double *uold = ws->tmp + 64, *bold = uold + q;
    int from_w0 = lmm__glmm_w0_cache(ws);
    if (!from_w0)
        for (j = 0; j < n; j++) {
            ws->eta[j] = ws->base_off[j] + ws->lp0[j];
            lmm__glmm_mu_mueta(ws->link, ws->eta[j], ws->mu + j, ws->me + j);
        }
    ws->fail_msg[0] = 0;
    for (it = 0; it < 100; it++) {
        memcpy(uold, ws->u, (size_t)q * sizeof(double));
        if (joint) memcpy(bold, beta, (size_t)p * sizeof(double));
        if (!(from_w0 && it == 0)) lmm__glmm_weights(ws);
        if (lmm__glmm_factor(ws, joint, from_w0 && it == 0) != 0) { snprintf(ws->fail_msg, sizeof ws->fail_msg, "PIRLS: the penalised system is not positive definite"); return lmm__nan(); }
        lmm__glmm_solve(ws);
        memcpy(ws->u, ws->sol, (size_t)q * sizeof(double));
        if (joint) memcpy(beta, ws->sol + q, (size_t)p * sizeof(double));
        pdev = lmm__glmm_update_mu(ws, ws->u, beta);
        if (fabs((oldpdev - pdev) / pdev) < 1e-7) { cvgd = 1; break; }
        if (!isfinite(pdev) || pdev > oldpdev) {
            for (k = 0; k < 20 && (!isfinite(pdev) || pdev > oldpdev); k++) {
                for (j = 0; j < q; j++) ws->u[j] = (uold[j] + ws->u[j]) / 2;
                if (joint) for (j = 0; j < p; j++) beta[j] = (bold[j] + beta[j]) / 2;
                pdev = lmm__glmm_update_mu(ws, ws->u, beta);
            }
            if (!isfinite(pdev)) { snprintf(ws->fail_msg, sizeof ws->fail_msg, "PIRLS loop resulted in NaN value"); return lmm__nan(); }
            if (pdev - oldpdev > 1e-7) {
                snprintf(ws->fail_msg, sizeof ws->fail_msg, "(maxstephalfit) PIRLS step-halvings failed to reduce deviance in pwrssUpdate");
                return lmm__nan();
            }
        }
        oldpdev = pdev;
    }
    if (!cvgd) { snprintf(ws->fail_msg, sizeof ws->fail_msg, "pwrssUpdate did not converge in (maxit) iterations"); return lmm__nan(); }
    return pdev;
}

/* The part of the family's aic free of mu (log binomial coefficients, log y!), once per
   fit. Also aic_shift: with integer trials and successes the aic is the sum of the
   deviance residuals (which PIRLS has at hand) plus a constant, which saves a pass of
   logs per evaluation. */
static double lmm__glmm_aic_const(lmm__glmm_ws *ws)
{
    int i;
    double s = 0, shift = 0;
    ws->aic_from_dev = ws->family == LMM_FAMILY_BINOMIAL || ws->family == LMM_FAMILY_POISSON;
    for (i = 0; i < ws->n; i++) {
        double y = ws->y[i], wt = ws->pw[i];
        if (ws->family == LMM_FAMILY_BINOMIAL) {
            double m = floor(ws->trials[i] + 0.5), k = floor(ws->trials[i] * y + 0.5);
            if (ws->trials[i] > 0) s += wt / ws->trials[i] * (lmm_lgamma(m + 1) - lmm_lgamma(k + 1) - lmm_lgamma(m - k + 1));
            double c = (y > 0 ? y * log(y) : 0) + (y < 1 ? (1 - y) * log1p(-y) : 0);
            if (ws->trials[i] > 0 && (m != ws->trials[i] || k != ws->trials[i] * y)) ws->aic_from_dev = 0;
            shift -= 2 * wt * c;
            if (ws->ylogy) ws->ylogy[i] = c;
        } else if (ws->family == LMM_FAMILY_POISSON && y > 0) {
            s -= wt * lmm_lgamma(y + 1);
            shift -= 2 * wt * (y * log(y) - y);
            if (ws->ylogy) ws->ylogy[i] = y * log(y);
        } else if (ws->ylogy) ws->ylogy[i] = 0;
    }
    ws->aic_shift = -2 * s + shift;
    ws->unit_logit = ws->ylogy && ws->family == LMM_FAMILY_BINOMIAL && ws->link == LMM_LINK_LOGIT;
    for (i = 0; i < ws->n && ws->unit_logit; i++) if (ws->pw[i] != 1) ws->unit_logit = 0;
    return s;
}

/* The family's aic (R's family()$aic: -2 sum of prior-weighted log densities) at mu. */
static double lmm__glmm_aic(const lmm__glmm_ws *ws)
{
    int i;
    double s = ws->aic_const;
    for (i = 0; i < ws->n; i++) {
        double y = ws->y[i], mu = ws->mu[i], wt = ws->pw[i];
        if (ws->family == LMM_FAMILY_BINOMIAL) {
            double m = ws->trials[i], k = floor(m * y + 0.5), mr = floor(m + 0.5), v = 0;
            if (!(m > 0)) continue;
            if (k > 0) v += k * log(mu);
            if (mr - k > 0) v += (mr - k) * log1p(-mu);
            s += wt / m * v;
        } else if (ws->family == LMM_FAMILY_POISSON) {
            s += wt * (y > 0 ? y * log(mu) - mu : -mu);
        }
    }
    return -2 * s;
}

/* AGQ deviance at the modes (one scalar term: q levels, H11 diagonal). */
static double lmm__glmm_agq(lmm__glmm_ws *ws)
{
    int q = ws->q, n = ws->n, i, j, k;
    double *devc0 = ws->tmp + 64, *mult = devc0 + q, *devc = mult + q, *ut = ws->sol, total = 0, lm = 0;
    for (j = 0; j < q; j++) { devc0[j] = ws->u[j] * ws->u[j]; mult[j] = 0; }
    for (i = 0; i < n; i++) devc0[ws->zc[i]] += lmm__glmm_devres(ws->family, ws->y[i], ws->mu[i], ws->pw[i]);
    for (k = 0; k < ws->nagq; k++) {
        double z = ws->gh_z[k], w = ws->gh_w[k];
        if (z == 0) { for (j = 0; j < q; j++) mult[j] += w; continue; }
        for (j = 0; j < q; j++) { ut[j] = ws->u[j] + z / ws->H11[j]; devc[j] = ut[j] * ut[j]; }
        for (i = 0; i < n; i++) {
            double eta = ws->off[i] + ws->zl[i] * ut[ws->zc[i]];
            devc[ws->zc[i]] += lmm__glmm_devres(ws->family, ws->y[i], lmm__glmm_linkinv(ws->link, eta), ws->pw[i]);
        }
        for (j = 0; j < q; j++) mult[j] += exp(-0.5 * (devc[j] - devc0[j]) + 0.5 * z * z) * w;
    }
    for (j = 0; j < q; j++) { total += devc0[j]; lm += log(mult[j]); }
    return total + ws->ldL2 - 2 * lm;
}

/* Stage 2's deviance at (theta, beta): modes by PIRLS with beta in the offset. */
static double lmm__glmm_devfun(lmm__glmm_ws *ws, const double *theta, const double *beta)
{
    int i, j;
    double pdev;
    const lmm_model *m = ws->m;
    ws->evals++;
    lmm__glmm_set_theta(ws, theta);
    memcpy(ws->off, ws->base_off, (size_t)ws->n * sizeof(double));
    for (j = 0; j < ws->p; j++) {   /* column by column: contiguous */
        const double *xj = m->X->v + (size_t)j * ws->n;
        double bj = beta[j];
        if (bj != 0) for (i = 0; i < ws->n; i++) ws->off[i] += xj[i] * bj;
    }
    memcpy(ws->beta, beta, (size_t)ws->p * sizeof(double));
    pdev = lmm__glmm_pirls(ws, 0);
    if (!isfinite(pdev)) return lmm__nan();
    if (ws->nagq > 1) return lmm__glmm_agq(ws);
    {
        double sqrl = 0;
        for (j = 0; j < ws->q; j++) sqrl += ws->u[j] * ws->u[j];
        return ws->ldL2 + sqrl + (ws->aic_from_dev ? pdev - sqrl + ws->aic_shift : lmm__glmm_aic(ws));
    }
}

/* Stage 1's criterion at theta: (u, beta) both from PIRLS (lme4's nAGQ = 0). */
static double lmm__glmm_devfun0(lmm__glmm_ws *ws, const double *theta)
{
    int j;
    double pdev, sqrl = 0;
    ws->evals++;
    lmm__glmm_set_theta(ws, theta);
    memcpy(ws->off, ws->base_off, (size_t)ws->n * sizeof(double));
    pdev = lmm__glmm_pirls(ws, 1);
    if (!isfinite(pdev)) return lmm__nan();
    for (j = 0; j < ws->q; j++) sqrl += ws->u[j] * ws->u[j];
    return ws->ldL2 + sqrl + (ws->aic_from_dev ? pdev - sqrl + ws->aic_shift : lmm__glmm_aic(ws));
}

typedef struct lmm__glmm_ctx { lmm__glmm_ws *ws; int ntheta; } lmm__glmm_ctx;

static double lmm__glmm_cb0(const double *x, void *ctx)
{
    lmm__glmm_ctx *c = (lmm__glmm_ctx *)ctx;
    double v = lmm__glmm_devfun0(c->ws, x);
    return isfinite(v) ? v : HUGE_VAL;
}

/* beta from stage 2's search coordinates delta: wctr + wht^-T delta. */
static void lmm__glmm_unwhiten(const lmm__glmm_ws *ws, const double *delta, double *beta)
{
    int i;
    for (i = 0; i < ws->p; i++) beta[i] = delta[i];
    lmm_trsv_lower(ws->p, ws->wht, ws->p, beta, 1);
    for (i = 0; i < ws->p; i++) beta[i] += ws->wctr[i];
}

static double lmm__glmm_cb(const double *x, void *ctx)
{
    lmm__glmm_ctx *c = (lmm__glmm_ctx *)ctx;
    double v, th[96];
    const double *t = x;
    int k;
    if (c->ws->tsc_on) {
        for (k = 0; k < c->ntheta; k++) th[k] = x[k] / c->ws->tsc[k];
        t = th;
    }
    if (c->ws->wht) {
        lmm__glmm_unwhiten(c->ws, x + c->ntheta, c->ws->bw);
        v = lmm__glmm_devfun(c->ws, t, c->ws->bw);
    } else v = lmm__glmm_devfun(c->ws, t, x + c->ntheta);
    return isfinite(v) ? v : HUGE_VAL;
}

/* Stage 2's scale of each theta from the deviance's second difference at the start x
   (whitened beta): theta's curvature differs from whitened beta's by ~1e3, which
   BOBYQA pays for in evaluations. A forward difference at a lower bound; no scaling
   where the difference is not positive. */
static void lmm__glmm_theta_scale(lmm__glmm_ctx *ctx, double *x, const double *lower)
{
    lmm__glmm_ws *ws = ctx->ws;
    int k, nth = ctx->ntheta;
    double f0;
    ws->tsc_on = 0;
    if (nth > 96 || (f0 = lmm__glmm_cb(x, ctx)) == HUGE_VAL) return;
    for (k = 0; k < nth; k++) {
        double x0 = x[k], h = 1e-2 * (fabs(x0) > 0.1 ? fabs(x0) : 0.1), fa, fb, c;
        if (x0 - h >= lower[k]) {
            x[k] = x0 + h; fa = lmm__glmm_cb(x, ctx);
            x[k] = x0 - h; fb = lmm__glmm_cb(x, ctx);
            c = (fa - 2 * f0 + fb) / (h * h);
        } else {
            x[k] = x0 + h; fa = lmm__glmm_cb(x, ctx);
            x[k] = x0 + 2 * h; fb = lmm__glmm_cb(x, ctx);
            c = (fb - 2 * fa + f0) / (h * h);
        }
        x[k] = x0;
        c = isfinite(c) && c > 0 ? sqrt(c / 2) : 1.0;
        ws->tsc[k] = c < 1e-3 ? 1e-3 : c > 1e3 ? 1e3 : c;
        if (lower[k] != 0 && lower[k] != -HUGE_VAL) ws->tsc[k] = 1;   /* the bound must not move */
    }
    for (k = 0; k < nth; k++) x[k] *= ws->tsc[k];
    ws->tsc_on = 1;
}

LMM_API void lmm_glmm_free(lmm_glmm *g)
{
    if (!g) return;
    lmm_model_free(g->model);
    LMM_FREE(g->formula);
    LMM_FREE(g->theta); LMM_FREE(g->beta); LMM_FREE(g->se); LMM_FREE(g->vcov);
    LMM_FREE(g->u); LMM_FREE(g->b); LMM_FREE(g->b_condsd);
    LMM_FREE(g->y); LMM_FREE(g->prior_weights); LMM_FREE(g->eta); LMM_FREE(g->fitted); LMM_FREE(g->pearson);
    lmm__glmm_ws_free(g->ws_);
    LMM_FREE(g);
}

LMM_API double lmm_glmm_deviance_at(lmm_glmm *g, const double *theta, const double *beta)
{
    return lmm__glmm_devfun(g->ws_, theta, beta);
}

/* Split "cbind(a, b) ~ rhs": a and b (top-level comma) and the rhs; 0 if not cbind. */
static int lmm__glmm_cbind(const char *f, char *a, char *b, char *rhs, size_t size)
{
    const char *t = strchr(f, '~'), *s = f, *e, *comma = NULL;
    int depth = 0;
    while (*s == ' ') s++;
    if (!t || strncmp(s, "cbind(", 6) != 0) return 0;
    e = t;
    while (e > s && (e[-1] == ' ')) e--;
    if (e[-1] != ')') return 0;
    for (s += 6; s < e - 1; s++) {
        if (*s == '(') depth++;
        else if (*s == ')') depth--;
        else if (*s == ',' && depth == 0 && !comma) comma = s;
    }
    s = strchr(f, '(') + 1;
    if (!comma || (size_t)(comma - s) >= size || (size_t)(e - 1 - comma) >= size || strlen(t + 1) >= size) return -1;
    memcpy(a, s, (size_t)(comma - s)); a[comma - s] = 0;
    memcpy(b, comma + 1, (size_t)(e - 2 - comma)); b[e - 2 - comma] = 0;
    strcpy(rhs, t + 1);
    return 1;
}

/* One expression of the frame at the model's rows. */
static lmm_status lmm__glmm_eval_at_rows(const lmm_frame *df, const char *expr, const lmm_model *m, double *out,
                                          lmm_error *err)
{
    char buf[1100];
    lmm_formula *f = NULL;
    double *v;
    lmm_status st;
    int i;
    snprintf(buf, sizeof buf, "%s ~ 1", expr);
    if ((st = lmm_formula_parse(buf, &f, err)) != LMM_OK) return st;
    v = LMM__NEW(double, df->nrow > 0 ? df->nrow : 1);
    if (!v) { lmm_formula_free(f); return lmm__nomem(err); }
    st = lmm_expr_eval(f->vars[f->response].expr, df, v, err);
    if (st == LMM_OK) for (i = 0; i < m->nobs; i++) out[i] = v[m->rows[i]];
    LMM_FREE(v);
    lmm_formula_free(f);
    return st;
}

static int lmm__glmm_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The response of a binomial or Poisson fit (glmer's and glm's): builds the model, a
   cbind(s, f) response becoming (s) + (f), the trials; fills y (proportion or count),
   pw (prior weights, times the trials for binomial) and trials (nobs each, allocated here). */
static lmm_status lmm__glmm_response(const lmm_frame *df, const char *formula, const lmm_model_options *mo,
                                     int fixed_only, lmm_model **mout, double **yout, double **pwout, double **trout, lmm_error *err)
{
    char a[512], b[512], rhs[1024], *f2 = NULL;
    lmm_model *m = NULL;
    double *y = NULL, *pw = NULL, *succ = NULL;
    lmm_status st;
    int cb, n, i;
    *mout = NULL; *yout = *pwout = *trout = NULL;
    cb = lmm__glmm_cbind(formula, a, b, rhs, sizeof a);
    if (cb < 0) return lmm__fail(err, LMM_ERR_FORMULA, "cbind() response: write cbind(successes, failures) ~ ...");
    if (cb && mo->family != LMM_FAMILY_BINOMIAL) return lmm__fail(err, LMM_ERR_FORMULA, "a cbind() response is for the binomial family");
    if (cb) {
        size_t len = strlen(a) + strlen(b) + strlen(rhs) + 16;
        if (!(f2 = LMM__NEW(char, len))) return lmm__nomem(err);
        snprintf(f2, len, "(%s) + (%s) ~%s", a, b, rhs);
    }
    st = lmm__model_build(df, f2 ? f2 : formula, mo, fixed_only, &m, err);
    LMM_FREE(f2);
    if (st != LMM_OK) return st;
    n = m->nobs;
    y = LMM__NEW(double, n ? n : 1); pw = LMM__NEW(double, n ? n : 1); succ = LMM__NEW(double, n ? n : 1);
    if (!y || !pw || !succ) { st = lmm__nomem(err); goto done; }
    for (i = 0; i < n; i++) pw[i] = m->weights ? m->weights[i] : 1.0;
    if (cb) {
        if ((st = lmm__glmm_eval_at_rows(df, a, m, succ, err)) != LMM_OK) goto done;
        for (i = 0; i < n; i++) {
            double tr = m->y[i], s = succ[i];
            if (!isfinite(s)) { st = lmm__fail(err, LMM_ERR_DATA, "successes are not finite at row %d", m->rows[i] + 1); goto done; }
            if (s < 0 || tr - s < 0) { st = lmm__fail(err, LMM_ERR_DATA, "counts must be nonnegative (row %d)", m->rows[i] + 1); goto done; }
            if (fabs(s - floor(s + 0.5)) > 1e-3 || fabs(tr - floor(tr + 0.5)) > 1e-3) {
                st = lmm__fail(err, LMM_ERR_DATA, "non-integer #successes in a binomial glm (row %d)", m->rows[i] + 1); goto done;
            }
            y[i] = tr > 0 ? s / tr : 0.0;
            succ[i] = tr;   /* now the trials */
            pw[i] *= tr;
        }
    } else {
        for (i = 0; i < n; i++) {
            double yi = m->y[i];
            y[i] = yi;
            if (mo->family == LMM_FAMILY_BINOMIAL) {
                double t = pw[i] * yi;
                if (yi < 0 || yi > 1) { st = lmm__fail(err, LMM_ERR_DATA, "y values must be 0 <= y <= 1 (row %d: %g)", m->rows[i] + 1, yi); goto done; }
                if (fabs(t - floor(t + 0.5)) > 1e-3) {
                    st = lmm__fail(err, LMM_ERR_DATA, "non-integer #successes in a binomial glm (row %d)", m->rows[i] + 1); goto done;
                }
                succ[i] = pw[i];   /* the trials */
            } else {
                if (yi < 0) { st = lmm__fail(err, LMM_ERR_DATA, "negative values not allowed for the 'Poisson' family (row %d)", m->rows[i] + 1); goto done; }
                succ[i] = 1;
            }
        }
    }
done:
    if (st != LMM_OK) { LMM_FREE(y); LMM_FREE(pw); LMM_FREE(succ); lmm_model_free(m); return st; }
    *mout = m; *yout = y; *pwout = pw; *trout = succ;
    return LMM_OK;
}

/* Conditional variances of the random effects from the factor of the u part
   (stage 2's, at the modes): diag blocks of T (L L')^-1 T'. */
static lmm_status lmm__glmm_condvar(lmm_glmm *g, lmm__glmm_ws *ws, lmm_error *err)
{
    const lmm_model *m = ws->m;
    int r = ws->r, q1 = ws->q1, c1 = ws->c1, k, j, a, b, c, s;
    double *M = NULL, *Sinv = NULL, cu[32 * 32];
    if (r) {
        M = LMM__NEW(double, (size_t)r * q1 + 1);
        Sinv = LMM__NEW(double, (size_t)r * r);
        if (!M || !Sinv) { LMM_FREE(M); LMM_FREE(Sinv); return lmm__nomem(err); }
        memcpy(M, ws->H21, (size_t)r * q1 * sizeof(double));
        for (j = 0; j < q1; j++) lmm_trsv_lower(r, ws->H22, r, M + (size_t)j * r, 0);
        for (j = 0; j < r; j++) {
            double *e = Sinv + (size_t)j * r;
            memset(e, 0, (size_t)r * sizeof(double));
            e[j] = 1;
            lmm_trsv_lower(r, ws->H22, r, e, 0);
            lmm_trsv_lower(r, ws->H22, r, e, 1);
        }
    }
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        const double *T = ws->T + ws->T_off[k];
        int pc = t->ncol;
        for (j = 0; j < t->nlevels; j++) {
            int base = t->u_offset + j * pc;
            if (k == 0) {   /* L11^-T (I + M_j' M_j) L11^-1 */
                const double *L = ws->H11 + (size_t)j * c1 * c1;
                for (a = 0; a < c1; a++)
                    for (b = 0; b < c1; b++) {
                        double v = a == b ? 1.0 : 0.0;
                        for (s = 0; s < r; s++) v += M[(size_t)(base + a) * r + s] * M[(size_t)(base + b) * r + s];
                        cu[a + b * c1] = v;
                    }
                for (b = 0; b < c1; b++) { lmm_trsv_lower(c1, L, c1, cu + b * c1, 1); }
                for (a = 0; a < c1; a++) {   /* rows: cu = cu L^-1 ... by symmetry solve on the transpose */
                    double row[32];
                    for (b = 0; b < c1; b++) row[b] = cu[a + b * c1];
                    lmm_trsv_lower(c1, L, c1, row, 1);
                    for (b = 0; b < c1; b++) cu[a + b * c1] = row[b];
                }
            } else {
                for (a = 0; a < pc; a++)
                    for (b = 0; b < pc; b++) cu[a + b * pc] = Sinv[(size_t)(base - q1 + b) * r + base - q1 + a];
            }
            for (a = 0; a < pc; a++) {   /* (T cu T')_aa */
                double v = 0;
                for (b = 0; b < pc; b++)
                    for (c = 0; c < pc; c++) v += T[a + b * pc] * cu[b + c * pc] * T[a + c * pc];
                g->b_condsd[base + a] = sqrt(v > 0 ? v : 0);
            }
        }
    }
    LMM_FREE(M); LMM_FREE(Sinv);
    return LMM_OK;
}

/* vcov of beta from the joint factor at the optimum (lme4's RX, use.hessian = FALSE). */
static int lmm__glmm_vcov_rx(lmm__glmm_ws *ws, double *vcov)
{
    int p = ws->p, r, a, j;
    double *e = ws->sol;
    lmm__glmm_weights(ws);   /* only the matrix is used: the right-hand side does not matter */
    if (lmm__glmm_factor(ws, 1, 0) != 0) return -1;
    r = ws->r;
    for (j = 0; j < p; j++) {   /* (L_pp L_pp')^-1, L_pp the trailing block */
        memset(e, 0, (size_t)p * sizeof(double));
        e[j] = 1;
        {
            double L[64 * 64];
            for (a = 0; a < p * p; a++) L[a] = ws->H22[(size_t)(r - p + a % p) + (size_t)(r - p + a / p) * r];
            lmm_trsv_lower(p, L, p, e, 0);
            lmm_trsv_lower(p, L, p, e, 1);
        }
        for (a = 0; a < p; a++) vcov[a + j * p] = e[a];
    }
    return 0;
}

/* Stage 2 from x = (theta, beta): one BOBYQA run on the Laplace / AGQ deviance
   with ws->opts.optim (lme4 runs one optimizer too); *converged cleared when it
   ran out of evaluations. */
static lmm_status lmm__glmm_stage2(lmm__glmm_ws *ws, double *x, const double *lower, const double *upper,
                                   int replicate, int *converged, lmm_error *err)
{
    lmm__glmm_ctx ctx;
    lmm_optim_options oo = ws->opts.optim;
    /* a bootstrap replicate needs its estimates to a millionth of a standard error (beta is
       searched in those units), not to 1e-8: a quarter fewer evaluations */
    if (replicate && oo.rho_end <= 0) oo.rho_end = 1e-6;
    lmm_optim_result res;
    lmm_status st;
    double best;
    int nth = ws->m->ntheta, i, j;
    ctx.ws = ws; ctx.ntheta = nth;
    if (ws->wht) {   /* to delta = wht' (beta - wctr): a well-conditioned search even when covariates are badly scaled */
        for (i = 0; i < ws->p; i++) {
            double d = 0;
            for (j = i; j < ws->p; j++) d += ws->wht[j + i * ws->p] * (x[nth + j] - ws->wctr[j]);
            ws->bw[i] = d;
        }
        memcpy(x + nth, ws->bw, (size_t)ws->p * sizeof(double));
    }
    lmm__glmm_theta_scale(&ctx, x, lower);
    oo.method = LMM_OPT_BOBYQA;
    /* 3e-6 in whitened units (standard errors): the deviance to 1e-13 relative; smaller only adds
       evaluations spent on PIRLS noise (VerbAgg: none of stage 2's last 42 at 1e-6 improved it) */
    if (oo.rho_end <= 0) oo.rho_end = 3e-6;
    if (oo.rho_begin <= 0) oo.rho_begin = 0.1;
    if ((st = lmm_minimize(nth + ws->p, x, lower, upper, lmm__glmm_cb, &ctx, &oo, NULL, &res, err)) != LMM_OK) { ws->tsc_on = 0; return st; }
    if (!res.converged) *converged = 0;
    best = res.fmin;
    if (ws->tsc_on) for (i = 0; i < nth; i++) x[i] /= ws->tsc[i];
    ws->tsc_on = 0;
    if (ws->wht) {
        lmm__glmm_unwhiten(ws, x + nth, ws->bw);
        memcpy(x + nth, ws->bw, (size_t)ws->p * sizeof(double));
    }
    if (!(best < HUGE_VAL)) return lmm__fail(err, LMM_ERR_NUMERIC, "%s", ws->fail_msg[0] ? ws->fail_msg : "the deviance is not finite");
    return LMM_OK;
}

/* Append a line to a convergence message. */
static void lmm__glmm_say(char *msg, size_t size, const char *line)
{
    size_t used = strlen(msg);
    if (used) snprintf(msg + used, size - used, "\n%s", line);
    else snprintf(msg, size, "%s", line);
}

/* lme4's checkHess on the n x n Hessian H (lower triangle read, destroyed): its messages into msg. */
static void lmm__glmm_check_hess(int n, double *H, const char *type, char *msg, size_t size)
{
    double ev[64 + 32], evmax = 0, evmin = 0, *L = LMM__NEW(double, (size_t)n * n);
    const double tol = 1e-6;   /* glmerControl's check.conv.hess tol */
    int i, neg = 0, zero = 0, chol_ok;
    char line[160];
    if (!L) return;
    memcpy(L, H, (size_t)n * n * sizeof(double));
    chol_ok = lmm_chol(n, L, n) == 0;
    LMM_FREE(L);
    lmm__sym_eigen(n, H, ev, NULL);
    for (i = 0; i < n; i++) {
        if (ev[i] < -tol) neg++;
        if (fabs(ev[i]) < tol) zero++;
        if (i == 0 || ev[i] > evmax) evmax = ev[i];
        if (i == 0 || ev[i] < evmin) evmin = ev[i];
    }
    if (neg) {
        snprintf(line, sizeof line, "Model failed to converge: degenerate %s Hessian with %d negative eigenvalues", type, neg);
        lmm__glmm_say(msg, size, line);
    } else if (zero || !chol_ok) {
        snprintf(line, sizeof line, "%s Hessian is numerically singular: parameters are not uniquely determined", type);
        lmm__glmm_say(msg, size, line);
    } else {
        if (evmax * tol > 1) lmm__glmm_say(msg, size, "Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?");
        if (evmin / evmax < tol) lmm__glmm_say(msg, size, "Model is nearly unidentifiable: large eigenvalue ratio\n - Rescale variables?");
    }
}

/* lme4's checkConv for a glmer fit at x = (theta, beta): deriv12's central differences
   (step 1e-4) of the deviance (the mixed second differences from the +-(e_i + e_j) steps and
   the diagonal's, 2 evaluations a pair where deriv12 takes 4: the same O(step^2) accuracy),
   the scaled gradient's max(min(|H^-1/2 g|, |g|)) against
   glmerControl's tol 2e-3, then checkHess on the whole
   Hessian (tol 1e-6); nothing for a singular fit (lme4 only says "boundary (singular)
   fit"). The warnings, a line each in lme4's order, into g->warning. Moves ws's state.
   Returns 1 with the Hessian in Hout (npar x npar) when it was computed: lme4's vcov
   uses this same deriv12 Hessian. */
static int lmm__glmm_check_conv(lmm_glmm *g, lmm__glmm_ws *ws, const double *x0, double *Hout)
{
    const double delta = 1e-4, tol = 2e-3;
    int nth = g->ntheta, n = nth + g->p, i, j, chol_ok;
    double x[64 + 32], gr[64 + 32], fp[64 + 32], fm[64 + 32], *H, *L, f0, maxg = 0;
    char line[160];
    g->warning[0] = 0;
    if (g->singular || n > 64 + 32) return 0;
    if (!(H = LMM__NEW(double, (size_t)2 * n * n + (size_t)g->p * g->p + 1))) return 0;
    L = H + (size_t)n * n;
    memcpy(x, x0, (size_t)n * sizeof(double));
#define LMM__GF() lmm__glmm_devfun(ws, x, x + nth)
    f0 = LMM__GF();
    for (j = 0; j < n; j++) {
        double fa, fs;
        x[j] = x0[j] + delta; fa = LMM__GF();
        x[j] = x0[j] - delta; fs = LMM__GF();
        x[j] = x0[j];
        H[j + j * n] = (fa - 2 * f0 + fs) / (delta * delta);
        gr[j] = (fa - fs) / (2 * delta);
        fp[j] = fa; fm[j] = fs;
        for (i = 0; i < j; i++) {   /* the diagonal's steps reused: two evaluations a pair instead of lme4's four */
            double faa, fss;
            x[i] = x0[i] + delta; x[j] = x0[j] + delta; faa = LMM__GF();
            x[i] = x0[i] - delta; x[j] = x0[j] - delta; fss = LMM__GF();
            x[i] = x0[i]; x[j] = x0[j];
            H[i + j * n] = H[j + i * n] = (faa + fss - fp[i] - fm[i] - fp[j] - fm[j] + 2 * f0) / (2 * delta * delta);
        }
    }
#undef LMM__GF
    for (i = 0; i < n; i++) if (!isfinite(gr[i])) { snprintf(g->warning, sizeof g->warning, "Gradient contains NAs"); LMM_FREE(H); return 0; }
    memcpy(Hout, H, (size_t)n * n * sizeof(double));
    memcpy(L, H, (size_t)n * n * sizeof(double));
    chol_ok = lmm_chol(n, L, n) == 0;
    if (!chol_ok) lmm__glmm_say(g->warning, sizeof g->warning, "unable to evaluate scaled gradient");
    else {
        double sg[64 + 32];
        memcpy(sg, gr, (size_t)n * sizeof(double));
        lmm_trsv_lower(n, L, n, sg, 1);   /* solve(chol(H), g): R's chol is the upper factor L' */
        for (i = 0; i < n; i++) {
            double v = fabs(sg[i]) < fabs(gr[i]) ? fabs(sg[i]) : fabs(gr[i]);
            if (v > maxg) maxg = v;
        }
        if (maxg > tol) {   /* lme4 names component which.max of a scalar: always 1 */
            snprintf(line, sizeof line, "Model failed to converge with max|grad| = %g (tol = %g, component 1)", maxg, tol);
            lmm__glmm_say(g->warning, sizeof g->warning, line);
        }
    }
    /* no fixed-effect block check: glmer passes checkConv the bounds of all of (theta, beta),
       so lme4's length(coefs) > ntheta is false and only the whole Hessian is checked */
    lmm__glmm_check_hess(n, H, "", g->warning, sizeof g->warning);
    LMM_FREE(H);
    return 1;
}

/* Everything of g at the optimum x = (theta, beta): deviance, modes, vcov (the
   Hessian's unless skip_hessian), conditional variances (unless skip_condvar or
   g->b_condsd is NULL), fitted values, residuals and the criteria. */
static lmm_status lmm__glmm_results(lmm_glmm *g, lmm__glmm_ws *ws, const double *x, int skip_condvar, int skip_hessian,
                                    lmm_error *err)
{
    const lmm_model *m = ws->m;
    int n = ws->n, p = ws->p, q = ws->q, nth = m->ntheta, npar = nth + p, i, j, k;
    double *Hs = NULL, *sorted = NULL;
    memcpy(g->theta, x, (size_t)nth * sizeof(double));
    memcpy(g->beta, x + nth, (size_t)p * sizeof(double));
    g->singular = 0;
    for (i = 0; i < nth; i++) if (m->theta_lower[i] == 0 && g->theta[i] < 1e-4) g->singular = 1;
    g->deviance = lmm__glmm_devfun(ws, g->theta, g->beta);
    if (!isfinite(g->deviance)) return lmm__fail(err, LMM_ERR_NUMERIC, "%s", ws->fail_msg);
    if (!skip_condvar && g->b_condsd) {
        lmm_status st = lmm__glmm_condvar(g, ws, err);
        if (st != LMM_OK) return st;
    }
    memcpy(g->u, ws->u, (size_t)q * sizeof(double));
    g->vcov_hessian = 0;
    g->warning[0] = 0;
    if (!skip_hessian && (Hs = LMM__NEW(double, (size_t)npar * npar)) == NULL) return lmm__nomem(err);
    /* lme4's convergence check; its derivatives come with the Hessian vcov uses */
    if (!skip_hessian && lmm__glmm_check_conv(g, ws, x, Hs) && !g->singular) {
        for (i = 0; i < npar * npar; i++) if (!isfinite(Hs[i])) break;
        /* V = 2 H^-1, beta block: the inverse by Cholesky when H is positive definite */
        double *Hc = LMM__NEW(double, (size_t)npar * npar), *e = LMM__NEW(double, npar);
        if (Hc && e && i == npar * npar) {
            memcpy(Hc, Hs, (size_t)npar * npar * sizeof(double));
            if (lmm_chol(npar, Hc, npar) == 0) {
                for (j = 0; j < p; j++) {
                    memset(e, 0, (size_t)npar * sizeof(double));
                    e[nth + j] = 1;
                    lmm_trsv_lower(npar, Hc, npar, e, 0);
                    lmm_trsv_lower(npar, Hc, npar, e, 1);
                    for (i = 0; i < p; i++) g->vcov[i + j * p] = 2 * e[nth + i];
                }
                g->vcov_hessian = 1;
            }
        }
        LMM_FREE(Hc); LMM_FREE(e);
    }
    LMM_FREE(Hs);
    if (g->warning[0]) g->converged = 0;
    /* back to the optimum (the Hessian moved the state), then lme4's RX fallback */
    g->deviance = lmm__glmm_devfun(ws, g->theta, g->beta);
    if (!g->vcov_hessian) {
        if (lmm__glmm_vcov_rx(ws, g->vcov) != 0) return lmm__fail(err, LMM_ERR_NUMERIC, "the fixed-effects covariance is not positive definite");
        g->deviance = lmm__glmm_devfun(ws, g->theta, g->beta);
    }
    for (i = 0; i < p; i++) g->se[i] = sqrt(g->vcov[i * (p + 1)]);
    memcpy(g->u, ws->u, (size_t)q * sizeof(double));
    for (k = 0; k < m->nterms; k++) {   /* b = Lambda u */
        const lmm_reterm *t = &m->terms[k];
        const double *T = ws->T + ws->T_off[k];
        int pc = t->ncol, a2, c2;
        for (j = 0; j < t->nlevels; j++)
            for (a2 = 0; a2 < pc; a2++) {
                double s = 0;
                for (c2 = 0; c2 <= a2; c2++) s += T[a2 + c2 * pc] * ws->u[t->u_offset + j * pc + c2];
                g->b[t->u_offset + j * pc + a2] = s;
            }
    }
    g->resid_deviance = 0;
    for (i = 0; i < n; i++) {
        double mu = ws->mu[i];
        g->eta[i] = ws->eta[i];
        g->fitted[i] = mu;
        g->resid_deviance += lmm__glmm_devres(g->family, g->y[i], mu, g->prior_weights[i]);
        g->pearson[i] = (g->y[i] - mu) * sqrt(g->prior_weights[i] / lmm__glmm_variance(g->family, mu));
    }
    if (!(sorted = LMM__NEW(double, n))) return lmm__nomem(err);
    memcpy(sorted, g->pearson, (size_t)n * sizeof(double));
    qsort(sorted, (size_t)n, sizeof(double), lmm__glmm_cmp);
    for (i = 0; i < 5; i++) {   /* R's quantile type 7 */
        double h = (n - 1) * 0.25 * i;
        int lo = (int)floor(h);
        g->resid_quantiles[i] = lo + 1 < n ? sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[n - 1];
    }
    LMM_FREE(sorted);
    g->df = nth + p;
    g->df_resid = n - g->df;
    g->loglik = -g->deviance / 2;
    g->aic = g->deviance + 2.0 * g->df;
    g->bic = g->deviance + log((double)n) * g->df;
    return LMM_OK;
}

LMM_API lmm_status lmm_glmm_fit_formula(const lmm_frame *df, const char *formula, const lmm_glmm_options *opts,
                                        lmm_glmm **out, lmm_error *err)
{
    lmm_glmm_options o;
    lmm_model_options mo;
    lmm_glmm *g = NULL;
    lmm__glmm_ws *ws = NULL;
    lmm_model *m = NULL;
    lmm_status st = LMM_OK;
    int n, p, q, nth, i, j, k;
    double *yv = NULL, *pwv = NULL, *succ = NULL, *x = NULL, *lower = NULL, *upper = NULL;
    lmm__glmm_ctx ctx;
    lmm_optim_options oo;
    lmm_optim_result res;
    if (out) *out = NULL;
    if (!df || !formula || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_fit_formula: NULL argument");
    if (opts) o = *opts; else memset(&o, 0, sizeof o);
    mo = o.model;
    if (mo.family != LMM_FAMILY_BINOMIAL && mo.family != LMM_FAMILY_POISSON)
        return lmm__fail(err, LMM_ERR_ARG, "family %s: lmm_glmm_fit_formula fits binomial and poisson (lmm_fit_formula fits gaussian)",
                         lmm_family_name(mo.family));
    if (mo.link == LMM_LINK_DEFAULT) mo.link = mo.family == LMM_FAMILY_BINOMIAL ? LMM_LINK_LOGIT : LMM_LINK_LOG;
    if (mo.family == LMM_FAMILY_BINOMIAL ? !(mo.link == LMM_LINK_LOGIT || mo.link == LMM_LINK_PROBIT || mo.link == LMM_LINK_CLOGLOG)
                                         : mo.link != LMM_LINK_LOG)
        return lmm__fail(err, LMM_ERR_ARG, "link \"%s\" not available for %s family", lmm_link_name(mo.link), lmm_family_name(mo.family));
    if (o.nagq == 0) o.nagq = 1;
    if (o.nagq < 1 || o.nagq > 25) return lmm__fail(err, LMM_ERR_ARG, "nAGQ must be between 1 and 25 (got %d)", o.nagq);
    /* the response (cbind(successes, failures): the model's response is their sum, the trials) */
    if ((st = lmm__glmm_response(df, formula, &mo, 0, &m, &yv, &pwv, &succ, err)) != LMM_OK) return st;
    n = m->nobs; p = m->X->ncol; q = m->q; nth = m->ntheta;
    if (m->nterms == 0) {
        LMM_FREE(yv); LMM_FREE(pwv); LMM_FREE(succ); lmm_model_free(m);
        return lmm__fail(err, LMM_ERR_FORMULA, "no random effects terms specified in formula");
    }
    if (o.nagq > 1 && (m->nterms != 1 || m->terms[0].ncol != 1)) {
        LMM_FREE(yv); LMM_FREE(pwv); LMM_FREE(succ); lmm_model_free(m);
        return lmm__fail(err, LMM_ERR_ARG, "nAGQ > 1 is only available for models with a single, scalar random-effects term");
    }
    g = LMM__ZNEW(lmm_glmm, 1);
    ws = LMM__ZNEW(lmm__glmm_ws, 1);
    if (!g || !ws) { LMM_FREE(g); LMM_FREE(ws); LMM_FREE(yv); LMM_FREE(pwv); LMM_FREE(succ); lmm_model_free(m); return lmm__nomem(err); }
    g->model = m; g->ws_ = ws; g->y = yv; g->prior_weights = pwv;
    g->family = mo.family; g->link = mo.link; g->nagq = o.nagq;
    g->nobs = n; g->p = p; g->q = q; g->ntheta = nth;
    g->formula = lmm__strdup(formula);
    g->theta = LMM__NEW(double, nth); g->beta = LMM__NEW(double, p ? p : 1); g->se = LMM__NEW(double, p ? p : 1);
    g->vcov = LMM__NEW(double, p > 0 ? p * p : 1); g->u = LMM__NEW(double, q); g->b = LMM__NEW(double, q);
    g->b_condsd = o.skip_condvar ? NULL : LMM__NEW(double, q);
    g->eta = LMM__NEW(double, n);
    g->fitted = LMM__NEW(double, n); g->pearson = LMM__NEW(double, n);
    if (!g->formula || !g->theta || !g->beta || !g->se || !g->vcov || !g->u || !g->b || (!o.skip_condvar && !g->b_condsd) ||
        !g->y || !g->prior_weights || !g->eta || !g->fitted || !g->pearson || !succ) { st = lmm__nomem(err); goto done; }
    /* the workspace */
    ws->m = m; ws->family = mo.family; ws->link = mo.link; ws->n = n; ws->p = p; ws->q = q; ws->nagq = o.nagq;
    ws->c1 = m->terms[0].ncol; ws->nlev1 = m->terms[0].nlevels; ws->q1 = ws->c1 * ws->nlev1; ws->nru = q - ws->q1;
    for (k = 0, ws->nz = 0; k < m->nterms; k++) ws->nz += m->terms[k].ncol;
    if (ws->nz - ws->c1 > 64 || p > 64) { st = lmm__fail(err, LMM_ERR_ARG, "GLMM fits take at most 64 fixed effects and 64 random-effect columns per observation"); goto done; }
    ws->y = g->y; ws->pw = g->prior_weights; ws->trials = succ;   /* owned by the workspace from here */
    ws->T_off = LMM__NEW(int, m->nterms);
    for (k = 0, j = 0; ws->T_off && k < m->nterms; k++) { ws->T_off[k] = j; j += m->terms[k].ncol * m->terms[k].ncol; }
    ws->T = LMM__NEW(double, j);
    ws->zl = LMM__NEW(double, (size_t)n * ws->nz); ws->zc = LMM__NEW(int, (size_t)n * ws->nz);
    ws->u = LMM__ZNEW(double, q); ws->beta = LMM__ZNEW(double, p ? p : 1);
    ws->eta = LMM__NEW(double, n); ws->mu = LMM__NEW(double, n); ws->me = LMM__NEW(double, n); ws->w = LMM__NEW(double, n);
    ws->ylogy = LMM__NEW(double, n);
    ws->wr = LMM__NEW(double, n); ws->off = LMM__NEW(double, n);
    ws->base_off = LMM__NEW(double, n); ws->lp0 = LMM__NEW(double, n);
    ws->H11 = LMM__NEW(double, (size_t)ws->nlev1 * ws->c1 * ws->c1);
    ws->H21 = LMM__NEW(double, (size_t)(ws->nru + p) * ws->q1 + 1);
    ws->H22 = LMM__NEW(double, (size_t)(ws->nru + p) * (ws->nru + p) + 1);
    ws->rhs = LMM__NEW(double, q + p); ws->sol = LMM__NEW(double, q + p);
    ws->tmp = LMM__ZNEW(double, 64 + 3 * (size_t)q + p + 64);
    ws->gh_z = LMM__NEW(double, o.nagq); ws->gh_w = LMM__NEW(double, o.nagq);
    x = LMM__NEW(double, nth + p); lower = LMM__NEW(double, nth + p); upper = LMM__NEW(double, nth + p);
    if (!ws->T_off || !ws->T || !ws->zl || !ws->zc || !ws->u || !ws->beta || !ws->eta || !ws->mu || !ws->me || !ws->ylogy || !ws->w || !ws->wr ||
        !ws->off || !ws->base_off || !ws->lp0 || !ws->H11 || !ws->H21 || !ws->H22 || !ws->rhs || !ws->sol || !ws->tmp || !ws->gh_z || !ws->gh_w ||
        !x || !lower || !upper) { st = lmm__nomem(err); goto done; }
    lmm__gauss_hermite(o.nagq, ws->gh_z, ws->gh_w);
    /* stage 1: theta, with (u, beta) from PIRLS started as glm's initialize does (mustart) */
    for (i = 0; i < nth; i++) { lower[i] = m->theta_lower[i]; upper[i] = HUGE_VAL; x[i] = m->theta_lower[i] == 0 ? 1.0 : 0.0; }
    for (i = 0; i < p; i++) { lower[nth + i] = -HUGE_VAL; upper[nth + i] = HUGE_VAL; }
    {
        lmm__glmm_set_cols(ws);   /* the columns of Z, which the factor's pattern needs */
        lmm__glmm_set_theta(ws, x);
        if ((st = lmm__glmm_patterns(ws, err)) != LMM_OK) goto done;
        ws->aic_const = lmm__glmm_aic_const(ws);
        for (i = 0; i < n; i++) {   /* PIRLS from glm's mustart, as lme4's first glmerLaplace */
            double mus = mo.family == LMM_FAMILY_BINOMIAL ? (ws->pw[i] * ws->y[i] + 0.5) / (ws->pw[i] + 1) : ws->y[i] + 0.1;
            ws->base_off[i] = ws->off[i] = m->offset ? m->offset[i] : 0.0;
            ws->lp0[i] = lmm__glmm_linkfun(mo.link, mus);
        }
        ws->w0_ok = 0;
        if (!isfinite(lmm__glmm_pirls(ws, 1))) { st = lmm__fail(err, LMM_ERR_NUMERIC, "%s", ws->fail_msg); goto done; }
        lmm__glmm_lp0_from_eta(ws);
        ctx.ws = ws; ctx.ntheta = nth;
        if (lmm__glmm_cb0(x, &ctx) == HUGE_VAL) {
            st = lmm__fail(err, LMM_ERR_NUMERIC, "%s", ws->fail_msg[0] ? ws->fail_msg : "PIRLS failed at the start"); goto done;
        }
        memset(&oo, 0, sizeof oo);
        oo.rho_end = 2e-7;
        oo.max_evals = o.optim.max_evals;
        if ((st = lmm_minimize(nth, x, lower, upper, lmm__glmm_cb0, &ctx, &oo, NULL, &res, err)) != LMM_OK) goto done;
        g->converged = res.converged;
        if (lmm__glmm_cb0(x, &ctx) == HUGE_VAL) { st = lmm__fail(err, LMM_ERR_NUMERIC, "%s", ws->fail_msg); goto done; }
        memcpy(x + nth, ws->beta, (size_t)p * sizeof(double));
        lmm__glmm_lp0_from_eta(ws);   /* stage 2 starts PIRLS here */
        if (p > 0) {   /* stage 2's map of beta: the joint factor's fixed-effects block (lme4's RX) */
            int r = ws->r, a2;
            if (!(ws->wht = LMM__NEW(double, (size_t)p * p + 2 * (size_t)p))) { st = lmm__nomem(err); goto done; }
            ws->wctr = ws->wht + (size_t)p * p; ws->bw = ws->wctr + p;
            for (a2 = 0; a2 < p * p; a2++)
                ws->wht[a2] = a2 % p >= a2 / p ? ws->H22[(size_t)(r - p + a2 % p) + (size_t)(r - p + a2 / p) * r] : 0.0;
            memcpy(ws->wctr, ws->beta, (size_t)p * sizeof(double));
            for (a2 = 0; a2 < p; a2++) if (!(ws->wht[a2 * (p + 1)] > 0) || !isfinite(ws->wht[a2 * (p + 1)])) break;
            if (a2 < p) { LMM_FREE(ws->wht); ws->wht = ws->wctr = ws->bw = NULL; }
        }
    }
    /* stage 2: (theta, beta) on the Laplace / AGQ deviance, restarted until it stops improving */
    ws->opts = o;
    if ((st = lmm__glmm_stage2(ws, x, lower, upper, 0, &g->converged, err)) != LMM_OK) goto done;
    /* results at the optimum */
    if ((st = lmm__glmm_results(g, ws, x, o.skip_condvar, o.skip_hessian, err)) != LMM_OK) goto done;
    g->nevals = ws->evals;
done:
    LMM_FREE(x); LMM_FREE(lower); LMM_FREE(upper);
    if (st != LMM_OK) { if (!ws->trials) LMM_FREE(succ); lmm_glmm_free(g); return st; }
    *out = g;
    return LMM_OK;
}

/* ---- glmer simulate, refit and bootstrap ---- */
/* lme4's simulate.merMod, refit.merMod and bootMer for glmer fits, and the
   parametric-bootstrap LRT of two nested glmer fits. Replicate b draws only
   from stream (seed, b) and every refit starts from the original fit's state,
   so results do not depend on the thread count or on how the run is sharded. */

/* y = response drawn at eta = offset + X beta + Z Lambda u: u ~ N(0, I) drawn
   in u's order (term by term, level by level), or the fitted modes (use_u);
   then one binomial (of the trials) or Poisson draw per observation in order.
   bwork holds q doubles. */
static void lmm__glmm_simulate_into(const lmm_glmm *g, lmm_rng *rng, int use_u, double *y, double *bwork)
{
    const lmm_model *m = g->model;
    const lmm__glmm_ws *ws = g->ws_;
    int n = g->nobs, p = g->p, i, j, k, a, c;
    const double *b = g->b;
    if (!use_u) {
        for (j = 0; j < g->q; j++) bwork[j] = lmm_rng_normal(rng);
        for (k = 0; k < m->nterms; k++) {   /* b = Lambda u, in place level by level (row a needs u rows <= a) */
            const lmm_reterm *t = &m->terms[k];
            const double *th = g->theta + t->theta_offset;
            int pc = t->ncol, lev;
            double T[32 * 32];
            for (c = 0; c < pc; c++) for (a = 0; a < pc; a++) T[a + c * pc] = a >= c ? *th++ : 0.0;
            for (lev = 0; lev < t->nlevels; lev++) {
                double *uu = bwork + t->u_offset + lev * pc;
                for (a = pc - 1; a >= 0; a--) {
                    double s = 0;
                    for (c = 0; c <= a; c++) s += T[a + c * pc] * uu[c];
                    uu[a] = s;
                }
            }
        }
        b = bwork;
    }
    for (i = 0; i < n; i++) {
        double eta = m->offset ? m->offset[i] : 0.0, mu;
        for (j = 0; j < p; j++) eta += m->X->v[(size_t)j * n + i] * g->beta[j];
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            for (a = 0; a < t->ncol; a++) eta += t->z[(size_t)a * n + i] * b[t->u_offset + t->codes[i] * t->ncol + a];
        }
        mu = lmm__glmm_linkinv(g->link, eta);
        if (g->family == LMM_FAMILY_BINOMIAL) {
            double tr = ws->trials[i];
            y[i] = tr > 0 ? lmm_rng_binomial(rng, floor(tr + 0.5), mu) / tr : 0.0;
        } else y[i] = lmm_rng_poisson(rng, mu);
    }
}

LMM_API lmm_status lmm_glmm_simulate(const lmm_glmm *g, lmm_rng *rng, int use_u, double *y_out, lmm_error *err)
{
    double *bwork;
    if (!g || !rng || !y_out) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_simulate: NULL argument");
    if (!(bwork = LMM__NEW(double, g->q + 1))) return lmm__nomem(err);
    lmm__glmm_simulate_into(g, rng, use_u, y_out, bwork);
    LMM_FREE(bwork);
    return LMM_OK;
}

/* Refit g in place to response y from x0 = (theta, beta) with the modes u0 as
   PIRLS's fallback state; full = 0 skips the Hessian and conditional variances
   (vcov then from the PIRLS factor). lp0, where every PIRLS starts, stays the fit's
   stage-2 start (copied from lp0 when given): the Laplace deviance moves with it by
   about PIRLS's tolerance, so keeping it makes the fit's own response give the fit
   back exactly. (lme4's refit restarts it from a PIRLS on the new response.) */
static lmm_status lmm__glmm_refit_from(lmm_glmm *g, const double *y, const double *x0, const double *u0, const double *lp0,
                                       int full, lmm_error *err)
{
    lmm__glmm_ws *ws = g->ws_;
    const lmm_model *m = g->model;
    int n = g->nobs, nth = g->ntheta, p = g->p, i;
    double *x, *lower, *upper;
    lmm_status st;
    for (i = 0; i < n; i++) {
        double v = y[i];
        if (!isfinite(v)) return lmm__fail(err, LMM_ERR_DATA, "the new response is not finite at observation %d", i + 1);
        if (g->family == LMM_FAMILY_BINOMIAL) {
            double s = v * ws->trials[i];
            if (v < 0 || v > 1) return lmm__fail(err, LMM_ERR_DATA, "y values must be 0 <= y <= 1 (observation %d: %g)", i + 1, v);
            if (fabs(s - floor(s + 0.5)) > 1e-3) return lmm__fail(err, LMM_ERR_DATA, "non-integer #successes in a binomial glm (observation %d)", i + 1);
        } else if (v < 0) return lmm__fail(err, LMM_ERR_DATA, "negative values not allowed for the 'Poisson' family (observation %d)", i + 1);
    }
    x = LMM__NEW(double, 3 * (nth + p));
    if (!x) return lmm__nomem(err);
    lower = x + nth + p; upper = lower + nth + p;
    memcpy(x, x0, (size_t)(nth + p) * sizeof(double));
    for (i = 0; i < nth; i++) { lower[i] = m->theta_lower[i]; upper[i] = HUGE_VAL; }
    for (i = 0; i < p; i++) { lower[nth + i] = -HUGE_VAL; upper[nth + i] = HUGE_VAL; }
    if (y != g->y) memcpy(g->y, y, (size_t)n * sizeof(double));
    ws->w0_ok = 0;   /* a new response (and lp0) */
    ws->aic_const = lmm__glmm_aic_const(ws);
    memcpy(ws->u, u0, (size_t)g->q * sizeof(double));
    if (lp0) memcpy(ws->lp0, lp0, (size_t)n * sizeof(double));
    memcpy(ws->beta, x0 + nth, (size_t)p * sizeof(double));
    ws->evals = 0;
    /* bootstrap replicates: the new response's modes and beta at theta0 by PIRLS on (u, beta),
       where lme4's first stage would leave them; stage 2 starts there, and its PIRLS from that
       linear predictor (two iterations an evaluation instead of four from the old response's).
       lmm_glmm_refit keeps the fit's own start, so its own response gives the fit back. */
    if (!full) {
        lmm__glmm_set_theta(ws, x);
        memcpy(ws->off, ws->base_off, (size_t)n * sizeof(double));
        if (isfinite(lmm__glmm_pirls(ws, 1))) {
            lmm__glmm_lp0_from_eta(ws);
            memcpy(x + nth, ws->beta, (size_t)p * sizeof(double));
        } else {   /* keep the given start */
            memcpy(ws->u, u0, (size_t)g->q * sizeof(double));
            if (lp0) memcpy(ws->lp0, lp0, (size_t)n * sizeof(double));
            ws->w0_ok = 0;
            memcpy(ws->beta, x0 + nth, (size_t)p * sizeof(double));
        }
    }
    g->converged = 1;
    st = lmm__glmm_stage2(ws, x, lower, upper, !full, &g->converged, err);
    if (st == LMM_OK) st = lmm__glmm_results(g, ws, x, !full || ws->opts.skip_condvar, !full || ws->opts.skip_hessian, err);
    g->nevals = ws->evals;
    LMM_FREE(x);
    return st;
}

LMM_API lmm_status lmm_glmm_refit(lmm_glmm *g, const double *y, lmm_error *err)
{
    double *x0, *u0;
    lmm_status st;
    if (!g || !y) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_refit: NULL argument");
    x0 = LMM__NEW(double, g->ntheta + g->p + g->q);
    if (!x0) return lmm__nomem(err);
    u0 = x0 + g->ntheta + g->p;
    memcpy(x0, g->theta, (size_t)g->ntheta * sizeof(double));
    memcpy(x0 + g->ntheta, g->beta, (size_t)g->p * sizeof(double));
    memcpy(u0, g->u, (size_t)g->q * sizeof(double));
    st = lmm__glmm_refit_from(g, y, x0, u0, NULL, 1, err);
    LMM_FREE(x0);
    return st;
}

static double *lmm__glmm_dupd(const double *x, size_t n, int *ok)
{
    double *d;
    if (!x) return NULL;
    if (!(d = LMM__NEW(double, n ? n : 1))) { *ok = 0; return NULL; }
    memcpy(d, x, n * sizeof(double));
    return d;
}

static int *lmm__glmm_dupi(const int *x, size_t n, int *ok)
{
    int *d;
    if (!x) return NULL;
    if (!(d = LMM__NEW(int, n ? n : 1))) { *ok = 0; return NULL; }
    memcpy(d, x, n * sizeof(int));
    return d;
}

/* Free a shell (lmm__glmm_shell): everything but the borrowed model. */
static void lmm__glmm_shell_free(lmm_glmm *c)
{
    if (!c) return;
    c->model = NULL;
    lmm_glmm_free(c);
}

/* A refittable private copy of g (its own response, results and workspace)
   that borrows g's model read-only: one per bootstrap thread. */
static lmm_glmm *lmm__glmm_shell(const lmm_glmm *g)
{
    const lmm__glmm_ws *s = g->ws_;
    lmm__glmm_ws *w;
    lmm_glmm *c = LMM__ZNEW(lmm_glmm, 1);
    size_t n = (size_t)g->nobs, q = (size_t)g->q, p = (size_t)g->p, rr = (size_t)(s->nru + s->p), nT = 0;
    int ok = 1, k;
    if (!c) return NULL;
    *c = *g;
    c->formula = NULL; c->b_condsd = NULL;
    c->theta = c->beta = c->se = c->vcov = c->u = c->b = c->y = c->prior_weights = c->eta = c->fitted = c->pearson = NULL;
    c->ws_ = NULL;
    if (!(w = LMM__ZNEW(lmm__glmm_ws, 1))) { LMM_FREE(c); return NULL; }
    *w = *s;
    c->ws_ = w;
    for (k = 0; k < g->model->nterms; k++) nT += (size_t)g->model->terms[k].ncol * g->model->terms[k].ncol;
    w->T = w->zl = w->u = w->beta = w->eta = w->mu = w->me = w->w = w->wr = w->off = w->base_off = w->lp0 = NULL;
    w->H11 = w->H21 = w->H22 = w->rhs = w->sol = w->tmp = w->gh_z = w->gh_w = w->trials = NULL;
    w->T_off = w->zc = w->pat_ptr = w->pat_idx = NULL;
    w->wht = w->wctr = w->bw = w->ylogy = w->w0c = NULL;
    w->w0_ok = 0;
    c->theta = lmm__glmm_dupd(g->theta, (size_t)g->ntheta, &ok);
    c->beta = lmm__glmm_dupd(g->beta, p, &ok); c->se = lmm__glmm_dupd(g->se, p, &ok);
    c->vcov = lmm__glmm_dupd(g->vcov, p * p, &ok);
    c->u = lmm__glmm_dupd(g->u, q, &ok); c->b = lmm__glmm_dupd(g->b, q, &ok);
    c->y = lmm__glmm_dupd(g->y, n, &ok); c->prior_weights = lmm__glmm_dupd(g->prior_weights, n, &ok);
    c->eta = lmm__glmm_dupd(g->eta, n, &ok); c->fitted = lmm__glmm_dupd(g->fitted, n, &ok);
    c->pearson = lmm__glmm_dupd(g->pearson, n, &ok);
    w->y = c->y; w->pw = c->prior_weights;
    w->trials = lmm__glmm_dupd(s->trials, n, &ok);
    w->T = lmm__glmm_dupd(s->T, nT, &ok); w->T_off = lmm__glmm_dupi(s->T_off, (size_t)g->model->nterms, &ok);
    w->zl = lmm__glmm_dupd(s->zl, n * s->nz, &ok); w->zc = lmm__glmm_dupi(s->zc, n * s->nz, &ok);
    w->u = lmm__glmm_dupd(s->u, q, &ok); w->beta = lmm__glmm_dupd(s->beta, p ? p : 1, &ok);
    w->eta = lmm__glmm_dupd(s->eta, n, &ok); w->mu = lmm__glmm_dupd(s->mu, n, &ok); w->me = lmm__glmm_dupd(s->me, n, &ok);
    w->ylogy = lmm__glmm_dupd(s->ylogy, n, &ok);
    w->w = lmm__glmm_dupd(s->w, n, &ok); w->wr = lmm__glmm_dupd(s->wr, n, &ok);
    w->off = lmm__glmm_dupd(s->off, n, &ok); w->base_off = lmm__glmm_dupd(s->base_off, n, &ok);
    w->lp0 = lmm__glmm_dupd(s->lp0, n, &ok);
    w->H11 = lmm__glmm_dupd(s->H11, (size_t)s->nlev1 * s->c1 * s->c1, &ok);
    w->H21 = lmm__glmm_dupd(s->H21, rr * (size_t)s->q1 + 1, &ok);
    w->H22 = lmm__glmm_dupd(s->H22, rr * rr + 1, &ok);
    w->rhs = lmm__glmm_dupd(s->rhs, q + p, &ok); w->sol = lmm__glmm_dupd(s->sol, q + p, &ok);
    w->tmp = lmm__glmm_dupd(s->tmp, 64 + 3 * q + p + 64, &ok);
    w->gh_z = lmm__glmm_dupd(s->gh_z, (size_t)s->nagq, &ok); w->gh_w = lmm__glmm_dupd(s->gh_w, (size_t)s->nagq, &ok);
    w->pat_ptr = lmm__glmm_dupi(s->pat_ptr, (size_t)s->nlev1 + 1, &ok);
    if (s->wht) {
        w->wht = lmm__glmm_dupd(s->wht, p * p + 2 * p, &ok);
        if (w->wht) { w->wctr = w->wht + p * p; w->bw = w->wctr + p; }
    }
    w->pat_idx = s->pat_ptr ? lmm__glmm_dupi(s->pat_idx, (size_t)s->pat_ptr[s->nlev1] + 1, &ok) : NULL;
    if (!ok) { lmm__glmm_shell_free(c); return NULL; }
    return c;
}

typedef struct lmm__glmm_boot_ctx {
    const lmm_glmm *fit, *null_fit, *alt;   /* bootMer: fit; LRT: null_fit and alt */
    int use_u;
    lmm_glmm_statistic_fn statistic;      /* NULL: fixef */
    void *user;
    int k;
    uint64_t seed;
} lmm__glmm_boot_ctx;

/* Replicate b into out (k values; NAN where a refit failed). f1 (and f0 for the LRT) are this thread's shells. */
static void lmm__glmm_boot_one(const lmm__glmm_boot_ctx *cx, lmm_glmm *f1, lmm_glmm *f0, double *y, double *work, int b, double *out)
{
    lmm_rng rng;
    double *x0 = work + (cx->alt ? (cx->alt->q > cx->null_fit->q ? cx->alt->q : cx->null_fit->q) : cx->fit->q) + 1;
    int j;
    lmm_rng_seed_stream(&rng, cx->seed, (uint64_t)b);
    if (cx->alt) {
        const lmm_glmm *s0 = cx->null_fit, *s1 = cx->alt;
        double d0 = NAN;
        lmm__glmm_simulate_into(s0, &rng, 0, y, work);
        memcpy(x0, s0->theta, (size_t)s0->ntheta * sizeof(double));
        memcpy(x0 + s0->ntheta, s0->beta, (size_t)s0->p * sizeof(double));
        if (lmm__glmm_refit_from(f0, y, x0, s0->u, s0->ws_->lp0, 0, NULL) == LMM_OK) d0 = f0->deviance;
        memcpy(x0, s1->theta, (size_t)s1->ntheta * sizeof(double));
        memcpy(x0 + s1->ntheta, s1->beta, (size_t)s1->p * sizeof(double));
        out[0] = lmm__glmm_refit_from(f1, y, x0, s1->u, s1->ws_->lp0, 0, NULL) == LMM_OK ? d0 - f1->deviance : NAN;
        return;
    }
    lmm__glmm_simulate_into(cx->fit, &rng, cx->use_u, y, work);
    memcpy(x0, cx->fit->theta, (size_t)cx->fit->ntheta * sizeof(double));
    memcpy(x0 + cx->fit->ntheta, cx->fit->beta, (size_t)cx->fit->p * sizeof(double));
    if (lmm__glmm_refit_from(f1, y, x0, cx->fit->u, cx->fit->ws_->lp0, 0, NULL) != LMM_OK) { for (j = 0; j < cx->k; j++) out[j] = NAN; return; }
    if (cx->statistic) cx->statistic(f1, cx->user, out);
    else memcpy(out, f1->beta, (size_t)cx->k * sizeof(double));
}

/* A thread's private shells and scratch (lmm__team's state). */
typedef struct lmm__glmm_boot_thread {
    lmm_glmm *f1, *f0;                    /* the fit (or alternative), the null */
    double *y, *work;
} lmm__glmm_boot_thread;

static void lmm__glmm_boot_thread_free(void *state)
{
    lmm__glmm_boot_thread *th = (lmm__glmm_boot_thread *)state;
    if (!th) return;
    lmm__glmm_shell_free(th->f1); lmm__glmm_shell_free(th->f0);
    LMM_FREE(th->y); LMM_FREE(th->work);
    LMM_FREE(th);
}

static void *lmm__glmm_boot_thread_init(const void *ctx, lmm_status *st, lmm_error *err)
{
    const lmm__glmm_boot_ctx *cx = (const lmm__glmm_boot_ctx *)ctx;
    const lmm_glmm *main_fit = cx->alt ? cx->alt : cx->fit;
    lmm__glmm_boot_thread *th = LMM__ZNEW(lmm__glmm_boot_thread, 1);
    int q = main_fit->q;
    if (cx->null_fit && cx->null_fit->q > q) q = cx->null_fit->q;
    if (th) {
        th->f1 = lmm__glmm_shell(main_fit);
        th->f0 = cx->null_fit ? lmm__glmm_shell(cx->null_fit) : NULL;
        th->y = LMM__NEW(double, main_fit->nobs);
        th->work = LMM__NEW(double, (size_t)q + 1 + main_fit->ntheta + main_fit->p + (cx->null_fit ? cx->null_fit->ntheta + cx->null_fit->p : 0));
    }
    if (!th || !th->f1 || (cx->null_fit && !th->f0) || !th->y || !th->work) {
        lmm__glmm_boot_thread_free(th);
        *st = lmm__nomem(err);
        return NULL;
    }
    return th;
}

static void lmm__glmm_boot_team_one(const void *ctx, void *state, int b, double *out)
{
    lmm__glmm_boot_thread *th = (lmm__glmm_boot_thread *)state;
    lmm__glmm_boot_one((const lmm__glmm_boot_ctx *)ctx, th->f1, th->f0, th->y, th->work, b, out);
}

/* Run cx's replicates into out on the team (the linear bootstrap's loop). */
static lmm_status lmm__glmm_boot_run(lmm__glmm_boot_ctx *cx, int nsim, double *out, const lmm_boot_options *opt,
                                     lmm__team *team, lmm_error *err)
{
    memset(team, 0, sizeof *team);
    team->ctx = cx; team->init = lmm__glmm_boot_thread_init; team->one = lmm__glmm_boot_team_one;
    team->fini = lmm__glmm_boot_thread_free; team->k = cx->k; team->out = out;
    return lmm__team_run(team, nsim, opt, err);
}

LMM_API lmm_status lmm_glmm_bootmer(const lmm_glmm *g, int nsim, uint64_t seed, int use_u,
                                    lmm_glmm_statistic_fn statistic, int k, void *user, double *out,
                                    const lmm_boot_options *opt, lmm_error *err)
{
    lmm__glmm_boot_ctx cx;
    lmm__team team;
    if (!g || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_bootmer: NULL argument");
    if (statistic ? k < 1 : k != g->p) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_bootmer: k must be %s (got %d)", statistic ? "positive" : "the number of fixed effects", k);
    memset(&cx, 0, sizeof cx);
    cx.fit = g; cx.use_u = use_u; cx.statistic = statistic; cx.user = user; cx.k = k; cx.seed = seed;
    return lmm__glmm_boot_run(&cx, nsim, out, opt, &team, err);
}

LMM_API lmm_status lmm_glmm_boot_lrt(const lmm_glmm *null_fit, const lmm_glmm *alt, int nsim, uint64_t seed,
                                     const lmm_boot_options *opt, lmm_boot_result *res, lmm_error *err)
{
    lmm__glmm_boot_ctx cx;
    lmm__team team;
    lmm_status st;
    int i, first, last;
    if (!res) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_boot_lrt: NULL result");
    memset(res, 0, sizeof *res);
    if (!null_fit || !alt) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_boot_lrt: NULL fit");
    if (null_fit->nobs != alt->nobs)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_boot_lrt: the null model has %d observations, the alternative %d", null_fit->nobs, alt->nobs);
    if (null_fit->family != alt->family || null_fit->link != alt->link)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_boot_lrt: the models differ in family or link");
    for (i = 0; i < alt->nobs; i++)
        if (null_fit->y[i] != alt->y[i] || null_fit->prior_weights[i] != alt->prior_weights[i])
            return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_boot_lrt: the models were fitted to different responses (observation %d)", i + 1);
    if (null_fit->df >= alt->df)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_boot_lrt: the null model has %d parameters, not fewer than the alternative's %d", null_fit->df, alt->df);
    memset(&cx, 0, sizeof cx);
    cx.null_fit = null_fit; cx.alt = alt; cx.k = 1; cx.seed = seed;
    res->nsim = nsim; res->seed = seed;
    res->observed = null_fit->deviance - alt->deviance;
    if (lmm__team_range(nsim, opt, &first, &last, err)) return LMM_ERR_ARG;
    if (!(res->stats = LMM__NEW(double, last - first))) return lmm__nomem(err);
    if ((st = lmm__glmm_boot_run(&cx, nsim, res->stats, opt, &team, err)) != LMM_OK) { LMM_FREE(res->stats); res->stats = NULL; return st; }
    res->first = team.first; res->last = team.last; res->threads = team.threads;
    lmm__boot_tally(res);
    return LMM_OK;
}

/* ---- glmer anova and predict ---- */

/* lme4's anova() of glmer fits: each row's figures are the fit's own (a glmer fit
   is by maximum likelihood: nothing to refit). The table is freed by lmm_anova_free;
   on failure it is released here, row by row. */
static void lmm__glmm_anova_release(lmm_anova *a)
{
    int i;
    if (!a) return;
    if (a->rows) for (i = 0; i < a->n; i++) { LMM_FREE(a->rows[i].name); LMM_FREE(a->rows[i].formula); }
    LMM_FREE(a->rows);
    LMM_FREE(a);
}

LMM_API lmm_status lmm_glmm_anova(const lmm_glmm *const *fits, const char *const *names, int n, lmm_anova **out,
                                  lmm_error *err)
{
    if (!fits) { if (out) *out = NULL; return lmm__fail(err, LMM_ERR_ARG, "anova needs at least two models"); }
    return lmm_glm_anova(fits, NULL, names, n, out, err);
}

/* Row i of an anova over glmer and glm fits: npar, logLik, AIC, BIC, nobs, formula (0 if missing). */
static int lmm__glm_anova_fit(const lmm_glmm *const *glmms, const lmm_glm *const *glms, int i, int *npar, double *ll,
                              double *aic, double *bic, int *nobs, const char **formula)
{
    if (glmms && glmms[i]) {
        const lmm_glmm *f = glmms[i];
        *npar = f->df; *ll = f->loglik; *aic = f->aic; *bic = f->bic; *nobs = f->nobs; *formula = f->formula;
        return 1;
    }
    if (glms && glms[i]) {   /* lme4's anova.merMod: a glm's logLik, its df the coefficients */
        const lmm_glm *f = glms[i];
        *npar = f->p; *ll = f->loglik; *aic = f->aic; *bic = f->bic; *nobs = f->nobs; *formula = f->formula;
        return 1;
    }
    return 0;
}

LMM_API lmm_status lmm_glm_anova(const lmm_glmm *const *glmms, const lmm_glm *const *glms, const char *const *names,
                                 int n, lmm_anova **out, lmm_error *err)
{
    lmm_anova *a;
    int i, j, npar, nobs, nobs0 = 0;
    double ll = 0, aic = 0, bic = 0;   /* set by lmm__glm_anova_fit */
    const char *formula;
    if (!out) return lmm__fail(err, LMM_ERR_ARG, "lmm_glm_anova: NULL argument");
    *out = NULL;
    if ((!glmms && !glms) || n < 2) return lmm__fail(err, LMM_ERR_ARG, "anova needs at least two models");
    for (i = 0; i < n; i++) {
        if (!lmm__glm_anova_fit(glmms, glms, i, &npar, &ll, &aic, &bic, &nobs, &formula))
            return lmm__fail(err, LMM_ERR_ARG, "lmm_glm_anova: model %d is NULL", i + 1);
        if (i == 0) nobs0 = nobs;
        else if (nobs != nobs0)
            return lmm__fail(err, LMM_ERR_DATA, "models were not all fitted to the same size of dataset (%d and %d observations)",
                             nobs0, nobs);
    }
    if (!(a = LMM__ZNEW(lmm_anova, 1))) return lmm__nomem(err);
    if (!(a->rows = LMM__ZNEW(lmm_anova_row, n))) { LMM_FREE(a); return lmm__nomem(err); }
    a->n = n;
    for (i = 0; i < n; i++) {
        lmm_anova_row *r = &a->rows[i];
        char def[32];
        lmm__glm_anova_fit(glmms, glms, i, &npar, &ll, &aic, &bic, &nobs, &formula);
        snprintf(def, sizeof def, "MODEL%d", i + 1);
        r->model = i;
        r->npar = npar;
        r->loglik = ll;
        r->aic = aic;
        r->bic = bic;
        r->deviance = -2 * r->loglik;
        r->name = lmm__strdup(names && names[i] ? names[i] : def);
        r->formula = lmm__strdup(formula ? formula : "");
        if (!r->name || !r->formula) { lmm__glmm_anova_release(a); return lmm__nomem(err); }
    }
    for (i = 1; i < n; i++) {   /* stable insertion sort by npar, as R's order() */
        lmm_anova_row t = a->rows[i];
        for (j = i; j > 0 && a->rows[j - 1].npar > t.npar; j--) a->rows[j] = a->rows[j - 1];
        a->rows[j] = t;
    }
    for (i = 0; i < n; i++) {
        lmm_anova_row *r = &a->rows[i];
        if (i == 0) { r->chisq = r->df = r->p = NAN; continue; }
        r->chisq = 2 * (r->loglik - a->rows[i - 1].loglik);
        if (r->chisq < 0) r->chisq = 0;
        r->df = (double)(r->npar - a->rows[i - 1].npar);
        r->p = r->df == 0 ? NAN : lmm_pchisq(r->chisq, r->df, 0, 0);
    }
    *out = a;
    return LMM_OK;
}

/* ---- plain GLM (R's glm) and anova over glmer and glm fits ---- */

LMM_API void lmm_glm_free(lmm_glm *g)
{
    if (!g) return;
    lmm_model_free(g->model);
    LMM_FREE(g->formula);
    LMM_FREE(g->beta); LMM_FREE(g->se); LMM_FREE(g->zval); LMM_FREE(g->pval); LMM_FREE(g->vcov);
    LMM_FREE(g->y); LMM_FREE(g->prior_weights); LMM_FREE(g->eta); LMM_FREE(g->fitted); LMM_FREE(g->working_weights);
    LMM_FREE(g);
}

/* R's glm.fit: IRLS from eta = linkfun(mustart) (offset not added), stopping when
   |dev - devold| / (|dev| + 0.1) < 1e-8 (at most 25 iterations), halving the step on a
   non-finite deviance. X is n x p column-major; rows with pw = 0 stay out of the fit.
   Out: beta, eta, mu (n), ww (n: the last iteration's weights), R (p x p upper: the last
   weighted QR's), the deviance, the iterations and convergence. */
static lmm_status lmm__glm_irls(int n, int p, const double *X, const double *y, const double *pw, const double *trials,
                                const double *off, lmm_family fam, lmm_link link, double *beta, double *eta, double *mu,
                                double *ww, double *R, double *dev_out, int *iter_out, int *conv_out, lmm_error *err)
{
    int i, j, k, ng = 0, iter, conv = 0, have_old = 0;
    double *A, *z, *tau, *old, dev = 0, devold = 0;
    lmm_status st = LMM_OK;
    for (i = 0; i < n; i++) ng += pw[i] > 0;
    if (ng < p) return lmm__fail(err, LMM_ERR_DATA, "%d coefficients but only %d observations with positive weight", p, ng);
    A = LMM__NEW(double, (size_t)ng * (p ? p : 1)); z = LMM__NEW(double, ng ? ng : 1);
    tau = LMM__NEW(double, p ? p : 1); old = LMM__ZNEW(double, p ? p : 1);
    if (!A || !z || !tau || !old) { st = lmm__nomem(err); goto done; }
    for (i = 0; i < n; i++) {   /* binomial: (n y + 1/2) / (n + 1), n the trials; poisson: y + 0.1 */
        double mus = fam == LMM_FAMILY_BINOMIAL ? (trials[i] * y[i] + 0.5) / (trials[i] + 1) : y[i] + 0.1;
        eta[i] = lmm__glmm_linkfun(link, mus);
        mu[i] = lmm__glmm_linkinv(link, eta[i]);
        devold += lmm__glmm_devres(fam, y[i], mu[i], pw[i]);
    }
    for (iter = 1; iter <= 25; iter++) {
        for (i = 0, k = 0; i < n; i++) {
            double me = lmm__glmm_mueta(link, eta[i]), w;
            ww[i] = 0;
            if (!(pw[i] > 0)) continue;
            w = sqrt(pw[i] * me * me / lmm__glmm_variance(fam, mu[i]));
            ww[i] = w * w;
            z[k] = w * ((eta[i] - off[i]) + (y[i] - mu[i]) / me);
            for (j = 0; j < p; j++) A[(size_t)j * ng + k] = w * X[(size_t)j * n + i];
            k++;
        }
        lmm_qr(ng, p, A, ng, tau);
        lmm_qr_qtv(ng, p, A, ng, tau, z);
        for (j = 0; j < p; j++)
            if (!(fabs(A[(size_t)j * ng + j]) > 1e-7 * (fabs(A[0]) > 0 ? fabs(A[0]) : 1))) {
                st = lmm__fail(err, LMM_ERR_RANK, "the GLM's model matrix is rank deficient at column %d", j + 1); goto done;
            }
        for (j = p - 1; j >= 0; j--) {
            double s = z[j];
            for (k = j + 1; k < p; k++) s -= A[(size_t)k * ng + j] * beta[k];
            beta[j] = s / A[(size_t)j * ng + j];
        }
        for (;;) {   /* eta, mu, deviance; halve towards the previous coefficients while not finite */
            dev = 0;
            for (i = 0; i < n; i++) {
                double e = off[i];
                for (j = 0; j < p; j++) e += X[(size_t)j * n + i] * beta[j];
                eta[i] = e;
                mu[i] = lmm__glmm_linkinv(link, e);
                dev += lmm__glmm_devres(fam, y[i], mu[i], pw[i]);
            }
            if (isfinite(dev)) break;
            if (!have_old) { st = lmm__fail(err, LMM_ERR_NUMERIC, "no valid set of coefficients has been found"); goto done; }
            for (j = 0; j < p; j++) beta[j] = (beta[j] + old[j]) / 2;
        }
        if (fabs(dev - devold) / (fabs(dev) + 0.1) < 1e-8) { conv = 1; break; }
        devold = dev;
        memcpy(old, beta, (size_t)p * sizeof(double));
        have_old = 1;
    }
    for (j = 0; j < p; j++)
        for (k = 0; k < p; k++) R[j + (size_t)k * p] = j <= k ? A[(size_t)k * ng + j] : 0.0;
    *dev_out = dev; *iter_out = iter > 25 ? 25 : iter; *conv_out = conv;
done:
    LMM_FREE(A); LMM_FREE(z); LMM_FREE(tau); LMM_FREE(old);
    return st;
}

LMM_API lmm_status lmm_glm_fit_formula(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                                       lmm_glm **out, lmm_error *err)
{
    lmm_model_options mo;
    lmm_model *m = NULL;
    lmm_glm *g = NULL;
    lmm_status st;
    lmm__glmm_ws aw;
    double *yv = NULL, *pwv = NULL, *trials = NULL, *off = NULL, *R = NULL, *mu0 = NULL, *eta0 = NULL, *ww0 = NULL;
    int n, p, i, j, k, intercept = 0, nok = 0;
    if (out) *out = NULL;
    if (!df || !formula || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_glm_fit_formula: NULL argument");
    if (opts) mo = *opts; else memset(&mo, 0, sizeof mo);
    if (mo.family != LMM_FAMILY_BINOMIAL && mo.family != LMM_FAMILY_POISSON)
        return lmm__fail(err, LMM_ERR_ARG, "family %s: lmm_glm_fit_formula fits binomial and poisson (lmm_lm_fit_formula fits gaussian)",
                         lmm_family_name(mo.family));
    if (mo.link == LMM_LINK_DEFAULT) mo.link = mo.family == LMM_FAMILY_BINOMIAL ? LMM_LINK_LOGIT : LMM_LINK_LOG;
    if (mo.family == LMM_FAMILY_BINOMIAL ? !(mo.link == LMM_LINK_LOGIT || mo.link == LMM_LINK_PROBIT || mo.link == LMM_LINK_CLOGLOG)
                                         : mo.link != LMM_LINK_LOG)
        return lmm__fail(err, LMM_ERR_ARG, "link \"%s\" not available for %s family", lmm_link_name(mo.link), lmm_family_name(mo.family));
    if ((st = lmm__glmm_response(df, formula, &mo, 1, &m, &yv, &pwv, &trials, err)) != LMM_OK) return st;
    n = m->nobs; p = m->X->ncol;
    g = LMM__ZNEW(lmm_glm, 1);
    if (!g) { LMM_FREE(yv); LMM_FREE(pwv); LMM_FREE(trials); lmm_model_free(m); return lmm__nomem(err); }
    g->model = m; g->y = yv; g->prior_weights = pwv;
    g->family = mo.family; g->link = mo.link; g->nobs = n; g->p = p;
    g->formula = lmm__strdup(formula);
    g->beta = LMM__ZNEW(double, p ? p : 1); g->se = LMM__NEW(double, p ? p : 1);
    g->zval = LMM__NEW(double, p ? p : 1); g->pval = LMM__NEW(double, p ? p : 1);
    g->vcov = LMM__NEW(double, (size_t)(p ? p : 1) * (p ? p : 1));
    g->eta = LMM__NEW(double, n ? n : 1); g->fitted = LMM__NEW(double, n ? n : 1); g->working_weights = LMM__NEW(double, n ? n : 1);
    off = LMM__ZNEW(double, n ? n : 1); R = LMM__NEW(double, (size_t)(p ? p : 1) * (p ? p : 1));
    if (!g->formula || !g->beta || !g->se || !g->zval || !g->pval || !g->vcov || !g->eta || !g->fitted || !g->working_weights ||
        !off || !R) { st = lmm__nomem(err); goto done; }
    if (m->offset) memcpy(off, m->offset, (size_t)n * sizeof(double));
    for (j = 0; j < p; j++) if (m->X->assign && m->X->assign[j] == 0) intercept = 1;
    for (i = 0; i < n; i++) nok += pwv[i] > 0;
    if ((st = lmm__glm_irls(n, p, m->X->v, yv, pwv, trials, off, mo.family, mo.link, g->beta, g->eta, g->fitted,
                            g->working_weights, R, &g->deviance, &g->iter, &g->converged, err)) != LMM_OK) goto done;
    /* vcov = R^-1 R^-T (dispersion 1): columns of R^-1 by back substitution into vcov, then the product */
    {
        double *Ri = R;   /* reuse: R^-1 upper, computed into a copy */
        double *Rc = LMM__NEW(double, (size_t)(p ? p : 1) * (p ? p : 1));
        if (!Rc) { st = lmm__nomem(err); goto done; }
        memcpy(Rc, R, (size_t)p * p * sizeof(double));
        for (k = 0; k < p; k++)
            for (j = p - 1; j >= 0; j--) {
                double s = j == k ? 1.0 : 0.0;
                int l;
                for (l = j + 1; l < p; l++) s -= Rc[j + (size_t)l * p] * Ri[l + (size_t)k * p];
                Ri[j + (size_t)k * p] = j <= k ? s / Rc[j + (size_t)j * p] : 0.0;
            }
        LMM_FREE(Rc);
        for (j = 0; j < p; j++)
            for (k = 0; k < p; k++) {
                double s = 0;
                int l;
                for (l = 0; l < p; l++) s += Ri[j + (size_t)l * p] * Ri[k + (size_t)l * p];
                g->vcov[j + (size_t)k * p] = s;
            }
    }
    for (j = 0; j < p; j++) {
        g->se[j] = sqrt(g->vcov[j * (p + 1)]);
        g->zval[j] = g->beta[j] / g->se[j];
        g->pval[j] = 2 * lmm_pnorm(-fabs(g->zval[j]), 0, 1, 1, 0);
    }
    /* null deviance: the weighted mean, or with an offset and an intercept glm's intercept-only refit */
    g->null_deviance = 0;
    if (intercept && m->offset) {
        double b0, dev0, one_r;
        int it0, cv0;
        double *ones = LMM__NEW(double, n ? n : 1);
        mu0 = LMM__NEW(double, n ? n : 1); eta0 = LMM__NEW(double, n ? n : 1); ww0 = LMM__NEW(double, n ? n : 1);
        if (!ones || !mu0 || !eta0 || !ww0) { LMM_FREE(ones); st = lmm__nomem(err); goto done; }
        for (i = 0; i < n; i++) ones[i] = 1;
        st = lmm__glm_irls(n, 1, ones, yv, pwv, trials, off, mo.family, mo.link, &b0, eta0, mu0, ww0, &one_r, &dev0, &it0, &cv0, err);
        LMM_FREE(ones);
        if (st != LMM_OK) goto done;
        g->null_deviance = dev0;
    } else {
        double sw = 0, swy = 0;
        for (i = 0; i < n; i++) { sw += pwv[i]; swy += pwv[i] * yv[i]; }
        for (i = 0; i < n; i++) {
            double mu = intercept ? swy / sw : lmm__glmm_linkinv(mo.link, off[i]);
            g->null_deviance += lmm__glmm_devres(mo.family, yv[i], mu, pwv[i]);
        }
    }
    g->df_resid = nok - p;
    g->df_null = nok - intercept;
    /* R's family()$aic at the fitted means, the same sums as glmer's logLik */
    memset(&aw, 0, sizeof aw);
    aw.n = n; aw.family = mo.family; aw.y = yv; aw.pw = pwv; aw.trials = trials; aw.mu = g->fitted;
    aw.aic_const = lmm__glmm_aic_const(&aw);
    g->aic = lmm__glmm_aic(&aw) + 2.0 * p;
    g->loglik = p - g->aic / 2;
    g->bic = -2 * g->loglik + log((double)n) * p;
done:
    LMM_FREE(trials); LMM_FREE(off); LMM_FREE(R); LMM_FREE(mu0); LMM_FREE(eta0); LMM_FREE(ww0);
    if (st != LMM_OK) { lmm_glm_free(g); return st; }
    *out = g;
    return LMM_OK;
}

/* ======================================================================== */
/* Linear models, ANOVA and likelihood-ratio tests                     @lm */
/* ======================================================================== */

LMM_API void lmm_lm_free(lmm_lm *fit)
{
    int j;
    if (!fit) return;
    LMM_FREE(fit->formula);
    lmm_matrix_free(fit->X);
    if (fit->aliased) for (j = 0; j < fit->n_aliased; j++) LMM_FREE(fit->aliased[j]);
    LMM_FREE(fit->aliased);
    LMM_FREE(fit->y); LMM_FREE(fit->weights); LMM_FREE(fit->weights_label); LMM_FREE(fit->offset); LMM_FREE(fit->offset_label); LMM_FREE(fit->coef); LMM_FREE(fit->se); LMM_FREE(fit->tval); LMM_FREE(fit->pval);
    LMM_FREE(fit->vcov); LMM_FREE(fit->fitted); LMM_FREE(fit->resid); LMM_FREE(fit->effects);
    LMM_FREE(fit);
}

/* Least squares on fit->X and fit->y (both set); fills everything else. */
static lmm_status lmm__lm_solve(lmm_lm *fit, lmm_error *err)
{
    int n = fit->X->nrow, p = fit->X->ncol, i, j, k, intercept = 0, nall = n;
    double *qr = NULL, *tau = NULL, tss = 0, ybar = 0, s2;
    const double two_pi = 6.283185307179586476925286766559, *w = fit->weights, *off = fit->offset;
    double *yo = fit->y;      /* the response less the offset: what is fitted */
    if (w) for (i = 0, n = 0; i < nall; i++) n += w[i] > 0;   /* R's lm.wfit fits the positive-weight rows */
    fit->nobs = n; fit->p = p; fit->df_resid = n - p;
    if (n - p < 1) return lmm__fail(err, LMM_ERR_DATA, "%d coefficients but only %d observations: no residual degrees of freedom", p, n);
    fit->coef = LMM__NEW(double, p ? p : 1); fit->se = LMM__NEW(double, p ? p : 1);
    fit->tval = LMM__NEW(double, p ? p : 1); fit->pval = LMM__NEW(double, p ? p : 1);
    fit->vcov = LMM__NEW(double, (size_t)(p ? p : 1) * (p ? p : 1));
    fit->fitted = LMM__NEW(double, nall); fit->resid = LMM__NEW(double, nall); fit->effects = LMM__NEW(double, nall);
    qr = LMM__NEW(double, (size_t)n * (p ? p : 1)); tau = LMM__NEW(double, p ? p : 1);
    if (off && (yo = LMM__NEW(double, nall + 1)) != NULL) for (i = 0; i < nall; i++) yo[i] = fit->y[i] - off[i];
    if (!fit->coef || !fit->se || !fit->tval || !fit->pval || !fit->vcov || !fit->fitted || !fit->resid || !fit->effects || !qr || !tau || !yo) {
        LMM_FREE(qr); LMM_FREE(tau);
        if (yo != fit->y) LMM_FREE(yo);
        return lmm__nomem(err);
    }
    if (w) {   /* sqrt(w) X and sqrt(w) y over the positive-weight rows */
        for (i = 0, k = 0; i < nall; i++) {
            double sw = sqrt(w[i]);
            if (!(w[i] > 0)) continue;
            for (j = 0; j < p; j++) qr[(size_t)j * n + k] = sw * fit->X->v[(size_t)j * nall + i];
            fit->effects[k++] = sw * yo[i];
        }
    } else {
        memcpy(qr, fit->X->v, (size_t)n * p * sizeof(double));
        memcpy(fit->effects, yo, (size_t)n * sizeof(double));
    }
    lmm_qr(n, p, qr, n, tau);
    lmm_qr_qtv(n, p, qr, n, tau, fit->effects);
    for (j = 0; j < p; j++)
        if (fabs(qr[(size_t)j * n + j]) == 0.0) { LMM_FREE(qr); LMM_FREE(tau); if (yo != fit->y) LMM_FREE(yo); return lmm__fail(err, LMM_ERR_RANK, "model matrix is rank deficient at column '%s'", fit->X->colnames[j]); }
    /* coef = R^{-1} (Q'y)[0..p-1] */
    for (j = p - 1; j >= 0; j--) {
        double s = fit->effects[j];
        for (k = j + 1; k < p; k++) s -= qr[(size_t)k * n + j] * fit->coef[k];
        fit->coef[j] = s / qr[(size_t)j * n + j];
    }
    {   /* long double, as R's sum() accumulates */
        long double acc = 0;
        for (i = p; i < n; i++) acc += (long double)fit->effects[i] * fit->effects[i];
        fit->rss = (double)acc;
    }
    s2 = fit->rss / (n - p);
    fit->sigma = sqrt(s2);
    /* vcov = s2 R^{-1} R^{-T}: columns of R^{-1} by back substitution */
    {
        double *rinv = LMM__ZNEW(double, (size_t)p * p);
        if (!rinv) { LMM_FREE(qr); LMM_FREE(tau); if (yo != fit->y) LMM_FREE(yo); return lmm__nomem(err); }
        for (j = 0; j < p; j++) {
            double *c = rinv + (size_t)j * p;
            c[j] = 1.0 / qr[(size_t)j * n + j];
            for (i = j - 1; i >= 0; i--) {
                double s = 0;
                for (k = i + 1; k <= j; k++) s += qr[(size_t)k * n + i] * c[k];
                c[i] = -s / qr[(size_t)i * n + i];
            }
        }
        for (i = 0; i < p; i++)
            for (j = 0; j < p; j++) {
                double s = 0;
                for (k = (i > j ? i : j); k < p; k++) s += rinv[(size_t)k * p + i] * rinv[(size_t)k * p + j];
                fit->vcov[i + (size_t)j * p] = s2 * s;
            }
        LMM_FREE(rinv);
    }
    for (j = 0; j < p; j++) {
        fit->se[j] = sqrt(fit->vcov[j * (p + 1)]);
        fit->tval[j] = fit->coef[j] / fit->se[j];
        fit->pval[j] = 2 * lmm_pt(-fabs(fit->tval[j]), (double)(n - p), 1, 0);
    }
    for (i = 0; i < nall; i++) {
        double f = 0;
        for (j = 0; j < p; j++) f += fit->X->v[(size_t)j * nall + i] * fit->coef[j];
        fit->fitted[i] = off ? f + off[i] : f;
        fit->resid[i] = fit->y[i] - fit->fitted[i];
    }
    for (j = 0; j < p; j++) if (fit->X->assign && fit->X->assign[j] == 0) intercept = 1;
    if (yo != fit->y) LMM_FREE(yo);
    if (off) {
        /* R 4.2.2's summary.lm (the reference): R^2 = mss / (mss + rss) with mss
           from the fitted values, offset included, and F = (mss / df1) / sigma^2 */
        double sw = 0, fbar = 0, mss = 0;
        for (i = 0; i < nall; i++) { double wi = w ? w[i] : 1; fbar += wi * fit->fitted[i]; sw += wi; }
        fbar /= sw;
        for (i = 0; i < nall; i++) {
            double wi = w ? w[i] : 1, d = intercept ? fit->fitted[i] - fbar : fit->fitted[i];
            mss += wi * d * d;
        }
        tss = mss + fit->rss;
    } else if (w) {   /* weighted mean and total sum of squares, as summary.lm */
        double sw = 0;
        for (i = 0; i < nall; i++) { ybar += w[i] * fit->y[i]; sw += w[i]; }
        ybar /= sw;
        for (i = 0; i < nall; i++) tss += w[i] * (intercept ? (fit->y[i] - ybar) * (fit->y[i] - ybar) : fit->y[i] * fit->y[i]);
    } else {
        for (i = 0; i < n; i++) ybar += fit->y[i] / n;
        for (i = 0; i < n; i++) tss += intercept ? (fit->y[i] - ybar) * (fit->y[i] - ybar) : fit->y[i] * fit->y[i];
    }
    fit->r_squared = tss > 0 ? 1 - fit->rss / tss : NAN;
    fit->adj_r_squared = 1 - (1 - fit->r_squared) * ((n - intercept) / (double)(n - p));
    fit->f_df1 = p - intercept;
    if (fit->f_df1 > 0) {
        fit->fstat = ((tss - fit->rss) / fit->f_df1) / s2;
        fit->f_p = lmm_pf(fit->fstat, (double)fit->f_df1, (double)(n - p), 0, 0);
    } else fit->fstat = fit->f_p = NAN;
    fit->loglik = 0.5 * (-n * (log(two_pi) + 1 - log((double)n) + log(fit->rss)));
    if (w) for (i = 0; i < nall; i++) if (w[i] > 0) fit->loglik += 0.5 * log(w[i]);   /* R's logLik.lm */
    fit->df = p + 1;
    fit->aic = -2 * fit->loglik + 2.0 * fit->df;
    fit->bic = -2 * fit->loglik + log((double)n) * fit->df;
    LMM_FREE(qr); LMM_FREE(tau);
    return LMM_OK;
}

LMM_API lmm_status lmm_lm_fit(const lmm_frame *df, const char *formula, const lmm_model_options *opts,
                              lmm_lm **out, lmm_error *err)
{
    lmm_formula *f = NULL;
    lmm__frame_eval fe;
    lmm_model_options mo;
    lmm_lm *fit;
    lmm_status st;
    int i;
    *out = NULL;
    if (!df || !formula) return lmm__fail(err, LMM_ERR_ARG, "lmm_lm_fit: NULL argument");
    if ((st = lmm__model_options_resolve(opts, &mo, err)) != LMM_OK) return st;
    if ((st = lmm_formula_parse(formula, &f, err)) != LMM_OK) return st;
    if (f->response < 0) { lmm_formula_free(f); return lmm__fail(err, LMM_ERR_FORMULA, "formula has no response: write 'y ~ ...'"); }
    if (f->nre > 0) {
        int offset = f->re[0].offset;   /* read before the formula is freed */
        lmm_formula_free(f);
        return lmm__fail(err, LMM_ERR_FORMULA, "lm formula has a random-effects term at offset %d; fit it as a mixed model", offset);
    }
    if ((st = lmm__frame_evaluate(df, f, 0, &fe, err)) != LMM_OK) { lmm_formula_free(f); return st; }
    if ((st = lmm__drop_missing_inputs(df, f, &mo, &fe, err)) != LMM_OK) { lmm__frame_eval_free(&fe); lmm_formula_free(f); return st; }
    fit = LMM__ZNEW(lmm_lm, 1);
    if (!fit) { st = lmm__nomem(err); goto done; }
    fit->n_na_dropped = fe.n_dropped;
    fit->formula = lmm__strdup(formula);
    fit->y = LMM__NEW(double, fe.nobs);
    if (!fit->formula || !fit->y) { st = lmm__nomem(err); goto done; }
    if (fe.vars[f->response].is_factor) { st = lmm__fail(err, LMM_ERR_DATA, "response '%s' is not numeric", f->vars[f->response].label); goto done; }
    for (i = 0; i < fe.nobs; i++) fit->y[i] = fe.vars[f->response].num[fe.rows[i]];
    {
        int given;
        if (!(fit->weights = LMM__NEW(double, fe.nobs + 1))) { st = lmm__nomem(err); goto done; }
        if ((st = lmm__model_input(df, "weights", mo.weights_column, mo.weights, fe.rows, fe.nobs, fit->weights, &given, err)) != LMM_OK) goto done;
        if (!given) { LMM_FREE(fit->weights); fit->weights = NULL; }
        else if (mo.weights_column && !(fit->weights_label = lmm__strdup(mo.weights_column))) { st = lmm__nomem(err); goto done; }
        else if ((st = lmm__check_weights(fit->weights, fe.rows, fe.nobs, 1, err)) != LMM_OK) goto done;
        else {   /* a zero-weight row counts nowhere in R's summary(lm): drop it */
            int k = 0;
            for (i = 0; i < fe.nobs; i++)
                if (fit->weights[i] > 0) { fe.rows[k] = fe.rows[i]; fit->weights[k] = fit->weights[i]; fit->y[k] = fit->y[i]; k++; }
            if (k == 0) { st = lmm__fail(err, LMM_ERR_DATA, "every weight is zero"); goto done; }
            fe.nobs = k;
        }
        /* R's lm fits y - offset; fitted values include the offset */
        if (!(fit->offset = LMM__NEW(double, fe.nobs + 1))) { st = lmm__nomem(err); goto done; }
        if ((st = lmm__offset_total(df, f, &mo, fe.rows, fe.nobs, fit->offset, &given, err)) != LMM_OK) goto done;
        if (!given) { LMM_FREE(fit->offset); fit->offset = NULL; }
        else if (mo.offset_column && !(fit->offset_label = lmm__strdup(mo.offset_column))) { st = lmm__nomem(err); goto done; }
    }
    if ((st = lmm__build_matrix(f, &f->fixed, &fe, &mo, &fit->X, err)) != LMM_OK) goto done;
    if ((st = lmm__drop_aliased(fit->X, &fit->n_aliased, &fit->aliased, err)) != LMM_OK) goto done;
    st = lmm__lm_solve(fit, err);
done:
    lmm__frame_eval_free(&fe);
    lmm_formula_free(f);
    if (st != LMM_OK) { lmm_lm_free(fit); return st; }
    *out = fit;
    return LMM_OK;
}

LMM_API lmm_status lmm_lm_fit_matrix(const lmm_matrix *X, const double *y, lmm_lm **out, lmm_error *err)
{
    lmm_lm *fit;
    lmm_status st;
    int j, n;
    *out = NULL;
    if (!X || !y) return lmm__fail(err, LMM_ERR_ARG, "lmm_lm_fit_matrix: NULL argument");
    n = X->nrow;
    for (j = 0; j < n; j++) if (!isfinite(y[j])) return lmm__fail(err, LMM_ERR_DATA, "response is not finite at observation %d", j + 1);
    fit = LMM__ZNEW(lmm_lm, 1);
    if (!fit) return lmm__nomem(err);
    fit->X = LMM__ZNEW(lmm_matrix, 1);
    fit->y = LMM__NEW(double, n);
    if (!fit->X || !fit->y) { lmm_lm_free(fit); return lmm__nomem(err); }
    fit->X->nrow = n;
    fit->X->v = LMM__NEW(double, (size_t)n * (X->ncol ? X->ncol : 1));
    fit->X->colnames = LMM__ZNEW(char *, X->ncol ? X->ncol : 1);
    if (!fit->X->v || !fit->X->colnames) { lmm_lm_free(fit); return lmm__nomem(err); }
    memcpy(fit->X->v, X->v, (size_t)n * X->ncol * sizeof(double));
    for (j = 0; j < X->ncol; j++) {
        fit->X->colnames[j] = lmm__strdup(X->colnames && X->colnames[j] ? X->colnames[j] : "");
        if (!fit->X->colnames[j]) { lmm_lm_free(fit); return lmm__nomem(err); }
        fit->X->ncol = j + 1;
    }
    memcpy(fit->y, y, (size_t)n * sizeof(double));
    if ((st = lmm__lm_solve(fit, err)) != LMM_OK) { lmm_lm_free(fit); return st; }
    *out = fit;
    return LMM_OK;
}

LMM_API int lmm_aov_table(const lmm_lm *fit, lmm_aov_row *rows)
{
    int t, j, nrow = 0;
    double mse = fit->rss / fit->df_resid;
    for (t = 0; t < fit->X->nterms; t++) {
        long double acc = 0;
        double ss;
        int d = 0;
        for (j = 0; j < fit->p; j++) if (fit->X->assign[j] == t + 1) { acc += (long double)fit->effects[j] * fit->effects[j]; d++; }
        ss = (double)acc;
        if (d == 0) continue;
        rows[nrow].term = fit->X->terms[t];
        rows[nrow].df = d;
        rows[nrow].sumsq = ss;
        rows[nrow].meansq = ss / d;
        rows[nrow].f = rows[nrow].meansq / mse;
        rows[nrow].p = lmm_pf(rows[nrow].f, (double)d, (double)fit->df_resid, 0, 0);
        nrow++;
    }
    rows[nrow].term = "Residuals";
    rows[nrow].df = fit->df_resid;
    rows[nrow].sumsq = fit->rss;
    rows[nrow].meansq = mse;
    rows[nrow].f = rows[nrow].p = NAN;
    return nrow + 1;
}

LMM_API int lmm_aov_effects(const lmm_lm *fit, const lmm_frame *df, const char *term, double *effects, lmm_error *err)
{
    int c = lmm_frame_find(df, term), i, j, nl;
    double grand = 0, *sum;
    int *count;
    if (c < 0 || df->cols[c].type != LMM_FACTOR) { lmm__fail(err, LMM_ERR_ARG, "'%s' is not a factor column", term); return -1; }
    if (df->nrow != fit->nobs) { lmm__fail(err, LMM_ERR_DATA, "effects need the fit's rows (no missing values dropped)"); return -1; }
    nl = df->cols[c].nlevels;
    sum = LMM__ZNEW(double, nl);
    count = LMM__ZNEW(int, nl);
    if (!sum || !count) { LMM_FREE(sum); LMM_FREE(count); lmm__nomem(err); return -1; }
    for (i = 0; i < fit->nobs; i++) {   /* of y - offset, what the fit explains (R's proj) */
        double yi = fit->offset ? fit->y[i] - fit->offset[i] : fit->y[i];
        sum[df->cols[c].codes[i]] += yi; count[df->cols[c].codes[i]]++; grand += yi;
    }
    grand /= fit->nobs;
    for (j = 0; j < nl; j++)
        if (count[j] != count[0]) { LMM_FREE(sum); LMM_FREE(count); lmm__fail(err, LMM_ERR_DATA, "effects of '%s' need a balanced design", term); return -1; }
    for (j = 0; j < nl; j++) effects[j] = sum[j] / count[j] - grand;
    LMM_FREE(sum); LMM_FREE(count);
    return nl;
}

LMM_API double lmm_lrt(double loglik0, int df0, double loglik1, int df1, double *stat)
{
    double s = 2 * (loglik1 - loglik0);
    if (stat) *stat = s;
    if (s < 0) s = 0;
    return lmm_pchisq(s, (double)(df1 - df0), 0, 0);
}

/* ======================================================================== */
/* Comparing nested models (anova of lm and lmer fits)              @anova */
/* ======================================================================== */

LMM_API void lmm_anova_free(lmm_anova *a)
{
    int i;
    if (!a) return;
    if (a->rows)
        for (i = 0; i < a->n; i++) { LMM_FREE(a->rows[i].name); LMM_FREE(a->rows[i].formula); }
    LMM_FREE(a->rows);
    LMM_FREE(a);
}

/* The ML figures of one model: a REML lmer fit is refitted by ML from its
   own theta, on its own structure (a temporary fit that borrows the model). */
static lmm_status lmm__anova_row_fill(const lmm_model_ref *ref, lmm_anova_row *row, int *refitted, int *nobs, lmm_error *err)
{
    if (ref->lm && !ref->lmer) {
        const lmm_lm *f = ref->lm;
        row->npar = f->df;
        row->loglik = f->loglik;
        row->aic = f->aic;
        row->bic = f->bic;
        *nobs = f->nobs;
        row->formula = lmm__strdup(f->formula ? f->formula : "");
    } else if (ref->lmer && !ref->lm) {
        const lmm_fit *f = ref->lmer;
        *nobs = f->nobs;
        if (f->reml) {
            lmm_fit_options o;
            lmm_fit *ml = NULL;
            lmm_status st;
            memset(&o, 0, sizeof o);
            o.ml = 1;
            o.optim = f->optim_;
            o.theta_start = f->theta;
            o.skip_condvar = 1;
            if ((st = lmm_model_fit(f->model, &o, &ml, err)) != LMM_OK) return st;
            row->npar = ml->df;
            row->loglik = ml->loglik;
            row->aic = ml->aic;
            row->bic = ml->bic;
            lmm_fit_free(ml);
            *refitted = 1;
        } else {
            row->npar = f->df;
            row->loglik = f->loglik;
            row->aic = f->aic;
            row->bic = f->bic;
        }
        row->formula = lmm__strdup(f->model->formula ? f->model->formula : "");
    } else return lmm__fail(err, LMM_ERR_ARG, "lmm_anova_models: each model needs exactly one of lm and lmer");
    row->deviance = -2 * row->loglik;
    if (!row->formula) return lmm__nomem(err);
    return LMM_OK;
}

LMM_API lmm_status lmm_anova_models(const lmm_model_ref *models, int n, lmm_anova **out, lmm_error *err)
{
    lmm_anova *a;
    lmm_status st;
    int i, j, nobs0 = 0;
    *out = NULL;
    if (!models || n < 2) return lmm__fail(err, LMM_ERR_ARG, "anova needs at least two models");
    a = LMM__ZNEW(lmm_anova, 1);
    if (!a) return lmm__nomem(err);
    a->rows = LMM__ZNEW(lmm_anova_row, n);
    if (!a->rows) { LMM_FREE(a); return lmm__nomem(err); }
    a->n = n;
    for (i = 0; i < n; i++) {
        lmm_anova_row *r = &a->rows[i];
        char def[32];
        int nobs = 0;
        r->model = i;
        if ((st = lmm__anova_row_fill(&models[i], r, &a->refitted, &nobs, err)) != LMM_OK) { lmm_anova_free(a); return st; }
        if (i == 0) nobs0 = nobs;
        else if (nobs != nobs0) {
            lmm_anova_free(a);
            return lmm__fail(err, LMM_ERR_DATA, "models were not all fitted to the same size of dataset (%d and %d observations)", nobs0, nobs);
        }
        snprintf(def, sizeof def, "MODEL%d", i + 1);
        r->name = lmm__strdup(models[i].name ? models[i].name : def);
        if (!r->name) { lmm_anova_free(a); return lmm__nomem(err); }
    }
    /* stable insertion sort by npar, as R's order() */
    for (i = 1; i < n; i++) {
        lmm_anova_row t = a->rows[i];
        for (j = i; j > 0 && a->rows[j - 1].npar > t.npar; j--) a->rows[j] = a->rows[j - 1];
        a->rows[j] = t;
    }
    for (i = 0; i < n; i++) {
        lmm_anova_row *r = &a->rows[i];
        if (i == 0) { r->chisq = r->df = r->p = NAN; continue; }
        r->chisq = 2 * (r->loglik - a->rows[i - 1].loglik);
        if (r->chisq < 0) r->chisq = 0;
        r->df = (double)(r->npar - a->rows[i - 1].npar);
        r->p = r->df == 0 ? NAN : lmm_pchisq(r->chisq, r->df, 0, 0);
    }
    *out = a;
    return LMM_OK;
}

/* ======================================================================== */
/* Inference: degrees of freedom and tests                          @infer */
/* ======================================================================== */
/* lmerTest's Satterthwaite method (Kuznetsova, Brockhoff & Christensen 2017).
   The variance parameters are varpar = (theta, sigma). The unprofiled
   deviance is D = c log(2 pi sigma^2) + a(theta) + pwrss(theta) / sigma^2
   with c = n, a = log|L|^2 (ML) or c = n - p, a = log|L|^2 + log|R_X|^2
   (REML), so only a, pwrss and U = (X'V^-1 X)^-1 / sigma^2 need numerical
   derivatives in theta; everything in sigma is analytic. Then
   A = 2 H^+ (H: D's Hessian in varpar, lmerTest's pseudo-inverse over
   eigenvalues above 1e-8), J_k = d vcov(beta) / d varpar_k, and a contrast
   l has df = 2 (l'Vl)^2 / (g'Ag), g_k = l'J_k l. */

#define LMM__RICH 4   /* Richardson levels: steps h, h/2, h/4, h/8 */

typedef struct lmm__satt {
    int nv, p;
    double *A;                /* nv x nv: covariance of varpar */
    double *J;                /* nv blocks of p x p */
} lmm__satt;

/* Neville's tableau over levels t[0], t[stride], ... of a central difference
   (error a series in h^2, step halved per level); the limit lands in the last level. */
static void lmm__richardson(double *t, int levels, size_t stride)
{
    int k, l;
    for (k = 1; k < levels; k++) {
        double f = pow(4.0, k);
        for (l = levels - 1; l >= k; l--) t[l * stride] = (f * t[l * stride] - t[(l - 1) * stride]) / (f - 1);
    }
}

/* F(theta) = (a, pwrss, U) into f (2 + p^2); nonzero where not positive definite. */
static int lmm__satt_eval(lmm_model *m, int reml, const double *theta, double *beta, double *f)
{
    double d[3];
    if (lmm__pieces_at(m, theta, d, beta, f + 2)) return 1;
    f[0] = d[0] + (reml ? d[1] : 0.0);
    f[1] = d[2];
    return 0;
}

static lmm_status lmm__satt_build(const lmm_fit *fit, lmm__satt *s, lmm_error *err)
{
    lmm_model *m = fit->model;
    int nt = fit->ntheta, p = fit->p, nv = nt + 1, nf = 2 + p * p, i, j, l, e, bad = 0;
    size_t s1 = (size_t)nt * nf, s2 = (size_t)nt * nt * 2;
    double sig = fit->sigma, c = fit->reml ? fit->nobs - p : fit->nobs;
    double *th, *h, *f0, *fa, *fb, *fc, *fd, *D1, *D2, *H, *ev, *vec, *beta;
    s->nv = nv; s->p = p;
    s->A = (double *)lmm__alloc((size_t)nv * nv, sizeof(double));
    s->J = (double *)lmm__alloc((size_t)nv * p * p, sizeof(double));
    th = (double *)lmm__alloc((size_t)(2 * nt + 5 * nf + p + 3 * nv * nv + nv) + LMM__RICH * (s1 + s2), sizeof(double));
    if (!s->A || !s->J || !th) {
        LMM_FREE(s->A); LMM_FREE(s->J); LMM_FREE(th); s->A = s->J = NULL;
        return lmm__fail(err, LMM_ERR_NOMEM, "out of memory");
    }
    h = th + nt; f0 = h + nt; fa = f0 + nf; fb = fa + nf; fc = fb + nf; fd = fc + nf; beta = fd + nf;
    H = beta + p; ev = H + (size_t)nv * nv; vec = ev + nv; D1 = vec + (size_t)nv * nv; D2 = D1 + LMM__RICH * s1;
    memcpy(th, fit->theta, (size_t)nt * sizeof(double));
    /* steps relative to theta, floored for components at or near 0 */
    for (i = 0; i < nt; i++) h[i] = 0.02 * fmax(fabs(th[i]), 0.05);
    bad |= lmm__satt_eval(m, fit->reml, th, beta, f0);
    for (l = 0; l < LMM__RICH && !bad; l++) {
        double *d1 = D1 + l * s1, *d2 = D2 + l * s2, sc = ldexp(1.0, -l);
        for (i = 0; i < nt && !bad; i++) {
            double hi = h[i] * sc;
            th[i] = fit->theta[i] + hi; bad |= lmm__satt_eval(m, fit->reml, th, beta, fa);
            th[i] = fit->theta[i] - hi; bad |= lmm__satt_eval(m, fit->reml, th, beta, fb);
            th[i] = fit->theta[i];
            for (e = 0; e < nf; e++) d1[(size_t)i * nf + e] = (fa[e] - fb[e]) / (2 * hi);
            for (e = 0; e < 2; e++) d2[((size_t)i * nt + i) * 2 + e] = (fa[e] - 2 * f0[e] + fb[e]) / (hi * hi);
        }
        for (i = 0; i < nt && !bad; i++)
            for (j = i + 1; j < nt && !bad; j++) {
                double hi = h[i] * sc, hj = h[j] * sc;
                th[i] = fit->theta[i] + hi; th[j] = fit->theta[j] + hj; bad |= lmm__satt_eval(m, fit->reml, th, beta, fa);
                th[j] = fit->theta[j] - hj; bad |= lmm__satt_eval(m, fit->reml, th, beta, fb);
                th[i] = fit->theta[i] - hi; bad |= lmm__satt_eval(m, fit->reml, th, beta, fd);
                th[j] = fit->theta[j] + hj; bad |= lmm__satt_eval(m, fit->reml, th, beta, fc);
                th[i] = fit->theta[i]; th[j] = fit->theta[j];
                for (e = 0; e < 2; e++)
                    d2[((size_t)i * nt + j) * 2 + e] = d2[((size_t)j * nt + i) * 2 + e] =
                        (fa[e] - fb[e] - fc[e] + fd[e]) / (4 * hi * hj);
            }
    }
    /* leave the model factored at the estimates, as the fit's other readers expect */
    bad |= lmm__satt_eval(m, fit->reml, fit->theta, beta, fa);
    if (bad) {
        LMM_FREE(th); LMM_FREE(s->A); LMM_FREE(s->J); s->A = s->J = NULL;
        return lmm__fail(err, LMM_ERR_NUMERIC, "the system is not positive definite near the estimates");
    }
    for (e = 0; e < (int)s1; e++) lmm__richardson(D1 + e, LMM__RICH, s1);
    for (e = 0; e < (int)s2; e++) lmm__richardson(D2 + e, LMM__RICH, s2);
    D1 += (LMM__RICH - 1) * s1; D2 += (LMM__RICH - 1) * s2;
    /* Hessian of the deviance in (theta, sigma) */
    for (i = 0; i < nt; i++) {
        for (j = 0; j < nt; j++) H[i + j * nv] = D2[((size_t)i * nt + j) * 2] + D2[((size_t)i * nt + j) * 2 + 1] / (sig * sig);
        H[i + nt * nv] = H[nt + i * nv] = -2 * D1[(size_t)i * nf + 1] / (sig * sig * sig);
    }
    H[nt + nt * nv] = -2 * c / (sig * sig) + 6 * f0[1] / (sig * sig * sig * sig);
    lmm__sym_eigen(nv, H, ev, vec);
    for (i = 0; i < nv; i++)
        for (j = 0; j < nv; j++) {
            double a = 0;
            for (e = 0; e < nv; e++) if (ev[e] > 1e-8) a += vec[i + e * nv] * vec[j + e * nv] / ev[e];
            s->A[i + j * nv] = 2 * a;
        }
    /* Jacobian of vcov = sigma^2 U: sigma^2 dU/dtheta_k, and 2 sigma U */
    for (i = 0; i < nt; i++)
        for (e = 0; e < p * p; e++) s->J[(size_t)i * p * p + e] = sig * sig * D1[(size_t)i * nf + 2 + e];
    for (e = 0; e < p * p; e++) s->J[(size_t)nt * p * p + e] = 2 * sig * f0[2 + e];
    LMM_FREE(th);
    return LMM_OK;
}

static void lmm__satt_free(lmm__satt *s) { LMM_FREE(s->A); LMM_FREE(s->J); }

/* x' M x for the p x p matrix M */
static double lmm__qform(int p, const double *M, const double *x)
{
    int a, b;
    double s = 0;
    for (a = 0; a < p; a++) for (b = 0; b < p; b++) s += x[a] * M[a + b * p] * x[b];
    return s;
}

/* Satterthwaite df of the contrast l: 2 (l'Vl)^2 / (g'Ag); g is nv scratch. */
static double lmm__satt_df(const lmm__satt *s, const double *V, const double *l, double *g)
{
    int k, p = s->p;
    double v = lmm__qform(p, V, l);
    for (k = 0; k < s->nv; k++) g[k] = lmm__qform(p, s->J + (size_t)k * p * p, l);
    return 2 * v * v / lmm__qform(s->nv, s->A, g);
}

/* lmerTest's denominator df of an F built from q t statistics with df nu. */
static double lmm__fstat_ddf(const double *nu, int q)
{
    int i, same = 1;
    double E = 0, mean = 0;
    if (q == 1) return nu[0];
    for (i = 1; i < q; i++) if (!(fabs(nu[i] - nu[i - 1]) < 1e-8)) same = 0;
    for (i = 0; i < q; i++) mean += nu[i] / q;
    if (same) return mean;
    for (i = 0; i < q; i++) {
        if (nu[i] <= 2) return 2;
        E += nu[i] / (nu[i] - 2);
    }
    return 2 * E / (E - q);
}

/* ---- Kenward-Roger (pbkrtest's vcovAdj and KR F test) -------------------- */
/* pbkrtest 0.5.2 (Halekoh & Hojsgaard 2014), REML fits. The variance
   parameters are lme4's VarCorr entries, term by term (the lower triangle of
   each Sigma_k by columns), then sigma^2, so that Sigma = sum_i g_i G_i with
   G_i = Z_k (I_levels (x) E_rs) Z_k' (E_rs: ones at (r,s) and (s,r)) and the
   last G = I. As in pbkrtest, Sigma ignores prior weights (its residual part
   is sigma^2 I) while Phi is the fit's vcov. With B = Sigma^-1:
   P_i = -X'B G_i B X, Q_ij = X'B G_i B G_j B X, K_ij = tr(G_i B G_j B),
   IE2_ij = K_ij - 2 tr(Phi Q_ij) + tr(Phi P_i Phi P_j), W = 2 IE2^-1,
   U = sum_ij W_ij (Q_ij - P_i Phi P_j), Phi_A = Phi + 2 Phi U Phi.
   B is never formed: Sigma = sigma^2 (Z Lambda Lambda' Z' + I) and Woodbury
   gives B M = (M - ZL S^-1 ZL' M) / sigma^2 with ZL = Z Lambda, S = ZL'ZL + I,
   so every piece is a product of n x q, n x p and q x q matrices:
   O(n q^2 + q^3 + ng^2 (q^2 p + levels^2)) time, O(n q + q^2) memory (q the
   number of random effects, ng the variance parameters); dense Z and ZL. */

typedef struct lmm__kr {
    int ng, p;
    double *phi_a;            /* p x p: the adjusted vcov */
    double *P;                /* ng blocks p x p */
    double *W;                /* ng x ng */
} lmm__kr;

static void lmm__kr_free(lmm__kr *k)
{
    LMM_FREE(k->phi_a); LMM_FREE(k->P); LMM_FREE(k->W);
    k->phi_a = k->P = k->W = NULL;
}

/* C (m x n) = alpha op(A) op(B) + beta C, column-major; op(A) is m x k. */
static void lmm__kr_gemm(int ta, int tb, int m, int n, int k, double alpha, const double *A, int lda,
                         const double *B, int ldb, double beta, double *C, int ldc)
{
    int i, j, l;
    for (j = 0; j < n; j++) {
        double *c = C + (size_t)j * ldc;
        for (i = 0; i < m; i++) c[i] = beta == 0.0 ? 0.0 : beta * c[i];
        for (l = 0; l < k; l++) {
            double b = alpha * (tb ? B[j + (size_t)l * ldb] : B[l + (size_t)j * ldb]);
            if (b == 0.0) continue;
            if (!ta) { const double *a = A + (size_t)l * lda; for (i = 0; i < m; i++) c[i] += a[i] * b; }
            else for (i = 0; i < m; i++) c[i] += A[l + (size_t)i * lda] * b;
        }
    }
}

/* Solve L L' X = Y in place for the m columns of Y (n rows), L lower from lmm_chol. */
static void lmm__kr_cholsolve(int n, const double *L, double *Y, int m)
{
    int i, j, c;
    for (c = 0; c < m; c++) {
        double *y = Y + (size_t)c * n;
        for (i = 0; i < n; i++) {
            double s = y[i];
            for (j = 0; j < i; j++) s -= L[i + (size_t)j * n] * y[j];
            y[i] = s / L[i + (size_t)i * n];
        }
        for (i = n - 1; i >= 0; i--) {
            double s = y[i];
            for (j = i + 1; j < n; j++) s -= L[j + (size_t)i * n] * y[j];
            y[i] = s / L[i + (size_t)i * n];
        }
    }
}

/* out (n x m) = B M = (M - ZL S^-1 ZL' M) / sigma^2; T is q x m scratch. */
static void lmm__kr_apply_b(int n, int q, const double *ZL, const double *Sc, double s2, const double *M, int m,
                            double *T, double *out)
{
    size_t e;
    lmm__kr_gemm(1, 0, q, m, n, 1.0, ZL, n, M, n, 0.0, T, q);
    lmm__kr_cholsolve(q, Sc, T, m);
    memcpy(out, M, (size_t)n * m * sizeof(double));
    lmm__kr_gemm(0, 0, n, m, q, -1.0, ZL, n, T, q, 1.0, out, n);
    for (e = 0; e < (size_t)n * m; e++) out[e] /= s2;
}

/* The nonzeros (row, col) of E_i in q-space: term k, template entry (r, s). */
typedef struct lmm__kr_par { int term, r, s; } lmm__kr_par;

/* A (p x q) = M E_i for M p x q: columns swapped into place, zero elsewhere. */
static void lmm__kr_times_e(const lmm_model *m, const lmm__kr_par *pr, int p, const double *M, double *A)
{
    const lmm_reterm *t = &m->terms[pr->term];
    int j;
    memset(A, 0, (size_t)p * m->q * sizeof(double));
    for (j = 0; j < t->nlevels; j++) {
        int xr = t->u_offset + j * t->ncol + pr->r, xs = t->u_offset + j * t->ncol + pr->s;
        memcpy(A + (size_t)xs * p, M + (size_t)xr * p, (size_t)p * sizeof(double));
        if (xr != xs) memcpy(A + (size_t)xr * p, M + (size_t)xs * p, (size_t)p * sizeof(double));
    }
}

/* tr(E_i C E_j C) for the q x q symmetric C */
static double lmm__kr_trace_ece(const lmm_model *m, const lmm__kr_par *pi, const lmm__kr_par *pj, const double *C)
{
    const lmm_reterm *ti = &m->terms[pi->term], *tj = &m->terms[pj->term];
    int a, b, ea, eb, q = m->q;
    double s = 0;
    for (a = 0; a < ti->nlevels; a++)
        for (ea = 0; ea < (pi->r == pi->s ? 1 : 2); ea++) {
            int r = ti->u_offset + a * ti->ncol + (ea ? pi->s : pi->r);
            int c = ti->u_offset + a * ti->ncol + (ea ? pi->r : pi->s);
            for (b = 0; b < tj->nlevels; b++)
                for (eb = 0; eb < (pj->r == pj->s ? 1 : 2); eb++) {
                    int r2 = tj->u_offset + b * tj->ncol + (eb ? pj->s : pj->r);
                    int c2 = tj->u_offset + b * tj->ncol + (eb ? pj->r : pj->s);
                    /* E_i[r,c] C[c,r2] E_j[r2,c2] C[c2,r] */
                    s += C[c + (size_t)r2 * q] * C[c2 + (size_t)r * q];
                }
        }
    return s;
}

/* tr(E_i M) for the q x q M */
static double lmm__kr_trace_e(const lmm_model *m, const lmm__kr_par *pr, const double *M)
{
    const lmm_reterm *t = &m->terms[pr->term];
    int j, q = m->q;
    double s = 0;
    for (j = 0; j < t->nlevels; j++) {
        int xr = t->u_offset + j * t->ncol + pr->r, xs = t->u_offset + j * t->ncol + pr->s;
        s += M[xs + (size_t)xr * q];
        if (xr != xs) s += M[xr + (size_t)xs * q];
    }
    return s;
}

/* Symmetric n x n inverse through the eigen-decomposition; pseudo-inverse (R's
   MASS::ginv: singular values above sqrt(eps) times the largest) when
   min |eigenvalue| <= 1e-10, as pbkrtest chooses. a is destroyed; work 2 n^2 + n. */
static void lmm__kr_sym_inverse(int n, double *a, double *inv, double *work)
{
    double *ev = work, *vec = work + n, mx = 0, mn = HUGE_VAL;
    int i, j, e, pinv;
    lmm__sym_eigen(n, a, ev, vec);
    for (e = 0; e < n; e++) { mx = fmax(mx, fabs(ev[e])); mn = fmin(mn, fabs(ev[e])); }
    pinv = !(mn > 1e-10);
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++) {
            double s = 0;
            for (e = 0; e < n; e++)
                if (!pinv || fabs(ev[e]) > 1.4901161193847656e-08 * mx) s += vec[i + e * n] * vec[j + e * n] / ev[e];
            inv[i + j * n] = s;
        }
}

static lmm_status lmm__kr_build(const lmm_fit *fit, lmm__kr *kr, lmm_error *err)
{
    const lmm_model *m = fit->model;
    const double *X = m->X->v, *Phi = fit->vcov;
    int n = fit->nobs, p = fit->p, q = m->q, ng = 1, k, i, j, c, a, b;
    size_t nq = (size_t)n * q, np = (size_t)n * p, qq = (size_t)q * q, pp = (size_t)p * p, pq = (size_t)p * q;
    double s2 = fit->sigma * fit->sigma, *buf, *Z, *ZL, *S, *BZ, *BX, *BBX, *T, *C, *XBZ, *ZBBZ, *XBBZ, *XBBX, *XBBBX;
    double *A, *CA, *Q, *IE2, *PhiP, *tmp, *tmp2, *U, *wk, trbb, *ie2c;
    lmm__kr_par *par;
    for (k = 0; k < m->nterms; k++) ng += m->terms[k].ntheta;
    kr->ng = ng; kr->p = p;
    kr->phi_a = (double *)lmm__alloc(pp, sizeof(double));
    kr->P = (double *)lmm__alloc((size_t)ng * pp, sizeof(double));
    kr->W = (double *)lmm__alloc((size_t)ng * ng, sizeof(double));
    par = (lmm__kr_par *)lmm__alloc((size_t)ng, sizeof *par);
    {   /* one zeroed buffer carved into the pieces below */
        size_t tq = (size_t)q * (q > p ? q : p), gg = (size_t)ng * ng, tot = 0;
        size_t size[23];
        double **piece[23];
        int e = 0;
#define LMM__KR_PIECE(ptr, count) (piece[e] = &(ptr), size[e++] = (count))
        LMM__KR_PIECE(Z, nq); LMM__KR_PIECE(ZL, nq); LMM__KR_PIECE(BZ, nq); LMM__KR_PIECE(BX, np);
        LMM__KR_PIECE(BBX, np); LMM__KR_PIECE(T, tq); LMM__KR_PIECE(S, qq); LMM__KR_PIECE(C, qq);
        LMM__KR_PIECE(ZBBZ, qq); LMM__KR_PIECE(XBZ, pq); LMM__KR_PIECE(XBBZ, pq); LMM__KR_PIECE(XBBX, pp);
        LMM__KR_PIECE(XBBBX, pp); LMM__KR_PIECE(tmp, pp); LMM__KR_PIECE(A, (size_t)ng * pq);
        LMM__KR_PIECE(CA, (size_t)ng * pq); LMM__KR_PIECE(Q, gg * pp); LMM__KR_PIECE(IE2, gg);
        LMM__KR_PIECE(ie2c, gg); LMM__KR_PIECE(wk, 2 * gg + ng); LMM__KR_PIECE(PhiP, pp);
        LMM__KR_PIECE(tmp2, pp); LMM__KR_PIECE(U, pp);
#undef LMM__KR_PIECE
        for (a = 0; a < e; a++) tot += size[a];
        buf = (double *)lmm__calloc(tot, sizeof(double));
        for (a = 0, tot = 0; a < e && buf; a++) { *piece[a] = buf + tot; tot += size[a]; }
    }
    if (!kr->phi_a || !kr->P || !kr->W || !par || !buf) {
        lmm__kr_free(kr); LMM_FREE(par); LMM_FREE(buf);
        return lmm__fail(err, LMM_ERR_NOMEM, "out of memory");
    }
    /* dense Z and ZL = Z Lambda (term k, level j, column c at u_offset + j ncol + c) */
    for (k = 0, ng = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        const double *th = fit->theta + t->theta_offset;
        int nc = t->ncol;
        for (c = 0; c < nc; c++)       /* VarCorr's lower triangle by columns, as theta */
            for (a = c; a < nc; a++) { par[ng].term = k; par[ng].r = a; par[ng].s = c; ng++; }
        for (i = 0; i < n; i++) {
            int o;
            if (t->codes[i] < 0) continue;
            o = t->u_offset + t->codes[i] * nc;
            for (c = 0; c < nc; c++) {
                double zl = 0;
                Z[i + (size_t)(o + c) * n] = t->z[i + (size_t)c * n];
                for (a = c; a < nc; a++) zl += t->z[i + (size_t)a * n] * th[c * nc - c * (c - 1) / 2 + (a - c)];
                ZL[i + (size_t)(o + c) * n] = zl;
            }
        }
    }
    par[ng].term = -1; par[ng].r = par[ng].s = 0; ng++;
    /* S = ZL'ZL + I and its Cholesky factor */
    lmm__kr_gemm(1, 0, q, q, n, 1.0, ZL, n, ZL, n, 0.0, S, q);
    for (i = 0; i < q; i++) S[i + (size_t)i * q] += 1.0;
    if (q > 0 && lmm_chol(q, S, q) != 0) {
        lmm__kr_free(kr); LMM_FREE(par); LMM_FREE(buf);
        return lmm__fail(err, LMM_ERR_NUMERIC, "Kenward-Roger: Sigma is not positive definite");
    }
    for (j = 0; j < q; j++) for (i = 0; i < j; i++) S[i + (size_t)j * q] = 0.0;
    /* tr(B^2) = (n - q + ||S^-1||_F^2) / sigma^4 */
    {
        double *Si = C;   /* C is free until Z'BZ below */
        memset(Si, 0, qq * sizeof(double));
        for (i = 0; i < q; i++) Si[i + (size_t)i * q] = 1.0;
        lmm__kr_cholsolve(q, S, Si, q);
        trbb = n - q;
        for (i = 0; i < (int)qq; i++) trbb += Si[i] * Si[i];
        trbb /= s2 * s2;
    }
    lmm__kr_apply_b(n, q, ZL, S, s2, Z, q, T, BZ);
    lmm__kr_apply_b(n, q, ZL, S, s2, X, p, T, BX);
    lmm__kr_apply_b(n, q, ZL, S, s2, BX, p, T, BBX);
    lmm__kr_gemm(1, 0, q, q, n, 1.0, Z, n, BZ, n, 0.0, C, q);          /* Z'BZ */
    lmm__kr_gemm(1, 0, q, q, n, 1.0, BZ, n, BZ, n, 0.0, ZBBZ, q);      /* Z'B^2Z */
    lmm__kr_gemm(1, 0, p, q, n, 1.0, X, n, BZ, n, 0.0, XBZ, p);        /* X'BZ */
    lmm__kr_gemm(1, 0, p, q, n, 1.0, BX, n, BZ, n, 0.0, XBBZ, p);      /* X'B^2Z */
    lmm__kr_gemm(1, 0, p, p, n, 1.0, BX, n, BX, n, 0.0, XBBX, p);      /* X'B^2X */
    lmm__kr_gemm(1, 0, p, p, n, 1.0, BX, n, BBX, n, 0.0, XBBBX, p);    /* X'B^3X */
    /* A_i = X'BZ E_i, CA_i = Z'BZ A_i', P_i = -A_i (X'BZ)' */
    for (i = 0; i < ng; i++) {
        double *Pi = kr->P + (size_t)i * pp;
        if (par[i].term < 0) { for (a = 0; a < (int)pp; a++) Pi[a] = -XBBX[a]; continue; }
        lmm__kr_times_e(m, &par[i], p, XBZ, A + (size_t)i * pq);
        lmm__kr_gemm(0, 1, q, p, q, 1.0, C, q, A + (size_t)i * pq, p, 0.0, CA + (size_t)i * pq, q);
        lmm__kr_gemm(0, 1, p, p, q, -1.0, A + (size_t)i * pq, p, XBZ, p, 0.0, Pi, p);
    }
    /* Q_ij and K_ij */
    for (i = 0; i < ng; i++)
        for (j = 0; j < ng; j++) {
            double *Qij = Q + ((size_t)i * ng + j) * pp, K;
            int ri = par[i].term >= 0, rj = par[j].term >= 0;
            if (ri && rj) {
                lmm__kr_gemm(0, 0, p, p, q, 1.0, A + (size_t)i * pq, p, CA + (size_t)j * pq, q, 0.0, Qij, p);
                K = lmm__kr_trace_ece(m, &par[i], &par[j], C);
            } else if (ri) {
                lmm__kr_gemm(0, 1, p, p, q, 1.0, A + (size_t)i * pq, p, XBBZ, p, 0.0, Qij, p);
                K = lmm__kr_trace_e(m, &par[i], ZBBZ);
            } else if (rj) {
                lmm__kr_gemm(0, 1, p, p, q, 1.0, XBBZ, p, A + (size_t)j * pq, p, 0.0, Qij, p);
                K = lmm__kr_trace_e(m, &par[j], ZBBZ);
            } else {
                memcpy(Qij, XBBBX, pp * sizeof(double));
                K = trbb;
            }
            /* IE2_ij = K - 2 tr(Phi Q_ij) + tr(Phi P_i Phi P_j) */
            {
                double t1 = 0, t2 = 0;
                lmm__kr_gemm(0, 0, p, p, p, 1.0, Phi, p, kr->P + (size_t)i * pp, p, 0.0, tmp, p);
                lmm__kr_gemm(0, 0, p, p, p, 1.0, Phi, p, kr->P + (size_t)j * pp, p, 0.0, tmp2, p);
                for (a = 0; a < p; a++)
                    for (b = 0; b < p; b++) {
                        t1 += Phi[a + (size_t)b * p] * Qij[b + (size_t)a * p];
                        t2 += tmp[a + (size_t)b * p] * tmp2[b + (size_t)a * p];
                    }
                IE2[i + (size_t)j * ng] = K - 2 * t1 + t2;
            }
        }
    for (i = 0; i < ng; i++)   /* symmetric by construction; average the rounding */
        for (j = 0; j < i; j++) {
            double v = 0.5 * (IE2[i + (size_t)j * ng] + IE2[j + (size_t)i * ng]);
            IE2[i + (size_t)j * ng] = IE2[j + (size_t)i * ng] = v;
        }
    memcpy(ie2c, IE2, (size_t)ng * ng * sizeof(double));
    lmm__kr_sym_inverse(ng, ie2c, kr->W, wk);
    for (i = 0; i < ng * ng; i++) kr->W[i] *= 2;
    /* U = sum_ij W_ij (Q_ij - P_i Phi P_j), Phi_A = Phi + 2 Phi U Phi */
    memset(U, 0, pp * sizeof(double));
    for (i = 0; i < ng; i++) {
        lmm__kr_gemm(0, 0, p, p, p, 1.0, kr->P + (size_t)i * pp, p, Phi, p, 0.0, PhiP, p);   /* P_i Phi */
        for (j = 0; j < ng; j++) {
            double w = kr->W[i + (size_t)j * ng];
            const double *Qij = Q + ((size_t)i * ng + j) * pp;
            lmm__kr_gemm(0, 0, p, p, p, 1.0, PhiP, p, kr->P + (size_t)j * pp, p, 0.0, tmp, p);
            for (a = 0; a < (int)pp; a++) U[a] += w * (Qij[a] - tmp[a]);
        }
    }
    lmm__kr_gemm(0, 0, p, p, p, 1.0, Phi, p, U, p, 0.0, tmp, p);
    lmm__kr_gemm(0, 0, p, p, p, 2.0, tmp, p, Phi, p, 0.0, kr->phi_a, p);
    for (a = 0; a < (int)pp; a++) kr->phi_a[a] += Phi[a];
    for (a = 0; a < p; a++)    /* symmetric up to rounding; pbkrtest keeps it as computed */
        for (b = 0; b < a; b++) {
            double v = 0.5 * (kr->phi_a[a + (size_t)b * p] + kr->phi_a[b + (size_t)a * p]);
            kr->phi_a[a + (size_t)b * p] = kr->phi_a[b + (size_t)a * p] = v;
        }
    LMM_FREE(par); LMM_FREE(buf);
    return LMM_OK;
}

/* pbkrtest's KR adjustment for the full-rank contrast L (nrow x p, row-major):
   the scaled F statistic's ddf and scaling and the Wald F on Phi_A (FstatU).
   q = nrow (pbkrtest's Lb_ddf for one row, rankMatrix(L) in KRmodcomp). */
static lmm_status lmm__kr_test(const lmm_fit *fit, const lmm__kr *kr, const double *L, int nrow,
                               double *ddf, double *fscale, double *fstat_u, lmm_error *err)
{
    int p = kr->p, ng = kr->ng, i, j, a, b;
    size_t pp = (size_t)p * p;
    double *M, *Ma, *Lt, *Th, *ThPhi, *u, *tmp, *lb, A1 = 0, A2 = 0, qd = nrow;
    double B, g, c1, c2, c3, V0, V1, V2, rho, df2, wald = 0, x, y;
    M = (double *)lmm__alloc(2 * (size_t)nrow * nrow + (size_t)p * nrow * 2 + 3 * pp + (size_t)ng * pp
                             + 2 * (size_t)nrow, sizeof(double));
    if (!M) return lmm__fail(err, LMM_ERR_NOMEM, "out of memory");
    Ma = M + (size_t)nrow * nrow; Lt = Ma + (size_t)nrow * nrow; Th = Lt + (size_t)p * nrow * 2;
    ThPhi = Th + pp; tmp = ThPhi + pp; u = tmp + pp; lb = u + (size_t)ng * pp;
    for (i = 0; i < nrow; i++)   /* L' (p x nrow) */
        for (a = 0; a < p; a++) Lt[a + (size_t)i * p] = L[(size_t)i * p + a];
    /* M = L Phi L', Ma = L Phi_A L' */
    lmm__kr_gemm(0, 0, p, nrow, p, 1.0, fit->vcov, p, Lt, p, 0.0, Lt + (size_t)p * nrow, p);
    lmm__kr_gemm(1, 0, nrow, nrow, p, 1.0, Lt, p, Lt + (size_t)p * nrow, p, 0.0, M, nrow);
    lmm__kr_gemm(0, 0, p, nrow, p, 1.0, kr->phi_a, p, Lt, p, 0.0, Lt + (size_t)p * nrow, p);
    lmm__kr_gemm(1, 0, nrow, nrow, p, 1.0, Lt, p, Lt + (size_t)p * nrow, p, 0.0, Ma, nrow);
    if (lmm_chol(nrow, M, nrow) != 0 || lmm_chol(nrow, Ma, nrow) != 0) {
        LMM_FREE(M);
        return lmm__fail(err, LMM_ERR_ARG, "Kenward-Roger: L V L' is not positive definite (no estimable contrast)");
    }
    for (j = 0; j < nrow; j++) for (i = 0; i < j; i++) M[i + (size_t)j * nrow] = Ma[i + (size_t)j * nrow] = 0.0;
    /* Theta = L' (L Phi L')^-1 L */
    {
        double *R = Lt + (size_t)p * nrow;   /* R (nrow x p) = L, column-major */
        for (i = 0; i < nrow; i++) for (a = 0; a < p; a++) R[i + (size_t)a * nrow] = L[(size_t)i * p + a];
        lmm__kr_cholsolve(nrow, M, R, p);
        lmm__kr_gemm(0, 0, p, p, nrow, 1.0, Lt, p, R, nrow, 0.0, Th, p);
    }
    lmm__kr_gemm(0, 0, p, p, p, 1.0, Th, p, fit->vcov, p, 0.0, ThPhi, p);
    for (i = 0; i < ng; i++) {   /* u_i = Theta Phi P_i Phi */
        lmm__kr_gemm(0, 0, p, p, p, 1.0, ThPhi, p, kr->P + (size_t)i * pp, p, 0.0, tmp, p);
        lmm__kr_gemm(0, 0, p, p, p, 1.0, tmp, p, fit->vcov, p, 0.0, u + (size_t)i * pp, p);
    }
    for (i = 0; i < ng; i++)
        for (j = 0; j < ng; j++) {
            const double *ui = u + (size_t)i * pp, *uj = u + (size_t)j * pp;
            double w = kr->W[i + (size_t)j * ng], tri = 0, trj = 0, trij = 0;
            for (a = 0; a < p; a++) {
                tri += ui[a + (size_t)a * p]; trj += uj[a + (size_t)a * p];
                for (b = 0; b < p; b++) trij += ui[a + (size_t)b * p] * uj[b + (size_t)a * p];
            }
            A1 += w * tri * trj;
            A2 += w * trij;
        }
    B = (A1 + 6 * A2) / (2 * qd);
    g = ((qd + 1) * A1 - (qd + 4) * A2) / ((qd + 2) * A2);
    c1 = g / (3 * qd + 2 * (1 - g));
    c2 = (qd - g) / (3 * qd + 2 * (1 - g));
    c3 = (qd + 2 - g) / (3 * qd + 2 * (1 - g));
    V0 = 1 + c1 * B; V1 = 1 - c2 * B; V2 = 1 - c3 * B;
    if (fabs(V0) < 1e-10) V0 = 0;
    x = 1 - A2 / qd;
    y = (fabs(x) < 1e-14 && fabs(V1) < 1e-14) ? 1.0 : x / V1;
    rho = y * y * V0 / (qd * V2);
    df2 = 4 + (qd + 2) / (qd * rho - 1);
    *ddf = df2;
    *fscale = fabs(df2 - 2) < 0.01 ? 1.0 : df2 * (1 - A2 / qd) / (df2 - 2);
    /* Wald on Phi_A: (L beta)' (L Phi_A L')^-1 (L beta) / q */
    for (i = 0; i < nrow; i++) {
        double v = 0;
        for (a = 0; a < p; a++) v += L[(size_t)i * p + a] * fit->beta[a];
        lb[i] = lb[nrow + i] = v;
    }
    lmm__kr_cholsolve(nrow, Ma, lb + nrow, 1);
    for (i = 0; i < nrow; i++) wald += lb[i] * lb[nrow + i];
    *fstat_u = wald / qd;
    LMM_FREE(M);
    return LMM_OK;
}

/* The one-row KR test of l into out (lmerTest's contest1D: se from Phi_A). */
static lmm_status lmm__kr_contest1(const lmm_fit *fit, const lmm__kr *kr, const double *l, lmm_contest_result *out,
                                   lmm_error *err)
{
    int a, p = fit->p;
    double est = 0, ddf = NAN, fs = NAN, fu = NAN;   /* set by lmm__kr_test */
    lmm_status st;
    if ((st = lmm__kr_test(fit, kr, l, 1, &ddf, &fs, &fu, err)) != LMM_OK) return st;
    for (a = 0; a < p; a++) est += l[a] * fit->beta[a];
    out->estimate = est;
    out->se = sqrt(lmm__qform(p, kr->phi_a, l));
    out->df = ddf;
    out->t = est / out->se;
    out->p = 2 * lmm_pt(-fabs(out->t), out->df, 1, 0);
    out->f = out->t * out->t; out->num_df = 1; out->den_df = out->df; out->f_p = out->p;
    return LMM_OK;
}

/* The KR test of the full-rank rows PtL (q x p) into out (lmerTest's contestMD
   through KRmodcomp): F = scaling * Wald / q; meansq from the unscaled one. */
static lmm_status lmm__kr_contest(const lmm_fit *fit, const lmm__kr *kr, const double *PtL, int q,
                                  lmm_contest_result *out, lmm_error *err)
{
    double ddf = NAN, fs = NAN, fu = NAN;   /* set by lmm__kr_test (gcc -O3 cannot see it) */
    lmm_status st;
    if ((st = lmm__kr_test(fit, kr, PtL, q, &ddf, &fs, &fu, err)) != LMM_OK) return st;
    out->f = fs * fu; out->num_df = q; out->den_df = ddf;
    out->f_p = lmm_pf(out->f, q, ddf, 0, 0);
    out->meansq = fu * fit->sigma * fit->sigma;
    out->sumsq = out->meansq * q;
    return LMM_OK;
}

LMM_API lmm_status lmm_vcov_kr(const lmm_fit *fit, double *vcov_adj, lmm_error *err)
{
    lmm__kr kr;
    lmm_status st;
    if (!fit || !vcov_adj) return lmm__fail(err, LMM_ERR_ARG, "lmm_vcov_kr: NULL argument");
    if (!fit->reml) return lmm__fail(err, LMM_ERR_ARG, "Kenward-Roger's method is only available for REML model fits");
    if (fit->p < 1) return LMM_OK;
    if ((st = lmm__kr_build(fit, &kr, err)) != LMM_OK) return st;
    memcpy(vcov_adj, kr.phi_a, (size_t)fit->p * fit->p * sizeof(double));
    lmm__kr_free(&kr);
    return LMM_OK;
}

/* lmm_contest with KR: one row is the t test; several are reduced to the q
   directions of L Phi L' above sqrt(eps) of its largest eigenvalue (pbkrtest
   forces L to full rank; Theta and the Wald statistic depend only on L's rows' span). */
static lmm_status lmm__kr_contest_any(const lmm_fit *fit, const double *L, int nrow, lmm_contest_result *out,
                                      lmm_error *err)
{
    lmm__kr kr;
    lmm_status st;
    int p = fit->p, i, j, a, b, q = 0;
    double *M, *ev, *P, *PtL, tol;
    if ((st = lmm__kr_build(fit, &kr, err)) != LMM_OK) return st;
    out->nrow = nrow;
    if (nrow == 1) {
        st = lmm__kr_contest1(fit, &kr, L, out, err);
        out->meansq = out->sumsq = out->f * fit->sigma * fit->sigma;
        lmm__kr_free(&kr);
        return st;
    }
    out->estimate = out->se = out->df = out->t = out->p = NAN;
    M = (double *)lmm__alloc((size_t)nrow * nrow * 2 + (size_t)nrow * (p + 1), sizeof(double));
    if (!M) { lmm__kr_free(&kr); return lmm__fail(err, LMM_ERR_NOMEM, "out of memory"); }
    ev = M + (size_t)nrow * nrow; P = ev + nrow; PtL = P + (size_t)nrow * nrow;
    for (i = 0; i < nrow; i++)
        for (j = 0; j < nrow; j++) {
            double v = 0;
            for (a = 0; a < p; a++) for (b = 0; b < p; b++) v += L[i * p + a] * fit->vcov[a + b * p] * L[j * p + b];
            M[i + j * nrow] = v;
        }
    lmm__sym_eigen(nrow, M, ev, P);
    tol = 0;
    for (i = 0; i < nrow; i++) tol = fmax(tol, ev[i]);
    tol *= 1.4901161193847656e-08;
    for (j = 0; j < nrow; j++) {
        if (!(ev[j] > tol)) continue;
        for (a = 0; a < p; a++) {
            double v = 0;
            for (i = 0; i < nrow; i++) v += P[i + j * nrow] * L[i * p + a];
            PtL[q * p + a] = v;
        }
        q++;
    }
    if (q == 0) st = lmm__fail(err, LMM_ERR_ARG, "lmm_contest: L V L' is zero (no estimable contrast)");
    else st = lmm__kr_contest(fit, &kr, PtL, q, out, err);
    LMM_FREE(M); lmm__kr_free(&kr);
    return st;
}

static lmm_status lmm__kr_coef_table(const lmm_fit *fit, lmm_coef_row *rows, lmm_error *err)
{
    lmm__kr kr;
    lmm_status st = LMM_OK;
    int i, p = fit->p;
    double *l;
    if (p < 1) return LMM_OK;
    if ((st = lmm__kr_build(fit, &kr, err)) != LMM_OK) return st;
    l = (double *)lmm__calloc((size_t)p, sizeof(double));
    if (!l) { lmm__kr_free(&kr); return lmm__fail(err, LMM_ERR_NOMEM, "out of memory"); }
    for (i = 0; i < p && st == LMM_OK; i++) {
        lmm_contest_result r;
        l[i] = 1;
        st = lmm__kr_contest1(fit, &kr, l, &r, err);
        l[i] = 0;
        rows[i].estimate = r.estimate; rows[i].se = r.se; rows[i].df = r.df; rows[i].t = r.t; rows[i].p = r.p;
    }
    LMM_FREE(l); lmm__kr_free(&kr);
    return st;
}

static lmm_status lmm__ddf_check(const lmm_fit *fit, lmm_ddf_method ddf, lmm_error *err)
{
    if (!fit) return lmm__fail(err, LMM_ERR_ARG, "NULL fit");
    if (ddf == LMM_DDF_KENWARD_ROGER && !fit->reml)
        return lmm__fail(err, LMM_ERR_ARG, "Kenward-Roger's method is only available for REML model fits");
    if (ddf == LMM_DDF_KENWARD_ROGER) return LMM_OK;
    if (ddf != LMM_DDF_SATTERTHWAITE) return lmm__fail(err, LMM_ERR_ARG, "unknown ddf method %d", (int)ddf);
    return LMM_OK;
}

/* The one-row test of l into out (t and its F form). */
static void lmm__contest1(const lmm_fit *fit, const lmm__satt *s, const double *l, double *g, lmm_contest_result *out)
{
    int a, p = fit->p;
    double est = 0, v = lmm__qform(p, fit->vcov, l);
    for (a = 0; a < p; a++) est += l[a] * fit->beta[a];
    out->estimate = est;
    out->se = sqrt(v);
    out->df = lmm__satt_df(s, fit->vcov, l, g);
    out->t = est / out->se;
    out->p = 2 * lmm_pt(-fabs(out->t), out->df, 1, 0);
    out->f = out->t * out->t; out->num_df = 1; out->den_df = out->df; out->f_p = out->p;
}

LMM_API lmm_status lmm_contest(const lmm_fit *fit, const double *L, int nrow, lmm_ddf_method ddf,
                               lmm_contest_result *out, lmm_error *err)
{
    lmm__satt s;
    lmm_status st;
    int p, i, j, a, b, q = 0;
    double *M, *ev, *P, *PtL, *g, *nu, tol;
    if ((st = lmm__ddf_check(fit, ddf, err)) != LMM_OK) return st;
    if (!L || !out || nrow < 1) return lmm__fail(err, LMM_ERR_ARG, "lmm_contest: needs L with at least one row");
    p = fit->p;
    if (p < 1) return lmm__fail(err, LMM_ERR_ARG, "lmm_contest: the model has no fixed effects");
    for (i = 0; i < nrow * p; i++) if (!isfinite(L[i])) return lmm__fail(err, LMM_ERR_ARG, "lmm_contest: L is not finite");
    if (ddf == LMM_DDF_KENWARD_ROGER) return lmm__kr_contest_any(fit, L, nrow, out, err);
    if ((st = lmm__satt_build(fit, &s, err)) != LMM_OK) return st;
    M = (double *)lmm__alloc((size_t)nrow * nrow * 2 + (size_t)nrow * (p + 2) + s.nv, sizeof(double));
    if (!M) { lmm__satt_free(&s); return lmm__fail(err, LMM_ERR_NOMEM, "out of memory"); }
    ev = M + (size_t)nrow * nrow; P = ev + nrow; PtL = P + (size_t)nrow * nrow; nu = PtL + (size_t)nrow * p; g = nu + nrow;
    out->nrow = nrow;
    out->estimate = out->se = out->df = out->t = out->p = NAN;
    /* eigen-decompose L V L'; the F test runs on its q directions above sqrt(eps) d_max */
    for (i = 0; i < nrow; i++)
        for (j = 0; j < nrow; j++) {
            double v = 0;
            for (a = 0; a < p; a++) for (b = 0; b < p; b++) v += L[i * p + a] * fit->vcov[a + b * p] * L[j * p + b];
            M[i + j * nrow] = v;
        }
    lmm__sym_eigen(nrow, M, ev, P);
    for (i = 1; i < nrow; i++) {   /* decreasing order, vectors alongside */
        for (j = i; j > 0 && ev[j] > ev[j - 1]; j--) {
            double t = ev[j]; ev[j] = ev[j - 1]; ev[j - 1] = t;
            for (a = 0; a < nrow; a++) { t = P[a + j * nrow]; P[a + j * nrow] = P[a + (j - 1) * nrow]; P[a + (j - 1) * nrow] = t; }
        }
    }
    tol = fmax(1.4901161193847656e-08 * ev[0], 0);
    while (q < nrow && ev[q] > tol) q++;
    if (q == 0) {
        LMM_FREE(M); lmm__satt_free(&s);
        return lmm__fail(err, LMM_ERR_ARG, "lmm_contest: L V L' is zero (no estimable contrast)");
    }
    if (nrow == 1) lmm__contest1(fit, &s, L, g, out);
    else {
        for (i = 0; i < q; i++)
            for (a = 0; a < p; a++) {
                double v = 0;
                for (j = 0; j < nrow; j++) v += P[j + i * nrow] * L[j * p + a];
                PtL[i * p + a] = v;
            }
        if (q == 1) {
            lmm_contest_result r1;
            lmm__contest1(fit, &s, PtL, g, &r1);
            out->f = r1.f; out->num_df = 1; out->den_df = r1.df; out->f_p = r1.p;
        } else {
            double F = 0;
            for (i = 0; i < q; i++) {
                double est = 0;
                for (a = 0; a < p; a++) est += PtL[i * p + a] * fit->beta[a];
                F += est * est / ev[i];
                nu[i] = lmm__satt_df(&s, fit->vcov, PtL + (size_t)i * p, g);
            }
            out->f = F / q; out->num_df = q; out->den_df = lmm__fstat_ddf(nu, q);
            out->f_p = lmm_pf(out->f, q, out->den_df, 0, 0);
        }
    }
    out->meansq = out->f * fit->sigma * fit->sigma;
    out->sumsq = out->meansq * out->num_df;
    LMM_FREE(M); lmm__satt_free(&s);
    return LMM_OK;
}

LMM_API lmm_status lmm_coef_table(const lmm_fit *fit, lmm_ddf_method ddf, lmm_coef_row *rows, lmm_error *err)
{
    lmm__satt s;
    lmm_status st;
    int i, p;
    double *l;
    if ((st = lmm__ddf_check(fit, ddf, err)) != LMM_OK) return st;
    if (!rows) return lmm__fail(err, LMM_ERR_ARG, "lmm_coef_table: NULL rows");
    p = fit->p;
    if (ddf == LMM_DDF_KENWARD_ROGER) return lmm__kr_coef_table(fit, rows, err);
    if (p < 1) return LMM_OK;
    if ((st = lmm__satt_build(fit, &s, err)) != LMM_OK) return st;
    l = (double *)lmm__alloc((size_t)(p + s.nv), sizeof(double));
    if (!l) { lmm__satt_free(&s); return lmm__fail(err, LMM_ERR_NOMEM, "out of memory"); }
    for (i = 0; i < p; i++) {
        lmm_contest_result r;
        memset(l, 0, (size_t)p * sizeof(double));
        l[i] = 1;
        lmm__contest1(fit, &s, l, l + p, &r);
        rows[i].estimate = r.estimate; rows[i].se = r.se; rows[i].df = r.df; rows[i].t = r.t; rows[i].p = r.p;
    }
    LMM_FREE(l); lmm__satt_free(&s);
    return LMM_OK;
}

/* ---- lmerTest's F tables of one model: anova(m, type = 1, 2, 3) ----------
   Each term's hypothesis is a matrix L (rows over the model's coefficients)
   built as lmerTest 3.1 builds it, then tested by lmm_contest:
   type 1  rows of t(L) of the Doolittle factorisation of X'X (sequential);
   type 2  terms contained in no other: "all its coefficients are 0"; the others:
           Doolittle of X'X with the term and its containers moved last;
   type 3  the overparameterised (indicator-coded) design of each term projected
           on X in treatment coding, each term's columns made orthogonal to its
           containers', then carried to the model's own coding: the same
           hypotheses whatever the contrasts.
   Containment is lmerTest's: term A is in term B when B has all of A's
   variables (those R's factors matrix codes 1) and more, and the same numeric ones. */

/* lmerTest's doolittle(): A = L U, L unit lower triangular (n x n, column-major),
   entries below 1e-6 in absolute value zeroed at the end, as there. */
static void lmm__doolittle(int n, const double *A, double *L, double *U)
{
    int i, j, k;
    for (i = 0; i < n * n; i++) L[i] = U[i] = 0;
    for (i = 0; i < n; i++) L[i + i * n] = 1;
    for (i = 0; i < n; i++) {
        for (j = 0; j < n; j++) {
            double u = A[i + j * n];
            for (k = 0; k < i; k++) u -= L[i + k * n] * U[k + j * n];
            U[i + j * n] = u;
        }
        for (j = i + 1; j < n; j++) {
            double l = A[j + i * n];
            for (k = 0; k < i; k++) l -= L[j + k * n] * U[k + i * n];
            L[j + i * n] = fabs(U[i + i * n]) < 1e-6 ? 0 : l / U[i + i * n];
        }
    }
    for (i = 0; i < n * n; i++) {
        if (fabs(L[i]) < 1e-6) L[i] = 0;
        if (fabs(U[i]) < 1e-6) U[i] = 0;
    }
}

/* R's zapsmall(x) (digits 7): round to 7 - log10(max|x|) decimals (R rounds that count). */
static void lmm__zap7(double *x, size_t n)
{
    double mx = 0, s;
    size_t i;
    int d;
    for (i = 0; i < n; i++) if (fabs(x[i]) > mx) mx = fabs(x[i]);
    if (!(mx > 0) || !isfinite(mx)) return;
    d = (int)floor(7 - log10(mx) + 0.5);
    if (d < 0) d = 0;
    if (d > 300) return;
    s = pow(10.0, d);
    for (i = 0; i < n; i++) x[i] = round(x[i] * s) / s;
}

/* X'X (p x p) of the n x p column-major X. */
static void lmm__crossprod(int n, int p, const double *X, double *XtX)
{
    int a, b, i;
    for (a = 0; a < p; a++)
        for (b = 0; b <= a; b++) {
            double s = 0;
            for (i = 0; i < n; i++) s += X[(size_t)a * n + i] * X[(size_t)b * n + i];
            XtX[a + b * p] = XtX[b + a * p] = s;
        }
}

/* R's ginv(A) %*% B for a full-rank A (n x p, n >= p): the least-squares
   coefficients (p x m, column-major) of B's m columns, by Householder QR. */
static lmm_status lmm__ls_coef(int n, int p, const double *A, int m, const double *B, double *C, lmm_error *err)
{
    double *qr = (double *)lmm__alloc((size_t)n * p + p + n, sizeof(double)), *tau, *b;
    int c, i, k;
    if (!qr) return lmm__nomem(err);
    tau = qr + (size_t)n * p; b = tau + p;
    memcpy(qr, A, (size_t)n * p * sizeof(double));
    lmm_qr(n, p, qr, n, tau);
    for (c = 0; c < m; c++) {
        memcpy(b, B + (size_t)c * n, (size_t)n * sizeof(double));
        lmm_qr_qtv(n, p, qr, n, tau, b);
        for (i = p - 1; i >= 0; i--) {
            double v = b[i];
            for (k = i + 1; k < p; k++) v -= qr[i + (size_t)k * n] * C[k + (size_t)c * p];
            C[i + (size_t)c * p] = qr[i + (size_t)i * n] != 0 ? v / qr[i + (size_t)i * n] : 0;
        }
    }
    LMM_FREE(qr);
    return LMM_OK;
}

/* Y (r x m) less its projection on the span of A's k columns (r x k): lm.fit's
   residuals (a column within 1e-7 of the span of earlier ones is skipped). Q: r x k scratch. */
static void lmm__resid_on(int r, int k, const double *A, int m, double *Y, double *Q)
{
    int j, c, i, b, pass, nq = 0;
    for (j = 0; j < k; j++) {
        double *q = Q + (size_t)nq * r, n0 = 0, n1 = 0;
        for (i = 0; i < r; i++) { q[i] = A[(size_t)j * r + i]; n0 += q[i] * q[i]; }
        for (pass = 0; pass < 2; pass++)
            for (b = 0; b < nq; b++) {
                const double *qb = Q + (size_t)b * r;
                double d = 0;
                for (i = 0; i < r; i++) d += qb[i] * q[i];
                for (i = 0; i < r; i++) q[i] -= d * qb[i];
            }
        for (i = 0; i < r; i++) n1 += q[i] * q[i];
        if (n0 == 0 || sqrt(n1) <= 1e-7 * sqrt(n0)) continue;
        n1 = sqrt(n1);
        for (i = 0; i < r; i++) q[i] /= n1;
        nq++;
    }
    for (c = 0; c < m; c++) {
        double *y = Y + (size_t)c * r;
        for (pass = 0; pass < 2; pass++)
            for (b = 0; b < nq; b++) {
                const double *qb = Q + (size_t)b * r;
                double d = 0;
                for (i = 0; i < r; i++) d += qb[i] * y[i];
                for (i = 0; i < r; i++) y[i] -= d * qb[i];
            }
    }
}

/* Is var v in fixed term t with code 1 in R's factors matrix (a main effect, or
   the term without v is in the model)? */
static int lmm__term_var_coded(const lmm_formula *f, int t, int v)
{
    const lmm_term *term = &f->fixed.terms[t];
    int k;
    for (k = 0; k < term->nvars; k++)
        if (term->vars[k] == v) return term->nvars == 1 || lmm__margin_present(&f->fixed, t, term, v);
    return 0;
}

/* R's dataClasses "numeric": one numeric column (not a factor, poly() or scale(), a matrix in R). */
static int lmm__var_is_numeric(const lmm_formula *f, const lmm__frame_eval *fe, int v)
{
    const lmm_expr *e = f->vars[v].expr;
    while (e && e->op == LMM_EX_PAREN) e = e->a;
    if (fe->vars[v].is_factor || fe->vars[v].ncol > 1) return 0;
    return !(e && e->op == LMM_EX_CALL && e->name && strcmp(e->name, "scale") == 0);
}

/* lmerTest's containment: cont[t * nt + u] = 1 when fixed term t is contained in term u. */
static void lmm__containment(const lmm_formula *f, const lmm__frame_eval *fe, int *cont)
{
    int nt = f->fixed.nterms, t, u, k;
    for (t = 0; t < nt; t++)
        for (u = 0; u < nt; u++) {
            const lmm_term *tu = &f->fixed.terms[u], *tt = &f->fixed.terms[t];
            int sub = 1, more = 0, samenum = 1;
            for (k = 0; k < tt->nvars && sub; k++) {
                int v = tt->vars[k];
                if (lmm__term_var_coded(f, t, v) && !lmm__term_var_coded(f, u, v)) sub = 0;
            }
            for (k = 0; k < tu->nvars; k++) {
                int v = tu->vars[k];
                if (!lmm__term_var_coded(f, u, v) || lmm__term_var_coded(f, t, v)) continue;
                more = 1;
                if (lmm__var_is_numeric(f, fe, v)) samenum = 0;
            }
            cont[t * nt + u] = u != t && sub && more && samenum;
        }
}

/* term a's factors (its ':'-separated parts) all occur in term b */
static int lmm__term_within(const char *a, const char *b)
{
    const char *p = a;
    while (*p) {
        const char *e = strchr(p, ':'), *q = b;
        size_t n = e ? (size_t)(e - p) : strlen(p);
        int found = 0;
        while (*q && !found) {
            const char *f = strchr(q, ':');
            size_t m = f ? (size_t)(f - q) : strlen(q);
            found = m == n && strncmp(p, q, n) == 0;
            q = f ? f + 1 : q + m;
        }
        if (!found) return 0;
        p = e ? e + 1 : p + n;
    }
    return 1;
}

/* The hypotheses of every term: hyp + t * p * p holds nr[t] rows (row-major, p each). */
typedef struct lmm__ftab {
    int p, nt;
    double *hyp;
    int *nr;
} lmm__ftab;

/* type 1, and type 2 with cont (NULL: every term marginal): rows from X'X alone */
static lmm_status lmm__ftab_sequential(const lmm_matrix *X, int type, const int *cont, lmm__ftab *h, lmm_error *err)
{
    int p = X->ncol, nt = X->nterms, t, u, a, i, j;
    double *XtX = (double *)lmm__alloc((size_t)4 * p * p, sizeof(double)), *A, *Lw, *Uw;
    int *order = LMM__NEW(int, p), *pos = LMM__NEW(int, p);
    if (!XtX || !order || !pos) { LMM_FREE(XtX); LMM_FREE(order); LMM_FREE(pos); return lmm__nomem(err); }
    A = XtX + (size_t)p * p; Lw = A + (size_t)p * p; Uw = Lw + (size_t)p * p;
    lmm__crossprod(X->nrow, p, X->v, XtX);
    if (type == 1) {
        if (p == 1) Lw[0] = 1; else lmm__doolittle(p, XtX, Lw, Uw);
        for (t = 0; t < nt; t++)
            for (a = 0; a < p; a++) {
                double *row;
                if (X->assign[a] != t + 1) continue;
                row = h->hyp + (size_t)t * p * p + (size_t)h->nr[t]++ * p;
                for (j = 0; j < p; j++) row[j] = Lw[j + a * p];   /* t(L)[a, ] */
            }
    } else {
        for (t = 0; t < nt; t++) {
            int any = 0, m = 0;
            for (u = 0; u < nt && cont; u++) any |= cont[t * nt + u];
            if (!any) {   /* lmerTest's "marginal" hypothesis */
                for (a = 0; a < p; a++) {
                    double *row;
                    if (X->assign[a] != t + 1) continue;
                    row = h->hyp + (size_t)t * p * p + (size_t)h->nr[t]++ * p;
                    for (j = 0; j < p; j++) row[j] = j == a;
                }
                continue;
            }
            /* the other columns in X's order, then the term's, then its containers' */
            for (a = 0; a < p; a++) {
                int in = X->assign[a] == t + 1;
                for (u = 0; u < nt; u++) if (cont[t * nt + u] && X->assign[a] == u + 1) in = 1;
                if (!in) order[m++] = a;
            }
            for (a = 0; a < p; a++) if (X->assign[a] == t + 1) order[m++] = a;
            for (u = 0; u < nt; u++)
                if (cont[t * nt + u]) for (a = 0; a < p; a++) if (X->assign[a] == u + 1) order[m++] = a;
            for (i = 0; i < p; i++) { pos[order[i]] = i; for (j = 0; j < p; j++) A[i + j * p] = XtX[order[i] + order[j] * p]; }
            lmm__doolittle(p, A, Lw, Uw);
            for (a = 0; a < p; a++) {
                double *row;
                if (X->assign[a] != t + 1) continue;
                row = h->hyp + (size_t)t * p * p + (size_t)h->nr[t]++ * p;
                for (j = 0; j < p; j++) row[order[j]] = Lw[j + pos[a] * p];
            }
        }
    }
    LMM_FREE(XtX); LMM_FREE(order); LMM_FREE(pos);
    return LMM_OK;
}

/* Append matrix m's columns (and names) to the growing rdX. */
static lmm_status lmm__rdx_append(double **v, char ***names, int *ncol, int n, const double *col, int k,
                                  char *const *cn, lmm_error *err)
{
    double *nv = (double *)lmm__grow(*v, (size_t)n * (*ncol + k), sizeof(double));
    char **nn;
    int j;
    if (!nv) return lmm__nomem(err);
    *v = nv;
    nn = (char **)lmm__grow(*names, (size_t)(*ncol + k), sizeof(char *));
    if (!nn) return lmm__nomem(err);
    *names = nn;
    memcpy(nv + (size_t)n * *ncol, col, (size_t)n * k * sizeof(double));
    for (j = 0; j < k; j++) {
        nn[*ncol] = cn ? lmm__strdup(cn[j]) : lmm__strdup("(Intercept)");
        if (!nn[*ncol]) return lmm__nomem(err);
        (*ncol)++;
    }
    return LMM_OK;
}

/* type 3 (lmerTest's get_contrasts_type3 / extract_contrasts_type3) */
static lmm_status lmm__ftab_type3(const lmm_fit *fit, const lmm_formula *f, const lmm__frame_eval *fe,
                                  const int *cont, lmm__ftab *h, lmm_error *err)
{
    const lmm_matrix *Xo = fit->model->X;
    lmm_matrix *Xt = NULL;
    lmm_model_options mo;
    lmm_status st;
    int n = fe->nobs, po = Xo->ncol, nt = f->fixed.nterms, pt, prd = 0, t, u, a, j, k, r, same, nd = 0, ord;
    double *rdx = NULL, *B = NULL, *L0 = NULL, *map = NULL, *Y = NULL, *A = NULL, *Q = NULL, *row = NULL;
    char **rdn = NULL, **dn = NULL;
    int *rowsel = NULL;
    memset(&mo, 0, sizeof mo);
    if ((st = lmm__build_matrix(f, &f->fixed, fe, &mo, &Xt, err)) != LMM_OK) return st;
    if ((st = lmm__drop_aliased(Xt, &nd, &dn, err)) != LMM_OK) goto done;
    for (j = 0; j < nd; j++) LMM_FREE(dn[j]);
    pt = Xt->ncol;
    same = pt == po;
    for (j = 0; j < pt && same; j++) same = strcmp(Xt->colnames[j], Xo->colnames[j]) == 0;
    /* the overparameterised design: intercept, then each term as ~ 0 + term */
    if (f->fixed.intercept) {
        if ((st = lmm__rdx_append(&rdx, &rdn, &prd, n, Xt->v, 1, NULL, err)) != LMM_OK) goto done;
    }
    for (t = 0; t < nt; t++) {
        lmm_termlist one;
        lmm_matrix *m = NULL;
        one.intercept = 0; one.nterms = 1; one.terms = &f->fixed.terms[t];
        if ((st = lmm__build_matrix(f, &one, fe, &mo, &m, err)) != LMM_OK) goto done;
        st = lmm__rdx_append(&rdx, &rdn, &prd, n, m->v, m->ncol, m->colnames, err);
        lmm_matrix_free(m);
        if (st != LMM_OK) goto done;
    }
    B = (double *)lmm__alloc((size_t)pt * prd, sizeof(double));
    L0 = (double *)lmm__alloc((size_t)pt * prd, sizeof(double));
    Y = (double *)lmm__alloc((size_t)pt * prd, sizeof(double));
    A = (double *)lmm__alloc((size_t)pt * prd, sizeof(double));
    Q = (double *)lmm__alloc((size_t)pt * prd, sizeof(double));
    map = (double *)lmm__alloc((size_t)pt * po, sizeof(double));
    row = (double *)lmm__alloc((size_t)pt, sizeof(double));
    rowsel = LMM__NEW(int, pt);
    if (!B || !L0 || !Y || !A || !Q || !map || !row || !rowsel) { st = lmm__nomem(err); goto done; }
    /* L0 (prd x pt) = t(ginv(Xt) rdX), zapped */
    if ((st = lmm__ls_coef(n, pt, Xt->v, prd, rdx, B, err)) != LMM_OK) goto done;
    for (r = 0; r < prd; r++) for (a = 0; a < pt; a++) L0[r + (size_t)a * prd] = B[a + (size_t)r * pt];
    lmm__zap7(L0, (size_t)pt * prd);
    /* each term's columns orthogonal to its containers', highest order first (stable) */
    for (ord = 16; ord >= 1; ord--)
        for (t = 0; t < nt; t++) {
            int ny = 0, na = 0;
            if (f->fixed.terms[t].nvars != ord) continue;
            for (u = 0; u < nt; u++)
                if (cont[t * nt + u]) for (a = 0; a < pt; a++) if (Xt->assign[a] == u + 1)
                    memcpy(A + (size_t)na++ * prd, L0 + (size_t)a * prd, (size_t)prd * sizeof(double));
            if (na == 0) continue;
            for (a = 0; a < pt; a++) if (Xt->assign[a] == t + 1)
                memcpy(Y + (size_t)ny++ * prd, L0 + (size_t)a * prd, (size_t)prd * sizeof(double));
            lmm__resid_on(prd, na, A, ny, Y, Q);
            lmm__zap7(Y, (size_t)ny * prd);
            for (a = 0, ny = 0; a < pt; a++) if (Xt->assign[a] == t + 1)
                memcpy(L0 + (size_t)a * prd, Y + (size_t)ny++ * prd, (size_t)prd * sizeof(double));
        }
    /* the rows named as X's columns */
    for (k = 0; k < pt; k++) {
        for (r = 0; r < prd && strcmp(rdn[r], Xt->colnames[k]) != 0; r++) {}
        if (r == prd) { st = lmm__fail(err, LMM_ERR_ARG, "type III hypotheses: no indicator column named '%s'", Xt->colnames[k]); goto done; }
        rowsel[k] = r;
    }
    if (!same) {   /* beta_treatment = map beta_model */
        if ((st = lmm__ls_coef(n, pt, Xt->v, po, Xo->v, map, err)) != LMM_OK) goto done;
        lmm__zap7(map, (size_t)pt * po);
    }
    for (t = 0; t < nt; t++)
        for (a = 0; a < pt; a++) {
            double s = 0, *out;
            if (Xt->assign[a] != t + 1) continue;
            for (k = 0; k < pt; k++) { row[k] = L0[rowsel[k] + (size_t)a * prd]; s += fabs(row[k]); }
            if (!(s > 1e-8)) continue;
            out = h->hyp + (size_t)t * po * po + (size_t)h->nr[t]++ * po;
            if (same) memcpy(out, row, (size_t)po * sizeof(double));
            else for (j = 0; j < po; j++) {
                double v = 0;
                for (k = 0; k < pt; k++) v += row[k] * map[k + (size_t)j * pt];
                out[j] = v;
            }
        }
done:
    LMM_FREE(dn);
    if (rdn) for (j = 0; j < prd; j++) LMM_FREE(rdn[j]);
    LMM_FREE(rdn); LMM_FREE(rdx); LMM_FREE(B); LMM_FREE(L0); LMM_FREE(Y); LMM_FREE(A); LMM_FREE(Q);
    LMM_FREE(map); LMM_FREE(row); LMM_FREE(rowsel);
    lmm_matrix_free(Xt);
    return st;
}

LMM_API lmm_status lmm_anova_table(const lmm_fit *fit, const lmm_frame *df, int type, lmm_ddf_method ddf,
                                   lmm_anova3_row *rows, int *nrows, lmm_error *err)
{
    const lmm_matrix *X;
    lmm_formula *f = NULL;
    lmm__frame_eval fe;
    lmm__ftab h;
    lmm_status st;
    int t, u, p, nt, n = 0, *cont = NULL, pass;
    memset(&fe, 0, sizeof fe);
    /* checked here too: lmm_contest's LMM_ERR_ARG below means "no test" (L V L' = 0) */
    if (!fit || !rows || !nrows) return lmm__fail(err, LMM_ERR_ARG, "lmm_anova_table: NULL argument");
    if ((st = lmm__ddf_check(fit, ddf, err)) != LMM_OK) return st;
    if (type < 1 || type > 3) return lmm__fail(err, LMM_ERR_ARG, "anova type must be 1, 2 or 3 (got %d)", type);
    *nrows = 0;
    X = fit->model->X; p = X->ncol; nt = X->nterms;
    if (p == 0 || (p == 1 && X->assign[0] == 0)) return LMM_OK;   /* lmerTest: an empty table */
    if (p <= 1 || nt <= 1) type = 1;   /* lmerTest falls back to type 1 there */
    h.p = p; h.nt = nt;
    h.hyp = (double *)lmm__alloc((size_t)nt * p * p, sizeof(double));
    h.nr = LMM__ZNEW(int, nt);
    cont = LMM__ZNEW(int, (size_t)nt * nt);
    if (!h.hyp || !h.nr || !cont) { st = lmm__nomem(err); goto done; }
    if (type > 1) {
        if (df) {
            if ((st = lmm_formula_parse(fit->model->formula, &f, err)) != LMM_OK) goto done;
            if ((st = lmm__frame_evaluate(df, f, 1, &fe, err)) != LMM_OK) goto done;
            if (f->fixed.nterms != nt || fe.nobs != fit->model->nobs ||
                memcmp(fe.rows, fit->model->rows, (size_t)fe.nobs * sizeof(int)) != 0) {
                st = lmm__fail(err, LMM_ERR_ARG, "lmm_anova_table: the frame is not the one the model was fitted to");
                goto done;
            }
            lmm__containment(f, &fe, cont);
        } else {
            for (t = 0; t < nt; t++)
                for (u = 0; u < nt; u++)
                    if (u != t && lmm__term_within(X->terms[t], X->terms[u])) {
                        st = lmm__fail(err, LMM_ERR_ARG, "term '%s' is marginal to '%s': its type %s test needs the data "
                                       "frame (lmm_anova_table)", X->terms[t], X->terms[u], type == 2 ? "II" : "III");
                        goto done;
                    }
        }
    }
    if (type == 3 && df) st = lmm__ftab_type3(fit, f, &fe, cont, &h, err);
    else st = lmm__ftab_sequential(X, type == 3 ? 2 : type, cont, &h, err);   /* no containment: type 3 = marginal */
    if (st != LMM_OK) goto done;
    /* terms without a hypothesis come last with NA, as lmerTest appends them */
    for (pass = 0; pass < 2; pass++)
        for (t = 0; t < nt; t++) {
            lmm_contest_result r;
            lmm_anova3_row *row = &rows[n];
            if ((h.nr[t] > 0) != (pass == 0)) continue;
            row->term = X->terms[t];
            row->sumsq = row->meansq = row->num_df = row->den_df = row->f = row->p = NAN;
            n++;
            if (pass == 1) continue;
            st = lmm_contest(fit, h.hyp + (size_t)t * p * p, h.nr[t], ddf, &r, err);
            if (st == LMM_ERR_ARG) { st = LMM_OK; continue; }   /* L V L' = 0: no test */
            if (st != LMM_OK) goto done;
            row->sumsq = r.sumsq; row->meansq = r.meansq; row->num_df = r.num_df;
            row->den_df = r.den_df; row->f = r.f; row->p = r.f_p;
        }
    *nrows = n;
done:
    lmm__frame_eval_free(&fe);
    lmm_formula_free(f);
    LMM_FREE(h.hyp); LMM_FREE(h.nr); LMM_FREE(cont);
    return st;
}

LMM_API lmm_status lmm_anova_type3(const lmm_fit *fit, lmm_ddf_method ddf, lmm_anova3_row *rows, int *nrows,
                                   lmm_error *err)
{
    return lmm_anova_table(fit, NULL, 3, ddf, rows, nrows, err);
}

/* ---- lmerTest's ranova: single-term deletions of the random part ----------
   Each random-effects term in lme4's findbars order ((1|a/b) as (1|b:a), (1|a);
   (x||g) as (1|g), (0 + x|g)) is reduced as lmerTest reduces it: a term whose
   left side has no terms but the intercept is dropped; otherwise each left-side
   term contained in no other is removed in turn ((Days|Subject) -> (1|Subject)).
   Each reduced model is refitted on the same X, weights and offset with the fit's
   REML/ML; without random terms left it is a linear model, whose REML or ML
   log-likelihood is R's logLik(lm, REML = ). */

LMM_API void lmm_ranova_free(lmm_ranova_table *r)
{
    int i;
    if (!r) return;
    if (r->rows) for (i = 0; i < r->n; i++) { LMM_FREE(r->rows[i].term); LMM_FREE(r->rows[i].formula); }
    LMM_FREE(r->rows);
    LMM_FREE(r->model);
    LMM_FREE(r);
}

/* Append s to buf (size 4096), truncating. */
static void lmm__rcat(char *buf, const char *s)
{
    size_t n = strlen(buf);
    if (n < 4095) { strncat(buf, s, 4095 - n); }
}

/* R's deparse spacing of written formula text [a, b): blanks dropped, " + " around + * |
   and binary -, ", " after commas, " = " for named arguments. */
static void lmm__rdeparse_text(const char *a, const char *b, char *out, size_t size)
{
    size_t o = 0;
    char prev = 0;
#define LMM__RP(ch) do { if (o + 1 < size) out[o++] = (ch); } while (0)
    for (; a < b; a++) {
        char c = *a;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if (c == '+' || c == '*' || c == '|' || (c == '-' && prev && (isalnum((unsigned char)prev) || prev == ')' || prev == '.' || prev == '_'))) {
            LMM__RP(' '); LMM__RP(c); LMM__RP(' ');
        } else if (c == ',') { LMM__RP(','); LMM__RP(' '); }
        else if (c == '=') { LMM__RP(' '); LMM__RP('='); LMM__RP(' '); }
        else LMM__RP(c);
        prev = c;
    }
    out[o < size ? o : size - 1] = 0;
#undef LMM__RP
}

/* The label of lhs term t of a random-effects spec ("Days", "x:z"). */
static void lmm__lhs_term_label(const lmm_formula *f, const lmm_termlist *tl, int t, char *buf)
{
    int k;
    buf[0] = 0;
    for (k = 0; k < tl->terms[t].nvars; k++) {
        if (k) lmm__rcat(buf, ":");
        lmm__rcat(buf, f->vars[tl->terms[t].vars[k]].label);
    }
}

/* Term t of tl is contained in another term of tl (all its vars there). */
static int lmm__lhs_contained(const lmm_termlist *tl, int t)
{
    int u, a, b;
    for (u = 0; u < tl->nterms; u++) {
        int all = 1;
        if (u == t || tl->terms[u].nvars <= tl->terms[t].nvars) continue;
        for (a = 0; a < tl->terms[t].nvars && all; a++) {
            int found = 0;
            for (b = 0; b < tl->terms[u].nvars; b++) if (tl->terms[u].vars[b] == tl->terms[t].vars[a]) found = 1;
            all = found;
        }
        if (all) return 1;
    }
    return 0;
}

/* "(lhs | group)" of spec r, fit for our parser, with lhs term `skip` left out (-1: none). */
static void lmm__re_text(const lmm_formula *f, const lmm_reterm_spec *s, int skip, char *buf)
{
    char lab[4096];
    int t, any = 0;
    lmm__rcat(buf, "(");
    for (t = 0; t < s->lhs.nterms; t++) if (t != skip) any = 1;
    lmm__rcat(buf, !any || s->lhs.intercept ? "1" : "0");
    for (t = 0; t < s->lhs.nterms && any; t++) {
        if (t == skip) continue;
        lmm__lhs_term_label(f, &s->lhs, t, lab);
        lmm__rcat(buf, " + "); lmm__rcat(buf, lab);
    }
    lmm__rcat(buf, " | "); lmm__rcat(buf, s->group_label); lmm__rcat(buf, ")");
}

/* R's (REML or ML) log-likelihood of the weighted least-squares fit of y - offset on X. */
static lmm_status lmm__lm_loglik(const lmm_model *m, int reml, double *ll, lmm_error *err)
{
    int n = m->nobs, p = m->X->ncol, i, j;
    double *a = (double *)lmm__alloc((size_t)n * (p + 1) + p, sizeof(double)), *y, *tau, rss = 0, ldw = 0, logr = 0, N;
    if (!a) return lmm__nomem(err);
    y = a + (size_t)n * p; tau = y + n;
    for (i = 0; i < n; i++) {
        double sw = m->weights ? sqrt(m->weights[i]) : 1;
        if (m->weights) ldw += log(m->weights[i]);
        for (j = 0; j < p; j++) a[(size_t)j * n + i] = sw * m->X->v[(size_t)j * n + i];
        y[i] = sw * (m->y[i] - (m->offset ? m->offset[i] : 0));
    }
    if (p > 0) { lmm_qr(n, p, a, n, tau); lmm_qr_qtv(n, p, a, n, tau, y); }
    for (i = p; i < n; i++) rss += y[i] * y[i];
    for (j = 0; j < p; j++) logr += log(fabs(a[(size_t)j * n + j]));
    N = reml ? n - p : n;
    *ll = 0.5 * (ldw - N * (LMM__LN_2PI + 1 - log(N) + log(rss))) - (reml ? logr : 0);
    LMM_FREE(a);
    return LMM_OK;
}

/* Refit fit's model with the random part `re_text` (NULL: none): npar and logLik. */
static lmm_status lmm__ranova_refit(const lmm_fit *fit, const lmm_frame *df, const lmm_formula *f, const char *re_text,
                                    char **formula, int *npar, double *ll, lmm_error *err)
{
    const lmm_model *m0 = fit->model;
    char *text = (char *)lmm__alloc(8192, 1);
    double *w = NULL, *off = NULL;
    lmm_model_options mo;
    lmm_model *m = NULL;
    lmm_fit *nf = NULL;
    lmm_fit_options fo;
    lmm_status st = LMM_OK;
    int i, t;
    if (!text) return lmm__nomem(err);
    snprintf(text, 8192, "%s ~ ", f->response >= 0 ? f->vars[f->response].label : "");
    text[4095] = 0;
    lmm__rcat(text, f->fixed.intercept ? "1" : "0");
    for (t = 0; t < m0->X->nterms; t++) { lmm__rcat(text, " + "); lmm__rcat(text, m0->X->terms[t]); }
    if (re_text && re_text[0]) { lmm__rcat(text, " + "); lmm__rcat(text, re_text); }
    *formula = text;
    if (!re_text || !re_text[0]) {   /* a linear model on the same X */
        *npar = m0->X->ncol + 1;
        return lmm__lm_loglik(m0, fit->reml, ll, err);
    }
    memset(&mo, 0, sizeof mo);
    if (m0->weights || m0->offset) {
        w = (double *)lmm__alloc((size_t)df->nrow, sizeof(double));
        off = (double *)lmm__alloc((size_t)df->nrow, sizeof(double));
        if (!w || !off) { st = lmm__nomem(err); goto done; }
        for (i = 0; i < df->nrow; i++) { w[i] = 1; off[i] = 0; }
        for (i = 0; i < m0->nobs; i++) {
            if (m0->weights) w[m0->rows[i]] = m0->weights[i];
            if (m0->offset) off[m0->rows[i]] = m0->offset[i];
        }
        if (m0->weights) mo.weights = w;
        if (m0->offset) mo.offset = off;
    }
    if ((st = lmm_model_build(df, text, &mo, &m, err)) != LMM_OK) goto done;
    if (m->nobs != m0->nobs || memcmp(m->rows, m0->rows, (size_t)m0->nobs * sizeof(int)) != 0) {
        st = lmm__fail(err, LMM_ERR_DATA, "ranova: number of rows in use has changed for '%s': remove missing values?", text);
        goto done;
    }
    /* the fit's own X: the same columns and coding (contrasts) as the full model */
    if ((st = lmm_model_set_X(m, m0->X, err)) != LMM_OK) goto done;
    if ((st = lmm_model_set_response(m, m0->y, err)) != LMM_OK) goto done;
    memset(&fo, 0, sizeof fo);
    fo.ml = !fit->reml;
    fo.optim = fit->optim_;
    fo.skip_condvar = 1;
    fo.skip_convcheck = 1;
    if ((st = lmm_model_fit(m, &fo, &nf, err)) != LMM_OK) goto done;
    *npar = nf->df;
    *ll = nf->loglik;
done:
    lmm_fit_free(nf);
    lmm_model_free(m);
    LMM_FREE(w); LMM_FREE(off);
    return st;
}

LMM_API lmm_status lmm_ranova(const lmm_fit *fit, const lmm_frame *df, lmm_ranova_table **out, lmm_error *err)
{
    lmm_formula *f = NULL;
    lmm_ranova_table *r = NULL;
    lmm_status st;
    int *order = NULL, nre, i, j, k, t, cap, d, maxdeg = 1;
    char *model = NULL, *re = NULL, *lab = NULL, *lhs = NULL, **rtext = NULL;
    if (out) *out = NULL;
    if (!fit || !df || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_ranova: NULL argument");
    if ((st = lmm_formula_parse(fit->model->formula, &f, err)) != LMM_OK) return st;
    nre = f->nre;
    if (nre == 0) { lmm_formula_free(f); return lmm__fail(err, LMM_ERR_ARG, "ranova: the model has no random-effects terms"); }
    model = (char *)lmm__alloc(4096 * 4, 1);
    order = LMM__NEW(int, nre);
    rtext = LMM__ZNEW(char *, nre);
    r = LMM__ZNEW(lmm_ranova_table, 1);
    cap = 1;
    for (i = 0; i < nre; i++) cap += f->re[i].lhs.nterms ? f->re[i].lhs.nterms : 1;
    if (r) r->rows = LMM__ZNEW(lmm_ranova_row, cap);
    if (!model || !order || !rtext || !r || !r->rows) { st = lmm__nomem(err); goto done; }
    re = model + 4096; lab = re + 4096; lhs = lab + 4096;
    /* lme4's findbars order: the specs of one written (a/b) term in reverse */
    for (i = 0; i < nre; ) {
        for (j = i + 1; j < nre && f->re[j].offset == f->re[i].offset && strcmp(f->re[j].group_label, f->re[i].group_label) != 0; j++) {}
        for (k = 0; k < j - i; k++) order[i + k] = j - 1 - k;
        i = j;
    }
    /* each spec's R text "(lhs | group)" */
    for (i = 0; i < nre; i++) {
        const lmm_reterm_spec *s = &f->re[order[i]];
        const char *open = f->text + s->offset, *bar;
        int depth = 0, split = 0;
        for (k = 0; k < nre; k++) if (k != order[i] && f->re[k].offset == s->offset && !strcmp(f->re[k].group_label, s->group_label)) split = 1;
        if (*open != '(') open = strchr(open, '(');
        lhs[0] = 0;
        if (split || !open) {   /* (x || g) pieces: lme4 writes 1 and 0 + x */
            if (s->lhs.nterms == 0) lmm__rcat(lhs, "1");
            else { lmm__rcat(lhs, "0 + "); lmm__lhs_term_label(f, &s->lhs, 0, lab); lmm__rcat(lhs, lab); }
        } else {
            for (bar = open + 1; *bar && !(*bar == '|' && depth == 0); bar++) { if (*bar == '(') depth++; if (*bar == ')') depth--; }
            lmm__rdeparse_text(open + 1, bar, lhs, 4096);
        }
        if (!(rtext[i] = (char *)lmm__alloc(strlen(lhs) + strlen(s->group_label) + 8, 1))) { st = lmm__nomem(err); goto done; }
        sprintf(rtext[i], "(%s | %s)", lhs, s->group_label);
    }
    /* the Model: line, as update() rebuilds it: terms by degree, the bars among the first */
    snprintf(model, 4096, "%s ~ ", f->response >= 0 ? f->vars[f->response].label : "");
    for (t = 0; t < f->fixed.nterms; t++) if (f->fixed.terms[t].nvars > maxdeg) maxdeg = f->fixed.terms[t].nvars;
    k = 0;
    for (d = 1; d <= maxdeg; d++) {
        for (t = 0; t < f->fixed.nterms && t < fit->model->X->nterms; t++) {
            if (f->fixed.terms[t].nvars != d) continue;
            if (k++) lmm__rcat(model, " + ");
            lmm__rcat(model, fit->model->X->terms[t]);
        }
        if (d == 1) for (i = 0; i < nre; i++) { if (k++) lmm__rcat(model, " + "); lmm__rcat(model, rtext[i]); }
    }
    for (k = 0; k < f->noffset; k++) {   /* R lists offset() terms last */
        lmm_expr_deparse(f->offsets[k], lab, 4096);
        lmm__rcat(model, " + offset("); lmm__rcat(model, lab); lmm__rcat(model, ")");
    }
    if (!f->fixed.intercept) lmm__rcat(model, " - 1");
    if (!(r->model = lmm__strdup(model))) { st = lmm__nomem(err); goto done; }
    /* <none> */
    r->n = 1;
    if (!(r->rows[0].term = lmm__strdup("<none>"))) { st = lmm__nomem(err); goto done; }
    r->rows[0].npar = fit->df;
    r->rows[0].loglik = fit->loglik;
    /* each term's reductions */
    for (i = 0; i < nre; i++) {
        const lmm_reterm_spec *s = &f->re[order[i]];
        int only = s->lhs.nterms == 0;   /* (1 | g): dropped; otherwise each term not inside another */
        for (t = only ? -1 : 0; t < (only ? 0 : s->lhs.nterms); t++) {
            lmm_ranova_row *row = &r->rows[r->n];
            char *rowlab;
            if (t >= 0 && lmm__lhs_contained(&s->lhs, t)) continue;
            /* the other terms as they stand, this one reduced or gone */
            re[0] = 0;
            for (j = 0; j < nre; j++) {
                char one[4096];
                const char *seen;
                size_t len;
                if (j == i && t < 0) continue;
                one[0] = 0;
                lmm__re_text(f, &f->re[order[j]], j == i ? t : -1, one);
                /* update() keeps one copy of a repeated term: (x || g) less x is (1 | g) once */
                len = strlen(one);
                for (seen = strstr(re, one); seen; seen = strstr(seen + 1, one))
                    if ((seen == re || seen[-1] == ' ') && (seen[len] == 0 || seen[len] == ' ')) break;
                if (seen) continue;
                if (re[0]) lmm__rcat(re, " + ");
                lmm__rcat(re, one);
            }
            if (t < 0) rowlab = lmm__strdup(rtext[i]);
            else {
                lmm__lhs_term_label(f, &s->lhs, t, lab);
                rowlab = (char *)lmm__alloc(strlen(lab) + strlen(rtext[i]) + 8, 1);
                if (rowlab) sprintf(rowlab, "%s in %s", lab, rtext[i]);
            }
            if (!(row->term = rowlab)) { st = lmm__nomem(err); goto done; }
            r->n++;
            if ((st = lmm__ranova_refit(fit, df, f, re, &row->formula, &row->npar, &row->loglik, err)) != LMM_OK) goto done;
        }
    }
    for (i = 0; i < r->n; i++) {
        lmm_ranova_row *row = &r->rows[i];
        row->aic = -2 * row->loglik + 2 * row->npar;
        if (i == 0) { row->lrt = row->df = row->p = NAN; continue; }
        row->lrt = 2 * (r->rows[0].loglik - row->loglik);
        row->df = (double)(r->rows[0].npar - row->npar);
        row->p = row->df > 0 ? lmm_pchisq(row->lrt, row->df, 0, 0) : NAN;
    }
done:
    if (rtext) for (i = 0; i < nre; i++) LMM_FREE(rtext[i]);
    LMM_FREE(rtext); LMM_FREE(order); LMM_FREE(model);
    lmm_formula_free(f);
    if (st != LMM_OK) lmm_ranova_free(r);
    else *out = r;
    return st;
}

/* ======================================================================== */
/* Simulation, parametric bootstrap and prediction                    @sim */
/* ======================================================================== */
#ifdef _OPENMP
#include <omp.h>   /* omp_get_wtime only: wall time when CLOCK_MONOTONIC is hidden (strict -std=c99) */
#endif

/* ---- simulate ------------------------------------------------------------ */

/* Term k's lower-triangular template T (ncol x ncol, column-major) from theta. */
static void lmm__sim_template(const lmm_fit *fit, int k, double *T)
{
    const lmm_reterm *t = &fit->model->terms[k];
    const double *th = fit->theta + t->theta_offset;
    int a, c, pk = t->ncol;
    for (c = 0; c < pk; c++)
        for (a = 0; a < pk; a++) T[a + c * pk] = a >= c ? *th++ : 0.0;
}

/* y = X beta + Z b + sigma eps; b drawn into bwork (q) unless use_u. Draws: u term by term,
   level by level, then eps in observation order. */
static void lmm__simulate_into(const lmm_fit *fit, lmm_rng *rng, int use_u, double *y, double *bwork)
{
    const lmm_model *m = fit->model;
    const double *b = fit->b;
    int n = m->nobs, p = fit->p, i, j, k, a, c;
    if (!use_u) {
        double T[32 * 32], w[32];
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            int pk = t->ncol;
            lmm__sim_template(fit, k, T);
            for (j = 0; j < t->nlevels; j++) {
                double *bj = bwork + t->u_offset + j * pk;
                for (c = 0; c < pk; c++) w[c] = fit->sigma * lmm_rng_normal(rng);
                for (a = 0; a < pk; a++) {
                    double s = 0;
                    for (c = 0; c <= a; c++) s += T[a + c * pk] * w[c];
                    bj[a] = s;
                }
            }
        }
        b = bwork;
    }
    for (i = 0; i < n; i++) {
        double mu = 0;
        for (a = 0; a < p; a++) mu += m->X->v[(size_t)a * n + i] * fit->beta[a];
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            const double *bj = b + t->u_offset + t->codes[i] * t->ncol;
            for (c = 0; c < t->ncol; c++) mu += t->z[(size_t)c * n + i] * bj[c];
        }
        y[i] = m->offset ? mu + m->offset[i] : mu;
    }
    if (m->sqrtw_) for (i = 0; i < n; i++) y[i] += fit->sigma / m->sqrtw_[i] * lmm_rng_normal(rng);   /* var sigma^2 / w */
    else for (i = 0; i < n; i++) y[i] += fit->sigma * lmm_rng_normal(rng);
}

LMM_API lmm_status lmm_simulate(const lmm_fit *fit, lmm_rng *rng, int use_u, double *y_out, lmm_error *err)
{
    double *bwork = NULL;
    if (!fit || !rng || !y_out) return lmm__fail(err, LMM_ERR_ARG, "lmm_simulate: NULL argument");
    if (!use_u && !(bwork = LMM__NEW(double, fit->q ? fit->q : 1))) return lmm__nomem(err);
    lmm__simulate_into(fit, rng, use_u, y_out, bwork);
    LMM_FREE(bwork);
    return LMM_OK;
}

LMM_API void lmm_lm_simulate(const lmm_lm *fit, lmm_rng *rng, double *y_out)
{
    int i;
    if (!fit || !rng || !y_out) return;
    if (fit->weights)   /* R's simulate.lm: variance sigma^2 / w */
        for (i = 0; i < fit->X->nrow; i++) y_out[i] = fit->fitted[i] + (fit->weights[i] > 0 ? fit->sigma / sqrt(fit->weights[i]) : 0) * lmm_rng_normal(rng);
    else for (i = 0; i < fit->nobs; i++) y_out[i] = fit->fitted[i] + fit->sigma * lmm_rng_normal(rng);
}

/* ---- cloning --------------------------------------------------------------- */

static double *lmm__dup_doubles(const double *x, size_t n)
{
    double *d = LMM__NEW(double, n ? n : 1);
    if (d && n) memcpy(d, x, n * sizeof *d);
    return d;
}

static int *lmm__dup_ints(const int *x, size_t n)
{
    int *d = LMM__NEW(int, n ? n : 1);
    if (d && n) memcpy(d, x, n * sizeof *d);
    return d;
}

/* Copy n strings (NULL source: NULL result, reported as success through *ok). */
static char **lmm__dup_strv(char *const *x, int n, int *ok)
{
    char **d;
    int j;
    if (!x) return NULL;
    d = LMM__ZNEW(char *, n ? n : 1);
    if (!d) { *ok = 0; return NULL; }
    for (j = 0; j < n; j++)
        if (x[j] && !(d[j] = lmm__strdup(x[j]))) *ok = 0;
    return d;
}

static lmm_status lmm__model_clone(const lmm_model *s, lmm_model **out, lmm_error *err)
{
    lmm_model *m = LMM__ZNEW(lmm_model, 1);
    int ok = 1, k, n = s->nobs;
    lmm_status st;
    *out = NULL;
    if (!m) return lmm__nomem(err);
    m->nobs = n; m->n_na_dropped = s->n_na_dropped; m->n_aliased = s->n_aliased;
    m->nterms = s->nterms; m->q = s->q; m->ntheta = s->ntheta;
    m->formula = s->formula ? lmm__strdup(s->formula) : NULL;
    m->response = s->response ? lmm__strdup(s->response) : NULL;
    if ((s->formula && !m->formula) || (s->response && !m->response)) ok = 0;
    m->rows = lmm__dup_ints(s->rows, (size_t)n);
    m->y = lmm__dup_doubles(s->y, (size_t)n);
    if (s->weights && (!(m->weights = lmm__dup_doubles(s->weights, (size_t)n)) || !(m->sqrtw_ = lmm__dup_doubles(s->sqrtw_, (size_t)n)))) ok = 0;
    if (s->offset && !(m->offset = lmm__dup_doubles(s->offset, (size_t)n))) ok = 0;
    m->ldw_ = s->ldw_; m->offset_vector_ = s->offset_vector_;
    if (s->weights_label && !(m->weights_label = lmm__strdup(s->weights_label))) ok = 0;
    if (s->offset_label && !(m->offset_label = lmm__strdup(s->offset_label))) ok = 0;
    m->aliased = lmm__dup_strv(s->aliased, s->n_aliased, &ok);
    m->theta_lower = lmm__dup_doubles(s->theta_lower, (size_t)s->ntheta);
    m->theta_names = lmm__dup_strv(s->theta_names, s->ntheta, &ok);
    m->X = LMM__ZNEW(lmm_matrix, 1);
    m->terms = LMM__ZNEW(lmm_reterm, s->nterms ? s->nterms : 1);
    if (!m->rows || !m->y || !m->theta_lower || !m->X || !m->terms) ok = 0;
    if (ok) {
        const lmm_matrix *X = s->X;
        m->X->nrow = X->nrow; m->X->ncol = X->ncol; m->X->nterms = X->nterms;
        m->X->v = lmm__dup_doubles(X->v, (size_t)X->nrow * X->ncol);
        m->X->colnames = lmm__dup_strv(X->colnames, X->ncol, &ok);
        m->X->assign = X->assign ? lmm__dup_ints(X->assign, (size_t)X->ncol) : NULL;
        m->X->terms = lmm__dup_strv(X->terms, X->nterms, &ok);
        if (!m->X->v || (X->assign && !m->X->assign)) ok = 0;
    }
    for (k = 0; ok && k < s->nterms; k++) {
        const lmm_reterm *a = &s->terms[k];
        lmm_reterm *t = &m->terms[k];
        *t = *a;
        t->group = NULL; t->vc_name = NULL; t->levels = NULL; t->colnames = NULL; t->codes = NULL; t->z = NULL;
        t->group = a->group ? lmm__strdup(a->group) : NULL;
        t->vc_name = a->vc_name ? lmm__strdup(a->vc_name) : NULL;
        t->levels = lmm__dup_strv(a->levels, a->nlevels, &ok);
        t->colnames = lmm__dup_strv(a->colnames, a->ncol, &ok);
        t->codes = lmm__dup_ints(a->codes, (size_t)n);
        t->z = lmm__dup_doubles(a->z, (size_t)n * a->ncol);
        if ((a->group && !t->group) || (a->vc_name && !t->vc_name) || !t->codes || !t->z) ok = 0;
    }
    if (!ok) { lmm_model_free(m); return lmm__nomem(err); }
    m->factor_kind_ = s->factor_kind_;
    /* the source's factor path too (class, sparse): a replicate's evaluation costs what the fit's did */
    if ((st = lmm__blocks_setup(m, err)) != LMM_OK || (st = lmm_model_set_response(m, m->y, err)) != LMM_OK) {
        lmm_model_free(m);
        return st;
    }
    *out = m;
    return LMM_OK;
}

LMM_API lmm_status lmm_fit_clone(const lmm_fit *fit, lmm_fit **out, lmm_error *err)
{
    lmm_model *m = NULL;
    lmm_fit *c = NULL;
    lmm_status st;
    int p, q, n;
    if (!out) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_clone: NULL argument");
    *out = NULL;
    if (!fit) return lmm__fail(err, LMM_ERR_ARG, "lmm_fit_clone: NULL argument");
    if ((st = lmm__model_clone(fit->model, &m, err)) != LMM_OK) return st;
    if ((st = lmm__fit_alloc(m, &c, err)) != LMM_OK) { lmm_model_free(m); return st; }
    c->owns_model = 1;
    p = fit->p; q = fit->q; n = fit->nobs;
    c->reml = fit->reml; c->criterion = fit->criterion; c->deviance = fit->deviance; c->loglik = fit->loglik;
    c->df = fit->df; c->aic = fit->aic; c->bic = fit->bic; c->sigma = fit->sigma; c->pwrss = fit->pwrss;
    memcpy(c->theta, fit->theta, (size_t)fit->ntheta * sizeof(double));
    memcpy(c->beta, fit->beta, (size_t)p * sizeof(double));
    memcpy(c->se, fit->se, (size_t)p * sizeof(double));
    memcpy(c->vcov, fit->vcov, (size_t)p * p * sizeof(double));
    memcpy(c->u, fit->u, (size_t)q * sizeof(double));
    memcpy(c->b, fit->b, (size_t)q * sizeof(double));
    memcpy(c->fitted, fit->fitted, (size_t)n * sizeof(double));
    memcpy(c->resid, fit->resid, (size_t)n * sizeof(double));
    memcpy(c->resid_quantiles, fit->resid_quantiles, sizeof c->resid_quantiles);
    if (fit->b_condsd && !(c->b_condsd = lmm__dup_doubles(fit->b_condsd, (size_t)q))) { lmm_fit_free(c); return lmm__nomem(err); }
    c->singular = fit->singular; c->converged = fit->converged; c->optimizer_code = fit->optimizer_code; c->nevals = fit->nevals;
    memcpy(c->warning, fit->warning, sizeof c->warning);
    c->optim_ = fit->optim_; c->condvar_ = fit->condvar_; c->convcheck_ = fit->convcheck_;
    *out = c;
    return LMM_OK;
}

/* ---- the bootstrap engine -------------------------------------------------- */

enum { LMM__BOOT_LRT = 0, LMM__BOOT_STAT = 1, LMM__BOOT_PRED = 2 };

typedef struct lmm__boot_ctx {
    int kind;
    const lmm_lm *null_lm;                /* LRT with an lm null */
    const lmm_fit *null_fit, *alt;        /* LRT */
    double *lm_qr, *lm_tau;               /* QR of null_lm->X, shared read-only */
    const lmm_fit *fit;                   /* bootMer / prediction: simulated from and refitted */
    int use_u;
    lmm_boot_statistic_fn statistic;
    void *user;
    int k;                                /* values per replicate */
    const double *x, *z;                  /* prediction row and term column values */
    int term, level;
    uint64_t seed;
} lmm__boot_ctx;

/* One thread's private, refittable copies and scratch. */
typedef struct lmm__boot_thread {
    lmm_fit *f1, *f0;                     /* alternative (or the fit), null lmer */
    double *y, *work;
} lmm__boot_thread;

static void lmm__boot_thread_free(lmm__boot_thread *th)
{
    lmm_fit_free(th->f1); lmm_fit_free(th->f0);
    LMM_FREE(th->y); LMM_FREE(th->work);
    memset(th, 0, sizeof *th);
}

static lmm_status lmm__boot_thread_init(const lmm__boot_ctx *cx, lmm__boot_thread *th, lmm_error *err)
{
    const lmm_fit *main_fit = cx->kind == LMM__BOOT_LRT ? cx->alt : cx->fit;
    int n = main_fit->nobs, q = main_fit->q;
    lmm_status st;
    memset(th, 0, sizeof *th);
    if (cx->null_fit && q < cx->null_fit->q) q = cx->null_fit->q;
    th->y = LMM__NEW(double, n);
    th->work = LMM__NEW(double, (size_t)n + q + 1);
    if (!th->y || !th->work) { lmm__boot_thread_free(th); return lmm__nomem(err); }
    if ((st = lmm_fit_clone(main_fit, &th->f1, err)) != LMM_OK ||
        (cx->null_fit && (st = lmm_fit_clone(cx->null_fit, &th->f0, err)) != LMM_OK)) {
        lmm__boot_thread_free(th);
        return st;
    }
    /* the LRT needs only the likelihoods; no replicate reports a convergence warning */
    if (cx->kind != LMM__BOOT_STAT) { th->f1->condvar_ = 0; if (th->f0) th->f0->condvar_ = 0; }
    if (cx->kind == LMM__BOOT_LRT) { th->f1->lean_ = 1; if (th->f0) th->f0->lean_ = 1; }
    th->f1->convcheck_ = 0;
    if (th->f0) th->f0->convcheck_ = 0;
    return LMM_OK;
}

/* ML log-likelihood of the lm null on y, from the shared QR of X (work: nobs). */
static double lmm__lm_loglik_refit(const lmm__boot_ctx *cx, const double *y, double *work)
{
    const lmm_lm *lm = cx->null_lm;
    int n = lm->nobs, p = lm->p, i;
    long double acc = 0;
    const double two_pi = 6.283185307179586476925286766559;
    double ldw = 0;
    if (lm->weights) for (i = 0; i < n; i++) { work[i] = y[i] * sqrt(lm->weights[i]); ldw += log(lm->weights[i]); }
    else memcpy(work, y, (size_t)n * sizeof(double));
    lmm_qr_qtv(n, p, cx->lm_qr, n, cx->lm_tau, work);
    for (i = p; i < n; i++) acc += (long double)work[i] * work[i];
    return 0.5 * (ldw - n * (log(two_pi) + 1 - log((double)n) + log((double)acc)));
}

/* Replicate b: everything it draws comes from stream (seed, b). */
static void lmm__boot_one(const lmm__boot_ctx *cx, lmm__boot_thread *th, int b, double *out)
{
    lmm_rng rng;
    int j;
    lmm_rng_seed_stream(&rng, cx->seed, (uint64_t)b);
    if (cx->kind == LMM__BOOT_LRT) {
        double ll0;
        if (cx->null_lm) lmm_lm_simulate(cx->null_lm, &rng, th->y);
        else lmm__simulate_into(cx->null_fit, &rng, 0, th->y, th->work);
        if (cx->null_lm) ll0 = lmm__lm_loglik_refit(cx, th->y, th->work);
        else ll0 = lmm_fit_refit(th->f0, th->y, cx->null_fit->theta, NULL) == LMM_OK ? th->f0->loglik : NAN;
        if (lmm_fit_refit(th->f1, th->y, cx->alt->theta, NULL) != LMM_OK) out[0] = NAN;
        else out[0] = 2 * (th->f1->loglik - ll0);
        return;
    }
    lmm__simulate_into(cx->fit, &rng, cx->use_u, th->y, th->work);
    if (lmm_fit_refit(th->f1, th->y, cx->fit->theta, NULL) != LMM_OK) {
        for (j = 0; j < cx->k; j++) out[j] = NAN;
        return;
    }
    if (cx->kind == LMM__BOOT_STAT) { cx->statistic(th->f1, cx->user, out); return; }
    {   /* prediction: x'beta* + group part + residual noise */
        const lmm_fit *f = th->f1;
        const lmm_reterm *t = &f->model->terms[cx->term];
        int pk = t->ncol, a, c;
        double pred = 0, e;
        for (a = 0; a < f->p; a++) pred += (cx->x ? cx->x[a] : f->model->X->v[(size_t)a * f->nobs]) * f->beta[a];
        if (cx->level < 0) {
            double T[32 * 32], w[32];
            lmm__sim_template(cx->fit, cx->term, T);
            for (c = 0; c < pk; c++) w[c] = cx->fit->sigma * lmm_rng_normal(&rng);
            for (a = 0; a < pk; a++) {
                double g = 0;
                for (c = 0; c <= a; c++) g += T[a + c * pk] * w[c];
                pred += (cx->z ? cx->z[a] : (a == 0 ? 1.0 : 0.0)) * g;
            }
        } else
            for (a = 0; a < pk; a++)
                pred += (cx->z ? cx->z[a] : (a == 0 ? 1.0 : 0.0)) * f->b[t->u_offset + cx->level * pk + a];
        e = lmm_rng_normal(&rng);
        out[0] = pred + cx->fit->sigma * e;
    }
}

/* lmm__team's callbacks: a thread's clones, one replicate, the clones freed. */
static void *lmm__boot_team_init(const void *ctx, lmm_status *st, lmm_error *err)
{
    lmm__boot_thread *th = LMM__NEW(lmm__boot_thread, 1);
    if (!th) { *st = lmm__nomem(err); return NULL; }
    if ((*st = lmm__boot_thread_init((const lmm__boot_ctx *)ctx, th, err)) != LMM_OK) { LMM_FREE(th); return NULL; }
    return th;
}

static void lmm__boot_team_one(const void *ctx, void *state, int b, double *out)
{
    lmm__boot_one((const lmm__boot_ctx *)ctx, (lmm__boot_thread *)state, b, out);
}

static void lmm__boot_team_free(void *state)
{
    lmm__boot_thread_free((lmm__boot_thread *)state);
    LMM_FREE(state);
}

static double lmm__wall_seconds(void)
{
#if defined(CLOCK_MONOTONIC)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
#ifdef _OPENMP
    return omp_get_wtime();
#else
    return (double)clock() / CLOCKS_PER_SEC;   /* processor time: wall time for a serial run */
#endif
}

/* Run cx's replicates into out on the team; elapsed: their wall seconds. */
static lmm_status lmm__boot_run(lmm__boot_ctx *cx, int nsim, double *out, const lmm_boot_options *opt,
                                lmm__team *team, double *elapsed, lmm_error *err)
{
    double t0 = lmm__wall_seconds();
    lmm_status st;
    memset(team, 0, sizeof *team);
    team->ctx = cx; team->init = lmm__boot_team_init; team->one = lmm__boot_team_one;
    team->fini = lmm__boot_team_free; team->k = cx->k; team->out = out;
    st = lmm__team_run(team, nsim, opt, err);
    *elapsed = lmm__wall_seconds() - t0;
    return st;
}

/* ---- LRT bootstrap ----------------------------------------------------------- */

LMM_API void lmm_boot_summarize(lmm_boot_result *res)
{
    lmm__boot_tally(res);
}

LMM_API void lmm_boot_result_free(lmm_boot_result *res)
{
    if (!res) return;
    LMM_FREE(res->stats);
    res->stats = NULL;
}

LMM_API lmm_status lmm_boot_lrt(const lmm_lm *null_lm, const lmm_fit *null_fit, const lmm_fit *alt,
                                int nsim, uint64_t seed, const lmm_boot_options *opt,
                                lmm_boot_result *res, lmm_error *err)
{
    lmm__boot_ctx cx;
    lmm__team team;
    lmm_status st;
    double elapsed = 0, ll0;
    int n, first, last;
    if (!res) return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_lrt: NULL result");
    memset(res, 0, sizeof *res);
    if (!alt || (!null_lm) == (!null_fit))
        return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_lrt: give an alternative fit and exactly one null model (lm or lmer)");
    if (alt->reml || (null_fit && null_fit->reml))
        return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_lrt: the mixed models must be fitted by maximum likelihood (ml = 1)");
    n = null_lm ? null_lm->nobs : null_fit->nobs;
    if (n != alt->nobs)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_lrt: the null model has %d observations, the alternative %d", n, alt->nobs);
    if (lmm__team_range(nsim, opt, &first, &last, err)) return LMM_ERR_ARG;
    memset(&cx, 0, sizeof cx);
    cx.kind = LMM__BOOT_LRT; cx.null_lm = null_lm; cx.null_fit = null_fit; cx.alt = alt;
    cx.seed = seed; cx.k = 1;
    if (null_lm) {
        int p = null_lm->p;
        cx.lm_qr = lmm__dup_doubles(null_lm->X->v, (size_t)n * p);
        cx.lm_tau = LMM__NEW(double, p ? p : 1);
        if (!cx.lm_qr || !cx.lm_tau) { LMM_FREE(cx.lm_qr); LMM_FREE(cx.lm_tau); return lmm__nomem(err); }
        if (null_lm->weights) {   /* weighted least squares: the QR of sqrt(w) X */
            int i, j;
            for (j = 0; j < p; j++) for (i = 0; i < n; i++) cx.lm_qr[(size_t)j * n + i] *= sqrt(null_lm->weights[i]);
        }
        if (p) lmm_qr(n, p, cx.lm_qr, n, cx.lm_tau);
        ll0 = null_lm->loglik;
    } else ll0 = null_fit->loglik;
    res->nsim = nsim; res->seed = seed;
    res->observed = 2 * (alt->loglik - ll0);
    if (!(res->stats = LMM__NEW(double, last - first))) {
        LMM_FREE(cx.lm_qr); LMM_FREE(cx.lm_tau);
        return lmm__nomem(err);
    }
    st = lmm__boot_run(&cx, nsim, res->stats, opt, &team, &elapsed, err);
    LMM_FREE(cx.lm_qr); LMM_FREE(cx.lm_tau);
    if (st != LMM_OK) { lmm_boot_result_free(res); return st; }
    res->first = team.first; res->last = team.last;
    res->threads = team.threads; res->elapsed_s = elapsed;
    lmm_boot_summarize(res);
    return LMM_OK;
}

LMM_API lmm_status lmm_boot_merge(const lmm_boot_result *shards, int nshards, lmm_boot_result *out, lmm_error *err)
{
    int s, covered = 0, nsim;
    if (!out) return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_merge: NULL output");
    memset(out, 0, sizeof *out);
    if (!shards || nshards < 1) return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_merge: no shards");
    nsim = shards[0].nsim;
    for (s = 0; s < nshards; s++) {
        const lmm_boot_result *r = &shards[s];
        if (r->nsim != nsim || r->seed != shards[0].seed || !(r->observed == shards[0].observed))
            return lmm__fail(err, LMM_ERR_ARG, "shard %d comes from another run (nsim, seed or observed statistic differ)", s + 1);
        if (r->first < 0 || r->last > nsim || r->first >= r->last || !r->stats)
            return lmm__fail(err, LMM_ERR_ARG, "shard %d has an invalid replicate range [%d, %d)", s + 1, r->first, r->last);
        covered += r->last - r->first;
    }
    /* ranges inside [0, nsim) whose lengths sum to nsim cover it exactly iff none overlap */
    for (s = 0; s < nshards; s++) {
        int t;
        for (t = s + 1; t < nshards; t++)
            if (shards[s].first < shards[t].last && shards[t].first < shards[s].last)
                return lmm__fail(err, LMM_ERR_ARG, "shards %d and %d overlap", s + 1, t + 1);
    }
    if (covered != nsim) return lmm__fail(err, LMM_ERR_ARG, "the shards hold %d of %d replicates", covered, nsim);
    if (!(out->stats = LMM__NEW(double, nsim))) return lmm__nomem(err);
    out->nsim = nsim; out->seed = shards[0].seed; out->first = 0; out->last = nsim;
    out->observed = shards[0].observed;
    for (s = 0; s < nshards; s++) {
        const lmm_boot_result *r = &shards[s];
        memcpy(out->stats + r->first, r->stats, (size_t)(r->last - r->first) * sizeof(double));
        out->elapsed_s += r->elapsed_s;
        if (r->threads > out->threads) out->threads = r->threads;
    }
    lmm_boot_summarize(out);
    return LMM_OK;
}

/* ---- bootMer and quantiles --------------------------------------------------- */

LMM_API lmm_status lmm_bootmer(const lmm_fit *fit, int nsim, uint64_t seed, int use_u,
                               lmm_boot_statistic_fn statistic, int k, void *user, double *out,
                               const lmm_boot_options *opt, lmm_error *err)
{
    lmm__boot_ctx cx;
    lmm__team team;
    double elapsed;
    if (!fit || !statistic || !out || k < 1) return lmm__fail(err, LMM_ERR_ARG, "lmm_bootmer: NULL argument or k < 1");
    memset(&cx, 0, sizeof cx);
    cx.kind = LMM__BOOT_STAT; cx.fit = fit; cx.use_u = use_u; cx.statistic = statistic;
    cx.user = user; cx.k = k; cx.seed = seed;
    return lmm__boot_run(&cx, nsim, out, opt, &team, &elapsed, err);
}

LMM_API lmm_status lmm_quantiles(const double *x, int n, int stride, const double *probs, int nprobs,
                                 double *q, lmm_error *err)
{
    double *s;
    int i, m = 0;
    if (!x || !probs || !q || n < 0 || nprobs < 0 || stride < 1) return lmm__fail(err, LMM_ERR_ARG, "lmm_quantiles: bad argument");
    for (i = 0; i < nprobs; i++)
        if (!(probs[i] >= 0 && probs[i] <= 1)) return lmm__fail(err, LMM_ERR_ARG, "probability %g is outside [0, 1]", probs[i]);
    if (!(s = LMM__NEW(double, n ? n : 1))) return lmm__nomem(err);
    for (i = 0; i < n; i++) {
        double v = x[(size_t)i * stride];
        if (!isnan(v)) s[m++] = v;
    }
    qsort(s, (size_t)m, sizeof *s, lmm__cmp_double);
    for (i = 0; i < nprobs; i++) q[i] = m ? lmm__quantile7(s, m, probs[i]) : NAN;
    LMM_FREE(s);
    return LMM_OK;
}

/* ---- confint ------------------------------------------------------------------- */
/* lme4's confint.merMod. The variance parameters are lme4's: per term, theta's order with
   standard deviations on the diagonal and correlations below it, then sigma. profile
   follows profile.merMod: the ML refit's deviance, profiled over (sd/cor, sigma) with
   beta profiled out for a variance parameter, and over theta with beta_j fixed (the
   other coefficients profiled out) for a fixed effect; each limit is the root of
   zeta = -/+ z found by secant steps and Brent's method instead of lme4's spline. */

/* Position of template entry (i, j), i >= j, in a term's theta block (column-major lower). */
static int lmm__tri_index(int nc, int i, int j)
{
    return j * nc - j * (j - 1) / 2 + (i - j);
}

/* lme4's Cv_to_Sv: the standard deviations and correlations (theta's order) at theta, sigma. */
static void lmm__theta_to_sdcor(const lmm_model *m, const double *theta, double sigma, double *sdcor)
{
    int k, i, j, c;
    for (k = 0; k < m->nterms; k++) {
        int nc = m->terms[k].ncol, o = m->terms[k].theta_offset;
        double sd[32];
        const double *th = theta + o;
        for (i = 0; i < nc; i++) {
            double s = 0;
            for (c = 0; c <= i; c++) s += th[lmm__tri_index(nc, i, c)] * th[lmm__tri_index(nc, i, c)];
            sd[i] = sqrt(s);
        }
        for (j = 0; j < nc; j++)
            for (i = j; i < nc; i++) {
                double dot = 0;
                if (i == j) { sdcor[o + lmm__tri_index(nc, i, j)] = sigma * sd[i]; continue; }
                for (c = 0; c <= j; c++) dot += th[lmm__tri_index(nc, i, c)] * th[lmm__tri_index(nc, j, c)];
                sdcor[o + lmm__tri_index(nc, i, j)] = sd[i] > 0 && sd[j] > 0 ? dot / (sd[i] * sd[j]) : 0.0;
            }
    }
}

/* lme4's Sv_to_Cv: theta at (sdcor, sigma), each term's T = diag(sd) chol(C) / sigma with a
   Cholesky that lets a pivot reach 0 (correlations of -1 or 1). 1 when C is not one. */
static int lmm__sdcor_to_theta(const lmm_model *m, const double *sdcor, double sigma, double *theta)
{
    int k, i, j, c;
    for (k = 0; k < m->nterms; k++) {
        int nc = m->terms[k].ncol, o = m->terms[k].theta_offset;
        double L[32 * 32];
        const double *sv = sdcor + o;
        for (j = 0; j < nc; j++) {
            double d = 1;
            for (c = 0; c < j; c++) d -= L[j + c * nc] * L[j + c * nc];
            if (d < -1e-10) return 1;
            L[j + j * nc] = d > 0 ? sqrt(d) : 0.0;
            for (i = j + 1; i < nc; i++) {
                double s = sv[lmm__tri_index(nc, i, j)];
                for (c = 0; c < j; c++) s -= L[i + c * nc] * L[j + c * nc];
                if (L[j + j * nc] > 0) L[i + j * nc] = s / L[j + j * nc];
                else if (fabs(s) > 1e-10) return 1;
                else L[i + j * nc] = 0;
            }
        }
        for (j = 0; j < nc; j++)
            for (i = j; i < nc; i++) {
                double sd = sv[lmm__tri_index(nc, i, i)];
                if (!(sd >= 0)) return 1;
                theta[o + lmm__tri_index(nc, i, j)] = sd * L[i + j * nc] / sigma;
            }
    }
    return 0;
}

/* One profile in progress: the fixed parameter and the optimizer's scratch. */
typedef struct lmm__prof {
    lmm_model *m;
    int nth, p;
    int w;                    /* variance parameter held fixed (nth: sigma), -1 for a fixed effect */
    int j;                    /* ... the fixed effect held at fw */
    double fw;
    double base, sig0;        /* ML deviance at the optimum; its sigma, the unit of sds and sigma */
    char *is_sd;              /* nth: a standard deviation (else a correlation) */
    double *theta, *sdcor, *beta, *unscaled, *lo, *hi, *x, *xtry, *work;
} lmm__prof;

/* ML deviance at (sd/cor, sigma) in the optimizer's units (lme4's devfun2): beta profiled out. */
static double lmm__prof_dev_var(const double *x, void *ctx)
{
    lmm__prof *P = (lmm__prof *)ctx;
    lmm_model *m = P->m;
    const double two_pi = 6.283185307179586476925286766559;
    double sigma = x[P->nth] * P->sig0, ldL2, ldRX2, pwrss, c;
    int i;
    for (i = 0; i < P->nth; i++) P->sdcor[i] = P->is_sd[i] ? x[i] * P->sig0 : x[i];
    if (!(sigma > 0) || lmm__sdcor_to_theta(m, P->sdcor, sigma, P->theta)) return HUGE_VAL;
    if (lmm__factor_at(m, P->theta, 0) != 0) return HUGE_VAL;
    lmm__factor_summary(m, m->blk_->path == LMM__PATH_SPARSE, &ldL2, &ldRX2, &pwrss);
    c = ldL2 + pwrss / (sigma * sigma) + m->nobs * log(two_pi * sigma * sigma);
    return m->sqrtw_ ? c - m->ldw_ : c;
}

/* ML deviance at theta with beta_j = fw: the penalised RSS grows by (fw - beta_j)^2 / [(R_X'R_X)^-1]_jj. */
static double lmm__prof_dev_beta(const double *theta, void *ctx)
{
    lmm__prof *P = (lmm__prof *)ctx;
    double d[3], bj, u, pw;
    if (lmm__pieces_at(P->m, theta, d, P->beta, P->unscaled)) return HUGE_VAL;
    bj = P->beta[P->j] + P->m->blk_->beta0[P->j];
    u = P->unscaled[(size_t)P->j * (P->p + 1)];
    pw = d[2] + (P->fw - bj) * (P->fw - bj) / u;
    if (!(pw > 0)) return HUGE_VAL;
    return lmm__criterion(P->m, d[0], d[1], pw, 0);
}

/* |zeta| at parameter value v: the deviance minimised with the parameter held at v, from
   (and, when finite, into) the warm start P->x. *dev gets the minimum. */
static double lmm__prof_zeta(lmm__prof *P, double v, double *dev)
{
    lmm_optim_options oo;
    lmm_optim_result res;
    int n = P->w >= 0 ? P->nth + 1 : P->nth;
    memset(&oo, 0, sizeof oo);
    oo.rho_end = 1e-8;
    memcpy(P->xtry, P->x, (size_t)n * sizeof(double));
    if (P->w >= 0) {
        double xv = P->w == P->nth || P->is_sd[P->w] ? v / P->sig0 : v;
        P->xtry[P->w] = P->lo[P->w] = P->hi[P->w] = xv;
        if (lmm_minimize(n, P->xtry, P->lo, P->hi, lmm__prof_dev_var, P, &oo, P->work, &res, NULL) != LMM_OK) res.fmin = HUGE_VAL;
    } else {
        P->fw = v;
        if (lmm_minimize(n, P->xtry, P->lo, NULL, lmm__prof_dev_beta, P, &oo, P->work, &res, NULL) != LMM_OK) res.fmin = HUGE_VAL;
    }
    *dev = res.fmin;
    if (!isfinite(res.fmin)) return NAN;
    memcpy(P->x, P->xtry, (size_t)n * sizeof(double));
    return sqrt(res.fmin > P->base ? res.fmin - P->base : 0.0);
}

/* One limit (dir -1: lower, +1: upper) of the parameter at estimate xhat: the root of
   |zeta| = z beyond xhat, or the bound when |zeta| stays below z up to it (lme4's lower /
   upper), NAN when no root is found. h0: first step. P->x holds the optimum's warm start. */
static double lmm__prof_side(lmm__prof *P, double xhat, double h0, double bound, double z, int dir)
{
    double xa = xhat, za = 0, xb = 0, zb = 0, step = h0, dev, x, zx;
    int it, bracketed = 0;
    for (it = 0; it < 60 && !bracketed; it++) {
        x = xa + dir * step;
        if (dir * (x - bound) >= 0) x = bound;
        zx = lmm__prof_zeta(P, x, &dev);
        if (!isfinite(zx)) { step /= 4; if (step < 1e-12 * (fabs(xa) + 1)) return NAN; continue; }
        if (zx >= z) { xb = x; zb = zx; bracketed = 1; break; }
        if (x == bound) return bound;
        {   /* secant toward z, 2% past it, at most ten times the last step */
            double slope = (zx - za) / fabs(x - xa), next;
            next = slope > 0 ? 1.02 * (z - zx) / slope : 2 * fabs(x - xa);
            if (next > 10 * fabs(x - xa)) next = 10 * fabs(x - xa);
            xa = x; za = zx; step = next;
        }
    }
    if (!bracketed) return NAN;
    {   /* Brent's method on g = |zeta| - z: g(xa) < 0 <= g(xb) */
        double a = xa, b = xb, fa = za - z, fb = zb - z, c = a, fc = fa, d = b - a, e = d;
        for (it = 0; it < 100; it++) {
            double tol, mid, s;
            if ((fb > 0) == (fc > 0)) { c = a; fc = fa; d = e = b - a; }
            if (fabs(fc) < fabs(fb)) { a = b; b = c; c = a; fa = fb; fb = fc; fc = fa; }
            tol = 2e-15 * fabs(b) + 1e-13 * (fabs(xhat) + h0);
            mid = 0.5 * (c - b);
            if (fabs(fb) < 1e-10 || fabs(mid) <= tol) return b;
            if (fabs(e) >= tol && fabs(fa) > fabs(fb)) {   /* interpolate: secant or inverse quadratic */
                double pp, qq, r, sa = fb / fa;
                if (a == c) { pp = 2 * mid * sa; qq = 1 - sa; }
                else {
                    double qa = fa / fc;
                    r = fb / fc;
                    pp = sa * (2 * mid * qa * (qa - r) - (b - a) * (r - 1));
                    qq = (qa - 1) * (r - 1) * (sa - 1);
                }
                if (pp > 0) qq = -qq; else pp = -pp;
                if (2 * pp < fmin(3 * mid * qq - fabs(tol * qq), fabs(e * qq))) { e = d; d = pp / qq; }
                else { d = mid; e = d; }
            } else { d = mid; e = d; }
            a = b; fa = fb;
            b += fabs(d) > tol ? d : (mid > 0 ? tol : -tol);
            s = lmm__prof_zeta(P, b, &dev);
            if (!isfinite(s)) return NAN;
            fb = s - z;
        }
        return b;
    }
}

static void lmm__prof_free(lmm__prof *P)
{
    LMM_FREE(P->is_sd); LMM_FREE(P->theta); LMM_FREE(P->sdcor); LMM_FREE(P->beta); LMM_FREE(P->unscaled);
    LMM_FREE(P->lo); LMM_FREE(P->hi); LMM_FREE(P->x); LMM_FREE(P->xtry); LMM_FREE(P->work);
}

static lmm_status lmm__prof_init(lmm__prof *P, lmm_model *m, lmm_error *err)
{
    int nth = m->ntheta, p = m->X->ncol, k, i, j;
    size_t nw = lmm_minimize_worksize(nth + 1, LMM_OPT_BOBYQA);
    memset(P, 0, sizeof *P);
    P->m = m; P->nth = nth; P->p = p;
    P->is_sd = (char *)lmm__calloc((size_t)nth + 1, 1);
    P->theta = LMM__NEW(double, nth + 1); P->sdcor = LMM__NEW(double, nth + 1);
    P->beta = LMM__NEW(double, p + 1); P->unscaled = LMM__NEW(double, (size_t)p * p + 1);
    P->lo = LMM__NEW(double, nth + 1); P->hi = LMM__NEW(double, nth + 1);
    P->x = LMM__NEW(double, nth + 1); P->xtry = LMM__NEW(double, nth + 1);
    P->work = LMM__NEW(double, nw);
    if (!P->is_sd || !P->theta || !P->sdcor || !P->beta || !P->unscaled || !P->lo || !P->hi || !P->x || !P->xtry || !P->work) {
        lmm__prof_free(P);
        return lmm__nomem(err);
    }
    for (k = 0; k < m->nterms; k++)
        for (j = 0; j < m->terms[k].ncol; j++)
            for (i = j; i < m->terms[k].ncol; i++)
                P->is_sd[m->terms[k].theta_offset + lmm__tri_index(m->terms[k].ncol, i, j)] = i == j;
    return LMM_OK;
}

/* Both limits of parameter `par` (0..nth-1: sd/cor, nth: sigma, nth + 1 + j: beta_j) at the ML
   optimum (theta0, sdcor0 with sigma last, beta0, se0). */
static void lmm__prof_param(lmm__prof *P, int par, const double *theta0, const double *sdcor0, const double *beta0,
                            const double *se0, double z, double *lower, double *upper)
{
    const lmm_model *m = P->m;
    int nth = P->nth, i, side;
    double xhat, h0, lo, hi;
    for (side = 0; side < 2; side++) {
        int dir = side ? 1 : -1;
        double *res = side ? upper : lower;
        if (par <= nth) {   /* a variance parameter: start at the optimum in the optimizer's units */
            int term = 0, k;
            P->w = par; P->j = -1;
            for (i = 0; i <= nth; i++) {
                int sd = i == nth || P->is_sd[i];
                P->x[i] = sd ? sdcor0[i] / P->sig0 : sdcor0[i];
                P->lo[i] = sd ? 0.0 : -1.0;
                P->hi[i] = sd ? HUGE_VAL : 1.0;
            }
            for (k = 0; k < m->nterms; k++)
                if (par < nth && par >= m->terms[k].theta_offset) term = k;
            xhat = sdcor0[par];
            if (par == nth) { h0 = z * xhat / sqrt(2.0 * m->nobs); lo = 0; hi = HUGE_VAL; }
            else if (P->is_sd[par]) {
                h0 = z * (xhat > 0 ? xhat : 0.1 * P->sig0) / sqrt(2.0 * m->terms[term].nlevels);
                lo = 0; hi = HUGE_VAL;
            } else {
                h0 = z * (1 - xhat * xhat + 0.01) / sqrt((double)m->terms[term].nlevels);
                if (h0 > 0.5) h0 = 0.5;
                lo = -1; hi = 1;
            }
        } else {
            P->w = -1; P->j = par - nth - 1;
            memcpy(P->x, theta0, (size_t)nth * sizeof(double));
            for (i = 0; i < nth; i++) P->lo[i] = m->theta_lower[i];
            xhat = beta0[P->j];
            h0 = z * se0[P->j];
            lo = -HUGE_VAL; hi = HUGE_VAL;
        }
        if (!(h0 > 0)) h0 = 1e-3 * (fabs(xhat) + 1);
        if (xhat == (side ? hi : lo)) { *res = xhat; continue; }
        *res = lmm__prof_side(P, xhat, h0, side ? hi : lo, z, dir);
        if (isnan(*res) && (side ? hi : lo) == (side ? HUGE_VAL : -HUGE_VAL)) *res = side ? HUGE_VAL : -HUGE_VAL;
    }
}

/* boot: the variance parameters and fixed effects of a refit, as lme4's bootFun. */
static void lmm__confint_boot_stat(const lmm_fit *refit, void *user, double *out)
{
    (void)user;
    lmm__theta_to_sdcor(refit->model, refit->theta, refit->sigma, out);
    out[refit->ntheta] = refit->sigma;
    memcpy(out + refit->ntheta + 1, refit->beta, (size_t)refit->p * sizeof(double));
}

/* boot's norm.inter: the alpha quantile of sorted t[0..R) by normal-scale interpolation
   between order statistics (the percentile interval of boot.ci). */
static double lmm__norm_inter(const double *t, int R, double alpha)
{
    double rk = (R + 1) * alpha, q1, q2;
    int k = (int)rk;
    if (R < 1) return NAN;
    if ((double)k == rk && k >= 1) return t[k - 1];
    if (k == 0) return t[0];
    if (k >= R) return t[R - 1];
    q1 = lmm_qnorm((double)k / (R + 1), 0, 1, 1, 0);
    q2 = lmm_qnorm((double)(k + 1) / (R + 1), 0, 1, 1, 0);
    return t[k - 1] + (lmm_qnorm(alpha, 0, 1, 1, 0) - q1) / (q2 - q1) * (t[k] - t[k - 1]);
}

/* R's format(100 * a, digits = 3, trim = TRUE) of both tails jointly, then " %". */
static void lmm__perc_labels(double level, char (*cols)[24])
{
    double a[2];
    int i, rgt = 0;
    a[0] = 100 * ((1 - level) / 2);
    a[1] = 100 * (1 - (1 - level) / 2);
    for (i = 0; i < 2; i++) {
        char buf[32], *e;
        int last = 0, c, kp, nsig, r;
        snprintf(buf, sizeof buf, "%.2e", a[i]);
        e = strchr(buf, 'e');
        kp = atoi(e + 1);
        for (c = 0; buf + c < e; c++) if (buf[c] >= '1' && buf[c] <= '9') last = c;
        nsig = last <= 1 ? 1 : last;
        r = nsig - kp - 1;
        if (r > rgt) rgt = r;
    }
    for (i = 0; i < 2; i++) snprintf(cols[i], 24, "%.*f %%", rgt, a[i]);
}

/* Percentile limits of each column of a complete run's replicate table. */
static lmm_status lmm__confint_boot_limits(lmm_confint_result *r, lmm_error *err)
{
    double *col = LMM__NEW(double, r->nsim);
    int i, b;
    if (!col) return lmm__nomem(err);
    for (i = 0; i < r->n; i++) {
        int R = 0;
        for (b = 0; b < r->nsim; b++) {
            double v = r->replicates[(size_t)b * r->n + i];
            if (isfinite(v)) col[R++] = v;
        }
        qsort(col, (size_t)R, sizeof *col, lmm__cmp_double);
        r->lower[i] = lmm__norm_inter(col, R, (1 - r->level) / 2);
        r->upper[i] = lmm__norm_inter(col, R, (1 + r->level) / 2);
    }
    LMM_FREE(col);
    return LMM_OK;
}

LMM_API lmm_status lmm_confint_merge(lmm_confint_result *const *shards, int nshards, lmm_confint_result **out,
                                     lmm_error *err)
{
    const lmm_confint_result *s0;
    lmm_confint_result *r;
    int s, t, i, covered = 0;
    lmm_status st;
    if (out) *out = NULL;
    if (!out || !shards || nshards < 1 || !shards[0]) return lmm__fail(err, LMM_ERR_ARG, "lmm_confint_merge: no shards");
    s0 = shards[0];
    for (s = 0; s < nshards; s++) {
        const lmm_confint_result *x = shards[s];
        int same = x && x->method == LMM_CONFINT_BOOT && x->replicates && x->nsim == s0->nsim && x->seed == s0->seed &&
                   x->level == s0->level && x->n == s0->n;
        for (i = 0; same && i < x->n; i++) same = strcmp(x->names[i], s0->names[i]) == 0;
        if (!same) return lmm__fail(err, LMM_ERR_ARG, "shard %d comes from another run (method, nsim, seed, level or rows differ)", s + 1);
        for (t = 0; t < s; t++)
            if (shards[t]->first < x->last && x->first < shards[t]->last)
                return lmm__fail(err, LMM_ERR_ARG, "shards %d and %d overlap", t + 1, s + 1);
        covered += x->last - x->first;
    }
    if (covered != s0->nsim) return lmm__fail(err, LMM_ERR_ARG, "the shards hold %d of %d replicates", covered, s0->nsim);
    if (!(r = LMM__ZNEW(lmm_confint_result, 1))) return lmm__nomem(err);
    *r = *s0;
    r->names = NULL; r->estimate = r->lower = r->upper = r->replicates = NULL;
    r->first = 0; r->last = r->nsim; r->nvalid = 0;
    r->names = LMM__ZNEW(char *, r->n);
    r->estimate = LMM__NEW(double, r->n); r->lower = LMM__NEW(double, r->n); r->upper = LMM__NEW(double, r->n);
    r->replicates = LMM__NEW(double, (size_t)r->nsim * r->n);
    if (!r->names || !r->estimate || !r->lower || !r->upper || !r->replicates) { lmm_confint_free(r); return lmm__nomem(err); }
    for (i = 0; i < r->n; i++)
        if (!(r->names[i] = lmm__strdup(s0->names[i]))) { lmm_confint_free(r); return lmm__nomem(err); }
    memcpy(r->estimate, s0->estimate, (size_t)r->n * sizeof(double));
    for (s = 0; s < nshards; s++) {
        const lmm_confint_result *x = shards[s];
        memcpy(r->replicates + (size_t)x->first * r->n, x->replicates, (size_t)(x->last - x->first) * r->n * sizeof(double));
        r->nvalid += x->nvalid;
    }
    if ((st = lmm__confint_boot_limits(r, err)) != LMM_OK) { lmm_confint_free(r); return st; }
    *out = r;
    return LMM_OK;
}

LMM_API void lmm_confint_free(lmm_confint_result *r)
{
    int i;
    if (!r) return;
    if (r->names) for (i = 0; i < r->n; i++) LMM_FREE(r->names[i]);
    LMM_FREE(r->names); LMM_FREE(r->estimate); LMM_FREE(r->lower); LMM_FREE(r->upper); LMM_FREE(r->replicates);
    LMM_FREE(r);
}

/* The profile's shared inputs and its results, for the team of lmm__confint_profile. */
typedef struct lmm__prof_job {
    lmm_model *m;
    const lmm_fit *f;         /* the ML fit */
    const int *sel;
    int nsel;
    double z, *theta0, *sdcor0;
    lmm_confint_result *r;
    lmm_status status;        /* first setup failure */
    lmm_error err;
} lmm__prof_job;

/* Profile the parameters of job on model m (its own copy in a team). */
static void lmm__prof_some(lmm__prof_job *job, lmm_model *m, int parallel)
{
    lmm__prof P;
    lmm_error e;
    int j;
    lmm_status st = lmm__prof_init(&P, m, &e);
    if (st == LMM_OK) { P.base = job->f->deviance; P.sig0 = job->f->sigma > 0 ? job->f->sigma : 1; }
    else {
#ifdef _OPENMP
#pragma omp critical (lmm__prof_status)
#endif
        {
            if (job->status == LMM_OK) { job->status = st; job->err = e; }
        }
    }
    (void)parallel;
#ifdef _OPENMP
    if (parallel) {
#pragma omp for schedule(dynamic, 1)
        for (j = 0; j < job->nsel; j++)
            if (st == LMM_OK)
                lmm__prof_param(&P, job->sel[j], job->theta0, job->sdcor0, job->f->beta, job->f->se, job->z,
                                &job->r->lower[j], &job->r->upper[j]);
    } else
#endif
        for (j = 0; j < job->nsel && st == LMM_OK; j++)
            lmm__prof_param(&P, job->sel[j], job->theta0, job->sdcor0, job->f->beta, job->f->se, job->z,
                            &job->r->lower[j], &job->r->upper[j]);
    if (st == LMM_OK) lmm__prof_free(&P);
}

#ifdef _OPENMP
/* One thread of the team: a private copy of the model, then its share of the parameters. */
static void lmm__prof_team_member(lmm__prof_job *job)
{
    lmm_model *mc = NULL;
    lmm_error e;
    lmm_status st = lmm__model_clone(job->m, &mc, &e);
    if (st != LMM_OK) {
#pragma omp critical (lmm__prof_status)
        {
            if (job->status == LMM_OK) { job->status = st; job->err = e; }
        }
        mc = NULL;
    }
    /* a thread without a copy still takes part in the loop's barrier, profiling nothing */
    if (mc) lmm__prof_some(job, mc, 1);
    else {
        int j;
#pragma omp for schedule(dynamic, 1)
        for (j = 0; j < job->nsel; j++) (void)j;
    }
    lmm_model_free(mc);
}
#endif

/* Profile limits of the selected parameters around the ML fit f of m. threads != 1 in an
   OpenMP build spreads the parameters over a team, each thread on its own copy of the
   model; every profile starts from the optimum, so the limits do not depend on the split. */
static lmm_status lmm__confint_profile(lmm_model *m, const lmm_fit *f, const int *sel, int nsel, double z,
                                       int threads, lmm_confint_result *r, lmm_error *err)
{
    lmm__prof_job job;
    int nth = m->ntheta, i;
    memset(&job, 0, sizeof job);
    job.m = m; job.f = f; job.sel = sel; job.nsel = nsel; job.z = z; job.r = r;
    job.theta0 = LMM__NEW(double, nth + 1);
    job.sdcor0 = LMM__NEW(double, nth + 1);
    if (!job.theta0 || !job.sdcor0) { LMM_FREE(job.theta0); LMM_FREE(job.sdcor0); return lmm__nomem(err); }
    memcpy(job.theta0, f->theta, (size_t)nth * sizeof(double));
    lmm__theta_to_sdcor(m, job.theta0, f->sigma, job.sdcor0);
    job.sdcor0[nth] = f->sigma;
    for (i = 0; i < nsel; i++) r->estimate[i] = sel[i] <= nth ? job.sdcor0[sel[i]] : f->beta[sel[i] - nth - 1];
    (void)threads;
#ifdef _OPENMP
    if (threads != 1 && nsel > 1) {
        if (threads > 0) {
#pragma omp parallel num_threads(threads)
            lmm__prof_team_member(&job);
        } else {
#pragma omp parallel
            lmm__prof_team_member(&job);
        }
    } else
#endif
        lmm__prof_some(&job, m, 0);
    LMM_FREE(job.theta0); LMM_FREE(job.sdcor0);
    if (job.status != LMM_OK) {
        if (err) *err = job.err;
        return job.status;
    }
    return LMM_OK;
}

LMM_API lmm_status lmm_confint(const lmm_fit *fit, const lmm_confint_options *opt, lmm_confint_result **out,
                               lmm_error *err)
{
    lmm_confint_options o;
    lmm_confint_result *r;
    lmm_model *m;
    lmm_status st = LMM_OK;
    int nth, p, nall, i, nsel = 0, *sel = NULL;
    double z, level;
    if (out) *out = NULL;
    if (!fit || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_confint: NULL argument");
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    level = o.level == 0 ? 0.95 : o.level;
    if (!(level > 0 && level < 1)) return lmm__fail(err, LMM_ERR_ARG, "confidence level %g is not in (0, 1)", level);
    if (o.method != LMM_CONFINT_PROFILE && o.method != LMM_CONFINT_WALD && o.method != LMM_CONFINT_BOOT)
        return lmm__fail(err, LMM_ERR_ARG, "unknown confint method %d (profile, Wald or boot)", (int)o.method);
    if (o.method == LMM_CONFINT_BOOT && o.nsim < 0) return lmm__fail(err, LMM_ERR_ARG, "nsim must be positive (got %d)", o.nsim);
    m = fit->model;
    nth = fit->ntheta; p = fit->p; nall = nth + 1 + p;
    if (!(r = LMM__ZNEW(lmm_confint_result, 1)) || !(sel = LMM__NEW(int, nall))) { LMM_FREE(r); LMM_FREE(sel); return lmm__nomem(err); }
    for (i = 0; i < nall; i++) {
        char name[16];
        const char *nm = i < nth ? name : i == nth ? ".sigma" : m->X->colnames[i - nth - 1];
        int take;
        snprintf(name, sizeof name, ".sig%02d", i + 1);
        take = !o.parm || (!strcmp(o.parm, "theta_") && i <= nth) || (!strcmp(o.parm, "beta_") && i > nth) || !strcmp(o.parm, nm);
        if (take) sel[nsel++] = i;
    }
    if (nsel == 0) { st = lmm__fail(err, LMM_ERR_ARG, "no parameter '%s' (give a row name, \"theta_\" or \"beta_\")", o.parm); goto fail; }
    r->n = nsel; r->level = level; r->method = o.method;
    lmm__perc_labels(level, r->columns);
    r->names = LMM__ZNEW(char *, nsel);
    r->estimate = LMM__NEW(double, nsel); r->lower = LMM__NEW(double, nsel); r->upper = LMM__NEW(double, nsel);
    if (!r->names || !r->estimate || !r->lower || !r->upper) { st = lmm__nomem(err); goto fail; }
    for (i = 0; i < nsel; i++) {
        char name[16];
        int k = sel[i];
        snprintf(name, sizeof name, ".sig%02d", k + 1);
        if (!(r->names[i] = lmm__strdup(k < nth ? name : k == nth ? ".sigma" : m->X->colnames[k - nth - 1]))) { st = lmm__nomem(err); goto fail; }
        r->lower[i] = r->upper[i] = NAN;
    }
    z = lmm_qnorm((1 + level) / 2, 0, 1, 1, 0);
    if (o.method == LMM_CONFINT_WALD || o.method == LMM_CONFINT_BOOT) {
        double *est = LMM__NEW(double, nall);
        if (!est) { st = lmm__nomem(err); goto fail; }
        lmm__theta_to_sdcor(m, fit->theta, fit->sigma, est);
        est[nth] = fit->sigma;
        memcpy(est + nth + 1, fit->beta, (size_t)p * sizeof(double));
        for (i = 0; i < nsel; i++) r->estimate[i] = est[sel[i]];
        LMM_FREE(est);
    }
    if (o.method == LMM_CONFINT_WALD) {
        double qlo = lmm_qnorm((1 - level) / 2, 0, 1, 1, 0), qhi = lmm_qnorm(1 - (1 - level) / 2, 0, 1, 1, 0);
        for (i = 0; i < nsel; i++) {
            int j = sel[i] - nth - 1;
            if (j < 0) continue;
            r->lower[i] = fit->beta[j] + sqrt(fit->vcov[(size_t)j * (p + 1)]) * qlo;
            r->upper[i] = fit->beta[j] + sqrt(fit->vcov[(size_t)j * (p + 1)]) * qhi;
        }
    } else if (o.method == LMM_CONFINT_BOOT) {
        lmm_boot_options bo;
        int nsim = o.nsim ? o.nsim : 500, b, c, nrep;
        memset(&bo, 0, sizeof bo);
        bo.threads = o.threads; bo.first = o.first; bo.last = o.last;
        r->nsim = nsim; r->seed = o.seed;
        r->first = o.first; r->last = o.last > 0 ? o.last : nsim;
        if (r->first < 0 || r->first >= r->last || r->last > nsim) {
            st = lmm__fail(err, LMM_ERR_ARG, "replicate range [%d, %d) is not inside [0, %d)", r->first, r->last, nsim);
            goto fail;
        }
        nrep = r->last - r->first;
        if (!(r->replicates = LMM__NEW(double, (size_t)nrep * nall))) { st = lmm__nomem(err); goto fail; }
        if ((st = lmm_bootmer(fit, nsim, o.seed, 0, lmm__confint_boot_stat, nall, NULL, r->replicates, &bo, err)) != LMM_OK) goto fail;
        for (b = 0; b < nrep; b++) if (isfinite(r->replicates[(size_t)b * nall])) r->nvalid++;
        if (r->nvalid == 0) { st = lmm__fail(err, LMM_ERR_NUMERIC, "all %d bootstrap refits failed", nrep); goto fail; }
        if (nsel < nall)   /* keep the selected columns only */
            for (b = 0; b < nrep; b++)
                for (c = 0; c < nsel; c++) r->replicates[(size_t)b * nsel + c] = r->replicates[(size_t)b * nall + sel[c]];
        if (nrep == nsim && (st = lmm__confint_boot_limits(r, err)) != LMM_OK) goto fail;
    } else {
        /* on a copy of the model (the caller's is left alone), the same copy whatever the
           thread count, so that the limits do not depend on it */
        lmm_fit *ml = NULL;
        lmm_model *mc = NULL;
        const lmm_fit *f = fit;
        if ((st = lmm__model_clone(m, &mc, err)) != LMM_OK) goto fail;
        if (m->factor_kind_ != LMM_FACTOR_AUTO) st = lmm_model_set_factor(mc, m->factor_kind_, err);
        if (st == LMM_OK && fit->reml) {   /* lme4 profiles the ML refit (devfun2's refitML) */
            lmm_fit_options fo;
            memset(&fo, 0, sizeof fo);
            fo.ml = 1; fo.theta_start = fit->theta; fo.skip_condvar = 1; fo.skip_convcheck = 1; fo.optim = fit->optim_;
            if ((st = lmm_model_fit(mc, &fo, &ml, err)) == LMM_OK) f = ml;
        }
        if (st == LMM_OK) st = lmm__confint_profile(mc, f, sel, nsel, z, o.threads, r, err);
        lmm_fit_free(ml);
        lmm_model_free(mc);
        if (st != LMM_OK) goto fail;
    }
    LMM_FREE(sel);
    *out = r;
    return LMM_OK;
fail:
    LMM_FREE(sel);
    lmm_confint_free(r);
    return st;
}

/* ---- prediction ---------------------------------------------------------------- */

static int lmm__sim_var_in(const lmm_termlist *tl, int v)
{
    int t, k;
    for (t = 0; t < tl->nterms; t++)
        for (k = 0; k < tl->terms[t].nvars; k++) if (tl->terms[t].vars[k] == v) return 1;
    return 0;
}

/* Factor variable e (a factor column or factor(x)) on [training observations; newdata rows] into
   var, its codes in codes[]: newdata labels map to the levels the training rows use, and one they
   do not use is LMM_ERR_DATA. */
static lmm_status lmm__sim_factor_codes(const lmm_fit *fit, const lmm_expr *e, const char *label,
                                        const lmm_frame *train, const lmm_frame *nd, int *codes,
                                        lmm__var *var, lmm_error *err)
{
    const lmm_model *m = fit->model;
    lmm__var tv, nv;
    int ntr = m->nobs, nn = nd->nrow, i, j, l, *map = NULL;
    char *seen = NULL;
    lmm_status st;
    memset(&tv, 0, sizeof tv); memset(&nv, 0, sizeof nv);
    if ((st = lmm__factor_of_expr(e, train, &tv, err)) != LMM_OK) goto done;
    if ((st = lmm__factor_of_expr(e, nd, &nv, err)) != LMM_OK) goto done;
    map = LMM__NEW(int, nv.nlevels ? nv.nlevels : 1);
    seen = (char *)lmm__calloc((size_t)(tv.nlevels ? tv.nlevels : 1), 1);
    if (!map || !seen) { st = lmm__nomem(err); goto done; }
    for (i = 0; i < ntr; i++) { codes[i] = tv.codes[m->rows[i]]; seen[codes[i]] = 1; }
    for (j = 0; j < nv.nlevels; j++) {
        map[j] = -2;
        for (l = 0; l < tv.nlevels; l++)
            if (seen[l] && strcmp(tv.levels[l], nv.levels[j]) == 0) { map[j] = l; break; }
    }
    for (i = 0; i < nn; i++) {
        int c = nv.codes[i];
        if (c >= 0 && map[c] == -2) {
            st = lmm__fail(err, LMM_ERR_DATA, "level '%s' of factor '%s' (newdata row %d) is not in the training data",
                           nv.levels[c], label, i + 1);
            goto done;
        }
        codes[ntr + i] = c >= 0 ? map[c] : -1;
    }
    /* the var keeps the training levels (taken over when factor() made them) */
    var->is_factor = 1; var->codes = codes;
    var->levels = tv.levels; var->nlevels = tv.nlevels;
    var->own_levels = tv.own_levels; tv.own_levels = NULL;
done:
    LMM_FREE(map); LMM_FREE(seen);
    lmm__var_free(&tv); lmm__var_free(&nv);
    return st;
}

/* Evaluate the formula's variables (with_re: also the random terms' covariates) on [training
   observations; newdata rows] so that the model-matrix builder sees the training levels; new rows
   with missing values are left out. */
static lmm_status lmm__sim_combined_eval(const lmm_fit *fit, const lmm_formula *f, const lmm_frame *train,
                                         const lmm_frame *nd, int with_re, lmm__frame_eval *fe,
                                         int **owned_codes, lmm_error *err)
{
    const lmm_model *m = fit->model;
    int ntr = m->nobs, nn = nd->nrow, N = ntr + nn, v, i, r;
    double *tmp = NULL;
    memset(fe, 0, sizeof *fe);
    fe->nrow_frame = N;
    fe->vars = LMM__ZNEW(lmm__var, f->nvars ? f->nvars : 1);
    fe->rows = LMM__NEW(int, N);
    if (!fe->vars || !fe->rows) return lmm__nomem(err);
    fe->nvars = f->nvars;   /* only now: the free routine walks vars[0..nvars) */
    for (v = 0; v < f->nvars; v++) {
        const lmm_expr *e = f->vars[v].expr;
        lmm__var *var = &fe->vars[v];
        int used = v != f->response && lmm__sim_var_in(&f->fixed, v);
        for (r = 0; with_re && r < f->nre; r++) used |= v != f->response && lmm__sim_var_in(&f->re[r].lhs, v);
        if (!used) continue;
        if (e->op == LMM_EX_VAR) {
            int tc = lmm_frame_find(train, e->name), nc = lmm_frame_find(nd, e->name);
            if (tc < 0) return lmm__fail(err, LMM_ERR_ARG, "the training frame has no column '%s'", e->name);
            if (nc < 0) return lmm__fail(err, LMM_ERR_FORMULA, "newdata has no column '%s'", e->name);
        }
        if (lmm__is_factor_call(e) || (e->op == LMM_EX_VAR && train->cols[lmm_frame_find(train, e->name)].type == LMM_FACTOR)) {
            lmm_status st;
            if (!(owned_codes[v] = LMM__NEW(int, N))) return lmm__nomem(err);
            if ((st = lmm__sim_factor_codes(fit, e, f->vars[v].label, train, nd, owned_codes[v], var, err)) != LMM_OK) return st;
            continue;
        }
        {
            lmm_status st;
            int mx = train->nrow > nn ? train->nrow : nn, j, nc = lmm__expr_ncol(e);
            var->ncol = nc;
            var->num = LMM__NEW(double, (size_t)N * (size_t)nc);
            tmp = LMM__NEW(double, (size_t)(mx ? mx : 1) * (size_t)nc);
            if (!var->num || !tmp) { LMM_FREE(tmp); return lmm__nomem(err); }
            /* newdata through the training frame's scale() and poly() statistics (R's makepredictcall) */
            if ((st = lmm__var_eval(e, train, train, tmp, err)) != LMM_OK) { LMM_FREE(tmp); return st; }
            for (j = 0; j < nc; j++) for (i = 0; i < ntr; i++) var->num[(size_t)j * N + i] = tmp[(size_t)j * train->nrow + m->rows[i]];
            if ((st = lmm__var_eval(e, nd, train, tmp, err)) != LMM_OK) { LMM_FREE(tmp); return st; }
            for (j = 0; j < nc; j++) for (i = 0; i < nn; i++) var->num[(size_t)j * N + ntr + i] = tmp[(size_t)j * nn + i];
            LMM_FREE(tmp); tmp = NULL;
        }
    }
    for (i = 0; i < ntr; i++) fe->rows[fe->nobs++] = i;
    for (i = ntr; i < N; i++) {
        int ok = 1;
        for (v = 0; v < f->nvars && ok; v++) {
            const lmm__var *var = &fe->vars[v];
            if (var->is_factor) ok = var->codes[i] >= 0;
            else if (var->num) { int j; for (j = 0; j < var->ncol; j++) ok = ok && isfinite(var->num[(size_t)j * N + i]); }
        }
        if (ok) fe->rows[fe->nobs++] = i;
    }
    return LMM_OK;
}

/* Position of each of want's column names among have's (-1 if absent); returns the misses. */
static int lmm__sim_match_cols(const lmm_matrix *have, char *const *want, int nwant, int *pos)
{
    int j, c, miss = 0;
    for (j = 0; j < nwant; j++) {
        pos[j] = -1;
        for (c = 0; c < have->ncol; c++)
            if (have->colnames[c] && want[j] && strcmp(have->colnames[c], want[j]) == 0) { pos[j] = c; break; }
        if (pos[j] < 0) miss++;
    }
    return miss;
}

/* The rows to predict, evaluated once for the fit, the standard errors and the bootstrap:
   row i's fixed covariates x[i * p ...], offset, prior weight (for sigma^2 / w), and per term k
   its covariates z[i * zw + zcol[k] ...] and level[i * nterms + k] (-1: new or missing group,
   or not looked up at population level). ok[i]: the row is complete (else every output is NAN). */
typedef struct lmm__pred_rows {
    int n, p, nterms, zw, conditional, has_z;
    double *x, *off, *w, *z;
    int *zcol, *level;
    char *ok;
} lmm__pred_rows;

static void lmm__pred_rows_free(lmm__pred_rows *d)
{
    LMM_FREE(d->x); LMM_FREE(d->off); LMM_FREE(d->w); LMM_FREE(d->z);
    LMM_FREE(d->zcol); LMM_FREE(d->level); LMM_FREE(d->ok);
    memset(d, 0, sizeof *d);
}

static lmm_status lmm__pred_rows_alloc(const lmm_fit *fit, int n, lmm__pred_rows *d, lmm_error *err)
{
    const lmm_model *m = fit->model;
    int k, i;
    memset(d, 0, sizeof *d);
    d->n = n; d->p = fit->p; d->nterms = m->nterms;
    d->zcol = LMM__NEW(int, m->nterms + 1);
    if (!d->zcol) return lmm__nomem(err);
    for (k = 0; k < m->nterms; k++) { d->zcol[k] = d->zw; d->zw += m->terms[k].ncol; }
    d->x = LMM__ZNEW(double, (size_t)(n ? n : 1) * (d->p ? d->p : 1));
    d->off = LMM__ZNEW(double, n ? n : 1);
    d->w = LMM__NEW(double, n ? n : 1);
    d->z = LMM__ZNEW(double, (size_t)(n ? n : 1) * (d->zw ? d->zw : 1));
    d->level = LMM__NEW(int, (size_t)(n ? n : 1) * (m->nterms ? m->nterms : 1));
    d->ok = (char *)lmm__calloc((size_t)(n ? n : 1), 1);
    if (!d->x || !d->off || !d->w || !d->z || !d->level || !d->ok) { lmm__pred_rows_free(d); return lmm__nomem(err); }
    for (i = 0; i < n; i++) d->w[i] = 1;
    for (i = 0; i < n * m->nterms; i++) d->level[i] = -1;
    return LMM_OK;
}

/* The training observations themselves: every level known, the model's offset and weights. */
static lmm_status lmm__pred_rows_train(const lmm_fit *fit, int conditional, lmm__pred_rows *d, lmm_error *err)
{
    const lmm_model *m = fit->model;
    int n = m->nobs, i, a, k, c;
    lmm_status st = lmm__pred_rows_alloc(fit, n, d, err);
    if (st != LMM_OK) return st;
    d->conditional = conditional; d->has_z = 1;
    for (i = 0; i < n; i++) {
        d->ok[i] = 1;
        for (a = 0; a < d->p; a++) d->x[(size_t)i * d->p + a] = m->X->v[(size_t)a * n + i];
        if (m->offset) d->off[i] = m->offset[i];
        if (m->weights) d->w[i] = m->weights[i];
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            for (c = 0; c < t->ncol; c++) d->z[(size_t)i * d->zw + d->zcol[k] + c] = t->z[(size_t)c * n + i];
            d->level[(size_t)i * d->nterms + k] = t->codes[i];
        }
    }
    return LMM_OK;
}

/* newdata rows: X, offsets and weights; with need_z the terms' covariates, and with conditional
   the level of each known group (a new or missing group stays -1, lme4's allow.new.levels). */
static lmm_status lmm__pred_rows_new(const lmm_fit *fit, const lmm_frame *train, const lmm_frame *nd,
                                     int conditional, int need_z, const double *weights,
                                     lmm__pred_rows *d, lmm_error *err)
{
    const lmm_model *m = fit->model;
    lmm_formula *f = NULL;
    lmm__frame_eval fe;
    lmm_matrix *M = NULL;
    int **owned = NULL, *pos = NULL, ntr = m->nobs, nn = nd->nrow, i, j, r, v;
    int p = fit->p;
    lmm_model_options mo;
    lmm_status st;
    memset(&fe, 0, sizeof fe);
    lmm__model_options_resolve(NULL, &mo, NULL);
    if ((st = lmm__pred_rows_alloc(fit, nn, d, err)) != LMM_OK) return st;
    d->conditional = conditional; d->has_z = need_z || conditional;
    if ((st = lmm_formula_parse(m->formula, &f, err)) != LMM_OK) { lmm__pred_rows_free(d); return st; }
    owned = LMM__ZNEW(int *, f->nvars ? f->nvars : 1);
    pos = LMM__NEW(int, p + 33);
    if (!owned || !pos) { st = lmm__nomem(err); goto done; }
    if ((st = lmm__sim_combined_eval(fit, f, train, nd, d->has_z, &fe, owned, err)) != LMM_OK) goto done;
    /* fe.rows[ntr ...] are the complete newdata rows */
    /* the model does not record its contrasts: whichever reproduces its column names */
    for (;; mo.contrasts = LMM_CONTR_SUM) {
        if ((st = lmm__build_matrix(f, &f->fixed, &fe, &mo, &M, err)) != LMM_OK) goto done;
        if (lmm__sim_match_cols(M, m->X->colnames, p, pos) == 0) break;
        lmm_matrix_free(M); M = NULL;
        if (mo.contrasts == LMM_CONTR_SUM) { st = lmm__fail(err, LMM_ERR_DATA, "newdata does not reproduce the model's fixed-effects columns"); goto done; }
    }
    for (r = ntr; r < fe.nobs; r++) {
        i = fe.rows[r] - ntr;
        d->ok[i] = 1;
        for (j = 0; j < p; j++) d->x[(size_t)i * p + j] = M->v[(size_t)pos[j] * fe.nobs + r];
    }
    lmm_matrix_free(M); M = NULL;
    if (m->offset) {   /* the offset on newdata, as lme4's predict evaluates it */
        double *ov = LMM__NEW(double, nn + 1);
        int k, c;
        if (!ov) { st = lmm__nomem(err); goto done; }
        if (m->offset_vector_) st = lmm__fail(err, LMM_ERR_ARG, "the model's offset was given as a vector: new data needs an offset column or offset() in the formula");
        for (k = 0; k < f->noffset && st == LMM_OK; k++)
            if ((st = lmm_expr_eval(f->offsets[k], nd, ov, err)) == LMM_OK) for (i = 0; i < nn; i++) d->off[i] += ov[i];
        if (st == LMM_OK && m->offset_label) {
            if ((c = lmm_frame_find(nd, m->offset_label)) < 0 || nd->cols[c].type != LMM_NUMERIC)
                st = lmm__fail(err, LMM_ERR_DATA, "newdata has no numeric offset column '%s'", m->offset_label);
            else for (i = 0; i < nn; i++) d->off[i] += nd->cols[c].num[i];
        }
        LMM_FREE(ov);
        if (st != LMM_OK) goto done;
        for (i = 0; i < nn; i++) if (!isfinite(d->off[i])) d->ok[i] = 0;   /* a missing offset: an NA row */
    }
    if (weights) for (i = 0; i < nn; i++) d->w[i] = weights[i];
    else if (m->weights && m->weights_label) {   /* the weights column of newdata, when it has one */
        int c = lmm_frame_find(nd, m->weights_label);
        if (c >= 0 && nd->cols[c].type == LMM_NUMERIC) for (i = 0; i < nn; i++) d->w[i] = nd->cols[c].num[i];
    }
    if (!d->has_z) goto done;
    for (r = 0; r < f->nre; r++) {
        const lmm_reterm_spec *spec = &f->re[r];
        const lmm_reterm *t = NULL;
        lmm__var gv[16];
        int ng = 0, occ = 0, k, g, row, kt = -1;
        for (k = 0; k < r; k++) if (strcmp(f->re[k].group_label, spec->group_label) == 0) occ++;
        for (k = 0; k < m->nterms && !t; k++)
            if (strcmp(m->terms[k].group, spec->group_label) == 0 && occ-- == 0) { t = &m->terms[k]; kt = k; }
        if (!t || spec->ngroup > 16) { st = lmm__fail(err, LMM_ERR_DATA, "cannot match random-effects term '%s' to the model", spec->group_label); goto done; }
        /* newdata's group labels as R prints them (numbers and factor(x) alike) */
        for (g = 0; conditional && g < spec->ngroup && st == LMM_OK; g++) {
            const lmm_expr *e = f->vars[spec->group[g]].expr;
            if (lmm__expr_check(e, nd, NULL, NULL) != LMM_OK) { st = lmm__fail(err, LMM_ERR_FORMULA, "newdata has no column '%s' (grouping factor)", f->vars[spec->group[g]].label); break; }
            memset(&gv[g], 0, sizeof gv[g]);
            ng = g + 1;
            st = lmm__factor_of_expr(e, nd, &gv[g], err);
        }
        if (st == LMM_OK && (st = lmm__build_matrix(f, &spec->lhs, &fe, &mo, &M, err)) == LMM_OK &&
            lmm__sim_match_cols(M, t->colnames, t->ncol, pos) != 0)
            st = lmm__fail(err, LMM_ERR_DATA, "newdata does not reproduce the columns of the term for '%s'", t->group);
        for (row = ntr; st == LMM_OK && row < fe.nobs; row++) {
            int i_new = fe.rows[row] - ntr, level = -1, c;
            char label[512];
            size_t len = 0;
            for (c = 0; c < t->ncol; c++) d->z[(size_t)i_new * d->zw + d->zcol[kt] + c] = M->v[(size_t)pos[c] * fe.nobs + row];
            if (!conditional) continue;
            label[0] = 0;
            for (g = 0; g < spec->ngroup; g++) {
                const char *s = gv[g].codes[i_new] >= 0 ? gv[g].levels[gv[g].codes[i_new]] : NULL;
                if (!s || len + strlen(s) + 2 > sizeof label) { len = 0; label[0] = 0; break; }
                if (g) { strcat(label, ":"); len++; }
                strcat(label, s); len += strlen(s);
            }
            if (len == 0) continue;                 /* missing group: population level */
            for (j = 0; j < t->nlevels; j++) if (strcmp(t->levels[j], label) == 0) { level = j; break; }
            d->level[(size_t)i_new * d->nterms + kt] = level;   /* -1, a new level: population level */
        }
        for (g = 0; g < ng; g++) lmm__var_free(&gv[g]);
        lmm_matrix_free(M); M = NULL;
        if (st != LMM_OK) goto done;
    }
done:
    lmm_matrix_free(M);
    if (owned) for (v = 0; v < f->nvars; v++) LMM_FREE(owned[v]);
    LMM_FREE(owned); LMM_FREE(pos);
    lmm__frame_eval_free(&fe);
    lmm_formula_free(f);
    if (st != LMM_OK) lmm__pred_rows_free(d);
    return st;
}

/* Row i's prediction from coefficients beta and modes b (conditional: the known levels' z'b). */
static double lmm__pred_row_value(const lmm_fit *fit, const lmm__pred_rows *d, const double *beta, const double *b, int i)
{
    const lmm_model *m = fit->model;
    double s = d->off[i];
    int a, k, c;
    if (!d->ok[i]) return NAN;
    for (a = 0; a < d->p; a++) s += d->x[(size_t)i * d->p + a] * beta[a];
    for (k = 0; d->conditional && k < d->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        int l = d->level[(size_t)i * d->nterms + k];
        if (l < 0) continue;
        for (c = 0; c < t->ncol; c++) s += d->z[(size_t)i * d->zw + d->zcol[k] + c] * b[t->u_offset + l * t->ncol + c];
    }
    return s;
}

/* z' Sigma_k z / sigma^2 = |T_k' z|^2 of term k at row i: the variance of a new level's part. */
static double lmm__pred_newlevel_var(const lmm_fit *fit, const lmm__pred_rows *d, int k, int i)
{
    double T[32 * 32], s = 0;
    int pk = fit->model->terms[k].ncol, a, c;
    const double *z = d->z + (size_t)i * d->zw + d->zcol[k];
    lmm__sim_template(fit, k, T);
    for (c = 0; c < pk; c++) {
        double g = 0;
        for (a = c; a < pk; a++) g += T[a + c * pk] * z[a];
        s += g * g;
    }
    return s;
}

/* Largest q + p for the dense joint system of the conditional standard errors (72 MB). */
#define LMM__PRED_DENSE_MAX 3000

/* The lower Cholesky factor of A = [L'Z'WZL + I, L'Z'WX; X'WZL, X'WX] (L = Lambda(theta), order
   q + p): sigma^2 A^{-1} is the joint prediction-error covariance of (u, beta). */
static lmm_status lmm__pred_joint_factor(const lmm_fit *fit, double **out, lmm_error *err)
{
    const lmm_model *m = fit->model;
    int n = m->nobs, q = fit->q, p = fit->p, N = q + p, i, k, a, c, nz, nnz = 0, nT = 0, *Toff;
    double *A, *val, *Ts;
    int *idx;
    *out = NULL;
    if (N > LMM__PRED_DENSE_MAX)
        return lmm__fail(err, LMM_ERR_ARG, "conditional standard errors need a dense system of order q + p = %d (at most %d): "
                         "use population-level predictions or the bootstrap", N, LMM__PRED_DENSE_MAX);
    for (k = 0; k < m->nterms; k++) { nnz += m->terms[k].ncol; nT += m->terms[k].ncol * m->terms[k].ncol; }
    nnz += p;
    A = LMM__ZNEW(double, (size_t)N * N);
    val = LMM__NEW(double, nnz);
    idx = LMM__NEW(int, nnz + m->nterms);
    Ts = LMM__NEW(double, nT ? nT : 1);
    if (!A || !val || !idx || !Ts) { LMM_FREE(A); LMM_FREE(val); LMM_FREE(idx); LMM_FREE(Ts); return lmm__nomem(err); }
    Toff = idx + nnz;           /* term k's template at Ts + Toff[k] */
    for (k = 0, nT = 0; k < m->nterms; k++) { Toff[k] = nT; lmm__sim_template(fit, k, Ts + nT); nT += m->terms[k].ncol * m->terms[k].ncol; }
    for (i = 0; i < n; i++) {   /* A += w_i r_i r_i', r_i = (row i of Z Lambda, row i of X) */
        double w = m->weights ? m->weights[i] : 1.0;
        nz = 0;
        for (k = 0; k < m->nterms; k++) {
            const lmm_reterm *t = &m->terms[k];
            const double *T = Ts + Toff[k];
            int pk = t->ncol;
            for (c = 0; c < pk; c++) {
                double s = 0;
                for (a = c; a < pk; a++) s += t->z[(size_t)a * n + i] * T[a + c * pk];
                idx[nz] = t->u_offset + t->codes[i] * pk + c; val[nz++] = s;
            }
        }
        for (a = 0; a < p; a++) { idx[nz] = q + a; val[nz++] = m->X->v[(size_t)a * n + i]; }
        for (a = 0; a < nz; a++)
            for (c = 0; c < nz; c++)
                if (idx[a] >= idx[c]) A[idx[a] + (size_t)idx[c] * N] += w * val[a] * val[c];
    }
    for (a = 0; a < q; a++) A[a + (size_t)a * N] += 1;
    LMM_FREE(val); LMM_FREE(idx); LMM_FREE(Ts);
    if (lmm_chol(N, A, N) != 0) { LMM_FREE(A); return lmm__fail(err, LMM_ERR_NUMERIC, "the joint system of the prediction errors is not positive definite"); }
    *out = A;
    return LMM_OK;
}

/* Wald standard errors (se) and, with interval, the lower/upper limits at level. */
static lmm_status lmm__pred_wald(const lmm_fit *fit, const lmm__pred_rows *d, lmm_interval interval, double level,
                                 const double *pred, double *se, double *lwr, double *upr, lmm_error *err)
{
    const lmm_model *m = fit->model;
    int n = d->n, p = d->p, q = fit->q, N = q + p, i, a, c, k;
    double zq = lmm_qnorm((1 + level) / 2, 0, 1, 1, 0), s2 = fit->sigma * fit->sigma, *L = NULL, *g = NULL, T[32 * 32];
    lmm_status st = LMM_OK;
    for (i = 0; i < n; i++) {
        double v = 0, extra = 0;
        int known = 0;
        if (se) se[i] = NAN;
        if (lwr) lwr[i] = NAN;
        if (upr) upr[i] = NAN;
        if (!d->ok[i]) continue;
        for (k = 0; d->conditional && k < d->nterms; k++) known |= d->level[(size_t)i * d->nterms + k] >= 0;
        if (!known) {   /* population part alone: x' vcov x */
            const double *x = d->x + (size_t)i * p;
            for (a = 0; a < p; a++) for (c = 0; c < p; c++) v += x[a] * fit->vcov[a + (size_t)c * p] * x[c];
        } else {        /* sigma^2 |M^{-1} g|^2, g = (Lambda' z of the known levels, x), A = M M' */
            if (!L && (st = lmm__pred_joint_factor(fit, &L, err)) != LMM_OK) break;
            if (!g && !(g = LMM__NEW(double, N))) { st = lmm__nomem(err); break; }
            memset(g, 0, (size_t)N * sizeof *g);
            for (k = 0; k < d->nterms; k++) {
                const lmm_reterm *t = &m->terms[k];
                int l = d->level[(size_t)i * d->nterms + k], pk = t->ncol;
                const double *z = d->z + (size_t)i * d->zw + d->zcol[k];
                if (l < 0) continue;
                lmm__sim_template(fit, k, T);
                for (c = 0; c < pk; c++) {
                    double s = 0;
                    for (a = c; a < pk; a++) s += T[a + c * pk] * z[a];
                    g[t->u_offset + l * pk + c] = s;
                }
            }
            memcpy(g + q, d->x + (size_t)i * p, (size_t)p * sizeof *g);
            lmm_trsv_lower(N, L, N, g, 0);
            for (a = 0; a < N; a++) v += g[a] * g[a];
            v *= s2;
        }
        if (se) se[i] = sqrt(v);
        if (interval == LMM_INTERVAL_PREDICTION) {
            for (k = 0; k < d->nterms; k++)
                if (!d->conditional || d->level[(size_t)i * d->nterms + k] < 0) extra += lmm__pred_newlevel_var(fit, d, k, i);
            v += s2 * extra + (d->w[i] > 0 ? s2 / d->w[i] : NAN);   /* a missing or zero weight: NA interval */
        }
        if (interval == LMM_INTERVAL_CONFIDENCE || interval == LMM_INTERVAL_PREDICTION) {
            if (lwr) lwr[i] = pred[i] - zq * sqrt(v);
            if (upr) upr[i] = pred[i] + zq * sqrt(v);
        }
    }
    LMM_FREE(L); LMM_FREE(g);
    return st;
}

/* bootMer's statistic: every row's prediction from the refit. */
typedef struct lmm__pred_boot_user { const lmm__pred_rows *d; } lmm__pred_boot_user;

static void lmm__pred_boot_stat(const lmm_fit *refit, void *user, double *out)
{
    const lmm__pred_rows *d = ((const lmm__pred_boot_user *)user)->d;
    int i;
    for (i = 0; i < d->n; i++) out[i] = lmm__pred_row_value(refit, d, refit->beta, refit->b, i);
}

/* Parametric-bootstrap prediction intervals of every row: bootMer(FUN = predict) with use.u = TRUE for
   conditional predictions (the groups are the observed ones) and FALSE at population level; each
   replicate's prediction then gets a new level's effect N(0, Sigma_k) for each term not predicted
   from a known level and noise N(0, sigma^2 / w) (Sigma_k, sigma: the fit's), drawn in the calling
   thread from stream (seed, 2^62 + b): the draws of replicate b do not depend on the threads. */
static lmm_status lmm__pred_boot(const lmm_fit *fit, const lmm__pred_rows *d, double level, int nsim, uint64_t seed,
                                 const lmm_boot_options *bo, double *se, double *lwr, double *upr, lmm_error *err)
{
    int n = d->n, i, b, k, a, c;
    double *draws, *noisy, probs[2], qv[2] = {NAN, NAN}, T[32 * 32], wv[32];
    lmm__pred_boot_user user;
    lmm_status st;
    if (bo && (bo->first != 0 || bo->last != 0)) return lmm__fail(err, LMM_ERR_ARG, "bootstrap predictions run all replicates (first and last must be 0)");
    draws = LMM__NEW(double, (size_t)nsim * (n ? n : 1));
    noisy = LMM__NEW(double, (size_t)nsim * (n ? n : 1));
    if (!draws || !noisy) { LMM_FREE(draws); LMM_FREE(noisy); return lmm__nomem(err); }
    user.d = d;
    st = lmm_bootmer(fit, nsim, seed, d->conditional, lmm__pred_boot_stat, n > 0 ? n : 1, &user, draws, bo, err);
    for (b = 0; st == LMM_OK && b < nsim; b++) {
        lmm_rng rng;
        lmm_rng_seed_stream(&rng, seed, ((uint64_t)1 << 62) + (uint64_t)b);
        for (i = 0; i < n; i++) {
            double v = draws[(size_t)b * n + i];
            for (k = 0; k < d->nterms; k++) {
                int pk = fit->model->terms[k].ncol;
                const double *z = d->z + (size_t)i * d->zw + d->zcol[k];
                if (d->conditional && d->level[(size_t)i * d->nterms + k] >= 0) continue;
                lmm__sim_template(fit, k, T);
                for (c = 0; c < pk; c++) wv[c] = fit->sigma * lmm_rng_normal(&rng);
                for (a = 0; a < pk; a++) {
                    double gsum = 0;
                    for (c = 0; c <= a; c++) gsum += T[a + c * pk] * wv[c];
                    v += z[a] * gsum;
                }
            }
            v += fit->sigma / sqrt(d->w[i]) * lmm_rng_normal(&rng);
            noisy[(size_t)b * n + i] = v;
        }
    }
    probs[0] = (1 - level) / 2; probs[1] = (1 + level) / 2;
    for (i = 0; st == LMM_OK && i < n; i++) {
        double sum = 0, sum2 = 0, mean;
        int cnt = 0;
        if (se) se[i] = NAN;
        if (lwr) lwr[i] = NAN;
        if (upr) upr[i] = NAN;
        if (!d->ok[i] || !(d->w[i] > 0)) continue;
        for (b = 0; b < nsim; b++) { double v = draws[(size_t)b * n + i]; if (isfinite(v)) { sum += v; cnt++; } }
        mean = cnt ? sum / cnt : NAN;
        for (b = 0; b < nsim; b++) { double v = draws[(size_t)b * n + i]; if (isfinite(v)) sum2 += (v - mean) * (v - mean); }
        if (se) se[i] = cnt > 1 ? sqrt(sum2 / (cnt - 1)) : NAN;
        if ((st = lmm_quantiles(noisy + i, nsim, n, probs, 2, qv, err)) != LMM_OK) break;
        if (lwr) lwr[i] = qv[0];
        if (upr) upr[i] = qv[1];
    }
    LMM_FREE(draws); LMM_FREE(noisy);
    return st;
}

LMM_API lmm_status lmm_predict_ex(const lmm_fit *fit, const lmm_frame *train, const lmm_frame *newdata,
                                  const lmm_predict_options *opt, double *pred, double *se, double *lwr, double *upr,
                                  lmm_error *err)
{
    lmm_predict_options o;
    lmm__pred_rows d;
    lmm_status st;
    int i, need_z, nsim;
    double level;
    if (!fit || !pred) return lmm__fail(err, LMM_ERR_ARG, "lmm_predict: NULL argument");
    if (opt) o = *opt; else memset(&o, 0, sizeof o);
    level = o.level == 0 ? 0.95 : o.level;
    nsim = o.nsim == 0 ? 1000 : o.nsim;
    if (o.interval < LMM_INTERVAL_NONE || o.interval > LMM_INTERVAL_BOOT) return lmm__fail(err, LMM_ERR_ARG, "unknown interval type %d", (int)o.interval);
    if (!(level > 0 && level < 1)) return lmm__fail(err, LMM_ERR_ARG, "confidence level %g is not in (0, 1)", level);
    if (o.interval == LMM_INTERVAL_BOOT && nsim < 1) return lmm__fail(err, LMM_ERR_ARG, "nsim must be positive (got %d)", nsim);
    if (newdata && !train) return lmm__fail(err, LMM_ERR_ARG, "lmm_predict: newdata needs the training frame for its factor levels");
    need_z = o.interval == LMM_INTERVAL_PREDICTION || o.interval == LMM_INTERVAL_BOOT;
    if (newdata) st = lmm__pred_rows_new(fit, train, newdata, o.conditional != 0, need_z, o.weights, &d, err);
    else {
        st = lmm__pred_rows_train(fit, o.conditional != 0, &d, err);
        if (st == LMM_OK && o.weights) for (i = 0; i < d.n; i++) d.w[i] = o.weights[i];
    }
    if (st != LMM_OK) {
        if (newdata) for (i = 0; i < newdata->nrow; i++) pred[i] = NAN;
        return st;
    }
    for (i = 0; i < d.n; i++) pred[i] = lmm__pred_row_value(fit, &d, fit->beta, fit->b, i);
    if (o.interval == LMM_INTERVAL_BOOT) st = lmm__pred_boot(fit, &d, level, nsim, o.seed, &o.boot, se, lwr, upr, err);
    else if (se || o.interval != LMM_INTERVAL_NONE) st = lmm__pred_wald(fit, &d, o.interval, level, pred, se, lwr, upr, err);
    lmm__pred_rows_free(&d);
    return st;
}

LMM_API lmm_status lmm_predict(const lmm_fit *fit, const lmm_frame *train, const lmm_frame *newdata,
                               int conditional, double *out, lmm_error *err)
{
    lmm_predict_options o;
    if (!fit || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_predict: NULL argument");
    if (!newdata) {
        const lmm_model *m = fit->model;
        int n = m->nobs, i, a;
        for (i = 0; i < n; i++) {
            double s = 0;
            if (conditional) { out[i] = fit->fitted[i]; continue; }
            for (a = 0; a < fit->p; a++) s += m->X->v[(size_t)a * n + i] * fit->beta[a];
            out[i] = m->offset ? s + m->offset[i] : s;
        }
        return LMM_OK;
    }
    memset(&o, 0, sizeof o);
    o.conditional = conditional;
    return lmm_predict_ex(fit, train, newdata, &o, out, NULL, NULL, NULL, err);
}

/* lme4's predict() of a glmer fit: the @sim row resolution of lmm_predict (training levels,
   new levels at population level, offsets on newdata) through a shell lmm_fit that lends the
   GLMM's model, beta and conditional modes; then the inverse link for the response scale. */
LMM_API lmm_status lmm_glmm_predict(const lmm_glmm *g, const lmm_frame *train, const lmm_frame *newdata,
                                    int conditional, int response_scale, double *out, lmm_error *err)
{
    lmm_fit shell;
    lmm__pred_rows d;
    lmm_status st;
    int i, n;
    if (!g || !out) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_predict: NULL argument");
    if (newdata && !train) return lmm__fail(err, LMM_ERR_ARG, "lmm_glmm_predict: newdata needs the training frame for its factor levels");
    memset(&shell, 0, sizeof shell);
    shell.model = g->model; shell.p = g->p; shell.q = g->q; shell.nobs = g->nobs;
    shell.beta = g->beta; shell.b = g->b;
    if (newdata) st = lmm__pred_rows_new(&shell, train, newdata, conditional != 0, 0, NULL, &d, err);
    else st = lmm__pred_rows_train(&shell, conditional != 0, &d, err);
    if (st != LMM_OK) {
        if (newdata) for (i = 0; i < newdata->nrow; i++) out[i] = NAN;
        return st;
    }
    n = d.n;
    for (i = 0; i < n; i++) {
        double eta = lmm__pred_row_value(&shell, &d, g->beta, g->b, i);
        out[i] = response_scale && !isnan(eta) ? lmm__glmm_linkinv(g->link, eta) : eta;
    }
    lmm__pred_rows_free(&d);
    return LMM_OK;
}

LMM_API void lmm_blup(const lmm_fit *fit, int k, double *coef)
{
    const lmm_reterm *t;
    int j, c, a;
    if (!fit || !coef || k < 0 || k >= fit->model->nterms) return;
    t = &fit->model->terms[k];
    for (c = 0; c < t->ncol; c++) {
        double fixed = 0;
        for (a = 0; a < fit->p; a++)
            if (fit->model->X->colnames && fit->model->X->colnames[a] && strcmp(fit->model->X->colnames[a], t->colnames[c]) == 0) fixed = fit->beta[a];
        for (j = 0; j < t->nlevels; j++) coef[j * t->ncol + c] = fixed + fit->b[t->u_offset + j * t->ncol + c];
    }
}

LMM_API lmm_status lmm_ranef_intervals(const lmm_fit *fit, double level, double *lo, double *hi, lmm_error *err)
{
    double z;
    int i;
    if (!fit || !lo || !hi) return lmm__fail(err, LMM_ERR_ARG, "lmm_ranef_intervals: NULL argument");
    if (!(level > 0 && level < 1)) return lmm__fail(err, LMM_ERR_ARG, "confidence level %g is not in (0, 1)", level);
    if (!fit->b_condsd) return lmm__fail(err, LMM_ERR_ARG, "the fit skipped the conditional variances (skip_condvar)");
    z = lmm_qnorm((1 + level) / 2, 0, 1, 1, 0);
    for (i = 0; i < fit->q; i++) {
        lo[i] = fit->b[i] - z * fit->b_condsd[i];
        hi[i] = fit->b[i] + z * fit->b_condsd[i];
    }
    return LMM_OK;
}

LMM_API lmm_status lmm_boot_predict_interval(const lmm_fit *fit, const double *x, int k, int level,
                                             const double *z, int nsim, uint64_t seed,
                                             const double *probs, int nprobs, double *q, double *draws,
                                             const lmm_boot_options *opt, lmm_error *err)
{
    lmm__boot_ctx cx;
    lmm__team team;
    lmm_status st;
    double elapsed, *pv = draws;
    int first, last;
    if (!fit || (nprobs > 0 && (!probs || !q))) return lmm__fail(err, LMM_ERR_ARG, "lmm_boot_predict_interval: NULL argument");
    if (k < 0 || k >= fit->model->nterms) return lmm__fail(err, LMM_ERR_ARG, "no random-effects term %d", k);
    if (level >= fit->model->terms[k].nlevels) return lmm__fail(err, LMM_ERR_ARG, "term %d has no level %d", k, level);
    if (lmm__team_range(nsim, opt, &first, &last, err)) return LMM_ERR_ARG;
    if (!pv && !(pv = LMM__NEW(double, last - first))) return lmm__nomem(err);
    memset(&cx, 0, sizeof cx);
    cx.kind = LMM__BOOT_PRED; cx.fit = fit; cx.use_u = 1; cx.k = 1; cx.seed = seed;
    cx.x = x; cx.z = z; cx.term = k; cx.level = level;
    st = lmm__boot_run(&cx, nsim, pv, opt, &team, &elapsed, err);
    if (st == LMM_OK && nprobs > 0) st = lmm_quantiles(pv, last - first, 1, probs, nprobs, q, err);
    if (pv != draws) LMM_FREE(pv);
    return st;
}

/* ======================================================================== */
/* Printing                                                         @print */
/* ======================================================================== */

/* Significant digits needed to show |x| to `digits` digits, and its exponent. */
static void lmm__sig_digits(double x, int digits, int *nsig, int *kpower)
{
    char buf[64], *e;
    int i, last;
    if (x == 0 || !isfinite(x)) { *nsig = 1; *kpower = 0; return; }
    snprintf(buf, sizeof buf, "%.*e", digits - 1, fabs(x));
    e = strchr(buf, 'e');
    *kpower = atoi(e + 1);
    last = 0;
    for (i = 0; buf + i < e; i++) if (buf[i] >= '1' && buf[i] <= '9') last = i;
    /* digits up to the last nonzero one, not counting the decimal point */
    *nsig = last <= 1 ? 1 : last;
}

LMM_API void lmm_format_reals(const double *x, int n, int digits, char (*out)[48])
{
    int i, rgt = 0, left = 1, neg = 0, width, mxns = 1, sci;
    for (i = 0; i < n; i++) {
        int nsig, kp, r, l;
        if (!isfinite(x[i])) continue;
        lmm__sig_digits(x[i], digits, &nsig, &kp);
        r = nsig - kp - 1; if (r < 0) r = 0;
        l = kp >= 0 ? kp + 1 : 1;
        if (r > rgt) rgt = r;
        if (l > left) left = l;
        if (nsig > mxns) mxns = nsig;
        if (x[i] < 0) neg = 1;
    }
    if (rgt > 15) rgt = 15;
    width = neg + left + (rgt ? rgt + 1 : 0);
    sci = width > neg + (mxns > 1 ? mxns + 1 : mxns) + 4;
    for (i = 0; i < n; i++) {
        if (isnan(x[i])) snprintf(out[i], 48, "NaN");
        else if (isinf(x[i])) snprintf(out[i], 48, x[i] > 0 ? "Inf" : "-Inf");
        else if (sci) snprintf(out[i], 48, "%.*e", mxns - 1, x[i]);
        else snprintf(out[i], 48, "%.*f", rgt, x[i]);
    }
    /* common width, right-justified */
    width = 0;
    for (i = 0; i < n; i++) if ((int)strlen(out[i]) > width) width = (int)strlen(out[i]);
    for (i = 0; i < n; i++) {   /* shift right in place, pad with spaces */
        size_t len = strlen(out[i]), pad = (size_t)width - len;
        if (pad == 0) continue;
        memmove(out[i] + pad, out[i], len + 1);
        memset(out[i], ' ', pad);
    }
}

/* One number as R's print/cat shows it (7 significant digits). */
static void lmm__format1(double x, int digits, char *buf)
{
    char tmp[1][48];
    lmm_format_reals(&x, 1, digits, tmp);
    strcpy(buf, tmp[0]);
}

static double lmm__round(double x, int d)
{
    double s = pow(10.0, d), v = x * s;
    return (v < 0 ? -floor(-v + 0.5) : floor(v + 0.5)) / s;
}

/* R's abbreviate(): spaces do not count towards the length (they mark word
   starts, which are kept) and go last, when the result is still too long. */
LMM_API void lmm_abbreviate(const char *name, int minlength, char *buf, size_t size)
{
    char s[256];
    int len, i, pass, nspace = 0;
    const char *p = name;
    while (*p == ' ') p++;
    snprintf(s, sizeof s, "%s", p);
    len = (int)strlen(s);
    while (len > 0 && s[len - 1] == ' ') s[--len] = 0;
    for (i = 0; i < len; i++) nspace += s[i] == ' ';
    /* word-final lower-case vowels, other vowels, word-final lower-case
       letters, other lower-case letters, then anything: each from the right,
       never a word's first character */
    for (pass = 0; pass < 5 && len - nspace > minlength; pass++)
        for (i = len - 1; i > 0 && len - nspace > minlength; i--) {
            char c = s[i];
            int vowel = c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
            int first = s[i - 1] == ' ', last = !first && (s[i + 1] == 0 || s[i + 1] == ' ');
            int drop = pass == 0 ? vowel && last : pass == 1 ? vowel && !first : pass == 2 ? (c >= 'a' && c <= 'z') && last
                     : pass == 3 ? (c >= 'a' && c <= 'z') && !first : !first && c != ' ';
            if (drop) { memmove(s + i, s + i + 1, (size_t)(len - i)); len--; }
        }
    if (len > minlength)
        for (i = len - 1; i > 0; i--) if (s[i] == ' ') { memmove(s + i, s + i + 1, (size_t)(len - i)); len--; }
    snprintf(buf, size, "%s", s);
}

/* abbreviate() of a vector: names whose abbreviations collide are redone one
   character longer until all differ (R's loop; "p(D,2)1", "p(D,2)2"). */
static void lmm__abbreviate_all(char *const *names, int n, int minlength, char (*out)[16])
{
    int i, j, k, *redo = (int *)lmm__calloc((size_t)(n > 0 ? n : 1), sizeof(int));
    for (i = 0; i < n; i++) lmm_abbreviate(names[i], minlength, out[i], sizeof out[i]);
    if (!redo) return;   /* out of memory: the plain abbreviations */
    for (k = minlength + 1; k < 16; k++) {
        int any = 0;
        for (i = 0; i < n; i++) redo[i] = 0;
        for (i = 0; i < n; i++) for (j = 0; j < i; j++) if (strcmp(out[i], out[j]) == 0) { redo[i] = 1; any = 1; }
        if (!any) break;
        for (i = 0; i < n; i++) for (j = 0; j < n; j++) if (redo[j] && strcmp(out[i], out[j]) == 0) redo[i] = 2;
        for (i = 0; i < n; i++) if (redo[i]) lmm_abbreviate(names[i], k, out[i], sizeof out[i]);
    }
    LMM_FREE(redo);
}

static void lmm__deparse_plain(const char *f, char *buf, size_t size)
{
    size_t o = 0;
    char prev = 0;              /* last significant character written */
    int depth_call = 0;
    const char *p;
#define LMM__PUT(ch) do { if (o + 1 < size) buf[o++] = (ch); } while (0)
    for (p = f; *p; p++) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
        if (c == ',') { LMM__PUT(','); LMM__PUT(' '); prev = c; continue; }   /* R: "poly(x, 2)" */
        if (c == '=') { LMM__PUT(' '); LMM__PUT('='); LMM__PUT(' '); prev = c; continue; }
        if (c == '~' || c == '+' || c == '*' || c == '|' || (c == '-' && prev && prev != '~' && prev != '(' && prev != '+' && prev != '*' && prev != '|' && prev != '-' && prev != '/' && prev != '^' && prev != ',' && prev != '=')) {
            if (c == '|' && p[1] == '|') { LMM__PUT(' '); LMM__PUT('|'); LMM__PUT('|'); LMM__PUT(' '); p++; prev = '|'; continue; }
            if (prev) LMM__PUT(' ');
            LMM__PUT(c); LMM__PUT(' ');
            prev = c;
            continue;
        }
        if (c == '(') depth_call++;
        if (c == ')') depth_call--;
        LMM__PUT(c);
        prev = c;
    }
    (void)depth_call;
    buf[o < size ? o : size - 1] = 0;
#undef LMM__PUT
}

/* Append text [a, b) to buf at *o (bounded). */
static void lmm__cat_range(char *buf, size_t size, size_t *o, const char *a, const char *b)
{
    size_t last;
    if (size == 0) { *o += (size_t)(b - a); return; }
    last = size - 1;                       /* room for the terminator */
    for (; a < b; a++, (*o)++) if (*o < last) buf[*o] = *a;
    buf[*o < last ? *o : last] = '\0';
}

static void lmm__cat_str(char *buf, size_t size, size_t *o, const char *s)
{
    lmm__cat_range(buf, size, o, s, s + strlen(s));
}

/* lme4 prints (x || g) expanded: ((1 | g) + (0 + x | g)). */
LMM_API void lmm_deparse_formula(const char *f, char *buf, size_t size)
{
    char tmp[4096];
    size_t o = 0;
    const char *p = f, *bar;
    tmp[0] = '\0';
    while ((bar = strstr(p, "||")) != NULL) {
        const char *open = bar, *close = bar + 2, *q, *start;
        int depth = 0, intercept = 1, first = 1;
        while (open > p && !(*open == '(' && depth == 0)) { if (*open == ')') depth++; if (*open == '(') depth--; open--; }
        for (depth = 0; *close && !(*close == ')' && depth == 0); close++) { if (*close == '(') depth++; if (*close == ')') depth--; }
        if (*open != '(' || *close != ')') break;
        lmm__cat_range(tmp, sizeof tmp, &o, p, open);
        /* which lhs terms: split at top-level '+' */
        for (q = open + 1, start = q, depth = 0; q <= bar; q++) {
            if (*q == '(') depth++;
            if (*q == ')') depth--;
            if ((q == bar || (*q == '+' && depth == 0))) {
                const char *a = start, *b = q;
                while (a < b && isspace((unsigned char)*a)) a++;
                while (b > a && isspace((unsigned char)b[-1])) b--;
                if ((b - a == 1 && *a == '0') || (b - a == 2 && a[0] == '-' && a[1] == '1')) intercept = 0;
                start = q + 1;
            }
        }
        lmm__cat_str(tmp, sizeof tmp, &o, "(");
        if (intercept) {
            lmm__cat_str(tmp, sizeof tmp, &o, "(1|");
            lmm__cat_range(tmp, sizeof tmp, &o, bar + 2, close);
            lmm__cat_str(tmp, sizeof tmp, &o, ")");
            first = 0;
        }
        for (q = open + 1, start = q, depth = 0; q <= bar; q++) {
            if (*q == '(') depth++;
            if (*q == ')') depth--;
            if ((q == bar || (*q == '+' && depth == 0))) {
                const char *a = start, *b = q;
                while (a < b && isspace((unsigned char)*a)) a++;
                while (b > a && isspace((unsigned char)b[-1])) b--;
                start = q + 1;
                if (a == b || (b - a == 1 && (*a == '0' || *a == '1')) || (b - a == 2 && a[0] == '-' && a[1] == '1')) continue;
                if (!first) lmm__cat_str(tmp, sizeof tmp, &o, "+");
                lmm__cat_str(tmp, sizeof tmp, &o, "(0+");
                lmm__cat_range(tmp, sizeof tmp, &o, a, b);
                lmm__cat_str(tmp, sizeof tmp, &o, "|");
                lmm__cat_range(tmp, sizeof tmp, &o, bar + 2, close);
                lmm__cat_str(tmp, sizeof tmp, &o, ")");
                first = 0;
            }
        }
        lmm__cat_str(tmp, sizeof tmp, &o, ")");
        p = close + 1;
    }
    lmm__cat_range(tmp, sizeof tmp, &o, p, p + strlen(p));
    lmm__deparse_plain(tmp, buf, size);
}

/* Print a named row as R prints a named vector: one common column width. */
static void lmm__print_named(FILE *out, const char *const *names, char (*vals)[48], int n)
{
    int i, w = 0;
    for (i = 0; i < n; i++) {
        int a = (int)strlen(names[i]), b = (int)strlen(vals[i]);
        if (a > w) w = a;
        if (b > w) w = b;
    }
    for (i = 0; i < n; i++) fprintf(out, "%*s ", w, names[i]);
    fprintf(out, "\n");
    for (i = 0; i < n; i++) fprintf(out, "%*s ", w, vals[i]);
    fprintf(out, "\n");
}

/* R's zapsmall(x, digits): round to digits - log10(max|x|) decimals (R rounds that count). */
static void lmm__zapsmall(double *x, int n, int digits)
{
    double mx = 0;
    int i, d;
    for (i = 0; i < n; i++) if (fabs(x[i]) > mx) mx = fabs(x[i]);
    if (!(mx > 0) || !isfinite(mx)) return;
    d = (int)floor(digits - log10(mx) + 0.5);
    if (d < 0) d = 0;
    for (i = 0; i < n; i++) x[i] = lmm__round(x[i], d);
}

static void lmm__print_varcorr_ex(FILE *out, const lmm_fit *fit, int residual);
static void lmm__print_varcorr(FILE *out, const lmm_fit *fit) { lmm__print_varcorr_ex(out, fit, 1); }

/* lme4's VarCorr table; residual = 0 for families without a scale (glmer's binomial, poisson). */
static void lmm__print_varcorr_ex(FILE *out, const lmm_fit *fit, int residual)
{
    const lmm_model *m = fit->model;
    int k, a, b, nrows = 1, maxp = 1, row, wg = 6, wn = 4, wv = 8, ws = 8, has_corr = 0, cw[32];
    double *var, *sd;
    char (*vs)[48], (*ss)[48];
    double cov[32 * 32];
    for (k = 0; k < m->nterms; k++) { nrows += m->terms[k].ncol; if (m->terms[k].ncol > maxp) maxp = m->terms[k].ncol; if (m->terms[k].ncol > 1) has_corr = 1; }
    var = (double *)lmm__alloc((size_t)nrows, sizeof(double));
    sd = (double *)lmm__alloc((size_t)nrows, sizeof(double));
    vs = (char (*)[48])lmm__alloc((size_t)nrows, 48);
    ss = (char (*)[48])lmm__alloc((size_t)nrows, 48);
    if (!var || !sd || !vs || !ss) { LMM_FREE(var); LMM_FREE(sd); LMM_FREE(vs); LMM_FREE(ss); return; }
    for (k = 0, row = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        lmm_fit_term_cov(fit, k, cov);
        for (a = 0; a < t->ncol; a++, row++) { var[row] = cov[a * (t->ncol + 1)]; sd[row] = sqrt(var[row]); }
        if ((int)strlen(t->vc_name) > wg) wg = (int)strlen(t->vc_name);
        for (a = 0; a < t->ncol; a++) if ((int)strlen(t->colnames[a]) > wn) wn = (int)strlen(t->colnames[a]);
    }
    var[row] = fit->sigma * fit->sigma; sd[row] = fit->sigma;
    if (wg < 8 && residual) wg = 8;   /* "Residual" */
    lmm_format_reals(var, nrows, 4, vs);
    lmm_format_reals(sd, nrows, 4, ss);
    if ((int)strlen(vs[0]) > wv) wv = (int)strlen(vs[0]);
    if ((int)strlen(ss[0]) > ws) ws = (int)strlen(ss[0]);
    fprintf(out, "Random effects:\n");
    fprintf(out, " %-*s %-*s %-*s %-*s", wg, "Groups", wn, "Name", wv, "Variance", ws, "Std.Dev.");
    /* lme4's formatVC: format(round(corr, 2), nsmall = 2) per term (common width
       within a term), printed left-aligned in columns as wide as their widest entry */
    for (b = 0; b < 32; b++) cw[b] = b == 0 ? 4 : 0;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        int tw = 4;
        if (t->ncol < 2) continue;
        lmm_fit_term_cov(fit, k, cov);
        for (a = 0; a < t->ncol; a++)
            for (b = 0; b < t->ncol; b++) {
                double r = a == b ? 1.0 : cov[a + b * t->ncol] / sqrt(cov[a * (t->ncol + 1)] * cov[b * (t->ncol + 1)]);
                r = lmm__round(r, 2);
                if (r < 0) tw = 5;
            }
        for (b = 0; b < t->ncol - 1 && b < 31; b++) if (tw > cw[b]) cw[b] = tw;
    }
    if (has_corr) {
        fprintf(out, " %-*s", cw[0], "Corr");
        for (a = 1; a < maxp - 1; a++) fprintf(out, " %-*s", cw[a], "");
    }
    fprintf(out, "\n");
    for (k = 0, row = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        lmm_fit_term_cov(fit, k, cov);
        for (a = 0; a < t->ncol; a++, row++) {
            fprintf(out, " %-*s %-*s %-*s %-*s", wg, a == 0 ? t->vc_name : "", wn, t->colnames[a], wv, vs[row], ws, ss[row]);
            if (has_corr) {
                int tw = 4, a2, b2;
                for (a2 = 0; a2 < t->ncol; a2++)
                    for (b2 = 0; b2 < t->ncol; b2++)
                        if (a2 != b2 && lmm__round(cov[a2 + b2 * t->ncol] / sqrt(cov[a2 * (t->ncol + 1)] * cov[b2 * (t->ncol + 1)]), 2) < 0) tw = 5;
                for (b = 0; b < maxp - 1; b++) {
                    if (b < a) {
                        double r = lmm__round(cov[a + b * t->ncol] / sqrt(cov[a * (t->ncol + 1)] * cov[b * (t->ncol + 1)]), 2);
                        char cs[48];
                        snprintf(cs, sizeof cs, "%*.2f", tw, r == 0 ? 0.0 : r);
                        fprintf(out, " %-*s", cw[b], cs);
                    } else fprintf(out, " %-*s", cw[b], "");
                }
            }
            fprintf(out, "\n");
        }
    }
    if (residual) {
        fprintf(out, " %-*s %-*s %-*s %-*s", wg, "Residual", wn, "", wv, vs[row], ws, ss[row]);
        if (has_corr) for (b = 0; b < maxp - 1; b++) fprintf(out, " %-*s", cw[b], "");
        fprintf(out, "\n");
    }
    LMM_FREE(var); LMM_FREE(sd); LMM_FREE(vs); LMM_FREE(ss);
}

static const char *lmm__stars(double p)
{
    if (!(p == p)) return "";
    return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : " ";
}

static void lmm__print_signif_legend(FILE *out)
{
    fprintf(out, "---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
}

/* R's printCoefmat: ncs columns rounded and formatted jointly as coefficients
   (cs[c * p + i]: column c, row i), a t column, then, when pv is given,
   format.pval's column with stars and their legend if some p < 0.1.
   head names the ncs + 1 (+ 1) columns. */
static void lmm__print_coefmat(FILE *out, char *const *names, int p, const double *cs, int ncs,
                               const char *const *head, const double *tv, const double *pv)
{
    int i, c, wn = 0, dec = 1, wt, wp = 0, ws = 0, stars = 0, wc = 0, n = ncs * p, m = p > 0 ? p : 1;
    double lo = HUGE_VAL, hi = 0, *es, *tr;
    char (*esf)[48], (*tf)[48], (*pf)[48];
    es = (double *)lmm__alloc((size_t)(n > 0 ? n : 1), sizeof(double));
    tr = (double *)lmm__alloc((size_t)m, sizeof(double));
    esf = (char (*)[48])lmm__alloc((size_t)(n > 0 ? n : 1), 48);
    tf = (char (*)[48])lmm__alloc((size_t)m, 48);
    pf = (char (*)[48])lmm__alloc((size_t)m, 48);
    if (!es || !tr || !esf || !tf || !pf) goto done;
    for (i = 0; i < n; i++) {
        double v = fabs(cs[i]);
        if (v != 0 && isfinite(v)) { if (v < lo) lo = v; if (v > hi) hi = v; }
    }
    for (i = 0; i < p; i++) if ((int)strlen(names[i]) > wn) wn = (int)strlen(names[i]);
    /* round to max(1, digits - digmin) decimals, digmin = 1 + floor(log10(range)) */
    if (hi > 0) {
        int d1 = 4 - (1 + (int)floor(log10(lo))), d2 = 4 - (1 + (int)floor(log10(hi)));
        if (d1 > dec) dec = d1;
        if (d2 > dec) dec = d2;
    }
    for (i = 0; i < n; i++) es[i] = lmm__round(cs[i], dec);
    for (i = 0; i < p; i++) tr[i] = lmm__round(tv[i], 3);
    if (n > 0) { lmm_format_reals(es, n, 4, esf); wc = (int)strlen(esf[0]); }
    if (p > 0) lmm_format_reals(tr, p, 4, tf);
    wt = (int)strlen(head[ncs]);
    if (p && (int)strlen(tf[0]) > wt) wt = (int)strlen(tf[0]);
    if (pv) {
        if (p) lmm_format_pvals(pv, p, 3, pf);
        wp = (int)strlen(head[ncs + 1]);
        for (i = 0; i < p; i++) {
            if ((int)strlen(pf[i]) > wp) wp = (int)strlen(pf[i]);
            if (pv[i] < 0.1) stars = 1;
            if ((int)strlen(lmm__stars(pv[i])) > ws) ws = (int)strlen(lmm__stars(pv[i]));
        }
    }
    fprintf(out, "%-*s", wn, "");
    for (c = 0; c < ncs; c++) fprintf(out, " %*s", (int)strlen(head[c]) > wc ? (int)strlen(head[c]) : wc, head[c]);
    fprintf(out, " %*s", wt, head[ncs]);
    if (pv) fprintf(out, " %*s", wp, head[ncs + 1]);
    if (stars) fprintf(out, " %-*s", ws, "");
    fprintf(out, "\n");
    for (i = 0; i < p; i++) {
        fprintf(out, "%-*s", wn, names[i]);
        for (c = 0; c < ncs; c++) fprintf(out, " %*s", (int)strlen(head[c]) > wc ? (int)strlen(head[c]) : wc, esf[c * p + i]);
        fprintf(out, " %*s", wt, tf[i]);
        if (pv) fprintf(out, " %*s", wp, pf[i]);
        if (stars) fprintf(out, " %-*s", ws, lmm__stars(pv[i]));
        fprintf(out, "\n");
    }
    if (stars) lmm__print_signif_legend(out);
done:
    LMM_FREE(es); LMM_FREE(tr); LMM_FREE(esf); LMM_FREE(tf); LMM_FREE(pf);
}

/* lme4's fixed-effects table (Estimate, Std. Error, t value), or lmerTest's
   (Estimate, Std. Error, df, t value, Pr(>|t|)) when rows is given. */
static void lmm__print_coefs(FILE *out, const lmm_fit *fit, const lmm_coef_row *rows)
{
    static const char *const h3[3] = { "Estimate", "Std. Error", "t value" };
    static const char *const h5[5] = { "Estimate", "Std. Error", "df", "t value", "Pr(>|t|)" };
    int p = fit->p, i, ncs = rows ? 3 : 2;
    double *cs = (double *)lmm__alloc((size_t)(p * (ncs + 2)), sizeof(double)), *tv, *pv;
    if (!cs) return;
    tv = cs + (size_t)ncs * p; pv = tv + p;
    for (i = 0; i < p; i++) {
        cs[i] = fit->beta[i]; cs[p + i] = fit->se[i];
        tv[i] = fit->beta[i] / fit->se[i];
        if (rows) { cs[p + i] = rows[i].se; cs[2 * p + i] = rows[i].df; tv[i] = rows[i].t; pv[i] = rows[i].p; }
    }
    lmm__print_coefmat(out, fit->model->X->colnames, p, cs, ncs, rows ? h5 : h3, tv, rows ? pv : NULL);
    LMM_FREE(cs);
}

static void lmm__print_fixcorr(FILE *out, const lmm_fit *fit)
{
    const lmm_model *m = fit->model;
    int p = fit->p, i, j, wr = 0, wv = 5;
    char rn[64][16], cn[64][16];
    if (p < 2) return;
    if (p > 12) {
        fprintf(out, "\nCorrelation matrix not shown by default, as p = %d > 12.\n", p);
        fprintf(out, "Use print(x, correlation=TRUE)  or\n    vcov(x)        if you need it\n");
        return;
    }
    lmm__abbreviate_all(m->X->colnames, p, 11, rn);
    lmm__abbreviate_all(m->X->colnames, p, 6, cn);
    for (i = 1; i < p; i++) if ((int)strlen(rn[i]) > wr) wr = (int)strlen(rn[i]);
    /* lme4 formats the whole matrix to one width (a sign column if any is
       negative) and prints the strings left-aligned under their names */
    for (i = 0; i < p; i++)
        for (j = 0; j < p; j++)
            if (lmm__round(fit->vcov[i + j * p] / sqrt(fit->vcov[i * (p + 1)] * fit->vcov[j * (p + 1)]), 3) < 0) wv = 6;
    fprintf(out, "\nCorrelation of Fixed Effects:\n");
    fprintf(out, "%-*s", wr, "");
    for (j = 0; j < p - 1; j++) {
        int w = (int)strlen(cn[j]) > wv ? (int)strlen(cn[j]) : wv;
        fprintf(out, " %-*s", w, cn[j]);
    }
    fprintf(out, "\n");
    for (i = 1; i < p; i++) {
        fprintf(out, "%-*s", wr, rn[i]);
        for (j = 0; j < p - 1; j++) {
            int w = (int)strlen(cn[j]) > wv ? (int)strlen(cn[j]) : wv;
            if (j < i) {
                double r = fit->vcov[i + j * p] / sqrt(fit->vcov[i * (p + 1)] * fit->vcov[j * (p + 1)]);
                char s[32];
                r = lmm__round(r, 3);
                snprintf(s, sizeof s, "%*.3f", wv, r == 0 ? 0.0 : r);
                fprintf(out, " %-*s", w, s);
            } else fprintf(out, " %-*s", w, "");
        }
        fprintf(out, "\n");
    }
}

/* summary() of lme4 (rows NULL) or of lmerTest (rows: lmm_coef_table's by `ddf`). */
static void lmm__print_summary_rows(FILE *out, const lmm_fit *fit, const char *data_name, const lmm_coef_row *rows,
                                    lmm_ddf_method ddf)
{
    const char *method = ddf == LMM_DDF_KENWARD_ROGER ? "Kenward-Roger's" : "Satterthwaite's";
    const lmm_model *m = fit->model;
    char fbuf[1024], num[48];
    static const char *const qnames[5] = { "Min", "1Q", "Median", "3Q", "Max" };
    char qv[5][48];
    int k;
    /* with no fixed effects the REML criterion is the deviance: lme4 labels it ML */
    int reml = fit->reml && fit->p > 0;
    if (!rows) fprintf(out, "Linear mixed model fit by %s ['lmerMod']\n", reml ? "REML" : "maximum likelihood ");
    else if (reml)   /* lme4's .prt.methTit wraps the long title at width 80 */
        fprintf(out, "Linear mixed model fit by REML. t-tests use %s method [\nlmerModLmerTest]\n", method);
    else fprintf(out, "Linear mixed model fit by maximum likelihood . t-tests use %s\n  method [lmerModLmerTest]\n", method);
    lmm_deparse_formula(m->formula, fbuf, sizeof fbuf);
    fprintf(out, "Formula: %s\n", fbuf);
    if (data_name) fprintf(out, "   Data: %s\n", data_name);
    if (m->weights_label) fprintf(out, "Weights: %s\n", m->weights_label);
    if (m->offset_label) fprintf(out, " Offset: %s\n", m->offset_label);
    fprintf(out, "\n");
    if (reml) {
        lmm__format1(lmm__round(fit->criterion, 1), 7, num);
        fprintf(out, "REML criterion at convergence: %s\n", num);
    } else {
        double t4[4];
        char f4[4][48], dfr[48];
        static const char *const names[5] = { "AIC", "BIC", "logLik", "deviance", "df.resid" };
        char vals[5][48];
        t4[0] = lmm__round(fit->aic, 1); t4[1] = lmm__round(fit->bic, 1);
        t4[2] = lmm__round(fit->loglik, 1); t4[3] = lmm__round(fit->deviance, 1);
        lmm_format_reals(t4, 4, 7, f4);
        snprintf(dfr, sizeof dfr, "%d", fit->nobs - fit->df);
        for (k = 0; k < 4; k++) strcpy(vals[k], f4[k]);
        strcpy(vals[4], dfr);
        lmm__print_named(out, names, vals, 5);
    }
    fprintf(out, "\nScaled residuals: \n");
    {   /* lme4: print(zapsmall(quantile(r), digits + 1), digits = 4) */
        double rq[5];
        memcpy(rq, fit->resid_quantiles, sizeof rq);
        lmm__zapsmall(rq, 5, 5);
        lmm_format_reals(rq, 5, 4, qv);
    }
    lmm__print_named(out, qnames, qv, 5);
    fprintf(out, "\n");
    lmm__print_varcorr(out, fit);
    fprintf(out, "Number of obs: %d, groups:  ", fit->nobs);
    for (k = 0; k < m->nterms; k++) {
        int j, dup = 0;
        for (j = 0; j < k; j++) if (strcmp(m->terms[j].group, m->terms[k].group) == 0) dup = 1;
        if (dup) continue;
        fprintf(out, "%s%s, %d", k ? "; " : "", m->terms[k].group, m->terms[k].nlevels);
    }
    fprintf(out, "\n");
    if (fit->p > 0) {   /* lme4 omits the section when there are no fixed effects */
        fprintf(out, "\nFixed effects:\n");
        lmm__print_coefs(out, fit, rows);
        lmm__print_fixcorr(out, fit);
    }
    if (m->n_aliased) fprintf(out, "fixed-effect model matrix is rank deficient so dropping %d column%s / coefficient%s\n",
                              m->n_aliased, m->n_aliased > 1 ? "s" : "", m->n_aliased > 1 ? "s" : "");
    /* lme4's .prt.warn: the optimizer line and its messages, then a blank line */
    if (fit->singular || fit->warning[0]) {
        fprintf(out, "optimizer (bobyqa) convergence code: %d %s\n", fit->optimizer_code,
                fit->optimizer_code ? "(maximum number of function evaluations exceeded)" : "(OK)");
        if (fit->singular) fprintf(out, "boundary (singular) fit: see help('isSingular')\n");
        if (!fit->optimizer_code && fit->warning[0]) fprintf(out, "%s\n", fit->warning);
        fprintf(out, "\n");
    }
}

/* lme4's "Formula:" line: R's deparse breaks a line longer than 60 bytes after
   a spaced binary operator (~ + - * / |), continuing 4 spaces in, and cat(fill =
   TRUE) starts a new line where the next piece would pass column 80. */
static void lmm__print_formula_wrapped(FILE *out, const char *label, const char *text)
{
    const char *p = text;
    char line[1024];
    int len = 0, col = (int)strlen(label), first = 1;
    fprintf(out, "%s", label);
    while (1) {
        int brk = 0;
        if (*p) {
            line[len++] = *p++;
            /* after " op " with op one of ~ + - * / | */
            if (len >= 3 && line[len - 1] == ' ' && line[len - 3] == ' ' && strchr("~+-*/|", line[len - 2]) && len > 60) brk = 1;
            if (len >= (int)sizeof line - 8) brk = 1;
        }
        if (brk || !*p) {
            line[len] = 0;
            fprintf(out, " ");
            col += 1;
            if (!first && col + len > 80) { fprintf(out, "\n"); col = 0; }
            fprintf(out, "%s", line);
            col += len;
            first = 0;
            if (!*p) break;
            strcpy(line, "    ");
            len = 4;
        }
    }
    fprintf(out, "\n");
}

/* summary() of a glmer fit, lme4's layout: the lmer parts (variance table
   without a Residual row, correlation of fixed effects) print from a shell
   lmm_fit carrying the GLMM's estimates with sigma = 1. */
LMM_API void lmm_print_glmm_summary(FILE *out, const lmm_glmm *g, const char *data_name)
{
    static const char *const qnames[5] = { "Min", "1Q", "Median", "3Q", "Max" };
    static const char *const head[4] = { "Estimate", "Std. Error", "z value", "Pr(>|z|)" };
    static const char *const names[5] = { "AIC", "BIC", "logLik", "deviance", "df.resid" };
    const lmm_model *m = g->model;
    lmm_fit shell;
    char fbuf[1024], qv[5][48], f4[4][48], vals[5][48];
    double rq[5], t4[4], *cs;
    int k, i, p = g->p;
    memset(&shell, 0, sizeof shell);
    shell.model = (lmm_model *)m;
    shell.nobs = g->nobs; shell.p = p; shell.q = g->q; shell.ntheta = g->ntheta;
    shell.sigma = 1.0; shell.theta = g->theta; shell.beta = g->beta; shell.se = g->se; shell.vcov = g->vcov;
    if (g->nagq > 1)
        fprintf(out, "Generalized linear mixed model fit by maximum likelihood (Adaptive\n  Gauss-Hermite Quadrature, nAGQ = %d) [glmerMod]\n", g->nagq);
    else fprintf(out, "Generalized linear mixed model fit by maximum likelihood (Laplace\n  Approximation) [glmerMod]\n");
    fprintf(out, " Family: %s  ( %s )\n", lmm_family_name(g->family), lmm_link_name(g->link));
    lmm_deparse_formula(g->formula, fbuf, sizeof fbuf);
    lmm__print_formula_wrapped(out, "Formula:", fbuf);
    if (data_name) fprintf(out, "   Data: %s\n", data_name);
    if (m->weights_label) fprintf(out, "Weights: %s\n", m->weights_label);
    if (m->offset_label) fprintf(out, " Offset: %s\n", m->offset_label);
    fprintf(out, "\n");
    t4[0] = lmm__round(g->aic, 1); t4[1] = lmm__round(g->bic, 1);
    t4[2] = lmm__round(g->loglik, 1); t4[3] = lmm__round(g->deviance, 1);
    lmm_format_reals(t4, 4, 7, f4);
    for (k = 0; k < 4; k++) strcpy(vals[k], f4[k]);
    snprintf(vals[4], sizeof vals[4], "%d", g->df_resid);
    lmm__print_named(out, names, vals, 5);
    fprintf(out, "\nScaled residuals: \n");
    memcpy(rq, g->resid_quantiles, sizeof rq);
    lmm__zapsmall(rq, 5, 5);
    lmm_format_reals(rq, 5, 4, qv);
    lmm__print_named(out, qnames, qv, 5);
    fprintf(out, "\n");
    lmm__print_varcorr_ex(out, &shell, 0);
    fprintf(out, "Number of obs: %d, groups:  ", g->nobs);
    for (k = 0; k < m->nterms; k++) {
        int j, dup = 0;
        for (j = 0; j < k; j++) if (strcmp(m->terms[j].group, m->terms[k].group) == 0) dup = 1;
        if (dup) continue;
        fprintf(out, "%s%s, %d", k ? "; " : "", m->terms[k].group, m->terms[k].nlevels);
    }
    fprintf(out, "\n");
    if (p > 0 && (cs = (double *)lmm__alloc((size_t)(4 * p), sizeof(double))) != NULL) {
        double *tv = cs + 2 * p, *pv = tv + p;
        for (i = 0; i < p; i++) {
            cs[i] = g->beta[i]; cs[p + i] = g->se[i];
            tv[i] = g->beta[i] / g->se[i];
            pv[i] = 2 * lmm_pnorm(-fabs(tv[i]), 0, 1, 1, 0);
        }
        fprintf(out, "\nFixed effects:\n");
        lmm__print_coefmat(out, m->X->colnames, p, cs, 2, head, tv, pv);
        LMM_FREE(cs);
        lmm__print_fixcorr(out, &shell);
    }
    if (m->n_aliased) fprintf(out, "fixed-effect model matrix is rank deficient so dropping %d column%s / coefficient%s\n",
                              m->n_aliased, m->n_aliased > 1 ? "s" : "", m->n_aliased > 1 ? "s" : "");
    /* lme4's .prt.warn: the optimizer line, then its messages a line each, then a blank line */
    if (g->singular || g->warning[0]) {
        fprintf(out, "optimizer (Nelder_Mead) convergence code: 0 (OK)\n");
        if (g->singular) fprintf(out, "boundary (singular) fit: see help('isSingular')\n");
        if (g->warning[0]) fprintf(out, "%s\n", g->warning);
        fprintf(out, "\n");
    }
}

/* summary() of a glm (R 4.2's print.summary.glm; the Call as match.call deparses it, broken
   after an argument once the line passes 60 characters). */
LMM_API void lmm_print_glm_summary(FILE *out, const lmm_glm *g, const char *data_name)
{
    static const char *const qnames[5] = { "Min", "1Q", "Median", "3Q", "Max" };
    static const char *const head[4] = { "Estimate", "Std. Error", "z value", "Pr(>|z|)" };
    const lmm_model *m = g->model;
    char fbuf[1024], args[4][1100], qv[5][48], dv[2][48], av[1][48];
    double rq[5], d2[2], *r, *cs;
    int nargs = 0, i, len, n = g->nobs, p = g->p, w = 0;
    lmm_deparse_formula(g->formula, fbuf, sizeof fbuf);
    snprintf(args[nargs++], sizeof args[0], "formula = %s", fbuf);
    if (g->link == (g->family == LMM_FAMILY_BINOMIAL ? LMM_LINK_LOGIT : LMM_LINK_LOG))
        snprintf(args[nargs++], sizeof args[0], "family = %s", lmm_family_name(g->family));
    else snprintf(args[nargs++], sizeof args[0], "family = %s(link = \"%s\")", lmm_family_name(g->family), lmm_link_name(g->link));
    if (data_name) snprintf(args[nargs++], sizeof args[0], "data = %s", data_name);
    if (m->weights_label) snprintf(args[nargs++], sizeof args[0], "weights = %s", m->weights_label);
    fprintf(out, "\nCall:\nglm(");
    len = 4;
    for (i = 0; i < nargs; i++) {
        fprintf(out, "%s", args[i]);
        len += (int)strlen(args[i]);
        if (i + 1 == nargs) break;
        fprintf(out, ", ");
        len += 2;
        if (len > 60) { fprintf(out, "\n    "); len = 4; }
    }
    fprintf(out, ")\n\nDeviance Residuals: \n");
    if (n > 0 && (r = (double *)lmm__alloc((size_t)n, sizeof(double))) != NULL) {
        for (i = 0; i < n; i++) {
            double d = lmm__glmm_devres(g->family, g->y[i], g->fitted[i], g->prior_weights[i]);
            r[i] = (g->y[i] > g->fitted[i] ? 1 : -1) * sqrt(d > 0 ? d : 0);
        }
        qsort(r, (size_t)n, sizeof(double), lmm__glmm_cmp);
        for (i = 0; i < 5; i++) {   /* R's quantile type 7 */
            double h = (n - 1) * 0.25 * i;
            int lo = (int)floor(h);
            rq[i] = lo + 1 < n ? r[lo] + (h - lo) * (r[lo + 1] - r[lo]) : r[n - 1];
        }
        LMM_FREE(r);
        lmm__zapsmall(rq, 5, 5);
        lmm_format_reals(rq, 5, 4, qv);
        for (i = 0; i < 5; i++) {
            int a = (int)strlen(qnames[i]), b = (int)strlen(qv[i]);
            if (a > w) w = a;
            if (b > w) w = b;
        }
        for (i = 0; i < 5; i++) fprintf(out, "%*s  ", w, qnames[i]);
        fprintf(out, "\n");
        for (i = 0; i < 5; i++) fprintf(out, "%*s  ", w, qv[i]);
        fprintf(out, "\n");
    }
    if (p > 0 && (cs = (double *)lmm__alloc((size_t)(2 * p), sizeof(double))) != NULL) {
        for (i = 0; i < p; i++) { cs[i] = g->beta[i]; cs[p + i] = g->se[i]; }
        fprintf(out, "\nCoefficients:\n");
        lmm__print_coefmat(out, m->X->colnames, p, cs, 2, head, g->zval, g->pval);
        LMM_FREE(cs);
    }
    fprintf(out, "\n(Dispersion parameter for %s family taken to be 1)\n\n", lmm_family_name(g->family));
    d2[0] = g->null_deviance; d2[1] = g->deviance;
    lmm_format_reals(d2, 2, 5, dv);
    {
        char a[32], b[32];
        int wd;
        snprintf(a, sizeof a, "%d", g->df_null); snprintf(b, sizeof b, "%d", g->df_resid);
        wd = (int)(strlen(a) > strlen(b) ? strlen(a) : strlen(b));
        fprintf(out, "    Null deviance: %s  on %*s  degrees of freedom\n", dv[0], wd, a);
        fprintf(out, "Residual deviance: %s  on %*s  degrees of freedom\n", dv[1], wd, b);
    }
    lmm_format_reals(&g->aic, 1, 5, av);
    fprintf(out, "AIC: %s\n\nNumber of Fisher Scoring iterations: %d\n\n", av[0], g->iter);
}

LMM_API void lmm_print_summary(FILE *out, const lmm_fit *fit, const char *data_name)
{
    lmm__print_summary_rows(out, fit, data_name, NULL, LMM_DDF_SATTERTHWAITE);
}

LMM_API lmm_status lmm_print_summary_ex(FILE *out, const lmm_fit *fit, const char *data_name,
                                        const lmm_print_options *opts, lmm_error *err)
{
    lmm_coef_row *rows;
    lmm_status st;
    if (!out || !fit) return lmm__fail(err, LMM_ERR_ARG, "lmm_print_summary_ex: NULL argument");
    if (!opts || !opts->tests || fit->p < 1) {
        lmm__print_summary_rows(out, fit, data_name, NULL, LMM_DDF_SATTERTHWAITE);
        return LMM_OK;
    }
    rows = (lmm_coef_row *)lmm__alloc((size_t)fit->p, sizeof *rows);
    if (!rows) return lmm__fail(err, LMM_ERR_NOMEM, "out of memory");
    st = lmm_coef_table(fit, opts->ddf, rows, err);
    if (st == LMM_OK) lmm__print_summary_rows(out, fit, data_name, rows, opts->ddf);
    LMM_FREE(rows);
    return st;
}

LMM_API int lmm_print_ranef_group(FILE *out, const lmm_fit *fit, const char *group)
{
    const lmm_model *m = fit->model;
    int k, j, c, k2, ncols = 0, wl = 0, col = 0, *w;
    const lmm_reterm *t = NULL;
    double *vals;
    char (*fv)[48];
    const char **hdr;
    for (k = 0; k < m->nterms && !t; k++) if (strcmp(m->terms[k].group, group) == 0) t = &m->terms[k];
    if (!t) return -1;
    for (j = 0; j < t->nlevels; j++) if ((int)strlen(t->levels[j]) > wl) wl = (int)strlen(t->levels[j]);
    /* the columns of every term on this grouping factor, side by side */
    for (k2 = 0; k2 < m->nterms; k2++) if (strcmp(m->terms[k2].group, group) == 0) ncols += m->terms[k2].ncol;
    vals = (double *)lmm__alloc((size_t)t->nlevels, sizeof(double));
    fv = (char (*)[48])lmm__alloc((size_t)t->nlevels * (size_t)ncols, 48);
    hdr = (const char **)lmm__alloc((size_t)ncols, sizeof(char *));
    w = (int *)lmm__alloc((size_t)ncols, sizeof(int));
    if (!vals || !fv || !hdr || !w) { LMM_FREE(vals); LMM_FREE(fv); LMM_FREE(hdr); LMM_FREE(w); return -1; }
    for (k2 = 0; k2 < m->nterms; k2++) {
        const lmm_reterm *t2 = &m->terms[k2];
        if (strcmp(t2->group, group) != 0) continue;
        for (c = 0; c < t2->ncol; c++, col++) {
            char (*tmp)[48] = fv + (size_t)col * t->nlevels;
            for (j = 0; j < t->nlevels; j++) vals[j] = fit->b[t2->u_offset + j * t2->ncol + c];
            lmm_format_reals(vals, t->nlevels, 7, tmp);
            hdr[col] = t2->colnames[c];
            w[col] = (int)strlen(tmp[0]) > (int)strlen(hdr[col]) ? (int)strlen(tmp[0]) : (int)strlen(hdr[col]);
        }
    }
    fprintf(out, "%-*s", wl, "");
    for (col = 0; col < ncols; col++) fprintf(out, " %*s", w[col], hdr[col]);
    fprintf(out, "\n");
    for (j = 0; j < t->nlevels; j++) {
        fprintf(out, "%-*s", wl, t->levels[j]);
        for (col = 0; col < ncols; col++) fprintf(out, " %*s", w[col], fv[(size_t)col * t->nlevels + j]);
        fprintf(out, "\n");
    }
    LMM_FREE(vals); LMM_FREE(fv); LMM_FREE(hdr); LMM_FREE(w);
    return 0;
}

LMM_API void lmm_print_ranef(FILE *out, const lmm_fit *fit)
{
    const lmm_model *m = fit->model;
    int k, k2;
    for (k = 0; k < m->nterms; k++) {
        int first = 1;
        for (k2 = 0; k2 < k; k2++) if (strcmp(m->terms[k2].group, m->terms[k].group) == 0) first = 0;
        if (!first) continue;
        fprintf(out, "$%s\n", m->terms[k].group);
        lmm_print_ranef_group(out, fit, m->terms[k].group);
        fprintf(out, "\n");
    }
}

LMM_API void lmm_format_pval(double p, int digits, char *buf, size_t size)
{
    if (isnan(p)) { snprintf(buf, size, "NA"); return; }
    if (p < DBL_EPSILON) { snprintf(buf, size, "<2e-16"); return; }
    if (floor(log10(p)) >= -3) {
        char tmp[1][48];
        lmm_format_reals(&p, 1, digits, tmp);
        snprintf(buf, size, "%s", tmp[0]);
    } else {
        int nsig, kp;
        lmm__sig_digits(p, digits, &nsig, &kp);
        snprintf(buf, size, "%.*e", nsig - 1, p);
    }
}

LMM_API void lmm_print_aov(FILE *out, const lmm_lm *fit)
{
    static const char *const head[5] = { "Df", "Sum Sq", "Mean Sq", "F value", "Pr(>F)" };
    lmm_aov_row *rows;
    int n, i, c, wn = 11, w[5], ws = 0, stars = 0;
    double *num;
    char (*cell)[48];          /* column c of row i at cell[c * n + i] */
    n = fit->X->nterms + 1;
    rows = (lmm_aov_row *)lmm__alloc((size_t)n, sizeof *rows);
    num = (double *)lmm__alloc((size_t)n, sizeof(double));
    cell = (char (*)[48])lmm__alloc((size_t)n * 5, 48);
    if (!rows || !num || !cell) goto done;
    n = lmm_aov_table(fit, rows);
    /* print.anova at digits 4: Sum Sq and Mean Sq zapsmall()ed, F value rounded to 3 decimals */
    for (c = 1; c <= 2; c++) {
        for (i = 0; i < n; i++) num[i] = c == 1 ? rows[i].sumsq : rows[i].meansq;
        lmm__zapsmall(num, n, 4);
        lmm_format_reals(num, n, 4, cell + c * n);
    }
    for (i = 0; i < n; i++) {
        snprintf(cell[i], 48, "%d", rows[i].df);
        num[i] = lmm__round(rows[i].f, 3);
    }
    lmm_format_reals(num, n - 1, 4, cell + 3 * n);
    for (i = 0; i < n - 1; i++) num[i] = rows[i].p;
    lmm_format_pvals(num, n - 1, 3, cell + 4 * n);
    cell[3 * n + n - 1][0] = cell[4 * n + n - 1][0] = 0;
    for (i = 0; i < n - 1; i++) {
        if (rows[i].p < 0.1) stars = 1;
        if ((int)strlen(lmm__stars(rows[i].p)) > ws) ws = (int)strlen(lmm__stars(rows[i].p));
    }
    for (i = 0; i < n; i++) if ((int)strlen(rows[i].term) > wn) wn = (int)strlen(rows[i].term);
    for (c = 0; c < 5; c++) {
        w[c] = (int)strlen(head[c]);
        for (i = 0; i < n; i++) if ((int)strlen(cell[c * n + i]) > w[c]) w[c] = (int)strlen(cell[c * n + i]);
    }
    fprintf(out, "%-*s", wn, "");
    for (c = 0; c < 5; c++) fprintf(out, " %*s", w[c], head[c]);
    if (stars) fprintf(out, " %-*s", ws, "");
    fprintf(out, "\n");
    for (i = 0; i < n; i++) {
        fprintf(out, "%-*s", wn, rows[i].term);
        for (c = 0; c < 5; c++) fprintf(out, " %*s", w[c], cell[c * n + i]);
        if (stars) fprintf(out, " %-*s", ws, i < n - 1 ? lmm__stars(rows[i].p) : "");
        fprintf(out, "\n");
    }
    if (stars) lmm__print_signif_legend(out);
done:
    LMM_FREE(rows); LMM_FREE(num); LMM_FREE(cell);
}

/* R's print of confint()'s matrix: each column formatted on its own (7 digits, NA for
   NAN), headers right-aligned over it, row names left-aligned. */
LMM_API void lmm_print_confint(FILE *out, const lmm_confint_result *r)
{
    char (*cell)[48];
    double *v;
    int i, j, wr = 0, w[2];
    if (!out || !r || r->n < 1) return;
    cell = (char (*)[48])lmm__alloc((size_t)r->n * 2, 48);
    v = LMM__NEW(double, r->n);
    if (!cell || !v) { LMM_FREE(cell); LMM_FREE(v); return; }
    for (i = 0; i < r->n; i++) if ((int)strlen(r->names[i]) > wr) wr = (int)strlen(r->names[i]);
    for (j = 0; j < 2; j++) {
        const double *x = j ? r->upper : r->lower;
        char (*c)[48] = cell + (size_t)j * r->n;
        int m = 0;
        for (i = 0; i < r->n; i++) if (!isnan(x[i])) v[m++] = x[i];
        lmm_format_reals(v, m, 7, c);
        for (i = r->n - 1, m--; i >= 0; i--) {   /* spread the formatted values back over the NAs */
            if (isnan(x[i])) strcpy(c[i], "NA");
            else memmove(c[i], c[m--], 48);
        }
        w[j] = (int)strlen(r->columns[j]);
        for (i = 0; i < r->n; i++) if ((int)strlen(c[i]) > w[j]) w[j] = (int)strlen(c[i]);
    }
    fprintf(out, "%-*s %*s %*s\n", wr, "", w[0], r->columns[0], w[1], r->columns[1]);
    for (i = 0; i < r->n; i++)
        fprintf(out, "%-*s %*s %*s\n", wr, r->names[i], w[0], cell[i], w[1], cell[(size_t)r->n + i]);
    LMM_FREE(cell); LMM_FREE(v);
}

/* Print a named vector as R does: one common column width, as many columns as fit in 80. */
static void lmm__print_named_vector(FILE *out, const char *const *names, char (*vals)[48], int n)
{
    int i, j, w = 0, per;
    for (i = 0; i < n; i++) {
        if ((int)strlen(names[i]) > w) w = (int)strlen(names[i]);
        if ((int)strlen(vals[i]) > w) w = (int)strlen(vals[i]);
    }
    per = 80 / (w + 1);
    if (per < 1) per = 1;
    for (i = 0; i < n; i += per) {
        for (j = i; j < n && j < i + per; j++) fprintf(out, "%*s ", w, names[j]);
        fprintf(out, "\n");
        for (j = i; j < n && j < i + per; j++) fprintf(out, "%*s ", w, vals[j]);
        fprintf(out, "\n");
    }
}

/* Print a numeric matrix as R does (x[i + j * nrow]): each column formatted on its own,
   row names left-aligned, and the columns wrapped into blocks of at most 80 characters. */
static void lmm__print_matrix(FILE *out, const char *const *rownames, int nrow, const char *const *colnames,
                              int ncol, const double *x, int digits)
{
    char (*cell)[48] = (char (*)[48])lmm__alloc((size_t)nrow * (size_t)(ncol ? ncol : 1), 48);
    int *w = (int *)lmm__alloc((size_t)(ncol ? ncol : 1), sizeof(int));
    int i, j, j0, j1, wr = 0, tot;
    if (!cell || !w) { LMM_FREE(cell); LMM_FREE(w); return; }
    for (i = 0; i < nrow; i++) if ((int)strlen(rownames[i]) > wr) wr = (int)strlen(rownames[i]);
    for (j = 0; j < ncol; j++) {
        lmm_format_reals(x + (size_t)j * nrow, nrow, digits, cell + (size_t)j * nrow);
        w[j] = (int)strlen(colnames[j]);
        if (nrow && (int)strlen(cell[(size_t)j * nrow]) > w[j]) w[j] = (int)strlen(cell[(size_t)j * nrow]);
    }
    for (j0 = 0; j0 < ncol; j0 = j1) {
        for (j1 = j0, tot = wr; j1 < ncol && (j1 == j0 || tot + 1 + w[j1] <= 80); j1++) tot += 1 + w[j1];
        fprintf(out, "%-*s", wr, "");
        for (j = j0; j < j1; j++) fprintf(out, " %*s", w[j], colnames[j]);
        fprintf(out, "\n");
        for (i = 0; i < nrow; i++) {
            fprintf(out, "%-*s", wr, rownames[i]);
            for (j = j0; j < j1; j++) fprintf(out, " %*s", w[j], cell[(size_t)j * nrow + i]);
            fprintf(out, "\n");
        }
    }
    LMM_FREE(cell); LMM_FREE(w);
}

LMM_API void lmm_print_allfit(FILE *out, const lmm_allfit *a)
{
    static const char *const elapsed[1] = { "elapsed" };
    int n = a->nrows, i, j, nc = a->ntheta + a->p + a->nsdcor, failed = 0;
    /* zeroed: gcc cannot see that n = 0 or p = 0 leaves nothing unread */
    const char **labels = LMM__ZNEW(const char *, n ? n : 1);
    double *x = LMM__ZNEW(double, (size_t)(n ? n : 1) * (size_t)(nc + 1));
    char (*v)[48] = (char (*)[48])lmm__calloc((size_t)(n ? n : 1), 48);
    if (!labels || !x || !v) goto done;
    for (i = 0; i < n; i++) { labels[i] = a->rows[i].label; failed += !a->rows[i].ok; }
    fprintf(out, "$which.OK\n");
    for (i = 0; i < n; i++) snprintf(v[i], 48, "%s", a->rows[i].ok ? "TRUE" : "FALSE");
    lmm__print_named_vector(out, labels, v, n);
    fprintf(out, "\n$msgs\n");
    for (i = 0; i < n; i++) {
        /* lme4 lists a boundary fit's note with the convergence messages */
        const char *w = a->rows[i].warning;
        int nm = 0;
        fprintf(out, "$msgs$%s\n", labels[i]);
        if (a->rows[i].singular) fprintf(out, "[%d] \"boundary (singular) fit: see help('isSingular')\"\n", ++nm);
        while (*w) {                             /* a warning's lines are lme4's separate messages */
            int len = (int)strcspn(w, "\n");
            fprintf(out, "[%d] \"%.*s\"\n", ++nm, len, w);
            w += len + (w[len] == '\n');
        }
        fprintf(out, nm ? "\n" : "NULL\n\n");
    }
    fprintf(out, "\n$fixef\n");
    for (j = 0; j < a->p; j++) for (i = 0; i < n; i++) x[(size_t)j * n + i] = a->rows[i].beta[j];
    lmm__print_matrix(out, labels, n, (const char *const *)a->beta_names, a->p, x, 7);
    fprintf(out, "\n$llik\n");
    for (i = 0; i < n; i++) x[i] = -a->rows[i].criterion / 2;
    lmm_format_reals(x, n, 7, v);
    lmm__print_named_vector(out, labels, v, n);
    fprintf(out, "\n$sdcor\n");
    for (j = 0; j < a->nsdcor; j++) for (i = 0; i < n; i++) x[(size_t)j * n + i] = a->rows[i].sdcor[j];
    lmm__print_matrix(out, labels, n, (const char *const *)a->sdcor_names, a->nsdcor, x, 7);
    fprintf(out, "\n$theta\n");
    for (j = 0; j < a->ntheta; j++) for (i = 0; i < n; i++) x[(size_t)j * n + i] = a->rows[i].theta[j];
    lmm__print_matrix(out, labels, n, (const char *const *)a->theta_names, a->ntheta, x, 7);
    fprintf(out, "\n$times\n");
    for (i = 0; i < n; i++) x[i] = a->rows[i].seconds;
    lmm__print_matrix(out, labels, n, elapsed, 1, x, 7);
    fprintf(out, "\n$feval\n");
    for (i = 0; i < n; i++) snprintf(v[i], 48, "%d", a->rows[i].nevals);
    lmm__print_named_vector(out, labels, v, n);
    fprintf(out, "\n");
    /* lmm.h's verdict: lme4 leaves reading the spread to the user */
    if (a->best < 0) fprintf(out, "no refit ran: the spread is unknown\n");
    else {
        double best = a->rows[a->best].criterion;
        int agree = a->crit_spread <= 1e-6 * (fabs(best) > 1 ? fabs(best) : 1);
        fprintf(out, "criterion spread %.2g, max relative beta difference %.2g, max theta difference %.2g",
                a->crit_spread, a->max_beta_rel, a->max_theta_abs);
        if (failed) fprintf(out, " (%d of %d refits failed)", failed, n);
        if (agree) fprintf(out, ": the optimum is trustworthy\n");
        else {
            char num[48];
            lmm__format1(best, 10, num);
            fprintf(out, ": the optimizers disagree beyond 1e-6 relative; the lowest criterion is %s (%s)\n", num, labels[a->best]);
        }
    }
done:
    LMM_FREE(labels); LMM_FREE(x); LMM_FREE(v);
}

/* "lm(formula = F, data = D)" as R's deparse() writes it: a line is broken
   after a binary operator or an argument's comma once it is past 60 characters. */
static void lmm__print_lm_call(FILE *out, const char *formula, const char *data_name, const char *weights)
{
    char f[1024];
    const char *p;
    int len, depth = 0;
    lmm_deparse_formula(formula, f, sizeof f);
    fprintf(out, "lm(formula = ");
    len = 13;
    for (p = f; *p; p++) {
        fputc(*p, out);
        len++;
        if (*p == '(') depth++;
        if (*p == ')') depth--;
        /* " op " with op one of R's PP_BINARY operators */
        if (*p == ' ' && p > f + 1 && p[-2] == ' ' && strchr("~+-*|", p[-1]) && len > 60 && p[1]) {
            fprintf(out, "\n    ");
            len = 4;
        }
    }
    (void)depth;
    if (data_name) {
        fprintf(out, ", ");
        len += 2;
        if (len > 60) { fprintf(out, "\n    "); len = 4; }
        fprintf(out, "data = %s", data_name);
        len += 7 + (int)strlen(data_name);
    }
    if (weights) {
        fprintf(out, ", ");
        len += 2;
        if (len > 60) { fprintf(out, "\n    "); len = 4; }
        fprintf(out, "weights = %s", weights);
    }
    fprintf(out, ")\n");
}

LMM_API void lmm_print_lm(FILE *out, const lmm_lm *fit, const char *data_name)
{
    int p = fit->p, i;
    double *es, q[5], *sr;
    static const char *const qn[5] = { "Min", "1Q", "Median", "3Q", "Max" };
    char qv[5][48];
    fprintf(out, "\nCall:\n");
    lmm__print_lm_call(out, fit->formula ? fit->formula : "", data_name, fit->weights_label);
    fprintf(out, "\n");
    sr = (double *)lmm__alloc((size_t)fit->nobs, sizeof(double));
    es = (double *)lmm__alloc((size_t)(2 * (p ? p : 1)), sizeof(double));
    if (!sr || !es) goto done;
    fprintf(out, fit->weights ? "Weighted Residuals:\n" : "Residuals:\n");
    if (fit->df_resid > 5) {
        for (i = 0; i < fit->nobs; i++) sr[i] = fit->weights ? sqrt(fit->weights[i]) * fit->resid[i] : fit->resid[i];
        qsort(sr, (size_t)fit->nobs, sizeof *sr, lmm__cmp_double);
        for (i = 0; i < 5; i++) q[i] = lmm__quantile7(sr, fit->nobs, i * 0.25);
        lmm__zapsmall(q, 5, 5);
        lmm_format_reals(q, 5, 4, qv);
        lmm__print_named_vector(out, qn, qv, 5);
    } else {   /* few residual degrees of freedom: R prints every residual, named 1..n */
        char (*rv)[48] = (char (*)[48])lmm__alloc((size_t)fit->nobs, 48);
        char (*rn)[48] = (char (*)[48])lmm__alloc((size_t)fit->nobs, 48);
        const char **np = (const char **)lmm__alloc((size_t)fit->nobs, sizeof(char *));
        if (rv && rn && np) {
            for (i = 0; i < fit->nobs; i++) sr[i] = fit->weights ? sqrt(fit->weights[i]) * fit->resid[i] : fit->resid[i];
            lmm_format_reals(sr, fit->nobs, 4, rv);
            for (i = 0; i < fit->nobs; i++) { snprintf(rn[i], 48, "%d", i + 1); np[i] = rn[i]; }
            lmm__print_named_vector(out, np, rv, fit->nobs);
        }
        LMM_FREE(rv); LMM_FREE(rn); LMM_FREE((void *)np);
    }
    fprintf(out, "\nCoefficients:\n");
    {
        static const char *const head[4] = { "Estimate", "Std. Error", "t value", "Pr(>|t|)" };
        for (i = 0; i < p; i++) { es[i] = fit->coef[i]; es[p + i] = fit->se[i]; }
        lmm__print_coefmat(out, fit->X->colnames, p, es, 2, head, fit->tval, fit->pval);
    }
    {
        char s[48];
        lmm__format1(fit->sigma, 4, s);
        fprintf(out, "\nResidual standard error: %s on %d degrees of freedom\n", s, fit->df_resid);
        if (fit->n_na_dropped > 0)   /* R's naprint of na.omit */
            fprintf(out, "  (%d observation%s deleted due to missingness)\n", fit->n_na_dropped, fit->n_na_dropped > 1 ? "s" : "");
    }
    if (fit->f_df1 > 0) {
        char a[48], b[48], f[48], pv[1][48];
        lmm__format1(fit->r_squared, 4, a);
        lmm__format1(fit->adj_r_squared, 4, b);
        lmm__format1(fit->fstat, 4, f);
        lmm_format_pvals(&fit->f_p, 1, 4, pv);
        fprintf(out, "Multiple R-squared:  %s,\tAdjusted R-squared:  %s \n", a, b);
        fprintf(out, "F-statistic: %s on %d and %d DF,  p-value: %s\n", f, fit->f_df1, fit->df_resid, pv[0]);
    }
    fprintf(out, "\n");
done:
    LMM_FREE(sr); LMM_FREE(es);
}

/* ---- anova() tables and format.pval ---- */

/* R's round(x, d) for the table's columns. */
static double lmm__anova_round(double x, int d)
{
    double s = pow(10.0, d), v = x * s;
    if (!isfinite(v)) return x;
    return (v < 0 ? -floor(-v + 0.5) : floor(v + 0.5)) / s;
}

/* Format column values as print.anova does: entries with have[i] == 0 stay
   empty; kind 0 = zapsmall(x, 5) then format(digits = 5); kind 1 = the test
   statistic, format(round(x, 4), digits = 5); kind 2 = format(x, digits = 5). */
static void lmm__anova_column(const double *x, const int *have, int n, int kind, char (*cells)[48],
                              double *v, char (*f)[48])
{
    int i, k = 0;
    double mx = 0;
    for (i = 0; i < n; i++) if (have[i] && fabs(x[i]) > mx) mx = fabs(x[i]);
    for (i = 0; i < n; i++) {
        cells[i][0] = 0;
        if (!have[i]) continue;
        v[k] = x[i];
        if (kind == 0) {
            /* zapsmall: round(x, max(0, 5 - log10(max|x|))), R rounding the digits to an integer */
            double d = mx > 0 ? floor(5 - log10(mx) + 0.5) : 5;
            v[k] = lmm__anova_round(x[i], d < 0 ? 0 : (int)d);
        } else if (kind == 1) v[k] = lmm__anova_round(x[i], 4);
        k++;
    }
    if (k) lmm_format_reals(v, k, 5, f);
    for (i = 0, k = 0; i < n; i++) if (have[i]) { snprintf(cells[i], 48, "%s", f[k]); k++; }
}

/* format.pval's fixed-notation group: exponent >= -3, or -4 when digits > 1. */
static int lmm__pval_fixed(double p, int digits)
{
    double e = floor(log10(p));
    return e >= -3 || (e == -4 && digits > 1);
}

LMM_API void lmm_format_pvals(const double *pv, int n, int digits, char (*out)[48])
{
    double *fx, *sc;
    char (*ffx)[48], (*fsc)[48];
    int i, nfx = 0, nsc = 0, n0 = 0, nc = 0, d0 = digits - 2 > 1 ? digits - 2 : 1, kf = 0, ks = 0;
    const char *sep;
    char eps[40];
    if (n < 1) return;
    fx = (double *)lmm__alloc((size_t)n, 2 * sizeof(double));
    ffx = (char (*)[48])lmm__alloc((size_t)n, 2 * 48);
    if (!fx || !ffx) {   /* out of memory: one at a time */
        for (i = 0; i < n; i++) lmm_format_pval(pv[i], digits, out[i], 48);
        LMM_FREE(fx); LMM_FREE(ffx);
        return;
    }
    sc = fx + n; fsc = ffx + n;
    for (i = 0; i < n; i++) {
        if (isnan(pv[i])) continue;
        if (pv[i] < DBL_EPSILON) n0++;
        else if (lmm__pval_fixed(pv[i], digits)) fx[nfx++] = pv[i];
        else sc[nsc++] = pv[i];
    }
    /* the fixed and the scientific ones are each formatted jointly, as R does */
    if (nfx) lmm_format_reals(fx, nfx, digits, ffx);
    if (nsc) lmm_format_reals(sc, nsc, digits, fsc);
    for (i = 0; i < nfx; i++) if ((int)strlen(ffx[i]) > nc) nc = (int)strlen(ffx[i]);
    for (i = 0; i < nsc; i++) if ((int)strlen(fsc[i]) > nc) nc = (int)strlen(fsc[i]);
    if (n0 && (nfx || nsc)) {
        if (d0 > 1 && d0 + 6 > nc) d0 = nc - 7 > 1 ? nc - 7 : 1;
        sep = d0 == 1 && nc <= 6 ? "" : " ";
    } else sep = d0 == 1 ? "" : " ";
    {
        double e = DBL_EPSILON;
        char t[1][48];
        lmm_format_reals(&e, 1, d0, t);
        t[0][sizeof eps - 1] = 0;
        memcpy(eps, t[0], sizeof eps);
    }
    for (i = 0; i < n; i++) {
        if (isnan(pv[i])) snprintf(out[i], 48, "NA");
        else if (pv[i] < DBL_EPSILON) snprintf(out[i], 48, "<%s%s", sep, eps);
        else if (lmm__pval_fixed(pv[i], digits)) snprintf(out[i], 48, "%s", ffx[kf++]);
        else snprintf(out[i], 48, "%s", fsc[ks++]);
    }
    LMM_FREE(fx); LMM_FREE(ffx);
}

/* An anova table's buffers: ncol formatted columns of n cells plus a workspace
   column, and n numbers, n scratch numbers, n flags; 0 when out of memory. */
static int lmm__anova_buffers(int n, int ncol, char (**cells)[48], double **col, int **have)
{
    *cells = (char (*)[48])lmm__alloc((size_t)n * (ncol + 1), 48);
    *col = (double *)lmm__alloc((size_t)n * 2, sizeof(double));
    *have = (int *)lmm__alloc((size_t)n, sizeof(int));
    if (*cells && *col && *have) return 1;
    LMM_FREE(*cells); LMM_FREE(*col); LMM_FREE(*have);
    return 0;
}

LMM_API void lmm_print_anova(FILE *out, const lmm_anova *a, const char *data_name)
{
    static const char *const head[9] = { "npar", "AIC", "BIC", "logLik", "deviance", "Chisq", "Df", "Pr(>Chisq)", "" };
    char (*cells)[48], (*work)[48];
    double *col, *v;
    int *have, i, c, n, wname = 0, w[9], stars = 0, nstarw = 0;
    char fbuf[1024];
    if (!a || a->n < 1) return;
    n = a->n;
    if (!lmm__anova_buffers(n, 9, &cells, &col, &have)) return;
    work = cells + 9 * n;
    v = col + n;
    if (a->refitted) fprintf(out, "refitting model(s) with ML (instead of REML)\n");
    if (data_name) fprintf(out, "Data: %s\n", data_name);
    fprintf(out, "Models:\n");
    for (i = 0; i < n; i++) {
        lmm_deparse_formula(a->rows[i].formula, fbuf, sizeof fbuf);
        fprintf(out, "%s: %s\n", a->rows[i].name, fbuf);
    }
    /* column c of row i lives in cells[c * n + i] */
    for (c = 0; c < 8; c++) {
        for (i = 0; i < n; i++) {
            const lmm_anova_row *r = &a->rows[i];
            double v[8];
            v[0] = r->npar; v[1] = r->aic; v[2] = r->bic; v[3] = r->loglik; v[4] = r->deviance;
            v[5] = r->chisq; v[6] = r->df; v[7] = r->p;
            col[i] = v[c];
            have[i] = !isnan(v[c]);
        }
        if (c < 5) lmm__anova_column(col, have, n, 0, cells + c * n, v, work);
        else if (c == 5) lmm__anova_column(col, have, n, 1, cells + c * n, v, work);
        else if (c == 6) lmm__anova_column(col, have, n, 2, cells + c * n, v, work);
        else {
            lmm_format_pvals(col, n, 4, cells + c * n);
            for (i = 0; i < n; i++) if (!have[i]) cells[c * n + i][0] = 0;
            for (i = 0; i < n; i++) if (have[i] && col[i] < 0.1) stars = 1;
        }
    }
    for (i = 0; i < n; i++) {
        double p = a->rows[i].p;
        const char *s = isnan(p) ? "" : p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : " ";
        snprintf(cells[8 * n + i], 48, "%s", s);
        if ((int)strlen(s) > nstarw) nstarw = (int)strlen(s);
    }
    for (i = 0; i < n; i++) if ((int)strlen(a->rows[i].name) > wname) wname = (int)strlen(a->rows[i].name);
    for (c = 0; c < 9; c++) {
        w[c] = (int)strlen(head[c]);
        for (i = 0; i < n; i++) if ((int)strlen(cells[c * n + i]) > w[c]) w[c] = (int)strlen(cells[c * n + i]);
    }
    w[8] = nstarw;
    fprintf(out, "%*s", wname, "");
    for (c = 0; c < 8; c++) fprintf(out, " %*s", w[c], head[c]);
    if (stars) fprintf(out, " %*s", w[8], "");
    fprintf(out, "\n");
    for (i = 0; i < n; i++) {
        fprintf(out, "%-*s", wname, a->rows[i].name);
        for (c = 0; c < 8; c++) fprintf(out, " %*s", w[c], cells[c * n + i]);
        if (stars) fprintf(out, " %-*s", w[8], cells[8 * n + i]);
        fprintf(out, "\n");
    }
    if (stars) fprintf(out, "---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n");
    LMM_FREE(cells); LMM_FREE(col); LMM_FREE(have);
}

/* The body of an lmerTest table as R's print.data.frame lays it out at width 80:
   row names left-aligned, columns right-aligned (the stars, last, left-aligned),
   wrapped into blocks of whole columns that fit. Column c of row i: cells[c * n + i]. */
static void lmm__print_blocks(FILE *out, const char *const *names, int n, int wname, char (*cells)[48],
                              const char *const *head, const int *w, int ncol, int stars)
{
    int c0 = 0, c1, c, i, width;
    while (c0 < ncol) {
        width = wname;
        for (c1 = c0; c1 < ncol && (c1 == c0 || width + 1 + w[c1] <= 80); c1++) width += 1 + w[c1];
        fprintf(out, "%*s", wname, "");
        for (c = c0; c < c1; c++) fprintf(out, " %*s", w[c], head[c]);
        fprintf(out, "\n");
        for (i = 0; i < n; i++) {
            fprintf(out, "%-*s", wname, names[i]);
            for (c = c0; c < c1; c++)
                fprintf(out, stars && c == ncol - 1 ? " %-*s" : " %*s", w[c], cells[c * n + i]);
            fprintf(out, "\n");
        }
        c0 = c1;
    }
}

LMM_API void lmm_print_ranova(FILE *out, const lmm_ranova_table *r)
{
    static const char *const head[7] = { "npar", "logLik", "AIC", "LRT", "Df", "Pr(>Chisq)", "" };
    char (*cells)[48], (*work)[48];
    const char **names;
    double *col, *v;
    int *have, i, c, n, wname = 0, w[7], stars = 0;
    if (!r || r->n < 1) return;
    n = r->n;
    fprintf(out, "ANOVA-like table for random-effects: Single term deletions\n\nModel:\n%s\n", r->model ? r->model : "");
    if (!lmm__anova_buffers(n, 7, &cells, &col, &have)) return;
    work = cells + 7 * n;
    v = col + n;
    for (c = 0; c < 6; c++) {
        for (i = 0; i < n; i++) {
            const lmm_ranova_row *row = &r->rows[i];
            double x[6];
            x[0] = row->npar; x[1] = row->loglik; x[2] = row->aic; x[3] = row->lrt; x[4] = row->df; x[5] = row->p;
            col[i] = x[c];
            have[i] = !isnan(x[c]);
        }
        if (c < 4) lmm__anova_column(col, have, n, 0, cells + c * n, v, work);
        else if (c == 4) lmm__anova_column(col, have, n, 2, cells + c * n, v, work);
        else {
            lmm_format_pvals(col, n, 4, cells + c * n);
            for (i = 0; i < n; i++) if (!have[i]) cells[c * n + i][0] = 0;
            for (i = 0; i < n; i++) if (have[i] && col[i] < 0.1) stars = 1;
        }
    }
    for (i = 0; i < n; i++) snprintf(cells[6 * n + i], 48, "%s", isnan(r->rows[i].p) ? "" : lmm__stars(r->rows[i].p));
    for (i = 0; i < n; i++) if ((int)strlen(r->rows[i].term) > wname) wname = (int)strlen(r->rows[i].term);
    for (c = 0; c < 7; c++) {
        w[c] = c < 6 ? (int)strlen(head[c]) : 0;
        for (i = 0; i < n; i++) if ((int)strlen(cells[c * n + i]) > w[c]) w[c] = (int)strlen(cells[c * n + i]);
    }
    if ((names = (const char **)lmm__alloc((size_t)n, sizeof *names)) != NULL) {
        for (i = 0; i < n; i++) names[i] = r->rows[i].term;
        lmm__print_blocks(out, names, n, wname, cells, head, w, stars ? 7 : 6, stars);
        LMM_FREE(names);
    }
    if (stars) lmm__print_signif_legend(out);
    LMM_FREE(cells); LMM_FREE(col); LMM_FREE(have);
}

LMM_API void lmm_print_contest(FILE *out, const lmm_contest_result *r)
{
    static const char *const head[6] = {"Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)"};
    char cell[6][48];
    double v[6];
    int j, w;
    v[0] = r->sumsq; v[1] = r->meansq; v[2] = r->num_df; v[3] = r->den_df; v[4] = r->f; v[5] = r->f_p;
    for (j = 0; j < 6; j++) lmm_format_reals(&v[j], 1, 7, &cell[j]);   /* each column formatted alone, as R's */
    fputs(" ", out);
    for (j = 0; j < 6; j++) {
        w = (int)strlen(cell[j]) > (int)strlen(head[j]) ? (int)strlen(cell[j]) : (int)strlen(head[j]);
        fprintf(out, " %*s", w, head[j]);
    }
    fputs("\n1", out);
    for (j = 0; j < 6; j++) {
        w = (int)strlen(cell[j]) > (int)strlen(head[j]) ? (int)strlen(cell[j]) : (int)strlen(head[j]);
        fprintf(out, " %*s", w, cell[j]);
    }
    fputs("\n", out);
}

LMM_API void lmm_print_anova_type3(FILE *out, const lmm_anova3_row *rows, int n)
{
    lmm_print_anova_table(out, 3, LMM_DDF_SATTERTHWAITE, rows, n);
}

LMM_API void lmm_print_anova_table(FILE *out, int type, lmm_ddf_method ddf, const lmm_anova3_row *rows, int n)
{
    static const char *const head[7] = { "Sum Sq", "Mean Sq", "NumDF", "DenDF", "F value", "Pr(>F)", "" };
    static const char *const roman[4] = { "", "I", "II", "III" };
    const char **names;
    char (*cells)[48], (*work)[48];
    double *col, *v;
    int *have, i, c, wname = 0, w[7], stars = 0;
    fprintf(out, "Type %s Analysis of Variance Table with %s method\n", roman[type >= 1 && type <= 3 ? type : 3],
            ddf == LMM_DDF_KENWARD_ROGER ? "Kenward-Roger's" : "Satterthwaite's");
    if (n < 1) { fprintf(out, "     Sum Sq Mean Sq NumDF DenDF F value Pr(>F)\n"); return; }   /* R's empty table */
    if (!lmm__anova_buffers(n, 7, &cells, &col, &have)) return;
    work = cells + 7 * n;
    v = col + n;
    /* print.anova: the df columns zapped with the sums of squares, F rounded to 4 */
    for (c = 0; c < 6; c++) {
        for (i = 0; i < n; i++) {
            const lmm_anova3_row *r = &rows[i];
            double x[6];
            x[0] = r->sumsq; x[1] = r->meansq; x[2] = r->num_df; x[3] = r->den_df; x[4] = r->f; x[5] = r->p;
            col[i] = x[c];
            have[i] = !isnan(x[c]);
        }
        if (c < 5) lmm__anova_column(col, have, n, c == 4 ? 1 : 0, cells + c * n, v, work);
        else {
            lmm_format_pvals(col, n, 4, cells + c * n);
            for (i = 0; i < n; i++) if (have[i] && col[i] < 0.1) stars = 1;
        }
    }
    for (i = 0; i < n; i++) snprintf(cells[6 * n + i], 48, "%s", lmm__stars(rows[i].p));
    for (i = 0; i < n; i++) if ((int)strlen(rows[i].term) > wname) wname = (int)strlen(rows[i].term);
    for (c = 0; c < 7; c++) {
        w[c] = c < 6 ? (int)strlen(head[c]) : 0;
        for (i = 0; i < n; i++) if ((int)strlen(cells[c * n + i]) > w[c]) w[c] = (int)strlen(cells[c * n + i]);
    }
    if ((names = (const char **)lmm__alloc((size_t)n, sizeof *names)) != NULL) {
        for (i = 0; i < n; i++) names[i] = rows[i].term;
        lmm__print_blocks(out, names, n, wname, cells, head, w, stars ? 7 : 6, stars);
        LMM_FREE(names);
    }
    if (stars) lmm__print_signif_legend(out);
    LMM_FREE(cells); LMM_FREE(col); LMM_FREE(have);
}

/* ======================================================================== */
/* Plots (standalone SVG)                                            @plot */
/* ======================================================================== */

/* R's pretty(): choose a unit of 1, 2, 5 or 10 times a power of ten near
   (hi - lo) / n, biased towards the larger units as R does. */
LMM_API int lmm_pretty(double lo, double hi, int n, int min_n, double *ticks, int max_ticks)
{
    const double bias = 1.5, bias5 = 0.5 + 1.5 * 1.5, shrink = 0.75;
    double dx, cell, unit, base, cand, ns, nu;
    int small, k, i, ndiv = n < 1 ? 1 : n;
    if (!isfinite(lo) || !isfinite(hi)) return 0;
    if (lo > hi) { double t = lo; lo = hi; hi = t; }
    if (min_n < 0) min_n = 0;
    if (min_n > ndiv) min_n = ndiv;
    dx = hi - lo;
    if (dx == 0 && hi == 0) {
        cell = 1;
        small = 1;
    } else {
        double tol = (1 + 1 / (1 + bias)) * ndiv * DBL_EPSILON;
        cell = fabs(lo) > fabs(hi) ? fabs(lo) : fabs(hi);
        small = dx < cell * tol * 3;
    }
    if (small) {
        if (cell > 10) cell = 9 + cell / 10;
        cell *= shrink;
        if (min_n > 1) cell /= min_n;
    } else {
        cell = dx / ndiv;
    }
    if (cell < 20 * DBL_MIN) cell = 20 * DBL_MIN;
    base = pow(10.0, floor(log10(cell)));
    unit = base;
    if ((cand = 2 * base) - cell < bias * (cell - unit)) {
        unit = cand;
        if ((cand = 5 * base) - cell < bias5 * (cell - unit)) {
            unit = cand;
            if ((cand = 10 * base) - cell < bias * (cell - unit)) unit = cand;
        }
    }
    ns = floor(lo / unit + 1e-7);
    nu = ceil(hi / unit - 1e-7);
    while (ns * unit > lo + 1e-10 * unit) ns--;
    while (nu * unit < hi - 1e-10 * unit) nu++;
    k = (int)(0.5 + nu - ns);
    if (k < min_n) {
        /* too few intervals: widen symmetrically, the odd one away from zero */
        k = min_n - k;
        if (ns >= 0) { nu += k / 2; ns -= k / 2 + k % 2; }
        else { ns -= k / 2; nu += k / 2 + k % 2; }
        k = (int)(0.5 + nu - ns);
    }
    for (i = 0; i <= k && i < max_ticks; i++) ticks[i] = (ns + i) * unit;
    return k + 1;
}

LMM_API void lmm_ppoints(int n, double *p)
{
    double a = n <= 10 ? 3.0 / 8.0 : 0.5;
    int i;
    for (i = 0; i < n; i++) p[i] = (i + 1 - a) / (n + 1 - 2 * a);
}

LMM_API int lmm_hist_breaks(const double *x, int n, double *breaks, int *counts, int max_breaks)
{
    double lo = HUGE_VAL, hi = -HUGE_VAL, fuzz;
    double tmp[256];
    int i, j, nfin = 0, nb, nclass;
    for (i = 0; i < n; i++) {
        if (!isfinite(x[i])) continue;
        nfin++;
        if (x[i] < lo) lo = x[i];
        if (x[i] > hi) hi = x[i];
    }
    if (nfin == 0) return 0;
    /* Sturges: ceiling(log2(n) + 1) classes */
    nclass = (int)ceil(log((double)nfin) / log(2.0) + 1);
    nb = lmm_pretty(lo, hi, nclass, 1, tmp, 256);
    if (nb > 256) nb = 256;
    for (j = 0; j < nb && j < max_breaks; j++) breaks[j] = tmp[j];
    if (!counts) return nb;
    for (j = 0; j + 1 < nb && j + 1 < max_breaks; j++) counts[j] = 0;
    /* R nudges the breaks by 1e-7 of a bin so values on a break fall predictably */
    fuzz = nb > 1 ? 1e-7 * (tmp[1] - tmp[0]) : 0;
    for (i = 0; i < n; i++) {
        double v = x[i];
        if (!isfinite(v)) continue;
        for (j = 0; j + 1 < nb; j++) {
            double left = j == 0 ? tmp[0] - fuzz : tmp[j] + fuzz;
            if ((v > left || (j == 0 && v == left)) && v <= tmp[j + 1] + fuzz) break;
        }
        if (j + 1 < nb && j + 1 < max_breaks) counts[j]++;
    }
    return nb;
}

/* ---- the SVG writer ---- */

typedef struct lmm__plot_panel {
    double x0, y0, x1, y1;      /* pixel box */
    double xlo, xhi, ylo, yhi;  /* data range mapped onto it */
} lmm__plot_panel;

static double lmm__plot_px(const lmm__plot_panel *p, double x)
{
    return p->x0 + (x - p->xlo) / (p->xhi - p->xlo) * (p->x1 - p->x0);
}

static double lmm__plot_py(const lmm__plot_panel *p, double y)
{
    return p->y1 - (y - p->ylo) / (p->yhi - p->ylo) * (p->y1 - p->y0);
}

/* A pixel coordinate with two decimals; never -0.00, never NaN. */
static void lmm__svg_num(FILE *f, double v)
{
    if (!isfinite(v)) v = 0;
    if (fabs(v) < 0.005) v = 0;
    fprintf(f, "%.2f", v);
}

/* Length of a valid UTF-8 sequence at s, 0 if invalid. */
static int lmm__plot_utf8_len(const unsigned char *s)
{
    int len, i;
    if (s[0] < 0x80) return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) len = 4;
    else return 0;
    for (i = 1; i < len; i++) if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

/* Text content or attribute value: XML-escaped; control bytes and
   invalid UTF-8 become '?' so the document always parses. */
static void lmm__svg_escape(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        int len;
        switch (*p) {
        case '&': fputs("&amp;", f); p++; continue;
        case '<': fputs("&lt;", f); p++; continue;
        case '>': fputs("&gt;", f); p++; continue;
        case '"': fputs("&quot;", f); p++; continue;
        case '\'': fputs("&apos;", f); p++; continue;
        default: break;
        }
        if (*p < 0x20) { fputc('?', f); p++; continue; }
        len = lmm__plot_utf8_len(p);
        if (len == 0) { fputc('?', f); p++; continue; }
        fwrite(p, 1, (size_t)len, f);
        p += len;
    }
}

static void lmm__svg_begin(FILE *f, int w, int h)
{
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
               "font-family=\"Helvetica, Arial, sans-serif\">\n", w, h, w, h);
    fprintf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w, h);
}

/* anchor: "start", "middle" or "end"; rotate: degrees about (x, y). */
static void lmm__svg_text(FILE *f, double x, double y, const char *anchor, double size, int bold,
                          int rotate, const char *s)
{
    fputs("<text x=\"", f); lmm__svg_num(f, x);
    fputs("\" y=\"", f); lmm__svg_num(f, y);
    fprintf(f, "\" font-size=\"%g\" text-anchor=\"%s\"", size, anchor);
    if (bold) fputs(" font-weight=\"bold\"", f);
    if (rotate) {
        fprintf(f, " transform=\"rotate(%d ", rotate);
        lmm__svg_num(f, x); fputc(' ', f); lmm__svg_num(f, y); fputs(")\"", f);
    }
    fputc('>', f);
    lmm__svg_escape(f, s);
    fputs("</text>\n", f);
}

static void lmm__svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke,
                          double width, const char *dash)
{
    fputs("<line x1=\"", f); lmm__svg_num(f, x1);
    fputs("\" y1=\"", f); lmm__svg_num(f, y1);
    fputs("\" x2=\"", f); lmm__svg_num(f, x2);
    fputs("\" y2=\"", f); lmm__svg_num(f, y2);
    fprintf(f, "\" stroke=\"%s\" stroke-width=\"%g\"", stroke, width);
    if (dash) fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/>\n", f);
}

static void lmm__svg_rect(FILE *f, double x, double y, double w, double h, const char *fill,
                          const char *stroke, const char *cls)
{
    fputs("<rect", f);
    if (cls) fprintf(f, " class=\"%s\"", cls);
    fputs(" x=\"", f); lmm__svg_num(f, x);
    fputs("\" y=\"", f); lmm__svg_num(f, y);
    fputs("\" width=\"", f); lmm__svg_num(f, w);
    fputs("\" height=\"", f); lmm__svg_num(f, h);
    fprintf(f, "\" fill=\"%s\" stroke=\"%s\"/>\n", fill, stroke);
}

static void lmm__svg_point(FILE *f, double x, double y, const char *color)
{
    fputs("<circle cx=\"", f); lmm__svg_num(f, x);
    fputs("\" cy=\"", f); lmm__svg_num(f, y);
    fprintf(f, "\" r=\"2.5\" fill=\"none\" stroke=\"%s\"/>\n", color);
}

/* Data range [lo, hi] widened by 4% a side as R's plot does (never empty). */
static void lmm__plot_range_pad(double *lo, double *hi)
{
    double d;
    if (!(*hi > *lo)) {
        d = *lo == 0 ? 1 : fabs(*lo) * 0.1;
        *lo -= d;
        *hi += d;
        return;
    }
    d = (*hi - *lo) * 0.04;
    *lo -= d;
    *hi += d;
}

/* A tick label: %g, with exact zero for values on the zero tick. */
static void lmm__plot_tick_label(double v, double unit, char *buf, size_t size)
{
    if (fabs(v) < 1e-10 * fabs(unit)) v = 0;
    snprintf(buf, size, "%g", v);
}

/* Ticks at pretty values inside the panel's range, below (x) or left of (y) the box. */
static void lmm__svg_xaxis(FILE *f, const lmm__plot_panel *p)
{
    double t[64];
    char buf[48];
    int i, nt = lmm_pretty(p->xlo, p->xhi, 5, 1, t, 64);
    if (nt > 64) nt = 64;
    for (i = 0; i < nt; i++) {
        double x;
        if (t[i] < p->xlo || t[i] > p->xhi) continue;
        x = lmm__plot_px(p, t[i]);
        lmm__svg_line(f, x, p->y1, x, p->y1 + 5, "black", 1, NULL);
        lmm__plot_tick_label(t[i], nt > 1 ? t[1] - t[0] : 1, buf, sizeof buf);
        lmm__svg_text(f, x, p->y1 + 17, "middle", 11, 0, 0, buf);
    }
}

static void lmm__svg_yaxis(FILE *f, const lmm__plot_panel *p)
{
    double t[64];
    char buf[48];
    int i, nt = lmm_pretty(p->ylo, p->yhi, 5, 1, t, 64);
    if (nt > 64) nt = 64;
    for (i = 0; i < nt; i++) {
        double y;
        if (t[i] < p->ylo || t[i] > p->yhi) continue;
        y = lmm__plot_py(p, t[i]);
        lmm__svg_line(f, p->x0 - 5, y, p->x0, y, "black", 1, NULL);
        lmm__plot_tick_label(t[i], nt > 1 ? t[1] - t[0] : 1, buf, sizeof buf);
        lmm__svg_text(f, p->x0 - 8, y + 4, "end", 11, 0, 0, buf);
    }
}

static void lmm__svg_box(FILE *f, const lmm__plot_panel *p)
{
    lmm__svg_rect(f, p->x0, p->y0, p->x1 - p->x0, p->y1 - p->y0, "none", "black", NULL);
}

/* The line a + b x clipped to the panel (nothing drawn if it misses). */
static void lmm__svg_abline(FILE *f, const lmm__plot_panel *p, double a, double b, const char *stroke)
{
    double xa = p->xlo, xb = p->xhi;
    if (!isfinite(a) || !isfinite(b)) return;
    if (b != 0) {
        double u = (p->ylo - a) / b, v = (p->yhi - a) / b;
        if (u > v) { double t = u; u = v; v = t; }
        if (u > xa) xa = u;
        if (v < xb) xb = v;
    } else if (a < p->ylo || a > p->yhi) {
        return;
    }
    if (!(xb > xa)) return;
    lmm__svg_line(f, lmm__plot_px(p, xa), lmm__plot_py(p, a + b * xa), lmm__plot_px(p, xb), lmm__plot_py(p, a + b * xb),
                  stroke, 1, NULL);
}

static lmm_status lmm__svg_finish(FILE *f, lmm_error *err)
{
    fputs("</svg>\n", f);
    if (ferror(f)) return lmm__fail(err, LMM_ERR_IO, "writing the SVG failed");
    return LMM_OK;
}

static void lmm__plot_size(const lmm_plot_options *opts, int *w, int *h)
{
    *w = opts && opts->width > 0 ? opts->width : 640;
    *h = opts && opts->height > 0 ? opts->height : 480;
}

static const char *lmm__plot_opt_str(const char *given, const char *fallback)
{
    return given ? given : fallback;
}

/* Scatter plot of finite (x, y) pairs with optional reference lines: the
   common body of the residual and QQ plots. */
static lmm_status lmm__plot_scatter(FILE *f, const double *x, const double *y, int n, const lmm_plot_options *opts,
                               const char *title, const char *xlab, const char *ylab, int zero_line,
                               int has_abline, double a, double b, lmm_error *err)
{
    lmm__plot_panel p;
    int w, h, i, nfin = 0;
    double xlo = HUGE_VAL, xhi = -HUGE_VAL, ylo = HUGE_VAL, yhi = -HUGE_VAL;
    for (i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) continue;
        nfin++;
        if (x[i] < xlo) xlo = x[i];
        if (x[i] > xhi) xhi = x[i];
        if (y[i] < ylo) ylo = y[i];
        if (y[i] > yhi) yhi = y[i];
    }
    if (nfin == 0) return lmm__fail(err, LMM_ERR_DATA, "nothing to plot: no finite values");
    lmm__plot_range_pad(&xlo, &xhi);
    lmm__plot_range_pad(&ylo, &yhi);
    lmm__plot_size(opts, &w, &h);
    p.x0 = 70; p.x1 = w - 20; p.y0 = 40; p.y1 = h - 55;
    p.xlo = xlo; p.xhi = xhi; p.ylo = ylo; p.yhi = yhi;
    lmm__svg_begin(f, w, h);
    lmm__svg_text(f, w / 2.0, 24, "middle", 14, 1, 0, lmm__plot_opt_str(opts ? opts->title : NULL, title));
    lmm__svg_text(f, (p.x0 + p.x1) / 2, h - 15, "middle", 12, 0, 0, lmm__plot_opt_str(opts ? opts->xlab : NULL, xlab));
    lmm__svg_text(f, 18, (p.y0 + p.y1) / 2, "middle", 12, 0, -90, lmm__plot_opt_str(opts ? opts->ylab : NULL, ylab));
    if (zero_line) lmm__svg_abline(f, &p, 0, 0, "gray");
    if (has_abline) lmm__svg_abline(f, &p, a, b, "red");
    fputs("<g class=\"points\">\n", f);
    for (i = 0; i < n; i++)
        if (isfinite(x[i]) && isfinite(y[i])) lmm__svg_point(f, lmm__plot_px(&p, x[i]), lmm__plot_py(&p, y[i]), "#0080ff");
    fputs("</g>\n", f);
    lmm__svg_box(f, &p);
    lmm__svg_xaxis(f, &p);
    lmm__svg_yaxis(f, &p);
    return lmm__svg_finish(f, err);
}

LMM_API lmm_status lmm_plot_resid(FILE *out, const double *fitted, const double *resid, int n,
                                  const lmm_plot_options *opts, lmm_error *err)
{
    if (!out || n < 0 || (n > 0 && (!fitted || !resid)))
        return lmm__fail(err, LMM_ERR_ARG, "lmm_plot_resid: need a stream and n >= 0 fitted and residual values");
    return lmm__plot_scatter(out, fitted, resid, n, opts, "Residuals vs Fitted", "Fitted values", "Residuals",
                        1, 0, 0, 0, err);
}

LMM_API lmm_status lmm_plot_qq(FILE *out, const double *x, int n, const lmm_plot_options *opts, lmm_error *err)
{
    double *y, *q, a, b, qx1, qx3;
    int i, m = 0;
    lmm_status st;
    if (!out || n < 0 || (n > 0 && !x))
        return lmm__fail(err, LMM_ERR_ARG, "lmm_plot_qq: need a stream and n >= 0 values");
    for (i = 0; i < n; i++) if (isfinite(x[i])) m++;
    if (m == 0) return lmm__fail(err, LMM_ERR_DATA, "nothing to plot: no finite values");
    y = LMM__NEW(double, (size_t)m);
    q = LMM__NEW(double, (size_t)m);
    if (!y || !q) { LMM_FREE(y); LMM_FREE(q); return lmm__nomem(err); }
    for (i = 0, m = 0; i < n; i++) if (isfinite(x[i])) y[m++] = x[i];
    qsort(y, (size_t)m, sizeof(double), lmm__cmp_double);
    lmm_ppoints(m, q);
    for (i = 0; i < m; i++) q[i] = lmm_qnorm(q[i], 0, 1, 1, 0);
    /* qqline: through the sample and normal quartiles */
    qx1 = lmm_qnorm(0.25, 0, 1, 1, 0);
    qx3 = lmm_qnorm(0.75, 0, 1, 1, 0);
    b = (lmm__quantile7(y, m, 0.75) - lmm__quantile7(y, m, 0.25)) / (qx3 - qx1);
    a = lmm__quantile7(y, m, 0.25) - b * qx1;
    st = lmm__plot_scatter(out, q, y, m, opts, "Normal Q-Q Plot", "Theoretical Quantiles", "Sample Quantiles",
                      0, 1, a, b, err);
    LMM_FREE(y);
    LMM_FREE(q);
    return st;
}

LMM_API lmm_status lmm_plot_hist(FILE *out, const double *x, int n, const char *title,
                                 const lmm_plot_options *opts, lmm_error *err)
{
    double br[256];
    int cnt[255], nb, j, w, h, cmax = 0;
    lmm__plot_panel p;
    if (!out || n < 0 || (n > 0 && !x))
        return lmm__fail(err, LMM_ERR_ARG, "lmm_plot_hist: need a stream and n >= 0 values");
    nb = lmm_hist_breaks(x, n, br, cnt, 256);
    if (nb < 2) return lmm__fail(err, LMM_ERR_DATA, "nothing to plot: no finite values");
    for (j = 0; j + 1 < nb; j++) if (cnt[j] > cmax) cmax = cnt[j];
    lmm__plot_size(opts, &w, &h);
    p.x0 = 70; p.x1 = w - 20; p.y0 = 40; p.y1 = h - 55;
    p.xlo = br[0]; p.xhi = br[nb - 1];
    p.ylo = 0; p.yhi = cmax > 0 ? cmax : 1;
    lmm__plot_range_pad(&p.xlo, &p.xhi);
    p.yhi *= 1.04;
    lmm__svg_begin(out, w, h);
    if (!title) title = opts && opts->title ? opts->title : "Histogram";
    lmm__svg_text(out, w / 2.0, 24, "middle", 14, 1, 0, title);
    lmm__svg_text(out, (p.x0 + p.x1) / 2, h - 15, "middle", 12, 0, 0, lmm__plot_opt_str(opts ? opts->xlab : NULL, "Value"));
    lmm__svg_text(out, 18, (p.y0 + p.y1) / 2, "middle", 12, 0, -90, lmm__plot_opt_str(opts ? opts->ylab : NULL, "Frequency"));
    fputs("<g class=\"bars\">\n", out);
    for (j = 0; j + 1 < nb; j++) {
        double xa = lmm__plot_px(&p, br[j]), xb = lmm__plot_px(&p, br[j + 1]), yt = lmm__plot_py(&p, cnt[j]);
        lmm__svg_rect(out, xa, yt, xb - xa, lmm__plot_py(&p, 0) - yt, "#d3d3d3", "black", "bar");
    }
    fputs("</g>\n", out);
    /* R's hist draws axes only, no box */
    lmm__svg_line(out, p.x0, p.y1, p.x1, p.y1, "black", 1, NULL);
    lmm__svg_line(out, p.x0, p.y0, p.x0, p.y1, "black", 1, NULL);
    lmm__svg_xaxis(out, &p);
    lmm__svg_yaxis(out, &p);
    return lmm__svg_finish(out, err);
}

typedef struct lmm__plot_rank { double v; int i; } lmm__plot_rank;

/* Ascending by value, NaN last, ties by level order: a deterministic sort. */
static int lmm__plot_cmp_rank(const void *a, const void *b)
{
    const lmm__plot_rank *u = (const lmm__plot_rank *)a, *v = (const lmm__plot_rank *)b;
    int nu = isnan(u->v), nv = isnan(v->v);
    if (nu != nv) return nu - nv;
    if (!nu && u->v != v->v) return u->v < v->v ? -1 : 1;
    return u->i - v->i;
}

LMM_API lmm_status lmm_plot_ranef(FILE *out, const lmm_fit *fit, const char *group,
                                  const lmm_plot_options *opts, lmm_error *err)
{
    const double z975 = 1.959963984540054;
    const lmm_model *m;
    const lmm_reterm *t0 = NULL;
    lmm__plot_rank *ord;
    int k, j, c, ncols = 0, col, w, h, L, maxlab = 0, left, gap = 10, strip = 18;
    double pw;
    if (!out || !fit || !fit->model || !fit->b)
        return lmm__fail(err, LMM_ERR_ARG, "lmm_plot_ranef: need a stream and a fit");
    m = fit->model;
    if (m->nterms == 0) return lmm__fail(err, LMM_ERR_ARG, "lmm_plot_ranef: the model has no random effects");
    if (!group) group = m->terms[0].group;
    for (k = 0; k < m->nterms; k++) {
        if (strcmp(m->terms[k].group, group) != 0) continue;
        if (!t0) t0 = &m->terms[k];
        if (m->terms[k].nlevels == t0->nlevels) ncols += m->terms[k].ncol;
    }
    if (!t0) return lmm__fail(err, LMM_ERR_ARG, "no grouping factor '%s' in the model (first is '%s')",
                              group, m->terms[0].group);
    L = t0->nlevels;
    if (L < 1) return lmm__fail(err, LMM_ERR_DATA, "grouping factor '%s' has no levels", group);
    ord = LMM__NEW(lmm__plot_rank, (size_t)L);
    if (!ord) return lmm__nomem(err);
    /* lme4 orders the levels by the first column, the same order in every panel */
    for (j = 0; j < L; j++) {
        ord[j].v = fit->b[t0->u_offset + j * t0->ncol];
        ord[j].i = j;
    }
    qsort(ord, (size_t)L, sizeof *ord, lmm__plot_cmp_rank);
    for (j = 0; j < L; j++) {
        int len = (int)strlen(t0->levels[j]);
        if (len > maxlab) maxlab = len;
    }
    if (maxlab > 40) maxlab = 40;
    left = 20 + (int)(maxlab * 6.6) + 10;
    lmm__plot_size(opts, &w, &h);
    if (!(opts && opts->height > 0)) {
        int need = 40 + strip + 14 * L + 55;
        if (need > h) h = need;
    }
    pw = (w - left - 20 - gap * (ncols - 1)) / (double)ncols;
    if (pw < 20) pw = 20;
    lmm__svg_begin(out, w, h);
    lmm__svg_text(out, w / 2.0, 24, "middle", 14, 1, 0, lmm__plot_opt_str(opts ? opts->title : NULL, group));
    if (opts && opts->xlab) lmm__svg_text(out, left + (w - left - 20) / 2.0, h - 15, "middle", 12, 0, 0, opts->xlab);
    if (opts && opts->ylab) lmm__svg_text(out, 14, (40 + strip + h - 55) / 2.0, "middle", 12, 0, -90, opts->ylab);
    col = 0;
    for (k = 0; k < m->nterms; k++) {
        const lmm_reterm *t = &m->terms[k];
        if (strcmp(t->group, group) != 0 || t->nlevels != L) continue;
        for (c = 0; c < t->ncol; c++, col++) {
            lmm__plot_panel p;
            double lo = 0, hi = 0;
            p.x0 = left + col * (pw + gap);
            p.x1 = p.x0 + pw;
            p.y0 = 40 + strip;
            p.y1 = h - 55;
            p.ylo = 0.5;
            p.yhi = L + 0.5;
            for (j = 0; j < L; j++) {
                double v = fit->b[t->u_offset + j * t->ncol + c];
                double s = fit->b_condsd ? fit->b_condsd[t->u_offset + j * t->ncol + c] : 0;
                if (!isfinite(v)) continue;
                if (!isfinite(s)) s = 0;
                if (v - z975 * s < lo) lo = v - z975 * s;
                if (v + z975 * s > hi) hi = v + z975 * s;
            }
            lmm__plot_range_pad(&lo, &hi);
            p.xlo = lo;
            p.xhi = hi;
            /* strip with the column name, as lattice labels panels */
            lmm__svg_rect(out, p.x0, p.y0 - strip, pw, strip, "#ffe5cc", "black", "strip");
            lmm__svg_text(out, (p.x0 + p.x1) / 2, p.y0 - 5, "middle", 11, 0, 0, t->colnames[c]);
            for (j = 0; j < L; j++) {
                double y = lmm__plot_py(&p, j + 1);
                lmm__svg_line(out, p.x0, y, p.x1, y, "#e6e6e6", 1, NULL);
            }
            lmm__svg_line(out, lmm__plot_px(&p, 0), p.y0, lmm__plot_px(&p, 0), p.y1, "gray", 1, "4,3");
            fputs("<g class=\"points\">\n", out);
            for (j = 0; j < L; j++) {
                int lev = ord[j].i;
                double v = fit->b[t->u_offset + lev * t->ncol + c];
                double s = fit->b_condsd ? fit->b_condsd[t->u_offset + lev * t->ncol + c] : NAN;
                double y = lmm__plot_py(&p, j + 1);
                if (!isfinite(v)) continue;
                if (isfinite(s))
                    lmm__svg_line(out, lmm__plot_px(&p, v - z975 * s), y, lmm__plot_px(&p, v + z975 * s), y, "black", 1.2, NULL);
                lmm__svg_point(out, lmm__plot_px(&p, v), y, "#0080ff");
            }
            fputs("</g>\n", out);
            lmm__svg_box(out, &p);
            lmm__svg_xaxis(out, &p);
            if (col == 0) {
                for (j = 0; j < L; j++)
                    lmm__svg_text(out, p.x0 - 6, lmm__plot_py(&p, j + 1) + 4, "end", 11, 0, 0, t0->levels[ord[j].i]);
            }
        }
    }
    LMM_FREE(ord);
    return lmm__svg_finish(out, err);
}

#endif /* LMM_IMPLEMENTATION */

/*
------------------------------------------------------------------------------
This software is available under 2 licenses -- choose whichever you prefer.
------------------------------------------------------------------------------
ALTERNATIVE A - MIT License
Copyright (c) 2026 the lmm.h authors
Permission is hereby granted, free of charge, to any person obtaining a copy of
this software and associated documentation files (the "Software"), to deal in
the Software without restriction, including without limitation the rights to
use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies
of the Software, and to permit persons to whom the Software is furnished to do
so, subject to the following conditions:
The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.
THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
------------------------------------------------------------------------------
ALTERNATIVE B - Public Domain (www.unlicense.org)
This is free and unencumbered software released into the public domain.
Anyone is free to copy, modify, publish, use, compile, sell, or distribute this
software, either in source code form or as a compiled binary, for any purpose,
commercial or non-commercial, and by any means.
------------------------------------------------------------------------------
*/
