/* A tiny JSON reader for the tests (reference figures from lme4). Not part of the library. */
#ifndef LMM_TEST_JSON_H
#define LMM_TEST_JSON_H
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

typedef enum { TJ_NULL, TJ_BOOL, TJ_NUM, TJ_STR, TJ_ARR, TJ_OBJ } tj_type;
typedef struct tj_node {
    tj_type type;
    double num;
    char *str;                 /* TJ_STR value */
    int n;                     /* TJ_ARR/TJ_OBJ children */
    struct tj_node **kids;
    char **keys;               /* TJ_OBJ keys */
} tj_node;

tj_node *tj_parse_file(const char *path);
void tj_free(tj_node *n);
const tj_node *tj_get(const tj_node *obj, const char *key);      /* NULL if absent */
const tj_node *tj_at(const tj_node *arr, int i);
double tj_num(const tj_node *n);                                  /* NAN for null */
const char *tj_str(const tj_node *n);
int tj_len(const tj_node *n);
#endif
