// The dead-letter file: one JSON object per rejected line, with its input, line number, offset,
// reason and exact bytes (`raw`, or `raw_base64` when the bytes are not valid UTF-8).

/// Writes every rejected line to a JSONL file, atomically.
public final class RejectsSink: Sink {
    private let file: AtomicOutputFile
    private var line: [UInt8] = []
    /// Rejected lines written.
    public private(set) var count = 0

    /// Creates the temporary file beside `path`; it is renamed to `path` when the run finishes.
    public init(path: String) throws {
        file = try AtomicOutputFile(path: path)
    }

    /// The final path.
    public var path: String { file.path }

    public func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws {
        guard batch.rejectCount > 0 else { return }
        try batch.forEachReject { reject in
            try write(reject, inputName: batch.inputName)
        }
    }

    private func write(_ reject: RejectedLine, inputName: String) throws {
        line.removeAll(keepingCapacity: true)
        line.append(.openBrace)
        JSONText.appendKey("file", to: &line)
        JSONText.appendString(inputName, to: &line)
        line.append(.comma)
        JSONText.appendKey("line", to: &line)
        JSONText.appendInt(reject.lineNumber, to: &line)
        line.append(.comma)
        JSONText.appendKey("offset", to: &line)
        JSONText.appendInt(reject.offset, to: &line)
        line.append(.comma)
        JSONText.appendKey("reason", to: &line)
        JSONText.appendString(reject.rejection.message, to: &line)
        line.append(.comma)

        var utf8 = UTF8Check.Stream()
        try reject.forEachPiece { utf8.feed($0) }
        if utf8.finish() {
            JSONText.appendKey("raw", to: &line)
            line.append(.quote)
            try reject.forEachPiece { piece in
                JSONText.appendEscaped(piece, to: &line)
                try flushIfLarge()
            }
            line.append(.quote)
        } else {
            JSONText.appendKey("raw_base64", to: &line)
            line.append(.quote)
            var encoder = JSONText.Base64Encoder()
            try reject.forEachPiece { piece in
                encoder.append(piece, to: &line)
                try flushIfLarge()
            }
            encoder.finish(to: &line)
            line.append(.quote)
        }
        line.append(.closeBrace)
        line.append(.newline)
        try file.write(line)
        count += 1
    }

    /// Keeps a huge line from being held whole: flushes the partial JSON line to the file.
    private func flushIfLarge() throws {
        if line.count >= 1 << 20 {
            try file.write(line)
            line.removeAll(keepingCapacity: true)
        }
    }

    public func finish() throws { try file.prepare() }

    public func publish() throws { try file.publish() }

    public func abort() { file.abort() }
}
