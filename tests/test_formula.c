/* Formula parsing: term expansion as R's terms() does it, random-effects
   terms as lme4's findbars/expandDoubleVerts/expandSlash do, error messages. */
#include "test.h"

/* Term labels of a termlist joined by " + " ("x + f + x:f"). */
static void labels(const lmm_formula *f, const lmm_termlist *tl, char *buf, size_t size)
{
    int t, k;
    buf[0] = '\0';
    if (tl->intercept) strncat(buf, "1", size - strlen(buf) - 1);
    for (t = 0; t < tl->nterms; t++) {
        if (buf[0]) strncat(buf, " + ", size - strlen(buf) - 1);
        for (k = 0; k < tl->terms[t].nvars; k++) {
            if (k) strncat(buf, ":", size - strlen(buf) - 1);
            strncat(buf, f->vars[tl->terms[t].vars[k]].label, size - strlen(buf) - 1);
        }
    }
}

static void check_fixed(const char *text, const char *want)
{
    lmm_formula *f = NULL;
    lmm_error err;
    char buf[512];
    CHECK(lmm_formula_parse(text, &f, &err) == LMM_OK);
    if (!f) { fprintf(stderr, "  %s: %s\n", text, err.message); return; }
    labels(f, &f->fixed, buf, sizeof buf);
    if (strcmp(buf, want) != 0) fprintf(stderr, "  formula %s\n", text);
    CHECK_STR(buf, want);
    lmm_formula_free(f);
}

static void check_error(const char *text, const char *fragment)
{
    lmm_formula *f = NULL;
    lmm_error err;
    err.message[0] = '\0';
    CHECK(lmm_formula_parse(text, &f, &err) == LMM_ERR_FORMULA);
    CHECK(f == NULL);
    if (!strstr(err.message, fragment)) fprintf(stderr, "  %s -> '%s' (wanted '%s')\n", text, err.message, fragment);
    CHECK(strstr(err.message, fragment) != NULL);
}

