/* Distributions: reference values from R 4.2 (the R call is in the comment
   after each check; printed with digits = 17), except where R 4.2 itself is
   off, which use 60-digit mpmath or closed forms and say so. Tolerance is
   1e-12 relative unless a comment says why not. */
#include "test.h"
#include <float.h>

static void check_lgamma_lbeta(void)
{
    CHECK_CLOSE(lmm_lgamma(1e-300), 690.77552789821368, 1e-12, 0); /* lgamma(1e-300) */
    CHECK_CLOSE(lmm_lgamma(1e-10), 23.025850929882736, 1e-12, 0); /* lgamma(1e-10) */
    CHECK_CLOSE(lmm_lgamma(0.5), 0.57236494292470008, 1e-12, 0); /* lgamma(0.5) */
    CHECK_CLOSE(lmm_lgamma(1), 0, 1e-12, 0); /* lgamma(1) */
    CHECK_CLOSE(lmm_lgamma(2), 0, 1e-12, 0); /* lgamma(2) */
    CHECK_CLOSE(lmm_lgamma(2.5), 0.28468287047291918, 1e-12, 0); /* lgamma(2.5) */
    CHECK_CLOSE(lmm_lgamma(3), 0.69314718055994529, 1e-12, 0); /* lgamma(3) */
    CHECK_CLOSE(lmm_lgamma(7.3), 7.1478925230222492, 1e-12, 0); /* lgamma(7.3) */
    CHECK_CLOSE(lmm_lgamma(9.99), 12.779315214350193, 1e-12, 0); /* lgamma(9.99) */
    CHECK_CLOSE(lmm_lgamma(10), 12.801827480081469, 1e-12, 0); /* lgamma(10) */
    CHECK_CLOSE(lmm_lgamma(12.5), 18.734347511936448, 1e-12, 0); /* lgamma(12.5) */
    CHECK_CLOSE(lmm_lgamma(100), 359.1342053695754, 1e-12, 0); /* lgamma(100) */
    CHECK_CLOSE(lmm_lgamma(1e5), 1051287.7089736569, 1e-12, 0); /* lgamma(1e5) */
    CHECK_CLOSE(lmm_lgamma(1e10), 220258509288.81058, 1e-12, 0); /* lgamma(1e10) */
    CHECK_CLOSE(lmm_lgamma(1e300), 6.8977552789821374e+302, 1e-12, 0); /* lgamma(1e300) */
    CHECK_CLOSE(lmm_lgamma(0.01), 4.5994798780420219, 1e-12, 0); /* lgamma(0.01) */
    CHECK_CLOSE(lmm_lgamma(0.7), 0.2608672465316666, 1e-12, 0); /* lgamma(0.7) */
    CHECK_CLOSE(lmm_lgamma(1.3), -0.10817480950786047, 1e-12, 0); /* lgamma(1.3) */
    CHECK_CLOSE(lmm_lgamma(4.5), 2.4537365708424423, 1e-12, 0); /* lgamma(4.5) */
    CHECK_CLOSE(lmm_lbeta(1e-300, 2), 690.77552789821368, 1e-12, 0); /* lbeta(1e-300,2) */
    CHECK_CLOSE(lmm_lbeta(1e-10, 1e-10), 23.718998110500401, 1e-12, 0); /* lbeta(1e-10,1e-10) */
    CHECK_CLOSE(lmm_lbeta(0.5, 0.5), 1.1447298858494004, 1e-12, 0); /* lbeta(0.5,0.5) */
    CHECK_CLOSE(lmm_lbeta(2, 3), -2.4849066497880004, 1e-12, 0); /* lbeta(2,3) */
    CHECK_CLOSE(lmm_lbeta(1, 1), 0, 1e-12, 0); /* lbeta(1,1) */
    CHECK_CLOSE(lmm_lbeta(0.5, 1e5), -5.1840965395604135, 1e-12, 0); /* lbeta(0.5,1e5) */
    CHECK_CLOSE(lmm_lbeta(3, 1e10), -68.384405609561426, 1e-12, 0); /* lbeta(3,1e10) */
    CHECK_CLOSE(lmm_lbeta(1e5, 1e5), -138633.92706134805, 1e-12, 0); /* lbeta(1e5,1e5) */
    CHECK_CLOSE(lmm_lbeta(1e10, 2e10), -19095425059.235641, 1e-12, 0); /* lbeta(1e10,2e10) */
    CHECK_CLOSE(lmm_lbeta(20, 30), -33.968820791977386, 1e-12, 0); /* lbeta(20,30) */
    CHECK_CLOSE(lmm_lbeta(1e-5, 1e5), 11.512804563691176, 1e-12, 0); /* lbeta(1e-5,1e5) */
    CHECK_CLOSE(lmm_lbeta(9.5, 10.5), -13.709925546998459, 1e-12, 0); /* lbeta(9.5,10.5) */

}

