// `skresults process` end to end: compressed inputs, the archive, the join (JSONL and CSV
// sources), all sinks in one pass over a pipe, and atomic failure.

import Foundation
import Testing

/// A scratch directory for one test.
final class Scratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("skresults-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
        return path(name)
    }
    func read(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
}

/// Runs a shell command (gzip, zstd, cat) for test fixtures.
@discardableResult
func shell(_ command: String) throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

@Suite("skresults process")
struct ProcessCommandTests {
    static let results = """
        {"id":"p1","output":{"labels":["spam"],"actions":["ban"]}}\r
        {"id":"p2","output":null}

        not json
        {"id":"p3","output":{"labels":[{"label":"scam"}]}}
        {"id":"p1","output":{"labels":["spam"]}}
        {"id":"ghost","output":{}}
        {"id":"ghost","output":{}}
        """

    @Test("zstd and gzip inputs, files and stdin, multi-frame, give the plain summary")
    func compressedInputs() throws {
        let dir = try Scratch()
        let plain = CLI.sample("results.jsonl")
        #expect(try shell("zstd -q -c \(plain) > \(dir.path("a.zst")) && gzip -c \(plain) > \(dir.path("a.gz"))") == 0)
        #expect(try shell("cat \(dir.path("a.zst")) \(dir.path("a.zst")) > \(dir.path("twice.bin"))") == 0)
        #expect(try shell("cat \(dir.path("a.gz")) \(dir.path("a.gz")) > \(dir.path("twice.data"))") == 0)
        let expected = try CLI.run(["labels", "-q", "--format", "json", plain]).stdout
        for file in ["a.zst", "a.gz"] {
            #expect(try CLI.run(["labels", "-q", "--format", "json", dir.path(file)]).stdout == expected)
            let data = try Data(contentsOf: URL(fileURLWithPath: dir.path(file)))
            #expect(try CLI.run(["process", "-q", "--format", "json"], stdin: data).stdout == expected)
        }
        let doubled = try CLI.run(["labels", "-q", "--format", "json", plain, plain]).stdout
        #expect(try CLI.run(["labels", "-q", "--format", "json", dir.path("twice.bin")]).stdout != expected)
        let frames = try CLI.run(["labels", "-q", "--format", "json", dir.path("twice.bin")])
        let members = try CLI.run(["labels", "-q", "--format", "json", dir.path("twice.data")])
        // Two copies in one stream: the same counts as the two files, but one input's line numbers.
        #expect(frames.status == 0 && members.status == 0)
        #expect(frames.stdout == doubled)
        #expect(members.stdout == doubled)
    }

    @Test("zstd from the real tool at several levels and windows, from a file and a pipe, with a line longer than a segment, gives the plain summary and rejects")
    func zstdLevelsAndWindows() throws {
        let dir = try Scratch()
        var text = ""
        for i in 0..<30_000 {
            text += i == 15_000
                ? #"{"id":"long","output":null,"metadata":{"pad":""# + String(repeating: "z", count: 3_000_000) + "\"}}\n"
                : #"{"id":"r\#(i)","output":{"labels":["l\#(i % 7)"]}}"# + (i % 97 == 0 ? "\r\nbroken {\n" : "\n")
        }
        let plain = try dir.write("in.jsonl", text)
        let expected = try CLI.run(["labels", "-q", "--format", "json", "--rejects", dir.path("want.jsonl"), plain])
        #expect(expected.status == 0)
        let want = try dir.read("want.jsonl").replacingOccurrences(of: plain, with: "-")
        for options in ["-1", "-19", "--long=27 -3", "--no-check -3"] {
            #expect(try shell("zstd -q \(options) -c \(plain) > \(dir.path("in.zst"))") == 0)
            let fromFile = try CLI.run(["labels", "-q", "--format", "json", dir.path("in.zst")])
            #expect(fromFile.stdout == expected.stdout, "zstd \(options)")
            let data = try Data(contentsOf: URL(fileURLWithPath: dir.path("in.zst")))
            let fromPipe = try CLI.run(["labels", "-q", "--format", "json", "--rejects", dir.path("got.jsonl"), "-"], stdin: data)
            #expect(fromPipe.stdout == expected.stdout, "zstd \(options), stdin")
            #expect(try dir.read("got.jsonl") == want, "zstd \(options), rejects")
        }
    }

