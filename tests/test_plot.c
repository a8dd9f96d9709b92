/* Plots: R's pretty/ppoints/hist values, well-formed SVG with the right
   number of marks, escaped names, and a render through rsvg-convert. */
#include "test.h"
#include <ctype.h>

#define PLOT_DIR "build/plots"

static char *plot_read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    long len;
    char *buf;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) { free(buf); buf = NULL; }
    if (buf) buf[len] = '\0';
    fclose(f);
    return buf;
}

static int plot_count(const char *s, const char *needle)
{
    int n = 0;
    size_t len = strlen(needle);
    while ((s = strstr(s, needle)) != NULL) { n++; s += len; }
    return n;
}

/* An entity at s ("&amp;" ...); returns its length or 0. */
static int plot_entity(const char *s)
{
    static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;" };
    size_t i;
    for (i = 0; i < sizeof ents / sizeof ents[0]; i++)
        if (strncmp(s, ents[i], strlen(ents[i])) == 0) return (int)strlen(ents[i]);
    return 0;
}

static int plot_is_name(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '_';
}

/* A small XML well-formedness check: one <?xml?> prolog, one <svg> root,
   every element closed in order, attributes quoted, '&' only in entities,
   no raw '<' or '>' in text. Returns 1 if well formed. */
static int plot_well_formed(const char *s)
{
    char stack[64][32];
    int depth = 0, roots = 0;
    if (strncmp(s, "<?xml ", 6) != 0) return 0;
    s = strstr(s, "?>");
    if (!s) return 0;
    s += 2;
    while (*s) {
        if (*s == '<') {
            int closing = 0, len = 0;
            char name[32];
            s++;
            if (*s == '/') { closing = 1; s++; }
            while (plot_is_name(*s) && len < 31) name[len++] = *s++;
            name[len] = '\0';
            if (len == 0) return 0;
            if (closing) {
                if (*s != '>' || depth == 0 || strcmp(stack[depth - 1], name) != 0) return 0;
                depth--;
                s++;
                continue;
            }
            if (depth == 0) { if (roots++ || strcmp(name, "svg") != 0) return 0; }
            for (;;) { /* attributes */
                while (*s == ' ' || *s == '\n') s++;
                if (*s == '>') { s++; if (depth >= 64) return 0; strcpy(stack[depth++], name); break; }
                if (s[0] == '/' && s[1] == '>') { s += 2; break; }
                if (!plot_is_name(*s)) return 0;
                while (plot_is_name(*s)) s++;
                if (s[0] != '=' || s[1] != '"') return 0;
                s += 2;
                while (*s != '"') {
                    if (*s == '\0' || *s == '<') return 0;
                    if (*s == '&') { int e = plot_entity(s); if (!e) return 0; s += e; }
                    else s++;
                }
                s++;
            }
        } else {
            if (*s == '>') return 0;
            if (*s == '&') { int e = plot_entity(s); if (!e) return 0; s += e; }
            else {
                if (depth == 0 && *s != '\n') return 0;
                s++;
            }
        }
    }
    return depth == 0 && roots == 1;
}

/* No NaN or Inf anywhere in the numbers. */
static int plot_numbers_finite(const char *s)
{
    for (; *s; s++) {
        char a = (char)tolower((unsigned char)s[0]);
        if (!s[1] || !s[2]) break;
        if ((a == 'n' && tolower((unsigned char)s[1]) == 'a' && tolower((unsigned char)s[2]) == 'n') ||
            (a == 'i' && tolower((unsigned char)s[1]) == 'n' && tolower((unsigned char)s[2]) == 'f'))
            return 0;
    }
    return 1;
}

static int plot_have_rsvg = -1;

/* Render with rsvg-convert when installed (CI: apt-get install librsvg2-bin). */
static void plot_render(const char *name)
{
    char cmd[512];
    if (plot_have_rsvg < 0) {
        plot_have_rsvg = system("command -v rsvg-convert >/dev/null 2>&1") == 0;
        if (!plot_have_rsvg) fprintf(stderr, "  note: rsvg-convert not found, SVG rendering not checked (apt-get install librsvg2-bin)\n");
    }
    if (!plot_have_rsvg) return;
    snprintf(cmd, sizeof cmd, "rsvg-convert -o %s/%s.png %s/%s.svg", PLOT_DIR, name, PLOT_DIR, name);
    CHECK(system(cmd) == 0);
}

/* Write one plot to build/plots/<name>.svg via fn, check it and return its text. */
typedef lmm_status (*plot_writer)(FILE *f, const void *ctx, lmm_error *err);

