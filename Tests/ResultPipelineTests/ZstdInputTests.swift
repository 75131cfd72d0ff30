// Compressed zstd input decoded into segments that chunks borrow: whatever the window size, the
// frames, the chunk size, the read size or the thread count, a compressed input gives exactly the
// plain input's rows, rejects, line numbers and offsets; broken streams fail with an error.

import CZstd
import Foundation
import Testing
@testable import ResultPipeline

/// Compresses `pieces` into one zstd frame each (with `windowLog` when given), with a skippable
/// frame before every frame when `skippable` is set. `sized` frames give their size in the header
/// (and a frame that fits its window is then one segment); others are streamed in 64 KiB steps,
/// as `zstd` does when it reads a pipe.
func zstdFrames(_ pieces: [ArraySlice<UInt8>], level: Int32 = 3, windowLog: Int32? = nil,
                skippable: Bool = false, sized: Bool = true) -> [UInt8] {
    let context = ZSTD_createCCtx()!
    defer { ZSTD_freeCCtx(context) }
    ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
    ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
    if let windowLog { ZSTD_CCtx_setParameter(context, ZSTD_c_windowLog, windowLog) }
    var out: [UInt8] = []
    for (i, piece) in pieces.enumerated() {
        if skippable {
            // Magic 0x184D2A5x, little-endian size, then user data the decoder must pass over.
            let data = [UInt8](repeating: UInt8(i & 0xFF), count: i * 37 % 300)
            out += [0x50 | UInt8(i & 0xF), 0x2A, 0x4D, 0x18]
            out += withUnsafeBytes(of: UInt32(data.count).littleEndian) { Array($0) }
            out += data
        }
        var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(piece.count))
        let n = frame.withUnsafeMutableBytes { dst in
            piece.withUnsafeBytes { src in
                var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                ZSTD_CCtx_reset(context, ZSTD_reset_session_only)
                var start = 0
                if !sized {
                    while start < src.count {
                        let step = min(64 << 10, src.count - start)
                        var input = ZSTD_inBuffer(src: src.baseAddress! + start, size: step, pos: 0)
                        while input.pos < input.size { ZSTD_compressStream2(context, &output, &input, ZSTD_e_continue) }
                        start += step
                    }
                }
                var input = ZSTD_inBuffer(src: src.baseAddress.map { $0 + start }, size: src.count - start, pos: 0)
                while ZSTD_compressStream2(context, &output, &input, ZSTD_e_end) != 0 {}
                return output.pos
            }
        }
        out += frame[0..<n]
    }
    return out
}

@Suite("Zstd input")
struct ZstdInputTests {
    /// Rows of every size, blank and CRLF lines, rejects, a BOM, runs of very short lines (which
    /// shrink the chunks), lines longer than a small chunk's segment, and no final newline.
    static let text: [UInt8] = {
        var generator = SeededRandom(seed: 7)
        var s = "\u{FEFF}"
        for i in 0..<12_000 {
            switch generator.next() % 20 {
            case 0: s += "\n"
            case 1: s += "  \t\r\n"
            case 2: s += "{\"id\":\"bad\(i)\",\"output\":\n"
            case 3: s += "{\"id\":\"r\(i)\",\"output\":null}\r\n"
            case 4:
                for _ in 0..<Int(generator.next() % 400) { s += i % 2 == 0 ? "\n" : "{}\n" }
            default:
                let note = String(repeating: "n", count: Int(generator.next() % 300))
                s += "{\"id\":\"r\(i)\",\"output\":{\"labels\":[{\"label\":\"l\(i % 7)\"}],\"actions\":[\"a\(i % 3)\"]},\"metadata\":{\"note\":\"\(note)\"}}\n"
            }
            if i == 3_000 || i == 7_000 || i == 9_000 {
                // 300 KiB, 700 KiB and 2.5 MiB: within, beyond and far beyond what a segment carries.
                let length = [3_000: 300 << 10, 7_000: 700 << 10, 9_000: 2_500 << 10][i]!
                s += "{\"id\":\"long\(i)\",\"output\":null,\"metadata\":{\"pad\":\"" + String(repeating: "p", count: length) + "\"}}\n"
            }
        }
        s += "{\"id\":\"last\",\"output\":null}"
        // Random bytes (rejected lines) in the middle, which zstd stores as raw blocks.
        var bytes = Array(s.utf8)
        let middle = bytes.count / 2
        let noise = (0..<(300 << 10)).map { i -> UInt8 in
            if i % 997 == 996 { return 0x0A }
            let byte = UInt8(truncatingIfNeeded: generator.next())
            return byte == 0x0A ? 0x0B : byte
        }
        bytes.insert(contentsOf: [0x0A] + noise + [0x0A], at: bytes[..<middle].lastIndex(of: 0x0A)! + 1)
        return bytes
    }()

