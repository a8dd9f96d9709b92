/* Data frames and the CSV reader. Expected values are written by hand from
   the CSV texts, or come from R 4.2 (read.csv, factor, as.character). */
#include "test.h"
#include <stdlib.h>

/* Parse text (0-terminated) into *f; returns the status. */
static lmm_status parse(const char *text, lmm_frame **f, lmm_error *err)
{
    err->code = LMM_OK;
    err->message[0] = 0;
    return lmm_frame_read_csv_text(text, strlen(text), f, err);
}

/* Expect a CSV error whose message contains want. */
static void expect_csv_error(const char *text, const char *want)
{
    lmm_error err;
    lmm_frame *f = (lmm_frame *)&err;    /* must be reset to NULL */
    lmm_status st = parse(text, &f, &err);
    CHECK(st == LMM_ERR_CSV);
    CHECK(err.code == LMM_ERR_CSV);
    CHECK(f == NULL);
    if (!strstr(err.message, want)) fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", err.message, want);
    CHECK(strstr(err.message, want) != NULL);
}

static void test_basic_types(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    lmm_column *c;
    CHECK(parse("x,g,h\n1.5,b,1\n-2e3,B,x\n+.25,a,2\n", &f, &err) == LMM_OK);
    if (!f) return;
    CHECK(f->nrow == 3 && f->ncol == 3);
    c = &f->cols[0];
    CHECK_STR(c->name, "x");
    CHECK(c->type == LMM_NUMERIC);
    CHECK_CLOSE(c->num[0], 1.5, 0, 0);
    CHECK_CLOSE(c->num[1], -2000, 0, 0);
    CHECK_CLOSE(c->num[2], 0.25, 0, 0);
    /* byte order: 'B' (66) < 'a' (97) < 'b' (98) */
    c = &f->cols[1];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 3);
    CHECK_STR(c->levels[0], "B");
    CHECK_STR(c->levels[1], "a");
    CHECK_STR(c->levels[2], "b");
    CHECK(c->codes[0] == 2 && c->codes[1] == 0 && c->codes[2] == 1);
    /* one non-number makes the whole column a factor; "1" < "2" < "x" */
    c = &f->cols[2];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 3);
    CHECK_STR(c->levels[0], "1");
    CHECK_STR(c->levels[2], "x");
    CHECK(c->codes[0] == 0 && c->codes[1] == 2 && c->codes[2] == 1);
    CHECK(lmm_frame_find(f, "g") == 1);
    CHECK(lmm_frame_find(f, "G") == -1);
    CHECK(lmm_frame_find(f, "") == -1);
    lmm_frame_free(f);
}

static void test_quoting(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    lmm_column *c;
    /* BOM, CRLF, embedded comma, doubled quote, embedded newline, no final newline */
    const char *text = "\xEF\xBB\xBF" "name,\"v\"\r\n"
                       "\"a,b\",1\r\n"
                       "\"say \"\"hi\"\"\",2\r\n"
                       "\"two\nlines\",3\r\n"
                       "  \" kept \" ,  4  \r\n"
                       "plain text ,\"5\"";
    CHECK(parse(text, &f, &err) == LMM_OK);
    if (!f) return;
    CHECK(f->nrow == 5 && f->ncol == 2);
    CHECK_STR(f->cols[0].name, "name");
    CHECK_STR(f->cols[1].name, "v");
    c = &f->cols[0];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 5);
    /* byte order: ' ' < 'a' < 'p' < 's' < 't' */
    CHECK_STR(c->levels[0], " kept ");
    CHECK_STR(c->levels[1], "a,b");
    CHECK_STR(c->levels[2], "plain text");
    CHECK_STR(c->levels[3], "say \"hi\"");
    CHECK_STR(c->levels[4], "two\nlines");
    CHECK(c->codes[0] == 1 && c->codes[1] == 3 && c->codes[2] == 4 && c->codes[3] == 0 && c->codes[4] == 2);
    c = &f->cols[1];
    CHECK(c->type == LMM_NUMERIC);
    CHECK_CLOSE(c->num[3], 4, 0, 0);
    CHECK_CLOSE(c->num[4], 5, 0, 0);
    lmm_frame_free(f);

    /* CR-only line ends and trailing blank lines */
    CHECK(parse("a,b\r1,2\r3,4\r\r\n\n  \n", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->nrow == 2 && f->ncol == 2);
        CHECK_CLOSE(f->cols[1].num[1], 4, 0, 0);
        lmm_frame_free(f);
    }
}

