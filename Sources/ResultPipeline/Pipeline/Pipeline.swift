// Runs inputs through framing, decoding and sinks: one reader (the calling thread), N decode
// workers, and a fixed pool of chunks that bounds memory and applies backpressure. Sinks see
// batches in input order through `Committer`, so line numbers and outputs stay exact whatever the
// thread count.

import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a run reads and decodes.
public struct PipelineOptions: Sendable {
    /// Decode workers. Defaults to the number of online cores.
    public var threads: Int = PipelineOptions.onlineCores
    /// Size of each chunk's buffer; a longer line grows its chunk.
    public var chunkSize: Int = 4 << 20
    /// Lines longer than this many bytes (without terminator) are rejected as "line too long".
    public var maxLineBytes: Int = 64 << 20
    /// Containers may nest this deep (at least 4).
    public var maxDepth: Int = RowDecoder.defaultMaxDepth
    /// Spool over-long lines to a temporary file so rejects keep their bytes.
    public var keepsLongLines: Bool = true
    /// Decompress zstd and gzip inputs, recognised by their first bytes.
    public var detectsCompression: Bool = true
    /// Read plain regular files through a memory mapping instead of read(2).
    public var mapsFiles: Bool = true
    /// Counters updated as chunks are committed, for progress displays.
    public var progress: PipelineProgress?

    public init() {}

    /// Cores online now, at least 1.
    public static var onlineCores: Int {
        max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }
}

extension PipelineOptions {
    /// How to cut one opened input into chunks: a mapping for a plain regular file, else reads
    /// (through a decompressor when the first bytes say so).
    func chunkProducer(for source: any ByteSource, name: String) throws -> any ChunkProducer {
        if mapsFiles, let file = source as? FileDescriptorSource, let mapped = MappedInput(descriptor: file.descriptor) {
            let prefix = UnsafeRawBufferPointer(start: mapped.base, count: min(4, mapped.size))
            if !detectsCompression || CompressionFormat.detect(prefix) == .none {
                return MappedSplitter(input: mapped, source: source, chunkSize: chunkSize, maxLineBytes: maxLineBytes)
            }
        }
        var source = source
        if detectsCompression {
            let (replay, format) = try Decompression.peek(source)
            if format == .zstd {
                // Decoded straight into the memory the chunks point into.
                return ZstdSegmentSplitter(blocks: try ZstdBlocks(replay, name: name), chunkSize: chunkSize,
                                           maxLineBytes: maxLineBytes, keepsLongLines: keepsLongLines,
                                           segmentLimit: chunkPoolSize + 2)
            }
            source = try Decompression.decompressing(replay, format: format, name: name)
        }
        return LineSplitter(source: source, chunkSize: chunkSize, maxLineBytes: maxLineBytes, keepsLongLines: keepsLongLines)
    }

    /// Chunks in a run's pool: two per worker, so that each has the next one ready, and two for
    /// the reader and the committer.
    var chunkPoolSize: Int { threads * 2 + 2 }
}

/// Live counters of a run, safe to read from any thread.
public final class PipelineProgress: Sendable {
    let bytesCounter = AtomicCounter()
    let rowsCounter = AtomicCounter()

    public init() {}
    /// Input bytes read so far.
    public var bytesRead: Int { bytesCounter.current }
    /// Rows handed to sinks so far.
    public var rows: Int { rowsCounter.current }
}

/// The accounting of a run. `lines == rows + blank + rejected` always holds.
public struct RunSummary: Sendable, Equatable {
    /// Every line of every input.
    public var lines = 0
    /// Accepted rows.
    public var rows = 0
    /// Empty lines and lines of only spaces, tabs and `\r`.
    public var blank = 0
    /// Rejected lines.
    public var rejected = 0
    /// Rows whose `output` was null or missing.
    public var nullOutput = 0
    /// `labels`/`actions` entries (or values) that named nothing.
    public var ignoredEntries = 0
    /// Bytes read from the inputs (after decompression).
    public var bytes = 0
    /// Inputs read.
    public var inputs = 0
    /// Wall time of the run.
    public var seconds = 0.0

