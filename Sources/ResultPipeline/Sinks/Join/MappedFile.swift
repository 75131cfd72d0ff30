// Read-only memory mapping of a join source, so records can be copied by offset without holding
// the file in the heap. A compressed source is first decompressed to an unlinked temporary file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A whole file mapped read-only.
final class MappedFile: @unchecked Sendable {
    // safe to send: the mapping is immutable after init.
    let base: UnsafePointer<UInt8>
    let count: Int
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `path`; a zstd or gzip file is decompressed to a temporary file first.
    init(path: String) throws {
        var source: any ByteSource = try FileDescriptorSource(path: path)
        let (opened, format) = try Decompression.wrap(source, name: path)
        source = opened
        var fd: Int32
        var ownsTemporary = false
        if format == .none {
            try source.close()
            switch Syscall.openForReading(path) {
            case .success(let d): fd = d
            case .failure(let e): throw SystemError(call: "open", path: path, code: e.code)
            }
        } else {
            let spool = try SpoolFile()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try source.read(into: buffer)
                if n == 0 { break }
                try spool.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
            try source.close()
            fd = dup(spool.descriptor)
            ownsTemporary = true
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw SystemError(call: "fstat", path: path, code: errno) }
        count = Int(info.st_size)
        _ = ownsTemporary
        if count == 0 {
            mapping = nil
            base = UnsafePointer(bitPattern: 0x10)!
            return
        }
        guard let m = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw SystemError(call: "mmap", path: path, code: errno)
        }
        madvise(m, count, MADV_WILLNEED)
        mapping = m
        base = UnsafePointer(m.assumingMemoryBound(to: UInt8.self))
    }

    deinit {
        if let mapping { munmap(mapping, count) }
    }
}
