/* Smoke test built by other compilers (g++ as C++, tcc): the whole header,
   implementation included, then one fit against lme4's figures.
   Valid C99 and C++. */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <math.h>
#include <string.h>

static const char pulp_csv[] =
    "bright,operator\n"
    "59.8,a\n59.8,b\n60.7,c\n61,d\n60,a\n60.2,b\n60.7,c\n60.8,d\n60.8,a\n60.4,b\n"
    "60.5,c\n60.6,d\n60.8,a\n59.9,b\n60.9,c\n60.5,d\n59.8,a\n60,b\n60.3,c\n60.5,d\n";

int main(void)
{
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    int passed = 0, failed = 0;
    if (lmm_frame_read_csv_text(pulp_csv, strlen(pulp_csv), &df, &err) != LMM_OK ||
        lmm_fit_formula(df, "bright ~ 1 + (1|operator)", NULL, &fit, &err) != LMM_OK) {
        fprintf(stderr, "smoke: %s\n", err.message);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    /* lme4: REML criterion 18.626200972373944, intercept 60.4, SE 0.14944341401179098 */
    if (fabs(fit->criterion - 18.626200972373944) < 1e-6) passed++; else failed++;
    if (fabs(fit->beta[0] - 60.4) < 1e-8) passed++; else failed++;
    if (fabs(fit->se[0] - 0.14944341401179098) < 1e-6) passed++; else failed++;
    lmm_fit_free(fit);
    lmm_frame_free(df);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
