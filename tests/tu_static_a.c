/* Two translation units, each with its own static copy of the library
   (-DLMM_STATIC): they must link together without clashes. */
#define LMM_STATIC
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <string.h>

int tu_b_fit(double *crit);

int main(void)
{
    static const char csv[] = "y,g\n1,a\n2,a\n4,b\n5,b\n7,c\n9,c\n";
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    double crit_b = 0;
    int ok;
    if (lmm_frame_read_csv_text(csv, strlen(csv), &df, &err) || lmm_fit_formula(df, "y ~ 1 + (1|g)", NULL, &fit, &err)) {
        printf("0 passed, 1 failed\n");
        return 1;
    }
    ok = tu_b_fit(&crit_b) == 0 && crit_b == fit->criterion;
    printf("%d passed, %d failed\n", ok, !ok);
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return !ok;
}
