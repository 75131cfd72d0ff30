// Finds one top-level member of a JSON object line: keys out of the user's original content (the
// join source), and arrays out of API answers. Validates the whole line like a row, but knows no schema.

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
        guard let range = memberRange(named: key, base: base, start: start, end: end) else { return nil }
        let first = base[range.lowerBound]
        if first == .quote {
            var p = range.lowerBound
            guard scanString(&p) else { return nil }
            return MemberValue(start: stringStart, end: stringEnd, isString: true, escaped: stringEscaped)
        }
        if first == .minus || first.isDigit {
            return MemberValue(start: range.lowerBound, end: range.upperBound, isString: false, escaped: false)
        }
        return nil
    }

    /// The raw value range of the last top-level member named `key` (compared after unescaping)
    /// of the object `base[start..<end]`, which is validated whole; nil when it is not a valid
    /// object or has no such member.
    mutating func memberRange(named key: UnsafeRawBufferPointer, base: UnsafePointer<UInt8>, start: Int, end: Int)
        -> Range<Int>?
    {
        self.base = base
        self.lineStart = start
        self.end = end
        failure = nil
        var p = start
        skipWhitespace(&p)
        guard p < end, base[p] == .openBrace else { return nil }
        p &+= 1
        skipWhitespace(&p)
        var found: Range<Int>?
        if p < end && base[p] == .closeBrace {
            p &+= 1
        } else {
            while true {
                p = keyAndColonEnd(p)
                guard p >= 0, p < end else { return nil }
                let matches = keyMatches(key)
                let valueStart = p
                guard skipValue(&p, depth: 1) else { return nil }
                if matches { found = valueStart..<p }
                let separator = nextSeparator(&p, close: .closeBrace)
                if separator == .invalid { return nil }
                if separator == .closed { break }
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
