// Decodes one JSONL line: strict RFC 8259 over every byte, lenient about the result schema.
//
// Design: the decoder walks the line once. The levels the schema cares about (the row object,
// `output`, the `labels`/`actions` arrays and their entry objects) have their own small parsers;
// every other value goes through `skipValue`, an iterative validator whose only state is one bit
// per nesting level. Strings stay byte ranges: names are recorded as positions in the chunk, and a
// flag says whether they hold an escape, so the common escape-free name is never copied.
// Duplicate keys follow "last one wins": a repeated `output`, `labels` or `actions` discards what
// the earlier one contributed.

/// Decodes rows one line at a time. Grammar comes first (the whole line must be one valid value),
/// then the schema: an object with a non-empty string `id`, and an `output` that is an object or null.
/// One decoder serves one worker for a whole run.
struct RowDecoder: ~Copyable {
    /// Containers may nest this deep; one more level is rejected.
    let maxDepth: Int
    /// Bit `d` set: the container at depth `d` is an object, else an array.
    let kinds: UnsafeMutablePointer<UInt64>
    /// `UTF8Check.Automaton.table`, held here so the string scanner reads it without a global access.
    let utf8Table = UTF8Check.Automaton.table

    // Per-line state.
    var base: UnsafePointer<UInt8>
    var lineStart = 0
    var end = 0
    var failure: Rejection?
    // The last string scanned.
    var stringStart = 0
    var stringEnd = 0
    var stringEscaped = false
    /// Actions of the current row, appended to the names after its labels.
    let actions = RecordBuffer<NameRef>(capacity: 16)
    /// Scratch for unescaping keys.
    var keyScratch: [UInt8] = []
    /// The last row `decodeRow` accepted.
    var fields = Fields()

    static let defaultMaxDepth = 512

    init(maxDepth: Int = RowDecoder.defaultMaxDepth) {
        precondition(maxDepth >= 4, "the schema itself nests four levels")
        self.maxDepth = maxDepth
        let words = maxDepth / 64 + 2
        kinds = .allocate(capacity: words)
        kinds.initialize(repeating: 0, count: words)
        // Never read before `decode` sets it.
        base = UnsafePointer(bitPattern: 0x10)!
    }

    deinit { kinds.deallocate() }

    /// The fields of one accepted row.
    struct Fields {
        var idStart = 0
        var idLength = 0
        var idEscaped = false
        var output = OutputState.missing
        var labelCount = 0
        var actionCount = 0
        var ignoredEntries = 0
    }

    private enum IDState { case missing, invalid, valid }
    private enum OutputSeen { case missing, null, object, invalid }

    /// What the row object has shown so far; later duplicate keys overwrite it.
    private struct RowState {
        var fields = Fields()
        var id = IDState.missing
        var output = OutputSeen.missing
        var labelIgnored = 0
        var actionIgnored = 0
    }

    /// Decodes the line `base[start..<end]`: true with the row in `fields`, its labels and then its
    /// actions appended to `names`; or false with the reason in `failure` and `names` as it was.
    @inline(__always)
    mutating func decodeRow(
        base: UnsafePointer<UInt8>, start: Int, end: Int, names: RecordBuffer<NameRef>
    ) -> Bool {
        self.base = base
        self.lineStart = start
        self.end = end
        self.failure = nil
        let namesStart = names.count
        var p = start
        skipWhitespace(&p)
        guard p < end else {
            return fail(.unexpectedEnd, at: p)
        }
        if base[p] != .openBrace {
            if skipValue(&p, depth: 0) {
                skipWhitespace(&p)
                if p == end {
                    failure = Rejection(reason: .notAnObject)
                    return false
                }
                _ = fail(.trailingCharacters, at: p)
            }
            return false
        }
        var row = RowState()
        actions.removeAll()
        p = decodeRowObjectEnd(p, names: names, namesStart: namesStart, row: &row)
        if p >= 0 {
            skipWhitespace(&p)
            if p != end { _ = fail(.trailingCharacters, at: p) }
        }
        if failure == nil {
            switch row.id {
            case .missing: failure = Rejection(reason: .missingID)
            case .invalid: failure = Rejection(reason: .invalidID)
            case .valid: break
            }
        }
        if failure == nil && row.output == .invalid {
            failure = Rejection(reason: .invalidOutput)
        }
        if failure != nil {
            if names.count > namesStart { names.truncate(to: namesStart) }
            return false
        }
        fields = row.fields
        fields.labelCount = names.count &- namesStart
        fields.actionCount = actions.count
        if !actions.isEmpty { names.append(contentsOf: actions) }
        fields.output = row.output == .object ? .object : (row.output == .null ? .null : .missing)
        fields.ignoredEntries = row.labelIgnored &+ row.actionIgnored
        return true
    }

