// Joins every accepted result row to the user's original record by id, in input order:
// `{"id":…,"result":<row verbatim>,"source":<record or null>}` per row. Lookups and output lines
// are built on the decode workers; the ordered part appends them and keeps the match accounting.

import CPrefetch

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
    private final class Worker: SinkWorker, RowSliceProcessor {
        // Per-row records of the current chunk, kept across chunks for their capacity.
        /// The hash of each row's id, filled slice by slice as the decoder hands the rows over.
        let hashes = RecordBuffer<UInt64>(capacity: 1024)
        /// The source entry each row matched, or -1.
        let matches = RecordBuffer<Int32>(capacity: 1024)
        /// Per matched row: where its record lies in the source file, copied out of the entry
        /// while the lookup has it in cache (the append would miss on the entry again).
        let records = RecordBuffer<SourceIndex.Span>(capacity: 1024)

        /// Per-chunk scratch arrays, kept across chunks for their capacity.
        struct Buffers {
            /// Unescaped ids; unescaped source keys met while probing; CSV values and fields of
            /// the records being appended.
            var id: [UInt8] = []
            var key: [UInt8] = []
            var record: [UInt8] = []
            var fields: [CSVField] = []
        }

        let index: SourceIndex
        var buffers = Buffers()

        init(index: SourceIndex) { self.index = index }

        /// Rows' ids are hashed in slices during decoding, while their bytes are in the core's
        /// cache; the batch that follows looks them up.
        var takesBatchAfterSlices: Bool { true }

        func process(rows: UnsafeBufferPointer<RowRecord>, names: UnsafeBufferPointer<NameRef>, base: UnsafeRawPointer) {
            let first = self.hashes.count
            let hashes = self.hashes.resize(to: first + rows.count)
            var b = Buffers()
            swap(&b, &buffers)
            Worker.hashIDs(of: rows, base: base.assumingMemoryBound(to: UInt8.self), into: hashes + first, scratch: &b.id)
            swap(&b, &buffers)
        }

        /// Each row's id hashed (unescaped when it holds an escape) into `hashes`.
        private static func hashIDs(of rows: UnsafeBufferPointer<RowRecord>, base: UnsafePointer<UInt8>,
                                    into hashes: UnsafeMutablePointer<UInt64>, scratch: inout [UInt8]) {
            for (i, row) in rows.enumerated() {
                hashes[i] = row.id(in: base).withUTF8(scratch: &scratch) { NameCounter.hash($0) }
            }
        }

        /// Lookups run this many rows ahead of the row being joined, per step: the first slot is
        /// fetched 3 × this many rows ahead, the entry 2 ×, the source key 1 ×, so each step's
        /// cache miss has had the time of that many rows to arrive.
        static let prefetchDistance = 8

        func process(_ batch: RowBatch, output: inout [UInt8]) throws {
            // The buffers are worked on as a local: as stored properties of this class, every
            // access inside the row loops paid a dynamic exclusivity check.
            var b = Buffers()
            swap(&b, &buffers)
            defer { swap(&b, &buffers) }
            let count = batch.rowCount
            let matches = self.matches.resize(to: count)
            let records = self.records.resize(to: count)
            match(batch, into: matches, records: records, buffers: &b)
            switch index.format {
            case .jsonl: appendJSONLines(batch, matches: matches, records: records, to: &output)
            case .csv: appendLines(batch, matches: matches, to: &output, buffers: &b)
            }
            // Trailer for the ordered part: one entry index per row, then the text's length.
            let textLength = output.count
            output.append(contentsOf: UnsafeRawBufferPointer(start: matches, count: 4 * count))
            WorkerOutputTrailer.append(textLength, to: &output)
        }

        /// Finds each row's source entry. The memory accesses of a lookup (first slot, entry,
        /// source key) are each prefetched rows ahead of their use, so that the cache misses of
        /// many rows are in flight at once; loads alone could not do this, as a load must
        /// complete before the core retires it.
        private func match(_ batch: RowBatch, into matches: UnsafeMutablePointer<Int32>,
                           records: UnsafeMutablePointer<SourceIndex.Span>, buffers b: inout Buffers) {
            let lookup = index.lookup
            let index = self.index
            let hashBuffer = self.hashes
            defer { hashBuffer.removeAll() }
            batch.withRowRecords { base, rows in
                let count = rows.count
                // Hashed in slices during decoding; hashed here only if the slices did not come.
                let sliced = hashBuffer.count == count
                let hashes = hashBuffer.resize(to: count)
                if !sliced { Worker.hashIDs(of: rows, base: base, into: hashes, scratch: &b.id) }
                let distance = Worker.prefetchDistance
                for step in 0..<(count + 3 * distance) {
                    if step < count { skresults_prefetch(lookup.firstSlot(hashes[step])) }
                    let probing = step - distance
                    if probing >= 0 && probing < count {
                        let candidate = lookup.candidate(hashes[probing])
                        matches[probing] = Int32(truncatingIfNeeded: candidate)
                        if candidate >= 0 { skresults_prefetch(lookup.entries + candidate) }
                    }
                    let keyed = step - 2 * distance
                    if keyed >= 0 && keyed < count && matches[keyed] >= 0 {
                        skresults_prefetch(lookup.rawKey(lookup.entries[Int(matches[keyed])]))
                    }
                    let i = step - 3 * distance
                    guard i >= 0 else { continue }
                    let row = rows[i]
                    let candidate = Int(matches[i])
                    if candidate < 0 { continue }
                    let entry = lookup.entries[candidate]
                    if !row.idEscaped && !entry.keyNeedsDecoding {
                        if Int(entry.keyLength) == Int(row.idLength)
                            && sameBytes(lookup.rawKey(entry), base + Int(row.idStart), Int(row.idLength)) {
                            records[i] = entry.record
                            continue
                        }
                    }
                    // Escapes on either side, or another key with the same tag: the full lookup.
                    let found = row.id(in: base).withUTF8(scratch: &b.id) {
                        index.find($0, hash: hashes[i], scratch: &b.key)
                    }
                    matches[i] = Int32(found ?? -1)
                    if let found { records[i] = lookup.entries[found].record }
                }
            }
        }

        // The constant pieces of a joined line, in static memory.
        private static let idPrefix: StaticString = #"{"id":""#
        private static let resultPrefix: StaticString = #"","result":"#
        private static let sourcePrefix: StaticString = #","source":"#
        private static let null: StaticString = "null"
        private static let lineEnd: StaticString = "}\n"

        /// Appends the joined lines of a JSONL source, whose records go out verbatim: the exact
        /// length is known up front, so the text is written straight into `output`'s storage.
        private func appendJSONLines(_ batch: RowBatch, matches: UnsafeMutablePointer<Int32>,
                                     records: UnsafeMutablePointer<SourceIndex.Span>, to output: inout [UInt8]) {
            let lookup = index.lookup
            let idPrefix = Worker.idPrefix.bytes, resultPrefix = Worker.resultPrefix.bytes
            let sourcePrefix = Worker.sourcePrefix.bytes, null = Worker.null.bytes, lineEnd = Worker.lineEnd.bytes
            let fixed = idPrefix.count + resultPrefix.count + sourcePrefix.count + lineEnd.count
            batch.withRowRecords { base, rows in
                guard !rows.isEmpty else { return }
                var length = 0
                for (i, row) in rows.enumerated() {
                    let source = matches[i] >= 0 ? records[i].count : null.count
                    length &+= fixed &+ Int(row.idLength) &+ Int(row.lineLength) &+ source
                }
                // Room for the trailer too, with headroom: an exact reservation would reallocate
                // for nearly every chunk.
                let needed = output.count &+ length &+ 4 &* rows.count &+ 8
                if needed > output.capacity { output.reserveCapacity(needed &* 5 / 4) }
                output.append(addingCapacity: length) { span in
                    span.withUnsafeMutableBufferPointer { buffer, initialized in
                        var out = UnsafeMutableRawPointer(buffer.baseAddress!)
                        @inline(__always) func put(_ bytes: UnsafeRawBufferPointer) {
                            out.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                            out += bytes.count
                        }
                        @inline(__always) func put(_ bytes: UnsafePointer<UInt8>, _ count: Int) {
                            out.copyMemory(from: bytes, byteCount: count)
                            out += count
                        }
                        let distance = Worker.prefetchDistance
                        for (i, row) in rows.enumerated() {
                            let ahead = i &+ distance
                            if ahead < rows.count && matches[ahead] >= 0 {
                                let record = records[ahead]
                                skresults_prefetch(lookup.file + record.start)
                                skresults_prefetch(lookup.file + record.start + record.count - 1)
                            }
                            put(idPrefix)
                            put(base + Int(row.idStart), Int(row.idLength))
                            put(resultPrefix)
                            put(base + Int(row.lineStart), Int(row.lineLength))
                            put(sourcePrefix)
                            if matches[i] >= 0 {
                                put(lookup.file + records[i].start, records[i].count)
                            } else {
                                put(null)
                            }
                            put(lineEnd)
                        }
                        initialized = length
                    }
                }
            }
        }

        /// Appends the joined lines of a CSV source, whose records are rewritten as JSON objects.
        private func appendLines(_ batch: RowBatch, matches: UnsafeMutablePointer<Int32>, to output: inout [UInt8],
                                 buffers b: inout Buffers) {
            let idPrefix = Worker.idPrefix.bytes, resultPrefix = Worker.resultPrefix.bytes
            let sourcePrefix = Worker.sourcePrefix.bytes, null = Worker.null.bytes, lineEnd = Worker.lineEnd.bytes
            var i = 0
            batch.forEachRow { row in
                let match = Int(matches[i])
                i += 1
                output.append(contentsOf: idPrefix)
                output.append(contentsOf: row.id.rawBytes)
                output.append(contentsOf: resultPrefix)
                output.append(contentsOf: row.raw)
                output.append(contentsOf: sourcePrefix)
                if match >= 0 {
                    index.appendRecord(match, to: &output, scratch: &b.record, fields: &b.fields)
                } else {
                    output.append(contentsOf: null)
                }
                output.append(contentsOf: lineEnd)
            }
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
        @inline(__always) func match(_ i: Int) -> Int {
            Int(body.loadUnaligned(fromByteOffset: textLength &+ 4 &* i, as: Int32.self))
        }
        // Worked on as locals: as stored properties, each access per row paid an exclusivity check.
        var stats = self.stats
        var bits: [UInt64] = []
        swap(&bits, &matchedBits)
        defer {
            swap(&bits, &matchedBits)
            self.stats = stats
        }
        var unmatched = 0
        bits.withUnsafeMutableBufferPointer { bits in
            for i in 0..<count {
                let match = match(i)
                guard match >= 0 else {
                    unmatched += 1
                    continue
                }
                let bit: UInt64 = 1 << UInt64(match & 63)
                if bits[match >> 6] & bit != 0 {
                    stats.duplicateResultIDs += 1
                } else {
                    bits[match >> 6] |= bit
                }
            }
        }
        stats.matched += count - unmatched
        stats.unmatchedResults += unmatched
        guard unmatched > 0 else { return }
        var i = 0
        batch.forEachRow { row in
            defer { i += 1 }
            guard match(i) < 0 else { return }
            let seen = row.id.withUTF8(scratch: &idScratch) { unmatchedIDs.add($0) }
            if seen > 0 { stats.duplicateResultIDs += 1 }
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

extension StaticString {
    /// The literal's UTF-8 bytes, in static memory (the literals here are ASCII, never a single
    /// scalar, so they have a pointer representation).
    fileprivate var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: utf8Start, count: utf8CodeUnitCount) }
}
