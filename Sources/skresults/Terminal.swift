// Standard streams for the CLI: unbuffered writes to stdout and stderr, terminal detection, and a
// progress line on stderr for long runs on a terminal.

import Foundation
import ResultPipeline
import Synchronization

enum Terminal {
    static func write(_ text: String, to fd: Int32 = 1) {
        var s = text
        s.withUTF8 { writeBytes(UnsafeRawBufferPointer($0), to: fd) }
    }

    static func writeBytes(_ bytes: UnsafeRawBufferPointer, to fd: Int32 = 1) {
        guard var p = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, p, left)
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            p += n
            left -= n
        }
    }

    static func error(_ text: String) { write(text, to: 2) }

    static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) == 1 }
}

/// Human-readable sizes and rates.
enum Units {
    static func bytes(_ n: Int) -> String {
        let v = Double(n)
        if v >= 1e9 { return String(format: "%.2f GB", v / 1e9) }
        if v >= 1e6 { return String(format: "%.1f MB", v / 1e6) }
        if v >= 1e3 { return String(format: "%.1f KB", v / 1e3) }
        return "\(n) B"
    }

    static func rate(_ bytes: Int, seconds: Double) -> String {
        guard seconds > 0 else { return "-" }
        return String(format: "%.1f MB/s", Double(bytes) / seconds / 1e6)
    }
}

/// Redraws one status line on stderr every half second while a run goes on.
final class ProgressLine: Sendable {
    private let progress: PipelineProgress
    private let stopped = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    init(progress: PipelineProgress) {
        self.progress = progress
    }

    func start() {
        let thread = Thread { [self] in
            let started = Date()
            var drew = false
            while !stopped.load(ordering: .acquiring) {
                usleep(100_000)
                let elapsed = Date().timeIntervalSince(started)
                guard elapsed >= 1, Int(elapsed * 10) % 5 == 0 else { continue }
                let read = progress.bytesRead
                Terminal.error("\r\u{1B}[K  \(Units.bytes(read)) read, \(progress.rows) rows, \(Units.rate(read, seconds: elapsed))")
                drew = true
            }
            if drew { Terminal.error("\r\u{1B}[K") }
            done.signal()
        }
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        done.wait()
    }
}
