// The API client against a real local HTTP server: transitions, retries, Retry-After, final
// errors, the inline-size fallback, malformed answers, stale URLs, and streamed downloads.

import Foundation
import Synchronization
import Testing
import FakeSafetyKit
import ResultPipeline
@testable import SafetyKitAPI

/// A clock that records requested sleeps and only pretends to wait.
final class RecordingClock: Sendable {
    let sleeps = Mutex<[Double]>([])
    let offset = Mutex<Double>(0)
    var clock: APIClock {
        APIClock(now: { [self] in Date().addingTimeInterval(offset.withLock { $0 }) },
                 sleep: { [self] s in sleeps.withLock { $0.append(s) }; offset.withLock { $0 += s } },
                 random: { 0.5 })
    }
    var recorded: [Double] { sleeps.withLock { $0 } }
}

/// A new directory under the temporary directory; the caller removes it.
func scratchDirectory() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skresults-api-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// Everything a source yields, read 64 KiB at a time.
func readToEnd(_ source: some ByteSource) throws -> [UInt8] {
    var source = source
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return received }
        received += buffer[0..<n]
    }
}

func makeClient(_ api: FakeAPI, key: String = "sk_test", clock: RecordingClock = RecordingClock()) -> SafetyKitClient {
    var retry = RetryPolicy()
    retry.maxAttempts = 4
    return SafetyKitClient(baseURL: URL(string: api.base)!, apiKey: key, retry: retry, clock: clock.clock)
}

