// Memory for the join index's big tables, mapped straight from the kernel: it comes zero-filled
// (0 marks an empty slot, so no initialising pass) and goes back whole on release. It is marked
// for huge pages, since lookups land at random across hundreds of MB; that showed no measurable
// gain by itself here (the source file's mapping did gain), but costs nothing.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A zero-filled array of `count` trivial values in its own mapping.
struct LargeTable<Element> {
    private(set) var buffer: UnsafeMutableBufferPointer<Element>
    private let mapping: UnsafeMutableRawPointer?
    private let mappedBytes: Int
    private static var hugePage: Int { 2 << 20 }

    init(count: Int) {
        let bytes = max(1, count * MemoryLayout<Element>.stride)
        let reserved = bytes + LargeTable.hugePage
        guard let region = mmap(nil, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              region != MAP_FAILED else {
            // Out of address space: fall back to the heap (same contents, 4 KiB pages).
            let heap = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: MemoryLayout<Element>.alignment)
            heap.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            buffer = UnsafeMutableBufferPointer(start: heap.assumingMemoryBound(to: Element.self), count: count)
            mapping = nil
            mappedBytes = 0
            return
        }
        let aligned = (Int(bitPattern: region) + LargeTable.hugePage - 1) / LargeTable.hugePage * LargeTable.hugePage
        let start = UnsafeMutableRawPointer(bitPattern: aligned)!
        #if os(Linux)
        _ = madvise(start, bytes, MADV_HUGEPAGE)  // advisory; ignored where unsupported
        #endif
        buffer = UnsafeMutableBufferPointer(start: start.assumingMemoryBound(to: Element.self), count: count)
        mapping = region
        mappedBytes = reserved
    }

    /// Returns the memory; the table must not be used afterwards.
    func release() {
        if let mapping {
            munmap(mapping, mappedBytes)
        } else {
            UnsafeMutableRawPointer(buffer.baseAddress)?.deallocate()
        }
    }
}