    @Test("a truncated or corrupt compressed input exits 1, names the file and the offset, prints no summary",
          arguments: ["zst", "gz"])
    func truncated(kind: String) throws {
        let dir = try Scratch()
        let tool = kind == "zst" ? "zstd -q -c" : "gzip -c"
        #expect(try shell("\(tool) \(CLI.sample("results.jsonl")) > \(dir.path("whole")) && head -c $(( $(stat -c %s \(dir.path("whole"))) / 2 )) \(dir.path("whole")) > \(dir.path("cut.\(kind)"))") == 0)
        let r = try CLI.run(["labels", "--format", "json", dir.path("cut.\(kind)")])
        #expect(r.status == 1)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(dir.path("cut.\(kind)")))
        #expect(r.stderr.contains("decompressed bytes"))
        #expect(try shell("printf '\\050\\265\\057\\375garbage' > \(dir.path("bad.zst"))") == 0)
        let bad = try CLI.run(["labels", dir.path("bad.zst")])
        #expect(bad.status == 1 && bad.stderr.contains("bad.zst"))
    }

    @Test("the archive decompresses to exactly the accepted lines, in order")
    func archive() throws {
        let dir = try Scratch()
        let input = try dir.write("in.jsonl", ProcessCommandTests.results)
        let r = try CLI.run(["process", "-q", "--format", "json", input, "--archive", dir.path("out.jsonl.zst"), "--level", "5"])
        #expect(r.status == 0)
        #expect(r.stdout.contains(#""archive":{"rows":6,"bytes_in":"#))
        #expect(try shell("zstd -q -dc \(dir.path("out.jsonl.zst")) > \(dir.path("back.jsonl"))") == 0)
        #expect(try dir.read("back.jsonl") == """
            {"id":"p1","output":{"labels":["spam"],"actions":["ban"]}}
            {"id":"p2","output":null}
            {"id":"p3","output":{"labels":[{"label":"scam"}]}}
            {"id":"p1","output":{"labels":["spam"]}}
            {"id":"ghost","output":{}}
            {"id":"ghost","output":{}}

            """)
    }

    @Test("an archive of many MB comes in frames of whole lines of about 512 KiB, a longer line in one frame")
    func archiveFrames() throws {
        let dir = try Scratch()
        var text = ""
        var accepted = ""
        for i in 0..<40_000 {
            let pad = String(repeating: "x", count: i % 211)
            let row = i == 20_000
                ? #"{"id":"long","output":null,"metadata":{"pad":""# + String(repeating: "y", count: 1_500_000) + #""}}"#
                : #"{"id":"r\#(i)","output":{"labels":["l\#(i % 5)"]},"metadata":{"pad":"\#(pad)"}}"#
            text += row + (i % 1000 == 7 ? "\n\nnot json\n" : "\n")
            accepted += row + "\n"
        }
        let input = try dir.write("in.jsonl", text)
        let r = try CLI.run(["process", "-q", "--format", "json", input, "--archive", dir.path("a.zst")])
        #expect(r.status == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let archive = summary?["archive"] as? [String: Any]
        let bytes = accepted.utf8.count
        #expect(archive?["rows"] as? Int == 40_000 && archive?["bytes_in"] as? Int == bytes)
        // At most 512 KiB of lines per frame, the long line alone in its own.
        #expect((archive?["frames"] as? Int ?? 0) >= bytes / (512 << 10) + 1)
        #expect(try shell("zstd -q -dc \(dir.path("a.zst")) > \(dir.path("back.jsonl"))") == 0)
        #expect(try dir.read("back.jsonl") == accepted)
    }

    @Test("an empty input still gives a valid, empty archive")
    func emptyArchive() throws {
        let dir = try Scratch()
        let r = try CLI.run(["process", "-q", "--archive", dir.path("e.zst")], stdin: Data())
        #expect(r.status == 0)
        #expect(try shell("test \"$(zstd -q -dc \(dir.path("e.zst")) | wc -c)\" = 0") == 0)
    }

    @Test("the join carries each row's source, counts both sides' misses and duplicates")
    func joinJSONL() throws {
        let dir = try Scratch()
        let input = try dir.write("in.jsonl", ProcessCommandTests.results)
        let source = try dir.write("src.jsonl", """
            {"id":"p1","title":"old"}
            {"id":"p2","title":"two"}
            {"\\u0069d":"p3","title":"three"}
            {"id":"p1","title":"new, wins"}
            {"id":"lonely","title":"never matched"}
            not a source row

            """)
        let r = try CLI.run(["process", "-q", "--format", "json", input, "--join", source, "--joined", dir.path("j.jsonl"),
                             "--unmatched-sources", dir.path("u.jsonl")])
        #expect(r.status == 0)
        #expect(r.stdout.hasSuffix(#""join":{"matched":4,"unmatched_results":2,"unmatched_sources":1,"duplicate_source_keys":1,"duplicate_result_ids":2}}"# + "\n"))
        #expect(try dir.read("j.jsonl") == """
            {"id":"p1","result":{"id":"p1","output":{"labels":["spam"],"actions":["ban"]}},"source":{"id":"p1","title":"new, wins"}}
            {"id":"p2","result":{"id":"p2","output":null},"source":{"id":"p2","title":"two"}}
            {"id":"p3","result":{"id":"p3","output":{"labels":[{"label":"scam"}]}},"source":{"\\u0069d":"p3","title":"three"}}
            {"id":"p1","result":{"id":"p1","output":{"labels":["spam"]}},"source":{"id":"p1","title":"new, wins"}}
            {"id":"ghost","result":{"id":"ghost","output":{}},"source":null}
            {"id":"ghost","result":{"id":"ghost","output":{}},"source":null}

            """)
        #expect(try dir.read("u.jsonl") == #"{"id":"lonely","title":"never matched"}"# + "\n")
    }

    @Test("a CSV source: header, BOM, quoted commas, quotes and newlines, another key column")
    func joinCSV() throws {
        let dir = try Scratch()
        let input = try dir.write("in.jsonl", "{\"id\":\"a\"}\n{\"id\":\"b,1\"}\n{\"id\":\"c\"}\n")
        let source = try dir.write("src.csv", "\u{FEFF}sku,name,note\r\na,Alpha,\"says \"\"hi\"\"\"\r\n\"b,1\",Beta,\"two\nlines\"\r\nz,Zed,\r\n")
        let r = try CLI.run(["process", "-q", "--format", "json", input, "--join", source, "--joined", dir.path("j.jsonl"),
                             "--source-key", "sku"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try dir.read("j.jsonl") == """
            {"id":"a","result":{"id":"a"},"source":{"sku":"a","name":"Alpha","note":"says \\"hi\\""}}
            {"id":"b,1","result":{"id":"b,1"},"source":{"sku":"b,1","name":"Beta","note":"two\\nlines"}}
            {"id":"c","result":{"id":"c"},"source":null}

            """)
        #expect(r.stdout.contains(#""join":{"matched":2,"unmatched_results":1,"unmatched_sources":1,"#))
        // The format comes from the extension unless --source-format says otherwise.
        let renamed = dir.path("src.data")
        try FileManager.default.copyItem(atPath: source, toPath: renamed)
        let forced = try CLI.run(["process", "-q", "--format", "json", input, "--join", renamed, "--joined", dir.path("k.jsonl"),
                                  "--source-key", "sku", "--source-format", "csv"])
        #expect(forced.stdout == r.stdout)
    }

    @Test("an index that outgrows its first estimate is rehashed: every key is still found, the last duplicate wins",
          arguments: ["jsonl", "csv"])
    func joinIndexGrowth(format: String) throws {
        let dir = try Scratch()
        // JSONL: the first blocks hold a few long records, so the size estimated from them is far
        // too small for the many short ones after. CSV: the index starts small and doubles.
        var source = format == "csv" ? "id,n\n" : ""
        let padding = String(repeating: "x", count: 100_000)
        func record(_ id: String, _ n: Int, pad: Bool = false) -> String {
            format == "csv" ? "\(id),\(n)\n" : "{\"id\":\"\(id)\",\"n\":\(n)\(pad ? ",\"pad\":\"\(padding)\"" : "")}\n"
        }
        for i in 0..<120 { source += record("long\(i)", i, pad: format == "jsonl") }
        for i in 0..<40_000 { source += record("k\(i)", i) }
        source += record("long7", -7) + record("k123", -123)
        let sourcePath = try dir.write("src.\(format)", source)
        var results = ""
        for i in stride(from: 0, to: 40_000, by: 7) { results += "{\"id\":\"k\(i)\"}\n" }
        results += "{\"id\":\"long7\"}\n{\"id\":\"k123\"}\n{\"id\":\"missing\"}\n"
        let input = try dir.write("in.jsonl", results)
        let r = try CLI.run(["process", "-q", "--format", "json", input, "--join", sourcePath, "--joined", dir.path("j.jsonl")])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = (40_000 + 6) / 7  // k0, k7, …
        #expect(r.stdout.contains(#""join":{"matched":\#(rows + 2),"unmatched_results":1,"unmatched_sources":\#(40_120 - rows - 2),"duplicate_source_keys":2,"#))
        let joined = try dir.read("j.jsonl").split(separator: "\n")
        #expect(joined.count == rows + 3)
        #expect(joined[1] == (format == "csv" ? #"{"id":"k7","result":{"id":"k7"},"source":{"id":"k7","n":"7"}}"#
                                              : #"{"id":"k7","result":{"id":"k7"},"source":{"id":"k7","n":7}}"#))
        #expect(joined[rows].hasSuffix(format == "csv" ? #""source":{"id":"long7","n":"-7"}}"# : #""source":{"id":"long7","n":-7}}"#))
        #expect(joined[rows + 1].hasSuffix(format == "csv" ? #""source":{"id":"k123","n":"-123"}}"# : #""source":{"id":"k123","n":-123}}"#))
    }

    @Test("a join source read from a pipe gives the same join as from a file")
    func joinSourceFromPipe() throws {
        let dir = try Scratch()
        let input = try dir.write("in.jsonl", ProcessCommandTests.results)
        let sourceText = "{\"id\":\"p1\",\"t\":1}\n{\"id\":\"p3\",\"t\":3}\n{\"id\":\"p1\",\"t\":2}\n"
        let source = try dir.write("src.jsonl", sourceText)
        let fromFile = try CLI.run(["process", "-q", "--format", "json", input, "--join", source, "--joined", dir.path("a.jsonl")])
        let fromPipe = try CLI.run(["process", "-q", "--format", "json", input, "--join", "/dev/stdin", "--joined", dir.path("b.jsonl"),
                                    "--source-format", "jsonl"], stdin: Data(sourceText.utf8))
        #expect(fromFile.status == 0 && fromPipe.status == 0)
        #expect(fromPipe.stdout == fromFile.stdout)
        #expect(try dir.read("a.jsonl") == dir.read("b.jsonl"))
    }

    @Test("a zstd or gzip join source gives the same join as the plain file", arguments: ["zstd -q -c", "zstd -q -19 -c", "gzip -c"])
    func joinCompressedSource(compressor: String) throws {
        let dir = try Scratch()
        let input = try dir.write("in.jsonl", ProcessCommandTests.results)
        let source = try dir.write("src.jsonl", "{\"id\":\"p1\",\"t\":1}\n{\"id\":\"p3\",\"t\":3}\nbad\n{\"id\":\"p1\",\"t\":2}\n")
        #expect(try shell("\(compressor) \(source) > \(dir.path("src.bin"))") == 0)
        let plain = try CLI.run(["process", "-q", "--format", "json", input, "--join", source, "--joined", dir.path("a.jsonl")])
        let packed = try CLI.run(["process", "-q", "--format", "json", input, "--join", dir.path("src.bin"),
                                  "--source-format", "jsonl", "--joined", dir.path("b.jsonl")])
        #expect(plain.status == 0 && packed.status == 0)
        #expect(packed.stdout == plain.stdout)
        #expect(try dir.read("a.jsonl") == dir.read("b.jsonl"))
    }

    @Test("the join of the generated pair equals an independent Python join, at any thread count and chunk size",
          arguments: [["--threads", "1"], ["--threads", "2", "--chunk-size", "1000"], ["--threads", "3", "--chunk-size", "64KiB"]])
    func joinMatchesReference(options: [String]) throws {
        let dir = try Scratch()
        let results = CLI.sample("generated.jsonl")
        let source = CLI.sample("generated-source.jsonl")
        let script = CLI.packageRoot.appendingPathComponent("Tests/reference/reference_join.py").path
        let counts = dir.path("counts.json")
        #expect(try shell("python3 \(script) \(results) \(source) \(dir.path("ref.jsonl")) > \(counts)") == 0)
        let r = try CLI.run(["process", "-q", "--format", "json", results, "--join", source,
                             "--joined", dir.path("j.jsonl")] + options)
        #expect(r.status == 0)
        #expect(try shell("cmp -s \(dir.path("j.jsonl")) \(dir.path("ref.jsonl"))") == 0)
        let summary = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        let join = summary?["join"] as? [String: Int]
        let reference = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: counts))) as? [String: Int]
        #expect(join != nil && join == reference)
        #expect((join?["matched"] ?? 0) > 0 && (join?["unmatched_results"] ?? 0) > 0 && (join?["unmatched_sources"] ?? 0) > 0)
    }

    @Test("all sinks in one pass over a pipe equal each sink on its own")
    func onePass() throws {
        let dir = try Scratch()
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.sample("results.jsonl")))
        let source = try dir.write("src.jsonl", "{\"id\":\"user_10000\",\"n\":1}\n{\"id\":\"nobody\"}\n")
        // Standard input can only be read once, so one run must feed every sink.
        let all = try CLI.run(["process", "-q", "--format", "json", "--archive", dir.path("a.zst"), "--join", source,
                               "--joined", dir.path("j.jsonl"), "--rejects", dir.path("r.jsonl"),
                               "--summary", dir.path("s.json")], stdin: data)
        #expect(all.status == 0)
        #expect(try dir.read("s.json") == all.stdout)
        let archiveOnly = try CLI.run(["process", "-q", "--archive", dir.path("a2.zst"), CLI.sample("results.jsonl")])
        #expect(archiveOnly.status == 0)
        #expect(try shell("cmp -s \(dir.path("a.zst")) \(dir.path("a2.zst"))") == 0)
        let joinOnly = try CLI.run(["process", "-q", "--join", source, "--joined", dir.path("j2.jsonl"), CLI.sample("results.jsonl")])
        #expect(joinOnly.status == 0)
        #expect(try dir.read("j.jsonl") == dir.read("j2.jsonl"))
        #expect(try dir.read("j.jsonl").split(separator: "\n").count == 320)
    }

    @Test("a failing output stops the run, names the output, leaves nothing under a final name")
    func failingOutput() throws {
        let dir = try Scratch()
        let r = try CLI.run(["process", "-q", CLI.sample("results.jsonl"), "--archive", dir.path("a.zst"),
                             "--rejects", dir.path("r.jsonl"), "--joined", "/nonexistent/dir/j.jsonl",
                             "--join", CLI.sample("results.jsonl")])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/dir/j.jsonl"))
        #expect(try dir.entries() == [])
        // /dev/full fails every write with ENOSPC: the disk-full case.
        let full = try CLI.run(["process", "-q", CLI.sample("results.jsonl"), "--rejects", dir.path("r.jsonl"),
                                "--archive", "/dev/full"])
        #expect(full.status == 1)
        #expect(try dir.entries() == [])
    }

    @Test("stopped by a signal mid-run, it removes its temporary files and exits 128 + the signal",
          arguments: [SIGINT, SIGTERM])
    func interrupted(signal: Int32) throws {
        let dir = try Scratch()
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["process", "-q", "--archive", dir.path("a.zst"), "--rejects", dir.path("r.jsonl")]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Some rows, then silence: the run waits for more input with its outputs open.
        input.fileHandleForWriting.write(Data("{\"id\":\"a\"}\nnot json\n".utf8))
        var waited = 0
        while try dir.entries().count < 2 && waited < 100 {
            usleep(20_000)
            waited += 1
        }
        #expect(try dir.entries().count == 2)  // the two temporary files
        kill(process.processIdentifier, signal)
        // Bounded: a child that ignored the signal must fail the test, not hang it.
        for _ in 0..<500 where process.isRunning { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the process did not stop on signal \(signal)")
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 128 + signal)
        #expect(try dir.entries() == [])
        try? input.fileHandleForWriting.close()
    }

    @Test("a join source truncated during the run is a clear error, exit 1, and leaves no output")
    func joinSourceTruncatedMidRun() throws {
        let dir = try Scratch()
        var source = ""
        for i in 0..<4_000 { source += "{\"id\":\"k\(i)\",\"pad\":\"\(String(repeating: "p", count: 40))\"}\n" }
        let sourcePath = try dir.write("src.jsonl", source)
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["process", "-q", "-", "--join", sourcePath, "--joined", dir.path("j.jsonl")]
        let input = Pipe()
        let err = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        // The joined output's temporary file is opened once the source is indexed (mapped, read).
        var waited = 0
        while try dir.entries().count < 2 && waited < 250 {
            usleep(20_000)
            waited += 1
        }
        #expect(try dir.entries().count == 2)
        // Another process cuts the source short; the lookups then read pages past its new end.
        #expect(truncate(sourcePath, 0) == 0)
        var rows = ""
        for i in stride(from: 3_999, to: 0, by: -7) { rows += "{\"id\":\"k\(i)\"}\n" }
        input.fileHandleForWriting.write(Data(rows.utf8))
        try input.fileHandleForWriting.close()
        for _ in 0..<500 where process.isRunning { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("the process did not stop")
        }
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationReason == .exit && process.terminationStatus == 1)
        #expect(message.contains("truncated while it was being read"))
        #expect(try dir.entries() == ["src.jsonl"])
    }

    @Test("option rules are usage errors", arguments: [["process", "--join", "x"], ["process", "--level", "3"],
                                                        ["process", "--archive", "a", "--level", "99"],
                                                        ["process", "--source-key", "k"]])
    func usage(args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("Error: "))
    }
}
