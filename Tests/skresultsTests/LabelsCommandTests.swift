// `skresults labels` end to end: exact stdout for the samples, stdin, formats, rejects file,
// help, and every exit code.

import Foundation
import Testing

@Suite("skresults labels")
struct LabelsCommandTests {
    @Test("the samples give their expected JSON exactly", arguments: ["results", "edge-cases", "generated"])
    func samples(name: String) throws {
        let expected = try String(contentsOfFile: CLI.sample("\(name).expected.json"), encoding: .utf8)
        let r = try CLI.run(["labels", "--format", "json", CLI.sample("\(name).jsonl")])
        #expect(r.status == 0)
        #expect(r.stdout == expected)
        #expect(r.stderr.hasPrefix("skresults: "))
    }

    @Test("on mutated sample lines, counts and every reject (line, offset, bytes) equal the independent reference",
          arguments: [["--threads", "1"], ["--threads", "3", "--chunk-size", "4KiB"]])
    func mutatedLinesMatchReference(options: [String]) throws {
        let dir = try Scratch()
        let reference = CLI.packageRoot.appendingPathComponent("Tests/reference").path
        let input = dir.path("mutated.jsonl")
        #expect(try shell("python3 \(reference)/mutated_lines.py 11 4000 \(input)") == 0)
        #expect(try shell("PYTHONIOENCODING=utf-8:surrogatepass python3 \(reference)/reference_labels.py "
                          + "--rejects \(dir.path("ref.rej")) \(input) > \(dir.path("ref.json"))") == 0)
        let r = try CLI.run(["labels", "-q", "--format", "json", "--rejects", dir.path("ours.rej"), input] + options)
        #expect(r.status == 0)
        func object(_ data: Data) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        }
        let ours = try object(Data(r.stdout.utf8))
        let theirs = try object(Data(contentsOf: URL(fileURLWithPath: dir.path("ref.json"))))
        for key in ["lines", "rows", "blank", "rejected", "null_output", "ignored_entries"] {
            #expect(ours[key] as? Int == theirs[key] as? Int, "\(key)")
        }
        #expect((ours["rejected"] as? Int ?? 0) > 1000 && (ours["rows"] as? Int ?? 0) > 100)
        // Rejects: the same lines, offsets and raw bytes, in order (the reference gives no reason).
        func rejects(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
                let o = try object(Data(line.utf8))
                return "\(o["line"] ?? "-") \(o["offset"] ?? "-") \(o["raw"] ?? o["raw_base64"] ?? "-")"
            }
        }
        let ourRejects = try rejects(dir.path("ours.rej"))
        let theirRejects = try rejects(dir.path("ref.rej"))
        #expect(ourRejects.count == theirRejects.count)
        #expect(ourRejects == theirRejects)
    }

    @Test("standard input, by '-' and by no file, gives the same summary")
    func standardInput() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: CLI.sample("results.jsonl")))
        let expected = try String(contentsOfFile: CLI.sample("results.expected.json"), encoding: .utf8)
        #expect(try CLI.run(["labels", "--format", "json", "-"], stdin: data).stdout == expected)
        #expect(try CLI.run(["labels", "--format", "json"], stdin: data).stdout == expected)
    }

    @Test("several files give one combined summary")
    func combined() throws {
        let r = try CLI.run(["labels", "-q", "--format", "json", "-", "-"],
                            stdin: Data("{\"id\":\"a\",\"output\":{\"labels\":[\"x\"]}}\n".utf8))
        // The second '-' reads an exhausted stdin: zero lines.
        #expect(r.stdout == #"{"lines":1,"rows":1,"blank":0,"rejected":0,"null_output":0,"ignored_entries":0,"labels":{"x":1},"actions":{}}"# + "\n")
        let two = try CLI.run(["labels", "-q", "--format", "json", CLI.sample("results.jsonl"), CLI.sample("results.jsonl")])
        let one = try CLI.run(["labels", "-q", "--format", "json", CLI.sample("results.jsonl")])
        let a = try JSONSerialization.jsonObject(with: two.stdoutBytes) as! [String: Any]
        let b = try JSONSerialization.jsonObject(with: one.stdoutBytes) as! [String: Any]
        #expect(a["lines"] as? Int == 2 * (b["lines"] as! Int))
        #expect((a["labels"] as! [String: Int])["policy.scam"] == 2 * (b["labels"] as! [String: Int])["policy.scam"]!)
    }

    @Test("csv lists kind, name and count; --top limits it")
    func csv() throws {
        let input = Data("{\"id\":\"a\",\"output\":{\"labels\":[\"x\",\"y,z\",\"x\"],\"actions\":[\"ban\"]}}\n".utf8)
        let r = try CLI.run(["labels", "-q", "--format", "csv"], stdin: input)
        #expect(r.stdout == "kind,name,count\nlabel,x,2\nlabel,\"y,z\",1\naction,ban,1\n")
        let top = try CLI.run(["labels", "-q", "--format", "csv", "--top", "1"], stdin: input)
        #expect(top.stdout == "kind,name,count\nlabel,x,2\naction,ban,1\n")
    }

    @Test("the table shows labels with share and bar, then actions, then totals")
    func table() throws {
        let input = Data("{\"id\":\"a\",\"output\":{\"labels\":[\"x\"],\"actions\":[\"ban\"]}}\n{\"id\":\"b\",\"output\":{\"labels\":[\"x\",\"y\"]}}\n".utf8)
        let r = try CLI.run(["labels", "-q", "--format", "table"], stdin: input)
        #expect(r.stdout == """
            LABEL  COUNT   SHARE
            x          2  100.0%  ██████████████████████████████
            y          1   50.0%  ███████████████

            ACTION  COUNT   SHARE
            ban         1   50.0%  ██████████████████████████████

            lines 2   rows 2   blank 0   rejected 0   null_output 0   ignored_entries 0

            """)
    }

    @Test("--rejects keeps each rejected line; --strict turns rejects into exit 3")
    func rejectsAndStrict() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skresults-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let rejects = dir.appendingPathComponent("rejects.jsonl").path
        let input = Data("{\"id\":\"a\"}\n[1]\n".utf8)
        let r = try CLI.run(["labels", "-q", "--format", "json", "--rejects", rejects], stdin: input)
        #expect(r.status == 0)
        #expect(try String(contentsOfFile: rejects, encoding: .utf8)
                == #"{"file":"-","line":2,"offset":11,"reason":"not a JSON object","raw":"[1]"}"# + "\n")
        #expect(try CLI.run(["labels", "-q", "--strict"], stdin: input).status == 3)
        #expect(try CLI.run(["labels", "-q", "--strict"], stdin: Data("{\"id\":\"a\"}\n".utf8)).status == 0)
    }

    @Test("--max-line-bytes rejects longer lines")
    func maxLineBytes() throws {
        let r = try CLI.run(["labels", "-q", "--format", "json", "--max-line-bytes", "12"],
                            stdin: Data("{\"id\":\"abc\"}\n{\"id\":\"abcd\"}\n".utf8))
        #expect(r.stdout.hasPrefix(#"{"lines":2,"rows":1,"blank":0,"rejected":1,"#))
    }

    @Test("--help on every command goes to stdout and exits 0", arguments: [["--help"], ["labels", "--help"], ["help", "labels"], ["labels", "-h"]])
    func help(args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.status == 0)
        #expect(r.stdout.contains("OVERVIEW:"))
        #expect(r.stdout.contains("USAGE:"))
        #expect(r.stdout.contains("OPTIONS:"))
        #expect(r.stderr.isEmpty)
    }

    @Test("usage errors print Error and Usage on stderr and exit 64",
          arguments: [["labels", "--bogus"], ["labels", "--format", "xml"], ["labels", "--top", "0"], ["frobnicate"], ["labels", "--threads"]])
    func usageErrors(args: [String]) throws {
        let r = try CLI.run(args)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("Error: "))
        #expect(r.stderr.contains("\nUsage: "))
        #expect(r.stdout.isEmpty)
    }

    @Test("an unreadable input exits 1 with a message that names it, and prints no summary")
    func missingFile() throws {
        let r = try CLI.run(["labels", "--format", "json", CLI.sample("results.jsonl"), "/nonexistent/x.jsonl"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("/nonexistent/x.jsonl"))
        #expect(r.stdout.isEmpty)
    }
}
