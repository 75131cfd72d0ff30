// Read-only memory mapping of a join source, so records can be copied by offset without holding
// the file in the heap. A compressed source, or one that cannot be mapped (a pipe), is first
// copied to an unlinked temporary file.

/// A whole file mapped read-only.
final class MappedFile: @unchecked Sendable {
    // safe to send: the mapping is immutable after init.
    let base: UnsafePointer<UInt8>
    let count: Int
    private let mapping: MappedInput?

    /// Maps `path`; a zstd or gzip file is decompressed to a temporary file first.
    init(path: String) throws {
        let file = try FileDescriptorSource(path: path)
        var mapped = MappedInput(descriptor: file.descriptor, sequential: false)
        if let plain = mapped,
           CompressionFormat.detect(UnsafeRawBufferPointer(start: plain.base, count: min(4, plain.size))) != .none {
            mapped = nil
        }
        if mapped == nil {
            var source = try Decompression.wrap(file, name: path).0
            let spool = try SpoolFile()
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = try source.read(into: buffer)
                if n == 0 { break }
                try spool.append(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            }
            mapped = MappedInput(descriptor: spool.descriptor, sequential: false)
        }
        var opened = file
        try opened.close()
        mapping = mapped
        count = mapped?.size ?? 0
        // An empty source has no mapping; nothing is ever read through this pointer then.
        base = UnsafePointer(mapped.map { $0.base.assumingMemoryBound(to: UInt8.self) } ?? UnsafeMutablePointer(bitPattern: 0x10)!)
    }
}
