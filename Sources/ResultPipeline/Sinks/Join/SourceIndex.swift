// The join's index of the user's original content: key → where the record sits in the source
// file. It holds locations, not parsed records, so tens of millions of sources fit in memory:
// per source row one `Entry` (24 bytes) and two to four 8-byte slots of the open-addressing
// table (kept between a quarter and half full), 40–56 bytes in all, plus the mapped file.

import CPrefetch
import Dispatch

/// Which format the source file is in.
public enum SourceFormat: String, Sendable {
    case jsonl, csv

    /// Guesses from the file name: `.csv` (also `.csv.gz`, `.csv.zst`) is CSV, anything else JSONL.
    public static func guess(path: String) -> SourceFormat {
        var name = path.lowercased()
        for suffix in [".gz", ".zst", ".zstd"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return name.hasSuffix(".csv") ? .csv : .jsonl
    }
}

/// Maps source keys to source records.
final class SourceIndex: @unchecked Sendable {
    // safe to send: immutable after init; workers only read it.
    struct Entry {
        var recordStart: Int
        var recordLength: Int32
        /// Key bytes (raw: escaped JSON string body, CSV field with doubled quotes) within the file.
        var keyStart: Int32   // relative to recordStart
        var keyLength: Int32
        var keyNeedsDecoding: Bool

        /// Where the record lies in the file.
        var record: Span { Span(start: recordStart, count: Int(recordLength)) }
    }

    /// A run of bytes in the source file.
    struct Span {
        var start: Int
        var count: Int
    }

    let file: MappedFile
    let format: SourceFormat
    let path: String
    /// CSV column names, as JSON-escaped string bodies, in order.
    private(set) var columns: [[UInt8]] = []
    /// Entries and the open-addressing slots over them (entry index, or -1), in manually managed
    /// memory: lookups run on every worker for every row, and array accesses through a class's
    /// properties showed up in the join's profile as exclusivity checks.
    private var entryTable = LargeTable<Entry>(count: 1024)
    private var entryStorage: UnsafeMutableBufferPointer<Entry> { entryTable.buffer }
    private(set) var entryCount = 0
    /// Per slot: the entry index + 1 in the low 32 bits and the top 32 bits of the key's hash
    /// above them, so that a probe passes over other keys without loading their entries; 0 is an
    /// empty slot (the table starts zero-filled).
    private var slotTable = LargeTable<UInt64>(count: 1024)
    private var slots: UnsafeMutableBufferPointer<UInt64> { slotTable.buffer }

    @inline(__always)
    private static func slotValue(entry index: Int, hash: UInt64) -> UInt64 {
        (hash & 0xFFFF_FFFF_0000_0000) | UInt64(index + 1)
    }

    /// The entry a slot value points at, or -1 for an empty slot.
    @inline(__always)
    private static func entryIndex(_ slot: UInt64) -> Int { Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1 }

    /// Source rows whose key was seen before (the later one wins).
    private(set) var duplicateKeys = 0
    /// Source rows without a usable key (invalid JSON, not an object, no such key or column).
    private(set) var invalidRows = 0

    init(path: String, format: SourceFormat, key: String) throws {
        self.path = path
        self.format = format
        file = try MappedFile(path: path)
        var keyBytes = Array(key.utf8)
        try keyBytes.withUnsafeBytes { keyBuffer in
            switch format {
            case .jsonl: indexJSONL(key: keyBuffer)
            case .csv: try indexCSV(key: key)
            }
        }
        keyBytes.removeAll()
    }

    deinit {
        slotTable.release()
        entryTable.release()
    }

    private var bomLength: Int {
        ByteScan.bomLength(file.base, count: file.count)
    }

