// The member keys the schema looks for, as they appear in compact JSON (`"labels":`), so that a
// key can be recognised with one or two word compares before it is scanned byte by byte. A key
// written any other way (escaped, spaced before its colon) falls back to the scan; the result is
// the same either way, only cheaper for the common form.

/// `"name":`, packed little-endian into two words with masks (at most 16 bytes).
struct KeyPattern: Sendable {
    let low: UInt64
    let high: UInt64
    let lowMask: UInt64
    let highMask: UInt64
    /// Bytes of `"name":`.
    let length: Int
    /// The name packed the way `RowDecoder.keyWord` packs it, for the loops' key switches (names of
    /// up to 8 bytes; longer ones are `(0, -1)`, as `keyWord` reports them).
    let key: (word: UInt64, length: Int)

    init(_ name: String) {
        let bytes = [UInt8](("\"" + name + "\":").utf8)
        precondition(bytes.count <= 16, "key patterns are at most 16 bytes")
        func pack(_ slice: ArraySlice<UInt8>) -> (UInt64, UInt64) {
            var word: UInt64 = 0
            var mask: UInt64 = 0
            for (i, b) in slice.enumerated() {
                word |= UInt64(b) << UInt64(8 * i)
                mask |= 0xFF << UInt64(8 * i)
            }
            return (word, mask)
        }
        (low, lowMask) = pack(bytes.prefix(8))
        (high, highMask) = pack(bytes.dropFirst(8))
        length = bytes.count
        let nameBytes = Array(name.utf8)
        key = nameBytes.count <= 8 ? (pack(nameBytes[...]).0, nameBytes.count) : (0, -1)
    }
}

/// The patterns of every key the decoder recognises.
struct KnownKeys: Sendable {
    /// Built once; a decoder copies it (plain words) instead of building the patterns again.
    static let shared = KnownKeys()

    let id = KeyPattern("id")
    let output = KeyPattern("output")
    let metadata = KeyPattern("metadata")
    let url = KeyPattern("url")
    let labels = KeyPattern("labels")
    let actions = KeyPattern("actions")
    let fields = KeyPattern("fields")
    let label = KeyPattern("label")
    let action = KeyPattern("action")
    let score = KeyPattern("score")
    let queue = KeyPattern("queue")
}

extension RowDecoder {
    /// The 8 bytes at `p` (the storage is padded past any line's end).
    @inline(__always)
    func word(at p: Int) -> UInt64 {
        // safe: p <= end, and the chunk storage (or the mapping's spare page) extends 16 bytes past it
        UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)
    }

    /// Whether the bytes at `p`, whose first 16 are `w0` and `w1`, start with `pattern` inside the line.
    @inline(__always)
    func starts(with pattern: KeyPattern, at p: Int, _ w0: UInt64, _ w1: UInt64) -> Bool {
        p &+ pattern.length <= end && w0 & pattern.lowMask == pattern.low && w1 & pattern.highMask == pattern.high
    }

    /// Steps over a key that matched a pattern, and the whitespace after its colon.
    @inline(__always)
    func afterKey(_ pattern: KeyPattern, at p: inout Int) -> (word: UInt64, length: Int) {
        p &+= pattern.length
        skipWhitespace(&p)
        return pattern.key
    }
}
