// Line-aligned chunks of a regular file read through a memory mapping: chunks are windows of the
// mapping, so no byte is copied out of the page cache (measured: read(2)'s copy was 14% of a
// labels run). The same framing rules as `LineSplitter`; over-long lines are recorded, not read.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A whole regular file mapped read-only, followed by a zero page so that the decoder's 8-byte
/// loads near the end of the last line stay inside mapped memory.
final class MappedInput: ChunkLender, @unchecked Sendable {
    // safe to send: the mapping is read-only; `release` only drops page-table entries.
    let base: UnsafeMutableRawPointer
    let size: Int
    /// The whole reservation (the file's mapping lies inside it, 2 MiB-aligned).
    private let region: UnsafeMutableRawPointer
    private let regionLength: Int

    /// Maps `descriptor` when it is a non-empty regular file; nil otherwise (pipes, terminals).
    /// `sequential` tells the kernel to read ahead; otherwise it prefetches the whole file.
    init?(descriptor: Int32, sequential: Bool = true) {
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        let reserved = (size + 2 * Syscall.pageSize + Syscall.pageSize - 1) / Syscall.pageSize * Syscall.pageSize
        // Reserve zeroed memory for the file plus a spare page, then map the file over its start,
        // placed on a 2 MiB boundary so that huge page cache folios can be mapped whole.
        let huge = 2 << 20
        let regionLength = reserved + huge
        guard let region = mmap(nil, regionLength, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), region != MAP_FAILED else {
            return nil
        }
        let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: region) + huge - 1) / huge * huge)!
        guard let file = mmap(aligned, size, PROT_READ, MAP_PRIVATE | MAP_FIXED, descriptor, 0), file != MAP_FAILED else {
            munmap(region, regionLength)
            return nil
        }
        madvise(file, size, sequential ? MADV_SEQUENTIAL : MADV_WILLNEED)
        // Random access (a join source): ask for huge mappings where the page cache has huge
        // folios, so lookups do not also miss the TLB. Advisory; ignored where unsupported.
        if !sequential { madvise(file, size, MADV_HUGEPAGE) }
        self.base = file
        self.size = size
        self.region = region
        self.regionLength = regionLength
    }

    deinit { munmap(region, regionLength) }

    /// Drops the pages under `pointer[0..<count]` from this process (they stay in the page cache),
    /// and those up to 2 MiB before it: chunks are released in order, so everything before a
    /// chunk is done with, but the kernel's fault-around maps a few pages on either side of a
    /// fault, and those that fell before an already released window stayed mapped (measured:
    /// peak RSS grew to 64-66 MiB over 4 GiB, about 32 KiB per chunk).
    func release(_ pointer: UnsafeMutableRawPointer, count: Int) {
        guard count > 0 else { return }
        let page = Syscall.pageSize
        let start = max(0, (pointer - base) - (2 << 20)) / page * page
        let end = min(((pointer - base) + count + page - 1) / page * page, (size + page - 1) / page * page)
        if end > start { madvise(base + start, end - start, MADV_DONTNEED) }
    }
}

/// Cuts a mapped input into line-aligned chunks.
struct MappedSplitter: ChunkProducer {
    var readerIsBusy: Bool { false }
    let input: MappedInput
    let chunkSize: Int
    let maxLineBytes: Int
    private var position = 0
    private var isFirstChunk = true
    private var source: any ByteSource

    init(input: MappedInput, source: any ByteSource, chunkSize: Int, maxLineBytes: Int) {
        self.input = input
        self.source = source
        self.chunkSize = chunkSize
        self.maxLineBytes = maxLineBytes
        position = ByteScan.bomLength(input.base, count: input.size)
    }

    var streamOffset: Int64 { Int64(position) }

    mutating func close() throws { try source.close() }

    mutating func nextChunk(into chunk: Chunk) throws -> Bool {
        let size = input.size
        guard position < size || isFirstChunk else { return false }
        chunk.resetFraming()
        chunk.startsInput = isFirstChunk
        isFirstChunk = false
        let base = UnsafeRawPointer(input.base)
        // A line with no `\n` within this window is too long to be a row.
        let window = max(chunkSize, maxLineBytes + 2)
        while position < size {
            let limit = min(size, position + window)
            if ByteScan.firstIndex(of: .newline, in: base, from: position, to: limit) != nil || limit == size {
                break
            }
            let newline = ByteScan.firstIndex(of: .newline, in: base, from: limit, to: size)
            var lineEnd = newline ?? size
            if newline != nil && base.load(fromByteOffset: lineEnd - 1, as: UInt8.self) == .carriageReturn { lineEnd -= 1 }
            chunk.leadingLongLines.append(LongLine(
                offset: Int64(position), length: Int64(lineEnd - position), spool: nil,
                mapped: UnsafeRawBufferPointer(start: base + position, count: lineEnd - position)))
            position = newline.map { $0 + 1 } ?? size
        }
        let start = position
        // Lines are counted just before the full-size cut, where the search for the last line end
        // starts anyway: the reader maps no page that it would not map without the count.
        let full = min(size, start + chunkSize)
        // A first line longer than a chunk (but within the maximum) extends the chunk to its end.
        let target = Chunk.size(forLinesIn: base, from: max(start, full - Chunk.sampleBytes), to: full, limit: chunkSize)
        let cut = ByteScan.cut(in: base, from: start, target: target, to: size)
        chunk.borrow(input.base + start, count: cut - start, from: input)
        chunk.start = 0
        chunk.end = cut - start
        chunk.streamOffset = Int64(start)
        position = cut
        return true
    }
}
