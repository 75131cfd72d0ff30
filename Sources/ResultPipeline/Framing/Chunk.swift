// A line-aligned run of bytes from one input, plus everything the stages derive from it.
// Chunks come from a fixed pool and are reused, so a run's memory does not grow with its input.

/// A line that was longer than the maximum and so was never held in memory whole.
struct LongLine {
    /// Stream offset of its first byte.
    var offset: Int64
    /// Its length in bytes, without the line terminator.
    var length: Int64
    /// Its bytes, spooled to an unlinked temporary file when rejects are kept.
    var spool: SpoolFile?
    /// Its bytes in a mapped input.
    var mapped: UnsafeRawBufferPointer?
}

/// Memory that chunks point into instead of their own buffers: a mapped file, or a segment of
/// decompressed bytes.
protocol ChunkLender: AnyObject, Sendable {
    /// Called once for each chunk that borrowed `pointer[0..<count]`, after it was committed.
    func release(_ pointer: UnsafeMutableRawPointer, count: Int)
}

/// One line-aligned piece of an input.
///
/// Invariants: `start <= end <= capacity`; `storage[start..<end]` holds whole lines only (the last
/// may lack its `\n` only in the input's last chunk); `leadingLongLines` precede those bytes in the input.
/// A chunk is owned by exactly one stage at a time: the splitter fills it, one worker decodes it,
/// the committer hands it to the sinks, and it returns to the pool.
final class Chunk: @unchecked Sendable {
    // safe to send: ownership passes between threads only through the pipeline's locked queues.

    /// The bytes; `capacity` usable bytes plus `Chunk.padding` spare. Either the chunk's own
    /// buffer, or a window of memory lent by a mapped input or a decoded segment, which `lender`
    /// keeps alive.
    private(set) var storage: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private var ownStorage: UnsafeMutableRawPointer
    private var ownCapacity: Int
    /// What `storage` points into, when it is not the chunk's own buffer.
    private(set) var lender: (any ChunkLender)?
    /// First byte of line data (past a BOM at the start of an input).
    var start = 0
    /// One past the last byte of line data.
    var end = 0
    /// Stream offset of `storage[0]`.
    var streamOffset: Int64 = 0
    /// Index of the input the bytes come from.
    var input = 0
    /// Whether this is the first chunk of its input (line numbers restart).
    var startsInput = false
    /// Order of the chunk in the run.
    var sequence = 0
    /// Lines too long to buffer, which come before `storage[start..<end]`.
    var leadingLongLines: [LongLine] = []

    /// What the decoder found; filled by a worker.
    var decoded = DecodedChunk()
    /// One byte buffer per sink, written by the sink's worker part, read by its ordered part.
    var sinkOutputs: [[UInt8]] = []

    static let padding = 16

    /// A chunk holds about this many lines at most. Each row leaves a 40-byte record for the sinks
    /// until the chunk is committed, so at 40-byte rows a full 4 MiB chunk would carry as many
    /// bytes of records as of input, in every chunk of the pool.
    static let lineBudget = 32_768
    /// Bytes sampled to estimate the length of a line.
    static let sampleBytes = 16 << 10
    /// Chunks are not cut smaller than this for short lines (a file of blank lines would
    /// otherwise be cut into slivers; blank lines leave no records).
    static let smallestCut = 256 << 10

    /// The size to cut for a chunk whose lines look like those in `base[from..<to]` (its first
    /// `sampleBytes` are counted): `limit`, or less when lines are so short that `limit` bytes
    /// would hold more than `lineBudget` of them; never under `smallestCut`.
    static func size(forLinesIn base: UnsafeRawPointer, from: Int, to: Int, limit: Int) -> Int {
        guard limit > smallestCut else { return limit }
        let sampled = min(to - from, sampleBytes)
        let lines = ByteScan.count(of: .newline, in: base, from: from, to: from + sampled)
        guard lines > 0 else { return limit }
        return min(limit, max(smallestCut, sampled / lines * lineBudget))
    }

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.storage = .allocate(byteCount: capacity + Chunk.padding, alignment: 16)
        ownStorage = storage
        ownCapacity = capacity
    }

    deinit { ownStorage.deallocate() }

    /// Points the chunk at `count` bytes lent by `lender` instead of its own buffer. Readers may
    /// load up to `Chunk.padding` bytes past them, so the lender keeps that much readable.
    func borrow(_ base: UnsafeMutableRawPointer, count: Int, from lender: any ChunkLender) {
        storage = base
        capacity = count
        self.lender = lender
    }

    /// Gives borrowed bytes back to their lender (once the chunk is committed) and returns to the
    /// chunk's own buffer.
    func releaseBorrowed() {
        guard let lender else { return }
        lender.release(storage, count: end)
        returnToOwnStorage()
    }

    private func returnToOwnStorage() {
        storage = ownStorage
        capacity = ownCapacity
        lender = nil
    }

    /// Clears the framing fields for reuse; the storage stays.
    func resetFraming() {
        if lender != nil { returnToOwnStorage() }
        start = 0
        end = 0
        streamOffset = 0
        startsInput = false
        leadingLongLines.removeAll(keepingCapacity: true)
    }

    /// Replaces the storage by one of `newCapacity` bytes, keeping `storage[0..<end]`.
    func resize(to newCapacity: Int) {
        precondition(newCapacity >= end && newCapacity > 0 && lender == nil)
        let newStorage = UnsafeMutableRawPointer.allocate(byteCount: newCapacity + Chunk.padding, alignment: 16)
        // safe: end <= capacity and end <= newCapacity
        newStorage.copyMemory(from: storage, byteCount: end)
        storage.deallocate()
        storage = newStorage
        capacity = newCapacity
        ownStorage = newStorage
        ownCapacity = newCapacity
    }

    /// The line data as a buffer.
    var lineBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: storage + start, count: end - start)
    }
}
