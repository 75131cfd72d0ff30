// Entry point of `skresults`: picks the command, maps errors to messages and exit codes.
// Every capability lives in the ResultPipeline library; this file only dispatches.

import Foundation
import ResultPipeline
import SafetyKitAPI

signal(SIGPIPE, SIG_IGN)
TemporaryFiles.removeOnTerminatingSignals()
TemporaryFiles.removeOnBusError()

struct CommandEntry: Sendable {
    var name: String
    var abstract: String
    var usage: String
    var help: @Sendable () -> HelpText
    var run: @Sendable ([String]) throws -> ExitCode
}

enum CLI {
    static let commands: [CommandEntry] = [
        CommandEntry(name: LabelsCommand.name, abstract: LabelsCommand.abstract, usage: LabelsCommand.usage,
                     help: { LabelsCommand.help }, run: LabelsCommand.run),
        CommandEntry(name: ProcessCommand.name, abstract: ProcessCommand.abstract, usage: ProcessCommand.usage,
                     help: { ProcessCommand.help }, run: ProcessCommand.run),
        CommandEntry(name: StatusCommand.name, abstract: StatusCommand.abstract, usage: StatusCommand.usage,
                     help: { StatusCommand.help }, run: StatusCommand.run),
        CommandEntry(name: FetchCommand.name, abstract: FetchCommand.abstract, usage: FetchCommand.usage,
                     help: { FetchCommand.help }, run: FetchCommand.run),
    ]

    static let version = "0.1.0"

    static var topHelp: HelpText {
        HelpText(
            overview: "Stream SafetyKit result files into label counts, archives, joins and dead-letter files.",
            usage: "skresults <subcommand>",
            options: [OptionSpec(name: "version", help: "Show the version.")],
            subcommands: commands.map { ($0.name, $0.abstract) })
    }

    static func usageFailure(_ message: String, usage: String, command: String?) -> Never {
        Terminal.error("Error: \(message)\nUsage: \(usage)\n  See 'skresults \(command.map { "\($0) " } ?? "")--help' for more information.\n")
        exit(ExitCode.usage.rawValue)
    }

    static func main() -> Never {
        let argv = Array(CommandLine.arguments.dropFirst())
        guard let first = argv.first else {
            Terminal.write(topHelp.render())
            exit(0)
        }
        if first == "--help" || first == "-h" {
            Terminal.write(topHelp.render())
            exit(0)
        }
        if first == "--version" {
            Terminal.write("\(version)\n")
            exit(0)
        }
        if first == "help" {
            if argv.count > 1 {
                guard let command = commands.first(where: { $0.name == argv[1] }) else {
                    usageFailure("Unknown subcommand '\(argv[1])'.", usage: topHelp.usage, command: nil)
                }
                Terminal.write(command.help().render())
            } else {
                Terminal.write(topHelp.render())
            }
            exit(0)
        }
        guard let command = commands.first(where: { $0.name == first }) else {
            usageFailure("Unknown subcommand '\(first)'.", usage: topHelp.usage, command: nil)
        }
        let rest = Array(argv.dropFirst())
        if rest.contains(where: { $0 == "--help" || $0 == "-h" }) && !rest.contains("--") {
            Terminal.write(command.help().render())
            exit(0)
        }
        do {
            let code = try command.run(rest)
            exit(code.rawValue)
        } catch let error as UsageError {
            usageFailure(error.message, usage: command.usage, command: command.name)
        } catch {
            Terminal.error("Error: \(describe(error))\n")
            exit(ExitCode.failure.rawValue)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? SystemError { return e.description }
        if let e = error as? APIError { return e.message }
        return String(describing: error)
    }
}

CLI.main()
