// Starts Tests/fake_api/fake_safetykit.py on 127.0.0.1 with a scenario, for the duration of a test.
// Shared by the API client's tests and the CLI's fetch tests.

import Foundation

public final class FakeAPI {
    let process = Process()
    public let port: Int
    let directory: URL
    public var base: String { "http://127.0.0.1:\(port)" }
    public var logPath: String { directory.appendingPathComponent("requests.jsonl").path }

    static let script: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("fake_api/fake_safetykit.py").path
    }()

    public init(scenario: [String: Any]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let scenarioURL = directory.appendingPathComponent("scenario.json")
        try JSONSerialization.data(withJSONObject: scenario).write(to: scenarioURL)
        let out = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", FakeAPI.script, scenarioURL.path, directory.appendingPathComponent("requests.jsonl").path]
        process.standardOutput = out
        try process.run()
        var line = Data()
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data([0x0A]) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            kill(process.processIdentifier, SIGKILL)
            throw NSError(domain: "FakeAPI", code: 1, userInfo: [NSLocalizedDescriptionKey: "the fake API did not start"])
        }
        self.port = port
    }

    deinit {
        // SIGKILL: a test runner may leave SIGTERM blocked, and the child inherits that mask.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The requests the server saw: time, path, query, Authorization header.
    public func requests() -> [(t: Double, path: String, query: String, auth: String?)] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (o["t"] as! Double, o["path"] as! String, o["query"] as! String, o["auth"] as? String)
        }
    }

    public static func ok(_ body: [String: Any]) -> [String: Any] { ["code": 200, "body": body] }
    public static func status(_ state: String, extra: [String: Any] = [:]) -> [String: Any] {
        ok(["namespace": "products", "request_id": "req", "status": state, "data": []].merging(extra) { $1 })
    }
}