static char *plot_file(const char *name, plot_writer fn, const void *ctx)
{
    char path[256];
    FILE *f;
    lmm_error err = {0};
    lmm_status st;
    char *text;
    snprintf(path, sizeof path, "%s/%s.svg", PLOT_DIR, name);
    f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return NULL;
    st = fn(f, ctx, &err);
    fclose(f);
    CHECK(st == LMM_OK);
    if (st != LMM_OK) { fprintf(stderr, "  %s: %s\n", name, err.message); return NULL; }
    text = plot_read_all(path);
    CHECK(text != NULL);
    if (!text) return NULL;
    CHECK(plot_well_formed(text));
    CHECK(plot_numbers_finite(text));
    plot_render(name);
    return text;
}

typedef struct { const lmm_fit *fit; const char *group; const double *x, *y; int n; const char *title; } plot_ctx;

static lmm_status plot_w_ranef(FILE *f, const void *c, lmm_error *err)
{
    const plot_ctx *p = (const plot_ctx *)c;
    return lmm_plot_ranef(f, p->fit, p->group, NULL, err);
}
static lmm_status plot_w_resid(FILE *f, const void *c, lmm_error *err)
{
    const plot_ctx *p = (const plot_ctx *)c;
    return lmm_plot_resid(f, p->x, p->y, p->n, NULL, err);
}
static lmm_status plot_w_qq(FILE *f, const void *c, lmm_error *err)
{
    const plot_ctx *p = (const plot_ctx *)c;
    return lmm_plot_qq(f, p->x, p->n, NULL, err);
}
static lmm_status plot_w_hist(FILE *f, const void *c, lmm_error *err)
{
    const plot_ctx *p = (const plot_ctx *)c;
    return lmm_plot_hist(f, p->x, p->n, p->title, NULL, err);
}

/* The label texts of the ranef plot in document order (bottom to top). */
static int plot_labels_in_order(const char *svg, const char *const *labels, int n)
{
    int i;
    char pat[64];
    for (i = 0; i < n; i++) {
        snprintf(pat, sizeof pat, "text-anchor=\"end\">%s</text>", labels[i]);
        svg = strstr(svg, pat);
        if (!svg) return 0;
    }
    return 1;
}

static void plot_test_pretty(void)
{
    double t[32];
    static const double a[] = { 0, 2, 4, 6, 8 };
    static const double b[] = { -60, -40, -20, 0, 20, 40, 60, 80 };
    static const double c[] = { 150, 200, 250, 300, 350, 400, 450, 500 };
    static const double d[] = { -0.003, -0.002, -0.001, 0, 0.001, 0.002, 0.003, 0.004, 0.005 };
    static const double e[] = { 1000000, 1500000, 2000000, 2500000, 3000000, 3500000 };
    static const double g[] = { 17.2, 17.22, 17.24, 17.26, 17.28, 17.3 };
    int i, n;
    /* R 4.2: pretty(c(0.13, 7.9)) etc. */
    n = lmm_pretty(0.13, 7.9, 5, 1, t, 32); CHECK(n == 5);
    for (i = 0; i < 5 && i < n; i++) CHECK_CLOSE(t[i], a[i], 1e-12, 1e-12);
    n = lmm_pretty(-53.4, 61.2, 5, 1, t, 32); CHECK(n == 8);
    for (i = 0; i < 8 && i < n; i++) CHECK_CLOSE(t[i], b[i], 1e-12, 1e-12);
    n = lmm_pretty(194.3, 466.4, 5, 1, t, 32); CHECK(n == 8);
    for (i = 0; i < 8 && i < n; i++) CHECK_CLOSE(t[i], c[i], 1e-12, 1e-12);
    n = lmm_pretty(-0.0021, 0.0047, 5, 1, t, 32); CHECK(n == 9);
    for (i = 0; i < 9 && i < n; i++) CHECK_CLOSE(t[i], d[i], 1e-12, 1e-15);
    n = lmm_pretty(1e6, 3.2e6, 5, 1, t, 32); CHECK(n == 6);
    for (i = 0; i < 6 && i < n; i++) CHECK_CLOSE(t[i], e[i], 1e-12, 1e-12);
    n = lmm_pretty(17.2, 17.3, 5, 1, t, 32); CHECK(n == 6);
    for (i = 0; i < 6 && i < n; i++) CHECK_CLOSE(t[i], g[i], 1e-12, 1e-12);
    n = lmm_pretty(0, 1, 5, 1, t, 32); CHECK(n == 6);
    CHECK_CLOSE(t[0], 0, 0, 1e-15); CHECK_CLOSE(t[5], 1, 1e-12, 0);
    n = lmm_pretty(-1, 1, 11, 1, t, 32); CHECK(n == 11);   /* pretty(c(-1,1), n = 11, min.n = 1) */
    CHECK_CLOSE(t[0], -1, 1e-12, 0); CHECK_CLOSE(t[1], -0.8, 1e-12, 0); CHECK_CLOSE(t[10], 1, 1e-12, 0);
    n = lmm_pretty(5, 5, 5, 1, t, 32); CHECK(n == 2);       /* c(0, 5) */
    CHECK_CLOSE(t[0], 0, 0, 1e-15); CHECK_CLOSE(t[1], 5, 1e-12, 0);
    n = lmm_pretty(0, 0, 5, 1, t, 32); CHECK(n == 2);       /* c(-1, 0) */
    CHECK_CLOSE(t[0], -1, 1e-12, 0); CHECK_CLOSE(t[1], 0, 0, 1e-15);
    CHECK(lmm_pretty(0.13, 7.9, 5, 1, t, 2) == 5);          /* count even when the buffer is short */
}

