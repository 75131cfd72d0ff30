// Joins every accepted result row to the user's original record by id, in input order:
// `{"id":…,"result":<row verbatim>,"source":<record or null>}` per row. Lookups and output lines
// are built on the decode workers; the ordered part appends them and keeps the match accounting.

/// Counts of a join run.
public struct JoinStats: Sendable, Equatable {
    /// Result rows that found their source record.
    public var matched = 0
    /// Result rows with no source record.
    public var unmatchedResults = 0
    /// Source records no result row matched.
    public var unmatchedSources = 0
    /// Source rows whose key repeated an earlier one (the later row wins).
    public var duplicateSourceKeys = 0
    /// Result rows whose id was already seen earlier in the run.
    public var duplicateResultIDs = 0
    /// Source rows that could not be keyed (invalid JSON, or no such key or column).
    public var invalidSourceRows = 0
}

/// Writes each accepted row joined with its source record, atomically.
public final class JoinSink: Sink {
    private final class Worker: SinkWorker {
        /// Per-chunk working arrays, kept across chunks for their capacity.
        struct Buffers {
            var hashes: [UInt64] = []
            var matches: [Int32] = []
            /// Unescaped ids; unescaped source keys met while probing; CSV values and fields of
            /// the records being appended.
            var id: [UInt8] = []
            var key: [UInt8] = []
            var record: [UInt8] = []
            var fields: [CSVField] = []
        }

        let index: SourceIndex
        var buffers = Buffers()
        /// Sum of the warm-up loads; kept so that they are not optimised away.
        var warmth: UInt64 = 0

        init(index: SourceIndex) { self.index = index }

