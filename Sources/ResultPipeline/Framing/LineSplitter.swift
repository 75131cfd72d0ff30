// Turns a byte source into line-aligned chunks: reads into a chunk's buffer, cuts after the last `\n`,
// and carries the partial line into the next chunk. Owns the BOM, over-long-line and final-line rules.

/// Produces the line-aligned chunks of one input.
protocol ChunkProducer {
    /// Fills `chunk` with the next piece; false when the input is exhausted.
    mutating func nextChunk(into chunk: Chunk) throws -> Bool
    /// Input bytes consumed so far.
    var streamOffset: Int64 { get }
    /// Whether making a chunk costs the reader real work (reading, copying, decompressing), so
    /// that the reader is on the run's critical path; false when chunks are windows of a mapping.
    var readerIsBusy: Bool { get }
    mutating func close() throws
}

/// Reads one input and produces line-aligned chunks.
///
/// Rules (`MappedSplitter` and `ZstdSegmentSplitter` apply the same):
/// - a UTF-8 BOM at the very start of the stream is skipped; offsets still count it;
/// - a chunk ends after its last `\n`; the bytes after it are carried into the next chunk;
/// - a line that does not fit in the chunk grows the chunk, up to `maxLineBytes + 2` bytes
///   (the line, a `\r` and the `\n`); a longer line is streamed past (and spooled to disk when
///   rejects are kept) and recorded as a `LongLine`, never buffered whole;
/// - the last chunk of the input holds whatever follows the last `\n`, which is a final line.
struct LineSplitter: ChunkProducer {
    var readerIsBusy: Bool { true }
    private var source: any ByteSource
    /// Target size of a chunk's buffer.
    let chunkSize: Int
    /// Lines longer than this (without terminator) are rejected.
    let maxLineBytes: Int
    /// Whether over-long lines are spooled so that they can be kept byte for byte.
    let keepsLongLines: Bool

    /// The partial line left after the previous chunk's last `\n`. Invariant: holds no `\n`.
    private var carry: [UInt8] = []
    /// Stream offset of `carry[0]`.
    private var carryOffset: Int64 = 0
    /// Bytes read from the source so far.
    private(set) var streamOffset: Int64 = 0
    private var atStreamStart = true
    private var sawEnd = false
    private var finished = false
    private var isFirstChunk = true
    /// How many bytes to read for the next chunk: `chunkSize`, or less after a chunk of very
    /// short lines (see `Chunk.size(forLinesIn:from:to:limit:)`).
    private var fillTarget: Int

    init(source: any ByteSource, chunkSize: Int, maxLineBytes: Int, keepsLongLines: Bool) {
        precondition(chunkSize > 0 && maxLineBytes >= 0)
        self.source = source
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
        self.keepsLongLines = keepsLongLines
        fillTarget = chunkSize
    }

    /// Continues an input whose first `offset` bytes were cut into chunks elsewhere: `carry` is
    /// the partial line (no `\n`) that follows them, `isFirstChunk` whether no chunk of the input
    /// was made yet, and `atStreamStart` whether the BOM rule is still to be applied (then
    /// `offset` and `carry` are empty).
    init(resuming source: any ByteSource, at offset: Int64, carry: [UInt8], isFirstChunk: Bool, atStreamStart: Bool,
         chunkSize: Int, maxLineBytes: Int, keepsLongLines: Bool) {
        precondition(!atStreamStart || (offset == 0 && carry.isEmpty))
        self.init(source: source, chunkSize: chunkSize, maxLineBytes: maxLineBytes, keepsLongLines: keepsLongLines)
        self.carry = carry
        carryOffset = offset
        streamOffset = offset + Int64(carry.count)
        self.atStreamStart = atStreamStart
        self.isFirstChunk = isFirstChunk
    }

    mutating func close() throws { try source.close() }

    /// Fills `chunk` with the next line-aligned piece. Returns false when the input is exhausted.
    mutating func nextChunk(into chunk: Chunk) throws -> Bool {
        guard !finished else { return false }
        chunk.resetFraming()
        // Room for the carried partial line and at least as much again of new bytes; a chunk grown
        // for a long line shrinks back once that line is gone. Reallocating every time would churn
        // multi-MiB blocks through malloc and inflate RSS.
        let wanted = max(chunkSize, 2 * carry.count)
        if chunk.capacity < wanted || chunk.capacity > 2 * wanted {
            chunk.resize(to: wanted)
        }
        carry.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress {
                // safe: carry.count <= wanted <= chunk.capacity
                chunk.storage.copyMemory(from: base, byteCount: bytes.count)
            }
        }
        chunk.end = carry.count
        chunk.streamOffset = carryOffset
        chunk.startsInput = isFirstChunk
        isFirstChunk = false
        // Read no more than the target (at least as much again as the carried line).
        var fillLimit = min(chunk.capacity, max(fillTarget, 2 * carry.count))
        carry.removeAll(keepingCapacity: true)
        var scanFrom = chunk.end