static void check_normal(void)
{
    CHECK_CLOSE(lmm_pnorm(0, 0, 1, 1, 0), 0.5, 1e-12, 0); /* pnorm(0, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(1.96, 0, 1, 1, 0), 0.97500210485177963, 1e-12, 0); /* pnorm(1.96, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(-1.96, 0, 1, 1, 0), 0.024997895148220428, 1e-12, 0); /* pnorm(-1.96, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(1e-10, 0, 1, 1, 0), 0.5000000000398942, 1e-12, 0); /* pnorm(1e-10, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(1.4999, 0, 1, 0, 0), 0.066820153999833598, 1e-12, 0); /* pnorm(1.4999, 0, 1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(1.5, 0, 1, 0, 0), 0.066807201268858071, 1e-12, 0); /* pnorm(1.5, 0, 1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(-38.5, 0, 1, 1, 0), 0, 1e-12, 0); /* pnorm(-38.5, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(10, 0, 1, 0, 0), 7.6198530241605269e-24, 1e-12, 0); /* pnorm(10, 0, 1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(10, 0, 1, 1, 0), 1, 1e-12, 0); /* pnorm(10, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(-40, 0, 1, 1, 1), -804.6084420137538, 1e-12, 0); /* pnorm(-40, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(-1e5, 0, 1, 1, 1), -5000000012.4318638, 1e-12, 0); /* pnorm(-1e5, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(-1e10, 0, 1, 1, 1), -5e+19, 1e-12, 0); /* pnorm(-1e10, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(5, 0, 1, 1, 1), -2.8665161296376358e-07, 1e-12, 0); /* pnorm(5, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(0.3, 0, 1, 1, 1), -0.48141016158848116, 1e-12, 0); /* pnorm(0.3, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(3, 1, 2, 1, 0), 0.84134474606854293, 1e-12, 0); /* pnorm(3, 1, 2, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(3, 1, 2, 0, 1), -1.8410216450092636, 1e-12, 0); /* pnorm(3, 1, 2, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(-INFINITY, 0, 1, 1, 0), 0, 1e-12, 0); /* pnorm(-Inf, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(INFINITY, 0, 1, 1, 0), 1, 1e-12, 0); /* pnorm(Inf, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(INFINITY, 0, 1, 0, 1), -INFINITY, 1e-12, 0); /* pnorm(Inf, 0, 1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(NAN, 0, 1, 1, 0), NAN, 1e-12, 0); /* pnorm(NaN, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pnorm(1, 0, -1, 1, 0), NAN, 1e-12, 0); /* pnorm(1, 0, -1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_dnorm(0, 0, 1, 0), 0.3989422804014327, 1e-12, 0); /* dnorm(0, 0, 1, log=FALSE) */
    CHECK_CLOSE(lmm_dnorm(37, 0, 1, 0), 2.1200065515246056e-298, 1e-12, 0); /* dnorm(37, 0, 1, log=FALSE) */
    CHECK_CLOSE(lmm_dnorm(1.5, 1, 2, 1), -1.6433357137646181, 1e-12, 0); /* dnorm(1.5, 1, 2, log=TRUE) */
    CHECK_CLOSE(lmm_qnorm(0.975, 0, 1, 1, 0), 1.9599639845400536, 1e-12, 0); /* qnorm(0.975, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.5, 0, 1, 1, 0), 0, 1e-12, 0); /* qnorm(0.5, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.3, 0, 1, 1, 0), -0.52440051270804067, 1e-12, 0); /* qnorm(0.3, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.5000001, 0, 1, 1, 0), 2.5066282733116488e-07, 1e-12, 0); /* qnorm(0.5000001, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.1, 0, 1, 1, 0), -1.2815515655446008, 1e-12, 0); /* qnorm(0.1, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.8, 0, 1, 1, 0), 0.84162123357291441, 1e-12, 0); /* qnorm(0.8, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.999, 0, 1, 1, 0), 3.0902323061678132, 1e-12, 0); /* qnorm(0.999, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(1e-300, 0, 1, 1, 0), -37.047096299361201, 1e-12, 0); /* qnorm(1e-300, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(1e-10, 0, 1, 0, 0), 6.3613409024040557, 1e-12, 0); /* qnorm(1e-10, 0, 1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(4.9e-324, 0, 1, 1, 0), -38.467405617144337, 1e-12, 0); /* qnorm(4.9e-324, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(-1e-20, 0, 1, 1, 1), 9.2623400897984052, 1e-12, 0); /* qnorm(-1e-20, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qnorm(-0.5, 0, 1, 0, 1), -0.27028802073873581, 1e-12, 0); /* qnorm(-0.5, 0, 1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qnorm(0.05, 10, 3, 1, 0), 5.0654391191455819, 1e-12, 0); /* qnorm(0.05, 10, 3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0, 0, 1, 1, 0), -INFINITY, 1e-12, 0); /* qnorm(0, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(1, 0, 1, 1, 0), INFINITY, 1e-12, 0); /* qnorm(1, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0, 0, 1, 0, 0), INFINITY, 1e-12, 0); /* qnorm(0, 0, 1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0, 0, 1, 1, 1), INFINITY, 1e-12, 0); /* qnorm(0, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qnorm(1.5, 0, 1, 1, 0), NAN, 1e-12, 0); /* qnorm(1.5, 0, 1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(0.5, 0, 1, 1, 1), NAN, 1e-12, 0); /* qnorm(0.5, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qnorm(NAN, 0, 1, 1, 0), NAN, 1e-12, 0); /* qnorm(NaN, 0, 1, lower.tail=TRUE, log.p=FALSE) */

}

