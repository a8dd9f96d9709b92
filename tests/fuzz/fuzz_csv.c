/* libFuzzer target: the CSV reader on arbitrary bytes. */
#include "lmm.h"
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    lmm_frame *df = NULL;
    lmm_error err;
    if (lmm_frame_read_csv_text((const char *)data, size, &df, &err) == LMM_OK) {
        int c;
        /* touch every cell so the reader's output is checked by the sanitizers */
        for (c = 0; c < df->ncol; c++) {
            const lmm_column *col = &df->cols[c];
            int i;
            double s = 0;
            for (i = 0; i < df->nrow; i++) s += col->type == LMM_NUMERIC ? col->num[i] : (double)col->codes[i];
            (void)s;
        }
        lmm_frame_free(df);
    }
    return 0;
}
