// Byte search over raw memory: the one place where framing touches pointers directly.
// Forward search is libc's memchr (vectorised); backward search is a word-at-a-time loop.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

enum ByteScan {
    /// Index of the first `byte` in `base[from..<to]`, or nil.
    @inline(__always)
    static func firstIndex(of byte: UInt8, in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        guard let hit = memchr(base + from, Int32(byte), to - from) else { return nil }
        return UnsafeRawPointer(hit) - base
    }

    /// Index of the last `byte` in `base[from..<to]`, or nil.
    static func lastIndex(of byte: UInt8, in base: UnsafeRawPointer, from: Int, to: Int) -> Int? {
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        var i = to
        while i - from >= 8 {
            // safe: from <= i - 8, so the 8 bytes lie inside base[from..<to]
            let word = base.loadUnaligned(fromByteOffset: i - 8, as: UInt64.self) ^ pattern
            let zeros = (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
            if zeros != 0 {
                // Borrows only propagate upwards, so the highest flagged byte may be a false hit; check bytes.
                var j = i - 1
                while j >= i - 8 {
                    if base.load(fromByteOffset: j, as: UInt8.self) == byte { return j }
                    j -= 1
                }
            }
            i -= 8
        }
        while i > from {
            i -= 1
            if base.load(fromByteOffset: i, as: UInt8.self) == byte { return i }
        }
        return nil
    }
}

extension ByteScan {
    /// Where a piece of whole lines starting at `from` ends when it should hold about `target`
    /// bytes of `base[from..<to]`: after the last `\n` before `from + target`, or else after the
    /// line that crosses it, or at `to` (the rest holds no `\n`, or fits within the target).
    static func cut(in base: UnsafeRawPointer, from: Int, target: Int, to: Int) -> Int {
        let limit = from + target
        guard limit < to else { return to }
        if let last = lastIndex(of: .newline, in: base, from: from, to: limit) { return last + 1 }
        return firstIndex(of: .newline, in: base, from: limit, to: to).map { $0 + 1 } ?? to
    }

    /// 3 when `base[0..<count]` starts with a UTF-8 byte order mark, else 0.
    static func bomLength(_ base: UnsafeRawPointer, count: Int) -> Int {
        count >= 3 && base.load(as: UInt8.self) == 0xEF && base.load(fromByteOffset: 1, as: UInt8.self) == 0xBB
            && base.load(fromByteOffset: 2, as: UInt8.self) == 0xBF ? 3 : 0
    }

    /// How many times `byte` occurs in `base[from..<to]`, eight bytes at a time.
    static func count(of byte: UInt8, in base: UnsafeRawPointer, from: Int, to: Int) -> Int {
        let pattern = UInt64(byte) &* 0x0101_0101_0101_0101
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        var total = 0
        var i = from
        while to - i >= 8 {
            // safe: i + 8 <= to
            let t = base.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ pattern
            // Exactly the zero bytes of t (no borrows between bytes), as 0x01 per byte.
            let zeros = (~(((t & low7) &+ low7) | t) &>> 7) & 0x0101_0101_0101_0101
            total &+= Int(truncatingIfNeeded: (zeros &* 0x0101_0101_0101_0101) &>> 56)
            i &+= 8
        }
        while i < to {
            if base.load(fromByteOffset: i, as: UInt8.self) == byte { total &+= 1 }
            i &+= 1
        }
        return total
    }
}

/// `memmove(3)`: copies between regions that may overlap.
@inline(__always)
func memmoveBytes(_ destination: UnsafeMutableRawPointer, _ source: UnsafeRawPointer, _ count: Int) {
    guard count > 0 else { return }
    memmove(destination, source, count)
}

/// `memcmp(3)` == 0.
@inline(__always)
func memcmpBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    count == 0 || memcmp(a, b, count) == 0
}

/// The last bytes of the `count` bytes at `p` (count > 0) as one word, in at most two loads that
/// stay inside the range: the 8 bytes ending at its end when it has them (they may overlap bytes
/// before), else two overlapping halves, else its first, middle and last byte. For hashing: keys
/// of different lengths are told apart by the length, mixed in separately.
@inline(__always)
func lastWord(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
    if count >= 8 { return p.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self) }
    if count >= 4 {
        return UInt64(p.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            | UInt64(p.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)) &<< 32
    }
    return UInt64(p.load(as: UInt8.self))
        | UInt64(p.load(fromByteOffset: count &>> 1, as: UInt8.self)) &<< 8
        | UInt64(p.load(fromByteOffset: count &- 1, as: UInt8.self)) &<< 16
}

/// Whether `count` bytes at `a` and `b` are equal. Up to 32 bytes (names, ids) are compared with
/// a few word loads that overlap inside the range, never past it; longer ones go to `memcmp`.
@inline(__always)
func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    @inline(__always) func word(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
    }
    @inline(__always) func half(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    }
    switch count {
    case 0:
        return true
    case 1 ..< 4:
        // safe: every offset below is < count
        return a.load(as: UInt8.self) == b.load(as: UInt8.self)
            && a.load(fromByteOffset: count &>> 1, as: UInt8.self) == b.load(fromByteOffset: count &>> 1, as: UInt8.self)
            && a.load(fromByteOffset: count &- 1, as: UInt8.self) == b.load(fromByteOffset: count &- 1, as: UInt8.self)
    case 4 ... 8:
        return half(a, 0) == half(b, 0) && half(a, count &- 4) == half(b, count &- 4)
    case 9 ... 16:
        return word(a, 0) == word(b, 0) && word(a, count &- 8) == word(b, count &- 8)
    case 17 ... 32:
        return word(a, 0) == word(b, 0) && word(a, 8) == word(b, 8)
            && word(a, count &- 16) == word(b, count &- 16) && word(a, count &- 8) == word(b, count &- 8)
    default:
        return memcmp(a, b, count) == 0
    }
}
