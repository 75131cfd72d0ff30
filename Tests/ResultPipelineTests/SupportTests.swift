// The small value types under the sinks: the name counter, JSON text output, base64, UTF-8 checks
// and unescaping.

import Foundation
import Testing
@testable import ResultPipeline

@Suite("NameCounter")
struct NameCounterTests {
    @Test("counts, grows past its initial table and merges")
    func countsAndMerges() {
        var a = NameCounter()
        for i in 0..<1000 {
            var name = "label.\(i % 300)"
            name.withUTF8 { _ = a.add(UnsafeRawBufferPointer($0)) }
        }
        #expect(a.distinctCount == 300)
        #expect(a.total == 1000)
        #expect(a.count(of: "label.0") == 4)
        #expect(a.count(of: "label.299") == 3)
        #expect(a.count(of: "missing") == 0)
        var b = NameCounter()
        var x = "label.0"
        x.withUTF8 { _ = b.add(UnsafeRawBufferPointer($0), count: 10) }
        a.merge(b)
        #expect(a.count(of: "label.0") == 14)
        #expect(a.sorted().first! == ("label.0", 14))
    }

    @Test("sorts by count, then by name bytes")
    func ordering() {
        var c = NameCounter()
        for name in ["b", "a", "c", "a", "b"] {
            var s = name
            s.withUTF8 { _ = c.add(UnsafeRawBufferPointer($0)) }
        }
        #expect(c.sorted().map(\.name) == ["a", "b", "c"])
    }
}

@Suite("NameTable")
struct NameTableTests {
    @Test("counts every name of every length, many alike, through its growth, and drains them all")
    func countsManyAlikeNames() {
        // Names of 0-40 bytes that share long prefixes and suffixes, so that hashing must use
        // every byte to spread them; each is counted (i % 7) + 1 times.
        let table = NameTable()
        var expected: [String: Int] = [:]
        for i in 0..<6000 {
            let width = i % 41
            var name = String(repeating: "p", count: max(0, width - 4)) + String(i % 10_000, radix: 36)
            name = String(name.suffix(width))
            for _ in 0 ..< (i % 7) + 1 {
                name.withUTF8 { table.add(UnsafeRawPointer($0.baseAddress ?? UnsafePointer(bitPattern: 1)!), $0.count) }
            }
            expected[name, default: 0] += (i % 7) + 1
        }
        var counter = NameCounter()
        table.drain(into: &counter)
        #expect(counter.distinctCount == expected.count)
        #expect(counter.total == expected.values.reduce(0, +))
        for (name, count) in expected { #expect(counter.count(of: name) == count, "\(name)") }
    }

    @Test("names that differ only in their last bytes spread over the slots")
    func alikeNamesSpread() {
        // The slot is the hash's low bits. Families of names that differ only at their end must
        // still land on (nearly) as many slots as there are names; a hash whose low bits ignore
        // the last bytes put each family on one slot, and every lookup walked all of them.
        let families: [(Int) -> String] = [
            { "policy.l\($0)" }, { "policy.label_\($0)" }, { "p\($0)" },
            { "risk.category.subcategory_\($0)" }, { String(repeating: "x", count: 15) + "\($0 % 10)\($0 / 10)" },
        ]
        for family in families {
            let names = (0..<300).map(family)
            var slots = Set<UInt64>()
            for name in names {
                var copy = name
                copy.withUTF8 { _ = slots.insert(NameTable.hash(UnsafeRawPointer($0.baseAddress!), $0.count) & 1023) }
            }
            // 300 names into 1,024 slots at random: about 260 distinct slots are expected.
            #expect(slots.count >= 220, "\(names[0]): \(slots.count) slots")
        }
    }
}

@Suite("ByteScan")
struct ByteScanTests {
    @Test("counts a byte exactly, at every alignment and length")
    func countsExactly() {
        var random = SeededRandom(seed: 9)
        // Mostly the byte itself and its neighbours, where a borrow between bytes would miscount.
        let alphabet: [UInt8] = [0x0A, 0x0A, 0x0B, 0x09, 0x00, 0xFF, 0x8A, 0x0A]
        let bytes = (0..<300).map { _ in alphabet[Int(random.next() % 8)] }
        bytes.withUnsafeBytes { raw in
            for from in 0..<12 {
                for to in from...bytes.count {
                    let expected = bytes[from..<to].filter { $0 == 0x0A }.count
                    if ByteScan.count(of: 0x0A, in: raw.baseAddress!, from: from, to: to) != expected {
                        Issue.record("count \(from)..<\(to)")
                        return
                    }
                }
            }
        }
    }
}

@Suite("JSONText")
struct JSONTextTests {
    @Test("escapes quotes, backslashes and control characters, keeps UTF-8")
    func escaping() {
        var out: [UInt8] = []
        JSONText.appendString("a\"b\\c\n\t\u{01}é\u{7F}", to: &out)
        #expect(String(decoding: out, as: UTF8.self) == #""a\"b\\c\n\t\u0001é\u007f""#)
    }

