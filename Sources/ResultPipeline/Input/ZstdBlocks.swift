// A zstd stream decoded block by block into memory the caller chooses (libzstd's buffer-less API),
// so that the bytes can land where the pipeline reads them. The streaming API decodes into its
// own window buffer and copies every byte out of it: on the reader thread, which is the critical
// path of a compressed run, that copy was 15% of the thread's time.
//
// The caller owns the window. Blocks of a frame are decoded one after another; when the next block
// does not go right after the previous one, the earlier run of contiguous output stays the
// decoder's only reference to the past, so it must hold the frame's whole window (or the frame's
// start) and stay untouched until the next break. `ZstdSegmentSplitter` and `ZstdRingSource`
// follow that rule.

import CZstd

/// Decodes the frames of a zstd stream one block at a time.
final class ZstdBlocks {
    /// Room a block can need: libzstd's largest block size (`ZSTD_BLOCKSIZE_MAX`).
    static let blockCapacity = 1 << 17
    /// The largest window accepted, as libzstd's streaming decoder does by default
    /// (`ZSTD_WINDOWLOG_LIMIT_DEFAULT`).
    static let windowLimit = 1 << 27
    /// Compressed bytes read per `read` of the underlying source.
    static let inputCapacity = 1 << 20

    enum Event {
        /// `n` decoded bytes were written at the destination (0: a header or checksum was read).
        case bytes(Int)
        /// A frame begins: nothing was written, and the frame refers to nothing before it.
        case frameStart
        /// The stream ended after a complete frame.
        case end
    }

    private var base: any ByteSource
    let name: String
    private let context: OpaquePointer
    private let input: UnsafeMutableRawPointer
    private var inStart = 0
    private var inEnd = 0
    private var baseEnded = false
    private var inFrame = false
    /// Decoded bytes so far.
    private(set) var produced: Int64 = 0
    /// Window size of the frame being decoded; 0 between frames.
    private(set) var windowSize = 0
    /// Size of a ring buffer that can decode the current frame (`ZSTD_decodingBufferSize_min`).
    private(set) var ringSize = 0
    /// Largest block of the current frame.
    private(set) var blockSize = ZstdBlocks.blockCapacity
    /// Decoded size of the current frame, when its header gives it.
    private(set) var contentSize: Int?

    init(_ base: any ByteSource, name: String) throws {
        guard let context = ZSTD_createDCtx() else {
            throw DecompressionError(input: name, format: "zstd", offset: 0, problem: "cannot allocate a decoder")
        }
        self.base = base
        self.name = name
        self.context = context
        input = .allocate(byteCount: ZstdBlocks.inputCapacity, alignment: 16)
    }

    deinit {
        ZSTD_freeDCtx(context)
        input.deallocate()
    }

    func close() throws { try base.close() }

    private func failure(_ problem: String) -> DecompressionError {
        DecompressionError(input: name, format: "zstd", offset: produced, problem: problem)
    }

    private func corrupt(_ code: Int) -> DecompressionError {
        failure("corrupt data (\(String(cString: ZSTD_getErrorName(code))))")
    }

    /// Makes at least `count` compressed bytes available at `input + inStart`, unless the source
    /// ends first. `count` is at most `inputCapacity`.
    private func fill(_ count: Int) throws {
        guard inEnd - inStart < count else { return }
        if inStart > 0 {
            memmoveBytes(input, input + inStart, inEnd - inStart)
            inEnd -= inStart
            inStart = 0
        }
        while inEnd < count && !baseEnded {
            let n = try base.read(into: UnsafeMutableRawBufferPointer(start: input + inEnd, count: ZstdBlocks.inputCapacity - inEnd))
            if n == 0 { baseEnded = true } else { inEnd += n }
        }
    }

    /// Decodes the next step of the stream into `destination`, which has room for `capacity`
    /// bytes (at least `blockSize`, or `blockCapacity` before the first frame's start).
    func next(into destination: UnsafeMutableRawPointer, capacity: Int) throws -> Event {
        if !inFrame { return try startFrame() }
        let needed = ZSTD_nextSrcSizeToDecompress(context)
        if needed == 0 {
            inFrame = false
            windowSize = 0
            return .bytes(0)
        }
        // A block is at most 128 KiB compressed; libzstd rejects a larger size in a block header.
        guard needed <= ZstdBlocks.inputCapacity else { throw failure("corrupt data (block larger than the format allows)") }
        try fill(needed)
        guard inEnd - inStart >= needed else { throw failure("truncated data") }
        let n = ZSTD_decompressContinue(context, destination, capacity, input + inStart, needed)
        if ZSTD_isError(n) != 0 { throw corrupt(n) }
        inStart += needed
        produced += Int64(n)
        return .bytes(n)
    }

