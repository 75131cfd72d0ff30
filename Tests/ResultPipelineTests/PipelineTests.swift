// The pipeline as a whole: thread counts and chunk sizes do not change any answer, inputs are
// numbered separately, outputs are atomic, and errors stop the run cleanly.

import Foundation
import Testing
@testable import ResultPipeline

/// A deterministic mixed input: rows with labels and actions, blanks, rejects, CRLF, escapes.
func generatedInput(lines: Int, seed: UInt64) -> [UInt8] {
    var state = seed
    func next() -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Int(truncatingIfNeeded: state >> 33)
    }
    var text = ""
    for i in 0..<lines {
        switch next() % 20 {
        case 0: text += "\n"
        case 1: text += "{\"id\":\"r\(i)\",\"output\":{\"labels\":[1,}\n"
        case 2: text += "{\"id\":\"r\(i)\",\"output\":null}\r\n"
        case 3: text += "{\"id\":\"r\(i)\",\"output\":{\"labels\":[\"policy.\\u0065scaped\"]," + "\"pad\":\"" + String(repeating: "z", count: next() % 5000) + "\"}}\n"
        default:
            let labels = (0..<(next() % 4)).map { _ in "{\"label\":\"policy.l\(next() % 50)\"}" }.joined(separator: ",")
            let actions = next() % 3 == 0 ? "\"suspend_account\"" : "{\"action\":\"review\",\"queue\":\"q\"}"
            text += "{\"id\":\"r\(i)\",\"output\":{\"actions\":[\(actions)],\"labels\":[\(labels)],\"fields\":{}},\"metadata\":{\"n\":\(i)}}\n"
        }
    }
    return Array(text.utf8)
}

@Suite("Pipeline")
struct PipelineTests {
    @Test("parallel runs equal the single-threaded run at every chunk size",
          arguments: [(2, 1 << 10), (2, 1 << 16), (4, 4096), (3, 777), (1, 100)])
    func parallelEqualsSingle(threads: Int, chunkSize: Int) throws {
        let input = generatedInput(lines: 5000, seed: 42)
        let single = try collect([.bytes(input)], threads: 1, chunkSize: 1 << 20).comparable
        let parallel = try collect([.bytes(input, maxReadSize: 3000)], threads: threads, chunkSize: chunkSize).comparable
        #expect(parallel == single)
        #expect(single.summary.lines == single.summary.rows + single.summary.blank + single.summary.rejected)
        #expect(single.summary.lines == 5000)
        // The label counts (taken in slices during decoding) equal a count over the rows seen.
        var fromRows: [String: Int] = [:]
        for row in single.rows { for label in row.labels { fromRows[label, default: 0] += 1 } }
        #expect(single.labels == fromRows && !fromRows.isEmpty)
        #expect(input.count > 4 * ChunkDecoder.sliceBytes, "several slices per chunk")
    }

    @Test("workers on every core with a busy reader: the reader decodes chunks too, and the results equal one thread's")
    func readerHelps() throws {
        // Streamed and compressed inputs keep the reader busy; with as many workers as cores
        // (or more), one fewer runs and the reader decodes whenever no chunk is free.
        let a = generatedInput(lines: 3000, seed: 7), b = generatedInput(lines: 4000, seed: 8)
        let inputs: [Input] = [.bytes(a, name: "a", maxReadSize: 5000), .bytes(zstdFrames([b[...]]), name: "b"),
                               .bytes(a + b, name: "c")]
        let single = try collect(inputs, threads: 1, chunkSize: 1 << 20).comparable
        #expect(single.summary.inputs == 3 && single.summary.lines == 14_000)
        for threads in [PipelineOptions.onlineCores, PipelineOptions.onlineCores + 1] {
            for chunkSize in [1 << 10, 1 << 14] {
                #expect(try collect(inputs, threads: threads, chunkSize: chunkSize).comparable == single)
            }
        }
    }