static void plot_test_ppoints_hist(void)
{
    double p[12], br[64], x[50];
    int cnt[63], i, nb;
    static const double p5[] = { 0.119047619047619, 0.30952380952381, 0.5, 0.69047619047619, 0.880952380952381 };
    static const double p12[] = { 0.0416666666666667, 0.125, 0.208333333333333, 0.291666666666667, 0.375,
                                  0.458333333333333, 0.541666666666667, 0.625, 0.708333333333333,
                                  0.791666666666667, 0.875, 0.958333333333333 };
    static const double x2[] = { 0, 0, 0, 0.5, 1, 1, 2, 3.5, 7.25, 0, 0.1 };
    static const int c1[] = { 9, 9, 10, 9, 10, 3 }, c2[] = { 9, 1, 0, 1 };
    lmm_ppoints(5, p);
    for (i = 0; i < 5; i++) CHECK_CLOSE(p[i], p5[i], 1e-13, 0);
    lmm_ppoints(12, p);
    for (i = 0; i < 12; i++) CHECK_CLOSE(p[i], p12[i], 1e-13, 0);
    lmm_ppoints(1, p);
    CHECK_CLOSE(p[0], 0.5, 1e-15, 0);
    /* R: x <- (1:50) * 37 / 7; hist(x)$breaks = 0, 50, ..., 300 */
    for (i = 0; i < 50; i++) x[i] = (double)((i + 1) * 37) / 7;
    nb = lmm_hist_breaks(x, 50, br, cnt, 64);
    CHECK(nb == 7);
    for (i = 0; i < 7 && i < nb; i++) CHECK_CLOSE(br[i], 50.0 * i, 1e-12, 1e-12);
    for (i = 0; i < 6 && i < nb - 1; i++) CHECK(cnt[i] == c1[i]);
    /* values on the breaks go to the left bin, the lowest bin includes 0 */
    nb = lmm_hist_breaks(x2, 11, br, cnt, 64);
    CHECK(nb == 5);
    for (i = 0; i < 5 && i < nb; i++) CHECK_CLOSE(br[i], 2.0 * i, 1e-12, 1e-12);
    for (i = 0; i < 4 && i < nb - 1; i++) CHECK(cnt[i] == c2[i]);
    CHECK(lmm_hist_breaks(x2, 0, br, cnt, 64) == 0);
}