void test_formula(void)
{
    /* R: attr(terms(y ~ ...), "term.labels") and "intercept" */
    check_fixed("y ~ x", "1 + x");
    check_fixed("y ~ a*b", "1 + a + b + a:b");
    check_fixed("y ~ a*b*c", "1 + a + b + c + a:b + a:c + b:c + a:b:c");
    check_fixed("y ~ a:b + a", "1 + a + a:b");
    check_fixed("y ~ b:a + a", "1 + a + b:a");
    check_fixed("y ~ (a + b + c)^2", "1 + a + b + c + a:b + a:c + b:c");
    check_fixed("y ~ a/b", "1 + a + a:b");
    check_fixed("y ~ (a + b)/c", "1 + a + b + a:b:c");
    check_fixed("y ~ a*b - a:b", "1 + a + b");
    check_fixed("y ~ 0 + x", "x");
    check_fixed("y ~ -1 + x", "x");
    check_fixed("y ~ x - 1", "x");
    check_fixed("y ~ x + 0", "x");
    check_fixed("y ~ 1", "1");
    check_fixed("y ~ x + x", "1 + x");
    check_fixed("y ~ I(x^2) + x", "1 + I(x^2) + x");
    check_fixed("y ~ I(x ^ 2)", "1 + I(x^2)");
    check_fixed("y ~ I(x*2 - 1) + log(x) + I((x + 1)/2)", "1 + I(x * 2 - 1) + log(x) + I((x + 1)/2)");
    check_fixed("y ~ I(-x^2)", "1 + I(-x^2)");
    check_fixed("y ~ x + (1 | g)", "1 + x");
    check_fixed("y ~ `my var` + x", "1 + my var + x");

    {   /* lme4: (Days || Subject) -> (1 | Subject) + (0 + Days | Subject) */
        lmm_formula *f = NULL;
        lmm_error err;
        char buf[256];
        CHECK(lmm_formula_parse("Reaction ~ Days + (Days || Subject)", &f, &err) == LMM_OK);
        if (f) {
            CHECK(f->response == 0);
            CHECK_STR(f->vars[f->response].label, "Reaction");
            CHECK(f->nre == 2);
            if (f->nre == 2) {
                labels(f, &f->re[0].lhs, buf, sizeof buf); CHECK_STR(buf, "1");
                labels(f, &f->re[1].lhs, buf, sizeof buf); CHECK_STR(buf, "Days");
                CHECK_STR(f->re[0].group_label, "Subject");
                CHECK_STR(f->re[1].group_label, "Subject");
            }
            lmm_formula_free(f);
        }
        /* (1|batch/cask) -> (1|batch) + (1|cask:batch) */
        CHECK(lmm_formula_parse("strength ~ 1 + (1 | batch/cask)", &f, &err) == LMM_OK);
        if (f) {
            CHECK(f->nre == 2);
            if (f->nre == 2) {
                CHECK_STR(f->re[0].group_label, "batch");
                CHECK_STR(f->re[1].group_label, "cask:batch");
                CHECK(f->re[1].ngroup == 2);
            }
            labels(f, &f->fixed, buf, sizeof buf); CHECK_STR(buf, "1");
            lmm_formula_free(f);
        }
        CHECK(lmm_formula_parse("y ~ (0 + x | g) + (1 | a:b)", &f, &err) == LMM_OK);
        if (f) {
            CHECK(f->nre == 2);
            if (f->nre == 2) {
                labels(f, &f->re[0].lhs, buf, sizeof buf); CHECK_STR(buf, "x");
                CHECK_STR(f->re[1].group_label, "a:b");
            }
            lmm_formula_free(f);
        }
        CHECK(lmm_formula_parse("log(y) ~ x", &f, &err) == LMM_OK);
        if (f) { CHECK_STR(f->vars[f->response].label, "log(y)"); lmm_formula_free(f); }
        CHECK(lmm_formula_parse("~ x", &f, &err) == LMM_OK);
        if (f) { CHECK(f->response == -1); lmm_formula_free(f); }
    }

    check_error("y x", "no '~'");
    check_error("y ~ ", "empty right-hand side");
    check_error("y ~ x +", "at offset 7");
    check_error("y ~ (x", "expected ')'");
    check_error("y ~ x)", "unmatched ')'");
    check_error("y ~ 2 + x", "must be 0 or 1");
    check_error("y ~ foo(x)", "unknown function 'foo'");
    check_error("y ~ foo(x)", "at offset 4");
    check_error("y ~ (1 | )", "grouping factor");
    check_error("y ~ (1 | g", "missing ')'");
    check_error("y ~ x * (1 | g)", "random-effects term");
    check_error("y ~ I(x^2", "expected ')'");
    /* expansion limits (a fuzzer found (10-factor product)^60 running for minutes) */
    check_error("y ~ (a*b*c*d*e*f*g*h*i*j)^60", "too many terms");
    check_error("y ~ a*b*c*d*e*f*g*h*i*j*k", "more than 1024 terms");
    check_fixed("y ~ (a + b)^60", "1 + a + b + a:b");
    check_error("y ~ x ~ z", "more than one '~'");
    check_error("y ~ x $ z", "unexpected '$'");
    check_error("y ~ x^a", "positive integer power");
    check_error("y ~ `x", "unterminated");

    {   /* column checks and expression evaluation */
        static const double x[4] = { 1, 2, 4, -1 };
        static const char *const g[4] = { "a", "b", "a", "b" };
        lmm_frame *df = NULL;
        lmm_formula *f = NULL;
        lmm_error err;
        double out[4];
        CHECK(lmm_frame_new(4, &df, &err) == LMM_OK);
        if (!df) return;
        lmm_frame_add_numeric(df, "x", x, &err);
        lmm_frame_add_factor(df, "g", g, &err);
        CHECK(lmm_formula_parse("Reaction ~ Dayz", &f, &err) == LMM_OK);
        if (f) {
            CHECK(lmm_formula_check(f, df, &err) == LMM_ERR_FORMULA);
            CHECK_STR(err.message, "unknown column 'Reaction' at offset 0 in formula 'Reaction ~ Dayz'");
            lmm_formula_free(f);
        }
        CHECK(lmm_formula_parse("x ~ 1 + Dayz", &f, &err) == LMM_OK);
        if (f) {
            CHECK(lmm_formula_check(f, df, &err) == LMM_ERR_FORMULA);
            CHECK_STR(err.message, "unknown column 'Dayz' at offset 8 in formula 'x ~ 1 + Dayz'");
            lmm_formula_free(f);
        }
        /* inside a call and a random-effects term: the formula as written, offset into it */
        CHECK(lmm_formula_parse("x ~ log(x) + (1 + I(Dayz^2)|g)", &f, &err) == LMM_OK);
        if (f) {
            CHECK(lmm_formula_check(f, df, &err) == LMM_ERR_FORMULA);
            CHECK_STR(err.message, "unknown column 'Dayz' at offset 20 in formula 'x ~ log(x) + (1 + I(Dayz^2)|g)'");
            lmm_formula_free(f);
        }
        CHECK(lmm_formula_parse("~ I(2*x^2 - x/4) + sqrt(abs(x)) + I(g)", &f, &err) == LMM_OK);
        if (f) {
            CHECK(f->nvars == 3);
            CHECK(lmm_expr_eval(f->vars[0].expr, df, out, &err) == LMM_OK);
            CHECK_CLOSE(out[0], 2.0 - 0.25, 1e-15, 0);
            CHECK_CLOSE(out[2], 32.0 - 1.0, 1e-15, 0);
            CHECK_CLOSE(out[3], 2.0 + 0.25, 1e-15, 0);
            CHECK(lmm_expr_eval(f->vars[1].expr, df, out, &err) == LMM_OK);
            CHECK_CLOSE(out[2], 2.0, 1e-15, 0);
            CHECK_CLOSE(out[3], 1.0, 1e-15, 0);
            CHECK(lmm_expr_eval(f->vars[2].expr, df, out, &err) == LMM_ERR_FORMULA);
            CHECK(strstr(err.message, "'g' is a factor") != NULL);
            lmm_formula_free(f);
        }
        lmm_frame_free(df);
    }
}
