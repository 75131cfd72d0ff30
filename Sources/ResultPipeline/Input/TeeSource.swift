// Keeps a copy of an input's bytes exactly as they were read (before decompression) while the
// pipeline consumes them: `skresults fetch --save`. The copy is a sink so that it is published or
// discarded together with every other output of the run.

/// Writes a verbatim copy of an input, atomically, as part of a run.
public final class InputCopySink: Sink, @unchecked Sendable {
    // safe to send: written only by the run's reader (through `TeeSource`), then finished,
    // published or aborted by the pipeline after the reader is done.
    let file: AtomicOutputFile

    public init(path: String) throws { file = try AtomicOutputFile(path: path) }

    public var path: String { file.path }
    public func finish() throws { try file.prepare() }
    public func publish() throws { try file.publish() }
    public func abort() { file.abort() }
}

/// Passes reads through and appends every byte to a copy.
public struct TeeSource: ByteSource {
    private var base: any ByteSource
    private let copy: InputCopySink

    public init(_ base: any ByteSource, copyingTo copy: InputCopySink) {
        self.base = base
        self.copy = copy
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try base.read(into: buffer)
        if n > 0 { try copy.file.write(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) }
        return n
    }

    public mutating func close() throws { try base.close() }
}
