/* The library's implementation for the fuzz targets: built once with the fuzzer's
   instrumentation and linked into each target (the targets include lmm.h's declarations). */
#define LMM_IMPLEMENTATION
#include "lmm.h"