static void check_student_t(void)
{
    CHECK_CLOSE(lmm_pt(-40, 3, 1, 0), 1.719034039457927e-05, 1e-12, 0); /* pt(-40, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(40, 3, 0, 0), 1.719034039457927e-05, 1e-12, 0); /* pt(40, df=3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-40, 3, 1, 1), -10.971162936870325, 1e-12, 0); /* pt(-40, df=3, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pt(1e-10, 5, 1, 0), 0.50000000003796063, 1e-12, 0); /* pt(1e-10, df=5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(1e-10, 5, 0, 0), 0.49999999996203937, 1e-12, 0); /* pt(1e-10, df=5, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-1e-10, 5, 1, 0), 0.49999999996203937, 1e-12, 0); /* pt(-1e-10, df=5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(2.12, 16, 1, 0), 0.97500453564344791, 1e-12, 0); /* pt(2.12, df=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(2.12, 16, 0, 0), 0.024995464356552109, 1e-12, 0); /* pt(2.12, df=16, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-2.12, 16, 1, 1), -3.6890608963114921, 1e-12, 0); /* pt(-2.12, df=16, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pt(1.5, 1e10, 1, 0), 0.93319279871535699, 1e-12, 0); /* pt(1.5, df=1e10, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-5, 1e10, 1, 0), 2.8665157671103195e-07, 1e-12, 0); /* pt(-5, df=1e10, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(1.5, 0.5, 1, 0), 0.74604910467594576, 1e-12, 0); /* pt(1.5, df=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-3, 0.5, 1, 0), 0.18365407799297176, 1e-12, 0); /* pt(-3, df=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-1e10, 0.5, 1, 0), 3.2070097541422295e-06, 1e-12, 0); /* pt(-1e10, df=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-1e100, 3, 1, 1), -690.67780445916901, 1e-12, 0); /* pt(-1e100, df=3, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pt(0.5, 1, 1, 0), 0.64758361765043326, 1e-12, 0); /* pt(0.5, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-1e300, 1, 1, 0), 3.1830988618377598e-301, 1e-12, 0); /* pt(-1e300, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(3, 2, 0, 0), 0.047732983133354563, 1e-12, 0); /* pt(3, df=2, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(0, 7, 1, 0), 0.5, 1e-12, 0); /* pt(0, df=7, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(1, INFINITY, 1, 0), 0.84134474606854293, 1e-12, 0); /* pt(1, df=Inf, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-INFINITY, 3, 1, 0), 0, 1e-12, 0); /* pt(-Inf, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(INFINITY, 3, 1, 0), 1, 1e-12, 0); /* pt(Inf, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(2, 1e300, 0, 0), 0.022750131948179198, 1e-12, 0); /* pt(2, df=1e300, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(NAN, 3, 1, 0), NAN, 1e-12, 0); /* pt(NaN, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(1, 0, 1, 0), NAN, 1e-12, 0); /* pt(1, df=0, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(1, -2, 1, 0), NAN, 1e-12, 0); /* pt(1, df=-2, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(50, 200, 0, 0), 2.7102877398912002e-115, 1e-12, 0); /* pt(50, df=200, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-8, 30, 1, 1), -19.581303156737292, 1e-12, 0); /* pt(-8, df=30, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qt(0.975, 16, 1, 0), 2.1199052992212541, 1e-12, 0); /* qt(0.975, df=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.025, 16, 1, 0), -2.119905299221255, 1e-12, 0); /* qt(0.025, df=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(1e-12, 2, 1, 0), -707106.78118548694, 1e-12, 0); /* qt(1e-12, df=2, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.6, 3, 1, 0), 0.27667066233268983, 1e-12, 0); /* qt(0.6, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.5, 3, 1, 0), 0, 1e-12, 0); /* qt(0.5, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.975, 1, 1, 0), 12.706204736174694, 1e-12, 0); /* qt(0.975, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.975, 0.5, 1, 0), 164.55767348049446, 1e-12, 0); /* qt(0.975, df=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(1e-5, 0.5, 1, 0), -1028491156.3163471, 1e-12, 0); /* qt(1e-5, df=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.975, 1e10, 1, 0), 1.9599639847772807, 1e-12, 0); /* qt(0.975, df=1e10, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.995, 1000, 1, 0), 2.5807546980659501, 1e-12, 0); /* qt(0.995, df=1000, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(-1e-15, 5, 1, 1), 1568.3911928228781, 1e-12, 0); /* qt(-1e-15, df=5, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qt(0.05, 4, 0, 0), 2.1318467863266499, 1e-12, 0); /* qt(0.05, df=4, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0, 4, 1, 0), -INFINITY, 1e-12, 0); /* qt(0, df=4, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(1, 4, 1, 0), INFINITY, 1e-12, 0); /* qt(1, df=4, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.5, 0, 1, 0), NAN, 1e-12, 0); /* qt(0.5, df=0, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(NAN, 4, 1, 0), NAN, 1e-12, 0); /* qt(NaN, df=4, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.975, INFINITY, 1, 0), 1.9599639845400536, 1e-12, 0); /* qt(0.975, df=Inf, lower.tail=TRUE, log.p=FALSE) */

}

static void check_chisq(void)
{
    CHECK_CLOSE(lmm_pchisq(1e-5, 1, 1, 0), 0.0025231283168055977, 1e-12, 0); /* pchisq(1e-5, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(1e-5, 1, 0, 0), 0.99747687168319443, 1e-12, 0); /* pchisq(1e-5, df=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(2.568371, 1, 0, 0), 0.10901994454768177, 1e-12, 0); /* pchisq(2.568371, df=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(3.841459, 1, 1, 0), 0.95000000534680429, 1e-12, 0); /* pchisq(3.841459, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(10, 3, 0, 0), 0.018566135463043233, 1e-12, 0); /* pchisq(10, df=3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(10, 3, 1, 1), -0.018740649566501823, 1e-12, 0); /* pchisq(10, df=3, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pchisq(1000, 10, 0, 0), 1.8702907209159495e-208, 1e-12, 0); /* pchisq(1000, df=10, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(1000, 10, 0, 1), -478.31160545824804, 1e-12, 0); /* pchisq(1000, df=10, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pchisq(1e-100, 2, 1, 0), 5.0000000000000001e-101, 1e-12, 0); /* pchisq(1e-100, df=2, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(1e-3, 0.02, 0, 0), 0.067907915937306079, 1e-12, 0); /* pchisq(1e-3, df=0.02, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(0.5, 0.02, 1, 0), 0.98955158177300506, 1e-12, 0); /* pchisq(0.5, df=0.02, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(5, 100, 1, 0), 2.2386989282288958e-46, 1e-12, 0); /* pchisq(5, df=100, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(100, 100, 1, 0), 0.51880831547204331, 1e-12, 0); /* pchisq(100, df=100, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(100, 100, 0, 0), 0.48119168452795669, 1e-12, 0); /* pchisq(100, df=100, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(0, 3, 1, 0), 0, 1e-12, 0); /* pchisq(0, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(-1, 3, 0, 0), 1, 1e-12, 0); /* pchisq(-1, df=3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(INFINITY, 3, 1, 0), 1, 1e-12, 0); /* pchisq(Inf, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(1, -1, 1, 0), NAN, 1e-12, 0); /* pchisq(1, df=-1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(0.95, 1, 1, 0), 3.841458820694124, 1e-12, 0); /* qchisq(0.95, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(0.05, 1, 0, 0), 3.8414588206941258, 1e-12, 0); /* qchisq(0.05, df=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(1e-10, 1, 1, 0), 1.5707963267948935e-20, 1e-12, 0); /* qchisq(1e-10, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(0.5, 3, 1, 0), 2.3659738843753377, 1e-12, 0); /* qchisq(0.5, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(1e-300, 10, 0, 0), 1427.7719561298886, 1e-12, 0); /* qchisq(1e-300, df=10, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(0.999, 100, 1, 0), 149.44925277903869, 1e-12, 0); /* qchisq(0.999, df=100, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(-50, 2, 1, 1), 3.8574996959278427e-22, 1e-12, 0); /* qchisq(-50, df=2, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qchisq(-1e-10, 4, 1, 1), 52.667963211165464, 1e-12, 0); /* qchisq(-1e-10, df=4, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qchisq(0, 3, 1, 0), 0, 1e-12, 0); /* qchisq(0, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(1, 3, 1, 0), INFINITY, 1e-12, 0); /* qchisq(1, df=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qchisq(0.5, 0.01, 1, 0), 7.0166677652356446e-61, 1e-12, 0); /* qchisq(0.5, df=0.01, lower.tail=TRUE, log.p=FALSE) */

}

