// `skresults status` and `skresults fetch`: one status call, or poll until done and stream the
// results through the same sinks and summary as `process`.

import Foundation
import ResultPipeline
import SafetyKitAPI

enum APIOptions {
    static let specs: [OptionSpec] = [
        OptionSpec(name: "namespace", valueName: "ns", help: "The namespace of the request."),
        OptionSpec(name: "request", valueName: "id", help: "The request id."),
        OptionSpec(name: "base-url", valueName: "url", help: "API base URL. (default: $SAFETYKIT_BASE_URL or\nhttps://api.safetykit.com)"),
        OptionSpec(name: "api-key-file", valueName: "file", help: "Read the API key from this file.\n(default: $SAFETYKIT_API_KEY)"),
    ]

    static let keyDiscussion = """
        The API key comes from $SAFETYKIT_API_KEY or --api-key-file, never from the command line,
        and is never printed. Signed download URLs are shown without their query string.
        """

    static func client(_ args: ParsedArguments, quiet: Bool) throws -> (SafetyKitClient, String, String) {
        guard let namespace = args.value("namespace") else { throw UsageError(message: "Missing expected option '--namespace <ns>'.") }
        guard let request = args.value("request") else { throw UsageError(message: "Missing expected option '--request <id>'.") }
        let env = ProcessInfo.processInfo.environment
        let base = args.value("base-url") ?? env["SAFETYKIT_BASE_URL"] ?? SafetyKitClient.defaultBaseURL
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw UsageError(message: "The value '\(base)' is invalid for '--base-url': expected an http or https URL.")
        }
        let key: String
        if let file = args.value("api-key-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw SystemError(call: "open", path: file, code: ENOENT)
            }
            key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let fromEnv = env["SAFETYKIT_API_KEY"] {
            key = fromEnv.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw UsageError(message: "No API key: set SAFETYKIT_API_KEY or pass --api-key-file <file>.")
        }
        guard !key.isEmpty else { throw UsageError(message: "The API key is empty.") }
        let client = SafetyKitClient(baseURL: url, apiKey: key)
        if !quiet { client.log = { Terminal.error("skresults: \($0)\n") } }
        return (client, namespace, request)
    }

    /// Refuses a key on the command line before anything else looks at the arguments.
    static func rejectKeyInArguments(_ argv: [String]) throws {
        if argv.contains(where: { $0 == "--api-key" || $0.hasPrefix("--api-key=") }) {
            throw UsageError(message: "The API key is not accepted on the command line; set SAFETYKIT_API_KEY or pass --api-key-file <file>.")
        }
    }
}

enum StatusCommand {
    static let name = "status"
    static let abstract = "Show the status of a SafetyKit request."
    static let usage = "skresults status --namespace <ns> --request <id> [--base-url <url>] [--api-key-file <file>] [--format json|table]"
    static let specs = APIOptions.specs + [
        OptionSpec(name: "format", valueName: "format", help: "json or table. (default: table on a terminal, else json)"),
    ]

    static var help: HelpText {
        HelpText(overview: abstract, usage: usage, options: specs, discussion: APIOptions.keyDiscussion + """


            EXIT STATUS:
              0   the status was read (whatever it is)
              1   the API could not be reached or refused the call
              64  usage error
            """)
    }

    static func run(_ argv: [String]) throws -> ExitCode {
        try APIOptions.rejectKeyInArguments(argv)
        let args = try ArgumentParser.parse(argv, options: specs)
        guard args.positionals.isEmpty else { throw UsageError(message: "Unexpected argument '\(args.positionals[0])'.") }
        let format = try OutputFormat.parse(args.value("format"))
        guard format != .csv else { throw UsageError(message: "The value 'csv' is invalid for '--format': expected json or table.") }
        let (client, namespace, request) = try APIOptions.client(args, quiet: false)
        let status = try client.status(namespace: namespace, request: request)
        Terminal.write(format == .json ? json(status, namespace: namespace, request: request) : table(status, request: request))
        return .success
    }

