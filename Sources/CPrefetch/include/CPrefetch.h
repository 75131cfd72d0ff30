// A cache prefetch hint for Swift code, which has no spelling for one. Loads issued to overlap
// cache misses must complete before they retire and fill the core's buffers; a prefetch retires
// at once. Header-only: the call inlines into the Swift caller.
#ifndef C_PREFETCH_H
#define C_PREFETCH_H

/// Asks for the cache line holding `address` to be brought into every cache level, for reading
/// (`__builtin_prefetch(address, 0, 3)`, PREFETCHT0 on x86-64). Never faults.
static inline __attribute__((always_inline)) void skresults_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
