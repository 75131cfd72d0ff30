// Measures pipeline stages over a file: each stage runs after a warm-up, several times, and reports
// median, minimum and maximum throughput, CPU time and peak RSS.

import CAllocCounter
import Foundation
import ResultPipeline

struct StageResult: Codable {
    var stage: String
    var threads: Int
    var bytes: Int
    var rows: Int
    var runs: Int
    var mbPerSecond: Stats
    var rowsPerSecond: Stats
    var cpuSeconds: Stats
    var wallSeconds: Stats
    var peakRSSMiB: Double
    /// Heap allocations during a run, divided by its rows (the median run).
    var allocationsPerRow: Double

    struct Stats: Codable {
        var p0: Double
        var p50: Double
        var p90: Double
        var p100: Double
        init(_ values: [Double]) {
            let s = values.sorted()
            func at(_ q: Double) -> Double { s[min(s.count - 1, Int((Double(s.count - 1) * q).rounded()))] }
            p0 = s.first!
            p50 = at(0.5)
            p90 = at(0.9)
            p100 = s.last!
        }
    }
}

/// Takes batches and does nothing with them: the decode stage on its own.
final class NullSink: Sink {}

struct StageBenchmark {
    var input: String
    var source: String?
    var threads: Int
    var runs: Int

    func cpuTime() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    func peakRSSMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    func runStage(_ stage: String) throws -> (bytes: Int, rows: Int) {
        var options = PipelineOptions()
        options.threads = threads
        switch stage {
        case "split":
            let (bytes, lines) = try SplitOnly.count(path: input, chunkSize: options.chunkSize)
            return (bytes, lines)
        case "decode":
            let summary = try Pipeline(options: options).run([.path(input)], sinks: [NullSink()])
            return (summary.bytes, summary.rows)
        case "labels":
            let summary = try Pipeline(options: options).run([.path(input)], sinks: [LabelCountsSink()])
            return (summary.bytes, summary.rows)
        case "archive":
            let out = NSTemporaryDirectory() + "skresults-bench-archive.zst"
            defer { unlink(out) }
            let summary = try Pipeline(options: options).run([.path(input)], sinks: [try ZstdArchiveSink(path: out)])
            return (summary.bytes, summary.rows)
        case "join", "process":
            guard let source else {
                throw NSError(domain: "skresults-bench", code: 64, userInfo: [NSLocalizedDescriptionKey: "stage \(stage) needs --source"])
            }
            let joined = NSTemporaryDirectory() + "skresults-bench-joined.jsonl"
            let archive = NSTemporaryDirectory() + "skresults-bench-archive.zst"
            defer { unlink(joined); unlink(archive) }
            var sinks: [any Sink] = [try JoinSink(source: source, joinedPath: joined)]
            if stage == "process" { sinks += [LabelCountsSink(), try ZstdArchiveSink(path: archive)] }
            let summary = try Pipeline(options: options).run([.path(input)], sinks: sinks)
            return (summary.bytes, summary.rows)
        default:
            throw NSError(domain: "skresults-bench", code: 64, userInfo: [NSLocalizedDescriptionKey: "unknown stage \(stage)"])
        }
    }

    func run(stages: [String], json: Bool) throws {
        var results: [StageResult] = []
        for stage in stages {
            _ = try runStage(stage)  // warm-up: page cache, allocator
            var walls: [Double] = []
            var cpus: [Double] = []
            var bytes = 0
            var rows = 0
            var allocations: [Double] = []
            for _ in 0..<runs {
                let cpu0 = cpuTime()
                let a0 = skresults_allocation_count()
                let t0 = DispatchTime.now().uptimeNanoseconds
                (bytes, rows) = try runStage(stage)
                walls.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                allocations.append(Double(skresults_allocation_count() - a0))
                cpus.append(cpuTime() - cpu0)
            }
            results.append(StageResult(
                stage: stage, threads: threads, bytes: bytes, rows: rows, runs: runs,
                mbPerSecond: .init(walls.map { Double(bytes) / $0 / 1e6 }),
                rowsPerSecond: .init(walls.map { Double(rows) / $0 }),
                cpuSeconds: .init(cpus), wallSeconds: .init(walls), peakRSSMiB: peakRSSMiB(),
                allocationsPerRow: StageResult.Stats(allocations).p50 / Double(max(rows, 1))))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(results))
            print()
            return
        }
        print("stage     threads   MB/s p50 (p0–p100)        Mrows/s p50   CPU s p50   wall s p50   peak RSS    allocs/row")
        for r in results {
            print(String(format: "%-9@ %7d   %7.0f (%5.0f–%5.0f)   %11.2f   %9.2f   %10.3f   %5.1f MiB   %9.5f",
                         r.stage as NSString, r.threads, r.mbPerSecond.p50, r.mbPerSecond.p0, r.mbPerSecond.p100,
                         r.rowsPerSecond.p50 / 1e6, r.cpuSeconds.p50, r.wallSeconds.p50, r.peakRSSMiB,
                         r.allocationsPerRow))
        }
    }
}
