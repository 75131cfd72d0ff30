// Named byte values for the framing and decoding code, so no scanner compares against a bare number.

extension UInt8 {
    static let newline: UInt8 = 0x0A            // \n
    static let carriageReturn: UInt8 = 0x0D     // \r
    static let tab: UInt8 = 0x09                // \t
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22              // "
    static let backslash: UInt8 = 0x5C          // \
    static let slash: UInt8 = 0x2F              // /
    static let comma: UInt8 = 0x2C              // ,
    static let colon: UInt8 = 0x3A              // :
    static let openBrace: UInt8 = 0x7B          // {
    static let closeBrace: UInt8 = 0x7D         // }
    static let openBracket: UInt8 = 0x5B        // [
    static let closeBracket: UInt8 = 0x5D       // ]
    static let minus: UInt8 = 0x2D              // -
    static let plus: UInt8 = 0x2B               // +
    static let period: UInt8 = 0x2E             // .
    static let zero: UInt8 = 0x30               // 0
    static let nine: UInt8 = 0x39               // 9
    static let lowerE: UInt8 = 0x65             // e
    static let upperE: UInt8 = 0x45             // E
    static let lowerT: UInt8 = 0x74             // t
    static let lowerF: UInt8 = 0x66             // f
    static let lowerN: UInt8 = 0x6E             // n
    static let lowerU: UInt8 = 0x75             // u
    static let lowerB: UInt8 = 0x62             // b
    static let lowerR: UInt8 = 0x72             // r

    /// JSON whitespace: space, tab, CR and LF, nothing else.
    @inline(__always)
    var isJSONWhitespace: Bool {
        self == .space || self == .tab || self == .carriageReturn || self == .newline
    }

    @inline(__always)
    var isDigit: Bool { self &- .zero < 10 }

    /// Value of a hex digit, or nil.
    @inline(__always)
    var hexValue: UInt32? {
        switch self {
        case 0x30...0x39: return UInt32(self &- 0x30)
        case 0x41...0x46: return UInt32(self &- 0x41 &+ 10)
        case 0x61...0x66: return UInt32(self &- 0x61 &+ 10)
        default: return nil
        }
    }
}
