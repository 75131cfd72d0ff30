// The decoder's findings for one chunk, as flat arrays of fixed-size records that refer to the
// chunk's bytes. The arrays keep their capacity across chunks, so decoding allocates nothing per row.

/// The state of a row's `output` field.
public enum OutputState: UInt8, Sendable, Equatable {
    /// `output` is an object; its labels and actions were read.
    case object
    /// `output` is `null`.
    case null
    /// There is no `output` key.
    case missing
}

/// A label or action name: a string's bytes between its quotes, within the chunk.
struct NameRef {
    var start: Int32
    var length: Int32
    /// The raw bytes hold at least one backslash escape.
    var escaped: Bool
}

/// One accepted row. Positions are indexes into the chunk's storage.
struct RowRecord {
    var lineStart: Int32
    var lineLength: Int32
    /// Index of the line within the chunk, counting every line.
    var lineIndex: Int32
    var idStart: Int32
    var idLength: Int32
    /// This row's labels are `names[namesStart ..< namesStart + labelCount]`; its actions follow.
    var namesStart: Int32
    var labelCount: Int32
    var actionCount: Int32
    var output: OutputState
    var idEscaped: Bool
}

/// One rejected line.
struct RejectRecord {
    var lineIndex: Int32
    /// Position in the chunk's storage; unused for a long line.
    var lineStart: Int32
    var lineLength: Int32
    /// Index into the chunk's `leadingLongLines`, or -1.
    var longLine: Int32
    var rejection: Rejection
}

/// Everything a worker learned about one chunk.
struct DecodedChunk {
    let rows = RecordBuffer<RowRecord>(capacity: 1024)
    let names = RecordBuffer<NameRef>(capacity: 1024)
    var rejects: [RejectRecord] = []
    var lineCount = 0
    var blankCount = 0
    var nullOutputCount = 0
    var ignoredEntryCount = 0

    /// Stands in a chunk while its own findings are being filled.
    // safe: never written; workers only move it between a local and their own chunk.
    nonisolated(unsafe) static let placeholder = DecodedChunk()

    mutating func reset() {
        rows.removeAll()
        names.removeAll()
        rejects.removeAll(keepingCapacity: true)
        lineCount = 0
        blankCount = 0
        nullOutputCount = 0
        ignoredEntryCount = 0
    }
}
