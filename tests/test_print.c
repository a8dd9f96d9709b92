/* lme4's printed summary() text, captured from R 4.2.2 / lme4 1.1-31 into
   tests/data/summary/N.txt for line N of cases.txt (data;formula;ML or empty),
   compared byte for byte with lmm_print_summary. */
#include "test.h"

void test_print(void)
{
    char line[512], path[1024];
    FILE *cases;
    int k = 0;
    snprintf(path, sizeof path, "%s/summary/cases.txt", TEST_DATA_DIR);
    cases = fopen(path, "r");
    CHECK(cases != NULL);
    if (!cases) return;
    while (fgets(line, sizeof line, cases)) {
        char *data = line, *formula, *ml, *want = NULL, *got = NULL;
        lmm_frame *df = NULL;
        lmm_fit *fit = NULL;
        lmm_fit_options o;
        lmm_error err;
        FILE *f;
        k++;
        line[strcspn(line, "\r\n")] = '\0';
        formula = strchr(data, ';'); if (!formula) continue; *formula++ = '\0';
        ml = strchr(formula, ';'); if (!ml) continue; *ml++ = '\0';
        memset(&o, 0, sizeof o);
        o.ml = strcmp(ml, "ML") == 0;
        snprintf(path, sizeof path, "%s/%s.csv", TEST_DATA_DIR, data);
        CHECK(lmm_frame_read_csv(path, &df, &err) == LMM_OK);
        CHECK(df && lmm_fit_formula(df, formula, &o, &fit, &err) == LMM_OK);
        snprintf(path, sizeof path, "%s/summary/%d.txt", TEST_DATA_DIR, k);
        if ((f = fopen(path, "rb")) != NULL) { want = lmm_test_slurp(f); fclose(f); }
        if (fit && (f = tmpfile()) != NULL) { lmm_print_summary(f, fit, data); got = lmm_test_slurp(f); fclose(f); }
        CHECK(want && got);
        if (want && got && strcmp(want, got) != 0) fprintf(stderr, "  summary %d (%s, %s %s) differs:\n--- R\n%s--- lmm.h\n%s", k, data, formula, ml, want, got);
        CHECK(want && got && strcmp(want, got) == 0);
        free(want); free(got);
        lmm_fit_free(fit);
        lmm_frame_free(df);
    }
    fclose(cases);
}
