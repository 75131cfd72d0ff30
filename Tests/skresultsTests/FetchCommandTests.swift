// `skresults status` and `skresults fetch` against the scripted fake API: the same summary as
// `labels` on the same data, every exit code, and no key or URL signature in any output.

import FakeSafetyKit
import Foundation
import Testing

@Suite("skresults status and fetch", .serialized)
struct FetchCommandTests {
    static let key = "sk_live_SECRETKEY123"
    static let signature = "X-Amz-Signature=SIGNATURE987"

    func environment(_ api: FakeAPI, key: String = FetchCommandTests.key) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["SAFETYKIT_API_KEY"] = key
        env["SAFETYKIT_BASE_URL"] = api.base
        return env
    }

    func assertNoSecrets(_ r: CLIResult) {
        for secret in [FetchCommandTests.key, "SIGNATURE987"] {
            #expect(!r.stdout.contains(secret))
            #expect(!r.stderr.contains(secret))
        }
    }

    @Test("fetch streams a data_url file (gzip or zstd, several MB, slow chunks) into the same summary as labels, and --save keeps it",
          arguments: ["gz", "zst"])
    func fetchDownload(kind: String) throws {
        let scratch = try Scratch()
        let file = scratch.path("r.jsonl.\(kind)")
        let compressor = kind == "gz" ? "gzip -c" : "zstd -q -c"
        #expect(try shell("for i in $(seq 1 40); do cat \(CLI.sample("results.jsonl")); done | \(compressor) > \(file)") == 0)
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key,
            "files": ["r": ["path": file, "chunk": 32768, "delay": 0.001]],
            "requests": ["products/req": ["status": [
                FakeAPI.status("ingesting"),
                FakeAPI.ok(["status": "succeeded", "data_url": "{base}/files/r?\(FetchCommandTests.signature)",
                            "data_count": 12800, "data_expires_at": "2099-01-15T12:30:00.000Z"])],
                "download_url": []]]])
        let r = try CLI.run(["fetch", "--namespace", "products", "--request", "req", "--interval", "3", "--format", "json",
                             "--save", scratch.path("saved.\(kind)"), "--archive", scratch.path("a.zst")],
                            environment: environment(api))
        #expect(r.status == 0, "\(r.stderr)")
        let expected = try CLI.run(["process", "-q", "--format", "json", file, "--archive", scratch.path("b.zst")])
        #expect(r.stdout == expected.stdout)
        #expect(try shell("cmp -s \(scratch.path("saved.\(kind)")) \(file)") == 0)
        assertNoSecrets(r)
        #expect(r.stderr.contains("<redacted>"))
        // Polls at least 3 s apart, and every call carried the key.
        let polls = api.requests().filter { $0.path.hasPrefix("/v1/") }
        #expect(polls.count == 2)
        #expect(polls[1].t - polls[0].t >= 3.0)
        #expect(polls.allSatisfy { $0.auth == "Bearer \(FetchCommandTests.key)" })
    }

    @Test("inline results go through the decoder like a file")
    func fetchInline() throws {
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key, "files": [:], "requests": ["products/req": [
            "status": [FakeAPI.status("succeeded", extra: ["data": [
                ["id": "a", "output": ["labels": [["label": "x"]], "actions": ["ban"]]], ["id": "b", "output": NSNull()], ["id": 5]]])],
            "download_url": []]]])
        let r = try CLI.run(["fetch", "-q", "--namespace", "products", "--request", "req", "--format", "json"], environment: environment(api))
        #expect(r.status == 0)
        #expect(r.stdout == #"{"lines":3,"rows":2,"blank":0,"rejected":1,"null_output":1,"ignored_entries":0,"labels":{"x":1},"actions":{"ban":1}}"# + "\n")
    }

    @Test("a failed request exits 5 with its error_summary")
    func failed() throws {
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key, "files": [:], "requests": ["products/req": [
            "status": [FakeAPI.status("failed", extra: ["error_summary": "input file had no id column"])], "download_url": []]]])
        let r = try CLI.run(["fetch", "--namespace", "products", "--request", "req"], environment: environment(api))
        #expect(r.status == 5)
        #expect(r.stderr.contains("input file had no id column"))
        #expect(r.stdout.isEmpty)
    }

    @Test("rows + rejected different from data_count exits 4 after the summary")
    func countMismatch() throws {
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key,
            "files": ["r": ["path": CLI.sample("results.jsonl")]],
            "requests": ["products/req": ["status": [FakeAPI.ok(["status": "succeeded", "data_url": "{base}/files/r?\(FetchCommandTests.signature)",
                                                                  "data_count": 321])], "download_url": []]]])
        let r = try CLI.run(["fetch", "--namespace", "products", "--request", "req", "--format", "json"], environment: environment(api))
        #expect(r.status == 4)
        #expect(r.stdout.hasPrefix(#"{"lines":320,"#))
        #expect(r.stderr.contains("data_count is 321"))
        assertNoSecrets(r)
    }

    @Test("polling that outlasts --timeout exits 6")
    func timeout() throws {
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key, "files": [:], "requests": ["products/req": [
            "status": [FakeAPI.status("queued")], "download_url": []]]])
        let r = try CLI.run(["fetch", "--namespace", "products", "--request", "req", "--timeout", "2s"], environment: environment(api))
        #expect(r.status == 6)
        #expect(r.stderr.contains("still queued"))
    }

    @Test("a wrong key exits 1 saying what to check, and never shows the key")
    func wrongKey() throws {
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key, "files": [:], "requests": [:]])
        let r = try CLI.run(["status", "--namespace", "products", "--request", "req"], environment: environment(api, key: "sk_wrong_KEY555"))
        #expect(r.status == 1)
        #expect(r.stderr.contains("SAFETYKIT_API_KEY"))
        #expect(!r.stderr.contains("sk_wrong_KEY555"))
    }

    @Test("status prints the state, data_count, expiry and error_summary; the URL redacted")
    func status() throws {
        let api = try FakeAPI(scenario: ["key": FetchCommandTests.key, "files": [:], "requests": ["products/req": [
            "status": [FakeAPI.ok(["namespace": "products", "request_id": "req", "status": "succeeded",
                                   "data_url": "https://s3.example/r.jsonl?\(FetchCommandTests.signature)", "data_count": 1200,
                                   "data_expires_at": "2026-01-15T12:30:00.000Z", "error_summary": "2 rows skipped"])],
            "download_url": []]]])
        let keyFile = try Scratch()
        let path = try keyFile.write("key", FetchCommandTests.key + "\n")
        var env = environment(api)
        env["SAFETYKIT_API_KEY"] = nil
        let r = try CLI.run(["status", "--namespace", "products", "--request", "req", "--format", "json", "--api-key-file", path], environment: env)
        #expect(r.status == 0)
        #expect(r.stdout == #"{"namespace":"products","request_id":"req","status":"succeeded","data_count":1200,"data_expires_at":"2026-01-15T12:30:00.000Z","data_url":"https://s3.example/r.jsonl?<redacted>","error_summary":"2 rows skipped"}"# + "\n")
        assertNoSecrets(r)
    }

    @Test("the key is refused on the command line; a missing key or namespace is a usage error",
          arguments: [["status", "--api-key", "x", "--namespace", "n", "--request", "r"],
                      ["fetch", "--api-key=x", "--namespace", "n", "--request", "r"],
                      ["status", "--request", "r"],
                      ["fetch", "--namespace", "n", "--request", "r", "--interval", "1"]])
    func usage(args: [String]) throws {
        var env = ProcessInfo.processInfo.environment
        env["SAFETYKIT_API_KEY"] = "k"
        let r = try CLI.run(args, environment: env)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("Error: "))
    }
}
