// An output that appears under its final name only when complete: written to a temporary file
// beside the target, fsynced, then renamed. A failed run removes the temporary file. Where the
// file system allows it, the temporary file is written with O_DIRECT (`DirectWriter`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered file written to a temporary name and renamed into place by `commit()`.
public final class AtomicOutputFile {
    /// The final path.
    public let path: String
    /// nil when writing straight to a non-regular target.
    private let temporaryPath: String?
    private var descriptor: Int32
    /// Set when the file system takes O_DIRECT: then every byte goes through it, not `buffer`.
    private var direct: DirectWriter?
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 18
    private var closed = false
    private var published = false
    /// Slot in `TemporaryFiles.shared` while the temporary file exists.
    private var registration: Int?
    /// Whether the bytes go to the file through O_DIRECT.
    var writesDirectly: Bool { direct != nil }
    /// Bytes written so far.
    public private(set) var bytesWritten = 0
    /// Bytes handed to the kernel, and how many of them it has been asked to write back.
    private var flushedBytes = 0
    private var writebackStarted = 0
    /// Bytes before this offset have been dropped from the page cache.
    private var droppedBytes = 0
    /// Write-back is started every this many bytes, so that the final fsync waits only for the tail
    /// and dirty pages do not pile up. Pages a few steps behind (written back by then) are dropped
    /// from the page cache: a multi-GB output would otherwise push other files out, and new pages
    /// for it cost more to find (measured: system time for a 1.5 GB joined output halved).
    private static let writebackStep = 16 << 20
    private static let dropLag = 4 * writebackStep

    /// Creates the temporary file beside `path`. Errors name `path`.
    ///
    /// A target that exists and is not a regular file (`/dev/null`, a FIFO, a terminal) is written
    /// directly: renaming over it would replace the device or pipe the user named.
    public init(path: String) throws {
        self.path = path
        var info = stat()
        if stat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SystemError(call: "open", path: path, code: errno) }
            temporaryPath = nil
            descriptor = fd
            return
        }
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var attempt = 0
        while true {
            let candidate = "\(dir).\(name).tmp-\(getpid())-\(AtomicOutputFile.nextSerial())"
            switch Syscall.createExclusive(candidate) {
            case .success(let fd):
                temporaryPath = candidate
                descriptor = fd
                if Syscall.setDirectIO(fd, true) {
                    direct = DirectWriter(descriptor: fd, path: path)
                } else {
                    buffer.reserveCapacity(bufferLimit)
                }
                registration = TemporaryFiles.shared.register(candidate)
                return
            case .failure(let e):
                attempt += 1
                if e.code != EEXIST || attempt > 100 {
                    throw SystemError(call: "open", path: path, code: e.code)
                }
            }
        }
    }

    deinit { abort() }

    private static let serial = SerialCounter()
    private static func nextSerial() -> Int { serial.next() }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        bytesWritten += bytes.count
        if let direct {
            try direct.append(bytes)
            return
        }
        if buffer.count + bytes.count > bufferLimit {
            try flush()
            if bytes.count > bufferLimit {
                try writeDirect(bytes)
                return
            }
        }
        buffer.append(contentsOf: bytes)
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeDirect($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeDirect(_ bytes: UnsafeRawBufferPointer) throws {
        if case .failure(let e) = Syscall.writeAll(descriptor, bytes) {
            throw SystemError(call: "write", path: path, code: e.code)
        }
        flushedBytes += bytes.count
        if temporaryPath != nil && flushedBytes - writebackStarted >= AtomicOutputFile.writebackStep {
            Syscall.startWriteback(descriptor, from: writebackStarted, count: flushedBytes - writebackStarted)
            writebackStarted = flushedBytes
            if writebackStarted - AtomicOutputFile.dropLag > droppedBytes {
                // Same call: already-clean pages in the range are dropped.
                Syscall.startWriteback(descriptor, from: droppedBytes, count: writebackStarted - AtomicOutputFile.dropLag - droppedBytes)
                droppedBytes = writebackStarted - AtomicOutputFile.dropLag
            }
        }
    }

    /// Flushes, syncs and renames the file to its final name.
    public func commit() throws {
        try prepare()
        try publish()
    }

    /// Flushes, syncs and closes the temporary file: every write error surfaces here. The file is
    /// not yet under its final name.
    public func prepare() throws {
        precondition(!closed, "prepare after close")
        do {
            try direct?.finish()
            try flush()
            if temporaryPath != nil, case .failure(let e) = Syscall.sync(descriptor) {
                throw SystemError(call: "fsync", path: path, code: e.code)
            }
        } catch {
            abort()
            throw error
        }
        closed = true
        if case .failure(let e) = Syscall.closeDescriptor(descriptor) {
            if let temporaryPath { Syscall.removeFile(temporaryPath) }
            published = true
            forget()
            throw SystemError(call: "close", path: path, code: e.code)
        }
    }

    /// Renames the prepared file to its final name.
    public func publish() throws {
        precondition(closed, "publish before prepare")
        guard !published else { return }
        published = true
        defer { forget() }
        guard let temporaryPath else { return }
        if case .failure(let e) = Syscall.renameFile(temporaryPath, path) {
            Syscall.removeFile(temporaryPath)
            throw SystemError(call: "rename", path: path, code: e.code)
        }
    }

    /// Discards the temporary file unless it was published. Safe to call more than once.
    public func abort() {
        guard !published else { return }
        published = true
        if !closed {
            closed = true
            direct?.cancel()
            _ = Syscall.closeDescriptor(descriptor)
        }
        if let temporaryPath { Syscall.removeFile(temporaryPath) }
        forget()
    }

    private func forget() {
        if let registration { TemporaryFiles.shared.unregister(registration) }
        registration = nil
    }
}

/// A process-wide counter for unique temporary names.
final class SerialCounter: Sendable {
    private let value = AtomicCounter()
    func next() -> Int { value.add(1) }
}
