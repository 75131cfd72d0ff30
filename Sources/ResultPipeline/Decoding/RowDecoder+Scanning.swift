// The lexical half of the row decoder: whitespace, strings (with UTF-8 and escape validation),
// numbers, literals, and an iterative skipper that validates any value without recursion.
//
// All reads go through `base[p]` with `p < end` checked first; the chunk's storage carries
// `Chunk.padding` spare bytes, which is what makes the 8-byte loads in `packedKey` safe.

extension RowDecoder {
    @inline(__always)
    func skipWhitespace(_ p: inout Int) {
        // Most rows are compact: one compare settles the common case, since every JSON
        // whitespace byte is <= 0x20 (measured: this line was the costliest in the decoder).
        guard p < end && base[p] <= .space else { return }
        while p < end && base[p].isJSONWhitespace { p &+= 1 }
    }

    enum Separator { case next, closed, invalid }

    /// After a member or element: steps over `,` and the whitespace after it (`.next`), or over
    /// the container's closing byte (`.closed`). Compact input is the common case, so the byte
    /// right at `p` is tried before any whitespace is skipped.
    @inline(__always)
    mutating func nextSeparator(_ p: inout Int, close: UInt8) -> Separator {
        if p >= end || base[p] <= .space {
            skipWhitespace(&p)
            guard p < end else { _ = fail(.unexpectedEnd, at: p); return .invalid }
        }
        let c = base[p]
        if c == .comma {
            p &+= 1
            skipWhitespace(&p)
            return .next
        }
        if c == close {
            p &+= 1
            return .closed
        }
        _ = fail(close == .closeBrace ? .expectedCommaOrBrace : .expectedCommaOrBracket, at: p)
        return .invalid
    }

    /// Records a grammar failure at `p`; always returns false.
    @inline(never)
    mutating func fail(_ problem: SyntaxProblem, at p: Int) -> Bool {
        failure = Rejection(reason: .invalidJSON, problem: problem, position: p - lineStart)
        return false
    }

    @inline(never)
    mutating func fail(_ reason: RejectReason, at p: Int) -> Bool {
        failure = Rejection(reason: reason, problem: nil, position: p - lineStart)
        return false
    }

    /// Scans the string that opens at `p` (a quote). On success `p` is past the closing quote,
    /// `stringStart..<stringEnd` are the bytes between the quotes and `stringEscaped` says whether
    /// any escape occurs.
    ///
    /// The position lives in a local that is never passed by reference, so it stays in a register
    /// through the loop (an `inout` position was stored and reloaded on every 8-byte step).
    @inline(__always)
    mutating func scanString(_ p: inout Int) -> Bool {
        var q = p &+ 1
        stringStart = q
        stringEscaped = false
        while true {
            // Eight bytes at a time until one is a quote, backslash, control or non-ASCII byte.
            while q &+ 8 <= end {
                let flagged = RowDecoder.stringStops(word(at: q))
                if flagged == 0 {
                    q &+= 8
                    continue
                }
                q &+= flagged.trailingZeroBitCount &>> 3
                break
            }
            guard q < end else {
                p = q
                return fail(.unexpectedEnd, at: q)
            }
            let c = base[q]
            if c == .quote {
                stringEnd = q
                p = q &+ 1
                return true
            }
            let next: Int
            if c == .backslash {
                stringEscaped = true
                next = escapeRunEnd(q)
            } else if c < 0x20 {
                next = fail(.controlCharacterInString, at: q) ? q : -1
            } else if c >= 0x80 {
                let after = utf8SequenceEnd(q)
                // Another sequence right behind: text in a non-Latin script, taken eight bytes at a time.
                next = after >= 0 && after < end && base[after] >= 0x80 ? multiByteRunEnd(after) : after
            } else {
                next = q &+ 1
            }
            guard next >= 0 else {
                p = q
                return false
            }
            q = next
        }
    }

    /// The last string `scanString` scanned, as a name record.
    @inline(__always)
    var scannedName: NameRef {
        NameRef(start: Int32(truncatingIfNeeded: stringStart), length: Int32(truncatingIfNeeded: stringEnd &- stringStart),
                escaped: stringEscaped)
    }

    /// The high bit of each byte of `w` that stops a plain run inside a string: a quote, a
    /// backslash, a control byte or a non-ASCII byte. The lowest flagged byte is always a true
    /// stop (borrows only carry upwards), so its position is exact; later ones may be false.
    @inline(__always)
    static func stringStops(_ w: UInt64) -> UInt64 {
        let t = w ^ 0x2222_2222_2222_2222
        let b = w ^ 0x5C5C_5C5C_5C5C_5C5C
        return (((t &- 0x0101_0101_0101_0101) & ~t)
            | ((b &- 0x0101_0101_0101_0101) & ~b)
            | ((w &- 0x2020_2020_2020_2020) & ~w)
            | w) & 0x8080_8080_8080_8080
    }

