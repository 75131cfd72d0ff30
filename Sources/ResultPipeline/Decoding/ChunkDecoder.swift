// Walks the lines of one chunk and decodes each: the per-row loop of a worker. Applies the line
// rules that need the whole line (terminator, blank, too long) before the JSON decoder sees it.

/// A sink's worker part that takes a chunk's rows in slices while the chunk is being decoded,
/// instead of (or before) the whole batch afterwards; for work that reads the rows' own bytes.
protocol RowSliceProcessor: AnyObject {
    /// `rows` are decoded rows of the chunk at `base`, in order; `names` are all the chunk's names so far.
    func process(rows: UnsafeBufferPointer<RowRecord>, names: UnsafeBufferPointer<NameRef>, base: UnsafeRawPointer)
    /// Whether the part also gets the whole batch (`SinkWorker.process`) after the slices: true
    /// for a part that only prepares in slices what it does with the batch.
    var takesBatchAfterSlices: Bool { get }
}

/// Decodes every line of a chunk into its `DecodedChunk`.
struct ChunkDecoder: ~Copyable {
    var rows: RowDecoder
    let maxLineBytes: Int

    init(maxDepth: Int, maxLineBytes: Int) {
        rows = RowDecoder(maxDepth: maxDepth)
        self.maxLineBytes = maxLineBytes
    }

    /// Input bytes decoded between two hand-overs to the slice processors: well within a core's
    /// cache, so the rows' bytes are still there when the processors read them.
    static let sliceBytes = 256 << 10

    mutating func decode(_ chunk: Chunk, slices: [any RowSliceProcessor] = []) {
        // The chunk's findings are filled as a local value (a chunk's stored properties would
        // cost an exclusivity check per access); the placeholder holds its place meanwhile.
        var out = DecodedChunk.placeholder
        swap(&out, &chunk.decoded)
        out.reset()
        var lineIndex: Int32 = 0
        for (i, _) in chunk.leadingLongLines.enumerated() {
            out.rejects.append(RejectRecord(lineIndex: lineIndex, lineStart: 0, lineLength: 0,
                                            longLine: Int32(i), rejection: Rejection(reason: .lineTooLong)))
            lineIndex &+= 1
        }
        let base = UnsafePointer<UInt8>(chunk.storage.assumingMemoryBound(to: UInt8.self))
        let end = chunk.end
        var lineStart = chunk.start
        var sliceEnd = slices.isEmpty ? Int.max : lineStart &+ ChunkDecoder.sliceBytes
        var handedOver = 0
        while lineStart < end {
            let newline = ByteScan.firstIndex(of: .newline, in: chunk.storage, from: lineStart, to: end) ?? end
            var lineEnd = newline
            // One `\r` directly before the `\n` belongs to the terminator.
            if newline < end && lineEnd > lineStart && base[lineEnd &- 1] == .carriageReturn { lineEnd &-= 1 }
            decodeLine(base: base, start: lineStart, end: lineEnd, index: lineIndex, into: &out)
            lineIndex &+= 1
            lineStart = newline &+ 1
            if lineStart >= sliceEnd {
                handedOver = handOver(out, from: handedOver, to: slices, base: base)
                sliceEnd = lineStart &+ ChunkDecoder.sliceBytes
            }
        }
        if !slices.isEmpty { _ = handOver(out, from: handedOver, to: slices, base: base) }
        out.lineCount = Int(lineIndex)
        swap(&out, &chunk.decoded)
    }

    /// Gives the rows decoded since row `from` to every processor; returns the new row count.
    private func handOver(_ out: borrowing DecodedChunk, from: Int, to slices: [any RowSliceProcessor],
                          base: UnsafePointer<UInt8>) -> Int {
        out.rows.withUnsafeBufferPointer { rows in
            out.names.withUnsafeBufferPointer { names in
                let slice = UnsafeBufferPointer(rebasing: rows[from...])
                for processor in slices { processor.process(rows: slice, names: names, base: UnsafeRawPointer(base)) }
            }
            return rows.count
        }
    }

    @inline(__always)
    private mutating func decodeLine(
        base: UnsafePointer<UInt8>, start: Int, end: Int, index: Int32, into out: inout DecodedChunk
    ) {
        // Blank: empty, or only spaces, tabs and `\r`. A row starts with `{`, so test that first.
        if start == end || base[start] != .openBrace {
            var p = start
            while p < end && (base[p] == .space || base[p] == .tab || base[p] == .carriageReturn) { p &+= 1 }
            if p == end {
                out.blankCount &+= 1
                return
            }
        }
        if end &- start > maxLineBytes {
            out.rejects.append(RejectRecord(lineIndex: index, lineStart: Int32(start), lineLength: Int32(end &- start),
                                            longLine: -1, rejection: Rejection(reason: .lineTooLong)))
            return
        }
        let namesStart = out.names.count
        if rows.decodeRow(base: base, start: start, end: end, names: out.names) {
            let f = rows.fields
            out.rows.append(RowRecord(
                lineStart: Int32(start), lineLength: Int32(end &- start), lineIndex: index,
                idStart: Int32(f.idStart), idLength: Int32(f.idLength), namesStart: Int32(namesStart),
                labelCount: Int32(f.labelCount), actionCount: Int32(f.actionCount),
                output: f.output, idEscaped: f.idEscaped))
            if f.output != .object { out.nullOutputCount &+= 1 }
            out.ignoredEntryCount &+= f.ignoredEntries
        } else {
            out.rejects.append(RejectRecord(lineIndex: index, lineStart: Int32(start), lineLength: Int32(end &- start),
                                            longLine: -1, rejection: rows.failure!))
        }
    }
}
