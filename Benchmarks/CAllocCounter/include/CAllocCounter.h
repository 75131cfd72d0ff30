// Counts heap allocations in the benchmark process, to report allocations per row.
#ifndef C_ALLOC_COUNTER_H
#define C_ALLOC_COUNTER_H
#include <stdint.h>

/// Allocation calls (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) so far.
uint64_t skresults_allocation_count(void);

#endif