    /// Validates the escape at `start` (a backslash) and every escape that follows it directly, as
    /// text escaped to ASCII has them (`\u5546\u54c1`): the position after the last, or -1
    /// (failure recorded). A `\uXXXX` is checked with one eight-byte load; anything else, or an
    /// escape near the line's end, goes through `escapeEnd`.
    @inline(never)
    mutating func escapeRunEnd(_ start: Int) -> Int {
        var q = start
        // One load per escape: it shows the backslash, the `u` and the four digits.
        while q &+ 8 <= end {
            let w = word(at: q)
            if w & 0xFFFF == 0x755C {   // "\u"
                // Two in a row (text escaped to ASCII): their eight digits in one test.
                if q &+ 14 <= end {
                    let v = word(at: q &+ 6)
                    if v & 0xFFFF == 0x755C
                        && RowDecoder.hexDigits((w &>> 16) & 0xFFFF_FFFF | (v &>> 16) &<< 32, in: 0x8080_8080_8080_8080) {
                        q &+= 12
                        continue
                    }
                }
                if RowDecoder.fourHexDigits(w &>> 16) {
                    q &+= 6
                    continue
                }
            }
            if w & 0xFF != UInt64(UInt8.backslash) { return q }
            q = escapeEnd(q)
            if q < 0 { return -1 }
        }
        while q < end && base[q] == .backslash {
            q = escapeEnd(q)
            if q < 0 { return -1 }
        }
        return q
    }

    /// Whether the low four bytes of `w` are all hex digits.
    @inline(__always)
    static func fourHexDigits(_ w: UInt64) -> Bool {
        hexDigits(w & 0xFFFF_FFFF, in: 0x8080_8080)
    }

