// The public, read-only face of decoded rows: borrowed views into a chunk's bytes. A view is valid
// only inside the callback that receives it; copy out (`string`, `Array(raw)`) to keep anything.

/// A JSON string's bytes, as they appear between the quotes.
public struct JSONStringView {
    /// The raw bytes between the quotes, escapes still in place.
    public let rawBytes: UnsafeRawBufferPointer
    /// Whether `rawBytes` holds at least one backslash escape.
    public let isEscaped: Bool

    /// Calls `body` with the string's UTF-8 bytes: the raw bytes when there is no escape, else an
    /// unescaped copy.
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var scratch: [UInt8] = []
        return try withUTF8(scratch: &scratch, body)
    }

    /// `withUTF8`, unescaping into `scratch` (kept by the caller, so a loop allocates nothing).
    func withUTF8<R>(scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if !isEscaped { return try body(rawBytes) }
        scratch.removeAll(keepingCapacity: true)
        JSONUnescape.append(rawBytes, to: &scratch)
        return try scratch.withUnsafeBytes(body)
    }

    /// The unescaped string; allocates.
    public var string: String {
        withUTF8 { String(decoding: $0, as: UTF8.self) }
    }
}

/// The label or action names of one row, in input order.
public struct NameList: RandomAccessCollection {
    let base: UnsafePointer<UInt8>
    let names: UnsafePointer<NameRef>
    public let startIndex = 0
    public let endIndex: Int

    public subscript(position: Int) -> JSONStringView {
        precondition(position >= 0 && position < endIndex, "name index out of range")
        let name = names[position]
        return JSONStringView(
            rawBytes: UnsafeRawBufferPointer(start: base + Int(name.start), count: Int(name.length)),
            isEscaped: name.escaped)
    }
}

/// One accepted row, borrowed from the chunk it was decoded in.
public struct RowView {
    let base: UnsafePointer<UInt8>
    let record: RowRecord
    let names: UnsafePointer<NameRef>
    /// 1-based line number within its input (see `RowBatch.lineNumbersAreFinal`).
    public let lineNumber: Int
    /// Byte offset of the line's first byte in its (decompressed) input stream.
    public let offset: Int

    /// The row's `id`, a non-empty string.
    public var id: JSONStringView { record.id(in: base) }

    /// Whether `output` was an object, null or missing.
    public var output: OutputState { record.output }

    /// Label names from `output.labels`.
    public var labels: NameList {
        NameList(base: base, names: names + Int(record.namesStart), endIndex: Int(record.labelCount))
    }

    /// Action names from `output.actions`.
    public var actions: NameList {
        NameList(base: base, names: names + Int(record.namesStart) + Int(record.labelCount),
                 endIndex: Int(record.actionCount))
    }

    /// The line's bytes, without its terminator.
    public var raw: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + Int(record.lineStart), count: Int(record.lineLength))
    }
}

/// One rejected line.
public struct RejectedLine {
    /// 1-based line number within its input (see `RowBatch.lineNumbersAreFinal`).
    public let lineNumber: Int
    /// Byte offset of the line's first byte in its (decompressed) input stream.
    public let offset: Int
    /// Why it was rejected.
    public let rejection: Rejection
    /// The line's length in bytes, without its terminator.
    public let length: Int
    /// The bytes in the chunk, or in a mapped input.
    let inChunk: UnsafeRawBufferPointer?
    let spool: SpoolFile?

    /// Whether the line's bytes can be read back: always, except for an over-long line when the
    /// run was not asked to keep rejects.
    public var hasBytes: Bool { inChunk != nil || spool != nil }

    /// Calls `body` with the line's bytes, in one piece or (for an over-long line) several.
    public func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if let inChunk {
            // A mapped over-long line is handed out a MiB at a time, like a spooled one.
            var offset = 0
            repeat {
                let n = min(1 << 20, inChunk.count - offset)
                try body(UnsafeRawBufferPointer(rebasing: inChunk[offset..<offset + n]))
                offset += n
            } while offset < inChunk.count
            return
        }
        try spool?.forEachPiece(body)
    }
}

extension RowRecord {
    /// The row's `id`, in the chunk whose bytes start at `base`.
    @inline(__always)
    func id(in base: UnsafePointer<UInt8>) -> JSONStringView {
        JSONStringView(rawBytes: UnsafeRawBufferPointer(start: base + Int(idStart), count: Int(idLength)),
                       isEscaped: idEscaped)
    }
}
