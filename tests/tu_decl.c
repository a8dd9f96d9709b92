/* A translation unit with the declarations only, linked against another that
   holds the implementation (tests/smoke.c): the usual stb-style layout. */
#include "lmm.h"

const char *tu_decl_name(void) { return lmm_status_name(LMM_ERR_FORMULA); }
