// skresults-bench: generate reproducible samples and measure each pipeline stage.

import Foundation
import ResultPipeline

func parseSize(_ text: String) -> Int? {
    let upper = text.uppercased()
    for (suffix, scale) in [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)]
    where upper.hasSuffix(suffix) {
        return Int(upper.dropLast(suffix.count)).map { $0 * scale }
    }
    return Int(text)
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
    Usage: skresults-bench generate --size SIZE --seed N OUT [--source SOURCE_OUT]
           skresults-bench run --input FILE [--stages split,decode,labels,archive,join,process] [--source SOURCE] [--threads N] [--runs N] [--json]
           skresults-bench codable FILE    (the JSONDecoder peer of the comparison)

    """.utf8))
    exit(64)
}

var args = Array(CommandLine.arguments.dropFirst())
guard let command = args.first else { usage() }
args.removeFirst()

@MainActor func option(_ name: String) -> String? {
    guard let i = args.firstIndex(of: "--\(name)"), i + 1 < args.count else { return nil }
    let v = args[i + 1]
    args.removeSubrange(i...i + 1)
    return v
}

switch command {
case "generate":
    guard let size = option("size").flatMap(parseSize), let seed = option("seed").flatMap({ UInt64($0) }) else { usage() }
    let source = option("source")
    guard args.count == 1 else { usage() }
    let generator = ResultGenerator()
    let rows = try generator.writeResults(size: size, seed: seed, to: args[0])
    if let source { try generator.writeSource(rows: rows, seed: seed, to: source) }
    print("wrote \(rows) rows to \(args[0])")
case "run":
    guard let input = option("input") else { usage() }
    let stages = (option("stages") ?? "split,decode,labels").split(separator: ",").map(String.init)
    let threads = option("threads").flatMap { Int($0) } ?? PipelineOptions.onlineCores
    let runs = option("runs").flatMap { Int($0) } ?? 5
    let source = option("source")
    let json = args.contains("--json")
    try StageBenchmark(input: input, source: source, threads: threads, runs: runs).run(stages: stages, json: json)
case "codable":
    guard args.count == 1 else { usage() }
    try CodablePeer.run(path: args[0])
default:
    usage()
}
