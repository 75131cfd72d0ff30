// Line-aligned chunks of a zstd input, decoded straight into the memory the chunks point into.
//
// Blocks are decoded one after another into a segment (a buffer of about a chunk's size); chunks
// are windows of it, as they are windows of a mapping for plain files. When a segment is full,
// the partial line at its end is copied to the front of the next segment and decoding goes on
// after it. The decoder then refers to the past only through the full segment, so a switch is
// made only when that segment holds the frame's whole window (or the frame's start), and the
// segment is kept untouched until the next switch. A segment returns to the pool when the splitter
// has let it go and every chunk cut from it has been committed.
//
// A line longer than a segment can carry, or a window larger than a segment, hands the rest of the
// input to a `LineSplitter` over a `ZstdRingSource`: the framing rules are `LineSplitter`'s in
// both, so the chunks' lines, offsets and over-long lines are the same either way.

import Synchronization

/// A buffer of decoded bytes that chunks borrow windows of.
final class DecodedSegment: ChunkLender, @unchecked Sendable {
    // safe to send: the splitter writes a segment only while it holds it and no chunk does; the
    // count below and the pool's queue order those phases between threads.
    let base: UnsafeMutableRawPointer
    let capacity: Int
    /// Stream offset of `base[0]`.
    var streamOffset: Int64 = 0
    /// Holders: the splitter while it decodes into the segment or keeps it as the window, plus
    /// one per chunk cut from it.
    private let holders = Atomic<Int>(0)
    private weak var home: BlockingQueue<DecodedSegment>?

    init(capacity: Int, home: BlockingQueue<DecodedSegment>) {
        self.capacity = capacity
        // Readers load up to `Chunk.padding` bytes past a chunk's end.
        base = .allocate(byteCount: capacity + Chunk.padding, alignment: 64)
        self.home = home
    }

    deinit { base.deallocate() }

    func hold() { holders.add(1, ordering: .relaxed) }

    /// Drops one holder; the last one sends the segment back to its pool.
    func letGo() {
        if holders.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { home?.push(self) }
    }

    func release(_ pointer: UnsafeMutableRawPointer, count: Int) { letGo() }
}

/// Cuts a zstd stream into line-aligned chunks that borrow decoded segments.
struct ZstdSegmentSplitter: ChunkProducer {
    var readerIsBusy: Bool { true }
    private let blocks: ZstdBlocks
    let chunkSize: Int
    let maxLineBytes: Int
    let keepsLongLines: Bool
    /// Bytes per segment.
    let segmentSize: Int
    /// Segments are made on demand up to this many, then reused.
    private let segmentLimit: Int
    private var made = 0
    private let pool = BlockingQueue<DecodedSegment>()

    /// The segment being decoded into, and the one before it (the decoder's window into the past).
    private var current: DecodedSegment?
    private var previous: DecodedSegment?
    /// In `current`: the first byte not yet in a chunk, the end of the decoded bytes, where this
    /// segment's decoding began, and where the current frame began if it began here.
    private var lineStart = 0
    private var decodedEnd = 0
    private var decodeStart = 0
    private var frameStart: Int?
    /// Where the search for a line end past the fill target goes on from (no byte is scanned twice
    /// while a long line is decoded).
    private var scannedTo = 0
    private var fillTarget: Int
    private var atStreamStart = true
    private var ended = false
    private var finished = false
    private var isFirstChunk = true
    /// Takes over for the rest of the input when segments cannot hold it.
    private var rest: LineSplitter?

    /// `segmentLimit` must exceed the chunks that can be in flight at once by two: one segment is
    /// being filled, one is the window, and each chunk in flight can hold one more.
    init(blocks: ZstdBlocks, chunkSize: Int, maxLineBytes: Int, keepsLongLines: Bool, segmentLimit: Int) {
        precondition(chunkSize > 0 && segmentLimit >= 3)
        self.blocks = blocks
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
        self.keepsLongLines = keepsLongLines
        self.segmentLimit = segmentLimit
        segmentSize = max(chunkSize, 4 * ZstdBlocks.blockCapacity)
        fillTarget = chunkSize
    }

    var streamOffset: Int64 { rest?.streamOffset ?? blocks.produced }

    mutating func close() throws {
        if rest != nil { try rest!.close() } else { try blocks.close() }
    }

