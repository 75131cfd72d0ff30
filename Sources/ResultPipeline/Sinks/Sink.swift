// The contract between the pipeline and whatever consumes rows. A sink may split its work into a
// part that runs on every decode worker and a part that sees batches one at a time in input order.

/// A consumer of decoded rows.
///
/// The pipeline calls, in this order:
/// 1. `makeWorker()` once per decode worker, before the first batch;
/// 2. for every chunk: the worker part's `process(_:output:)` on a worker thread (chunks run
///    concurrently), then `commit(_:workerOutput:)` in input order, one call at a time;
/// 3. after the last batch of a successful run, `finish()` on every sink, then `publish()` on every
///    sink; after a failed run (or a failed `finish`), `abort()` on every sink.
///
/// Calls are per batch, never per row, so a sink's own loop over rows stays monomorphic.
public protocol Sink: AnyObject {
    /// Creates this sink's part for one decode worker, or nil when all its work is in `commit`.
    func makeWorker() -> (any SinkWorker)?
    /// Receives each batch in input order. `workerOutput` holds the bytes this sink's worker part
    /// wrote for this batch (empty without a worker part).
    func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws
    /// The run succeeded: merge worker state and complete outputs (flush, sync) without yet
    /// giving them their final names. Every write error should surface here.
    func finish() throws
    /// Every sink finished: give outputs their final names (rename). Should not fail but for the rename.
    func publish() throws
    /// The run failed: discard partial outputs. Must not throw.
    func abort()
}

extension Sink {
    public func makeWorker() -> (any SinkWorker)? { nil }
    public func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws {}
    public func finish() throws {}
    public func publish() throws {}
    public func abort() {}
}

/// The part of a sink that runs on one decode worker. Each instance is used by one thread only.
public protocol SinkWorker: AnyObject {
    /// Processes one batch. Bytes appended to `output` reach the sink's `commit` for this batch.
    func process(_ batch: RowBatch, output: inout [UInt8]) throws
}

/// A number a worker part appends after its bytes, for its ordered part to split off again: how
/// the built-in sinks pass a count along with what they wrote.
enum WorkerOutputTrailer {
    static func append(_ value: Int, to output: inout [UInt8]) {
        withUnsafeBytes(of: UInt64(value).littleEndian) { output.append(contentsOf: $0) }
    }

    /// The bytes before the trailer, and the trailer's value.
    static func split(_ output: UnsafeRawBufferPointer) -> (body: UnsafeRawBufferPointer, value: Int) {
        let bodyCount = output.count - 8
        let value = output.loadUnaligned(fromByteOffset: bodyCount, as: UInt64.self).littleEndian
        return (UnsafeRawBufferPointer(rebasing: output[0..<bodyCount]), Int(value))
    }
}

/// Calls a closure with every row, in input order, with final line numbers.
public final class RowCallbackSink: Sink {
    private let body: (RowView) throws -> Void
    private let rejectBody: ((RejectedLine, String) throws -> Void)?

    /// `onRow` gets each accepted row; `onReject`, when given, each rejected line and its input name.
    public init(onRow: @escaping (RowView) throws -> Void,
                onReject: ((RejectedLine, String) throws -> Void)? = nil) {
        self.body = onRow
        self.rejectBody = onReject
    }

    public func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws {
        if let rejectBody, batch.rejectCount > 0 {
            try batch.forEachReject { try rejectBody($0, batch.inputName) }
        }
        try batch.forEachRow(body)
    }
}
