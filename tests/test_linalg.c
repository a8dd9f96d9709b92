/* Dense kernels against hand-computed values. */
#include "test.h"

void test_linalg(void)
{
    /* the classic 3x3 example: A = L L' with L = [2 0 0; 6 1 0; -8 5 3] */
    double a[9] = { 4, 12, -16, 12, 37, -43, -16, -43, 98 };
    double want_L[9] = { 2, 6, -8, 0, 1, 5, 0, 0, 3 };
    double b[3] = { 2, 7, 0 }, c[3] = { 0, 6, 3 };
    double notpd[4] = { 1, 2, 2, 1 };
    int i;
    CHECK(lmm_chol(3, a, 3) == 0);
    for (i = 0; i < 9; i++) if (want_L[i] != 0) CHECK_CLOSE(a[i], want_L[i], 1e-15, 0);
    lmm_trsv_lower(3, a, 3, b, 0);           /* L x = (2,7,0) -> x = (1,1,1) */
    for (i = 0; i < 3; i++) CHECK_CLOSE(b[i], 1.0, 1e-15, 1e-15);
    lmm_trsv_lower(3, a, 3, c, 1);           /* L' x = (0,6,3) -> x = (1,1,1) */
    for (i = 0; i < 3; i++) CHECK_CLOSE(c[i], 1.0, 1e-15, 1e-15);
    CHECK(lmm_chol(2, notpd, 2) == 2);       /* second leading minor is -3 */
    {
        /* least squares of y = (1,2,2) on (1, x), x = 1,2,3: beta = (2/3, 1/2), RSS = 1/6 */
        double X[6] = { 1, 1, 1, 1, 2, 3 }, y[3] = { 1, 2, 2 }, tau[2], beta[2];
        lmm_qr(3, 2, X, 3, tau);
        lmm_qr_qtv(3, 2, X, 3, tau, y);
        CHECK_CLOSE(fabs(X[0]), sqrt(3.0), 1e-15, 0);      /* |R11| = ||first column|| */
        beta[1] = y[1] / X[4];
        beta[0] = (y[0] - X[3] * beta[1]) / X[0];
        CHECK_CLOSE(beta[0], 2.0 / 3.0, 1e-14, 0);
        CHECK_CLOSE(beta[1], 0.5, 1e-14, 0);
        CHECK_CLOSE(y[2] * y[2], 1.0 / 6.0, 1e-14, 0);
    }
}