    /// Keys of JSONL lines are found in parallel, a wave of blocks at a time (two per core), and
    /// inserted in file order, so that the later of two duplicate keys wins, while the next
    /// wave's keys are found: no core waits for the inserts, which only one thread can do.
    private func indexJSONL(key: UnsafeRawBufferPointer) {
        let shared = SharedBytes(base: file.base, key: key)
        let blockSize = 2 << 20
        let perWave = 2 * max(1, PipelineOptions.onlineCores)
        var finding = (0..<perWave).map { _ in KeyBlock() }
        var inserting = (0..<perWave).map { _ in KeyBlock() }
        var insertCount = 0
        var sized = false
        /// Pieces of the freshly sized tables still to be populated, by the next wave's threads.
        var populating = 0
        var p = bomLength
        while p < file.count || insertCount > 0 {
            var findCount = 0
            while findCount < perWave && p < file.count {
                var end = min(file.count, p + blockSize)
                if end < file.count {
                    end = (ByteScan.firstIndex(of: .newline, in: UnsafeRawPointer(file.base), from: end - 1, to: file.count)
                        .map { $0 + 1 }) ?? file.count
                }
                finding[findCount].start = p
                finding[findCount].end = end
                findCount += 1
                p = end
            }
            // Populating fresh tables comes first, in pieces that every thread takes a share of
            // (the kernel zeroes tens of MB); then the inserts, the longest single task, so that
            // they start before the keys of the next wave are found.
            let inserts = insertCount > 0 ? 1 : 0
            let (pieces, toFind, toInsert) = (populating, finding, inserting[0..<insertCount])
            DispatchQueue.concurrentPerform(iterations: pieces + inserts + findCount) { i in
                if i < pieces {
                    self.populateTables(part: i, of: pieces)
                } else if i < pieces + inserts {
                    self.insertKeys(of: toInsert)
                } else {
                    toFind[i - pieces - inserts].findKeys(base: shared.base, key: shared.key)
                }
            }
            populating = 0
            if !sized && findCount > 0 {
                // Size the tables once from what the first wave found, instead of doubling them;
                // they are mapped here and populated by the next wave, whose inserts are this
                // wave's keys only: the tables hold those without growing, so nothing remaps them
                // while they are populated.
                sized = true
                let found = finding[0..<findCount].reduce(0) { $0 + $1.entries.count }
                let scanned = finding[findCount - 1].end - finding[0].start
                if found > 0 && scanned > 0 {
                    reserve(found + Int(Double(found) * Double(file.count - p) / Double(scanned) * 1.05), populated: false)
                    populating = 2 * perWave
                }
            }
            swap(&finding, &inserting)
            insertCount = findCount
        }
    }

    /// Inserts the keys of found blocks, in order.
    private func insertKeys(of blocks: ArraySlice<KeyBlock>) {
        var scratch: [UInt8] = []
        for block in blocks {
            invalidRows += block.invalid
            // (Should an insert grow the table, the rest of this block's prefetches only miss:
            // a prefetch never faults.)
            let lookup = self.lookup
            block.hashes.withUnsafeBufferPointer { hashes in
                // Each key's first slot is prefetched this many inserts ahead.
                let distance = 16
                for i in hashes.indices {
                    if i &+ distance < hashes.count { skresults_prefetch(lookup.firstSlot(hashes[i &+ distance])) }
                    insert(block.entries[i], hash: hashes[i], scratch: &scratch)
                }
            }
        }
    }

