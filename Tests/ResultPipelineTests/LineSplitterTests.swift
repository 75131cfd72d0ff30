// The framing rules: line ends, CR, BOM, final line, blank lines, offsets, over-long lines, and
// the same answers for every chunk size and read size.

import Foundation
import Testing
@testable import ResultPipeline

@Suite("LineSplitter")
struct LineSplitterTests {
    static let mixed = "\u{FEFF}{\"id\":\"a\",\"output\":{\"labels\":[\"x\"]}}\r\n\r\n  \t\n{\"id\":\"b\",\"output\":null}\n"
        + "not json\n{\"id\":\"c\",\"output\":{\"actions\":[\"y\"]}}\r\n\r\r\n{\"id\":\"d\"}"

    @Test("lines, blanks, rejects and offsets of a mixed input")
    func mixedInput() throws {
        let c = try collect(LineSplitterTests.mixed)
        #expect(c.summary.lines == 8)
        #expect(c.summary.rows == 4)
        #expect(c.summary.blank == 3)
        #expect(c.summary.rejected == 1)
        #expect(c.rows.map(\.line) == [1, 4, 6, 8])
        #expect(c.rows.map(\.id) == ["a", "b", "c", "d"])
        // The BOM is not part of line 1, but offsets count it.
        #expect(c.rows[0].offset == 3)
        #expect(c.rows[0].raw == Array("{\"id\":\"a\",\"output\":{\"labels\":[\"x\"]}}".utf8))
        #expect(c.rejects.map(\.line) == [5])
        #expect(c.rejects[0].raw == Array("not json".utf8))
    }

    @Test("every chunk size and read size gives the single-read answer", arguments: 1...17)
    func everyAlignment(size: Int) throws {
        let reference = try collect(LineSplitterTests.mixed).comparable
        #expect(try collect(LineSplitterTests.mixed, chunkSize: size).comparable == reference)
        #expect(try collect(LineSplitterTests.mixed, maxReadSize: size).comparable == reference)
        #expect(try collect(LineSplitterTests.mixed, chunkSize: size, maxReadSize: 18 - size).comparable == reference)
    }

    @Test("a CR at the end of one read and the LF at the start of the next")
    func crlfAcrossReads() throws {
        let text = "{\"id\":\"a\"}\r\n{\"id\":\"b\"}\r\n"
        for split in 1..<text.utf8.count {
            let c = try collect(text, chunkSize: split, maxReadSize: split)
            #expect(c.summary.rows == 2 && c.summary.lines == 2)
            #expect(c.rows.map(\.raw) == [Array("{\"id\":\"a\"}".utf8), Array("{\"id\":\"b\"}".utf8)])
        }
    }

    @Test("a stream ending in a newline has no extra line; one without keeps its last line")
    func finalLine() throws {
        #expect(try collect("{\"id\":\"a\"}\n").summary.lines == 1)
        #expect(try collect("{\"id\":\"a\"}").summary.lines == 1)
        #expect(try collect("{\"id\":\"a\"}\n\n").summary.lines == 2)
        #expect(try collect("").summary.lines == 0)
        #expect(try collect("\n").summary.blank == 1)
        #expect(try collect("\u{FEFF}").summary.lines == 0)
    }

    @Test("a BOM only counts at the very start")
    func bomOnlyAtStart() throws {
        let c = try collect("{\"id\":\"a\"}\n\u{FEFF}{\"id\":\"b\"}\n")
        #expect(c.summary.rows == 1 && c.summary.rejected == 1)
    }

    @Test("a BOM split across tiny reads", arguments: 1...4)
    func bomSplit(size: Int) throws {
        let c = try collect("\u{FEFF}{\"id\":\"a\"}", chunkSize: size, maxReadSize: size)
        #expect(c.rows.map(\.offset) == [3])
        #expect(c.summary.rows == 1)
    }

    @Test("a lone CR inside a line is not a line end; a CR at end of input is kept")
    func loneCR() throws {
        let c = try collect("{\"id\":\"a\"}\r{\"id\":\"b\"}\n{\"id\":\"c\"}\r")
        #expect(c.summary.lines == 2)
        #expect(c.summary.rejected == 1)
        #expect(c.rows.map(\.raw) == [Array("{\"id\":\"c\"}\r".utf8)])
    }

    @Test("lines longer than the maximum are rejected and kept byte for byte", arguments: [1, 5, 64, 4096])
    func overLongLines(chunkSize: Int) throws {
        let long = "{\"id\":\"" + String(repeating: "x", count: 300) + "\"}"
        let text = "{\"id\":\"a\"}\n" + long + "\r\n" + long + "\n{\"id\":\"b\"}\n" + long
        let c = try collect(text, chunkSize: chunkSize, maxReadSize: 7, maxLineBytes: 100)
        #expect(c.summary.lines == 5)
        #expect(c.summary.rows == 2)
        #expect(c.summary.rejected == 3)
        #expect(c.rejects.map(\.line) == [2, 3, 5])
        #expect(c.rejects.allSatisfy { $0.reason == .lineTooLong && $0.raw == Array(long.utf8) })
        #expect(c.rejects.map(\.offset) == [11, 11 + 309 + 2, 11 + 2 * 309 + 3 + 11])
        #expect(c.rows.map(\.line) == [1, 4])
    }