    mutating func nextChunk(into chunk: Chunk) throws -> Bool {
        if rest != nil { return try rest!.nextChunk(into: chunk) }
        guard !finished else { return false }
        while true {
            if ended {
                // Whatever follows the last `\n` is the input's last line.
                finished = true
                cut(into: chunk, to: decodedEnd)
                return true
            }
            if !atStreamStart && decodedEnd - lineStart >= fillTarget, let end = lineEndPastTarget() {
                cut(into: chunk, to: end)
                return true
            }
            guard let segment = current, segment.capacity - decodedEnd >= blocks.blockSize else {
                // The segment is full (or there is none yet): hand out its whole lines, then
                // carry the partial line to a new one.
                if current != nil, lineStart < decodedEnd,
                   let last = ByteScan.lastIndex(of: .newline, in: current!.base, from: max(lineStart, scannedTo), to: decodedEnd) {
                    cut(into: chunk, to: last + 1)
                    return true
                }
                if try !nextSegment() { return try rest!.nextChunk(into: chunk) }
                continue
            }
            switch try blocks.next(into: segment.base + decodedEnd, capacity: segment.capacity - decodedEnd) {
            case .bytes(let n): decodedEnd += n
            case .frameStart:
                if blocks.windowSize > segmentSize - 2 * ZstdBlocks.blockCapacity {
                    // No segment could hold this frame's window.
                    handOver()
                    return try rest!.nextChunk(into: chunk)
                }
                frameStart = decodedEnd
            case .end: ended = true
            }
            if atStreamStart && (decodedEnd >= 3 || ended) {
                atStreamStart = false
                lineStart = ByteScan.bomLength(segment.base, count: decodedEnd)
            }
        }
    }

    /// With at least `fillTarget` bytes waiting: the end of the last line within the target, or
    /// else of the line that crosses it; nil while that line goes on. A cut leaves `Chunk.padding`
    /// decoded bytes after it, as decoding goes on into the same segment: the readers' loads past a
    /// chunk's end never meet the decoder's writes.
    private mutating func lineEndPastTarget() -> Int? {
        let base = UnsafeRawPointer(current!.base)
        let target = lineStart + fillTarget
        var end: Int?
        if scannedTo <= lineStart, let last = ByteScan.lastIndex(of: .newline, in: base, from: lineStart, to: target) {
            end = last + 1
        } else if let first = ByteScan.firstIndex(of: .newline, in: base, from: max(target, scannedTo), to: decodedEnd) {
            end = first + 1
        } else {
            scannedTo = decodedEnd
        }
        guard let end, end + Chunk.padding <= decodedEnd else { return nil }
        return end
    }

    /// Makes `current[lineStart..<end]` the chunk (every caller has decoded into a segment first,
    /// so there is one).
    private mutating func cut(into chunk: Chunk, to end: Int) {
        chunk.resetFraming()
        chunk.startsInput = isFirstChunk
        isFirstChunk = false
        let segment = current!
        chunk.streamOffset = segment.streamOffset + Int64(lineStart)
        if end > lineStart {
            segment.hold()
            chunk.borrow(segment.base + lineStart, count: end - lineStart, from: segment)
            chunk.end = end - lineStart
            fillTarget = Chunk.size(forLinesIn: segment.base, from: lineStart, to: end, limit: chunkSize)
        }
        lineStart = end
        scannedTo = end
    }

    /// Moves the partial line to a fresh segment and decodes on there. False when the next
    /// segment could not hold the window after the partial line (the rest of the input then goes
    /// through `rest`).
    ///
    /// Every segment left behind holds the current frame's start or its whole window: a frame
    /// whose window no segment could hold goes to `rest` at its start, and a segment is begun only
    /// when the partial line leaves it room for the window and a block.
    private mutating func nextSegment() throws -> Bool {
        let carry = decodedEnd - lineStart
        if current != nil && carry > segmentSize - ZstdBlocks.blockCapacity - max(blocks.windowSize, ZstdBlocks.blockCapacity) {
            handOver()
            return false
        }
        assert(current == nil || frameStart != nil || decodedEnd - decodeStart >= blocks.windowSize,
               "a segment left behind must hold the frame's start or its window")
        previous?.letGo()
        previous = current
        let next = takeSegment()
        next.hold()
        if let current {
            next.base.copyMemory(from: current.base + lineStart, byteCount: carry)
            next.streamOffset = current.streamOffset + Int64(lineStart)
        } else {
            next.streamOffset = 0
        }
        current = next
        lineStart = 0
        decodedEnd = carry
        decodeStart = carry
        scannedTo = 0
        frameStart = nil
        return true
    }

    /// Gives the rest of the input to a `LineSplitter` over a ring buffer, starting with the
    /// partial line. The current segment stays the decoder's window until the ring holds one.
    private mutating func handOver() {
        let segment = current!
        let partial = Array(UnsafeRawBufferPointer(start: segment.base + lineStart, count: decodedEnd - lineStart))
        let source = ZstdRingSource(blocks, continuingAfter: segment)
        rest = LineSplitter(resuming: source, at: segment.streamOffset + Int64(lineStart), carry: partial,
                            isFirstChunk: isFirstChunk, atStreamStart: atStreamStart, chunkSize: chunkSize, maxLineBytes: maxLineBytes,
                            keepsLongLines: keepsLongLines)
        previous?.letGo()
        previous = nil
        segment.letGo()
        current = nil
    }

    private mutating func takeSegment() -> DecodedSegment {
        if let free = pool.tryPop() { return free }
        if made < segmentLimit {
            made += 1
            return DecodedSegment(capacity: segmentSize, home: pool)
        }
        return pool.pop()
    }
}
