/* The one translation unit that holds the library's implementation. */
#define LMM_IMPLEMENTATION
#include "lmm.h"
