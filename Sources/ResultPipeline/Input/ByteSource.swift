// Where bytes come from: a file, standard input, an in-memory buffer, or any stream a caller wraps.
// A source fills the caller's buffer; it never allocates per read.

/// A stream of bytes that fills a buffer the caller owns.
///
/// `read(into:)` returns how many bytes it wrote, and 0 only at end of input. A source may return
/// fewer bytes than asked for at any time.
public protocol ByteSource {
    /// Fills the start of `buffer`; returns the byte count, 0 at end of input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Releases what the source holds. Called once, after the last read.
    mutating func close() throws
}

extension ByteSource {
    public mutating func close() throws {}
}

/// Reads a file descriptor with `read(2)`.
public struct FileDescriptorSource: ByteSource {
    public let descriptor: Int32
    /// Shown in errors.
    public let path: String
    private let ownsDescriptor: Bool

    /// Reads `descriptor`; closes it at the end only when `closeWhenDone` is true.
    public init(descriptor: Int32, path: String, closeWhenDone: Bool = false) {
        self.descriptor = descriptor
        self.path = path
        self.ownsDescriptor = closeWhenDone
    }

    /// Opens `path` for reading (`open(2)`).
    public init(path: String) throws {
        switch Syscall.openForReading(path) {
        case .success(let fd): self.init(descriptor: fd, path: path, closeWhenDone: true)
        case .failure(let e): throw SystemError(call: "open", path: path, code: e.code)
        }
    }

    /// Standard input, shown as `-`.
    public static var standardInput: FileDescriptorSource {
        FileDescriptorSource(descriptor: 0, path: "-")
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        switch Syscall.read(descriptor, into: buffer) {
        case .success(let n): return n
        case .failure(let e): throw SystemError(call: "read", path: path, code: e.code)
        }
    }

    public mutating func close() throws {
        guard ownsDescriptor else { return }
        if case .failure(let e) = Syscall.closeDescriptor(descriptor) {
            throw SystemError(call: "close", path: path, code: e.code)
        }
    }
}

/// Serves bytes held in memory, at most `maxReadSize` per read (to exercise short reads).
public struct MemorySource: ByteSource {
    public let bytes: [UInt8]
    public let maxReadSize: Int
    private var position = 0

    public init(_ bytes: [UInt8], maxReadSize: Int = .max) {
        precondition(maxReadSize > 0, "maxReadSize must be positive")
        self.bytes = bytes
        self.maxReadSize = maxReadSize
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, maxReadSize, bytes.count - position)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            // safe: position + n <= bytes.count and n <= buffer.count
            buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
        }
        position += n
        return n
    }
}
