// RFC 4180 records over raw bytes, for CSV join sources: quoted fields may hold commas, quotes
// (doubled) and line breaks; records end at LF or CRLF.

/// One field of a CSV record: a byte range, and whether it holds doubled quotes to undo.
struct CSVField {
    var start: Int
    var end: Int
    var hasDoubledQuotes: Bool
}

enum CSVRecords {
    /// Parses the record at `p` into `fields`; returns the index after its terminator, or nil when
    /// a quoted field is not closed before `end`.
    static func parse(_ base: UnsafePointer<UInt8>, from p: Int, end: Int, into fields: inout [CSVField]) -> Int? {
        fields.removeAll(keepingCapacity: true)
        var i = p
        while true {
            if i < end && base[i] == .quote {
                let start = i + 1
                var j = start
                var doubled = false
                while true {
                    guard j < end else { return nil }
                    if base[j] == .quote {
                        if j + 1 < end && base[j + 1] == .quote {
                            doubled = true
                            j += 2
                            continue
                        }
                        break
                    }
                    j += 1
                }
                fields.append(CSVField(start: start, end: j, hasDoubledQuotes: doubled))
                i = j + 1
                // Anything between the closing quote and the separator is kept out, leniently.
                while i < end && base[i] != .comma && base[i] != .newline { i += 1 }
            } else {
                let start = i
                while i < end && base[i] != .comma && base[i] != .newline { i += 1 }
                var fieldEnd = i
                if i < end && base[i] == .newline && fieldEnd > start && base[fieldEnd - 1] == .carriageReturn { fieldEnd -= 1 }
                if i == end && fieldEnd > start && base[fieldEnd - 1] == .carriageReturn { fieldEnd -= 1 }
                fields.append(CSVField(start: start, end: fieldEnd, hasDoubledQuotes: false))
            }
            if i >= end { return end }
            if base[i] == .newline { return i + 1 }
            i += 1  // comma
        }
    }

    /// The field's value, with doubled quotes undone.
    static func value(_ base: UnsafePointer<UInt8>, _ field: CSVField, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var i = field.start
        while i < field.end {
            out.append(base[i])
            i += (field.hasDoubledQuotes && base[i] == .quote) ? 2 : 1
        }
    }
}