    private func indexCSV(key: String) throws {
        var fields: [CSVField] = []
        var scratch: [UInt8] = []
        let base = file.base
        var p = bomLength
        guard p < file.count, let afterHeader = CSVRecords.parse(base, from: p, end: file.count, into: &fields) else {
            throw SourceError(path: path, problem: "has no CSV header row")
        }
        var keyColumn = -1
        for (i, field) in fields.enumerated() {
            CSVRecords.value(base, field, into: &scratch)
            if scratch.elementsEqual(key.utf8) && keyColumn < 0 { keyColumn = i }
            var escaped: [UInt8] = []
            scratch.withUnsafeBytes { JSONText.appendEscaped($0, to: &escaped) }
            columns.append(escaped)
        }
        guard keyColumn >= 0 else { throw SourceError(path: path, problem: "has no column named '\(key)'") }
        p = afterHeader
        while p < file.count {
            guard let next = CSVRecords.parse(base, from: p, end: file.count, into: &fields) else {
                throw SourceError(path: path, problem: "has a quoted field that is never closed (at byte \(p))")
            }
            var recordEnd = next
            if recordEnd > p && base[recordEnd - 1] == .newline { recordEnd -= 1 }
            if recordEnd > p && base[recordEnd - 1] == .carriageReturn { recordEnd -= 1 }
            let blank = fields.count == 1 && fields[0].start == fields[0].end
            if !blank {
                if keyColumn < fields.count {
                    let f = fields[keyColumn]
                    let entry = Entry(recordStart: p, recordLength: Int32(recordEnd - p),
                                      keyStart: Int32(f.start - p), keyLength: Int32(f.end - f.start),
                                      keyNeedsDecoding: f.hasDoubledQuotes)
                    insert(entry, hash: hash(of: entry, scratch: &scratch), scratch: &scratch)
                } else {
                    invalidRows += 1
                }
            }
            p = next
        }
    }

    /// The key of `entry`, decoded, passed to `body`.
    @inline(__always)
    func withKey<R>(_ entry: Entry, scratch: inout [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let raw = UnsafeRawBufferPointer(start: file.base + entry.recordStart + Int(entry.keyStart), count: Int(entry.keyLength))
        guard entry.keyNeedsDecoding else { return body(raw) }
        scratch.removeAll(keepingCapacity: true)
        switch format {
        case .jsonl:
            JSONUnescape.append(raw, to: &scratch)
        case .csv:
            CSVRecords.value(file.base, CSVField(start: entry.recordStart + Int(entry.keyStart),
                                                 end: entry.recordStart + Int(entry.keyStart) + Int(entry.keyLength),
                                                 hasDoubledQuotes: true), into: &scratch)
        }
        return scratch.withUnsafeBytes(body)
    }

    /// The hash of an entry's key, decoded.
    private func hash(of entry: Entry, scratch: inout [UInt8]) -> UInt64 {
        withKey(entry, scratch: &scratch) { NameCounter.hash($0) }
    }

    private func insert(_ entry: Entry, hash: UInt64, scratch: inout [UInt8]) {
        var probeScratch: [UInt8] = []  // empty unless a candidate's key holds escapes
        if let existing = withKey(entry, scratch: &scratch, { find($0, hash: hash, scratch: &probeScratch) }) {
            entryStorage[existing] = entry
            duplicateKeys += 1
            return
        }
        if (entryCount + 1) * 2 > slots.count { growSlots(scratch: &scratch) }
        if entryCount == entryStorage.count { growEntries(to: entryStorage.count * 2) }
        place(entry: entryCount, hash: hash)
        entryStorage[entryCount] = entry
        entryCount += 1
    }

    /// Grows the tables to hold `count` entries without further growth; `populated: false` leaves
    /// their pages to `populateTables`.
    private func reserve(_ count: Int, populated: Bool = true) {
        var slotCount = slots.count
        while (count + 1) * 2 > slotCount { slotCount *= 2 }
        var scratch: [UInt8] = []
        if slotCount > slots.count { growSlots(to: slotCount, populated: populated, scratch: &scratch) }
        if count > entryStorage.count { growEntries(to: count, populated: populated) }
    }

    /// Populates one of `parts` pieces of the two tables together.
    private func populateTables(part: Int, of parts: Int) {
        let slotParts = max(1, parts / 2)
        if part < slotParts {
            slotTable.populate(part: part, of: slotParts)
        } else {
            entryTable.populate(part: part - slotParts, of: parts - slotParts)
        }
    }

    private func growEntries(to count: Int, populated: Bool = true) {
        let grown = LargeTable<Entry>(count: count, populated: populated)
        grown.buffer.baseAddress!.update(from: entryStorage.baseAddress!, count: entryCount)
        entryTable.release()
        entryTable = grown
    }

    /// Rehashes every entry into a larger slot table (keys are hashed again: entries do not keep
    /// their hash, and the table is sized once up front in the common case).
    private func growSlots(to newCount: Int? = nil, populated: Bool = true, scratch: inout [UInt8]) {
        let newCount = newCount ?? slots.count * 2
        slotTable.release()
        slotTable = LargeTable<UInt64>(count: newCount, populated: populated)
        for i in 0..<entryCount { place(entry: i, hash: hash(of: entryStorage[i], scratch: &scratch)) }
    }

    /// Puts entry `index` in the first empty slot on `hash`'s probe path.
    private func place(entry index: Int, hash: UInt64) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = SourceIndex.slotValue(entry: index, hash: hash)
    }

