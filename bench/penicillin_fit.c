/* Penicillin diameter ~ 1 + (1|plate) + (1|sample), REML: one crossed fit from the frame. */
#include "bench.h"

int main(int argc, char **argv)
{
    return bench_fit_main(argc, argv, "penicillin_fit", "Penicillin.csv", "diameter ~ 1 + (1|plate) + (1|sample)");
}