static void plot_test_sleepstudy(void)
{
    static const char *const order[] = { "309", "310", "370", "349", "350", "334", "335", "371", "308",
                                         "369", "351", "332", "372", "333", "352", "331", "330", "337" };
    lmm_error err = {0};
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    plot_ctx c;
    char *s;
    CHECK(lmm_frame_read_csv(TEST_DATA_DIR "/sleepstudy.csv", &df, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "Reaction ~ Days + (Days | Subject)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { fprintf(stderr, "  %s\n", err.message); lmm_frame_free(df); return; }
    memset(&c, 0, sizeof c);
    c.fit = fit;
    c.group = "Subject";
    s = plot_file("sleepstudy_ranef", plot_w_ranef, &c);
    if (s) {
        CHECK(plot_count(s, "<circle") == 36);          /* 18 levels x 2 columns */
        CHECK(plot_count(s, "stroke-width=\"1.2\"") == 36); /* one interval per point */
        CHECK(plot_count(s, "class=\"strip\"") == 2);
        CHECK(strstr(s, ">(Intercept)</text>") != NULL);
        CHECK(strstr(s, ">Days</text>") != NULL);
        /* levels bottom to top in R's order(ranef(m)$Subject[, 1]) */
        CHECK(plot_labels_in_order(s, order, 18));
        free(s);
    }
    c.x = fit->fitted; c.y = fit->resid; c.n = fit->nobs;
    s = plot_file("sleepstudy_resid", plot_w_resid, &c);
    if (s) { CHECK(plot_count(s, "<circle") == 180); CHECK(strstr(s, "Residuals vs Fitted") != NULL); free(s); }
    c.x = fit->resid;
    s = plot_file("sleepstudy_qq", plot_w_qq, &c);
    if (s) { CHECK(plot_count(s, "<circle") == 180); CHECK(strstr(s, "stroke=\"red\"") != NULL); free(s); }
    /* group NULL: the first grouping factor */
    {
        lmm_status st;
        FILE *f = tmpfile();
        CHECK(f != NULL);
        if (f) { st = lmm_plot_ranef(f, fit, NULL, NULL, &err); CHECK(st == LMM_OK); fclose(f); }
    }
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

static void plot_test_pulp(void)
{
    static const char *const order[] = { "b", "a", "c", "d" };
    lmm_error err = {0};
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    plot_ctx c;
    char *s;
    double lrt[200];
    int i, nb;
    double br[64];
    int cnt[63];
    CHECK(lmm_frame_read_csv(TEST_DATA_DIR "/pulp.csv", &df, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "bright ~ 1 + (1|operator)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { fprintf(stderr, "  %s\n", err.message); lmm_frame_free(df); return; }
    memset(&c, 0, sizeof c);
    c.fit = fit;
    c.group = "operator";
    s = plot_file("pulp_ranef", plot_w_ranef, &c);
    if (s) {
        CHECK(plot_count(s, "<circle") == 4);
        CHECK(plot_labels_in_order(s, order, 4));
        CHECK(strstr(s, ">operator</text>") != NULL);  /* the title */
        free(s);
    }
    /* a histogram of chi-square-like values with a spike at zero, as bootstrap LRTs look */
    for (i = 0; i < 200; i++) {
        double u = (i + 0.5) / 200;
        lrt[i] = i % 2 ? 0 : lmm_qchisq(u, 1, 1, 0);
    }
    c.x = lrt; c.n = 200; c.title = "Bootstrap LRT statistics";
    s = plot_file("pulp_boot_hist", plot_w_hist, &c);
    nb = lmm_hist_breaks(lrt, 200, br, cnt, 64);
    if (s) {
        CHECK(plot_count(s, "class=\"bar\"") == nb - 1);
        CHECK(strstr(s, ">Bootstrap LRT statistics</text>") != NULL);
        free(s);
    }
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

static void plot_test_escaping_and_errors(void)
{
    static const char csv[] =
        "y,g\n"
        "1.2,A&B\n2.3,A&B\n1.9,A&B\n"
        "3.1,<x>\n3.9,<x>\n3.3,<x>\n"
        "0.4,\"\"\"q\"\"\"\n0.9,\"\"\"q\"\"\"\n0.2,\"\"\"q\"\"\"\n"
        "2.2,it's\n2.0,it's\n2.8,it's\n";
    lmm_error err = {0};
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    plot_ctx c;
    char *s, *s2;
    double v[3] = { 1, NAN, 2 }, f3[3] = { 1, 2, 3 }, nan3[3] = { NAN, HUGE_VAL, NAN };
    FILE *f;
    CHECK(lmm_frame_read_csv_text(csv, sizeof csv - 1, &df, &err) == LMM_OK);
    CHECK(lmm_fit_formula(df, "y ~ 1 + (1|g)", NULL, &fit, &err) == LMM_OK);
    if (!fit) { fprintf(stderr, "  %s\n", err.message); lmm_frame_free(df); return; }
    memset(&c, 0, sizeof c);
    c.fit = fit;
    c.group = "g";
    s = plot_file("escaped_ranef", plot_w_ranef, &c);
    if (s) {
        CHECK(strstr(s, ">A&amp;B</text>") != NULL);
        CHECK(strstr(s, ">&lt;x&gt;</text>") != NULL);
        CHECK(strstr(s, ">&quot;q&quot;</text>") != NULL);
        CHECK(strstr(s, ">it&apos;s</text>") != NULL);
        CHECK(plot_count(s, "<circle") == 4);
        /* deterministic: the same call writes the same bytes */
        free(plot_file("escaped_ranef2", plot_w_ranef, &c));
        s2 = plot_read_all(PLOT_DIR "/escaped_ranef2.svg");
        CHECK(s2 && strcmp(s, s2) == 0);
        free(s2);
        free(s);
    }
    /* without conditional variances: the modes alone, no intervals */
    {
        lmm_fit_options fo;
        lmm_fit *nocv = NULL;
        memset(&fo, 0, sizeof fo);
        fo.skip_condvar = 1;
        CHECK(lmm_fit_formula(df, "y ~ 1 + (1|g)", &fo, &nocv, &err) == LMM_OK);
        if (nocv) {
            c.fit = nocv;
            s = plot_file("escaped_ranef_nocondvar", plot_w_ranef, &c);
            if (s) { CHECK(plot_count(s, "<circle") == 4); CHECK(plot_count(s, "stroke-width=\"1.2\"") == 0); free(s); }
            c.fit = fit;
            lmm_fit_free(nocv);
        }
    }
    /* non-finite pairs are skipped */
    c.x = f3; c.y = v; c.n = 3;
    s = plot_file("skip_nonfinite", plot_w_resid, &c);
    if (s) { CHECK(plot_count(s, "<circle") == 2); free(s); }
    /* errors */
    f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        lmm_plot_options o;
        memset(&o, 0, sizeof o);
        o.width = 300; o.height = 200; o.title = "T <1>"; o.xlab = "x&y"; o.ylab = "r";
        CHECK(lmm_plot_ranef(f, fit, "nope", NULL, &err) == LMM_ERR_ARG);
        CHECK(strstr(err.message, "nope") != NULL);
        CHECK(lmm_plot_ranef(NULL, fit, "g", NULL, &err) == LMM_ERR_ARG);
        CHECK(lmm_plot_ranef(f, NULL, "g", NULL, &err) == LMM_ERR_ARG);
        CHECK(lmm_plot_resid(f, NULL, v, 3, NULL, &err) == LMM_ERR_ARG);
        CHECK(lmm_plot_resid(f, f3, v, -1, NULL, NULL) == LMM_ERR_ARG);
        CHECK(lmm_plot_qq(f, nan3, 3, NULL, &err) == LMM_ERR_DATA);
        CHECK(lmm_plot_qq(f, v, 0, NULL, &err) == LMM_ERR_DATA);
        CHECK(lmm_plot_hist(f, nan3, 3, NULL, NULL, &err) == LMM_ERR_DATA);
        CHECK(lmm_plot_hist(NULL, v, 3, NULL, NULL, &err) == LMM_ERR_ARG);
        lmm_test_fail_after = lmm_test_allocs;
        CHECK(lmm_plot_qq(f, f3, 3, NULL, &err) == LMM_ERR_NOMEM);
        CHECK(lmm_plot_ranef(f, fit, "g", NULL, &err) == LMM_ERR_NOMEM);
        lmm_test_fail_after = -1;
        fclose(f);
        /* options: size and escaped labels */
        f = fopen(PLOT_DIR "/options_qq.svg", "wb");
        CHECK(f != NULL);
        if (f) {
            CHECK(lmm_plot_qq(f, f3, 3, &o, &err) == LMM_OK);
            fclose(f);
            s = plot_read_all(PLOT_DIR "/options_qq.svg");
            CHECK(s && plot_well_formed(s));
            CHECK(s && strstr(s, "width=\"300\" height=\"200\"") != NULL);
            CHECK(s && strstr(s, ">T &lt;1&gt;</text>") != NULL);
            CHECK(s && strstr(s, ">x&amp;y</text>") != NULL);
            free(s);
            plot_render("options_qq");
        }
    }
    /* the checker itself rejects broken documents */
    CHECK(!plot_well_formed("<?xml version=\"1.0\"?>\n<svg><g></svg>"));
    CHECK(!plot_well_formed("<?xml version=\"1.0\"?>\n<svg><text>a & b</text></svg>"));
    CHECK(!plot_well_formed("<?xml version=\"1.0\"?>\n<svg><text>a<b</text></svg>"));
    CHECK(plot_well_formed("<?xml version=\"1.0\"?>\n<svg a=\"1\"><g/><text>a &amp; b</text></svg>\n"));
    lmm_fit_free(fit);
    lmm_frame_free(df);
}

void test_plot(void)
{
    CHECK(system("mkdir -p " PLOT_DIR) == 0);
    plot_test_pretty();
    plot_test_ppoints_hist();
    plot_test_sleepstudy();
    plot_test_pulp();
    plot_test_escaping_and_errors();
}