    @Test("each input numbers its lines from 1; offsets are per input")
    func multipleInputs() throws {
        let a: [UInt8] = Array("{\"id\":\"a1\"}\nbad\n".utf8)
        let b: [UInt8] = Array("\u{FEFF}{\"id\":\"b1\"}\n".utf8)
        let c = try collect([.bytes(a, name: "a"), .bytes([], name: "empty"), .bytes(b, name: "b")], threads: 2)
        #expect(c.rows.map(\.line) == [1, 1])
        #expect(c.rows.map(\.offset) == [0, 3])
        #expect(c.rejects.map(\.line) == [2])
        #expect(c.summary.inputs == 3)
        #expect(c.summary.bytes == a.count + b.count)
    }

    @Test("the rejects file holds each rejected line with file, line, offset, reason and raw bytes")
    func rejectsFile() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/rejects.jsonl"
        let input: [UInt8] = Array("{\"id\":\"a\"}\n{\"id\":\"q\"\"}\n".utf8) + [0x7B, 0xFF, 0x7D, 0x0A]
        let sink = try RejectsSink(path: path)
        let summary = try Pipeline().run([.bytes(input, name: "in.jsonl")], sinks: [sink])
        #expect(summary.rejected == 2)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == """
            {"file":"in.jsonl","line":2,"offset":11,"reason":"invalid JSON: expected ',' or '}' at byte 9","raw":"{\\"id\\":\\"q\\"\\"}"}
            {"file":"in.jsonl","line":3,"offset":23,"reason":"invalid JSON: expected a string key at byte 1","raw_base64":"e/99"}

