// Writes JSON text into byte buffers: escaped strings, integers, base64. Used for rejects,
// summaries and joined output, where building Foundation objects per line would cost too much.

/// Appends JSON fragments to a byte buffer.
public enum JSONText {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `bytes` (valid UTF-8) as a quoted, escaped JSON string.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(.quote)
        appendEscaped(bytes, to: &out)
        out.append(.quote)
    }

    /// Appends `string` as a quoted, escaped JSON string.
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        var s = string
        s.withUTF8 { appendString(UnsafeRawBufferPointer($0), to: &out) }
    }

    /// Appends the escaped body of a string, without quotes: `"`, `\` and control characters are
    /// escaped; everything else, including non-ASCII UTF-8, is copied.
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var runStart = 0
        for i in 0..<bytes.count {
            let c = bytes[i]
            guard c < 0x20 || c == .quote || c == .backslash || c == 0x7F else { continue }
            if runStart < i { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<i])) }
            runStart = i + 1
            out.append(.backslash)
            switch c {
            case .quote: out.append(.quote)
            case .backslash: out.append(.backslash)
            case .newline: out.append(.lowerN)
            case .carriageReturn: out.append(.lowerR)
            case .tab: out.append(.lowerT)
            case 0x08: out.append(.lowerB)
            case 0x0C: out.append(.lowerF)
            default:
                out.append(contentsOf: [.lowerU, .zero, .zero, hexDigits[Int(c >> 4)], hexDigits[Int(c & 0xF)]])
            }
        }
        if runStart < bytes.count {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart...]))
        }
    }

    /// Appends a decimal integer.
    public static func appendInt(_ value: Int, to out: inout [UInt8]) {
        out.append(contentsOf: String(value).utf8)
    }

    /// Appends an ASCII key and colon: `"key":`.
    public static func appendKey(_ key: String, to out: inout [UInt8]) {
        appendString(key, to: &out)
        out.append(.colon)
    }

    /// Streams base64 (RFC 4648, padded) across pieces.
    public struct Base64Encoder {
        private static let alphabet: [UInt8] =
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        private var held: [UInt8] = []

        public init() {}

        public mutating func append(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
            var i = 0
            while !held.isEmpty && held.count < 3 && i < bytes.count {
                held.append(bytes[i])
                i += 1
            }
            if held.count == 3 {
                emit(held[0], held[1], held[2], count: 3, to: &out)
                held.removeAll()
            }
            while i + 3 <= bytes.count {
                emit(bytes[i], bytes[i + 1], bytes[i + 2], count: 3, to: &out)
                i += 3
            }
            while i < bytes.count {
                held.append(bytes[i])
                i += 1
            }
        }

        public mutating func finish(to out: inout [UInt8]) {
            switch held.count {
            case 1: emit(held[0], 0, 0, count: 1, to: &out)
            case 2: emit(held[0], held[1], 0, count: 2, to: &out)
            default: break
            }
            held.removeAll()
        }

        private func emit(_ a: UInt8, _ b: UInt8, _ c: UInt8, count: Int, to out: inout [UInt8]) {
            let v = UInt32(a) << 16 | UInt32(b) << 8 | UInt32(c)
            let t = Base64Encoder.alphabet
            out.append(t[Int(v >> 18 & 63)])
            out.append(t[Int(v >> 12 & 63)])
            out.append(count > 1 ? t[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(count > 2 ? t[Int(v & 63)] : UInt8(ascii: "="))
        }
    }
}
