// The raw system calls the library makes, in one place.
// Each wrapper retries EINTR and reports failure as a typed `SystemError`, never as errno.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, on which path, and the errno it returned.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The C function that failed, such as `open` or `read`.
    public var call: String
    /// The file it was working on, or `-` for standard input.
    public var path: String
    /// The errno value.
    public var code: Int32

    public init(call: String, path: String, code: Int32) {
        self.call = call
        self.path = path
        self.code = code
    }

    public var description: String {
        "\(path): \(String(cString: strerror(code)))"
    }
}

/// An errno value from a failed call.
struct Errno: Error, Equatable, Sendable {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}

enum Syscall {
    /// `open(2)` for reading, retrying EINTR.
    static func openForReading(_ path: String) -> Result<Int32, Errno> {
        while true {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    /// `open(2)` creating a new file exclusively, retrying EINTR.
    static func createExclusive(_ path: String, mode: mode_t = 0o644) -> Result<Int32, Errno> {
        while true {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    /// `read(2)` into `buffer`, retrying EINTR. Returns 0 at end of input.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Result<Int, Errno> {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return .success(0) }
        while true {
            #if canImport(Glibc)
            let n = Glibc.read(fd, base, buffer.count)
            #elseif canImport(Musl)
            let n = Musl.read(fd, base, buffer.count)
            #else
            let n = Darwin.read(fd, base, buffer.count)
            #endif
            if n >= 0 { return .success(n) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    /// `write(2)` of all of `bytes`, or `pwrite(2)` at `offset` when one is given, retrying EINTR
    /// and short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int? = nil) -> Result<Void, Errno> {
        guard var p = bytes.baseAddress else { return .success(()) }
        var left = bytes.count
        var at = offset ?? 0
        while left > 0 {
            let n: Int
            if offset != nil {
                n = pwrite(fd, p, left, off_t(at))
            } else {
                #if canImport(Glibc)
                n = Glibc.write(fd, p, left)
                #elseif canImport(Musl)
                n = Musl.write(fd, p, left)
                #else
                n = Darwin.write(fd, p, left)
                #endif
            }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Errno(errno))
            }
            p += n
            at += n
            left -= n
        }
        return .success(())
    }

    /// Bytes per memory page.
    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// `O_DIRECT`, which Swift does not import (its value differs between architectures).
    static var directIOFlag: Int32? {
        #if os(Linux) && (arch(x86_64) || arch(i386))
        return 0o40000
        #elseif os(Linux) && arch(arm64)
        return 0o200000
        #else
        return nil
        #endif
    }

    /// Turns `O_DIRECT` on or off for `fd` (`fcntl(F_SETFL)`): whether the file system accepted it.
    @discardableResult
    static func setDirectIO(_ fd: Int32, _ on: Bool) -> Bool {
        guard let flag = directIOFlag else { return false }
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return false }
        return fcntl(fd, F_SETFL, on ? flags | flag : flags & ~flag) == 0
    }

    /// `fsync(2)`.
    static func sync(_ fd: Int32) -> Result<Void, Errno> {
        while true {
            if fsync(fd) == 0 { return .success(()) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    /// Asks the kernel to start writing `count` bytes from `offset` back to disk, without waiting.
    /// On Linux `POSIX_FADV_DONTNEED` starts write-back of the range's dirty pages (and drops only
    /// pages that are already clean); `sync_file_range` is not visible to Swift. Advisory: write
    /// errors still surface at fsync.
    static func startWriteback(_ fd: Int32, from offset: Int, count: Int) {
        #if os(Linux)
        _ = posix_fadvise(fd, off_t(offset), off_t(count), POSIX_FADV_DONTNEED)
        #endif
    }

    /// `close(2)`. EINTR is not retried: on Linux the descriptor is gone either way.
    static func closeDescriptor(_ fd: Int32) -> Result<Void, Errno> {
        close(fd) == 0 ? .success(()) : .failure(Errno(errno))
    }

    /// `rename(2)`.
    static func renameFile(_ from: String, _ to: String) -> Result<Void, Errno> {
        rename(from, to) == 0 ? .success(()) : .failure(Errno(errno))
    }

    /// `unlink(2)`, ignoring a missing file.
    static func removeFile(_ path: String) {
        _ = unlink(path)
    }

    /// `isatty(3)`.
    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}