static void test_missing(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    lmm_column *c;
    CHECK(parse("x,g,e,q\n1,a,,\"NA\"\nNA,NA,NA,\n,\"\",,x\n 4 ,b,,NA\n", &f, &err) == LMM_OK);
    if (!f) return;
    CHECK(f->nrow == 4);
    c = &f->cols[0];
    CHECK(c->type == LMM_NUMERIC);
    CHECK_CLOSE(c->num[0], 1, 0, 0);
    CHECK(isnan(c->num[1]) && isnan(c->num[2]));
    CHECK_CLOSE(c->num[3], 4, 0, 0);
    c = &f->cols[1];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 2);
    CHECK(c->codes[0] == 0 && c->codes[1] == -1 && c->codes[2] == -1 && c->codes[3] == 1);
    /* all missing -> numeric, all NAN */
    c = &f->cols[2];
    CHECK(c->type == LMM_NUMERIC);
    CHECK(isnan(c->num[0]) && isnan(c->num[1]) && isnan(c->num[2]) && isnan(c->num[3]));
    c = &f->cols[3];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 1);
    CHECK_STR(c->levels[0], "x");
    CHECK(c->codes[0] == -1 && c->codes[1] == -1 && c->codes[2] == 0 && c->codes[3] == -1);
    lmm_frame_free(f);

    /* one column with blank lines in it: R skips them */
    CHECK(parse("y\n1\n\n2\n", &f, &err) == LMM_OK);
    if (f) { CHECK(f->nrow == 2); lmm_frame_free(f); }
}

static void test_errors(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    expect_csv_error("", "empty file");
    expect_csv_error("\xEF\xBB\xBF\n\r\n", "empty file");
    expect_csv_error("a,b\n", "no data rows");
    expect_csv_error("a,b", "no data rows");
    expect_csv_error("a,b\n1,2\n1,2\n1,2\n1,2\n1,2\n1,2,3\n", "line 7 has 3 fields, header has 2");
    expect_csv_error("a,b\n1,2\n3\n", "line 3 has 1 fields, header has 2");
    expect_csv_error("a,b\n1,2\n3,\"abc\n\ndef\n", "unterminated quoted field starting at line 3");
    expect_csv_error("a,,c\n1,2,3\n", "empty column name");
    expect_csv_error("a,\"\",c\n1,2,3\n", "column 2");
    expect_csv_error("a,b,a\n1,2,3\n", "duplicate column name 'a'");
    expect_csv_error("a,b\n\"x\"y,1\n", "after a closing quote");
    expect_csv_error("a,b\n1,2\n\"x\" \"y\",1\n", "line 3");
    /* non-finite numbers in an otherwise numeric column */
    expect_csv_error("a,y\n1,2\n2,Inf\n", "'Inf'");
    expect_csv_error("a,y\n1,2\n2,Inf\n", "column 'y'");
    expect_csv_error("a,y\n1,2\n2,Inf\n", "line 3");
    expect_csv_error("a,y\n1,2\n2,NaN\n", "'NaN' is not a finite number");
    expect_csv_error("y\n1\n-inf\n", "'-inf'");
    expect_csv_error("y\n1\nNA\n1e999\n", "line 4 (data row 3): '1e999'");
    /* but a column with a real word is a factor, Inf included */
    CHECK(parse("y\nInf\nabc\n", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->cols[0].type == LMM_FACTOR && f->cols[0].nlevels == 2);
        CHECK_STR(f->cols[0].levels[0], "Inf");
        lmm_frame_free(f);
    }
    /* a header name "NA" is a name, not missing */
    CHECK(parse("NA,b\n1,2\n", &f, &err) == LMM_OK);
    if (f) { CHECK_STR(f->cols[0].name, "NA"); lmm_frame_free(f); }
    /* text need not be 0-terminated: only len bytes count */
    CHECK(lmm_frame_read_csv_text("a\n1\n2\n3,garbage", 6, &f, &err) == LMM_OK);
    if (f) { CHECK(f->nrow == 2); CHECK_CLOSE(f->cols[0].num[1], 2, 0, 0); lmm_frame_free(f); }
    /* NULL err is allowed */
    f = NULL;
    CHECK(lmm_frame_read_csv_text("a,a\n1,2\n", 8, &f, NULL) == LMM_ERR_CSV && f == NULL);

    err.message[0] = 0;
    CHECK(lmm_frame_read_csv(TEST_DATA_DIR "/no_such_file.csv", &f, &err) == LMM_ERR_IO);
    CHECK(err.code == LMM_ERR_IO && f == NULL);
    CHECK(strstr(err.message, "no_such_file.csv") != NULL);
    CHECK(strstr(err.message, "No such file") != NULL);
    CHECK(lmm_frame_read_csv(TEST_DATA_DIR, &f, &err) == LMM_ERR_IO);    /* a directory */
}