    /// The tables as raw pointers, for a lookup loop that runs per row on the workers.
    var lookup: Lookup {
        Lookup(slots: UnsafePointer(slots.baseAddress!), mask: slots.count - 1,
               entries: UnsafePointer(entryStorage.baseAddress!), file: file.base)
    }

    /// The entry whose key equals `key` (decoded bytes), or nil.
    func find(_ key: UnsafeRawBufferPointer, hash: UInt64, scratch: inout [UInt8]) -> Int? {
        let lookup = self.lookup
        var slot = Int(truncatingIfNeeded: hash) & lookup.mask
        while true {
            let found = lookup.probe(hash, from: slot)
            let index = SourceIndex.entryIndex(found.value)
            if index < 0 { return nil }
            // The tag matched (32 bits of the hash); the key itself decides.
            let equal = withKey(entryStorage[index], scratch: &scratch) { candidate in
                candidate.count == key.count && (key.count == 0 || sameBytes(candidate.baseAddress!, key.baseAddress!, key.count))
            }
            if equal { return index }
            slot = (found.slot + 1) & lookup.mask
        }
    }

    /// Appends the record of entry `index` as a JSON value: the JSONL line verbatim, or the CSV
    /// record as an object of strings.
    func appendRecord(_ index: Int, to out: inout [UInt8], scratch: inout [UInt8], fields: inout [CSVField]) {
        let entry = entryStorage[index]
        let record = UnsafeRawBufferPointer(start: file.base + entry.recordStart, count: Int(entry.recordLength))
        switch format {
        case .jsonl:
            out.append(contentsOf: record)
        case .csv:
            _ = CSVRecords.parse(file.base, from: entry.recordStart, end: entry.recordStart + Int(entry.recordLength),
                                 into: &fields)
            out.append(.openBrace)
            for (i, field) in fields.enumerated() where i < columns.count {
                if i > 0 { out.append(.comma) }
                out.append(.quote)
                out.append(contentsOf: columns[i])
                out.append(.quote)
                out.append(.colon)
                CSVRecords.value(file.base, field, into: &scratch)
                scratch.withUnsafeBytes { JSONText.appendString($0, to: &out) }
            }
            out.append(.closeBrace)
        }
    }
}

extension SourceIndex {
    /// Read-only views of the index's tables and the mapped file (valid while the index lives),
    /// split into the steps of a lookup so that a loop can issue each step's memory access well
    /// before it needs the result.
    struct Lookup {
        let slots: UnsafePointer<UInt64>
        let mask: Int
        let entries: UnsafePointer<Entry>
        let file: UnsafePointer<UInt8>

        /// The slot a key with `hash` probes first.
        @inline(__always)
        func firstSlot(_ hash: UInt64) -> UnsafePointer<UInt64> { slots + (Int(truncatingIfNeeded: hash) & mask) }

