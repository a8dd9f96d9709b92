#define LMM_IMPLEMENTATION
#include "lmm.h"

int main(void) {
    lmm_error err = {LMM_OK, ""};
    lmm_frame *df = NULL; lmm_fit *fit = NULL;
    if (lmm_frame_read_csv("tests/data/sleepstudy.csv", &df, &err) ||
        lmm_fit_formula(df, "Reaction ~ Days + (Days | Subject)", NULL, &fit, &err))
        return fprintf(stderr, "error: %s\n", err.message), 2;
    lmm_print_summary(stdout, fit, "sleepstudy");   /* lme4's summary() layout */
    lmm_fit_free(fit); lmm_frame_free(df);
}