    @Test("base64 across pieces equals base64 in one piece", arguments: 0...7)
    func base64(split: Int) {
        let bytes: [UInt8] = [0xFF, 0x00, 0x10, 0x80, 0x7F, 0x41, 0x42]
        var whole: [UInt8] = []
        var e1 = JSONText.Base64Encoder()
        bytes.withUnsafeBytes { e1.append($0, to: &whole) }
        e1.finish(to: &whole)
        #expect(String(decoding: whole, as: UTF8.self) == "/wAQgH9BQg==")
        var parts: [UInt8] = []
        var e2 = JSONText.Base64Encoder()
        bytes.withUnsafeBytes { all in
            e2.append(UnsafeRawBufferPointer(rebasing: all[0..<split]), to: &parts)
            e2.append(UnsafeRawBufferPointer(rebasing: all[split...]), to: &parts)
        }
        e2.finish(to: &parts)
        #expect(parts == whole)
    }
}

@Suite("UTF8Check")
struct UTF8CheckTests {
    @Test("a stream split inside a sequence is still valid", arguments: 0...7)
    func streamSplit(split: Int) {
        let bytes = Array("aé東😀".utf8)
        var stream = UTF8Check.Stream()
        bytes.withUnsafeBytes { all in
            stream.feed(UnsafeRawBufferPointer(rebasing: all[0..<min(split, all.count)]))
            stream.feed(UnsafeRawBufferPointer(rebasing: all[min(split, all.count)...]))
        }
        let valid = stream.finish()
        #expect(valid)
    }

    @Test("invalid or cut-off input is invalid")
    func invalid() {
        for bad: [UInt8] in [[0xFF], [0xE6, 0x9D], [0xED, 0xA0, 0x80], [0x61, 0xC3]] {
            var stream = UTF8Check.Stream()
            bad.withUnsafeBytes { stream.feed($0) }
            let valid = stream.finish()
            #expect(!valid, "\(bad)")
        }
    }
}

@Suite("sameBytes")
struct SameBytesTests {
    @Test("agrees with a byte-by-byte comparison at every length and every differing position")
    func everyLengthAndPosition() {
        // The compared ranges sit at the very end of their buffers, so a read past a range would
        // be a read past the allocation (caught under the address sanitizer).
        for length in 0...40 {
            let a = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, length), alignment: 1)
            let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, length), alignment: 1)
            defer { a.deallocate(); b.deallocate() }
            for i in 0..<length { a[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3); b[i] = a[i] }
            #expect(sameBytes(a.baseAddress!, b.baseAddress!, length), "length \(length)")
            for position in 0..<length {
                b[position] ^= 0x40
                #expect(!sameBytes(a.baseAddress!, b.baseAddress!, length), "length \(length), byte \(position)")
                b[position] ^= 0x40
            }
        }
    }
}

@Suite("KeyPattern")
struct KeyPatternTests {
    @Test("every literal pattern the decoder uses equals the one built from its name")
    func literalsMatchNames() {
        #expect(KnownKeys.all.count == 11)
        for (name, literal) in KnownKeys.all {
            let built = KeyPattern(name)
            #expect(literal.low == built.low && literal.high == built.high, "\(name)")
            #expect(literal.lowMask == built.lowMask && literal.highMask == built.highMask, "\(name)")
            #expect(literal.length == built.length && literal.length == name.utf8.count + 3, "\(name)")
            #expect(literal.key.word == built.key.word && literal.key.length == built.key.length, "\(name)")
        }
    }
}

@Suite("AtomicOutputFile")
struct AtomicOutputFileTests {
    /// Sizes around the alignment unit and the direct writer's block, so that the last partial
    /// block, a tail under one unit and whole blocks all occur.
    static let sizes = [0, 1, 4095, 4096, 4097, DirectWriter.blockSize - 1, DirectWriter.blockSize,
                        DirectWriter.blockSize + 1, 3 * DirectWriter.blockSize + 12_345]

    @Test("what is written in pieces of every size is the file, byte for byte", arguments: sizes)
    func writesExactly(size: Int) throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/out.bin"
        var random = SeededRandom(seed: UInt64(size) + 1)
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            for i in 0..<size { buffer[i] = UInt8(truncatingIfNeeded: (i &* 2_654_435_761) >> 7) }
            count = size
        }
        let file = try AtomicOutputFile(path: path)
        // Where the file system takes O_DIRECT, the direct writer is what is being tested.
        #expect(file.writesDirectly == AtomicOutputFileTests.directIOWorks(in: dir.path))
        var at = 0
        while at < size {
            // Pieces from one byte to more than a block.
            let n = min(size - at, [1, 17, 4096, 70_000, DirectWriter.blockSize + 3][Int(random.next() % 5)])
            try bytes[at ..< at + n].withUnsafeBytes { try file.write($0) }
            at += n
        }
        #expect(!FileManager.default.fileExists(atPath: path), "not under its name before commit")
        try file.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes))
    }

    static func directIOWorks(in dir: String) -> Bool {
        let probe = dir + "/probe"
        let fd = open(probe, O_WRONLY | O_CREAT, 0o600)
        defer { close(fd); unlink(probe) }
        return fd >= 0 && Syscall.setDirectIO(fd, true)
    }

    @Test("an output discarded after blocks were written leaves nothing behind")
    func abortLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        let path = dir.path + "/out.bin"
        let file = try AtomicOutputFile(path: path)
        let block = [UInt8](repeating: 7, count: DirectWriter.blockSize + 100)
        for _ in 0..<3 { try file.write(block) }
        file.abort()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