    /// Reads the next frame's header; skips skippable frames whole.
    private func startFrame() throws -> Event {
        while true {
            try fill(Int(ZSTD_FRAMEHEADERSIZE_MAX))
            if inEnd == inStart { return .end }
            var header = ZSTD_frameHeader()
            let status = ZSTD_getFrameHeader(&header, input + inStart, inEnd - inStart)
            if ZSTD_isError(status) != 0 { throw corrupt(status) }
            if status > 0 { throw failure("truncated data") }
            if header.frameType == ZSTD_skippableFrame {
                // Magic, size, then that many bytes of user data, which libzstd would want whole.
                var left = 8 + Int(header.frameContentSize)
                while left > 0 {
                    try fill(1)
                    guard inEnd > inStart else { throw failure("truncated data") }
                    let n = min(left, inEnd - inStart)
                    inStart += n
                    left -= n
                }
                continue
            }
            guard header.windowSize <= UInt64(ZstdBlocks.windowLimit) else {
                throw failure("corrupt data (\(String(cString: ZSTD_getErrorString(ZSTD_error_frameParameter_windowTooLarge))))")
            }
            let begun = ZSTD_decompressBegin(context)
            if ZSTD_isError(begun) != 0 { throw corrupt(begun) }
            inFrame = true
            windowSize = Int(header.windowSize)
            blockSize = max(1, Int(header.blockSizeMax))
            contentSize = header.frameContentSize <= UInt64(Int.max) ? Int(header.frameContentSize) : nil
            ringSize = ZSTD_decodingBufferSize_min(header.windowSize, header.frameContentSize)
            if ZSTD_isError(ringSize) != 0 { throw corrupt(ringSize) }
            return .frameStart
        }
    }
}

/// The decoded bytes of a `ZstdBlocks` as a plain byte source: blocks are decoded into a ring
/// buffer sized for the frame's window and copied out, as libzstd's streaming API does. Used once
/// a stream leaves `ZstdSegmentSplitter`'s segments (a line longer than a segment, or a window
/// larger than one), and wherever a zstd stream is read as plain bytes (a compressed join source).
final class ZstdRingSource: ByteSource {
    private let blocks: ZstdBlocks
    private var ring: UnsafeMutableRawPointer
    private var ringCapacity: Int
    private var position = 0
    private var pendingStart = 0
    private var pendingEnd = 0
    private var ended = false
    /// The contiguous output decoded before this source took over: the decoder's reference to the
    /// past until the ring has been filled once.
    private var earlier: AnyObject?
    /// Whether the rest of the current frame fits in the ring from where it began, so that it is
    /// decoded without wrapping (libzstd sizes the ring of a frame that gives its size to just
    /// that size, which leaves no room to wrap in).
    private var frameFits = false

    init(_ blocks: ZstdBlocks, continuingAfter earlier: AnyObject?) {
        self.blocks = blocks
        self.earlier = earlier
        ringCapacity = max(blocks.ringSize, ZstdBlocks.blockCapacity)
        ring = .allocate(byteCount: ringCapacity, alignment: 16)
        frameFits = (blocks.contentSize ?? .max) <= ringCapacity
    }

    deinit { ring.deallocate() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        while pendingStart == pendingEnd {
            if ended { return 0 }
            if !frameFits && ringCapacity - position < blocks.blockSize {
                // The lap just filled holds the whole window: start the next one at the beginning.
                position = 0
                earlier = nil
            }
            switch try blocks.next(into: ring + position, capacity: ringCapacity - position) {
            case .bytes(let n):
                pendingStart = position
                pendingEnd = position + n
                position += n
            case .frameStart:
                earlier = nil
                position = 0
                if blocks.ringSize > ringCapacity {
                    ring.deallocate()
                    ringCapacity = blocks.ringSize
                    ring = .allocate(byteCount: ringCapacity, alignment: 16)
                }
                frameFits = (blocks.contentSize ?? .max) <= ringCapacity
            case .end:
                ended = true
            }
        }
        let n = min(buffer.count, pendingEnd - pendingStart)
        buffer.baseAddress!.copyMemory(from: ring + pendingStart, byteCount: n)
        pendingStart += n
        return n
    }

    func close() throws { try blocks.close() }
}
