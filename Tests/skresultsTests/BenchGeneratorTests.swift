// `skresults-bench generate`: the same seed gives the same bytes, and the sample is varied enough
// to exercise the decoder (many labels, null outputs, escapes, non-ASCII text).

import Foundation
import Testing

@Suite("skresults-bench generate")
struct BenchGeneratorTests {
    static var bench: URL { CLI.binary.deletingLastPathComponent().appendingPathComponent("skresults-bench") }

    func generate(size: String, seed: Int, to path: String, source: String? = nil) throws -> Int32 {
        let p = Process()
        p.executableURL = BenchGeneratorTests.bench
        p.arguments = ["generate", "--size", size, "--seed", String(seed), path] + (source.map { ["--source", $0] } ?? [])
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test("the same seed gives byte-identical output, here and in samples/")
    func deterministic() throws {
        let dir = try Scratch()
        #expect(try generate(size: "256KiB", seed: 1, to: dir.path("a.jsonl"), source: dir.path("s.jsonl")) == 0)
        #expect(try shell("cmp -s \(dir.path("a.jsonl")) \(CLI.sample("generated.jsonl"))") == 0)
        #expect(try shell("cmp -s \(dir.path("s.jsonl")) \(CLI.sample("generated-source.jsonl"))") == 0)
        #expect(try generate(size: "256KiB", seed: 2, to: dir.path("b.jsonl")) == 0)
        #expect(try shell("cmp -s \(dir.path("a.jsonl")) \(dir.path("b.jsonl"))") != 0)
    }

    @Test("the output is varied: over 100 labels, null outputs, escapes and non-ASCII text")
    func varied() throws {
        let r = try CLI.run(["labels", "-q", "--format", "json", CLI.sample("generated.jsonl")])
        let summary = try JSONSerialization.jsonObject(with: r.stdoutBytes) as! [String: Any]
        #expect((summary["labels"] as! [String: Int]).count > 100)
        #expect((summary["null_output"] as! Int) > 0)
        #expect((summary["rejected"] as! Int) == 0)
        let text = try String(contentsOfFile: CLI.sample("generated.jsonl"), encoding: .utf8)
        #expect(text.contains("\\u002e") && text.contains("é") && text.contains("\\\""))
    }
}