    /// Whether the bytes of `h` whose high bit is set in `lanes` are all hex digits (the other
    /// bytes of `h` must be zero).
    @inline(__always)
    static func hexDigits(_ h: UInt64, in lanes: UInt64) -> Bool {
        // Per byte (all below 0x80, so no sum carries into the next byte): '0'...'9', or after
        // folding case 'a'...'f'. x + (0x80 - lo) sets the high bit when x >= lo; x + (0x7F - hi)
        // when x > hi.
        let digit = (h &+ 0x5050_5050_5050_5050) & ~(h &+ 0x4646_4646_4646_4646)
        let l = h | 0x2020_2020_2020_2020
        let letter = (l &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(l &+ 0x1919_1919_1919_1919)
        return h & 0x8080_8080_8080_8080 == 0 && (digit | letter) & lanes == lanes
    }

    /// Validates the escape at `q` (a backslash): the position after it, or -1 (failure recorded).
    @inline(never)
    mutating func escapeEnd(_ q: Int) -> Int {
        guard q &+ 1 < end else { _ = fail(.unexpectedEnd, at: q &+ 1); return -1 }
        switch base[q &+ 1] {
        case .quote, .backslash, .slash, .lowerB, .lowerF, .lowerN, .lowerR, .lowerT:
            return q &+ 2
        case .lowerU:
            guard q &+ 6 <= end else { _ = fail(.invalidEscape, at: q); return -1 }
            for i in 2..<6 where base[q &+ i].hexValue == nil {
                _ = fail(.invalidEscape, at: q)
                return -1
            }
            return q &+ 6
        default:
            _ = fail(.invalidEscape, at: q)
            return -1
        }
    }

    /// Validates the text from the lead byte at `start` up to the next byte that is a quote, a
    /// backslash or a control byte, or up to the next plain eight-byte run, or up to the line's
    /// end: the position reached, or -1 (failure recorded). Clean text goes 16 bytes at a time
    /// (`isCleanText`); a block that is not clean, and the line's last bytes, go eight bytes per
    /// step through `UTF8Check.Automaton`; the step in which a stop or an error occurs is gone
    /// over again a sequence at a time, which finds the byte and the failure the byte-wise check
    /// would.
    @inline(never)
    mutating func multiByteRunEnd(_ start: Int) -> Int {
        typealias Automaton = UTF8Check.Automaton
        let table = utf8Table
        var q = start
        var state = Automaton.accept
        // Sixteen bytes at a time while they are clean text (below); after a block that is not,
        // the automaton takes over until past it.
        var vectorFrom = start
        while q &+ 8 <= end {
            let w = word(at: q)
            if state == Automaton.accept {
                // A word of plain text: the caller's eight-byte loop goes on.
                if RowDecoder.stringStops(w) == 0 { return q }
                if q >= vectorFrom && q &- 3 >= lineStart {
                    var v = q
                    while v &+ 16 <= end && RowDecoder.isCleanText(UnsafeRawPointer(base) + v) { v &+= 16 }
                    // The automaton takes the block that was not clean (or the line's last bytes).
                    vectorFrom = v &+ 16
                    if v > q {
                        // Resume on a sequence boundary: step back to a lead whose sequence is cut.
                        if base[v &- 1] >= 0xC0 {
                            v &-= 1
                        } else if base[v &- 2] >= 0xE0 {
                            v &-= 2
                        } else if base[v &- 3] >= 0xF0 {
                            v &-= 3
                        }
                        q = v
                        continue
                    }
                }
            }
            let next = Automaton.step(table, state, w)
            if next == Automaton.stop || next == Automaton.error { break }
            state = next
            q &+= 8
        }
        if state != Automaton.accept {
            // Back to the lead byte of the unfinished sequence (at most three continuation bytes).
            repeat { q &-= 1 } while base[q] & 0xC0 == 0x80
        }
        while q < end {
            let c = base[q]
            if c >= 0x80 {
                q = utf8SequenceEnd(q)
                if q < 0 { return -1 }
            } else if c == .quote || c == .backslash || c < 0x20 {
                return q
            } else {
                q &+= 1
            }
        }
        return q
    }

    /// Whether the 16 bytes at `p` are string text that is valid UTF-8 given that a sequence
    /// boundary lies at or before `p` (the 3 bytes before `p` are read): no quote, backslash or
    /// control byte, every continuation byte where a lead before it asks for one and nowhere
    /// else, no byte that never occurs in UTF-8, and the narrower second bytes after E0, ED, F0
    /// and F4. A sequence may run past the 16 bytes. Bytes are compared as signed, which the
    /// vector unit does natively: 0x80...0xBF are -128...-65, leads from 0xC0 are -64...-1.
    @inline(__always)
    static func isCleanText(_ p: UnsafeRawPointer) -> Bool {
        typealias V = SIMD16<Int8>
        @inline(__always) func all(_ x: Int8) -> V { V(repeating: x) }
        @inline(__always) func lanes(_ m: SIMDMask<V>) -> V { V(repeating: 0).replacing(with: -1, where: m) }
        let b = p.loadUnaligned(as: V.self)
        let back1 = p.loadUnaligned(fromByteOffset: -1, as: V.self)
        let back2 = p.loadUnaligned(fromByteOffset: -2, as: V.self)
        let back3 = p.loadUnaligned(fromByteOffset: -3, as: V.self)
        let negative = all(0)
        // A continuation byte here exactly where the byte 1 back is a lead (0xC0+), 2 back a
        // three- or four-byte lead (0xE0+), or 3 back a four-byte lead (0xF0+).
        let continuation = lanes(b .< all(-64))
        let wanted = lanes((back1 .>= all(-64)) .& (back1 .< negative))
            | lanes((back2 .>= all(-32)) .& (back2 .< negative))
            | lanes((back3 .>= all(-16)) .& (back3 .< negative))
        var bad = continuation ^ wanted
        // Never in UTF-8: 0xC0, 0xC1 (overlong) and 0xF5...0xFF.
        bad |= lanes(b .== all(-64)) | lanes(b .== all(-63)) | lanes((b .>= all(-11)) .& (b .< negative))
        // After 0xE0 at least 0xA0, after 0xED at most 0x9F, after 0xF0 at least 0x90, after 0xF4
        // at most 0x8F.
        bad |= lanes((back1 .== all(-32)) .& (b .< all(-96)))
        bad |= lanes((back1 .== all(-19)) .& (b .>= all(-96)))
        bad |= lanes((back1 .== all(-16)) .& (b .< all(-112)))
        bad |= lanes((back1 .== all(-12)) .& (b .>= all(-112)))
        // Stops: a quote, a backslash or a control byte.
        bad |= lanes(b .== all(0x22)) | lanes(b .== all(0x5C)) | lanes((b .>= negative) .& (b .< all(0x20)))
        let words = unsafeBitCast(bad, to: SIMD2<UInt64>.self)
        return words[0] | words[1] == 0
    }

    /// Validates one multi-byte UTF-8 sequence at `q` (RFC 3629: no overlongs, no surrogates,
    /// nothing above U+10FFFF): the position after it, or -1 (failure recorded).
    @inline(never)
    mutating func utf8SequenceEnd(_ q: Int) -> Int {
        let length = UTF8Check.sequenceLength(base, at: q, end: end)
        guard length > 0 else { _ = fail(.invalidUTF8, at: q); return -1 }
        return q &+ length
    }

    /// Validates the number at `p` and steps past it.
    @inline(__always)
    mutating func scanNumber(_ p: inout Int) -> Bool {
        let next = numberEnd(p)
        guard next >= 0 else { return false }
        p = next
        return true
    }

    /// Validates the number at `start`: the position after it, or -1 (failure recorded). Positions
    /// are passed by value here and below, so that callers keep theirs in a register.
    mutating func numberEnd(_ start: Int) -> Int {
        var q = start
        if base[q] == .minus { q &+= 1 }
        guard q < end else { return invalidNumber(at: start) }
        if base[q] == .zero {
            q &+= 1
            if q < end && base[q].isDigit { return invalidNumber(at: start) }
        } else if base[q].isDigit {
            q = digitsEnd(q &+ 1)
        } else {
            return invalidNumber(at: start)
        }
        if q < end && base[q] == .period {
            q &+= 1
            guard q < end && base[q].isDigit else { return invalidNumber(at: start) }
            q = digitsEnd(q &+ 1)
        }
        if q < end && (base[q] == .lowerE || base[q] == .upperE) {
            q &+= 1
            if q < end && (base[q] == .plus || base[q] == .minus) { q &+= 1 }
            guard q < end && base[q].isDigit else { return invalidNumber(at: start) }
            q = digitsEnd(q &+ 1)
        }
        return q
    }

    /// The end of the run of digits at `start`, eight bytes at a time.
    @inline(__always)
    func digitsEnd(_ start: Int) -> Int {
        var q = start
        while q &+ 8 <= end {
            // Exactly the bytes that are not '0'...'9': x = byte ^ '0' is 0...9 for a digit.
            let x = word(at: q) ^ 0x3030_3030_3030_3030
            let other = (((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080
            if other != 0 { return q &+ (other.trailingZeroBitCount &>> 3) }
            q &+= 8
        }
        while q < end && base[q].isDigit { q &+= 1 }
        return q
    }

    @inline(never)
    mutating func invalidNumber(at start: Int) -> Int {
        _ = fail(.invalidNumber, at: start)
        return -1
    }

    /// Validates `true`, `false` or `null` at `p` and steps past it.
    @inline(__always)
    mutating func scanLiteral(_ p: inout Int) -> Bool {
        let word: UInt64
        let length: Int
        switch base[p] {
        case .lowerT: word = 0x6575_7274; length = 4       // "true"
        case .lowerF: word = 0x65_736C_6166; length = 5    // "false"
        default: word = 0x6C6C_756E; length = 4            // "null"
        }
        guard p &+ length <= end, packedKey(p, length) == word else {
            return fail(.invalidLiteral, at: p)
        }
        p &+= length
        return true
    }

    /// The 8 bytes at `p` (the storage is padded past any line's end).
    @inline(__always)
    func word(at p: Int) -> UInt64 {
        // safe: p <= end, and the chunk storage (or the mapping's spare page) extends 16 bytes past it
        UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)
    }

    /// The `length` (at most 8) bytes at `p`, little-endian in a word.
    @inline(__always)
    func packedKey(_ p: Int, _ length: Int) -> UInt64 {
        let w = word(at: p)
        return length >= 8 ? w : w & ((1 &<< UInt64(length &* 8)) &- 1)
    }

    /// Scans the key at `start`, the colon and the whitespace after it: the position of the
    /// member's value, or -1 (failure recorded). Callers assign the result to their position
    /// rather than pass it by reference, so that it stays in a register.
    @inline(__always)
    mutating func keyAndColonEnd(_ start: Int) -> Int {
        var p = start
        guard p < end else { return failed(.unexpectedEnd, at: p) }
        guard base[p] == .quote else { return failed(.expectedKey, at: p) }
        guard scanString(&p) else { return -1 }
        if p >= end || base[p] != .colon {
            skipWhitespace(&p)
            guard p < end else { return failed(.unexpectedEnd, at: p) }
            guard base[p] == .colon else { return failed(.expectedColon, at: p) }
        }
        p &+= 1
        skipWhitespace(&p)
        return p
    }

    /// Steps over a key of at most 7 plain bytes written compactly (`"name":`) at `p`, and the
    /// whitespace after its colon, with one 8-byte load; -1 when the key is anything else (longer,
    /// escaped, not ASCII, spaced before its colon, or not a key), which the caller then scans.
    @inline(__always)
    func shortKeyEnd(_ p: Int) -> Int {
        // The first stop must be the closing quote, followed by the colon, all inside the line.
        let k = RowDecoder.stringStops(word(at: p &+ 1)).trailingZeroBitCount &>> 3
        var q = p &+ 1 &+ k
        guard base[p] == .quote, k < 8, q &+ 1 < end, base[q] == .quote, base[q &+ 1] == .colon else { return -1 }
        q &+= 2
        skipWhitespace(&q)
        return q
    }

    /// Records a grammar failure at `p`; always returns -1.
    mutating func failed(_ problem: SyntaxProblem, at p: Int) -> Int {
        _ = fail(problem, at: p)
        return -1
    }

    @inline(__always)
    func isObject(atDepth depth: Int) -> Bool {
        kinds[depth &>> 6] & (1 &<< UInt64(depth & 63)) != 0
    }

    @inline(__always)
    func setKind(atDepth depth: Int, object: Bool) {
        let bit: UInt64 = 1 &<< UInt64(depth & 63)
        if object { kinds[depth &>> 6] |= bit } else { kinds[depth &>> 6] &= ~bit }
    }

    /// `skipValue` with strings and numbers handled inline: most members the schema ignores are
    /// scalars, and a call per member showed in the profile. `p < end` on entry.
    @inline(__always)
    mutating func skipMember(_ p: inout Int, depth: Int) -> Bool {
        switch base[p] {
        case .quote: return scanString(&p)
        case .minus, .zero ... .nine: return scanNumber(&p)
        default: return skipValue(&p, depth: depth)
        }
    }

    /// Validates the value at `p` (whitespace already skipped), which sits inside a container at
    /// `depth`, and steps past it.
    @inline(__always)
    mutating func skipValue(_ p: inout Int, depth: Int) -> Bool {
        let next = valueEnd(p, depth: depth)
        guard next >= 0 else { return false }
        p = next
        return true
    }

    /// Validates the value at `start` (whitespace already skipped), which sits inside a container
    /// at `baseDepth`: the position after it, or -1 (failure recorded). Iterative, so nesting
    /// costs one bit of `kinds` per level, never stack.
    mutating func valueEnd(_ start: Int, depth baseDepth: Int) -> Int {
        var p = start
        return skipValueLoop(&p, depth: baseDepth) ? p : -1
    }

    @inline(__always)
    private mutating func skipValueLoop(_ p: inout Int, depth baseDepth: Int) -> Bool {
        var depth = baseDepth
        while true {
            guard p < end else { return fail(.unexpectedEnd, at: p) }
            switch base[p] {
            case .openBrace:
                depth &+= 1
                guard depth <= maxDepth else { return fail(.tooDeep, at: p) }
                setKind(atDepth: depth, object: true)
                p &+= 1
                skipWhitespace(&p)
                if p < end && base[p] == .closeBrace {
                    p &+= 1
                    depth &-= 1
                } else {
                    let short = p < end ? shortKeyEnd(p) : -1
                    p = short >= 0 ? short : keyAndColonEnd(p)
                    guard p >= 0 else { return false }
                    continue
                }
            case .openBracket:
                depth &+= 1
                guard depth <= maxDepth else { return fail(.tooDeep, at: p) }
                setKind(atDepth: depth, object: false)
                p &+= 1
                skipWhitespace(&p)
                if p < end && base[p] == .closeBracket {
                    p &+= 1
                    depth &-= 1
                } else {
                    continue
                }
            case .quote:
                guard scanString(&p) else { return false }
            case .lowerT, .lowerF, .lowerN:
                guard scanLiteral(&p) else { return false }
            case .minus, .zero ... .nine:
                guard scanNumber(&p) else { return false }
                // A compact array of numbers (an embedding, say): number after number without
                // going round the separator logic.
                if depth != baseDepth && !isObject(atDepth: depth) {
                    while p &+ 1 < end && base[p] == .comma && (base[p &+ 1].isDigit || base[p &+ 1] == .minus) {
                        p = numberEnd(p &+ 1)
                        guard p >= 0 else { return false }
                    }
                }
            default:
                return fail(.unexpectedCharacter, at: p)
            }
            // After a value: close finished containers, or move to the next element.
            while true {
                if depth == baseDepth { return true }
                let object = isObject(atDepth: depth)
                let separator = nextSeparator(&p, close: object ? .closeBrace : .closeBracket)
                if separator == .invalid { return false }
                if separator == .next {
                    if object {
                        let short = p < end ? shortKeyEnd(p) : -1
                        p = short >= 0 ? short : keyAndColonEnd(p)
                        guard p >= 0 else { return false }
                    }
                    break
                }
                depth &-= 1
            }
        }
    }
}
