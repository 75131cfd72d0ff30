// The row grammar: RFC 8259 strictly, the result schema leniently. Table-driven accept/reject
// cases, then the leniency rules for labels and actions, duplicates, escapes and nesting.

import Testing
@testable import ResultPipeline

@Suite("RowDecoder")
struct RowDecoderTests {
    static let accepted: [String] = [
        #"{"id":"a"}"#,
        #" { "id" : "a" } "#,
        "{\t\"id\":\"a\"\r}",
        #"{"id":"a","output":null}"#,
        #"{"id":"a","output":{}}"#,
        #"{"id":"a","x":[0,-0,1.5,-1.5e10,2E-3,1e+2,12345678901234567890123]}"#,
        #"{"id":"a","x":[true,false,null,{},[],"",{"k":[{"k":[]}]}]}"#,
        #"{"id":"a","x":"\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"}"#,
        #"{"id":"é東😀"}"#,
        #"{"id":"a","metadata":{"nested":{"deep":[1,[2,[3]]]}},"url":"https://x/?a=1&b=2"}"#,
        #"{"id":"a","x":"\ud800"}"#,
    ]

    @Test("valid rows are accepted", arguments: accepted)
    func accepts(_ line: String) {
        let (result, _) = decodeOne(line)
        if case .failure(let r) = result { Issue.record("rejected: \(r.message)") }
    }

