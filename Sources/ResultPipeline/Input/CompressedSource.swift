// Decompressing byte sources, chosen by the first bytes of the stream, never by a file name: gzip
// (zlib's inflate) here, zstd in `ZstdBlocks.swift`. Both read through concatenated
// frames/members, keep memory bounded, and report a truncated or corrupt stream as an error that
// names the input and how far decompression got.

import CZlib

/// A compressed input that could not be decompressed to its end.
public struct DecompressionError: Error, Equatable, Sendable, CustomStringConvertible {
    public var input: String
    public var format: String
    /// Decompressed bytes produced before the problem.
    public var offset: Int64
    public var problem: String

    public var description: String {
        "\(input): \(problem) in \(format) input after \(offset) decompressed bytes"
    }
}

/// The compression formats recognised by their magic bytes.
public enum CompressionFormat: String, Sendable {
    case none, zstd, gzip

    /// The format whose magic number `prefix` starts with. A zstd stream may open with a
    /// skippable frame (magic 0x184D2A50 to 0x184D2A5F; `pzstd` writes one first).
    public static func detect(_ prefix: UnsafeRawBufferPointer) -> CompressionFormat {
        if prefix.count >= 4 && prefix[0] == 0x28 && prefix[1] == 0xB5 && prefix[2] == 0x2F && prefix[3] == 0xFD {
            return .zstd
        }
        if prefix.count >= 4 && prefix[0] & 0xF0 == 0x50 && prefix[1] == 0x2A && prefix[2] == 0x4D && prefix[3] == 0x18 {
            return .zstd
        }
        if prefix.count >= 2 && prefix[0] == 0x1F && prefix[1] == 0x8B { return .gzip }
        return .none
    }
}

/// Serves `prefix` first, then the rest of `base`: lets detection peek without losing bytes.
struct PrefixedSource: ByteSource {
    var prefix: [UInt8]
    var position = 0
    var base: any ByteSource

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if position < prefix.count {
            let n = min(buffer.count, prefix.count - position)
            prefix.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
            }
            position += n
            return n
        }
        return try base.read(into: buffer)
    }

    mutating func close() throws { try base.close() }
}

enum Decompression {
    /// Peeks at the start of `source` and returns a source of its decompressed bytes.
    static func wrap(_ source: any ByteSource, name: String) throws -> (any ByteSource, CompressionFormat) {
        let (replay, format) = try peek(source)
        return (try decompressing(replay, format: format, name: name), format)
    }

    /// `replay`'s decompressed bytes, as a plain byte source.
    static func decompressing(_ replay: PrefixedSource, format: CompressionFormat, name: String) throws -> any ByteSource {
        switch format {
        case .none: return replay
        case .zstd: return ZstdRingSource(try ZstdBlocks(replay, name: name), continuingAfter: nil)
        case .gzip: return try GzipSource(replay, name: name)
        }
    }

    /// The format `source`'s first bytes name, and a source that serves every byte again.
    static func peek(_ source: any ByteSource) throws -> (PrefixedSource, CompressionFormat) {
        var source = source
        var prefix = [UInt8](repeating: 0, count: 4)
        var filled = 0
        while filled < 4 {
            let n = try prefix.withUnsafeMutableBytes { buffer in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            }
            if n == 0 { break }
            filled += n
        }
        prefix.removeSubrange(filled...)
        let format = prefix.withUnsafeBytes { CompressionFormat.detect($0) }
        return (PrefixedSource(prefix: prefix, base: source), format)
    }
}

/// Decompresses a gzip stream of one or more members.
final class GzipSource: ByteSource {
    private var base: any ByteSource
    private let name: String
    private var stream = z_stream()
    private let input: UnsafeMutableRawBufferPointer
    private var produced: Int64 = 0
    private var inMember = true
    private var baseEnded = false

    init(_ base: any ByteSource, name: String) throws {
        self.base = base
        self.name = name
        input = .allocate(byteCount: 1 << 17, alignment: 16)
        // 15 + 16: a 32 KiB window, gzip header and trailer.
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        if status != Z_OK {
            input.deallocate()
            throw DecompressionError(input: name, format: "gzip", offset: 0, problem: "cannot start the decoder")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    private func fail(_ problem: String) -> DecompressionError {
        DecompressionError(input: name, format: "gzip", offset: produced, problem: problem)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !buffer.isEmpty else { return 0 }
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while Int(stream.avail_out) == capacity {
            if stream.avail_in == 0 {
                if baseEnded { break }
                let n = try base.read(into: input)
                if n == 0 {
                    baseEnded = true
                    if inMember { throw fail("truncated data") }
                    break
                }
                stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = uInt(n)
            }
            if !inMember {
                // Another member follows the last one's trailer.
                guard stream.next_in[0] == 0x1F else { throw fail("trailing data that is not a gzip member") }
                if inflateReset(&stream) != Z_OK { throw fail("cannot restart the decoder") }
                inMember = true
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                break
            case Z_STREAM_END:
                inMember = false
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "code \(status)"
                throw fail("corrupt data (\(message))")
            }
        }
        let n = capacity - Int(stream.avail_out)
        produced += Int64(n)
        return n
    }

    func close() throws { try base.close() }
}