static void check_fdist(void)
{
    CHECK_CLOSE(lmm_pf(4.204, 3, 16, 0, 0), 0.022607502018211274, 1e-12, 0); /* pf(4.204, df1=3, df2=16, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(4.204, 3, 16, 1, 0), 0.97739249798178873, 1e-12, 0); /* pf(4.204, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(4.204, 3, 16, 0, 1), -3.7894734800778846, 1e-12, 0); /* pf(4.204, df1=3, df2=16, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pf(1, 1, 1, 1, 0), 0.49999999999999956, 1e-12, 0); /* pf(1, df1=1, df2=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(1e5, 5, 10, 0, 0), 3.7532808154340508e-23, 1e-12, 0); /* pf(1e5, df1=5, df2=10, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(1e-8, 5, 10, 1, 0), 4.1473468887212999e-20, 1e-12, 0); /* pf(1e-8, df1=5, df2=10, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(0.5, 100, 200, 1, 0), 7.3063613666031431e-05, 1e-12, 0); /* pf(0.5, df1=100, df2=200, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(2, 3, INFINITY, 0, 0), 0.11161022509471258, 1e-12, 0); /* pf(2, df1=3, df2=Inf, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(2, INFINITY, 7, 0, 0), 0.16477451738965784, 1e-12, 0); /* pf(2, df1=Inf, df2=7, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(2, 1e6, 1e6, 0, 1), -58898.24591796509, 1e-12, 0); /* pf(2, df1=1e6, df2=1e6, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pf(0, 3, 16, 1, 0), 0, 1e-12, 0); /* pf(0, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(-1, 3, 16, 1, 0), 0, 1e-12, 0); /* pf(-1, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(INFINITY, 3, 16, 1, 0), 1, 1e-12, 0); /* pf(Inf, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(1, 0, 5, 1, 0), NAN, 1e-12, 0); /* pf(1, df1=0, df2=5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(0.95, 3, 16, 1, 0), 3.238871517453584, 1e-12, 0); /* qf(0.95, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(0.05, 3, 16, 0, 0), 3.2388715174535863, 1e-12, 0); /* qf(0.05, df1=3, df2=16, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(0.5, 1, 1, 1, 0), 1.0000000000000004, 1e-12, 0); /* qf(0.5, df1=1, df2=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(1e-10, 4, 12, 0, 0), 189.15976289635455, 1e-12, 0); /* qf(1e-10, df1=4, df2=12, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(0.99, 1, 1000, 1, 0), 6.6602948115894733, 1e-12, 0); /* qf(0.99, df1=1, df2=1000, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(0.95, 3, INFINITY, 1, 0), 2.6049093010837265, 1e-12, 0); /* qf(0.95, df1=3, df2=Inf, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(0.95, INFINITY, 7, 1, 0), 3.2297507522756663, 1e-12, 0); /* qf(0.95, df1=Inf, df2=7, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(-30, 2, 5, 0, 1), 406884.47854750976, 1e-12, 0); /* qf(-30, df1=2, df2=5, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qf(0, 3, 16, 1, 0), 0, 1e-12, 0); /* qf(0, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qf(1, 3, 16, 1, 0), INFINITY, 1e-12, 0); /* qf(1, df1=3, df2=16, lower.tail=TRUE, log.p=FALSE) */

}

