/* Prints the criterion, theta and beta of every reference fit, one number per
   line with 17 digits: built once plain and once with -DLMM_USE_CBLAS, the two
   outputs must agree (tests/run.sh compares them). */
#define LMM_IMPLEMENTATION
#include "lmm.h"

int main(void)
{
    static const char *const cases[][2] = {
        { "pulp.csv", "bright ~ 1 + (1|operator)" },
        { "Dyestuff.csv", "Yield ~ 1 + (1|Batch)" },
        { "Penicillin.csv", "diameter ~ 1 + (1|plate) + (1|sample)" },
        { "Pastes.csv", "strength ~ 1 + (1|batch/cask)" },
        { "Oats.csv", "yield ~ nitro + Variety + (1|Block/Variety)" },
        { "sleepstudy.csv", "Reaction ~ Days + (Days|Subject)" },
        { "soybean_sim.csv", "AqE ~ ID + days + I(days^2) + Precip + Precip_7day + (1|plot_number) + (1|disk)" },
    };
    size_t c;
    int i;
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char path[256];
        lmm_frame *df = NULL;
        lmm_fit *fit = NULL;
        lmm_error err;
        snprintf(path, sizeof path, "tests/data/%s", cases[c][0]);
        if (lmm_frame_read_csv(path, &df, &err) || lmm_fit_formula(df, cases[c][1], NULL, &fit, &err)) {
            fprintf(stderr, "%s: %s\n", cases[c][0], err.message);
            return 1;
        }
        printf("%s criterion %.17g\n", cases[c][0], fit->criterion);
        for (i = 0; i < fit->ntheta; i++) printf("%s theta %.17g\n", cases[c][0], fit->theta[i]);
        for (i = 0; i < fit->p; i++) printf("%s beta %.17g\n", cases[c][0], fit->beta[i]);
        lmm_fit_free(fit);
        lmm_frame_free(df);
    }
    return 0;
}
