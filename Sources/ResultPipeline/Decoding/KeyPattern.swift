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
}

extension KeyPattern {
    /// Builds the pattern of `name` (the tests check the literals below against it).
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

/// The patterns of every key the decoder recognises, written as literals so that they are
/// constants in the compiled loops (built at run time, each check loaded five fields from memory).
/// `KeyPatternTests` checks each against `KeyPattern(name)`.
enum KnownKeys {
    static let id = KeyPattern(low: 0x0000003A22646922, high: 0x0000000000000000, lowMask: 0x000000FFFFFFFFFF, highMask: 0x0000000000000000,
                                length: 5, key: (0x6469, 2))  // "id":
    static let output = KeyPattern(low: 0x2274757074756F22, high: 0x000000000000003A, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x00000000000000FF,
                                length: 9, key: (0x74757074756F, 6))  // "output":
    static let metadata = KeyPattern(low: 0x7461646174656D22, high: 0x00000000003A2261, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x0000000000FFFFFF,
                                length: 11, key: (0x617461646174656D, 8))  // "metadata":
    static let url = KeyPattern(low: 0x00003A226C727522, high: 0x0000000000000000, lowMask: 0x0000FFFFFFFFFFFF, highMask: 0x0000000000000000,
                                length: 6, key: (0x6C7275, 3))  // "url":
    static let labels = KeyPattern(low: 0x22736C6562616C22, high: 0x000000000000003A, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x00000000000000FF,
                                length: 9, key: (0x736C6562616C, 6))  // "labels":
    static let actions = KeyPattern(low: 0x736E6F6974636122, high: 0x0000000000003A22, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x000000000000FFFF,
                                length: 10, key: (0x736E6F69746361, 7))  // "actions":
    static let fields = KeyPattern(low: 0x2273646C65696622, high: 0x000000000000003A, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x00000000000000FF,
                                length: 9, key: (0x73646C656966, 6))  // "fields":
    static let label = KeyPattern(low: 0x3A226C6562616C22, high: 0x0000000000000000, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x0000000000000000,
                                length: 8, key: (0x6C6562616C, 5))  // "label":
    static let action = KeyPattern(low: 0x226E6F6974636122, high: 0x000000000000003A, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x00000000000000FF,
                                length: 9, key: (0x6E6F69746361, 6))  // "action":
    static let score = KeyPattern(low: 0x3A2265726F637322, high: 0x0000000000000000, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x0000000000000000,
                                length: 8, key: (0x65726F6373, 5))  // "score":
    static let queue = KeyPattern(low: 0x3A22657565757122, high: 0x0000000000000000, lowMask: 0xFFFFFFFFFFFFFFFF, highMask: 0x0000000000000000,
                                length: 8, key: (0x6575657571, 5))  // "queue":

    static let all: [(name: String, pattern: KeyPattern)] = [
        ("id", id), ("output", output), ("metadata", metadata), ("url", url), ("labels", labels),
        ("actions", actions), ("fields", fields), ("label", label), ("action", action),
        ("score", score), ("queue", queue),
    ]
}

extension RowDecoder {
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