    /// The row object at `p`, at depth 1.
    /// Takes and returns the position by value (kept in a register): -1 on failure (recorded).
    private mutating func decodeRowObjectEnd(
        _ start: Int, names: RecordBuffer<NameRef>, namesStart: Int, row: inout RowState
    ) -> Int {
        var p = start
        return decodeRowObjectBody(&p, names: names, namesStart: namesStart, row: &row) ? p : -1
    }

    @inline(__always)
    private mutating func decodeRowObjectBody(
        _ p: inout Int, names: RecordBuffer<NameRef>, namesStart: Int, row: inout RowState
    ) -> Bool {
        p &+= 1
        skipWhitespace(&p)
        if p < end && base[p] == .closeBrace {
            p &+= 1
            return true
        }
        while true {
            let w0 = word(at: p), w1 = word(at: p &+ 8)
            let key: (word: UInt64, length: Int)
            if starts(with: KnownKeys.id, at: p, w0, w1) {
                key = afterKey(KnownKeys.id, at: &p)
            } else if starts(with: KnownKeys.output, at: p, w0, w1) {
                key = afterKey(KnownKeys.output, at: &p)
            } else if starts(with: KnownKeys.url, at: p, w0, w1) {
                key = afterKey(KnownKeys.url, at: &p)
            } else if starts(with: KnownKeys.metadata, at: p, w0, w1) {
                key = afterKey(KnownKeys.metadata, at: &p)
            } else {
                p = keyAndColonEnd(p)
                guard p >= 0 else { return false }
                key = keyWord(maxLength: KnownKeys.output.key.length)  // the longest key looked for here
            }
            guard p < end else { return fail(.unexpectedEnd, at: p) }
            switch key {
            case let k where k == KnownKeys.id.key:
                if base[p] == .quote {
                    guard scanString(&p) else { return false }
                    if stringEnd > stringStart {
                        row.id = .valid
                        row.fields.idStart = stringStart
                        row.fields.idLength = stringEnd &- stringStart
                        row.fields.idEscaped = stringEscaped
                    } else {
                        row.id = .invalid
                    }
                } else {
                    guard skipValue(&p, depth: 1) else { return false }
                    row.id = .invalid
                }
            case let k where k == KnownKeys.output.key:
                if names.count > namesStart { names.truncate(to: namesStart) }
                actions.removeAll()
                row.labelIgnored = 0
                row.actionIgnored = 0
                switch base[p] {
                case .openBrace:
                    p = decodeOutputEnd(p, names: names, namesStart: namesStart,
                                        labelIgnored: &row.labelIgnored, actionIgnored: &row.actionIgnored)
                    guard p >= 0 else { return false }
                    row.output = .object
                case .lowerN:
                    guard scanLiteral(&p) else { return false }
                    row.output = .null
                default:
                    guard skipValue(&p, depth: 1) else { return false }
                    row.output = .invalid
                }
            default:
                guard skipMember(&p, depth: 1) else { return false }
            }
            switch nextSeparator(&p, close: .closeBrace) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    /// The `output` object at `p`, at depth 2.
    /// Takes and returns the position by value (kept in a register): -1 on failure (recorded).
    private mutating func decodeOutputEnd(
        _ start: Int, names: RecordBuffer<NameRef>, namesStart: Int,
        labelIgnored: inout Int, actionIgnored: inout Int
    ) -> Int {
        var p = start
        return decodeOutputBody(&p, names: names, namesStart: namesStart, labelIgnored: &labelIgnored, actionIgnored: &actionIgnored) ? p : -1
    }

    @inline(__always)
    private mutating func decodeOutputBody(
        _ p: inout Int, names: RecordBuffer<NameRef>, namesStart: Int,
        labelIgnored: inout Int, actionIgnored: inout Int
    ) -> Bool {
        p &+= 1
        skipWhitespace(&p)
        if p < end && base[p] == .closeBrace {
            p &+= 1
            return true
        }
        while true {
            let w0 = word(at: p), w1 = word(at: p &+ 8)
            let key: (word: UInt64, length: Int)
            if starts(with: KnownKeys.labels, at: p, w0, w1) {
                key = afterKey(KnownKeys.labels, at: &p)
            } else if starts(with: KnownKeys.actions, at: p, w0, w1) {
                key = afterKey(KnownKeys.actions, at: &p)
            } else if starts(with: KnownKeys.fields, at: p, w0, w1) {
                key = afterKey(KnownKeys.fields, at: &p)
            } else {
                p = keyAndColonEnd(p)
                guard p >= 0 else { return false }
                key = keyWord(maxLength: KnownKeys.actions.key.length)  // the longest key looked for here
            }
            guard p < end else { return fail(.unexpectedEnd, at: p) }
            switch key {
            case let k where k == KnownKeys.labels.key:
                if names.count > namesStart { names.truncate(to: namesStart) }
                labelIgnored = 0
                p = decodeNameListEnd(p, into: names, labels: true, ignored: &labelIgnored)
                guard p >= 0 else { return false }
            case let k where k == KnownKeys.actions.key:
                actions.removeAll()
                actionIgnored = 0
                p = decodeNameListEnd(p, into: actions, labels: false, ignored: &actionIgnored)
                guard p >= 0 else { return false }
            default:
                guard skipMember(&p, depth: 2) else { return false }
            }
            switch nextSeparator(&p, close: .closeBrace) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    /// A `labels` or `actions` value at `p`: null (none), an array of names (depth 3), or anything
    /// else (ignored, counted once).
    /// Takes and returns the position by value (kept in a register): -1 on failure (recorded).
    private mutating func decodeNameListEnd(
        _ start: Int, into list: RecordBuffer<NameRef>, labels: Bool, ignored: inout Int
    ) -> Int {
        var p = start
        return decodeNameListBody(&p, into: list, labels: labels, ignored: &ignored) ? p : -1
    }

    @inline(__always)
    private mutating func decodeNameListBody(
        _ p: inout Int, into list: RecordBuffer<NameRef>, labels: Bool, ignored: inout Int
    ) -> Bool {
        switch base[p] {
        case .lowerN:
            return scanLiteral(&p)
        case .openBracket:
            break
        default:
            ignored &+= 1
            return skipValue(&p, depth: 2)
        }
        guard maxDepth >= 3 else { return fail(.tooDeep, at: p) }
        p &+= 1
        skipWhitespace(&p)
        if p < end && base[p] == .closeBracket {
            p &+= 1
            return true
        }
        while true {
            guard p < end else { return fail(.unexpectedEnd, at: p) }
            switch base[p] {
            case .quote:
                guard scanString(&p) else { return false }
                list.append(scannedName)
            case .openBrace:
                // The common compact label entry, `{"label":"…"}` or `{"label":"…","score":N}`,
                // read straight through; anything else from the start by the general parser.
                if labels {
                    let compact = compactLabelEntryEnd(p, into: list)
                    if compact >= 0 {
                        p = compact
                        break
                    }
                    if failure != nil { return false }
                }
                var name: NameRef?
                p = decodeEntryEnd(p, labels: labels, name: &name)
                guard p >= 0 else { return false }
                if let name { list.append(name) } else { ignored &+= 1 }
            default:
                guard skipValue(&p, depth: 3) else { return false }
                ignored &+= 1
            }
            switch nextSeparator(&p, close: .closeBracket) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    /// The label entry at `start` (a `{`) when it is exactly `{"label":"…"}` or
    /// `{"label":"…","score":N}`, with at most one space after each `:` and `,`: the position
    /// after it, with its name appended to `list`; -1 when it is not in that form (nothing
    /// recorded, the caller parses it in full), or -1 with `failure` set when its string or
    /// number is invalid (the general parser fails there the same way).
    @inline(__always)
    private mutating func compactLabelEntryEnd(_ start: Int, into list: RecordBuffer<NameRef>) -> Int {
        guard start &+ 11 <= end, word(at: start &+ 1) == KnownKeys.label.low else { return -1 }
        var q = start &+ 9
        if base[q] == .space { q &+= 1 }
        guard base[q] == .quote, scanString(&q) else { return -1 }
        let name = scannedName
        guard q &+ 1 < end else { return -1 }
        if base[q] == .closeBrace {
            list.append(name)
            return q &+ 1
        }
        guard base[q] == .comma else { return -1 }
        q &+= 1
        if base[q] == .space { q &+= 1 }
        guard q &+ 10 <= end, word(at: q) == KnownKeys.score.low else { return -1 }
        q &+= 8
        if base[q] == .space { q &+= 1 }
        guard base[q].isDigit || base[q] == .minus else { return -1 }
        let after = numberEnd(q)
        guard after >= 0, after < end, base[after] == .closeBrace else { return -1 }
        list.append(name)
        return after &+ 1
    }

    /// An entry object at `start` (depth 4). `name` is its last `label`/`action` key's value when that
    /// value is a string.
    /// Takes and returns the position by value (kept in a register): -1 on failure (recorded).
    private mutating func decodeEntryEnd(
        _ start: Int, labels: Bool, name: inout NameRef?
    ) -> Int {
        var p = start
        return decodeEntryBody(&p, labels: labels, name: &name) ? p : -1
    }

    @inline(__always)
    private mutating func decodeEntryBody(
        _ p: inout Int, labels: Bool, name: inout NameRef?
    ) -> Bool {
        // The key whose string value is the entry's name.
        let entryPattern = labels ? KnownKeys.label : KnownKeys.action
        p &+= 1
        skipWhitespace(&p)
        if p < end && base[p] == .closeBrace {
            p &+= 1
            return true
        }
        while true {
            let w0 = word(at: p), w1 = word(at: p &+ 8)
            let key: (word: UInt64, length: Int)
            if starts(with: entryPattern, at: p, w0, w1) {
                key = afterKey(entryPattern, at: &p)
            } else if starts(with: KnownKeys.score, at: p, w0, w1) {
                key = afterKey(KnownKeys.score, at: &p)
            } else if starts(with: KnownKeys.queue, at: p, w0, w1) {
                key = afterKey(KnownKeys.queue, at: &p)
            } else {
                p = keyAndColonEnd(p)
                guard p >= 0 else { return false }
                key = keyWord(maxLength: entryPattern.key.length)
            }
            guard p < end else { return fail(.unexpectedEnd, at: p) }
            if key == entryPattern.key {
                if base[p] == .quote {
                    guard scanString(&p) else { return false }
                    name = scannedName
                } else {
                    guard skipValue(&p, depth: 4) else { return false }
                    name = nil
                }
            } else {
                guard skipMember(&p, depth: 4) else { return false }
            }
            switch nextSeparator(&p, close: .closeBrace) {
            case .next: continue
            case .closed: return true
            case .invalid: return false
            }
        }
    }

    /// The last scanned string (a key), unescaped, packed little-endian into a word with its length;
    /// `(0, -1)` when it is longer than `maxLength` bytes and so cannot be a key the schema knows.
    @inline(__always)
    private mutating func keyWord(maxLength: Int) -> (word: UInt64, length: Int) {
        let length = stringEnd &- stringStart
        if !stringEscaped {
            guard length <= maxLength else { return (0, -1) }
            return (packedKey(stringStart, length), length)
        }
        return escapedKeyWord(maxLength: maxLength)
    }

    @inline(never)
    private mutating func escapedKeyWord(maxLength: Int) -> (word: UInt64, length: Int) {
        keyScratch.removeAll(keepingCapacity: true)
        JSONUnescape.append(UnsafeRawBufferPointer(start: base + stringStart, count: stringEnd - stringStart),
                            to: &keyScratch)
        guard keyScratch.count <= maxLength else { return (0, -1) }
        var word: UInt64 = 0
        for (i, b) in keyScratch.enumerated() { word |= UInt64(b) << UInt64(i * 8) }
        return (word, keyScratch.count)
    }
}