        while true {
            try fill(chunk, upTo: fillLimit)
            if atStreamStart {
                if chunk.end - chunk.start < 3 && !sawEnd {
                    chunk.resize(to: max(chunk.capacity, 3) * 2)
                    fillLimit = chunk.capacity
                    continue
                }
                atStreamStart = false
                let bom = ByteScan.bomLength(chunk.storage + chunk.start, count: chunk.end - chunk.start)
                if bom > 0 {
                    chunk.start += bom
                    scanFrom = max(scanFrom, chunk.start)
                }
            }
            if sawEnd {
                finished = true
                return true
            }
            // The buffer is full. Cut after its last line end, if it has one.
            if let last = ByteScan.lastIndex(of: .newline, in: chunk.storage, from: scanFrom, to: chunk.end) {
                let tail = UnsafeRawBufferPointer(start: chunk.storage + last + 1, count: chunk.end - last - 1)
                carry.append(contentsOf: tail)
                carryOffset = chunk.streamOffset + Int64(last + 1)
                chunk.end = last + 1
                fillTarget = Chunk.size(forLinesIn: chunk.storage, from: chunk.start, to: chunk.end, limit: chunkSize)
                return true
            }
            // Read up to the chunk's capacity before growing it.
            if fillLimit < chunk.capacity {
                fillLimit = chunk.capacity
                scanFrom = chunk.end
                continue
            }
            // All of storage[start..<end] is one unfinished line.
            if chunk.end - chunk.start > maxLineBytes + 1 {
                try streamPastLongLine(chunk)
                scanFrom = chunk.start
                continue
            }
            let limit = chunk.start + maxLineBytes + 2
            chunk.resize(to: min(max(chunk.capacity * 2, chunk.capacity + 1), limit))
            fillLimit = chunk.capacity
            scanFrom = chunk.end
        }
    }

    /// Reads until the chunk holds `limit` bytes (at most its capacity) or the source ends.
    private mutating func fill(_ chunk: Chunk, upTo limit: Int) throws {
        while chunk.end < limit && !sawEnd {
            let free = UnsafeMutableRawBufferPointer(start: chunk.storage + chunk.end, count: limit - chunk.end)
            let n = try source.read(into: free)
            if n == 0 {
                sawEnd = true
            } else {
                chunk.end += n
                streamOffset += Int64(n)
            }
        }
    }

    /// Consumes the over-long line that fills `storage[start..<end]` through its `\n`, spooling it
    /// when rejects are kept, and leaves the bytes after the `\n` at the front of the chunk.
    private mutating func streamPastLongLine(_ chunk: Chunk) throws {
        var line = LongLine(
            offset: chunk.streamOffset + Int64(chunk.start), length: 0,
            spool: keepsLongLines ? try SpoolFile() : nil)
        // A `\r` at the end of a piece is held back until we know whether `\n` follows it.
        var heldCR = false
        func take(_ bytes: UnsafeRawBufferPointer) throws {
            guard !bytes.isEmpty else { return }
            if heldCR {
                try line.spool?.appendByte(.carriageReturn)
                line.length += 1
                heldCR = false
            }
            var piece = bytes
            if piece[piece.count - 1] == .carriageReturn {
                heldCR = true
                piece = UnsafeRawBufferPointer(rebasing: piece.dropLast())
            }
            try line.spool?.append(piece)
            line.length += Int64(piece.count)
        }
        try take(UnsafeRawBufferPointer(start: chunk.storage + chunk.start, count: chunk.end - chunk.start))
        let whole = UnsafeMutableRawBufferPointer(start: chunk.storage, count: chunk.capacity)
        while true {
            let pieceOffset = streamOffset
            let n = try source.read(into: whole)
            if n == 0 {
                sawEnd = true
                if heldCR {
                    heldCR = false
                    try line.spool?.appendByte(.carriageReturn)
                    line.length += 1
                }
                chunk.leadingLongLines.append(line)
                chunk.start = 0
                chunk.end = 0
                chunk.streamOffset = streamOffset
                return
            }
            streamOffset += Int64(n)
            if let newline = ByteScan.firstIndex(of: .newline, in: chunk.storage, from: 0, to: n) {
                try take(UnsafeRawBufferPointer(start: chunk.storage, count: newline))
                heldCR = false  // one `\r` directly before the `\n` is dropped
                chunk.leadingLongLines.append(line)
                let rest = n - newline - 1
                // safe: newline + 1 + rest == n <= capacity; regions may overlap, so move.
                memmoveBytes(chunk.storage, chunk.storage + newline + 1, rest)
                chunk.start = 0
                chunk.end = rest
                chunk.streamOffset = pieceOffset + Int64(newline + 1)
                return
            }
            try take(UnsafeRawBufferPointer(start: chunk.storage, count: n))
        }
    }
}
