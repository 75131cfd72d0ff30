// A small command-line parser in the style of swift-argument-parser's output: declared options,
// `--name value` and `--name=value`, `--` to end options, `-` as a positional (standard input).

/// A usage mistake: printed as `Error: …` and `Usage: …` on stderr, exit 64.
struct UsageError: Error {
    var message: String
}

/// One option a command accepts.
struct OptionSpec {
    var name: String            // without dashes, kebab-case
    var short: Character?
    var valueName: String?      // nil: a flag
    var help: String
    var repeatable = false
}

/// What a command line said.
struct ParsedArguments {
    var values: [String: [String]] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    func value(_ name: String) -> String? { values[name]?.last }
    func all(_ name: String) -> [String] { values[name] ?? [] }
    func has(_ name: String) -> Bool { flags.contains(name) || values[name] != nil }
}

enum ArgumentParser {
    static func parse(_ args: [String], options: [OptionSpec]) throws -> ParsedArguments {
        var result = ParsedArguments()
        var i = 0
        var optionsEnded = false
        func spec(named name: String) throws -> OptionSpec {
            guard let s = options.first(where: { $0.name == name }) else {
                throw UsageError(message: "Unknown option '--\(name)'.")
            }
            return s
        }
        while i < args.count {
            let arg = args[i]
            i += 1
            if optionsEnded || arg == "-" || !arg.hasPrefix("-") {
                result.positionals.append(arg)
                continue
            }
            if arg == "--" {
                optionsEnded = true
                continue
            }
            var name: String
            var inline: String?
            if arg.hasPrefix("--") {
                let body = arg.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    name = String(body[..<eq])
                    inline = String(body[body.index(after: eq)...])
                } else {
                    name = String(body)
                }
            } else {
                guard arg.count == 2, let found = options.first(where: { $0.short == arg.last }) else {
                    throw UsageError(message: "Unknown option '\(arg)'.")
                }
                name = found.name
            }
            let s = try spec(named: name)
            if s.valueName == nil {
                if inline != nil { throw UsageError(message: "Option '--\(name)' takes no value.") }
                result.flags.insert(name)
                continue
            }
            let value: String
            if let inline {
                value = inline
            } else {
                guard i < args.count else { throw UsageError(message: "Missing value for '--\(name) <\(s.valueName!)>'.") }
                value = args[i]
                i += 1
            }
            if !s.repeatable, result.values[name] != nil {
                throw UsageError(message: "Option '--\(name)' given more than once.")
            }
            result.values[name, default: []].append(value)
        }
        return result
    }

    /// Parses a positive integer option.
    static func positiveInt(_ text: String?, option: String) throws -> Int? {
        guard let text else { return nil }
        guard let v = Int(text), v > 0 else {
            throw UsageError(message: "The value '\(text)' is invalid for '--\(option)': expected a positive integer.")
        }
        return v
    }

    /// Parses a byte size: `1048576`, `64K`, `64MiB`, `1G`.
    static func byteSize(_ text: String?, option: String) throws -> Int? {
        guard let text else { return nil }
        let units: [(String, Int)] = [("KIB", 1 << 10), ("MIB", 1 << 20), ("GIB", 1 << 30),
                                      ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30),
                                      ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30), ("B", 1)]
        let upper = text.uppercased()
        var number = Substring(upper)
        var scale = 1
        for (suffix, s) in units where upper.hasSuffix(suffix) {
            number = upper.dropLast(suffix.count)
            scale = s
            break
        }
        guard let v = Int(number), v > 0, v <= Int.max / scale else {
            throw UsageError(message: "The value '\(text)' is invalid for '--\(option)': expected a size such as 1048576 or 64MiB.")
        }
        return v * scale
    }
}

/// Renders help text in swift-argument-parser's layout.
struct HelpText {
    var overview: String
    var usage: String
    var arguments: [(String, String)] = []
    var options: [OptionSpec] = []
    var subcommands: [(String, String)] = []
    var discussion: String?

    func render() -> String {
        var out = "OVERVIEW: \(overview)\n\nUSAGE: \(usage)\n"
        if !arguments.isEmpty {
            out += "\nARGUMENTS:\n"
            for (name, help) in arguments { out += row(name, help) }
        }
        out += "\nOPTIONS:\n"
        for option in options {
            var label = option.short.map { "-\($0), " } ?? ""
            label += "--\(option.name)"
            if let v = option.valueName { label += " <\(v)>" }
            out += row(label, option.help)
        }
        out += row("-h, --help", "Show help information.")
        if !subcommands.isEmpty {
            out += "\nSUBCOMMANDS:\n"
            for (name, help) in subcommands { out += row(name, help) }
            out += "\n  See 'skresults help <subcommand>' for detailed help.\n"
        }
        if let discussion { out += "\n\(discussion)\n" }
        return out
    }

    private func row(_ label: String, _ help: String) -> String {
        let pad = 26
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        var out = "  \(label)"
        if label.count + 2 >= pad {
            out += "\n" + String(repeating: " ", count: pad)
        } else {
            out += String(repeating: " ", count: pad - label.count - 2)
        }
        out += lines.joined(separator: "\n" + String(repeating: " ", count: pad)) + "\n"
        return out
    }
}
