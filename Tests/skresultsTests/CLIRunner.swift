// Runs the real `skresults` binary in a child process and captures stdout, stderr and the exit code.

import Foundation

struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var stdoutBytes: Data
}

enum CLI {
    /// The package root, found from this file's location.
    static let packageRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// The built `skresults` binary beside the test bundle.
    static let binary: URL = {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("skresults")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/skresults")
    }()

    static func sample(_ name: String) -> String {
        packageRoot.appendingPathComponent("samples/\(name)").path
    }

    /// Runs `skresults args…`, feeding `stdin` when given.
    static func run(_ args: [String], stdin: Data? = nil, environment: [String: String]? = nil) throws -> CLIResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = args
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let input = Pipe()
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        try process.run()
        if let stdin {
            DispatchQueue.global().async {
                input.fileHandleForWriting.write(stdin)
                try? input.fileHandleForWriting.close()
            }
        }
        // Drain both pipes concurrently so a large output cannot block the child.
        final class Box: @unchecked Sendable { var data = Data() }  // written before `group.leave()`, read after `wait()`
        let errBox = Box()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let errData = errBox.data
        process.waitUntilExit()
        // A crash is never an exit code a test could mistake for a real one.
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CLIResult(status: status,
                         stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self),
                         stdoutBytes: outData)
    }
}