static void check_beta(void)
{
    CHECK_CLOSE(lmm_pbeta(0.3, 2, 3, 1, 0), 0.34829999999999989, 1e-12, 0); /* pbeta(0.3, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.3, 2, 3, 0, 0), 0.65170000000000017, 1e-12, 0); /* pbeta(0.3, shape1=2, shape2=3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.5, 0.5, 0.5, 1, 0), 0.49999999999999956, 1e-12, 0); /* pbeta(0.5, shape1=0.5, shape2=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(1e-10, 0.5, 0.5, 1, 0), 6.3661977237819169e-06, 1e-12, 0); /* pbeta(1e-10, shape1=0.5, shape2=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.01, 1e-5, 1e-5, 1, 0), 0.49997702500985358, 1e-12, 0); /* pbeta(0.01, shape1=1e-5, shape2=1e-5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.5, 1e-10, 2, 0, 0), 1.9314718057058003e-11, 1e-12, 0); /* pbeta(0.5, shape1=1e-10, shape2=2, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.999, 1e-3, 1e-3, 0, 0), 0.49655933563910554, 1e-12, 0); /* pbeta(0.999, shape1=1e-3, shape2=1e-3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.5, 1e5, 1e5, 1, 0), 0.49999999999999994, 1e-12, 0); /* pbeta(0.5, shape1=1e5, shape2=1e5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.501, 1e5, 1e5, 0, 0), 0.18554674455755713, 1e-12, 0); /* pbeta(0.501, shape1=1e5, shape2=1e5, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.51, 1e5, 1e5, 0, 0), 1.8571347290405476e-19, 1e-12, 0); /* pbeta(0.51, shape1=1e5, shape2=1e5, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.51, 1e5, 1e5, 0, 1), -43.130081935160689, 1e-12, 0); /* pbeta(0.51, shape1=1e5, shape2=1e5, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pbeta(0.4, 1e6, 1e6, 1, 1), -40828.558361869822, 1e-12, 0); /* pbeta(0.4, shape1=1e6, shape2=1e6, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pbeta(1e-6, 2, 1e6, 1, 0), 0.26424148553671001, 1e-12, 0); /* pbeta(1e-6, shape1=2, shape2=1e6, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(1e-5, 2, 1e6, 0, 0), 0.00049937425788374086, 1e-12, 0); /* pbeta(1e-5, shape1=2, shape2=1e6, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.2, 50, 200, 1, 0), 0.51262376815131994, 1e-12, 0); /* pbeta(0.2, shape1=50, shape2=200, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.9, 1e3, 5, 0, 0), 1, 1e-12, 0); /* pbeta(0.9, shape1=1e3, shape2=5, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(1e-200, 3, 4, 1, 1), -1378.5553235228736, 1e-12, 0); /* pbeta(1e-200, shape1=3, shape2=4, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pbeta(0, 2, 3, 1, 0), 0, 1e-12, 0); /* pbeta(0, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(1, 2, 3, 1, 0), 1, 1e-12, 0); /* pbeta(1, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(-0.5, 2, 3, 1, 0), 0, 1e-12, 0); /* pbeta(-0.5, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(1.5, 2, 3, 0, 0), 0, 1e-12, 0); /* pbeta(1.5, shape1=2, shape2=3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.5, 2, -1, 1, 0), NAN, 1e-12, 0); /* pbeta(0.5, shape1=2, shape2=-1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(NAN, 2, 3, 1, 0), NAN, 1e-12, 0); /* pbeta(NaN, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(1e-10, 0.5, 0.5, 1, 0), 2.4674011002723406e-20, 1e-12, 0); /* qbeta(1e-10, shape1=0.5, shape2=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.3, 2, 3, 1, 0), 0.2723839420751053, 1e-12, 0); /* qbeta(0.3, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.3, 2, 3, 0, 0), 0.50840475487258452, 1e-12, 0); /* qbeta(0.3, shape1=2, shape2=3, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.5, 0.5, 0.5, 1, 0), 0.49999999999999989, 1e-12, 0); /* qbeta(0.5, shape1=0.5, shape2=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.999, 1e5, 1e5, 1, 0), 0.50345494782852529, 1e-12, 0); /* qbeta(0.999, shape1=1e5, shape2=1e5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.01, 1e-3, 1e-3, 1, 0), 0, 1e-12, 0); /* qbeta(0.01, shape1=1e-3, shape2=1e-3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.9, 1e-3, 2, 1, 0), 6.4332726838037573e-47, 1e-12, 0); /* qbeta(0.9, shape1=1e-3, shape2=2, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(1e-10, 2, 1e6, 0, 0), 2.6333621702675645e-05, 1e-12, 0); /* qbeta(1e-10, shape1=2, shape2=1e6, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.05, 50, 200, 1, 0), 0.15987040501872213, 1e-12, 0); /* qbeta(0.05, shape1=50, shape2=200, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(-100, 3, 4, 1, 1), 1.2298173188076498e-15, 1e-12, 0); /* qbeta(-100, shape1=3, shape2=4, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qbeta(-100, 3, 4, 0, 1), 0.99999999999294309, 1e-12, 0); /* qbeta(-100, shape1=3, shape2=4, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qbeta(0, 2, 3, 1, 0), 0, 1e-12, 0); /* qbeta(0, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(1, 2, 3, 1, 0), 1, 1e-12, 0); /* qbeta(1, shape1=2, shape2=3, lower.tail=TRUE, log.p=FALSE) */

}

