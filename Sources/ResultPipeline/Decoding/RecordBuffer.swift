// A growable array of trivial records for the decoder's per-row output (rows, names). Unlike
// `Array`, appending never asks whether the storage is shared (a runtime call per append in the
// profile) and truncating is a store: the buffer belongs to one worker's chunk at a time.

/// Records of a trivial type, in one block of memory that grows by doubling and is kept across
/// reuse.
final class RecordBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 64) {
        precondition(_isPOD(Element.self), "records are trivial values")
        self.capacity = max(1, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    func append(_ element: Element) {
        if count == capacity { grow(to: capacity * 2) }
        (base + count).initialize(to: element)
        count &+= 1
    }

    func append(contentsOf other: RecordBuffer<Element>) {
        if count + other.count > capacity { grow(to: max(capacity * 2, count + other.count)) }
        (base + count).initialize(from: other.base, count: other.count)
        count += other.count
    }

    /// Drops the records from `newCount` on.
    @inline(__always)
    func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= count, "truncate beyond the end")
        count = newCount
    }

    func removeAll() { count = 0 }

    /// Makes room for exactly `newCount` records, which the caller then writes through the
    /// returned base (records not written hold whatever bytes were there), and returns the base.
    func resize(to newCount: Int) -> UnsafeMutablePointer<Element> {
        precondition(newCount >= 0, "negative count")
        if newCount > capacity { grow(to: max(capacity * 2, newCount)) }
        count = newCount
        return base
    }

    func reserveCapacity(_ minimum: Int) {
        if minimum > capacity { grow(to: minimum) }
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Element>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    private func grow(to newCapacity: Int) {
        let grown = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        grown.initialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }
}