static void test_files(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    lmm_column *c;
    double sum = 0;
    int i;
    /* pulp: 20 rows, bright numeric, operator a..d (R: read.csv, levels) */
    CHECK(lmm_frame_read_csv(TEST_DATA_DIR "/pulp.csv", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->nrow == 20 && f->ncol == 2);
        c = &f->cols[lmm_frame_find(f, "bright")];
        CHECK(c->type == LMM_NUMERIC);
        CHECK_CLOSE(c->num[0], 59.8, 0, 0);
        CHECK_CLOSE(c->num[2], 60.7, 0, 0);
        CHECK_CLOSE(c->num[19], 60.5, 0, 0);
        for (i = 0; i < 20; i++) sum += c->num[i];
        CHECK_CLOSE(sum, 1208, 1e-12, 0);
        c = &f->cols[lmm_frame_find(f, "operator")];
        CHECK(c->type == LMM_FACTOR && c->nlevels == 4);
        CHECK_STR(c->levels[0], "a");
        CHECK_STR(c->levels[3], "d");
        CHECK(c->codes[0] == 0 && c->codes[1] == 1 && c->codes[3] == 3 && c->codes[19] == 3);
        lmm_frame_free(f);
    }
    /* sleepstudy: 180 rows; Subject numeric, as.factor gives 18 levels */
    CHECK(lmm_frame_read_csv(TEST_DATA_DIR "/sleepstudy.csv", &f, &err) == LMM_OK);
    if (f) {
        static const char *const subjects[18] = {"308", "309", "310", "330", "331", "332", "333", "334", "335",
                                                 "337", "349", "350", "351", "352", "369", "370", "371", "372"};
        CHECK(f->nrow == 180 && f->ncol == 3);
        c = &f->cols[0];
        CHECK_STR(c->name, "Reaction");
        CHECK_CLOSE(c->num[0], 249.56, 0, 0);
        CHECK_CLOSE(c->num[179], 364.1236, 0, 0);
        for (sum = 0, i = 0; i < 180; i++) sum += c->num[i];
        CHECK_CLOSE(sum, 53731.4205, 1e-12, 0);
        CHECK(f->cols[2].type == LMM_NUMERIC);
        CHECK(lmm_frame_as_factor(f, "Subject", &err) == LMM_OK);
        c = &f->cols[2];
        CHECK(c->type == LMM_FACTOR && c->nlevels == 18 && c->num == NULL);
        for (i = 0; i < 18 && i < c->nlevels; i++) CHECK_STR(c->levels[i], subjects[i]);
        CHECK(c->codes[0] == 0 && c->codes[9] == 0 && c->codes[10] == 1 && c->codes[179] == 17);
        /* second call is a no-op */
        CHECK(lmm_frame_as_factor(f, "Subject", &err) == LMM_OK && c->nlevels == 18);
        CHECK(lmm_frame_as_factor(f, "Nope", &err) == LMM_ERR_ARG);
        lmm_frame_free(f);
    }
}

