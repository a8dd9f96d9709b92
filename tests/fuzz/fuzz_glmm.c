/* libFuzzer target: GLMM fits (glmer) from CSV. The input's first line is the
   formula, the rest the CSV file; each is fitted as binomial (logit and cloglog),
   Poisson and with 3-point quadrature, the optimizer budget capped. An error,
   never a crash or a hang, is the contract. */
#include "lmm.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *nl = (const char *)memchr(data, '\n', size);
    char *formula;
    size_t flen;
    lmm_frame *df = NULL;
    lmm_glmm *g = NULL;
    lmm_glmm_options o;
    lmm_error err;
    int k;
    if (!nl || size > 4096) return 0;
    flen = (size_t)(nl - (const char *)data);
    formula = (char *)malloc(flen + 1);
    if (!formula) return 0;
    memcpy(formula, data, flen);
    formula[flen] = '\0';
    if (lmm_frame_read_csv_text(nl + 1, size - flen - 1, &df, &err) == LMM_OK) {
        for (k = 0; k < 4; k++) {
            memset(&o, 0, sizeof o);
            o.optim.max_evals = 200;
            o.model.family = k == 2 ? LMM_FAMILY_POISSON : LMM_FAMILY_BINOMIAL;
            o.model.link = k == 1 ? LMM_LINK_CLOGLOG : LMM_LINK_DEFAULT;
            o.nagq = k == 3 ? 3 : 1;
            if (lmm_glmm_fit_formula(df, formula, &o, &g, &err) == LMM_OK) {
                FILE *null = fopen("/dev/null", "w");
                if (null) { lmm_print_glmm_summary(null, g, "fuzz"); fclose(null); }
                lmm_glmm_free(g);
                g = NULL;
            }
        }
        lmm_frame_free(df);
    }
    free(formula);
    return 0;
}
