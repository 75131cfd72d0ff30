// Memory for the join index's big tables, mapped straight from the kernel: it comes zero-filled
// (0 marks an empty slot, so no initialising pass) and goes back whole on release. Its pages are
// populated when it is mapped (every page is written soon anyway): faulted in one by one, a slot
// page was first mapped read-only to the zero page by a probe and then copied on the insert's
// write, with a TLB flush on every core. It is not marked for huge pages: on a virtual machine
// that hands freed memory back to its host, a fresh 2 MiB page is one the host must supply
// again; faulting the tables in cost twice the system time, and with the pages populated up
// front the whole join still measured slower than with 4 KiB pages and their TLB misses (see
// BENCHMARKS.md).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A zero-filled array of `count` trivial values in its own mapping.
struct LargeTable<Element> {
    private(set) var buffer: UnsafeMutableBufferPointer<Element>
    /// The length of the mapping, or nil when the table is on the heap.
    private let mappedBytes: Int?

    /// `populated: false` leaves the pages to `populate(part:of:)` (or to faults).
    init(count: Int, populated: Bool = true) {
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        let flags = MAP_PRIVATE | MAP_ANONYMOUS | (populated ? MAP_POPULATE : 0)
        guard let region = mmap(nil, bytes, PROT_READ | PROT_WRITE, flags, -1, 0),
              region != MAP_FAILED else {
            // Out of address space: fall back to the heap (same contents).
            let heap = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryLayout<Element>.alignment)
            heap.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            buffer = UnsafeMutableBufferPointer(start: heap.assumingMemoryBound(to: Element.self), count: count)
            mappedBytes = nil
            return
        }
        buffer = UnsafeMutableBufferPointer(start: region.assumingMemoryBound(to: Element.self), count: count)
        mappedBytes = bytes
    }

    /// Populates the `part`-th of `parts` equal page ranges of the mapping, as `MAP_POPULATE` does
    /// for all of it, so that several threads can share the kernel's zeroing. Advisory: where the
    /// kernel lacks `MADV_POPULATE_WRITE` (before Linux 5.14), the pages fault in on first use.
    func populate(part: Int, of parts: Int) {
        guard let mappedBytes, let base = UnsafeMutableRawPointer(buffer.baseAddress) else { return }
        let page = Syscall.pageSize
        let pages = (mappedBytes + page - 1) / page
        let first = pages * part / parts, last = pages * (part + 1) / parts
        guard last > first else { return }
        #if os(Linux)
        let populateWrite: Int32 = 23  // MADV_POPULATE_WRITE; the C library headers may predate it
        _ = madvise(base + first * page, (last - first) * page, populateWrite)
        #endif
    }

    /// Returns the memory; the table must not be used afterwards.
    func release() {
        if let mappedBytes {
            munmap(buffer.baseAddress, mappedBytes)
        } else {
            UnsafeMutableRawPointer(buffer.baseAddress)?.deallocate()
        }
    }
}