    public init() {}

    /// Adds another run's counts (used to combine runs).
    public mutating func add(_ other: RunSummary) {
        lines += other.lines
        rows += other.rows
        blank += other.blank
        rejected += other.rejected
        nullOutput += other.nullOutput
        ignoredEntries += other.ignoredEntries
        bytes += other.bytes
        inputs += other.inputs
        seconds += other.seconds
    }
}

/// Streams inputs through the decoder into sinks.
///
/// ```swift
/// let labels = LabelCountsSink()
/// let summary = try Pipeline().run([.path("results.jsonl")], sinks: [labels])
/// print(summary.rows, labels.counts.labels.sorted().prefix(5))
/// ```
public struct Pipeline: Sendable {
    public var options: PipelineOptions

    public init(options: PipelineOptions = PipelineOptions()) {
        precondition(options.threads >= 1 && options.chunkSize >= 1 && options.maxLineBytes >= 0)
        precondition(options.maxLineBytes < Int(Int32.max) / 2, "maxLineBytes must fit chunk positions")
        self.options = options
    }

    /// Reads `inputs` in order, once, and hands every batch to every sink. Throws the first error
    /// of any stage; then every sink's `abort()` has run and no output is published.
    public func run(_ inputs: [Input], sinks: [any Sink]) throws -> RunSummary {
        let started = ContinuousClock.now
        let workerCount = options.threads
        let free = BlockingQueue<Chunk>()
        for _ in 0 ..< options.chunkPoolSize {
            let chunk = Chunk(capacity: options.chunkSize)
            chunk.sinkOutputs = Array(repeating: [], count: sinks.count)
            free.push(chunk)
        }
        let work = BlockingQueue<Chunk?>()
        let latch = FailureLatch()
        let yieldToReader = Atomic<Bool>(false)
        let names = inputs.map(\.name)
        let committer = Committer(sinks: SinkList(sinks), inputNames: names, free: free, latch: latch,
                                  progress: options.progress)
        let finished = DispatchGroup()
        let makeWorker = {
            var parts: [(Int, any SinkWorker)] = []
            for (i, sink) in sinks.enumerated() {
                if let part = sink.makeWorker() { parts.append((i, part)) }
            }
            return DecodeWorker(parts: parts, inputNames: names, work: work, committer: committer,
                                latch: latch, maxDepth: self.options.maxDepth, maxLineBytes: self.options.maxLineBytes)
        }

        // The first input is opened before the workers start: it decides how the cores are shared.
        var first: Result<any ChunkProducer, any Error>?
        if let input = inputs.first {
            first = Result { try options.chunkProducer(for: input.open(), name: input.name) }
        }
        // When making chunks is real work (decompressing, copying from a pipe) and the workers
        // would fill every core, the reader is the critical path and must not share a core with
        // them: one worker fewer runs, and the reader decodes a queued chunk itself whenever no
        // chunk is free (the workers are behind). Measured on two cores, labels over a .zst:
        // 0.965 s with two workers niced by 5, 0.85 s this way (`zstd -dc` 0.90 s); niced by 15
        // the workers were as fast alone but starved beside any busy process.
        let readerBusy = (try? first?.get().readerIsBusy) ?? false
        let readerHelps = readerBusy && workerCount >= PipelineOptions.onlineCores
        let threadCount = readerHelps ? max(1, workerCount - 1) : workerCount
        for _ in 0 ..< threadCount {
            let worker = makeWorker()
            finished.enter()
            let thread = Thread {
                worker.run(yieldToReader: yieldToReader)
                finished.leave()
            }
            thread.name = "skresults-decode"
            thread.start()
        }
        let helper = readerHelps ? makeWorker() : nil
        /// A free chunk; while none is, the reader decodes queued ones.
        func takeFree() -> Chunk {
            guard let helper else { return free.pop() }
            while true {
                if let chunk = free.tryPop() { return chunk }
                guard let queued = work.tryPop(), let chunk = queued else { return free.pop() }
                helper.process(chunk)
            }
        }

        var bytes = 0
        var opened = 0
        var sequence = 0
        read: for (index, input) in inputs.enumerated() {
            if latch.hasFailed { break }
            var splitter: any ChunkProducer
            do {
                if index == 0, let first {
                    splitter = try first.get()
                } else {
                    splitter = try options.chunkProducer(for: input.open(), name: input.name)
                }
            } catch {
                latch.record(error)
                break
            }
            opened += 1
            if splitter.readerIsBusy && threadCount >= PipelineOptions.onlineCores {
                // A later input needs the reader to work while the workers fill every core: with
                // equal shares it would get only cores / (workers + 1) of one (measured: labels
                // over a .zst, 1.23-1.28 s -> 1.12-1.14 s with the workers niced by 5).
                yieldToReader.store(true, ordering: .relaxed)
            }
            var before: Int64 = 0
            while !latch.hasFailed {
                let chunk = takeFree()
                let more: Bool
                do {
                    more = try splitter.nextChunk(into: chunk)
                } catch {
                    latch.record(error)
                    free.push(chunk)
                    break read
                }
                options.progress?.bytesCounter.add(Int(splitter.streamOffset - before))
                before = splitter.streamOffset
                if !more {
                    free.push(chunk)
                    break
                }
                chunk.input = index
                chunk.sequence = sequence
                sequence += 1
                work.push(chunk)
            }
            bytes += Int(splitter.streamOffset)
            do { try splitter.close() } catch { latch.record(error) }
        }
        if let helper {
            // What is queued is decoded on both sides of the split.
            while let queued = work.tryPop(), let chunk = queued { helper.process(chunk) }
        }
        for _ in 0 ..< threadCount { work.push(nil) }
        finished.wait()

        if let error = latch.firstError {
            for sink in sinks { sink.abort() }
            throw error
        }
        do {
            // All-or-nothing: every output is complete on disk before any takes its final name.
            for sink in sinks { try sink.finish() }
            for sink in sinks { try sink.publish() }
        } catch {
            for sink in sinks { sink.abort() }
            throw error
        }
        var summary = committer.summary
        summary.bytes = bytes
        summary.inputs = opened
        let elapsed = ContinuousClock.now - started
        summary.seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }
}