        private static let idPrefix = Array(#"{"id":""#.utf8)
        private static let resultPrefix = Array(#"","result":"#.utf8)
        private static let sourcePrefix = Array(#","source":"#.utf8)
        private static let null = Array("null".utf8)
        private static let lineEnd = Array("}\n".utf8)

        func process(_ batch: RowBatch, output: inout [UInt8]) throws {
            // The buffers are worked on as a local: as stored properties of this class, every
            // access inside the row loops paid a dynamic exclusivity check.
            var b = Buffers()
            swap(&b, &buffers)
            defer { swap(&b, &buffers) }
            b.matches.removeAll(keepingCapacity: true)
            b.hashes.removeAll(keepingCapacity: true)
            var textBytes = 0
            batch.forEachRow { row in
                let id = row.id
                b.hashes.append(id.withUTF8(scratch: &b.id) { NameCounter.hash($0) })
                textBytes &+= id.rawBytes.count &+ row.raw.count &+ 160
            }
            // With headroom: an exact reservation would reallocate for nearly every chunk.
            if output.count &+ textBytes > output.capacity {
                output.reserveCapacity((output.count &+ textBytes) &* 5 / 4)
            }
            let index = self.index
            // Locals: read through the static accessors, each append retained the array.
            let idPrefix = Worker.idPrefix, resultPrefix = Worker.resultPrefix
            let sourcePrefix = Worker.sourcePrefix, null = Worker.null, lineEnd = Worker.lineEnd
            var warmth: UInt64 = 0
            b.hashes.withUnsafeBufferPointer { all in
                // Rows are joined a group behind the loads: while group g is joined, the loads
                // of group g + 2 are in flight (measured: one group ahead left part of the misses).
                let group = SourceIndex.warmGroup
                func warm(from start: Int) {
                    guard start < all.count else { return }
                    warmth &+= index.warm(UnsafeBufferPointer(rebasing: all[start..<min(all.count, start + group)]))
                }
                warm(from: 0)
                warm(from: group)
                var i = 0
                batch.forEachRow { row in
                    if i % group == 0 { warm(from: i + 2 * group) }
                    let id = row.id
                    let hash = all[i]
                    i += 1
                    let found = id.withUTF8(scratch: &b.id) { index.find($0, hash: hash, scratch: &b.key) }
                    b.matches.append(Int32(found ?? -1))
                    output.append(contentsOf: idPrefix)
                    output.append(contentsOf: id.rawBytes)
                    output.append(contentsOf: resultPrefix)
                    output.append(contentsOf: row.raw)
                    output.append(contentsOf: sourcePrefix)
                    if let found {
                        index.appendRecord(found, to: &output, scratch: &b.record, fields: &b.fields)
                    } else {
                        output.append(contentsOf: null)
                    }
                    output.append(contentsOf: lineEnd)
                }
            }
            self.warmth &+= warmth
            // Trailer for the ordered part: one entry index per row, then the text's length.
            let textLength = output.count
            b.matches.withUnsafeBytes { output.append(contentsOf: $0) }
            WorkerOutputTrailer.append(textLength, to: &output)
        }
    }

    private let index: SourceIndex
    private let file: AtomicOutputFile
    private let unmatchedFile: AtomicOutputFile?
    /// One bit per source entry: matched by some row.
    private var matchedBits: [UInt64]
    /// Ids of rows without a source, to spot repeats among them.
    private var unmatchedIDs = NameCounter()
    private var idScratch: [UInt8] = []
    public private(set) var stats = JoinStats()

    /// Indexes `source` (JSONL or CSV, plain or compressed) by `key`, and opens `joinedPath` (and
    /// `unmatchedSourcesPath`) for atomic writing.
    public init(source: String, format: SourceFormat? = nil, key: String = "id", joinedPath: String,
                unmatchedSourcesPath: String? = nil) throws {
        index = try SourceIndex(path: source, format: format ?? SourceFormat.guess(path: source), key: key)
        file = try AtomicOutputFile(path: joinedPath)
        do {
            unmatchedFile = try unmatchedSourcesPath.map { try AtomicOutputFile(path: $0) }
        } catch {
            file.abort()
            throw error
        }
        matchedBits = [UInt64](repeating: 0, count: (index.entryCount + 63) / 64)
        stats.duplicateSourceKeys = index.duplicateKeys
        stats.invalidSourceRows = index.invalidRows
    }

    public func makeWorker() -> (any SinkWorker)? { Worker(index: index) }

    public func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws {
        let count = batch.rowCount
        guard count > 0 else { return }
        let (body, textLength) = WorkerOutputTrailer.split(workerOutput)
        try file.write(UnsafeRawBufferPointer(rebasing: body[0..<textLength]))
        var i = 0
        batch.forEachRow { row in
            let match = Int(body.loadUnaligned(fromByteOffset: textLength + 4 * i, as: Int32.self))
            i += 1
            if match >= 0 {
                stats.matched += 1
                let bit: UInt64 = 1 << UInt64(match & 63)
                if matchedBits[match >> 6] & bit != 0 {
                    stats.duplicateResultIDs += 1
                } else {
                    matchedBits[match >> 6] |= bit
                }
            } else {
                stats.unmatchedResults += 1
                let id = row.id
                let seen = id.withUTF8(scratch: &idScratch) { unmatchedIDs.add($0) }
                if seen > 0 { stats.duplicateResultIDs += 1 }
            }
        }
    }

    public func finish() throws {
        var scratch: [UInt8] = []
        var fields: [CSVField] = []
        var line: [UInt8] = []
        stats.unmatchedSources = 0
        for entry in 0..<index.entryCount where matchedBits[entry >> 6] & (1 << UInt64(entry & 63)) == 0 {
            stats.unmatchedSources += 1
            if let unmatchedFile {
                line.removeAll(keepingCapacity: true)
                index.appendRecord(entry, to: &line, scratch: &scratch, fields: &fields)
                line.append(.newline)
                try unmatchedFile.write(line)
            }
        }
        try file.prepare()
        try unmatchedFile?.prepare()
    }

    public func publish() throws {
        try file.publish()
        try unmatchedFile?.publish()
    }

    public func abort() {
        file.abort()
        unmatchedFile?.abort()
    }
}
