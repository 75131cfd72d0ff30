// Large outputs written around the page cache: whole aligned blocks go to the file through
// O_DIRECT on a thread of their own, while the caller fills the next block.
//
// Why: on the machines measured, writing a 1.5 GB joined file through the page cache cost more
// system time than any other part of the run (copying into the cache, then writing it back);
// O_DIRECT lets the device read the blocks from our memory. Everything here falls back to plain
// writes where the file system refuses O_DIRECT.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

/// Appends bytes to a file in aligned blocks written by a background thread.
///
/// Ownership: `append` and `finish` are called by one thread (the output's owner); the blocks it
/// fills pass to the writer thread through a queue and come back through another, so a block is
/// touched by one thread at a time.
final class DirectWriter {
    /// Bytes per block: a multiple of any device's logical block size.
    static let blockSize = 4 << 20
    static let alignment = 4096
    /// Blocks in rotation: one being filled, the others queued or being written.
    static let blockCount = 3

    private let descriptor: Int32
    private let path: String
    /// The block being filled, its fill, and the file offset it will be written at.
    private var current: UnsafeMutableRawPointer
    private var fill = 0
    private var offset = 0
    private var blocks: [UnsafeMutableRawPointer] = []
    private var thread: WriterThread?

    /// Call only for a regular file whose descriptor already has O_DIRECT set.
    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
        current = UnsafeMutableRawPointer.allocate(byteCount: DirectWriter.blockSize, alignment: DirectWriter.alignment)
        blocks.append(current)
    }

    deinit {
        thread?.stop()
        for block in blocks { block.deallocate() }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        guard var source = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = min(left, DirectWriter.blockSize - fill)
            (current + fill).copyMemory(from: source, byteCount: n)
            fill += n
            source += n
            left -= n
            if fill == DirectWriter.blockSize { try handOff() }
        }
    }

    /// Queues the full block and takes a free one, waiting while the writer is behind.
    private func handOff() throws {
        if thread == nil {
            let started = WriterThread(descriptor: descriptor)
            for _ in 1 ..< DirectWriter.blockCount {
                let block = UnsafeMutableRawPointer.allocate(byteCount: DirectWriter.blockSize, alignment: DirectWriter.alignment)
                blocks.append(block)
                started.free.push(Block(base: block, offset: 0))
            }
            thread = started
        }
        guard let thread else { return }
        if let failure = thread.failure { throw SystemError(call: "write", path: path, code: failure.code) }
        thread.full.push(Block(base: current, offset: offset))
        offset += DirectWriter.blockSize
        current = thread.free.pop().base
        fill = 0
    }

    /// Writes everything still held, the last partial block included, and stops the thread.
    /// Leaves O_DIRECT off, so the caller's fsync covers the tail written through the cache.
    func finish() throws {
        if let thread {
            thread.stop()
            if let failure = thread.failure { throw SystemError(call: "write", path: path, code: failure.code) }
            self.thread = nil
        }
        // The aligned part of the tail directly, the rest (under one alignment unit) through the cache.
        let aligned = fill & ~(DirectWriter.alignment - 1)
        var written = 0
        if aligned > 0, case .success = Syscall.writeAll(descriptor, UnsafeRawBufferPointer(start: current, count: aligned), at: offset) {
            written = aligned
        }
        Syscall.setDirectIO(descriptor, false)
        let rest = UnsafeRawBufferPointer(start: current + written, count: fill - written)
        if case .failure(let e) = Syscall.writeAll(descriptor, rest, at: offset + written) {
            throw SystemError(call: "write", path: path, code: e.code)
        }
        offset += fill
        fill = 0
    }

    /// Stops the thread without writing what is left (the output is being discarded).
    func cancel() {
        thread?.stop()
        thread = nil
    }

    struct Block: @unchecked Sendable {
        // safe to send: a block is used by one thread at a time, handed over through the queues.
        let base: UnsafeMutableRawPointer
        let offset: Int
    }

    /// The thread that writes full blocks in order.
    private final class WriterThread: @unchecked Sendable {
        // safe to send: its state is the queues and the mutex-guarded failure.
        let full = BlockingQueue<Block?>()
        let free = BlockingQueue<Block>()
        private let firstFailure = Mutex<Errno?>(nil)
        private let done = DispatchSemaphore(value: 0)
        private var stopped = false

        var failure: Errno? { firstFailure.withLock { $0 } }

        init(descriptor: Int32) {
            let thread = Thread { [self] in
                while let block = full.pop() {
                    if failure == nil { write(block, to: descriptor) }
                    free.push(block)
                }
                done.signal()
            }
            thread.name = "skresults-write"
            thread.start()
        }

        private func write(_ block: Block, to descriptor: Int32) {
            let bytes = UnsafeRawBufferPointer(start: block.base, count: DirectWriter.blockSize)
            var result = Syscall.writeAll(descriptor, bytes, at: block.offset)
            if case .failure(let e) = result, e.code == EINVAL {
                // The file system took the flag but not the write: go on through the cache.
                Syscall.setDirectIO(descriptor, false)
                result = Syscall.writeAll(descriptor, bytes, at: block.offset)
            }
            if case .failure(let e) = result { firstFailure.withLock { if $0 == nil { $0 = e } } }
        }

        /// Waits until every queued block is written (or dropped after a failure) and the thread ends.
        func stop() {
            guard !stopped else { return }
            stopped = true
            full.push(nil)
            done.wait()
        }
    }
}
