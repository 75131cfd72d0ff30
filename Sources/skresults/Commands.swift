// The commands of `skresults` and what they share: option declarations, help, exit codes, and
// turning a command line into a pipeline run.

import Foundation
import ResultPipeline

/// Exit codes of `skresults`.
enum ExitCode: Int32 {
    case success = 0
    case failure = 1
    case rejectedLines = 3
    /// fetch: rows + rejected differ from the API's data_count.
    case countMismatch = 4
    /// fetch: the request failed.
    case requestFailed = 5
    /// fetch: polling timed out.
    case timedOut = 6
    case usage = 64
}

/// Options every command that reads results accepts.
enum CommonOptions {
    static let specs: [OptionSpec] = [
        OptionSpec(name: "format", valueName: "format", help: "Output format: table, json or csv.\n(default: table on a terminal, else json)"),
        OptionSpec(name: "top", valueName: "n", help: "Show at most N labels and N actions in table and csv output."),
        OptionSpec(name: "rejects", valueName: "file", help: "Write each rejected line, with its file, line, offset\nand reason, to this JSONL file."),
        OptionSpec(name: "strict", help: "Exit with status 3 when any line was rejected."),
        OptionSpec(name: "max-line-bytes", valueName: "n", help: "Reject lines longer than this. (default: 64MiB)"),
        OptionSpec(name: "threads", valueName: "n", help: "Decode workers. (default: all cores)"),
        OptionSpec(name: "chunk-size", valueName: "n", help: "Bytes read per chunk. (default: 4MiB)"),
        OptionSpec(name: "quiet", short: "q", help: "Print no summary line or progress on stderr."),
    ]

    /// The exit statuses of the commands that read results.
    static let exitStatusHelp = """
        EXIT STATUS:
          0   success, even with rejected lines
          1   an input or output could not be read or written
          3   --strict and at least one line was rejected
          64  usage error
        """

    static func pipelineOptions(_ args: ParsedArguments) throws -> PipelineOptions {
        var options = PipelineOptions()
        if let n = try ArgumentParser.positiveInt(args.value("threads"), option: "threads") {
            guard n <= 256 else { throw UsageError(message: "The value '\(n)' is invalid for '--threads': at most 256.") }
            options.threads = n
        }
        if let n = try ArgumentParser.byteSize(args.value("chunk-size"), option: "chunk-size") {
            guard n <= 1 << 30 else { throw UsageError(message: "The value for '--chunk-size' must be at most 1GiB.") }
            options.chunkSize = n
        }
        if let n = try ArgumentParser.byteSize(args.value("max-line-bytes"), option: "max-line-bytes") {
            guard n <= 1 << 30 else { throw UsageError(message: "The value for '--max-line-bytes' must be at most 1GiB.") }
            options.maxLineBytes = n
        }
        return options
    }

    static func inputs(_ paths: [String]) -> [Input] {
        paths.isEmpty ? [.standardInput] : paths.map { Input.path($0) }
    }
}

/// Runs the pipeline for a command and prints its summary; shared by `labels` and `process`.
struct ReportingRun {
    var args: ParsedArguments
    var format: OutputFormat
    var top: Int?
    var options: PipelineOptions

    /// Validates every shared option, so a command can do so before it creates any output.
    init(args: ParsedArguments) throws {
        self.args = args
        format = try OutputFormat.parse(args.value("format"))
        top = try ArgumentParser.positiveInt(args.value("top"), option: "top")
        options = try CommonOptions.pipelineOptions(args)
    }

    /// Runs `inputs` through `extraSinks` plus label counts and rejects; prints; returns the exit code.
    func run(_ inputs: [Input], extraSinks: [any Sink] = [], onSummary: (RunSummary) -> Void = { _ in },
             sections: () -> [SummarySection] = { [] }) throws -> ExitCode {
        var options = self.options
        let quiet = args.has("quiet")
        let labels = LabelCountsSink()
        var sinks: [any Sink] = [labels]
        if let path = args.value("rejects") {
            do { sinks.append(try RejectsSink(path: path)) } catch { extraSinks.forEach { $0.abort() }; throw error }
        }
        sinks += extraSinks
        var progressLine: ProgressLine?
        if !quiet && Terminal.isTerminal(2) {
            let progress = PipelineProgress()
            options.progress = progress
            progressLine = ProgressLine(progress: progress)
            progressLine?.start()
        }
        let summary: RunSummary
        do {
            summary = try Pipeline(options: options).run(inputs, sinks: sinks)
            progressLine?.stop()
        } catch {
            progressLine?.stop()
            throw error
        }
        onSummary(summary)
        let extra = sections()
        let json = SummaryOutput.json(summary, counts: labels.counts, sections: extra)
        if let path = args.value("summary") {
            let file = try AtomicOutputFile(path: path)
            try file.write(json)
            try file.commit()
        }
        switch format {
        case .json:
            json.withUnsafeBytes { Terminal.writeBytes($0) }
        case .csv:
            Terminal.write(SummaryOutput.csv(counts: labels.counts, top: top))
        case .table:
            Terminal.write(SummaryOutput.table(summary, counts: labels.counts, top: top, sections: extra))
        }
        if !quiet { Terminal.error(SummaryOutput.stderrLine(summary)) }
        if args.has("strict") && summary.rejected > 0 { return .rejectedLines }
        return .success
    }
}

/// `skresults labels`: count labels and actions.
enum LabelsCommand {
    static let name = "labels"
    static let abstract = "Count labels and actions in SafetyKit result files."
    static let usage = "skresults labels [--format <format>] [--top <n>] [--rejects <file>] [--strict] [--max-line-bytes <n>] [<file> ...]"

    static var help: HelpText {
        HelpText(
            overview: abstract,
            usage: usage,
            arguments: [("<file>", "JSONL result files, read in order. '-' or none: standard input.")],
            options: CommonOptions.specs,
            discussion: """
            Every line is accounted for: lines = rows + blank + rejected. A rejected line never
            stops the run; it is counted and, with --rejects, kept byte for byte.

            """ + CommonOptions.exitStatusHelp)
    }

    static func run(_ argv: [String]) throws -> ExitCode {
        let args = try ArgumentParser.parse(argv, options: CommonOptions.specs)
        let run = try ReportingRun(args: args)
        return try run.run(CommonOptions.inputs(args.positionals))
    }
}
