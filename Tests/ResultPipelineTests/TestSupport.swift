// Helpers shared by the suites: run bytes through the real pipeline and collect what sinks saw.

@testable import ResultPipeline

struct SeenRow: Equatable {
    var line: Int
    var offset: Int
    var id: String
    var output: OutputState
    var labels: [String]
    var actions: [String]
    var raw: [UInt8]
}

struct SeenReject: Equatable {
    var line: Int
    var offset: Int
    var reason: RejectReason
    var raw: [UInt8]
}

struct Collected: Equatable {
    var summary: RunSummary
    var rows: [SeenRow]
    var rejects: [SeenReject]
    var labels: [String: Int]
    var actions: [String: Int]

    /// Everything but timing, for comparing runs with different settings.
    var comparable: Collected {
        var copy = self
        copy.summary.seconds = 0
        return copy
    }
}

func collect(_ inputs: [Input], threads: Int = 1, chunkSize: Int = 1 << 16,
             maxLineBytes: Int = 64 << 20, maxDepth: Int = 512) throws -> Collected {
    var options = PipelineOptions()
    options.threads = threads
    options.chunkSize = chunkSize
    options.maxLineBytes = maxLineBytes
    options.maxDepth = maxDepth
    var rows: [SeenRow] = []
    var rejects: [SeenReject] = []
    let labels = LabelCountsSink()
    let callback = RowCallbackSink(onRow: { row in
        rows.append(SeenRow(line: row.lineNumber, offset: row.offset, id: row.id.string, output: row.output,
                            labels: row.labels.map(\.string), actions: row.actions.map(\.string),
                            raw: Array(row.raw)))
    }, onReject: { reject, _ in
        var raw: [UInt8] = []
        try reject.forEachPiece { raw.append(contentsOf: $0) }
        rejects.append(SeenReject(line: reject.lineNumber, offset: reject.offset,
                                  reason: reject.rejection.reason, raw: raw))
    })
    let summary = try Pipeline(options: options).run(inputs, sinks: [labels, callback])
    var labelCounts: [String: Int] = [:]
    for (name, count) in labels.counts.labels.sorted() { labelCounts[name] = count }
    var actionCounts: [String: Int] = [:]
    for (name, count) in labels.counts.actions.sorted() { actionCounts[name] = count }
    return Collected(summary: summary, rows: rows, rejects: rejects, labels: labelCounts, actions: actionCounts)
}

func collect(_ text: String, threads: Int = 1, chunkSize: Int = 1 << 16, maxReadSize: Int = .max,
             maxLineBytes: Int = 64 << 20) throws -> Collected {
    try collect(Array(text.utf8), threads: threads, chunkSize: chunkSize, maxReadSize: maxReadSize,
                maxLineBytes: maxLineBytes)
}

func collect(_ bytes: [UInt8], threads: Int = 1, chunkSize: Int = 1 << 16, maxReadSize: Int = .max,
             maxLineBytes: Int = 64 << 20) throws -> Collected {
    try collect([.bytes(bytes, maxReadSize: maxReadSize)], threads: threads, chunkSize: chunkSize,
                maxLineBytes: maxLineBytes)
}

/// Decodes a single line and returns the fields or the rejection.
func decodeOne(_ line: String, maxDepth: Int = 512) -> (Result<RowDecoder.Fields, Rejection>, [String]) {
    decodeOne(Array(line.utf8), maxDepth: maxDepth)
}

func decodeOne(_ line: [UInt8], maxDepth: Int = 512) -> (Result<RowDecoder.Fields, Rejection>, [String]) {
    var decoder = RowDecoder(maxDepth: maxDepth)
    let names = RecordBuffer<NameRef>()
    // Copy into storage with padding, as a chunk has.
    let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: line.count + 16)
    defer { storage.deallocate() }
    storage.initialize(repeating: 0, count: line.count + 16)
    for (i, b) in line.enumerated() { storage[i] = b }
    let result: Result<RowDecoder.Fields, Rejection> =
        decoder.decodeRow(base: storage, start: 0, end: line.count, names: names) ? .success(decoder.fields) : .failure(decoder.failure!)
    let strings = names.withUnsafeBufferPointer { Array($0) }.map { name -> String in
        var bytes: [UInt8] = []
        let raw = UnsafeRawBufferPointer(start: storage + Int(name.start), count: Int(name.length))
        if name.escaped { JSONUnescape.append(raw, to: &bytes) } else { bytes = Array(raw) }
        return String(decoding: bytes, as: UTF8.self)
    }
    return (result, strings)
}

/// A small seeded generator (a 64-bit LCG whose high bits are folded into the low ones), so
/// randomized tests repeat exactly.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 33)
    }
}