@Suite("SafetyKitClient", .serialized)
struct SafetyKitClientTests {
    @Test("polls through the states to succeeded, spacing polls by interval plus jitter, never under 3 s")
    func transitions() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [FakeAPI.status("queued"), FakeAPI.status("uploading"), FakeAPI.status("reticulating"),
                       FakeAPI.status("ingesting"), FakeAPI.status("succeeded", extra: ["data": [["id": "a"]]])],
            "download_url": []]]])
        let clock = RecordingClock()
        let client = makeClient(api, clock: clock)
        var seen: [String] = []
        let final = try Poller.waitForTerminal(client: client, namespace: "products", request: "req",
                                               options: PollOptions(interval: 5, jitter: 0.2)) { seen.append($0.state.description) }
        #expect(seen == ["queued", "uploading", "reticulating", "ingesting", "succeeded"])
        #expect(final.state == .succeeded)
        // The server's own bytes, spacing included.
        #expect(final.inlineData == [Array(#"{"id": "a"}"#.utf8)])
        // Poll waits: 5 × (1 + 0.2 × 0.5) = 5.5 s each; the spacing rule adds no extra waits.
        #expect(clock.recorded == [5.5, 5.5, 5.5, 5.5])
        #expect(api.requests().allSatisfy { $0.auth == "Bearer sk_test" })
    }

    @Test("429 with Retry-After and 503 are retried; the server's delay is honoured")
    func transientFailures() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [["code": 429, "headers": ["Retry-After": "7"], "body": ["error": "rate"]],
                       ["code": 503, "body": "unavailable"],
                       ["code": 429, "headers": ["retry-after-ms": "1500"], "body": ["error": "rate"]],
                       FakeAPI.status("succeeded")],
            "download_url": []]]])
        let clock = RecordingClock()
        let status = try makeClient(api, clock: clock).status(namespace: "products", request: "req")
        #expect(status.state == .succeeded)
        // 7 s asked; then backoff 2 × 0.75 = 1.5 s (raised to the 3 s spacing); then 1.5 s asked (also raised).
        #expect(clock.recorded.count >= 3)
        #expect(clock.recorded[0] == 7)
        let spacing = zip(api.requests(), api.requests().dropFirst()).map { $1.t - $0.t }
        #expect(spacing.count == 3)
    }

    @Test("Retry-After as seconds, as an HTTP date, and retry-after-ms")
    func retryAfterForms() {
        let policy = RetryPolicy()
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(policy.requestedDelay(["Retry-After": "12"], now: now) == 12)
        #expect(policy.requestedDelay(["retry-after-ms": "250"], now: now) == 0.25)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        let date = formatter.string(from: now.addingTimeInterval(42))
        #expect(policy.requestedDelay(["Retry-After": date], now: now) == 42)
        #expect(policy.requestedDelay(["Retry-After": "99999"], now: now) == policy.maxRetryAfter)
        #expect(policy.requestedDelay([:], now: now) == nil)
    }

    @Test("transient failures stop after the attempt limit with a clear message")
    func givesUp() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [["code": 503, "body": "down for maintenance"]], "download_url": []]]])
        let error = #expect(throws: APIError.self) { try makeClient(api).status(namespace: "products", request: "req") }
        #expect(error?.kind == .gaveUp)
        #expect(error?.message.contains("after 4 attempts") == true)
        #expect(error?.message.contains("down for maintenance") == true)
        #expect(api.requests().count == 4)
    }

    @Test("401, 403 and 404 end the run at once with what to check")
    func finalErrors() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [["code": 403, "body": ["error": "forbidden"]]], "download_url": []]]])
        let wrongKey = #expect(throws: APIError.self) { try makeClient(api, key: "sk_wrong").status(namespace: "products", request: "req") }
        #expect(wrongKey?.kind == .unauthorized)
        #expect(wrongKey?.message.contains("SAFETYKIT_API_KEY") == true)
        #expect(wrongKey?.message.contains("sk_wrong") == false)
        let missing = #expect(throws: APIError.self) { try makeClient(api).status(namespace: "products", request: "nope") }
        #expect(missing?.kind == .notFound)
        let forbidden = #expect(throws: APIError.self) { try makeClient(api).status(namespace: "products", request: "req") }
        #expect(forbidden?.kind == .forbidden)
        #expect(api.requests().count == 3)
    }

    @Test("a malformed answer is an error showing the status code and the start of the body")
    func malformed() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [["code": 200, "body": "<html>gateway says hi</html>"]], "download_url": []]]])
        let error = #expect(throws: APIError.self) { try makeClient(api).status(namespace: "products", request: "req") }
        #expect(error?.kind == .malformed)
        #expect(error?.message.contains("HTTP 200") == true)
        #expect(error?.message.contains("<html>gateway says hi</html>") == true)
    }

    @Test("results too large to inline switch to the download-url endpoint")
    func inlineTooLarge() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [["code": 400, "body": ["error": "Response exceeds 5 MiB; use GET /v1/data/products/requests/req/results/download-url"]]],
            "download_url": [FakeAPI.ok(["namespace": "products", "request_id": "req", "status": "succeeded",
                                          "data_url": "{base}/files/x?sig=abc", "data_count": 3,
                                          "data_expires_at": "2099-01-01T00:00:00.000Z", "error_summary": NSNull()])]]]])
        let status = try makeClient(api).status(namespace: "products", request: "req")
        #expect(status.state == .succeeded)
        #expect(status.dataCount == 3)
        #expect(status.dataURL == "\(api.base)/files/x?sig=abc")
        #expect(api.requests().map(\.path) == ["/v1/data/products/requests/req", "/v1/data/products/requests/req/results/download-url"])
    }

    @Test("the too-large answer is recognised in its likely forms", arguments: [
        (413, "{}", true), (400, #"{"error":"use GET …/results/download-url"}"#, true),
        (422, #"{"message":"Response too large for inline data"}"#, true), (400, #"{"error":"bad namespace"}"#, false)])
    func tooLargeForms(code: Int, body: String, expected: Bool) {
        #expect(SafetyKitClient.pointsToDownloadURL(code, Array(body.utf8)) == expected)
    }

    @Test("polling gives up at the timeout")
    func timeout() throws {
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": [:], "requests": ["products/req": [
            "status": [FakeAPI.status("ingesting")], "download_url": []]]])
        let error = #expect(throws: APIError.self) {
            try Poller.waitForTerminal(client: makeClient(api), namespace: "products", request: "req",
                                       options: PollOptions(interval: 5, timeout: 20))
        }
        #expect(error?.kind == .timedOut)
        #expect(api.requests().count == 4)  // at 0, 5.5, 11 and 16.5 s; the next, at 22 s, would pass 20 s
    }

    @Test("a slow chunked download of several MB streams through the pipeline, matching the file")
    func streamedDownload() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = ""
        for i in 0..<30_000 {
            text += #"{"id":"r\#(i)","output":{"labels":[{"label":"l\#(i % 7)"}],"actions":["a\#(i % 3)"]},"pad":"\#(String(repeating: "x", count: 100))"}"# + "\n"
        }
        let file = dir.appendingPathComponent("results.jsonl")
        try Data(text.utf8).write(to: file)
        let api = try FakeAPI(scenario: ["key": "sk_test", "requests": [:],
                                         "files": ["big": ["path": file.path, "chunk": 65536, "delay": 0.002]]])
        let client = makeClient(api)
        var status = RequestStatus.decode(Array(#"{"status":"succeeded","data_url":"\#(api.base)/files/big?sig=s","data_count":30000}"#.utf8))!
        status.dataExpiresAt = nil
        let fetch = ResultFetch(client: client, namespace: "products", request: "req", status: status)
        let downloaded = LabelCountsSink()
        let local = LabelCountsSink()
        let a = try Pipeline().run([fetch.input()], sinks: [downloaded])
        let b = try Pipeline().run([.path(file.path)], sinks: [local])
        #expect(a.rows == 30_000 && a.rows == b.rows && a.bytes == b.bytes && a.bytes > 4_000_000)
        #expect(downloaded.counts.labels.sorted().map(\.count) == local.counts.labels.sorted().map(\.count))
        #expect(fetch.expectedCount == 30_000)
    }

    @Test("an expired URL and a refused download each re-poll for a fresh URL, at most twice")
    func staleURLs() throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("r.jsonl")
        try Data("{\"id\":\"a\"}\n{\"id\":\"b\"}\n".utf8).write(to: file)
        let fresh = FakeAPI.ok(["status": "succeeded", "data_url": "{base}/files/r?sig=fresh", "data_count": 2,
                                "data_expires_at": "2099-01-01T00:00:00Z"])
        let api = try FakeAPI(scenario: ["key": "sk_test", "files": ["r": ["path": file.path, "refuse_first": 1, "refuse_code": 410],
                                                                     "never": ["path": file.path, "refuse_first": 100]],
                                         "requests": ["products/req": ["status": [fresh], "download_url": []],
                                                      "products/dead": ["status": [
                                                        FakeAPI.ok(["status": "succeeded", "data_url": "{base}/files/never?sig=x"])],
                                                                        "download_url": []]]])
        // Expired by its date: refreshed before any download; then the first download answers 410: refreshed again.
        let expired = RequestStatus.decode(Array(#"{"status":"succeeded","data_url":"\#(api.base)/files/r?sig=old","data_count":2,"data_expires_at":"2001-01-01T00:00:00Z"}"#.utf8))!
        let fetch = ResultFetch(client: makeClient(api), namespace: "products", request: "req", status: expired)
        let summary = try Pipeline().run([fetch.input()], sinks: [])
        #expect(summary.rows == 2)
        #expect(fetch.refreshes == 2)
        // Refused every time: two fresh URLs, then a clear error that never shows a signature.
        let refused = RequestStatus.decode(Array(#"{"status":"succeeded","data_url":"\#(api.base)/files/never?sig=secret"}"#.utf8))!
        let dead = ResultFetch(client: makeClient(api), namespace: "products", request: "dead", status: refused)
        let error = #expect(throws: APIError.self) { try Pipeline().run([dead.input()], sinks: []) }
        #expect(error?.kind == .staleURL)
        #expect(dead.refreshes == 2)
        #expect(error?.message.contains("sig=") == false)
    }

    @Test("ranged pieces survive a URL refused mid-file and a connection cut mid-piece; a server without Range support streams whole",
          arguments: [false, true])
    func rangedDownload(noRanges: Bool) throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = (0..<1_000_003).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
        let file = dir.appendingPathComponent("blob")
        try Data(bytes).write(to: file)
        let api = try FakeAPI(scenario: ["key": "sk_test", "requests": [:], "files": [
            "blob": ["path": file.path, "no_ranges": noRanges, "refuse_requests": noRanges ? [] : [3], "refuse_code": 403,
                     "cut_requests": noRanges ? [] : [6], "cut_after": 30_000]]])
        let refreshed = Mutex(0)
        let download = try RangedDownload(url: URL(string: "\(api.base)/files/blob?sig=1")!, pieceSize: 100_000,
                                          clock: RecordingClock().clock, refresh: {
            refreshed.withLock { $0 += 1 }
            return URL(string: "\(api.base)/files/blob?sig=2")!
        })
        #expect(try readToEnd(download) == bytes)
        let fileRequests = api.requests().filter { $0.path == "/files/blob" }
        // 11 pieces; one refused and asked again, one cut off after 30,000 bytes and resumed from there.
        #expect(fileRequests.count == (noRanges ? 1 : 13))
        #expect(refreshed.withLock { $0 } == (noRanges ? 0 : 1))
        if !noRanges { #expect(fileRequests.last?.query == "sig=2") }
    }

    @Test("a server that answers ranges without saying the size still gives the whole file", arguments: [100_000, 333_334])
    func rangesWithoutSize(pieceSize: Int) throws {
        let dir = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bytes = (0..<1_000_002).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        let file = dir.appendingPathComponent("blob")
        try Data(bytes).write(to: file)
        let api = try FakeAPI(scenario: ["key": "sk_test", "requests": [:], "files": [
            "blob": ["path": file.path, "no_content_range": true]]])
        let download = try RangedDownload(url: URL(string: "\(api.base)/files/blob?sig=1")!, pieceSize: pieceSize,
                                          clock: RecordingClock().clock)
        #expect(try readToEnd(download) == bytes)
    }

    @Test("inline data keeps each result's exact bytes")
    func inlineBytes() {
        let body = Array(#"{"status":"succeeded","data":[ {"id":"a","output":{"labels":["\u0078"]}} , {"id":"b"} ]}"#.utf8)
        let status = RequestStatus.decode(body)!
        #expect(status.inlineData.map { String(decoding: $0, as: UTF8.self) } == [#"{"id":"a","output":{"labels":["\u0078"]}}"#, #"{"id":"b"}"#])
        #expect(RequestStatus.decode(Array("[1]".utf8)) == nil)
        #expect(redactURL("https://s3.example/x.jsonl?X-Amz-Signature=abc&b=2") == "https://s3.example/x.jsonl?<redacted>")
    }
}
