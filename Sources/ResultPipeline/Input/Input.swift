// One input of a run: a path, standard input, or a caller's own byte source.
// Opening is deferred until the pipeline reaches the input, so a run reads its inputs strictly in order.

/// Names one input of a run and knows how to open it.
public struct Input: Sendable {
    /// Shown in rejects, errors and summaries: the path, or `-` for standard input.
    public let name: String
    private let opener: @Sendable () throws -> any ByteSource

    /// Creates an input from a closure that opens the source when the run reaches it.
    public init(name: String, open: @escaping @Sendable () throws -> any ByteSource) {
        self.name = name
        self.opener = open
    }

    /// A file by path; `-` means standard input.
    public static func path(_ path: String) -> Input {
        if path == "-" { return .standardInput }
        return Input(name: path) { try FileDescriptorSource(path: path) }
    }

    /// Standard input, named `-`.
    public static var standardInput: Input {
        Input(name: "-") { FileDescriptorSource.standardInput }
    }

    /// An open file descriptor; it is not closed at the end.
    public static func descriptor(_ fd: Int32, name: String) -> Input {
        Input(name: name) { FileDescriptorSource(descriptor: fd, path: name) }
    }

    /// Bytes in memory, served at most `maxReadSize` bytes per read.
    public static func bytes(_ bytes: [UInt8], name: String = "<memory>", maxReadSize: Int = .max) -> Input {
        Input(name: name) { MemorySource(bytes, maxReadSize: maxReadSize) }
    }

    /// Opens the source.
    public func open() throws -> any ByteSource { try opener() }
}
