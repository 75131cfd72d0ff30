// An unlinked temporary file that holds the bytes of one over-long line, so the line can be kept
// byte for byte in the rejects without ever being held in memory whole.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytes parked on disk. The file is unlinked at creation and vanishes when closed.
final class SpoolFile: @unchecked Sendable {
    // safe to send: used by the splitter until handed off with its chunk, then by the committer.
    let descriptor: Int32
    private(set) var count: Int64 = 0

    init() throws {
        let dir = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(dir)/skresults-spool-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw SystemError(call: "mkstemp", path: dir, code: errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        if case .failure(let e) = Syscall.writeAll(descriptor, bytes) {
            throw SystemError(call: "write", path: "spool file", code: e.code)
        }
        count += Int64(bytes.count)
    }

    func appendByte(_ byte: UInt8) throws {
        var b = byte
        try withUnsafeBytes(of: &b) { try append($0) }
    }

    /// Reads the bytes back from the start, a piece at a time.
    func forEachPiece(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let pieceSize = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: pieceSize, alignment: 16)
        defer { buffer.deallocate() }
        var position: Int64 = 0
        while position < count {
            let n = pread(descriptor, buffer.baseAddress, pieceSize, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError(call: "pread", path: "spool file", code: errno)
            }
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += Int64(n)
        }
    }
}
