/* Correlated random intercepts and slopes: lme4's sleepstudy model
   Reaction ~ Days + (Days | Subject), its summary, the conditional modes with
   their conditional SDs, and predictions for a known and a new subject.
   usage: sleepstudy [path/to/sleepstudy.csv] */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <string.h>

/* R's print of a numeric vector named 1..n (7 significant digits, 80 columns). */
static void print_numbered(const double *x, int n)
{
    char s[64][48], name[16];
    int i, k, w = 0, per;
    if (n > 64) n = 64;
    lmm_format_reals(x, n, 7, s);
    for (i = 0; i < n; i++) if ((int)strlen(s[i]) > w) w = (int)strlen(s[i]);
    per = 80 / (w + 1);
    for (i = 0; i < n; i += per) {
        for (k = i; k < n && k < i + per; k++) { snprintf(name, sizeof name, "%d", k + 1); printf("%*s ", w, name); }
        printf("\n");
        for (k = i; k < n && k < i + per; k++) printf("%*s ", w, s[k]);
        printf("\n");
    }
}

static int fail(const lmm_error *err)
{
    fprintf(stderr, "sleepstudy: %s\n", err->message);
    return 2;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "tests/data/sleepstudy.csv";
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = NULL;
    lmm_fit *fm1 = NULL;
    const lmm_reterm *t;
    double pred[10];
    int j, d;

    if (lmm_frame_read_csv(path, &df, &err)) return fail(&err);
    printf("> fm1 <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)\n> summary(fm1)\n");
    if (lmm_fit_formula(df, "Reaction ~ Days + (Days | Subject)", NULL, &fm1, &err)) return fail(&err);
    lmm_print_summary(stdout, fm1, "sleepstudy");

    printf("\n> ranef(fm1)\n");
    lmm_print_ranef(stdout, fm1);

    /* conditional SDs: sqrt of the diagonal of attr(ranef(fm1, condVar = TRUE)$Subject, "postVar") */
    t = &fm1->model->terms[0];
    printf("> # conditional SDs: sqrt(diag(postVar)) per subject\n");
    printf("%-4s %12s %12s\n", "", t->colnames[0], t->colnames[1]);
    for (j = 0; j < t->nlevels; j++)
        printf("%-4s %12.6f %12.6f\n", t->levels[j], fm1->b_condsd[t->u_offset + j * 2], fm1->b_condsd[t->u_offset + j * 2 + 1]);

    /* predictions: a known subject gets its BLUP line, a new one the population line */
    printf("\n> predict(fm1, newdata = data.frame(Days = 0:9, Subject = \"%s\"))   # known subject\n", t->levels[0]);
    for (d = 0; d < 10; d++) pred[d] = fm1->beta[0] + fm1->b[t->u_offset] + d * (fm1->beta[1] + fm1->b[t->u_offset + 1]);
    print_numbered(pred, 10);
    printf("> predict(fm1, newdata = data.frame(Days = 0:9, Subject = \"new\"), allow.new.levels = TRUE)\n");
    for (d = 0; d < 10; d++) pred[d] = fm1->beta[0] + d * fm1->beta[1];
    print_numbered(pred, 10);

    lmm_fit_free(fm1);
    lmm_frame_free(df);
    return 0;
}
