/* A tiny JSON reader for the tests. */
#include "json.h"
#include <math.h>
#include <ctype.h>

typedef struct { const char *p; } tj_cur;

static void tj_ws(tj_cur *c) { while (isspace((unsigned char)*c->p)) c->p++; }

static tj_node *tj_new(tj_type t)
{
    tj_node *n = (tj_node *)calloc(1, sizeof *n);
    n->type = t;
    return n;
}

static char *tj_string(tj_cur *c)
{
    size_t cap = 16, len = 0;
    char *s = (char *)malloc(cap);
    c->p++;                                     /* opening quote */
    while (*c->p && *c->p != '"') {
        char ch = *c->p++;
        if (ch == '\\') {
            ch = *c->p++;
            if (ch == 'n') ch = '\n'; else if (ch == 't') ch = '\t';
            else if (ch == 'u') { c->p += 4; ch = '?'; }
        }
        if (len + 2 > cap) s = (char *)realloc(s, cap *= 2);
        s[len++] = ch;
    }
    if (*c->p == '"') c->p++;
    s[len] = 0;
    return s;
}

static tj_node *tj_value(tj_cur *c)
{
    tj_node *n;
    tj_ws(c);
    if (*c->p == '{' || *c->p == '[') {
        int obj = *c->p == '{';
        n = tj_new(obj ? TJ_OBJ : TJ_ARR);
        c->p++;
        for (;;) {
            char *key = NULL;
            tj_ws(c);
            if (*c->p == (obj ? '}' : ']')) { c->p++; break; }
            if (obj) { key = tj_string(c); tj_ws(c); if (*c->p == ':') c->p++; }
            n->kids = (tj_node **)realloc(n->kids, (size_t)(n->n + 1) * sizeof *n->kids);
            n->keys = (char **)realloc(n->keys, (size_t)(n->n + 1) * sizeof *n->keys);
            n->keys[n->n] = key;
            n->kids[n->n++] = tj_value(c);
            tj_ws(c);
            if (*c->p == ',') c->p++;
            else if (!*c->p) break;
        }
        return n;
    }
    if (*c->p == '"') { n = tj_new(TJ_STR); n->str = tj_string(c); return n; }
    if (!strncmp(c->p, "null", 4)) { c->p += 4; return tj_new(TJ_NULL); }
    if (!strncmp(c->p, "true", 4)) { c->p += 4; n = tj_new(TJ_BOOL); n->num = 1; return n; }
    if (!strncmp(c->p, "false", 5)) { c->p += 5; n = tj_new(TJ_BOOL); return n; }
    n = tj_new(TJ_NUM);
    {
        char *end;
        n->num = strtod(c->p, &end);
        if (end == c->p) c->p++; else c->p = end;
    }
    return n;
}

tj_node *tj_parse_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    long len;
    char *buf;
    tj_cur c;
    tj_node *n;
    if (!f) return NULL;
    fseek(f, 0, SEEK_END); len = ftell(f); fseek(f, 0, SEEK_SET);
    buf = (char *)malloc((size_t)len + 1);
    if (fread(buf, 1, (size_t)len, f) != (size_t)len) { fclose(f); free(buf); return NULL; }
    buf[len] = 0;
    fclose(f);
    c.p = buf;
    n = tj_value(&c);
    free(buf);
    return n;
}

void tj_free(tj_node *n)
{
    int i;
    if (!n) return;
    for (i = 0; i < n->n; i++) { tj_free(n->kids[i]); if (n->keys) free(n->keys[i]); }
    free(n->kids); free(n->keys); free(n->str); free(n);
}

const tj_node *tj_get(const tj_node *obj, const char *key)
{
    int i;
    if (!obj || obj->type != TJ_OBJ) return NULL;
    for (i = 0; i < obj->n; i++) if (obj->keys[i] && !strcmp(obj->keys[i], key)) return obj->kids[i];
    return NULL;
}

const tj_node *tj_at(const tj_node *arr, int i)
{
    if (!arr || (arr->type != TJ_ARR && arr->type != TJ_OBJ) || i < 0 || i >= arr->n) return NULL;
    return arr->kids[i];
}

double tj_num(const tj_node *n) { return (n && (n->type == TJ_NUM || n->type == TJ_BOOL)) ? n->num : NAN; }
const char *tj_str(const tj_node *n) { return (n && n->type == TJ_STR) ? n->str : NULL; }
int tj_len(const tj_node *n) { return n ? n->n : 0; }