    static let rejected: [(String, RejectReason)] = [
        (#"{"id":"a",}"#, .invalidJSON),
        (#"{"id":"a","x":[1,2,]}"#, .invalidJSON),
        (#"{"id":"a","x":NaN}"#, .invalidJSON),
        (#"{"id":"a","x":Infinity}"#, .invalidJSON),
        (#"{"id":"a","x":-Infinity}"#, .invalidJSON),
        (#"{"id":"a","x":01}"#, .invalidJSON),
        (#"{"id":"a","x":-01}"#, .invalidJSON),
        (#"{"id":"a","x":1.}"#, .invalidJSON),
        (#"{"id":"a","x":.5}"#, .invalidJSON),
        (#"{"id":"a","x":1e}"#, .invalidJSON),
        (#"{"id":"a","x":+1}"#, .invalidJSON),
        (#"{"id":"a","x":0x1}"#, .invalidJSON),
        (#"{'id':'a'}"#, .invalidJSON),
        ("{\"id\":\"a\u{01}\"}", .invalidJSON),
        ("{\"id\":\"a\tb\"}", .invalidJSON),
        (#"{"id":"a\x"}"#, .invalidJSON),
        (#"{"id":"a\u12"}"#, .invalidJSON),
        (#"{"id":"a\u12G4"}"#, .invalidJSON),
        (#"{"id":"a"} x"#, .invalidJSON),
        (#"{"id":"a"}{"id":"b"}"#, .invalidJSON),
        ("{\"id\":\"a\",\u{0C}\"x\":1}", .invalidJSON),
        ("{\"id\":\"a\",\u{0B}\"x\":1}", .invalidJSON),
        ("{\"id\":\"a\",\u{A0}\"x\":1}", .invalidJSON),
        (#"{"id":"a"#, .invalidJSON),
        (#"{"id" "a"}"#, .invalidJSON),
        (#"{"id":tru}"#, .invalidJSON),
        (#"{"id":"a","x":nul}"#, .invalidJSON),
        (#"{"id":"a",1:2}"#, .invalidJSON),
        (#"{"id":"a""#, .invalidJSON),
        (#"{"id":"a","x":[}"#, .invalidJSON),
        (#"{"id":"a","x":{]}"#, .invalidJSON),
        (#"{"id":"a","output":{"labels":[1,]}}"#, .invalidJSON),
        (#"{"id":"a","output":{"labels":[{"label":"x",}]}}"#, .invalidJSON),
        (#"[{"id":"a"}]"#, .notAnObject),
        (#""a""#, .notAnObject),
        ("42", .notAnObject),
        ("null", .notAnObject),
        (#"{}"#, .missingID),
        (#"{"output":null}"#, .missingID),
        (#"{"id":""}"#, .invalidID),
        (#"{"id":5}"#, .invalidID),
        (#"{"id":null}"#, .invalidID),
        (#"{"id":"a","id":7}"#, .invalidID),
        (#"{"id":"a","output":[]}"#, .invalidOutput),
        (#"{"id":"a","output":"x"}"#, .invalidOutput),
        (#"{"id":"a","output":0}"#, .invalidOutput),
        (#"{"id":"a","output":true}"#, .invalidOutput),
        (#"{"id":"a","output":{},"output":1}"#, .invalidOutput),
    ]

    @Test("invalid rows are rejected with their reason", arguments: rejected)
    func rejects(_ line: String, _ reason: RejectReason) {
        let (result, names) = decodeOne(line)
        switch result {
        case .success: Issue.record("accepted")
        case .failure(let r): #expect(r.reason == reason, "\(r.message)")
        }
        #expect(names.isEmpty, "a rejected row leaves no names behind")
    }

    static let invalidUTF8: [[UInt8]] = [
        [0xFF], [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80],
        [0xE2, 0x82], [0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC3],
    ]

    @Test("invalid UTF-8 in a string is rejected", arguments: invalidUTF8)
    func rejectsInvalidUTF8(_ bad: [UInt8]) {
        let line = Array(#"{"id":"x"#.utf8) + bad + Array(#""}"#.utf8)
        let (result, _) = decodeOne(line)
        guard case .failure(let r) = result else { Issue.record("accepted"); return }
        #expect(r.reason == .invalidUTF8)
    }

    /// Pieces of string content: plain text, valid sequences at the edges of their ranges, and
    /// invalid ones (stray continuations, overlongs, surrogates, above U+10FFFF, cut-off leads).
    static let textPieces: [[UInt8]] = [
        Array("a".utf8), Array("plain text".utf8), Array("0123456789abcdef".utf8), [0x7F],
        [0xC2, 0x80], [0xDF, 0xBF], [0xC3, 0xA9], [0xE0, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
        [0xEF, 0xBF, 0xBF], [0xE5, 0x95, 0x86], [0xF0, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
        [0xF0, 0x9F, 0x98, 0x80], [0xF3, 0xBF, 0xBF, 0xBF],
        Array("商品説明テキスト".utf8), Array("😀🚀".utf8),
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80],
        [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],
        [0xC3], [0xE5, 0x95], [0xF0, 0x9F, 0x98], [0x01], [0x1F],
        // Escapes, good and bad (a cut-off `\u00` may be completed by the hex digits after it).
        Array(#"\n"#.utf8), Array(#"\""#.utf8), Array(#"\\"#.utf8), Array(#"\/"#.utf8), Array(#"\u00e9"#.utf8),
        Array(#"\uD83D\uDE00"#.utf8), Array(#"\u5546\u54c1\u8AAC"#.utf8), Array(#"\uFFFF"#.utf8),
        Array(#"\x"#.utf8), Array(#"\u12G4"#.utf8), Array(#"\u00"#.utf8), Array(#"\u:000"#.utf8), Array(#"\U0041"#.utf8),
    ]

    /// Where the byte-at-a-time rules reject `content` (no unescaped quote in it, and followed by
    /// a backslash or a quote): the first control byte, bad escape or the end of its longest valid
    /// UTF-8 prefix, whichever comes first.
    static func expectedFailure(_ content: [UInt8]) -> (offset: Int, reason: RejectReason)? {
        var valid = content.count
        while String(validating: content[0..<valid], as: UTF8.self) == nil { valid -= 1 }
        var syntax = content.firstIndex { $0 < 0x20 } ?? content.count
        var i = 0
        while i < content.count {
            guard content[i] == UInt8(ascii: "\\") else { i += 1; continue }
            let next = i + 1 < content.count ? content[i + 1] : 0
            if Array(#""\/bfnrt"#.utf8).contains(next) {
                i += 2
            } else if next == UInt8(ascii: "u") && i + 6 <= content.count
                        && content[i + 2 ..< i + 6].allSatisfy({ $0 < 0x80 && Character(Unicode.Scalar($0)).isHexDigit }) {
                i += 6
            } else {
                syntax = min(syntax, i)
                break
            }
        }
        if syntax < valid { return (syntax, .invalidJSON) }
        return valid < content.count ? (valid, .invalidUTF8) : nil
    }

    @Test("long and mixed text and escapes are validated exactly: same verdict and position as byte by byte")
    func mixedTextAgreesWithByteRules() {
        var random = SeededRandom(seed: 42)
        for round in 0..<6000 {
            var content: [UInt8] = []
            let goodOnly = round % 3 != 0
            let pieces = 1 + Int(random.next() % 24)
            for _ in 0..<pieces {
                var piece = RowDecoderTests.textPieces[Int(random.next() % UInt64(RowDecoderTests.textPieces.count))]
                if goodOnly { while RowDecoderTests.expectedFailure(piece) != nil {
                    piece = RowDecoderTests.textPieces[Int(random.next() % UInt64(RowDecoderTests.textPieces.count))]
                } }
                content += piece
            }
            let expected = RowDecoderTests.expectedFailure(content)
            // Before the string: a varying run of padding shifts the eight-byte steps; after it, an
            // escape and more text, or the end of the line close behind.
            let pad = Array(repeating: UInt8(ascii: "p"), count: Int(random.next() % 9))
            let head = Array(#"{"id":"x","fields":{"a":""#.utf8) + pad
            let tail = random.next() % 2 == 0 ? Array(#"é ok"}}"#.utf8) : Array(#""}}"#.utf8)
            let line = head + content + tail
            let (result, _) = decodeOne(line)
            switch (result, expected) {
            case (.success, nil):
                break
            case (.failure(let r), let e?):
                #expect(r.reason == e.reason && r.position == head.count + e.offset,
                        "\(content): \(r.message), expected \(e)")
            default:
                Issue.record("\(content): got \(result), expected \(String(describing: expected))")
            }
        }
    }

    @Test("numbers of every length are validated as RFC 8259 says, wherever they fall")
    func randomNumbers() throws {
        let grammar = try Regex(#"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?"#)
        let pieces = ["", "-", "0", "7", "12345678", "9876543210123", ".", ".5", ".0000000001", "e", "E+",
                      "e-3", "e12345678901", "x", "00", "+1", " ", "123456789:", "/", "5:5"]
        var random = SeededRandom(seed: 7)
        for _ in 0..<8000 {
            var token = ""
            for _ in 0 ..< 1 + Int(random.next() % 4) { token += pieces[Int(random.next() % UInt64(pieces.count))] }
            guard !token.isEmpty, token.first != " " else { continue }
            let pad = String(repeating: " ", count: Int(random.next() % 9))
            let after = random.next() % 2 == 0 ? "]}" : ",1,2,3,4,5,6,7]}"
            // First in its array, or after other numbers (the loop over compact number arrays).
            let before = random.next() % 2 == 0 ? "" : "-1.5,0,12345678901,"
            let line = #"{"id":"x","fields":["# + before + pad + token + after
            let (result, _) = decodeOne(line)
            var number = Substring(token)
            while number.last == " " { number = number.dropLast() }   // whitespace may follow a value
            let valid = number.wholeMatch(of: grammar) != nil
            switch result {
            case .success: #expect(valid, "\(line) accepted")
            case .failure(let r): #expect(!valid, "\(line): \(r.message)")
            }
        }
    }

    /// Label entries in the compact forms the decoder reads straight through, and near misses.
    static let labelEntries = [
        #"{"label":"a"}"#, #"{"label":"a","score":0.5}"#, #"{"label": "a", "score": -1e5}"#,
        #"{"label":"a","score":01}"#, #"{"label":"a","score":1,"label":"b"}"#, #"{"label":"a","score":"x"}"#,
        #"{"label":"a","x":1}"#, #"{"label":"a\u0062"}"#, #"{"label":"a","score":1.}"#, #"{"label":1}"#,
        #"{"label":"a"]"#, #"{"label":"a","score":-}"#, #"{"label":"a","score":2}x"#, #"{"label":"\q"}"#,
        #"{"label":"a","score": 3 }"#, #"{"label":"a" }"#, #"{"label":"#, #"{"label":"a","score":7"#,
    ]

    @Test("compact label entries decode as the general parser decodes them", arguments: labelEntries)
    func compactLabelEntries(entry: String) {
        // A tab after the opening brace means the same JSON but is not a compact form, so the
        // second line goes through the general entry parser.
        let general = "{\t" + entry.dropFirst()
        func decode(_ e: String) -> (Bool, RejectReason?, SyntaxProblem?, [String]) {
            let (result, names) = decodeOne(#"{"id":"x","output":{"labels":["# + e + "]}}")
            switch result {
            case .success: return (true, nil, nil, names)
            case .failure(let r): return (false, r.reason, r.problem, names)
            }
        }
        let a = decode(entry), b = decode(general)
        #expect(a.0 == b.0 && a.1 == b.1 && a.2 == b.2 && a.3 == b.3, "\(entry): \(a) vs \(b)")
    }

    @Test("the four-hex-digit check agrees with the byte-wise one for every byte in every place")
    func fourHexDigits() {
        for place in 0..<4 {
            for byte in 0...255 {
                var bytes: [UInt8] = Array("a0F9".utf8)
                bytes[place] = UInt8(byte)
                let w = bytes.enumerated().reduce(UInt64(0x4141_4141) << 32) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                #expect(RowDecoder.fourHexDigits(w) == (UInt8(byte).hexValue != nil), "byte \(byte) at \(place)")
            }
        }
    }

    @Test("non-ASCII bytes outside strings are rejected")
    func nonASCIIOutsideStrings() {
        let (result, _) = decodeOne([0x7B, 0xC3, 0xA9, 0x7D])
        guard case .failure = result else { Issue.record("accepted"); return }
    }

    @Test("nesting up to 512 levels is accepted, deeper is rejected")
    func nestingLimit() {
        func nested(_ depth: Int) -> String {
            // The row object is level 1.
            "{\"id\":\"a\",\"x\":" + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
        }
        if case .failure(let r) = decodeOne(nested(512)).0 { Issue.record("512 rejected: \(r.message)") }
        guard case .failure(let r) = decodeOne(nested(513)).0 else { Issue.record("513 accepted"); return }
        #expect(r.reason == .tooDeep)
    }

    @Test("a million open brackets are rejected without recursion")
    func millionBrackets() {
        let line = [UInt8](repeating: UInt8(ascii: "["), count: 1_000_000)
        guard case .failure(let r) = decodeOne(line).0 else { Issue.record("accepted"); return }
        #expect(r.reason == .tooDeep)
        let objects = Array(String(repeating: "{\"a\":", count: 200_000).utf8)
        guard case .failure(let r2) = decodeOne(objects).0 else { Issue.record("accepted"); return }
        #expect(r2.reason == .tooDeep)
    }

    static let leniency: [(String, [String], Int, Int, OutputState, Int)] = [
        // line, names (labels then actions), label count, action count, output, ignored
        (#"{"id":"a","output":{"labels":[{"label":"x"}],"actions":[{"action":"y","queue":"q"}]}}"#, ["x", "y"], 1, 1, .object, 0),
        (#"{"id":"a","output":{"labels":["x"],"actions":["suspend_account"]}}"#, ["x", "suspend_account"], 1, 1, .object, 0),
        (#"{"id":"a","output":{"actions":[{}]}}"#, [], 0, 0, .object, 1),
        (#"{"id":"a","output":{"labels":[1,null,true,[],{"label":5},{"name":"n"},"ok"]}}"#, ["ok"], 1, 0, .object, 6),
        (#"{"id":"a","output":{"labels":"x","actions":{"action":"y"}}}"#, [], 0, 0, .object, 2),
        (#"{"id":"a","output":{"labels":null,"actions":null}}"#, [], 0, 0, .object, 0),
        (#"{"id":"a","output":null}"#, [], 0, 0, .null, 0),
        (#"{"id":"a"}"#, [], 0, 0, .missing, 0),
        (#"{"id":"a","output":{"labels":["a"],"labels":["b"]}}"#, ["b"], 1, 0, .object, 0),
        (#"{"id":"a","output":{"labels":[5],"labels":["b"]}}"#, ["b"], 1, 0, .object, 0),
        (#"{"id":"a","output":{"actions":["a"],"labels":["l"],"actions":["b"]}}"#, ["l", "b"], 1, 1, .object, 0),
        (#"{"id":"a","output":{"labels":["x"]},"output":{"labels":["y"]}}"#, ["y"], 1, 0, .object, 0),
        (#"{"id":"a","output":{"labels":["x"],"actions":[1]},"output":null}"#, [], 0, 0, .null, 0),
        (#"{"id":"a","output":5,"output":{"labels":["y"]}}"#, ["y"], 1, 0, .object, 0),
        (#"{"id":"a","output":{"labels":[{"label":"a","label":"b"}]}}"#, ["b"], 1, 0, .object, 0),
        (#"{"id":"a","output":{"labels":[{"label":"a","label":7}]}}"#, [], 0, 0, .object, 1),
        (#"{"id":"a","output":{"labels":[{"action":"a"}],"actions":[{"label":"b"}]}}"#, [], 0, 0, .object, 2),
        (#"{"\u0069d":"a","\u006futput":{"l\u0061bels":["k"]}}"#, ["k"], 1, 0, .object, 0),
        (#"{"id":"a","output":{"labels":["policy.\u0065xample","\u00e9","\ud83d\ude00"]}}"#, ["policy.example", "é", "😀"], 3, 0, .object, 0),
        (#"{"id":"a","output":{"labels":[""]}}"#, [""], 1, 0, .object, 0),
        (#"{"id":"a","output":{"fields":{"labels":["not counted"]},"labels":[]}}"#, [], 0, 0, .object, 0),
        (#"{"id":"a","metadata":{"output":{"labels":["not counted"]}}}"#, [], 0, 0, .missing, 0),
    ]

    @Test("labels and actions are read leniently", arguments: leniency)
    func leniencyRules(_ c: (String, [String], Int, Int, OutputState, Int)) {
        let (result, names) = decodeOne(c.0)
        guard case .success(let f) = result else { Issue.record("rejected"); return }
        #expect(names == c.1)
        #expect(f.labelCount == c.2)
        #expect(f.actionCount == c.3)
        #expect(f.output == c.4)
        #expect(f.ignoredEntries == c.5)
    }

    @Test("the last id wins and escaped ids keep their bytes")
    func ids() {
        let (r1, _) = decodeOne(#"{"id":5,"id":"b"}"#)
        guard case .success(let f) = r1 else { Issue.record("rejected"); return }
        #expect(f.idStart == 14 && f.idLength == 1)
        let (r2, _) = decodeOne(#"{"id":"\u0061"}"#)
        guard case .success(let g) = r2 else { Issue.record("rejected"); return }
        #expect(g.idEscaped)
    }

    @Test("reject messages say where")
    func messages() {
        guard case .failure(let r) = decodeOne(#"{"id":"a",}"#).0 else { Issue.record("accepted"); return }
        #expect(r.message == "invalid JSON: expected a string key at byte 10")
    }
}