            """)
        #expect(try dir.entries() == ["rejects.jsonl"])
    }

    @Test("a failing sink stops the run and leaves no output under its final name")
    func failingSinkAborts() throws {
        struct Boom: Error {}
        final class FailingSink: Sink {
            func commit(_ batch: RowBatch, workerOutput: UnsafeRawBufferPointer) throws { throw Boom() }
        }
        let dir = try TemporaryDirectory()
        let rejects = try RejectsSink(path: dir.path + "/rejects.jsonl")
        #expect(throws: Boom.self) {
            try Pipeline().run([.bytes(generatedInput(lines: 100, seed: 1))], sinks: [rejects, FailingSink()])
        }
        #expect(try dir.entries() == [])
    }

    @Test("a missing input is an error that names it")
    func missingInput() throws {
        let error = #expect(throws: SystemError.self) {
            try Pipeline().run([.path("/nonexistent/results.jsonl")], sinks: [])
        }
        #expect(error?.path == "/nonexistent/results.jsonl")
        #expect(error?.description == "/nonexistent/results.jsonl: No such file or directory")
    }
}

/// A scratch directory removed when the value goes away.
final class TemporaryDirectory {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "skresults-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

@Suite("JoinSink")
struct JoinSinkTests {
    @Test("a source indexed in parallel blocks still lets the last duplicate key win")
    func duplicatesAcrossBlocks() throws {
        let dir = try TemporaryDirectory()
        // Over 4 MiB, so the source is keyed in several blocks at once.
        var source = "{\"id\":\"k0\",\"v\":\"first\"}\n"
        for i in 0..<60_000 { source += "{\"id\":\"s\(i)\",\"pad\":\"\(String(repeating: "p", count: 60))\"}\n" }
        source += "{\"id\":\"k0\",\"v\":\"last\"}\n{\"id\":\"s7\",\"v\":\"later\"}\n"
        #expect(source.utf8.count > 4 << 20)
        try source.write(toFile: dir.path + "/src.jsonl", atomically: false, encoding: .utf8)
        let join = try JoinSink(source: dir.path + "/src.jsonl", joinedPath: dir.path + "/out.jsonl")
        let results = "{\"id\":\"k0\"}\n{\"id\":\"s7\"}\n{\"id\":\"s59999\"}\n{\"id\":\"nope\"}\n"
        _ = try Pipeline().run([.bytes(Array(results.utf8))], sinks: [join])
        let out = try String(contentsOfFile: dir.path + "/out.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(out.count == 4)
        #expect(out[0].hasSuffix(#""source":{"id":"k0","v":"last"}}"#))
        #expect(out[1].hasSuffix(#""source":{"id":"s7","v":"later"}}"#))
        #expect(out[2].contains(#""source":{"id":"s59999","#))
        #expect(out[3].hasSuffix(#""source":null}"#))
        #expect(join.stats == JoinStats(matched: 3, unmatchedResults: 1, unmatchedSources: 59_998,
                                        duplicateSourceKeys: 2, duplicateResultIDs: 0, invalidSourceRows: 0))
    }

    @Test("chunks with no rows (all rejected or blank) between others join like the rest", arguments: [1, 2])
    func chunksWithoutRows(threads: Int) throws {
        let dir = try TemporaryDirectory()
        try "{\"id\":\"a\",\"n\":1}\n{\"id\":\"b\",\"n\":2}\n".write(toFile: dir.path + "/src.jsonl", atomically: false,
                                                                              encoding: .utf8)
        var results = ""
        for round in 0..<3 {
            for i in 0..<2_000 { results += "not a row \(round) \(i)\n" }
            for _ in 0..<2_000 { results += "\n" }
            results += "{\"id\":\"a\"}\n{\"id\":\"c\"}\n{\"id\":\"b\"}\n"
        }
        let join = try JoinSink(source: dir.path + "/src.jsonl", joinedPath: dir.path + "/out.jsonl")
        var options = PipelineOptions()
        options.threads = threads
        options.chunkSize = 4096
        let summary = try Pipeline(options: options).run([.bytes(Array(results.utf8))], sinks: [join])
        #expect(summary.rows == 9 && summary.rejected == 6_000 && summary.blank == 6_000)
        let out = try String(contentsOfFile: dir.path + "/out.jsonl", encoding: .utf8)
        let line = #"{"id":"a","result":{"id":"a"},"source":{"id":"a","n":1}}"# + "\n"
            + #"{"id":"c","result":{"id":"c"},"source":null}"# + "\n"
            + #"{"id":"b","result":{"id":"b"},"source":{"id":"b","n":2}}"# + "\n"
        #expect(out == String(repeating: line, count: 3))
        #expect(join.stats == JoinStats(matched: 6, unmatchedResults: 3, unmatchedSources: 0,
                                        duplicateSourceKeys: 0, duplicateResultIDs: 6, invalidSourceRows: 0))
    }

    @Test("ids that share a hash tag and a first slot, or carry escapes, still find exactly their record")
    func tagCollisionsAndEscapes() throws {
        // Found by search: the same top 32 bits (the slot's tag) and low 10 bits (the first slot
        // of a small table) of their hash, so one key's probe meets the other's tag first.
        let a = "key3422455", b = "key3885937"
        let (ha, hb) = (Array(a.utf8).withUnsafeBytes(NameCounter.hash), Array(b.utf8).withUnsafeBytes(NameCounter.hash))
        #expect(ha >> 32 == hb >> 32 && ha & 1023 == hb & 1023 && a != b)
        let dir = try TemporaryDirectory()
        let results = #"""
            {"id":"\#(b)"}
            {"id":"\#(a)"}
            {"id":"p1"}
            {"id":"q2"}

            """#
        for (name, source, expected) in [
            ("without", #"""
                {"id":"\#(a)","n":1}
                {"id":"p1","n":2}
                {"id":"q2","n":3}

                """#, ["null", #"{"id":"\#(a)","n":1}"#, #"{"id":"p1","n":2}"#, #"{"id":"q2","n":3}"#]),
            ("with", #"""
                {"id":"\#(a)","n":1}
                {"id":"\#(b)","n":4}

                """#, [#"{"id":"\#(b)","n":4}"#, #"{"id":"\#(a)","n":1}"#, "null", "null"]),
        ] {
            try source.write(toFile: dir.path + "/\(name).jsonl", atomically: false, encoding: .utf8)
            let join = try JoinSink(source: dir.path + "/\(name).jsonl", joinedPath: dir.path + "/\(name)-out.jsonl")
            _ = try Pipeline().run([.bytes(Array(results.utf8))], sinks: [join])
            let out = try String(contentsOfFile: dir.path + "/\(name)-out.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(out.count == 4)
            for (line, record) in zip(out, expected) {
                #expect(line.hasSuffix(#""source":\#(record)}"#), "\(name): \(line)")
            }
        }
    }
}
