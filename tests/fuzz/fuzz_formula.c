/* libFuzzer target: the formula parser, then model matrices on a small frame. */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char csv[] = "y,x,z,f,g\n1,0.5,2,a,u\n2,1.5,1,b,v\n3,2.5,0,c,u\n4,3,5,a,v\n5,1,4,b,u\n6,2,3,c,v\n";
    char *text = (char *)malloc(size + 1);
    lmm_formula *f = NULL;
    lmm_frame *df = NULL;
    lmm_matrix *m = NULL;
    lmm_model_options sum = {LMM_CONTR_SUM, NULL, NULL, NULL, NULL, LMM_FAMILY_GAUSSIAN, LMM_LINK_DEFAULT};
    lmm_error err;
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    if (lmm_formula_parse(text, &f, &err) == LMM_OK) lmm_formula_free(f);
    if (lmm_frame_read_csv_text(csv, sizeof csv - 1, &df, &err) == LMM_OK) {
        if (lmm_model_matrix(df, text, NULL, &m, &err) == LMM_OK) lmm_matrix_free(m);
        if (lmm_model_matrix(df, text, &sum, &m, &err) == LMM_OK) lmm_matrix_free(m);
        lmm_frame_free(df);
    }
    free(text);
    return 0;
}
