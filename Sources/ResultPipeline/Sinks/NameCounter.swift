// A counter keyed by byte strings, for label and action names: open addressing with linear
// probing, keys stored once in a byte arena. Counting a known name allocates nothing.

/// Counts occurrences of byte strings.
public struct NameCounter: Sendable {
    private struct Entry: Sendable {
        var hash: UInt64
        var keyStart: Int
        var keyLength: Int
        var count: Int
    }

    /// Slot → entry index + 1; 0 is empty. Capacity is a power of two, at most half full.
    private var slots: [Int32] = Array(repeating: 0, count: 64)
    private var entries: [Entry] = []
    private var arena: [UInt8] = []

    public init() {}

    /// Distinct names counted.
    public var distinctCount: Int { entries.count }

    /// Sum of all counts.
    public var total: Int { entries.reduce(0) { $0 + $1.count } }

    /// Adds `count` to the name `key`; returns the name's count before.
    @discardableResult
    public mutating func add(_ key: UnsafeRawBufferPointer, count: Int = 1) -> Int {
        let hash = NameCounter.hash(key)
        switch find(key, hash: hash) {
        case .found(let index):
            let before = entries[index].count
            entries[index].count &+= count
            return before
        case .empty(let slot):
            entries.append(Entry(hash: hash, keyStart: arena.count, keyLength: key.count, count: count))
            arena.append(contentsOf: key)
            slots[slot] = Int32(entries.count)
            if entries.count * 2 > slots.count { grow() }
            return 0
        }
    }

    private enum Probe { case found(Int), empty(Int) }

    /// The entry holding `key`, or the empty slot where it would go.
    private func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Probe {
        let mask = slots.count &- 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let index = Int(slots[slot])
            if index == 0 { return .empty(slot) }
            let entry = entries[index &- 1]
            if entry.hash == hash && entry.keyLength == key.count && keyEquals(entry, key) { return .found(index &- 1) }
            slot = (slot &+ 1) & mask
        }
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: NameCounter) {
        other.forEach { key, count in add(key, count: count) }
    }

    /// The count of `name`, or 0.
    public func count(of name: String) -> Int {
        var copy = name
        return copy.withUTF8 { count(of: UnsafeRawBufferPointer($0)) }
    }

    /// The count of the byte string `key`, or 0.
    public func count(of key: UnsafeRawBufferPointer) -> Int {
        if case .found(let index) = find(key, hash: NameCounter.hash(key)) { return entries[index].count }
        return 0
    }

    /// Calls `body` with each name and its count, in first-seen order.
    public func forEach(_ body: (UnsafeRawBufferPointer, Int) throws -> Void) rethrows {
        try arena.withUnsafeBytes { bytes in
            for entry in entries {
                try body(UnsafeRawBufferPointer(rebasing: bytes[entry.keyStart ..< entry.keyStart + entry.keyLength]),
                         entry.count)
            }
        }
    }

    /// Names and counts, most frequent first; ties in byte order of the name.
    public func sorted() -> [(name: String, count: Int)] {
        var keyed: [(bytes: [UInt8], count: Int)] = []
        keyed.reserveCapacity(entries.count)
        forEach { keyed.append((Array($0), $1)) }
        keyed.sort { a, b in
            a.count != b.count ? a.count > b.count : a.bytes.lexicographicallyPrecedes(b.bytes)
        }
        return keyed.map { (String(decoding: $0.bytes, as: UTF8.self), $0.count) }
    }

    private func keyEquals(_ entry: Entry, _ key: UnsafeRawBufferPointer) -> Bool {
        arena.withUnsafeBytes { bytes in
            guard let a = bytes.baseAddress, let b = key.baseAddress else { return entry.keyLength == 0 }
            return memcmpBytes(a + entry.keyStart, b, key.count)
        }
    }

    private mutating func grow() {
        let newCount = slots.count * 2
        var newSlots = [Int32](repeating: 0, count: newCount)
        let mask = newCount - 1
        for (i, entry) in entries.enumerated() {
            var slot = Int(truncatingIfNeeded: entry.hash) & mask
            while newSlots[slot] != 0 { slot = (slot + 1) & mask }
            newSlots[slot] = Int32(i + 1)
        }
        slots = newSlots
    }

    /// A word-at-a-time multiply-xorshift hash with a full-avalanche finish.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        guard let p = key.baseAddress else { return h }
        let n = key.count
        var i = 0
        while i &+ 8 <= n {
            // safe: i + 8 <= n
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h &>> 31
            i &+= 8
        }
        // The last 1-7 bytes (the length is in the seed).
        let tail: UInt64 = i < n ? lastWord(p, n) : 0
        // Full avalanche (murmur3's finaliser): keys that differ only in their last bytes, such as
        // `product_1000001` and `product_1000002`, must still differ in the low bits that pick a slot.
        h ^= tail
        h ^= h &>> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h &>> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        h ^= h &>> 33
        return h
    }
}
