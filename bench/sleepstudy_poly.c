/* sleepstudy Reaction ~ poly(Days, 2) + (Days|Subject), REML: R's orthogonal
   polynomial built from the frame on every fit; set against sleepstudy_fit, at
   most 20% more. */
#include "bench.h"

int main(int argc, char **argv)
{
    return bench_fit_main(argc, argv, "sleepstudy_poly", "sleepstudy.csv", "Reaction ~ poly(Days, 2) + (Days|Subject)");
}
