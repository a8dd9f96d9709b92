/* libFuzzer target: the formula parser, then model matrices on a small frame
   and an lm fit with weights (one missing, one zero) and an offset column (one
   missing), so the formula functions, weights and offsets all meet the input. */
#include "lmm.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char csv[] = "y,x,z,f,g,w,o\n1,0.5,2,a,u,1,0\n2,1.5,1,b,v,,1\n3,2.5,0,c,u,2,\n4,3,5,a,v,0,2\n"
                              "5,1,4,b,u,1,0\n6,2,3,c,v,3,1\n7,4,1,a,u,1,0\n8,3.5,2,b,v,2,1\n";
    char *text = (char *)malloc(size + 1);
    lmm_formula *f = NULL;
    lmm_frame *df = NULL;
    lmm_matrix *m = NULL;
    lmm_model_options sum = {LMM_CONTR_SUM, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT},
                      inputs = {LMM_CONTR_TREATMENT, "w", NULL, "o", NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};
    lmm_lm *lm = NULL;
    lmm_error err;
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (lmm_formula_parse(text, &f, &err) == LMM_OK) lmm_formula_free(f);
    if (lmm_frame_read_csv_text(csv, sizeof csv - 1, &df, &err) == LMM_OK) {
        if (lmm_model_matrix(df, text, NULL, &m, &err) == LMM_OK) lmm_matrix_free(m);
        if (lmm_model_matrix(df, text, &sum, &m, &err) == LMM_OK) lmm_matrix_free(m);
        if (lmm_lm_fit(df, text, &inputs, &lm, &err) == LMM_OK) lmm_lm_free(lm);
        lmm_frame_free(df);
    }
    free(text);
    return 0;
}
