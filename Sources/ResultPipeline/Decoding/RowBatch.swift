// A decoded chunk as sinks see it: its rows and rejected lines, in input order.

/// The rows and rejects of one line-aligned chunk, in input order.
///
/// Sinks receive batches twice: on a decode worker (`SinkWorker.process`), where batches of
/// different chunks are processed concurrently and line numbers count from the chunk's start,
/// and in input order (`Sink.commit`), where line numbers are final.
public struct RowBatch {
    let chunk: Chunk
    /// Name of the input the chunk comes from.
    public let inputName: String
    /// Index of that input in the run.
    public var inputIndex: Int { chunk.input }
    /// Line number of the chunk's first line.
    let firstLineNumber: Int
    /// True in `Sink.commit`; false on a worker, where `lineNumber`s are relative to the chunk.
    public let lineNumbersAreFinal: Bool

    init(chunk: Chunk, inputName: String, firstLineNumber: Int, final: Bool) {
        self.chunk = chunk
        self.inputName = inputName
        self.firstLineNumber = firstLineNumber
        self.lineNumbersAreFinal = final
    }

    /// Accepted rows in the batch.
    public var rowCount: Int { chunk.decoded.rows.count }
    /// Rejected lines in the batch.
    public var rejectCount: Int { chunk.decoded.rejects.count }
    /// Every line in the batch: rows, blank and rejected.
    public var lineCount: Int { chunk.decoded.lineCount }
    /// Whether this is the first batch of its input.
    public var startsInput: Bool { chunk.startsInput }

    /// Calls `body` with each row in order.
    public func forEachRow(_ body: (RowView) throws -> Void) rethrows {
        let base = UnsafePointer<UInt8>(chunk.storage.assumingMemoryBound(to: UInt8.self))
        let offset = Int(chunk.streamOffset)
        let first = firstLineNumber
        try chunk.decoded.names.withUnsafeBufferPointer { names in
            // An empty array may have no storage; no row then refers to a name.
            let namesBase = names.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<NameRef>.alignment)!
            try chunk.decoded.rows.withUnsafeBufferPointer { rows in
                for record in rows {
                    try body(RowView(base: base, record: record, names: namesBase,
                                     lineNumber: first + Int(record.lineIndex),
                                     offset: offset + Int(record.lineStart)))
                }
            }
        }
    }

    /// The chunk's bytes and its row records, for a sink's own loop over raw records.
    func withRowRecords<R>(_ body: (UnsafePointer<UInt8>, UnsafeBufferPointer<RowRecord>) throws -> R) rethrows -> R {
        let base = UnsafePointer<UInt8>(chunk.storage.assumingMemoryBound(to: UInt8.self))
        return try chunk.decoded.rows.withUnsafeBufferPointer { try body(base, $0) }
    }

    /// Calls `body` with each rejected line in order.
    public func forEachReject(_ body: (RejectedLine) throws -> Void) rethrows {
        let base = UnsafeRawPointer(chunk.storage)
        let offset = Int(chunk.streamOffset)
        for record in chunk.decoded.rejects {
            let line: RejectedLine
            if record.longLine >= 0 {
                let long = chunk.leadingLongLines[Int(record.longLine)]
                line = RejectedLine(lineNumber: firstLineNumber + Int(record.lineIndex), offset: Int(long.offset),
                                    rejection: record.rejection, length: Int(long.length),
                                    inChunk: long.mapped, spool: long.spool)
            } else {
                line = RejectedLine(lineNumber: firstLineNumber + Int(record.lineIndex),
                                    offset: offset + Int(record.lineStart),
                                    rejection: record.rejection, length: Int(record.lineLength),
                                    inChunk: UnsafeRawBufferPointer(start: base + Int(record.lineStart),
                                                                    count: Int(record.lineLength)),
                                    spool: nil)
            }
            try body(line)
        }
    }
}