    @Test("a line of exactly the maximum length is accepted, with or without CR")
    func exactlyMaximum() throws {
        let line = "{\"id\":\"" + String(repeating: "x", count: 13) + "\"}"  // 22 bytes
        for chunkSize in [1, 3, 22, 23, 24, 1000] {
            let c = try collect(line + "\r\n" + line + "\n" + line, chunkSize: chunkSize, maxLineBytes: 22)
            #expect(c.summary.rows == 3, "chunk size \(chunkSize)")
            let d = try collect(line + "\n", chunkSize: chunkSize, maxLineBytes: 21)
            #expect(d.summary.rejected == 1, "chunk size \(chunkSize)")
        }
    }

    @Test("a line far longer than the chunk is grown into, not rejected")
    func longerThanChunk() throws {
        let line = "{\"id\":\"" + String(repeating: "y", count: 100_000) + "\",\"output\":{\"labels\":[\"big\"]}}"
        let c = try collect(line + "\n{\"id\":\"z\"}\n", chunkSize: 1000, maxReadSize: 4096)
        #expect(c.summary.rows == 2)
        #expect(c.labels == ["big": 1])
        #expect(c.rows[1].offset == line.utf8.count + 1)
    }
}

@Suite("MappedSplitter")
struct MappedSplitterTests {
    func writeTemporary(_ bytes: [UInt8]) throws -> (TemporaryDirectory, String) {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/input.jsonl"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (dir, path)
    }

    func both(_ bytes: [UInt8], chunkSize: Int, maxLineBytes: Int = 64 << 20) throws -> (Collected, Collected) {
        let (dir, path) = try writeTemporary(bytes)
        defer { _ = dir }
        let mapped = try collect([.path(path)], threads: 2, chunkSize: chunkSize, maxLineBytes: maxLineBytes).comparable
        let streamed = try collect([.bytes(bytes, name: path, maxReadSize: 5)], threads: 1, chunkSize: chunkSize,
                                   maxLineBytes: maxLineBytes).comparable
        return (mapped, streamed)
    }

    @Test("a mapped file gives the same lines, rows, rejects and offsets as a stream", arguments: 1...17)
    func sameAsStream(chunkSize: Int) throws {
        let (mapped, streamed) = try both(Array(LineSplitterTests.mixed.utf8), chunkSize: chunkSize)
        #expect(mapped == streamed)
        #expect(mapped.rows.first?.offset == 3)
    }

    @Test("over-long lines in a mapped file are rejected and kept byte for byte", arguments: [1, 7, 64, 100_000])
    func overLong(chunkSize: Int) throws {
        let long = "{\"id\":\"" + String(repeating: "x", count: 300) + "\"}"
        let text = "{\"id\":\"a\"}\n" + long + "\r\n" + long + "\n{\"id\":\"b\"}\n" + long
        let (mapped, streamed) = try both(Array(text.utf8), chunkSize: chunkSize, maxLineBytes: 100)
        #expect(mapped == streamed)
        #expect(mapped.rejects.count == 3 && mapped.rejects.allSatisfy { $0.raw == Array(long.utf8) })
    }

    /// Records the line count of every batch it is given.
    final class BatchSizes: Sink {
        var lineCounts: [Int] = []
        func makeWorker() -> (any SinkWorker)? { nil }
        func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws {
            lineCounts.append(batch.lineCount)
        }
        func finish() throws {}
        func publish() throws {}
        func abort() {}
    }

    @Test("chunks of very short lines are cut smaller, from a file and from a stream")
    func shortLinesBoundChunks() throws {
        // 20-byte lines: a 4 MiB chunk would hold about 210,000 of them (and as many row records).
        var bytes: [UInt8] = []
        var i = 0
        while bytes.count < 6 << 20 {
            bytes += Array((i % 5 == 0 ? "\n" : "{\"id\":\"r\(i % 100_000 + 100_000)\"}\n").utf8)
            i += 1
        }
        let (dir, path) = try writeTemporary(bytes)
        defer { _ = dir }
        // A stream learns the length of its lines from its first chunk, which is full size.
        for (input, unbounded) in [(Input.path(path), 0), (.bytes(bytes, name: path, maxReadSize: 1 << 16), 1)] {
            let sizes = BatchSizes()
            var options = PipelineOptions()
            options.threads = 2
            let summary = try Pipeline(options: options).run([input], sinks: [sizes])
            #expect(summary.lines == i && sizes.lineCounts.reduce(0, +) == i)
            #expect(sizes.lineCounts.count > 4)
            let largest = sizes.lineCounts.dropFirst(unbounded).max() ?? 0
            #expect(largest <= 2 * Chunk.lineBudget, "\(largest) lines in one chunk")
        }
    }

    @Test("a file that ends exactly on a page boundary without a newline")
    func pageBoundary() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        var text = ""
        var i = 0
        while text.utf8.count < 2 * page - 40 { text += "{\"id\":\"r\(i)\"}\n"; i += 1 }
        let last = "{\"id\":\"" + String(repeating: "z", count: 2 * page - text.utf8.count - 9) + "\"}"
        text += last
        #expect(text.utf8.count == 2 * page)
        let (mapped, streamed) = try both(Array(text.utf8), chunkSize: 1 << 16)
        #expect(mapped == streamed)
        #expect(mapped.rows.last?.raw == Array(last.utf8))
    }
}
