// CPrefetch is header-only (include/CPrefetch.h); a C target needs one translation unit.
#include "CPrefetch.h"
