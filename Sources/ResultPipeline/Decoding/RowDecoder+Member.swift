// Finds one top-level member of a JSON object line, for reading keys out of the user's original
// content (the join source). Validates the whole line like a row, but knows no schema.

extension RowDecoder {
    /// Where a member's value sits in the line.
    struct MemberValue {
        var start: Int
        var end: Int
        /// True for a string: `start..<end` are the bytes between its quotes.
        var isString: Bool
        var escaped: Bool
    }

    /// Validates the object line `base[start..<end]` and returns its last member named `key`
    /// (compared after unescaping) when that member is a string or a number; nil otherwise.
    mutating func member(named key: UnsafeRawBufferPointer, base: UnsafePointer<UInt8>, start: Int, end: Int)
        -> MemberValue?
    {
        self.base = base
        self.lineStart = start
        self.end = end
        self.failure = nil
        var p = start
        skipWhitespace(&p)
        guard p < end, base[p] == .openBrace else { return nil }
        p &+= 1
        skipWhitespace(&p)
        var found: MemberValue?
        if p < end && base[p] == .closeBrace {
            p &+= 1
        } else {
            while true {
                guard scanKeyAndColon(&p), p < end else { return nil }
                if keyMatches(key) {
                    let c = base[p]
                    if c == .quote {
                        guard scanString(&p) else { return nil }
                        found = MemberValue(start: stringStart, end: stringEnd, isString: true, escaped: stringEscaped)
                    } else if c == .minus || c.isDigit {
                        let s = p
                        guard scanNumber(&p) else { return nil }
                        found = MemberValue(start: s, end: p, isString: false, escaped: false)
                    } else {
                        guard skipValue(&p, depth: 1) else { return nil }
                        found = nil
                    }
                } else {
                    guard skipValue(&p, depth: 1) else { return nil }
                }
                skipWhitespace(&p)
                guard p < end else { return nil }
                if base[p] == .comma {
                    p &+= 1
                    skipWhitespace(&p)
                    continue
                }
                guard base[p] == .closeBrace else { return nil }
                p &+= 1
                break
            }
        }
        skipWhitespace(&p)
        return p == end ? found : nil
    }

    /// Whether the last scanned string equals `key` after unescaping.
    private mutating func keyMatches(_ key: UnsafeRawBufferPointer) -> Bool {
        let raw = UnsafeRawBufferPointer(start: base + stringStart, count: stringEnd - stringStart)
        if !stringEscaped {
            return raw.count == key.count && (raw.count == 0 || memcmpBytes(raw.baseAddress!, key.baseAddress!, raw.count))
        }
        keyScratch.removeAll(keepingCapacity: true)
        JSONUnescape.append(raw, to: &keyScratch)
        return keyScratch.elementsEqual(key)
    }
}
