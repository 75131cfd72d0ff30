// Framing alone, for measuring the floor under decoding: read an input in line-aligned chunks and
// count its lines, with no decoding.

/// Counts the lines of a file using only the reader and splitter.
public enum SplitOnly {
    /// Returns the bytes read and the lines seen.
    public static func count(path: String, chunkSize: Int = 4 << 20) throws -> (bytes: Int, lines: Int) {
        var splitter = LineSplitter(source: try FileDescriptorSource(path: path), chunkSize: chunkSize,
                                    maxLineBytes: 64 << 20, keepsLongLines: false)
        let chunk = Chunk(capacity: chunkSize)
        var lines = 0
        while try splitter.nextChunk(into: chunk) {
            var p = chunk.start
            lines += chunk.leadingLongLines.count
            while let nl = ByteScan.firstIndex(of: .newline, in: chunk.storage, from: p, to: chunk.end) {
                lines += 1
                p = nl + 1
            }
            if p < chunk.end { lines += 1 }
        }
        try splitter.close()
        return (Int(splitter.streamOffset), lines)
    }
}
