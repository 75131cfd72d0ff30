// Turns the bytes between a JSON string's quotes into the UTF-8 they stand for. Only called for
// strings the scanner flagged as escaped, and only after the scanner validated every escape.

enum JSONUnescape {
    /// Appends the unescaped form of `raw` (already validated) to `out`. A `\u` surrogate without
    /// its partner becomes U+FFFD.
    static func append(_ raw: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var i = 0
        let n = raw.count
        while i < n {
            let c = raw[i]
            guard c == .backslash, i + 1 < n else {
                out.append(c)
                i += 1
                continue
            }
            let e = raw[i + 1]
            i += 2
            switch e {
            case .lowerB: out.append(0x08)
            case .lowerF: out.append(0x0C)
            case .lowerN: out.append(.newline)
            case .lowerR: out.append(.carriageReturn)
            case .lowerT: out.append(.tab)
            case .lowerU:
                var scalar = hex4(raw, i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    if i + 6 <= n, raw[i] == .backslash, raw[i + 1] == .lowerU {
                        let low = hex4(raw, i + 2)
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &out)
            default:  // " \ /
                out.append(e)
            }
        }
    }

    private static func hex4(_ raw: UnsafeRawBufferPointer, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | (raw[i + k].hexValue ?? 0) }
        return v
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
