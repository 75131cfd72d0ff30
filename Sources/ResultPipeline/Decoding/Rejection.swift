// Why a line was rejected, built only on the failing path. The message text is stable: tests and
// users' scripts match on it.

/// The class of problem that made a line unusable.
public enum RejectReason: UInt8, Sendable, Equatable, CaseIterable {
    /// Longer than the maximum line length.
    case lineTooLong
    /// Not valid UTF-8 inside a string.
    case invalidUTF8
    /// Not one valid RFC 8259 JSON value.
    case invalidJSON
    /// Containers nested deeper than the decoder's limit.
    case tooDeep
    /// Valid JSON, but not an object.
    case notAnObject
    /// An object without an `id` key.
    case missingID
    /// An `id` that is not a non-empty string.
    case invalidID
    /// An `output` that is neither an object nor `null`.
    case invalidOutput
}

/// What exactly broke the JSON grammar.
public enum SyntaxProblem: UInt8, Sendable, Equatable {
    case unexpectedEnd
    case unexpectedCharacter
    case trailingCharacters
    case controlCharacterInString
    case invalidEscape
    case invalidNumber
    case invalidLiteral
    case expectedColon
    case expectedKey
    case expectedCommaOrBrace
    case expectedCommaOrBracket
}

/// The diagnosis of one rejected line.
public struct Rejection: Error, Sendable, Equatable {
    public var reason: RejectReason
    /// Set when `reason` is `.invalidJSON`.
    public var problem: SyntaxProblem?
    /// Byte position within the line where the problem was found.
    public var position: Int

    public init(reason: RejectReason, problem: SyntaxProblem? = nil, position: Int = 0) {
        self.reason = reason
        self.problem = problem
        self.position = position
    }

    /// A short human-readable reason, as written to the rejects file.
    public var message: String {
        switch reason {
        case .lineTooLong: return "line too long"
        case .invalidUTF8: return "invalid UTF-8 at byte \(position)"
        case .tooDeep: return "nesting too deep at byte \(position)"
        case .notAnObject: return "not a JSON object"
        case .missingID: return "missing id"
        case .invalidID: return "id is not a non-empty string"
        case .invalidOutput: return "output is neither an object nor null"
        case .invalidJSON:
            let what: String
            switch problem ?? .unexpectedCharacter {
            case .unexpectedEnd: what = "unexpected end of line"
            case .unexpectedCharacter: what = "unexpected character"
            case .trailingCharacters: what = "characters after the value"
            case .controlCharacterInString: what = "control character in string"
            case .invalidEscape: what = "invalid escape"
            case .invalidNumber: what = "invalid number"
            case .invalidLiteral: what = "invalid literal"
            case .expectedColon: what = "expected ':'"
            case .expectedKey: what = "expected a string key"
            case .expectedCommaOrBrace: what = "expected ',' or '}'"
            case .expectedCommaOrBracket: what = "expected ',' or ']'"
            }
            return "invalid JSON: \(what) at byte \(position)"
        }
    }
}