static void check_gamma(void)
{
    CHECK_CLOSE(lmm_pgamma(1e5, 1e5, 1, 1, 0), 0.50042052211036514, 1e-12, 0); /* pgamma(1e5, 1e5, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1e5, 1e5, 1, 0, 0), 0.4995794778896348, 1e-12, 0); /* pgamma(1e5, 1e5, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(100300, 1e5, 1, 0, 0), 0.17136368874879232, 1e-12, 0); /* pgamma(100300, 1e5, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(99000, 1e5, 1, 1, 0), 0.00075741992117476706, 1e-12, 0); /* pgamma(99000, 1e5, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(99000, 1e5, 1, 1, 1), -7.1855927407897049, 1e-12, 0); /* pgamma(99000, 1e5, scale=1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pgamma(1, 1, 1, 1, 0), 0.63212055882855767, 1e-12, 0); /* pgamma(1, 1, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(3, 2, 2, 0, 0), 0.55782540037107464, 1e-12, 0); /* pgamma(3, 2, scale=2, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1e-3, 0.01, 1, 0, 0), 0.061429347473871021, 1e-12, 0); /* pgamma(1e-3, 0.01, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(0.5, 0.01, 1, 0, 0), 0.0056267561939671836, 1e-12, 0); /* pgamma(0.5, 0.01, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1e-20, 0.01, 1, 1, 0), 0.63455792054899673, 1e-12, 0); /* pgamma(1e-20, 0.01, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1.05, 0.5, 1, 0, 0), 0.14729913862267613, 1e-12, 0); /* pgamma(1.05, 0.5, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(200, 10, 1, 0, 0), 2.0440955935807322e-72, 1e-12, 0); /* pgamma(200, 10, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1e3, 10, 1, 0, 1), -950.6229983701561, 1e-12, 0); /* pgamma(1e3, 10, scale=1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pgamma(0.1, 10, 1, 1, 0), 2.5163478067703169e-17, 1e-12, 0); /* pgamma(0.1, 10, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(0.1, 10, 1, 1, 1), -38.221138013629556, 1e-12, 0); /* pgamma(0.1, 10, scale=1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pgamma(5, 2.5, 0.5, 1, 0), 0.99875026943696865, 1e-12, 0); /* pgamma(5, 2.5, scale=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(0, 2, 1, 1, 0), 0, 1e-12, 0); /* pgamma(0, 2, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(INFINITY, 2, 1, 1, 0), 1, 1e-12, 0); /* pgamma(Inf, 2, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1, 2, 0, 1, 0), NAN, 1e-12, 0); /* pgamma(1, 2, scale=0, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(NAN, 2, 1, 1, 0), NAN, 1e-12, 0); /* pgamma(NaN, 2, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.001, 0.01, 1, 1, 0), 5.660738147061572e-301, 1e-12, 0); /* qgamma(0.001, 0.01, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.5, 0.01, 1, 1, 0), 4.4655350189103723e-31, 1e-12, 0); /* qgamma(0.5, 0.01, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.5, 1e5, 1, 1, 0), 99999.666666864199, 1e-12, 0); /* qgamma(0.5, 1e5, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(1e-10, 1e5, 1, 0, 0), 102024.80681203725, 1e-12, 0); /* qgamma(1e-10, 1e5, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.95, 2, 3, 1, 0), 14.231593555171731, 1e-12, 0); /* qgamma(0.95, 2, scale=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(1e-300, 3, 1, 1, 0), 1.8171205928321743e-100, 1e-12, 0); /* qgamma(1e-300, 3, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(1e-300, 3, 1, 0, 0), 703.19649760046127, 1e-12, 0); /* qgamma(1e-300, 3, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(-1000, 3, 1, 0, 1), 1013.150466916942, 1e-12, 0); /* qgamma(-1000, 3, scale=1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qgamma(-1e-12, 3, 1, 1, 1), 34.05237419004262, 1e-12, 0); /* qgamma(-1e-12, 3, scale=1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qgamma(0.9, 0.5, 1, 0, 0), 0.0078953870467156091, 1e-12, 0); /* qgamma(0.9, 0.5, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0, 2, 1, 1, 0), 0, 1e-12, 0); /* qgamma(0, 2, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(1, 2, 1, 1, 0), INFINITY, 1e-12, 0); /* qgamma(1, 2, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.5, -1, 1, 1, 0), NAN, 1e-12, 0); /* qgamma(0.5, -1, scale=1, lower.tail=TRUE, log.p=FALSE) */

}