        /// The first slot from `start` on that is empty or carries `hash`'s tag, and its value.
        @inline(__always)
        func probe(_ hash: UInt64, from start: Int) -> (slot: Int, value: UInt64) {
            var slot = start
            while true {
                let value = slots[slot]
                if value == 0 || (value ^ hash) >> 32 == 0 { return (slot, value) }
                slot = (slot + 1) & mask
            }
        }

        /// The entry of the first slot on `hash`'s probe path that carries its tag, or -1 when
        /// an empty slot comes first (no such key). A tag match still needs its key compared.
        @inline(__always)
        func candidate(_ hash: UInt64) -> Int {
            SourceIndex.entryIndex(probe(hash, from: Int(truncatingIfNeeded: hash) & mask).value)
        }

        /// The raw key bytes of an entry, within the mapped file.
        @inline(__always)
        func rawKey(_ entry: Entry) -> UnsafePointer<UInt8> { file + entry.recordStart + Int(entry.keyStart) }
    }
}

/// The mapped source and the key, shared read-only by the key-finding threads.
private struct SharedBytes: @unchecked Sendable {
    // safe to send: both are read-only while the threads run.
    let base: UnsafePointer<UInt8>
    let key: UnsafeRawBufferPointer
}

/// One block of JSONL source lines and the entries found in it.
private final class KeyBlock: @unchecked Sendable {
    // safe to send: filled by one concurrentPerform iteration; read only after that wave, by the
    // caller or by the next wave's insert task (which the block's next filling waits for).
    var start = 0
    var end = 0
    var entries: [SourceIndex.Entry] = []
    /// The hash of each entry's key, decoded.
    var hashes: [UInt64] = []
    var invalid = 0
    private var scratch: [UInt8] = []
    /// Kept across blocks: a fresh decoder allocates its stacks and key patterns.
    private var keptDecoder: RowDecoder? = RowDecoder()

    /// Finds the key of every line in `start..<end`, with its hash, in order.
    func findKeys(base: UnsafePointer<UInt8>, key: UnsafeRawBufferPointer) {
        // Worked on as locals: as stored properties, each access per line paid an exclusivity check.
        var entries: [SourceIndex.Entry] = [], hashes: [UInt64] = [], scratch: [UInt8] = []
        swap(&entries, &self.entries)
        swap(&hashes, &self.hashes)
        swap(&scratch, &self.scratch)
        var decoder = keptDecoder.take()!
        defer {
            swap(&entries, &self.entries)
            swap(&hashes, &self.hashes)
            swap(&scratch, &self.scratch)
        }
        entries.removeAll(keepingCapacity: true)
        hashes.removeAll(keepingCapacity: true)
        var invalid = 0
        var p = start
        let end = self.end
        while p < end {
            let newline = ByteScan.firstIndex(of: .newline, in: UnsafeRawPointer(base), from: p, to: end) ?? end
            var lineEnd = newline
            if newline < end && lineEnd > p && base[lineEnd - 1] == .carriageReturn { lineEnd -= 1 }
            var blank = true
            for i in p..<lineEnd where !base[i].isJSONWhitespace { blank = false; break }
            if !blank {
                if let value = decoder.member(named: key, base: base, start: p, end: lineEnd) {
                    let raw = UnsafeRawBufferPointer(start: base + value.start, count: value.end - value.start)
                    hashes.append(JSONStringView(rawBytes: raw, isEscaped: value.escaped)
                        .withUTF8(scratch: &scratch) { NameCounter.hash($0) })
                    entries.append(SourceIndex.Entry(
                        recordStart: p, recordLength: Int32(lineEnd - p),
                        keyStart: Int32(value.start - p), keyLength: Int32(value.end - value.start),
                        keyNeedsDecoding: value.escaped))
                } else {
                    invalid += 1
                }
            }
            p = newline + 1
        }
        self.invalid = invalid
        keptDecoder = consume decoder
    }
}

/// A join source that cannot be used.
public struct SourceError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var problem: String
    public var description: String { "\(path) \(problem)" }
}