static void test_memory_frame(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    lmm_column *c;
    const double y[5] = {1.0, 2.5, NAN, -4.0, 0.5};
    const char *const g[5] = {"ctl", "trt2", NULL, "trt1", "ctl"};
    const char *const order[3] = {"trt2", "ctl", "trt1"};
    const char *const dup[3] = {"trt2", "trt2", "trt1"};
    const char *const unknown[3] = {"trt2", "ctl", "trt3"};
    CHECK(lmm_frame_new(-1, &f, &err) == LMM_ERR_ARG && f == NULL);
    CHECK(lmm_frame_new(5, &f, &err) == LMM_OK);
    if (!f) return;
    CHECK(f->nrow == 5 && f->ncol == 0);
    CHECK(lmm_frame_add_numeric(f, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_add_factor(f, "g", g, &err) == LMM_OK);
    CHECK(lmm_frame_add_numeric(f, "y", y, &err) == LMM_ERR_ARG);
    CHECK(strstr(err.message, "'y'") != NULL);
    CHECK(lmm_frame_add_factor(f, "g", g, &err) == LMM_ERR_ARG);
    CHECK(lmm_frame_add_numeric(f, "", y, &err) == LMM_ERR_ARG);
    CHECK(lmm_frame_add_factor(f, NULL, g, &err) == LMM_ERR_ARG);
    CHECK(f->ncol == 2);
    CHECK(lmm_frame_find(f, "g") == 1);
    c = &f->cols[0];
    CHECK(c->type == LMM_NUMERIC && isnan(c->num[2]) && c->num[1] == 2.5);
    c = &f->cols[1];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 3);
    CHECK_STR(c->levels[0], "ctl");
    CHECK_STR(c->levels[1], "trt1");
    CHECK_STR(c->levels[2], "trt2");
    CHECK(c->codes[0] == 0 && c->codes[1] == 2 && c->codes[2] == -1 && c->codes[3] == 1 && c->codes[4] == 0);

    /* relevel(g, "trt1"): levels trt1, ctl, trt2 */
    CHECK(lmm_frame_relevel(f, "g", "trt1", &err) == LMM_OK);
    c = &f->cols[1];
    CHECK_STR(c->levels[0], "trt1");
    CHECK_STR(c->levels[1], "ctl");
    CHECK_STR(c->levels[2], "trt2");
    CHECK(c->codes[0] == 1 && c->codes[1] == 2 && c->codes[2] == -1 && c->codes[3] == 0 && c->codes[4] == 1);
    CHECK(lmm_frame_relevel(f, "g", "x", &err) == LMM_ERR_ARG);
    CHECK(strstr(err.message, "level 'x' not found in factor 'g'") != NULL);
    CHECK(lmm_frame_relevel(f, "y", "1", &err) == LMM_ERR_ARG);
    CHECK(strstr(err.message, "numeric") != NULL);
    CHECK(lmm_frame_relevel(f, "zz", "1", &err) == LMM_ERR_ARG);

    /* set_levels to trt2, ctl, trt1 */
    CHECK(lmm_frame_set_levels(f, "g", order, 3, &err) == LMM_OK);
    c = &f->cols[1];
    CHECK_STR(c->levels[0], "trt2");
    CHECK_STR(c->levels[1], "ctl");
    CHECK_STR(c->levels[2], "trt1");
    CHECK(c->codes[0] == 1 && c->codes[1] == 0 && c->codes[2] == -1 && c->codes[3] == 2 && c->codes[4] == 1);
    CHECK(lmm_frame_set_levels(f, "g", order, 2, &err) == LMM_ERR_ARG);
    CHECK(lmm_frame_set_levels(f, "g", dup, 3, &err) == LMM_ERR_ARG);
    CHECK(strstr(err.message, "twice") != NULL);
    CHECK(lmm_frame_set_levels(f, "g", unknown, 3, &err) == LMM_ERR_ARG);
    CHECK(strstr(err.message, "'trt3'") != NULL);
    CHECK(lmm_frame_set_levels(f, "y", order, 3, &err) == LMM_ERR_ARG);
    /* failed calls left the factor untouched */
    CHECK_STR(c->levels[0], "trt2");
    CHECK(c->codes[3] == 2);

    /* as_factor of y: levels -4, 0.5, 1, 2.5 */
    CHECK(lmm_frame_as_factor(f, "y", &err) == LMM_OK);
    c = &f->cols[0];
    CHECK(c->type == LMM_FACTOR && c->nlevels == 4);
    CHECK_STR(c->levels[0], "-4");
    CHECK_STR(c->levels[1], "0.5");
    CHECK_STR(c->levels[2], "1");
    CHECK_STR(c->levels[3], "2.5");
    CHECK(c->codes[0] == 2 && c->codes[1] == 3 && c->codes[2] == -1 && c->codes[3] == 0 && c->codes[4] == 1);
    lmm_frame_free(f);
    lmm_frame_free(NULL);

    /* frames with zero rows are allowed */
    CHECK(lmm_frame_new(0, &f, &err) == LMM_OK);
    if (f) {
        CHECK(lmm_frame_add_numeric(f, "a", NULL, &err) == LMM_OK);
        CHECK(lmm_frame_add_factor(f, "b", NULL, &err) == LMM_OK);
        CHECK(lmm_frame_as_factor(f, "a", &err) == LMM_OK && f->cols[0].nlevels == 0);
        lmm_frame_free(f);
    }
}

