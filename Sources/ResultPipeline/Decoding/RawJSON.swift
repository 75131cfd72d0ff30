// Raw access to one array member of a JSON object: the elements' exact bytes, for API responses
// whose inline `data` must reach the row decoder byte for byte, as if read from a file.

/// Byte-level helpers over a whole JSON document.
public enum RawJSON {
    /// The exact bytes of each element of the top-level member `key` when it is an array; nil when
    /// the document is not a valid JSON object or the member is missing or not an array.
    public static func arrayElements(ofMember key: String, in document: [UInt8]) -> [ArraySlice<UInt8>]? {
        var padded = document
        padded.append(contentsOf: repeatElement(0, count: Chunk.padding))
        var decoder = RowDecoder()
        let keyBytes = Array(key.utf8)
        return padded.withUnsafeBufferPointer { buffer -> [ArraySlice<UInt8>]? in
            keyBytes.withUnsafeBytes { keyBuffer -> [ArraySlice<UInt8>]? in
                guard let range = decoder.memberRange(named: keyBuffer, base: buffer.baseAddress!, start: 0,
                                                      end: document.count) else { return nil }
                guard let elements = decoder.arrayElementRanges(base: buffer.baseAddress!, range: range) else { return nil }
                return elements.map { document[$0] }
            }
        }
    }
}

extension RowDecoder {
    /// The element ranges of the (already validated) array at `range`; nil when it is not an array.
    mutating func arrayElementRanges(base: UnsafePointer<UInt8>, range: Range<Int>) -> [Range<Int>]? {
        self.base = base
        self.lineStart = range.lowerBound
        self.end = range.upperBound
        var p = range.lowerBound
        guard base[p] == .openBracket else { return nil }
        p &+= 1
        skipWhitespace(&p)
        var elements: [Range<Int>] = []
        if p < end && base[p] == .closeBracket { return elements }
        while p < end {
            let s = p
            guard skipValue(&p, depth: 1) else { return nil }
            elements.append(s..<p)
            let separator = nextSeparator(&p, close: .closeBracket)
            if separator == .invalid { return nil }
            if separator == .closed { break }
        }
        return elements
    }
}
