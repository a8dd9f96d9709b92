/* Two fits in parallel threads on different data give the results of a
   serial run (built with -fsanitize=thread to catch data races). */
#define LMM_IMPLEMENTATION
#include "lmm.h"
#include <pthread.h>
#include <string.h>

typedef struct job { const char *path, *formula; double crit, beta0, theta0; int status; } job;

static void *run(void *arg)
{
    job *j = (job *)arg;
    lmm_frame *df = NULL;
    lmm_fit *fit = NULL;
    lmm_error err;
    j->status = lmm_frame_read_csv(j->path, &df, &err);
    if (!j->status) j->status = lmm_fit_formula(df, j->formula, NULL, &fit, &err);
    if (!j->status) { j->crit = fit->criterion; j->beta0 = fit->beta[0]; j->theta0 = fit->theta[0]; }
    lmm_fit_free(fit);
    lmm_frame_free(df);
    return NULL;
}

int main(void)
{
    job a = { "tests/data/sleepstudy.csv", "Reaction ~ Days + (Days | Subject)", 0, 0, 0, 0 };
    job b = { "tests/data/Penicillin.csv", "diameter ~ 1 + (1|plate) + (1|sample)", 0, 0, 0, 0 };
    job a2 = a, b2 = b;
    pthread_t ta, tb;
    int passed = 0, failed = 0;
    run(&a2); run(&b2);                       /* serial */
    pthread_create(&ta, NULL, run, &a);       /* parallel */
    pthread_create(&tb, NULL, run, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    if (!a.status && a.crit == a2.crit && a.beta0 == a2.beta0 && a.theta0 == a2.theta0) passed++; else failed++;
    if (!b.status && b.crit == b2.crit && b.beta0 == b2.beta0 && b.theta0 == b2.theta0) passed++; else failed++;
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