static void test_as_factor_labels(void)
{
    /* R 4.2: levels(factor(x)) for these x, in numeric order */
    const double x[17] = {100000, 123456, 0.0001, 0.00012, 1e15, 1e-20, 0.1 + 0.2, -1.5, 1234567.1,
                          1e5 + 0.1, 1e16, 123456789012.0, 0.5, 123, -0.0, 1152921504606846976.0, 1.0 / 3};
    const char *const want[17] = {"-1.5", "0", "1e-20", "1e-04", "0.00012", "0.3", "0.333333333333333", "0.5",
                                  "123", "1e+05", "100000.1", "123456", "1234567.1", "123456789012", "1e+15",
                                  "1e+16", "1152921504606846976"};
    /* 0.1+0.2 and 0.3 print alike, so R gives them one level */
    const double y[4] = {0.3, 0.1 + 0.2, INFINITY, -INFINITY};
    lmm_error err;
    lmm_frame *f = NULL;
    int i;
    CHECK(lmm_frame_new(17, &f, &err) == LMM_OK);
    if (!f) return;
    CHECK(lmm_frame_add_numeric(f, "x", x, &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(f, "x", &err) == LMM_OK);
    CHECK(f->cols[0].nlevels == 17);
    for (i = 0; i < 17 && i < f->cols[0].nlevels; i++) CHECK_STR(f->cols[0].levels[i], want[i]);
    CHECK(f->cols[0].codes[0] == 9 && f->cols[0].codes[14] == 1 && f->cols[0].codes[6] == 5);
    lmm_frame_free(f);

    CHECK(lmm_frame_new(4, &f, &err) == LMM_OK);
    if (!f) return;
    CHECK(lmm_frame_add_numeric(f, "y", y, &err) == LMM_OK);
    CHECK(lmm_frame_as_factor(f, "y", &err) == LMM_OK);
    CHECK(f->cols[0].nlevels == 3);
    if (f->cols[0].nlevels == 3) {
        CHECK_STR(f->cols[0].levels[0], "-Inf");
        CHECK_STR(f->cols[0].levels[1], "0.3");
        CHECK_STR(f->cols[0].levels[2], "Inf");
    }
    CHECK(f->cols[0].codes[0] == 1 && f->cols[0].codes[1] == 1 && f->cols[0].codes[2] == 2 && f->cols[0].codes[3] == 0);
    lmm_frame_free(f);
}

/* Many distinct levels: checks the hash table growth and the byte-order sort. */
static void test_many_levels(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    size_t cap = 400000, len = 0;
    char *text = (char *)malloc(cap);
    int i;
    CHECK(text != NULL);
    if (!text) return;
    len += (size_t)sprintf(text + len, "id,k\n");
    for (i = 0; i < 20000; i++) len += (size_t)sprintf(text + len, "L%d,%d\n", 19999 - i, i % 7);
    CHECK(lmm_frame_read_csv_text(text, len, &f, &err) == LMM_OK);
    if (f) {
        lmm_column *c = &f->cols[0];
        CHECK(f->nrow == 20000 && c->type == LMM_FACTOR && c->nlevels == 20000);
        /* byte order: "L0" < "L1" < "L10" < "L100" < "L1000" < "L10000" < "L10001" */
        CHECK_STR(c->levels[0], "L0");
        CHECK_STR(c->levels[1], "L1");
        CHECK_STR(c->levels[2], "L10");
        CHECK_STR(c->levels[5], "L10000");
        CHECK_STR(c->levels[19999], "L9999");
        CHECK(c->codes[19999] == 0);        /* the last row holds L0 */
        CHECK_STR(c->levels[c->codes[0]], "L19999");
        CHECK(f->cols[1].type == LMM_NUMERIC && f->cols[1].num[8] == 1);
        lmm_frame_free(f);
    }
    free(text);
}

/* Text of f as R's write.csv writes it: header names and factor labels quoted,
   numbers bare (15 significant digits), NA as NA; with row names, a first
   column "" holding "1", "2", ... (short_header: R's other row-name layout,
   a header without that first field). The caller frees the text. */
static char *write_csv(const lmm_frame *f, int row_names, int short_header)
{
    size_t cap = 64 + (size_t)f->nrow * (size_t)(f->ncol + 1) * 32, used = 0;
    char *t = (char *)malloc(cap);
    int i, j;
    if (!t) return NULL;
#define PUT(...) (used += (size_t)snprintf(t + used, cap - used, __VA_ARGS__))
    if (row_names && !short_header) PUT("\"\",");
    for (j = 0; j < f->ncol; j++) PUT("\"%s\"%s", f->cols[j].name, j + 1 < f->ncol ? "," : "\n");
    for (i = 0; i < f->nrow; i++) {
        if (row_names) PUT("\"%d\",", i + 1);
        for (j = 0; j < f->ncol; j++) {
            const lmm_column *c = &f->cols[j];
            if (c->type == LMM_NUMERIC && isnan(c->num[i])) PUT("NA");
            else if (c->type == LMM_NUMERIC) PUT("%.15g", c->num[i]);
            else if (c->codes[i] < 0) PUT("NA");
            else PUT("\"%s\"", c->levels[c->codes[i]]);
            PUT("%s", j + 1 < f->ncol ? "," : "\n");
        }
    }
#undef PUT
    CHECK(used < cap);
    return t;
}

/* Fit formula to f; NULL on failure (a failed CHECK). */
static lmm_fit *fit_frame(const lmm_frame *f, const char *formula)
{
    lmm_error err;
    lmm_fit *fit = NULL;
    CHECK(lmm_fit_formula(f, formula, NULL, &fit, &err) == LMM_OK);
    return fit;
}

/* A file of R's write.csv(df) (row names in a first column named "") reads as
   write.csv(df, row.names = FALSE) does, and fits to the same bits. */
static void check_row_names(const char *path, const char *formula, int na_row)
{
    lmm_error err;
    lmm_frame *src = NULL, *f[3] = {NULL, NULL, NULL};
    lmm_fit *fit[3] = {NULL, NULL, NULL};
    int k, j;
    CHECK(lmm_frame_read_csv(path, &src, &err) == LMM_OK);
    if (!src) return;
    src->cols[0].num[na_row] = NAN;        /* one missing response, written NA */
    for (k = 0; k < 3; k++) {
        char *text = write_csv(src, k > 0, k == 2);
        CHECK(text != NULL);
        if (!text) break;
        if (k == 1) {                      /* the layout really is write.csv's */
            CHECK(strncmp(text, "\"\",\"", 4) == 0);
            CHECK(strstr(text, "\n\"1\",") != NULL);
            CHECK(strstr(text, ",NA,") != NULL);
        }
        CHECK(parse(text, &f[k], &err) == LMM_OK);
        if (!f[k]) fprintf(stderr, "  %s\n", err.message);
        free(text);
        if (f[k]) fit[k] = fit_frame(f[k], formula);
    }
    for (k = 1; k < 3; k++) {
        if (!f[0] || !f[k]) continue;
        CHECK(f[k]->ncol == src->ncol && f[k]->nrow == src->nrow);
        for (j = 0; j < f[k]->ncol && j < src->ncol; j++) {
            CHECK_STR(f[k]->cols[j].name, src->cols[j].name);
            CHECK(f[k]->cols[j].type == f[0]->cols[j].type);
        }
        CHECK(isnan(f[k]->cols[0].num[na_row]));
        if (!fit[0] || !fit[k]) continue;
        CHECK(fit[k]->nobs == src->nrow - 1 && fit[k]->nobs == fit[0]->nobs && fit[k]->p == fit[0]->p);
        CHECK(fit[k]->criterion == fit[0]->criterion);
        for (j = 0; j < fit[0]->p; j++) CHECK(fit[k]->beta[j] == fit[0]->beta[j]);
        for (j = 0; j < fit[0]->ntheta; j++) CHECK(fit[k]->theta[j] == fit[0]->theta[j]);
    }
    for (k = 0; k < 3; k++) { lmm_fit_free(fit[k]); lmm_frame_free(f[k]); }
    lmm_frame_free(src);
}

static void test_row_names(void)
{
    lmm_error err;
    lmm_frame *f = NULL;
    check_row_names(TEST_DATA_DIR "/pulp.csv", "bright ~ 1 + (1|operator)", 3);
    check_row_names(TEST_DATA_DIR "/sleepstudy.csv", "Reaction ~ Days + (Days|Subject)", 17);
    /* by hand: row names that are not 1..n, and a factor column */
    CHECK(parse("\"\",\"y\",\"g\"\n\"a\",1.5,\"u\"\n\"b\",NA,\"v\"\n", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->ncol == 2 && f->nrow == 2);
        CHECK_STR(f->cols[0].name, "y");
        CHECK_STR(f->cols[1].name, "g");
        CHECK(f->cols[0].num[0] == 1.5 && isnan(f->cols[0].num[1]));
        CHECK(f->cols[1].type == LMM_FACTOR && f->cols[1].nlevels == 2);
        lmm_frame_free(f);
    }
    /* a header one field short: column 1 holds row names (R's read.csv) */
    CHECK(parse("y,g\nr1,2,u\nr2,3,v\n", &f, &err) == LMM_OK);
    if (f) {
        CHECK(f->ncol == 2 && f->nrow == 2);
        CHECK_STR(f->cols[0].name, "y");
        CHECK(f->cols[0].type == LMM_NUMERIC && f->cols[0].num[1] == 3);
        lmm_frame_free(f);
    }
    expect_csv_error("y,g\nr1,2,u\nr2,3\n", "line 3 has 2 fields, line 2 has 3");
    /* other empty names stay errors, named by their file column */
    expect_csv_error("\"\",\"y\",\"\"\n\"1\",1,2\n", "empty column name for column 3");
    expect_csv_error("\"\",y,\"\",z\n1,1,2,3\n", "empty column name for column 3");
    expect_csv_error("y,\n1,2\n", "empty column name for column 2");
    expect_csv_error("\"\"\n1\n", "empty column name for column 1");    /* nothing but row names */
    expect_csv_error("y,,g\nr1,2,3,u\n", "empty column name for column 3");
    expect_csv_error("\"\",a,b,a\n1,1,2,3\n", "duplicate column name 'a' (columns 2 and 4)");
}

/* Numbers are read exactly as strtod reads them, bit for bit: random
   decimals of every length around the reader's fast path (up to 20 digits,
   point anywhere, exponents to +-30, signs, leading zeros) and edge cases. */
static void test_numbers_exact(void)
{
    static const char *edge[] = {"0", "-0", "+0.0", "9007199254740991", "9007199254740993", "900719925474099.1",
                                 "1e22", "1e23", "1e-22", "1.5e-23", "0.1", "0.3", "1.", ".5", "-.25e+2", "123456789012345678",
                                 "5e-324", "1.7976931348623157e308", "0.000000000000000000000000001", "2.2250738585072014e-308",
                                 "1E5", "7e0", "00012.5000", "0x1p3", "4.35", "1.005", "8.589973e9", "-1234.5678"};
    lmm_rng rng;
    char *text, *p;
    const int n = 20000, ne = (int)(sizeof edge / sizeof *edge);
    lmm_frame *f = NULL;
    lmm_error err;
    int i, bad = 0;
    text = (char *)malloc((size_t)(n + ne + 2) * 48);
    if (!text) { CHECK(0); return; }
    p = text + sprintf(text, "v\n");
    for (i = 0; i < ne; i++) p += sprintf(p, "%s\n", edge[i]);
    lmm_rng_seed(&rng, 16);
    for (i = 0; i < n; i++) {
        int nd = 1 + (int)lmm_rng_below(&rng, 20), point = (int)lmm_rng_below(&rng, (uint64_t)nd + 1), k;
        int sign = (int)lmm_rng_below(&rng, 3), expo = (int)lmm_rng_below(&rng, 4) == 0;
        if (sign == 1) *p++ = '-'; else if (sign == 2) *p++ = '+';
        for (k = 0; k < nd; k++) {
            if (k == point && k > 0) *p++ = '.';
            *p++ = (char)('0' + lmm_rng_below(&rng, 10));
        }
        if (expo) p += sprintf(p, "e%d", (int)lmm_rng_below(&rng, 61) - 30);
        *p++ = '\n';
    }
    *p = 0;
    CHECK(parse(text, &f, &err) == LMM_OK);
    if (f) {
        const char *q = strchr(text, '\n') + 1;
        CHECK(f->nrow == n + ne && f->cols[0].type == LMM_NUMERIC);
        for (i = 0; i < f->nrow && f->cols[0].type == LMM_NUMERIC; i++) {
            char *endp;
            double want = strtod(q, &endp);
            if (memcmp(&want, &f->cols[0].num[i], sizeof want) != 0) {
                if (bad++ < 5) fprintf(stderr, "  '%.*s': %.17g, strtod %.17g\n", (int)(endp - q), q, f->cols[0].num[i], want);
            }
            q = strchr(q, '\n') + 1;
        }
        CHECK(bad == 0);
    }
    lmm_frame_free(f);
    free(text);
}

void test_csv(void)
{
    test_basic_types();
    test_quoting();
    test_missing();
    test_errors();
    test_files();
    test_memory_frame();
    test_as_factor_labels();
    test_many_levels();
    test_row_names();
    test_numbers_exact();
}