static void check_large_shapes(void)
{
    CHECK_CLOSE(lmm_pt(-5, 1e10, 0, 0), 0.9999997133484233, 1e-12, 0); /* pt(-5, df=1e10, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-3, 1e10, 1, 1), -6.607726219048029, 1e-12, 0); /* pt(-3, df=1e10, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pt(-8, 1e7, 1, 0), 6.2216174014033532e-16, 1e-12, 0); /* pt(-8, df=1e7, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.025, 1e10, 1, 0), -1.959963984777281, 1e-12, 0); /* qt(0.025, df=1e10, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(1e-8, 1e6, 1, 0), -5.6120468343692824, 1e-12, 0); /* qt(1e-8, df=1e6, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-1e200, 2, 1, 0), 0, 1e-12, 0); /* pt(-1e200, df=2, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(-1e300, 0.5, 1, 1), -346.52501007987837, 1e-12, 0); /* pt(-1e300, df=0.5, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qt(1e-300, 1, 1, 0), -3.183098861837907e+299, 1e-12, 0); /* qt(1e-300, df=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(1e-300, 1, 0, 0), 3.183098861837907e+299, 1e-12, 0); /* qt(1e-300, df=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(-690, 1, 1, 1), -1.465691740627627e+299, 1e-12, 0); /* qt(-690, df=1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pbeta(1e-4, 0.01, 30, 0, 0), 0.051236492274015645, 1e-12, 0); /* pbeta(1e-4, shape1=0.01, shape2=30, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.999999, 1e3, 0.5, 1, 0), 0.96433385493294033, 1e-12, 0); /* pbeta(0.999999, shape1=1e3, shape2=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.99999, 1e5, 3, 1, 0), 0.91969584380527714, 1e-12, 0); /* pbeta(0.99999, shape1=1e5, shape2=3, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pbeta(0.9999, 1e5, 3, 0, 1), -0.0027718720503972821, 1e-12, 0); /* pbeta(0.9999, shape1=1e5, shape2=3, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pf(2, 100, 1e7, 0, 0), 1.1787620095113534e-08, 1e-12, 0); /* pf(2, df1=100, df2=1e7, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(5, 100, 1e7, 0, 0), 1.7270926281491837e-54, 1e-12, 0); /* pf(5, df1=100, df2=1e7, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(0.5, 1e7, 100, 1, 0), 1.1787620095113534e-08, 1e-12, 0); /* pf(0.5, df1=1e7, df2=100, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(0.1, 1e7, 100, 1, 1), -339.92670251054301, 1e-12, 0); /* pf(0.1, df1=1e7, df2=100, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pf(0.8, 2e6, 600, 1, 0), 2.7608287322154428e-05, 1e-12, 0); /* pf(0.8, df1=2e6, df2=600, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(1e7, 1e7, 1, 0), 0.50005947080393787, 1e-12, 0); /* pchisq(1e7, df=1e7, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(1.001e7, 1e7, 0, 0), 0.012693185164478458, 1e-12, 0); /* pchisq(1.001e7, df=1e7, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pchisq(9.9e6, 1e7, 1, 1), -255.70748036078479, 1e-12, 0); /* pchisq(9.9e6, df=1e7, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qchisq(1e-10, 1e7, 0, 0), 10028475.097763842, 1e-12, 0); /* qchisq(1e-10, df=1e7, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1e5, 1e5, 1, 0, 1), -0.69398857865679719, 1e-12, 0); /* pgamma(1e5, 1e5, scale=1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pgamma(100316.2, 1e5, 1, 0, 0), 0.15867605373680588, 1e-12, 0); /* pgamma(100316.2, 1e5, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.999, 1e5, 1, 1, 0), 100980.06779195923, 1e-12, 0); /* qgamma(0.999, 1e5, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(0.5, 1e5, 30, 1, 0), 0.99970341366826465, 1e-12, 0); /* qbeta(0.5, shape1=1e5, shape2=30, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qbeta(1e-5, 1e3, 0.5, 1, 0), 0.99028930850600216, 1e-12, 0); /* qbeta(1e-5, shape1=1e3, shape2=0.5, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pf(0.95, 2e6, 600, 1, 1), -1.7144149248189344, 1e-12, 0); /* pf(0.95, df1=2e6, df2=600, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pnorm(-38, 0, 1, 1, 1), -726.5572160188201, 1e-12, 0); /* pnorm(-38, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pchisq(2.568371, 1, 0, 0) / 2, 0.054509972273840884, 1e-12, 0); /* pchisq(2.568371, df=1, lower.tail=FALSE, log.p=FALSE) / 2 */
    CHECK_CLOSE(lmm_pgamma(1e15, 1e15, 1, 1, 0), 0.50000000420522084, 1e-12, 0); /* pgamma(1e15, 1e15, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1.0000001e15, 1e15, 1, 0, 1), -7.1527593089011869, 1e-12, 0); /* pgamma(1.0000001e15, 1e15, scale=1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pgamma(1e8, 1e8, 1, 1, 0), 0.50001329807601413, 1e-12, 0); /* pgamma(1e8, 1e8, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pgamma(1.00003e8, 1e8, 1, 0, 1), -0.96213309615974341, 1e-12, 0); /* pgamma(1.00003e8, 1e8, scale=1, lower.tail=FALSE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pgamma(9.9e7, 1e8, 1, 1, 1), -5039.1095578395543, 1e-12, 0); /* pgamma(9.9e7, 1e8, scale=1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_pchisq(2e6 + 5000, 2e6, 0, 0), 0.0062403548610883031, 1e-12, 0); /* pchisq(2e6 + 5000, df=2e6, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(0.3, 1e12, 1, 1, 0), 999999475599.24561, 1e-12, 0); /* qgamma(0.3, 1e12, scale=1, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qgamma(1e-20, 1e7, 1, 0, 0), 10029318.361202572, 1e-12, 0); /* qgamma(1e-20, 1e7, scale=1, lower.tail=FALSE, log.p=FALSE) */
    CHECK_CLOSE(lmm_pt(1, 1e300, 1, 0), 0.84134474606854281, 1e-12, 0); /* pt(1, df=1e300, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qt(0.9, 1e300, 1, 0), 1.2815515655446008, 1e-12, 0); /* qt(0.9, df=1e300, lower.tail=TRUE, log.p=FALSE) */
    CHECK_CLOSE(lmm_qnorm(-1e300, 0, 1, 1, 1), -1.4142135623730951e+150, 1e-12, 0); /* qnorm(-1e300, 0, 1, lower.tail=TRUE, log.p=TRUE) */
    CHECK_CLOSE(lmm_qnorm(-1e-300, 0, 1, 1, 1), 37.047096299361201, 1e-12, 0); /* qnorm(-1e-300, 0, 1, lower.tail=TRUE, log.p=TRUE) */
}

/* Cases where R 4.2 is not accurate to 1e-12 (or follows another convention);
   references from mpmath at 60 digits unless stated. */
