// UTF-8 validation (RFC 3629) over raw bytes: the sequence check the string scanner calls on its
// slow path, and a streaming check used when deciding how to keep a rejected line.

enum UTF8Check {
    /// Length of the valid multi-byte sequence at `p`, or 0 when it is invalid or cut off by `end`.
    @inline(__always)
    static func sequenceLength(_ base: UnsafePointer<UInt8>, at p: Int, end: Int) -> Int {
        let c0 = base[p]
        @inline(__always) func continuation(_ i: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            p &+ i < end && base[p &+ i] >= low && base[p &+ i] <= high
        }
        switch c0 {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : 0
        case 0xE0:
            return continuation(1, 0xA0) && continuation(2) ? 3 : 0
        case 0xED:
            return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF:
            return continuation(1) && continuation(2) ? 3 : 0
        case 0xF0:
            return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : 0
        case 0xF4:
            return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : 0
        default:
            return 0
        }
    }

    /// Validates a stream in pieces: holds back a sequence cut off at the end of a piece.
    struct Stream {
        private var held: [UInt8] = []
        private(set) var isValid = true

        mutating func feed(_ piece: UnsafeRawBufferPointer) {
            guard isValid, !piece.isEmpty else { return }
            var bytes = held
            bytes.append(contentsOf: piece)
            held.removeAll(keepingCapacity: true)
            bytes.withUnsafeBytes { all in
                let base = all.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var p = 0
                while p < all.count {
                    if base[p] < 0x80 { p += 1; continue }
                    let n = sequenceLength(base, at: p, end: all.count)
                    if n > 0 { p += n; continue }
                    // A lead byte whose sequence may finish in the next piece.
                    if all.count - p < 4, sequenceLength(base, at: p, end: p + 4) == 0,
                       isPrefixOfValidSequence(base, at: p, end: all.count) {
                        held.append(contentsOf: UnsafeRawBufferPointer(rebasing: all[p...]))
                        return
                    }
                    isValid = false
                    return
                }
            }
        }

        /// Call after the last piece.
        mutating func finish() -> Bool {
            if !held.isEmpty { isValid = false }
            return isValid
        }

        private func isPrefixOfValidSequence(_ base: UnsafePointer<UInt8>, at p: Int, end: Int) -> Bool {
            // Pad the cut-off tail with the smallest continuation bytes that would complete it.
            let probe = Array(UnsafeBufferPointer(start: base + p, count: end - p))
            let want: Int
            switch probe[0] {
            case 0xC2...0xDF: want = 2
            case 0xE0...0xEF: want = 3
            case 0xF0...0xF4: want = 4
            default: return false
            }
            guard probe.count < want else { return false }
            for candidate in [UInt8(0x80), 0x90, 0xA0] {
                var trial = probe
                while trial.count < want { trial.append(candidate) }
                let ok = trial.withUnsafeBufferPointer { sequenceLength($0.baseAddress!, at: 0, end: want) == want }
                if ok { return true }
            }
            return false
        }
    }
}
