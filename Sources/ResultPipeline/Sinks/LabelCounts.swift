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

    init(labels: NameCounter, actions: NameCounter) {
        self.labels = labels
        self.actions = actions
    }

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
        scratch.withUnsafeBytes { _ = counter.add($0) }
    }
}

/// Counts labels and actions on every worker and merges the tables at the end.
public final class LabelCountsSink: Sink {
    /// Walks the chunk's name records directly: no `RowView`s, no closures per row.
    private final class Worker: SinkWorker, RowSliceProcessor {
        let labels = NameTable()
        let actions = NameTable()
        var scratch: [UInt8] = []
        var takesBatchAfterSlices: Bool { false }

        func process(_ batch: RowBatch, output: inout [UInt8]) throws {
            let base = UnsafeRawPointer(batch.chunk.storage)
            batch.chunk.decoded.rows.withUnsafeBufferPointer { rows in
                batch.chunk.decoded.names.withUnsafeBufferPointer { names in
                    process(rows: rows, names: names, base: base)
                }
            }
        }

        /// The decode worker hands the rows over in slices while their bytes are still in the
        /// core's cache (after a whole 4 MiB chunk they are not: reading each name cost a miss).
        func process(rows: UnsafeBufferPointer<RowRecord>, names: UnsafeBufferPointer<NameRef>, base: UnsafeRawPointer) {
            for row in rows {
                var i = Int(row.namesStart)
                let labelsEnd = i &+ Int(row.labelCount)
                let actionsEnd = labelsEnd &+ Int(row.actionCount)
                while i < labelsEnd {
                    count(names[i], base: base, into: labels)
                    i &+= 1
                }
                while i < actionsEnd {
                    count(names[i], base: base, into: actions)
                    i &+= 1
                }
            }
        }

        @inline(__always)
        private func count(_ name: NameRef, base: UnsafeRawPointer, into table: NameTable) {
            let raw = base + Int(name.start)
            if !name.escaped {
                table.add(raw, Int(name.length))
                return
            }
            let view = JSONStringView(rawBytes: UnsafeRawBufferPointer(start: raw, count: Int(name.length)), isEscaped: true)
            view.withUTF8(scratch: &scratch) { table.add($0.baseAddress ?? base, $0.count) }
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
        var labels = NameCounter()
        var actions = NameCounter()
        for worker in workers {
            worker.labels.drain(into: &labels)
            worker.actions.drain(into: &actions)
        }
        counts.merge(LabelCounts(labels: labels, actions: actions))
        workers.removeAll()
    }
}