    static func json(_ s: RequestStatus, namespace: String, request: String) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        func key(_ k: String) { if out.count > 1 { out.append(UInt8(ascii: ",")) }; JSONText.appendKey(k, to: &out) }
        key("namespace"); JSONText.appendString(s.namespace ?? namespace, to: &out)
        key("request_id"); JSONText.appendString(s.requestID ?? request, to: &out)
        key("status"); JSONText.appendString(s.state.description, to: &out)
        if let count = s.dataCount { key("data_count"); JSONText.appendInt(count, to: &out) }
        if let expires = s.dataExpiresAtText { key("data_expires_at"); JSONText.appendString(expires, to: &out) }
        if let url = s.dataURL { key("data_url"); JSONText.appendString(redactURL(url), to: &out) }
        if s.hasInlineData { key("inline_results"); JSONText.appendInt(s.inlineData.count, to: &out) }
        if let summary = s.errorSummary { key("error_summary"); JSONText.appendString(summary, to: &out) }
        out.append(contentsOf: Array("}\n".utf8))
        return String(decoding: out, as: UTF8.self)
    }

    static func table(_ s: RequestStatus, request: String) -> String {
        var rows: [(String, String)] = [("request", s.requestID ?? request)]
        if let ns = s.namespace { rows.append(("namespace", ns)) }
        rows.append(("status", s.state.description))
        if let count = s.dataCount { rows.append(("data_count", String(count))) }
        if let expires = s.dataExpiresAtText { rows.append(("data_expires_at", expires)) }
        if let url = s.dataURL { rows.append(("data_url", redactURL(url))) }
        if s.hasInlineData { rows.append(("inline results", String(s.inlineData.count))) }
        if let summary = s.errorSummary { rows.append(("error_summary", summary)) }
        return rows.map { $0.0.padding(toLength: 17, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n") + "\n"
    }
}

enum FetchCommand {
    static let name = "fetch"
    static let abstract = "Poll a SafetyKit request until done and stream its results into the sinks."
    static let usage = "skresults fetch --namespace <ns> --request <id> [--interval <s>] [--timeout <duration>] "
        + "[--save <file>] [process options] [--format <format>]"
    static let specs = APIOptions.specs + [
        OptionSpec(name: "interval", valueName: "s", help: "Seconds between polls, 3 to 10, with jitter. (default: 5)"),
        OptionSpec(name: "timeout", valueName: "duration", help: "Stop polling after this long: 90, 90s, 15m, 2h."),
        OptionSpec(name: "save", valueName: "file", help: "Also keep the downloaded result file, as received."),
    ] + ProcessCommand.sinkSpecs + CommonOptions.specs

    static var help: HelpText {
        HelpText(overview: abstract, usage: usage, options: specs, discussion: APIOptions.keyDiscussion + """


            Inline results and downloaded result files go through the same decoder, sinks and
            summary as `skresults process` on a file; a download is streamed, never stored first.

            EXIT STATUS:
              0   success
              1   the API, the download or an output failed
              3   --strict and at least one line was rejected
              4   rows + rejected lines differ from the API's data_count
              5   the request failed (its error_summary is printed)
              6   polling timed out
              64  usage error
            """)
    }

    static func duration(_ text: String) throws -> Double {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)), v > 0 { return v * scale }
        }
        if let v = Double(text), v > 0 { return v }
        throw UsageError(message: "The value '\(text)' is invalid for '--timeout': expected a duration such as 90, 90s, 15m or 2h.")
    }

    static func run(_ argv: [String]) throws -> ExitCode {
        try APIOptions.rejectKeyInArguments(argv)
        let args = try ArgumentParser.parse(argv, options: specs)
        guard args.positionals.isEmpty else { throw UsageError(message: "Unexpected argument '\(args.positionals[0])'.") }
        var poll = PollOptions()
        if let text = args.value("interval") {
            guard let v = Double(text), (3...10).contains(v) else {
                throw UsageError(message: "The value '\(text)' is invalid for '--interval': expected 3 to 10 seconds.")
            }
            poll.interval = v
        }
        if let text = args.value("timeout") { poll.timeout = try duration(text) }
        let report = try ReportingRun(args: args)
        let plan = try ProcessCommand.SinkPlan(args: args)
        let quiet = args.has("quiet")
        let (client, namespace, request) = try APIOptions.client(args, quiet: quiet)

        var lastState: RequestState?
        let status: RequestStatus
        do {
            status = try Poller.waitForTerminal(client: client, namespace: namespace, request: request, options: poll) { s in
                if !quiet && s.state != lastState { Terminal.error("skresults: request \(request) is \(s.state)\n") }
                lastState = s.state
            }
        } catch let error as APIError where error.kind == .timedOut {
            Terminal.error("Error: \(error.message)\n")
            return .timedOut
        }
        if status.state == .failed {
            Terminal.error("Error: request \(request) failed: \(status.errorSummary ?? "no error_summary given")\n")
            return .requestFailed
        }
        let fetch = ResultFetch(client: client, namespace: namespace, request: request, status: status)
        if !quiet { fetch.log = { Terminal.error("skresults: \($0)\n") } }
        var sinks = try plan.makeSinks()
        var input: Input
        if let path = args.value("save") {
            let copy: InputCopySink
            do { copy = try InputCopySink(path: path) } catch { sinks.forEach { $0.abort() }; throw error }
            sinks.append(copy)
            input = fetch.input { TeeSource($0, copyingTo: copy) }
        } else {
            input = fetch.input()
        }
        if !quiet && fetch.isDownload { Terminal.error("skresults: downloading \(redactURL(status.dataURL ?? ""))\n") }
        var counted = RunSummary()
        var code = try report.run([input], extraSinks: sinks, onSummary: { counted = $0 }, sections: plan.sections)
        if let expected = fetch.expectedCount, counted.rows + counted.rejected != expected {
            Terminal.error("Error: the result file holds \(counted.rows + counted.rejected) objects (\(counted.rows) rows, \(counted.rejected) rejected) but data_count is \(expected)\n")
            code = .countMismatch
        }
        return code
    }
}
