/* libFuzzer target: fit from CSV. The input's first line is the formula, the
   rest the CSV file; the optimizer budget is capped to keep runs short. Each
   model is fitted on the automatic factor and on the forced sparse one. A
   column named w is the prior weights and one named off the offset. */
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
    lmm_fit *fit = NULL;
    lmm_lm *lm = NULL;
    lmm_fit_options o;
    lmm_error err;
    if (!nl || size > 4096) return 0;
    flen = (size_t)(nl - (const char *)data);
    formula = (char *)malloc(flen + 1);
    if (!formula) return 0;
    memcpy(formula, data, flen);
    formula[flen] = '\0';
    if (lmm_frame_read_csv_text(nl + 1, size - flen - 1, &df, &err) == LMM_OK) {
        memset(&o, 0, sizeof o);
        o.optim.max_evals = 300;
        if (lmm_frame_find(df, "w") >= 0) o.model.weights_column = "w";
        if (lmm_frame_find(df, "off") >= 0) o.model.offset_column = "off";
        if (lmm_fit_formula(df, formula, &o, &fit, &err) == LMM_OK) {
            FILE *null = fopen("/dev/null", "w");
            if (null) { lmm_print_summary(null, fit, "fuzz"); lmm_print_ranef(null, fit); fclose(null); }
            lmm_fit_free(fit);
        }
        /* the sparse supernodal factor too, where the model allows it (an
           error, never a crash, where it does not) */
        o.factor = LMM_FACTOR_SPARSE;
        if (lmm_fit_formula(df, formula, &o, &fit, &err) == LMM_OK) lmm_fit_free(fit);
        if (lmm_lm_fit(df, formula, &o.model, &lm, &err) == LMM_OK) lmm_lm_free(lm);
        lmm_frame_free(df);
    }
    free(formula);
    return 0;
}
