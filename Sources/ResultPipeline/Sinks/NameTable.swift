// The counting table behind a decode worker's label counts: the same open addressing as
// `NameCounter`, but over raw pointers in a class, so the per-name path has no copy-on-write or
// bounds checks. It is turned into a `NameCounter` when the run ends.

/// A worker-local byte-string counter for the hot path.
final class NameTable {
    private var slots: UnsafeMutablePointer<Int32>   // entry index + 1; 0 is empty
    private var slotMask: Int
    private var hashes: UnsafeMutablePointer<UInt64>
    private var starts: UnsafeMutablePointer<Int>
    private var lengths: UnsafeMutablePointer<Int>
    private var counts: UnsafeMutablePointer<Int>
    private var entryCount = 0
    private var entryCapacity: Int
    private var arena: UnsafeMutablePointer<UInt8>
    private var arenaCount = 0
    private var arenaCapacity: Int

    init() {
        slotMask = 255
        slots = .allocate(capacity: 256)
        slots.initialize(repeating: 0, count: 256)
        entryCapacity = 64
        hashes = .allocate(capacity: entryCapacity)
        starts = .allocate(capacity: entryCapacity)
        lengths = .allocate(capacity: entryCapacity)
        counts = .allocate(capacity: entryCapacity)
        arenaCapacity = 4096
        arena = .allocate(capacity: arenaCapacity)
    }

    deinit {
        slots.deallocate()
        hashes.deallocate()
        starts.deallocate()
        lengths.deallocate()
        counts.deallocate()
        arena.deallocate()
    }

    /// Counts one occurrence of the `length` bytes at `key`.
    @inline(__always)
    func add(_ key: UnsafeRawPointer, _ length: Int) {
        let hash = NameTable.hash(key, length)
        var slot = Int(truncatingIfNeeded: hash) & slotMask
        while true {
            let index = Int(slots[slot])
            if index == 0 { break }
            let e = index &- 1
            // safe: e < entryCount; starts[e] + lengths[e] <= arenaCount
            if hashes[e] == hash && lengths[e] == length && sameBytes(arena + starts[e], key, length) {
                counts[e] &+= 1
                return
            }
            slot = (slot &+ 1) & slotMask
        }
        insert(key, length, hash: hash, slot: slot)
    }

    @inline(never)
    private func insert(_ key: UnsafeRawPointer, _ length: Int, hash: UInt64, slot: Int) {
        if entryCount == entryCapacity { growEntries() }
        if arenaCount + length > arenaCapacity {
            let newCapacity = max(arenaCapacity * 2, arenaCount + length)
            let newArena = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newArena.update(from: arena, count: arenaCount)
            arena.deallocate()
            arena = newArena
            arenaCapacity = newCapacity
        }
        (arena + arenaCount).update(from: key.assumingMemoryBound(to: UInt8.self), count: length)
        hashes[entryCount] = hash
        starts[entryCount] = arenaCount
        lengths[entryCount] = length
        counts[entryCount] = 1
        arenaCount += length
        entryCount += 1
        slots[slot] = Int32(entryCount)
        if entryCount * 2 > slotMask + 1 { growSlots() }
    }

    private func growEntries() {
        let newCapacity = entryCapacity * 2
        func grown<T>(_ old: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<T> {
            let p = UnsafeMutablePointer<T>.allocate(capacity: newCapacity)
            p.moveInitialize(from: old, count: entryCount)
            old.deallocate()
            return p
        }
        hashes = grown(hashes)
        starts = grown(starts)
        lengths = grown(lengths)
        counts = grown(counts)
        entryCapacity = newCapacity
    }

    private func growSlots() {
        let newCount = (slotMask + 1) * 2
        slots.deallocate()
        slots = .allocate(capacity: newCount)
        slots.initialize(repeating: 0, count: newCount)
        slotMask = newCount - 1
        for e in 0..<entryCount {
            var slot = Int(truncatingIfNeeded: hashes[e]) & slotMask
            while slots[slot] != 0 { slot = (slot + 1) & slotMask }
            slots[slot] = Int32(e + 1)
        }
    }

    /// A folded-multiply hash, cheaper than `NameCounter.hash`: each word is multiplied to 128 bits
    /// and the two halves are xored, so every input bit reaches the low bits that pick a slot.
    /// (A plain 64-bit product does not: its low bits depend only on the low bits of its input,
    /// and names such as `policy.l17` and `policy.l243` differ only in their last bytes.)
    @inline(__always)
    static func hash(_ key: UnsafeRawPointer, _ n: Int) -> UInt64 {
        @inline(__always) func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let product = (h ^ w).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
            return product.high ^ product.low
        }
        var h = UInt64(truncatingIfNeeded: n) ^ 0x243F_6A88_85A3_08D3
        if n >= 8 {
            var i = 0
            while i &+ 8 < n {
                // safe: i + 8 < n
                h = mix(h, key.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i &+= 8
            }
            // The last word ends at the key's end (it may overlap the one before).
            h = mix(h, key.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self))
        } else if n > 0 {
            h = mix(h, lastWord(key, n))
        }
        return h
    }

    /// Adds every count into `counter`.
    func drain(into counter: inout NameCounter) {
        for e in 0..<entryCount {
            counter.add(UnsafeRawBufferPointer(start: arena + starts[e], count: lengths[e]), count: counts[e])
        }
    }
}
