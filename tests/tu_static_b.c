/* The second translation unit of the LMM_STATIC link test. */
#define LMM_STATIC
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <string.h>

int tu_b_fit(double *crit)
{
    static const char csv[] = "y,g\n1,a\n2,a\n4,b\n5,b\n7,c\n9,c\n";
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    if (lmm_frame_read_csv_text(csv, strlen(csv), &df, &err) || lmm_fit_formula(df, "y ~ 1 + (1|g)", NULL, &fit, &err)) return 1;
    *crit = fit->criterion;
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return 0;
}
