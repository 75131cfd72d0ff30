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

    /// A shift-based automaton over the bytes inside a JSON string, eight bytes per step with no
    /// branch per byte. Each state is a bit offset into a 64-bit row; `table[byte] &>> state`
    /// holds the next state in its low six bits (the bits above are ignored by the next shift).
    /// Besides the RFC 3629 sequence states it has `stop`: a quote, a backslash or a control byte
    /// met between sequences. `stop` and `error` absorb every later byte.
    enum Automaton {
        static let accept: UInt64 = 0
        static let error: UInt64 = 6
        static let stop: UInt64 = 12
        // Continuation bytes still expected, and the four leads whose second byte is narrower.
        static let need1: UInt64 = 18
        static let need2: UInt64 = 24
        static let need3: UInt64 = 30
        static let afterE0: UInt64 = 36
        static let afterED: UInt64 = 42
        static let afterF0: UInt64 = 48
        static let afterF4: UInt64 = 54

        /// 256 rows, built once, never written after and never freed.
        nonisolated(unsafe) static let table: UnsafePointer<UInt64> = {
            let rows = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
            for b in 0..<256 {
                let byte = UInt8(b)
                let continuation = (0x80...0xBF).contains(byte)
                func after(_ state: UInt64) -> UInt64 {
                    switch state {
                    case accept:
                        switch byte {
                        case 0x22, 0x5C, 0x00..<0x20: return stop
                        case 0x20..<0x80: return accept
                        case 0xC2...0xDF: return need1
                        case 0xE0: return afterE0
                        case 0xED: return afterED
                        case 0xE1...0xEC, 0xEE...0xEF: return need2
                        case 0xF0: return afterF0
                        case 0xF1...0xF3: return need3
                        case 0xF4: return afterF4
                        default: return error
                        }
                    case error: return error
                    case stop: return stop
                    case need1: return continuation ? accept : error
                    case need2: return continuation ? need1 : error
                    case need3: return continuation ? need2 : error
                    case afterE0: return (0xA0...0xBF).contains(byte) ? need1 : error
                    case afterED: return (0x80...0x9F).contains(byte) ? need1 : error
                    case afterF0: return (0x90...0xBF).contains(byte) ? need2 : error
                    default: return (0x80...0x8F).contains(byte) ? need2 : error   // afterF4
                    }
                }
                var row: UInt64 = 0
                for state in stride(from: UInt64(0), through: afterF4, by: 6) {
                    row |= after(state) << state
                }
                rows[b] = row
            }
            return UnsafePointer(rows)
        }()

        /// The state after the eight bytes of `w` (the lowest byte first), from `state`.
        @inline(__always)
        static func step(_ table: UnsafePointer<UInt64>, _ state: UInt64, _ w: UInt64) -> UInt64 {
            var s = state
            s = table[Int(truncatingIfNeeded: w & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: (w &>> 8) & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: (w &>> 16) & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: (w &>> 24) & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: (w &>> 32) & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: (w &>> 40) & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: (w &>> 48) & 0xFF)] &>> s
            s = table[Int(truncatingIfNeeded: w &>> 56)] &>> s
            return s & 63
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
