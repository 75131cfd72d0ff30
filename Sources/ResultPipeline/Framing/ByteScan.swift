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
