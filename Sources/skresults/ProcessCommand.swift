// `skresults process`: every requested sink in one pass over the input — label counts, the zstd
// archive, the join with the original content, and the rejects.

import Foundation
import ResultPipeline

enum ProcessCommand {
    static let name = "process"
    static let abstract = "Count, archive, join and dead-letter result files in one pass."
    static let usage = "skresults process [<file> ...] [--archive <out.jsonl.zst> [--level <n>]] "
        + "[--join <source> --joined <out.jsonl> [--source-key <key>] [--source-format jsonl|csv] "
        + "[--unmatched-sources <file>]] [--rejects <file>] [--summary <out.json>] [--format <format>]"

    static let sinkSpecs: [OptionSpec] = [
        OptionSpec(name: "archive", valueName: "out.jsonl.zst", help: "Write every accepted row to a multi-frame zstd archive."),
        OptionSpec(name: "level", valueName: "n", help: "zstd level of the archive, 1-22. (default: 3)"),
        OptionSpec(name: "join", valueName: "source", help: "The original content: JSONL or CSV with a header,\nplain or compressed."),
        OptionSpec(name: "joined", valueName: "out.jsonl", help: "Write each accepted row with its source record:\n{\"id\":…,\"result\":…,\"source\":…|null}"),
        OptionSpec(name: "source-key", valueName: "key", help: "The source's key field or column. (default: id)"),
        OptionSpec(name: "source-format", valueName: "format", help: "jsonl or csv. (default: from the file extension)"),
        OptionSpec(name: "unmatched-sources", valueName: "file", help: "Write the source records no row matched."),
        OptionSpec(name: "summary", valueName: "out.json", help: "Also write the JSON summary to this file."),
    ]

    static let specs: [OptionSpec] = sinkSpecs + CommonOptions.specs

    /// The archive and join sinks a command line asks for, validated before anything is created.
    final class SinkPlan {
        let archivePath: String?
        let level: Int
        let joinSource: String?
        let joinedPath: String?
        let sourceKey: String
        let sourceFormat: SourceFormat?
        let unmatchedSources: String?
        private(set) var archive: ZstdArchiveSink?
        private(set) var join: JoinSink?

        init(args: ParsedArguments) throws {
            if args.has("join") != args.has("joined") {
                throw UsageError(message: "--join and --joined go together.")
            }
            for option in ["source-key", "source-format", "unmatched-sources"] where args.has(option) && !args.has("join") {
                throw UsageError(message: "--\(option) needs --join.")
            }
            if args.has("level") && !args.has("archive") { throw UsageError(message: "--level needs --archive.") }
            var level = 3
            if let text = args.value("level") {
                guard let v = Int(text), (1...22).contains(v) else {
                    throw UsageError(message: "The value '\(text)' is invalid for '--level': expected 1 to 22.")
                }
                level = v
            }
            var format: SourceFormat?
            if let text = args.value("source-format") {
                guard let f = SourceFormat(rawValue: text) else {
                    throw UsageError(message: "The value '\(text)' is invalid for '--source-format': expected jsonl or csv.")
                }
                format = f
            }
            archivePath = args.value("archive")
            self.level = level
            joinSource = args.value("join")
            joinedPath = args.value("joined")
            sourceKey = args.value("source-key") ?? "id"
            sourceFormat = format
            unmatchedSources = args.value("unmatched-sources")
        }

        /// Creates the sinks; on failure, the ones already created are aborted.
        func makeSinks() throws -> [any Sink] {
            var sinks: [any Sink] = []
            do {
                if let path = archivePath {
                    let sink = try ZstdArchiveSink(path: path, level: level)
                    archive = sink
                    sinks.append(sink)
                }
                if let source = joinSource, let joined = joinedPath {
                    let sink = try JoinSink(source: source, format: sourceFormat, key: sourceKey,
                                            joinedPath: joined, unmatchedSourcesPath: unmatchedSources)
                    join = sink
                    sinks.append(sink)
                }
            } catch {
                for sink in sinks { sink.abort() }
                throw error
            }
            return sinks
        }

        /// The summary sections of the sinks that ran.
        func sections() -> [SummarySection] {
            var sections: [SummarySection] = []
            if let s = archive?.stats {
                var json: [UInt8] = []
                SummaryOutput.appendObject([("rows", s.rows), ("bytes_in", s.bytesIn), ("bytes_out", s.bytesOut),
                                            ("frames", s.frames)], to: &json)
                let ratio = s.bytesOut > 0 ? Double(s.bytesIn) / Double(s.bytesOut) : 0
                sections.append(SummarySection(key: "archive", json: json, tableLines: [
                    "archive   \(s.rows) rows, \(s.bytesIn) → \(s.bytesOut) bytes in \(s.frames) frames"
                        + " (ratio \(String(format: "%.2f", ratio)))"]))
            }
            if let s = join?.stats {
                var json: [UInt8] = []
                SummaryOutput.appendObject([("matched", s.matched), ("unmatched_results", s.unmatchedResults),
                                            ("unmatched_sources", s.unmatchedSources),
                                            ("duplicate_source_keys", s.duplicateSourceKeys),
                                            ("duplicate_result_ids", s.duplicateResultIDs)], to: &json)
                sections.append(SummarySection(key: "join", json: json, tableLines: [
                    "join      matched \(s.matched)   unmatched_results \(s.unmatchedResults)   unmatched_sources \(s.unmatchedSources)",
                    "          duplicate_source_keys \(s.duplicateSourceKeys)   duplicate_result_ids \(s.duplicateResultIDs)"
                        + (s.invalidSourceRows > 0 ? "   source rows without a key \(s.invalidSourceRows)" : "")]))
            }
            return sections
        }
    }

    static var help: HelpText {
        HelpText(
            overview: abstract,
            usage: usage,
            arguments: [("<file>", "JSONL result files (plain, zstd or gzip), read in order.\n'-' or none: standard input.")],
            options: specs,
            discussion: """
            The input is read once; every output is written beside its final name and renamed into
            place only when the run succeeds. If any output fails, the run stops, nothing partial is
            left under a final name, and the exit status is 1.

            """ + CommonOptions.exitStatusHelp)
    }

    static func run(_ argv: [String]) throws -> ExitCode {
        let args = try ArgumentParser.parse(argv, options: specs)
        let report = try ReportingRun(args: args)
        let plan = try SinkPlan(args: args)
        let sinks = try plan.makeSinks()
        return try report.run(CommonOptions.inputs(args.positionals), extraSinks: sinks, sections: plan.sections)
    }
}