/// The sinks of a run, shared by the workers and the committer.
struct SinkList: @unchecked Sendable {
    // safe to send: `commit` calls are serialised by the committer, and each worker part is used by
    // one worker thread only; `makeWorker`, `finish` and `abort` run on the calling thread.
    let sinks: [any Sink]
    init(_ sinks: [any Sink]) { self.sinks = sinks }
}

/// One decode worker: takes chunks, decodes them, runs the sinks' worker parts, passes them on.
final class DecodeWorker: @unchecked Sendable {
    // safe to send: created on the calling thread, then used only by one thread: its own worker
    // thread, or the reader for the worker that helps it.
    private let inputNames: [String]
    private let work: BlockingQueue<Chunk?>
    private let committer: Committer
    private let latch: FailureLatch
    private var decoder: ChunkDecoder
    /// Parts that take their rows in slices during decoding; and those that get the whole batch.
    private let slices: [any RowSliceProcessor]
    private let batchParts: [(Int, any SinkWorker)]

    init(parts: [(Int, any SinkWorker)], inputNames: [String], work: BlockingQueue<Chunk?>, committer: Committer,
         latch: FailureLatch, maxDepth: Int, maxLineBytes: Int) {
        self.inputNames = inputNames
        self.work = work
        self.committer = committer
        self.latch = latch
        decoder = ChunkDecoder(maxDepth: maxDepth, maxLineBytes: maxLineBytes)
        slices = parts.compactMap { $0.1 as? any RowSliceProcessor }
        batchParts = parts.filter { ($0.1 as? any RowSliceProcessor)?.takesBatchAfterSlices ?? true }
    }