static void check_beyond_r(void)
{
    /* R's lgamma goes through log(gamma(x)) and loses ~1e-9 relative near the zeros at 1 and 2 */
    CHECK_CLOSE(lmm_lgamma(1.0000001), -5.772155829918507097e-8, 1e-12, 0);
    CHECK_CLOSE(lmm_lgamma(1.9999999), -4.2278430309861298194e-8, 1e-12, 0);
    /* R returns 0 below -37.5193; the true value is subnormal, so only its
       absolute precision (one subnormal ulp, 4.9e-324) is attainable */
    CHECK_CLOSE(lmm_pnorm(-38, 0, 1, 1, 0), 2.8854283600687843084e-316, 0, 5e-324);
    /* R 4.2's qnorm for very small log p is good to ~1e-6 only (fixed in R 4.3) */
    CHECK_CLOSE(lmm_qnorm(-1e5, 0, 1, 1, 1), -447.19789367852505149, 1e-12, 0);
    /* R's qt/qf Newton steps stop early in these */
    CHECK_CLOSE(lmm_qt(0.5000001, 3, 1, 0), 2.7206990449193156765e-7, 1e-12, 0);
    CHECK_CLOSE(lmm_qt(-1000, 5, 1, 1), -1.1333163490175428915e+87, 1e-12, 0);
    CHECK_CLOSE(lmm_qf(1e-10, 4, 12, 1, 0), 6.5465748025915072589e-6, 1e-12, 0);
    /* t(3) lower tail at -t is 2 sqrt(3) / (pi t^3) (1 + O(t^-2)), so t = (2 sqrt 3 / (pi p))^(1/3) */
    CHECK_CLOSE(lmm_qt(1e-300, 3, 1, 0), -1.0331108360446529009e+100, 1e-12, 0);
    /* R's log-scale pbeta underflows here (R gives -10292.98 and -Inf) */
    CHECK_CLOSE(lmm_pbeta(0.9, 1e5, 30, 1, 1), -10340.20177124050279, 1e-12, 0);
    CHECK_CLOSE(lmm_pbeta(0.7, 1e5, 30, 1, 1), -35439.786779236290641, 1e-12, 0);
    CHECK_CLOSE(lmm_pbeta(0.5, 1e5, 30, 1, 1), -69072.196885105232736, 1e-12, 0);
    /* lmm requires sd, shapes > 0 (R treats 0 as a point mass and returns 1 here) */
    CHECK(isnan(lmm_pnorm(1, 0, 0, 1, 0)));
    CHECK(isnan(lmm_dnorm(1, 0, 0, 0)));
    CHECK(isnan(lmm_pbeta(0.5, 0, 3, 1, 0)));
    CHECK(isnan(lmm_qbeta(0.5, 2, 0, 1, 0)));
    CHECK(isnan(lmm_pgamma(1, 0, 1, 1, 0)));
    CHECK(isnan(lmm_qgamma(0.5, 2, 0, 1, 0)));
    CHECK(isnan(lmm_pf(1, 3, -1, 1, 0)));
    CHECK(isnan(lmm_qf(0.5, NAN, 3, 1, 0)));
    CHECK(isnan(lmm_qchisq(0.5, 0, 1, 0)));
    CHECK(isnan(lmm_qgamma(0.1, 2, 1, 1, 1))); /* a log probability must be <= 0 */
    CHECK(isnan(lmm_qbeta(1.5, 2, 3, 1, 0)));
    CHECK(isnan(lmm_lgamma(-1)));
    CHECK(isnan(lmm_lbeta(-1, 2)));
    CHECK(isinf(lmm_lgamma(0)) && lmm_lgamma(0) > 0);
    /* R overflows to -Inf; by the duplication formula lbeta(a, a) = -(2a - 1) log 2
       + log(sqrt(pi / a)) + O(1/a), which is -2 a log 2 to double precision here */
    CHECK_CLOSE(lmm_lbeta(1e308, 1e308), -1.3862943611198906e308, 1e-15, 0);
}

/* The distributions of the round-trip checks, as log cumulative and quantile. */
enum { D_NORM, D_GAMMA, D_T, D_BETA, D_F, D_COUNT };

static double log_cdf(int kind, double x, double s1, double s2, int lt)
{
    switch (kind) {
    case D_NORM: return lmm_pnorm(x, 0, 1, lt, 1);
    case D_GAMMA: return lmm_pgamma(x, s1, 1, lt, 1);
    case D_T: return lmm_pt(x, s1, lt, 1);
    case D_BETA: return lmm_pbeta(x, s1, s2, lt, 1);
    default: return lmm_pf(x, s1, s2, lt, 1);
    }
}

static double quantile(int kind, double lp, double s1, double s2, int lt)
{
    switch (kind) {
    case D_NORM: return lmm_qnorm(lp, 0, 1, lt, 1);
    case D_GAMMA: return lmm_qgamma(lp, s1, 1, lt, 1);
    case D_T: return lmm_qt(lp, s1, lt, 1);
    case D_BETA: return lmm_qbeta(lp, s1, s2, lt, 1);
    default: return lmm_qf(lp, s1, s2, lt, 1);
    }
}

/* Quantiles invert the distribution functions: log P(q(p)) = log p to 1e-12
   relative, plus what moving q by one ulp changes (where q is near 0 or 1 on
   a steep scale, that is all a double can give). */
static void check_round_trips(void)
{
    static const double lps[] = { -700, -230, -23, -4.6, -1.2, -0.6931471805599453, -0.1, -1e-6 };
    static const double shapes[] = { 0.01, 0.5, 1, 2.5, 30, 1e4 };
    size_t i, j, k;
    int lt, kind, bad = 0;
    for (kind = 0; kind < D_COUNT; kind++)
        for (lt = 0; lt < 2; lt++)
            for (i = 0; i < sizeof lps / sizeof lps[0]; i++)
                for (j = 0; j < sizeof shapes / sizeof shapes[0]; j++)
                    for (k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
                        double lp = lps[i], s1 = shapes[j], s2 = shapes[k];
                        double q = quantile(kind, lp, s1, s2, lt), back = log_cdf(kind, q, s1, s2, lt);
                        double up = log_cdf(kind, nextafter(q, HUGE_VAL), s1, s2, lt);
                        double down = log_cdf(kind, nextafter(q, -HUGE_VAL), s1, s2, lt);
                        double tol = 1e-12 * fabs(lp) + fmax(fabs(up - back), fabs(down - back));
                        /* a quantile that underflows, overflows or rounds to 1 cannot be checked */
                        int edge = !(fabs(q) >= DBL_MIN && fabs(q) <= DBL_MAX) || (kind == D_BETA && q == 1);
                        if (!edge && !(fabs(back - lp) <= tol)) {
                            bad++;
                            fprintf(stderr, "  round trip kind %d lt %d log p %g shapes %g %g: q %.17g, log P %.17g\n",
                                    kind, lt, lp, s1, s2, q, back);
                        }
                        if ((kind == D_NORM || kind == D_GAMMA || kind == D_T) && k > 0) break;
                    }
    CHECK(bad == 0);
}

void test_dist(void)
{
    check_lgamma_lbeta();
    check_normal();
    check_student_t();
    check_chisq();
    check_fdist();
    check_beta();
    check_gamma();
    check_large_shapes();
    check_beyond_r();
    check_round_trips();
}
