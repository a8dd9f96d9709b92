/* sleepstudy Reaction ~ Days + (Days|Subject), REML: one fit from the frame. */
#include "bench.h"

int main(int argc, char **argv)
{
    return bench_fit_main(argc, argv, "sleepstudy_fit", "sleepstudy.csv", "Reaction ~ Days + (Days|Subject)");
}