    func run(yieldToReader: borrowing Atomic<Bool>) {
        var yielded = false
        while let chunk = work.pop() {
            if !yielded && yieldToReader.load(ordering: .relaxed) {
                // One way: an unprivileged thread cannot raise its priority back. Linux applies
                // the nice value of `setpriority(PRIO_PROCESS, 0, …)` to the calling thread only.
                DecodeWorker.lowerPriority()
                yielded = true
            }
            process(chunk)
        }
    }

    /// Decodes `chunk`, runs the sinks' worker parts on it and hands it to the committer.
    func process(_ chunk: Chunk) {
        if !latch.hasFailed {
            decoder.decode(chunk, slices: slices)
            let batch = RowBatch(chunk: chunk, inputName: inputNames[chunk.input], firstLineNumber: 1, final: false)
            for (index, part) in batchParts {
                chunk.sinkOutputs[index].removeAll(keepingCapacity: true)
                do {
                    try part.process(batch, output: &chunk.sinkOutputs[index])
                } catch {
                    latch.record(error)
                    break
                }
            }
        }
        committer.submit(chunk)
    }
}

extension DecodeWorker {
    /// Niceness added to a worker thread while the reader is on the critical path.
    static let yieldNiceness: Int32 = 5

    static func lowerPriority() {
        #if os(Linux)
        errno = 0
        let current = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        if errno == 0 {
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, min(19, current + yieldNiceness))
        }
        #endif
    }
}

/// Hands decoded chunks to the sinks strictly in input order, then returns them to the pool.
/// Whichever worker finishes the next chunk in order becomes the committer until it runs out of
/// ready chunks, so no thread sits idle waiting to commit.
final class Committer: @unchecked Sendable {
    // safe to send: `summary` and `lineBase` are touched only by the active committer; `active`
    // passes that role between threads under `state`'s lock, which orders the accesses.
    private struct State {
        var pending: [Int: Chunk] = [:]
        var next = 0
        var active = false
    }
    private let state = Mutex<State>(State())
    private let sinks: SinkList
    private let inputNames: [String]
    private let free: BlockingQueue<Chunk>
    private let latch: FailureLatch
    private let progress: PipelineProgress?
    private var lineBase = 0
    private(set) var summary = RunSummary()

    init(sinks: SinkList, inputNames: [String], free: BlockingQueue<Chunk>, latch: FailureLatch,
         progress: PipelineProgress?) {
        self.sinks = sinks
        self.inputNames = inputNames
        self.free = free
        self.latch = latch
        self.progress = progress
    }

    func submit(_ chunk: Chunk) {
        var current: Chunk? = state.withLock { s in
            s.pending[chunk.sequence] = chunk
            guard !s.active, let ready = s.pending.removeValue(forKey: s.next) else { return nil }
            s.active = true
            return ready
        }
        while let chunk = current {
            commit(chunk)
            chunk.releaseBorrowed()
            free.push(chunk)
            current = state.withLock { s in
                s.next += 1
                if let ready = s.pending.removeValue(forKey: s.next) { return ready }
                s.active = false
                return nil
            }
        }
    }

    private func commit(_ chunk: Chunk) {
        guard !latch.hasFailed else { return }
        if chunk.startsInput { lineBase = 0 }
        let decoded = chunk.decoded
        summary.lines += decoded.lineCount
        summary.rows += decoded.rows.count
        summary.blank += decoded.blankCount
        summary.rejected += decoded.rejects.count
        summary.nullOutput += decoded.nullOutputCount
        summary.ignoredEntries += decoded.ignoredEntryCount
        let batch = RowBatch(chunk: chunk, inputName: inputNames[chunk.input], firstLineNumber: lineBase + 1,
                             final: true)
        for (index, sink) in sinks.sinks.enumerated() {
            do {
                try chunk.sinkOutputs[index].withUnsafeBytes { try sink.commit(batch, workerOutput: $0) }
            } catch {
                latch.record(error)
                return
            }
        }
        lineBase += decoded.lineCount
        progress?.rowsCounter.add(decoded.rows.count)
    }
}