    static let plain: Collected = try! collect(text)

    /// The text cut into frames at byte positions that fall inside lines.
    static func pieces(_ count: Int) -> [ArraySlice<UInt8>] {
        let step = text.count / count
        return (0..<count).map { i in text[(i * step)..<(i == count - 1 ? text.count : (i + 1) * step)] }
    }

    @Test("every window, frame layout and chunk size gives the plain input's answer",
          arguments: [10, 17, 21, 23] as [Int32], [1, 4096, 1 << 16, 4 << 20])
    func sameAsPlain(windowLog: Int32, chunkSize: Int) throws {
        let reference = ZstdInputTests.plain.comparable
        let one = zstdFrames(ZstdInputTests.pieces(1), windowLog: windowLog)
        #expect(try collect(one, chunkSize: chunkSize).comparable == reference)
        let many = zstdFrames(ZstdInputTests.pieces(7), windowLog: windowLog, skippable: true)
        #expect(try collect(many, chunkSize: chunkSize, maxReadSize: 4093).comparable == reference)
        let streamed = zstdFrames(ZstdInputTests.pieces(3), windowLog: windowLog, sized: false)
        #expect(try collect(streamed, chunkSize: chunkSize).comparable == reference)
    }

    @Test("two threads, short reads and a small line limit agree with the plain input", arguments: [1, 2])
    func threadsAndLimits(threads: Int) throws {
        let compressed = zstdFrames(ZstdInputTests.pieces(3), level: 1, windowLog: 19)
        #expect(try collect(compressed, threads: threads, chunkSize: 1 << 15, maxReadSize: 5).comparable
            == ZstdInputTests.plain.comparable)
        let limited = try collect(ZstdInputTests.text, chunkSize: 1 << 15, maxLineBytes: 1000).comparable
        #expect(limited.summary.rejected > ZstdInputTests.plain.summary.rejected)
        #expect(try collect(compressed, threads: threads, chunkSize: 1 << 15, maxLineBytes: 1000).comparable == limited)
    }

    @Test("empty frames between frames, and frames of one line each")
    func emptyAndTinyFrames() throws {
        let text = ZstdInputTests.text[0..<200_000]
        var pieces: [ArraySlice<UInt8>] = [text[0..<0], text[0..<1000], text[1000..<1000]]
        var start = 1000
        while start < text.count {
            let end = (text[start...].firstIndex(of: 0x0A) ?? text.count - 1) + 1
            pieces.append(text[start..<min(end, text.count)])
            start = end
        }
        let reference = try collect(Array(text)).comparable
        #expect(try collect(zstdFrames(pieces, level: 1)).comparable == reference)
        #expect(try collect(zstdFrames(pieces, level: 1, sized: false), chunkSize: 4096).comparable == reference)
    }

    @Test("small inputs: empty, a BOM, one line, no newline")
    func smallInputs() throws {
        for text in ["", "\u{FEFF}", "\u{FEFF}{\"id\":\"a\"}", "\n", "{\"id\":\"a\"}\n", "{\"id\":\"a\"}\r\n\r\n{\"id\":\"b\"}"] {
            let bytes = Array(text.utf8)
            let plain = try collect(bytes).comparable
            #expect(try collect(zstdFrames([bytes[...]])).comparable == plain)
            #expect(try collect(zstdFrames([bytes[...], bytes[...]]), chunkSize: 1).comparable
                == (try collect(bytes + bytes, chunkSize: 1).comparable))
        }
    }

    @Test("a truncated, corrupt or oversized stream is an error, never a wrong answer")
    func brokenStreams() throws {
        let compressed = zstdFrames(ZstdInputTests.pieces(2), windowLog: 20)
        for cut in [5, 9, 100, compressed.count / 3, compressed.count / 2, compressed.count - 1] {
            #expect(throws: DecompressionError.self) { try collect(Array(compressed[0..<cut])) }
        }
        var flipped = compressed
        flipped[compressed.count / 2] ^= 0x5A
        #expect(throws: DecompressionError.self) { try collect(flipped) }
        // A frame header asking for a 256 MiB window.
        let huge: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x90, 0x01, 0x00, 0x00]
        let error = #expect(throws: DecompressionError.self) { try collect(huge) }
        #expect(error?.problem.contains("too much memory") == true)
        // Bytes after the last frame that are not a frame.
        #expect(throws: DecompressionError.self) { try collect(zstdFrames([ZstdInputTests.text[0..<1000]]) + Array("junk".utf8)) }
    }
}
