// Label and action occurrence counts: a reusable value, and the sink that fills one per worker
// and merges them when the run ends. Counting is associative, so per-worker tables merge exactly.

/// Occurrences of each label and action name.
public struct LabelCounts: Sendable {
    /// Label name → occurrences.
    public private(set) var labels = NameCounter()
    /// Action name → occurrences.
    public private(set) var actions = NameCounter()
    private var scratch: [UInt8] = []

    public init() {}

    /// Counts the labels and actions of one row.
    public mutating func add(_ row: RowView) {
        for name in row.labels { LabelCounts.add(name, to: &labels, scratch: &scratch) }
        for name in row.actions { LabelCounts.add(name, to: &actions, scratch: &scratch) }
    }

    /// Adds every count of `other`.
    public mutating func merge(_ other: LabelCounts) {
        labels.merge(other.labels)
        actions.merge(other.actions)
    }

    @inline(__always)
    private static func add(_ name: JSONStringView, to counter: inout NameCounter, scratch: inout [UInt8]) {
        if !name.isEscaped {
            counter.add(name.rawBytes)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        JSONUnescape.append(name.rawBytes, to: &scratch)
        scratch.withUnsafeBytes { counter.add($0) }
    }
}

/// Counts labels and actions on every worker and merges the tables at the end.
public final class LabelCountsSink: Sink {
    private final class Worker: SinkWorker {
        var counts = LabelCounts()
        func process(_ batch: RowBatch, output: inout [UInt8]) throws {
            var local = LabelCounts()
            swap(&local, &counts)
            batch.forEachRow { local.add($0) }
            swap(&local, &counts)
        }
    }

    private var workers: [Worker] = []
    /// The merged counts; complete after `finish()`.
    public private(set) var counts = LabelCounts()

    public init() {}

    public func makeWorker() -> (any SinkWorker)? {
        let worker = Worker()
        workers.append(worker)
        return worker
    }

    public func finish() throws {
        for worker in workers { counts.merge(worker.counts) }
        workers.removeAll()
    }
}
