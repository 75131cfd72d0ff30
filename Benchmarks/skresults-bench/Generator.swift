// Writes deterministic, realistic SafetyKit result files (and matching original-content files) for
// benchmarks: the same seed always gives the same bytes.

import Foundation
import ResultPipeline

/// A small, fast, seedable PRNG (SplitMix64); the stdlib generator is not seedable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) / Double(1 << 53) < p }
}

struct ResultGenerator {
    static let labelCount = 200
    let labels: [String]
    let cumulative: [Double]
    let words = ["spam", "scam", "counterfeit", "weapons", "adult", "hate_speech", "self_harm", "drugs",
                 "prohibited_item", "misleading_claims", "ip_infringement", "tobacco", "alcohol", "gambling",
                 "recalled_product", "illegal_wildlife", "medical_claims", "hazmat", "low_resolution_image",
                 "missing_description", "duplicate_listing", "new_seller", "payment_fraud", "impersonation"]
    let prefixes = ["policy", "quality", "risk", "trust", "compliance"]
    let titles = ["Wireless Earbuds", "Café au lait mug", "Naïve art print", "Ünïcödé shirt", "東京 souvenir",
                  "Smörgåsbord plate", "Vintage \\\"leather\\\" bag", "Back\\\\slash tool", "Zürich watch",
                  "Crème brûlée torch", "Emoji 😀 sticker pack", "Tab\\tseparated", "Line\\nbreak",
                  "Escaped \\u00e9 accent", "Plain product"]
    let objectActions = [#"{"action":"manual_review","queue":"high_risk"}"#, #"{"action":"remove_listing"}"#,
                         #"{"action":"notify_seller","template":"policy_reminder"}"#,
                         #"{"action":"manual_review","queue":"standard"}"#, #"{"action":"hold_payout","days":7}"#]
    let stringActions = [#""suspend_account""#, #""hold_payout""#, #""escalate""#]
    let kinds = ["product", "user", "listing"]

    init() {
        var names: [String] = []
        var i = 0
        while names.count < ResultGenerator.labelCount {
            let word = words[i % words.count]
            let prefix = prefixes[(i / words.count) % prefixes.count]
            let suffix = i < words.count * prefixes.count ? "" : "_\(i)"
            names.append("\(prefix).\(word)\(suffix)")
            i += 1
        }
        labels = names
        var total = 0.0
        cumulative = (0..<names.count).map { k in
            total += 1 / pow(Double(k + 1), 1.1)
            return total
        }
    }

    func zipfLabel(_ rng: inout SplitMix64) -> String {
        let x = Double(rng.next() >> 11) / Double(1 << 53) * cumulative.last!
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return labels[lo]
    }

    /// One result line (without newline) for row `n`.
    func line(_ n: Int, _ rng: inout SplitMix64, id: String) -> String {
        let spaced = rng.chance(0.15)
        let colon = spaced ? ": " : ":"
        let comma = spaced ? ", " : ","
        var members: [String] = ["\"id\"\(colon)\"\(id)\""]
        let r = rng.next() % 1000
        if r < 30 {
            members.append("\"output\"\(colon)null")
        } else if r >= 30 && r < 35 {
            // output missing
        } else {
            var labelEntries: [String] = []
            let count = [0, 0, 1, 1, 1, 1, 2, 2, 3, 4, 5][rng.below(11)]
            for _ in 0..<count {
                let name = zipfLabel(&rng)
                let shown = rng.chance(0.03) ? name.replacingOccurrences(of: ".", with: "\\u002e") : name
                if rng.chance(0.1) {
                    labelEntries.append("\"\(shown)\"")
                } else if rng.chance(0.5) {
                    labelEntries.append("{\"label\"\(colon)\"\(shown)\"\(comma)\"score\"\(colon)0.\(rng.below(1000))}")
                } else {
                    labelEntries.append("{\"label\"\(colon)\"\(shown)\"}")
                }
            }
            var actionEntries: [String] = []
            if count > 0 && rng.chance(0.5) {
                for _ in 0..<(1 + rng.below(2)) {
                    actionEntries.append(rng.chance(0.7) ? objectActions[rng.below(objectActions.count)]
                                                         : stringActions[rng.below(stringActions.count)])
                }
            }
            if rng.chance(0.01) { actionEntries.append("{}") }
            var fields = "{}"
            if rng.chance(0.5) {
                var desc = ""
                if rng.next() % 4000 == 0 {
                    let size = 10_000 + rng.below(40_000)
                    desc = "\(comma)\"description\"\(colon)\"" + String(repeating: "Long text é ", count: size / 13) + "\""
                }
                fields = "{\"title\"\(colon)\"\(titles[rng.below(titles.count)])\"\(comma)\"price\"\(colon)\(rng.below(100_000)).\(rng.below(100))\(desc)}"
            }
            var parts = ["\"actions\"\(colon)[\(actionEntries.joined(separator: comma))]",
                         "\"labels\"\(colon)[\(labelEntries.joined(separator: comma))]",
                         "\"fields\"\(colon)\(fields)"]
            if rng.chance(0.2) { parts.shuffle(using: &rng) }
            members.append("\"output\"\(colon){\(parts.joined(separator: comma))}")
        }
        let m = rng.below(100)
        if m < 25 {
            // metadata absent
        } else if m < 35 {
            members.append("\"metadata\"\(colon)null")
        } else if m < 50 {
            members.append("\"metadata\"\(colon){}")
        } else {
            members.append("\"metadata\"\(colon){\"source\"\(colon)\"backfill\"\(comma)\"batch\"\(colon)\(rng.below(64))\(comma)\"tags\"\(colon)[\"a\",\"b\"]\(comma)\"note\"\(colon)\"\(titles[rng.below(titles.count)])\"}")
        }
        members.append("\"url\"\(colon)\"https://app.safetykit.com/review/\(id)?tab=results&ref=\(rng.below(1 << 30))\"")
        if rng.chance(0.2) { members.shuffle(using: &rng) }
        return "{" + members.joined(separator: comma) + "}"
    }

    static func id(_ n: Int) -> String {
        ["product", "user", "listing"][n % 3] + "_\(1_000_000 + n)"
    }

    /// Writes about `size` bytes of results to `path`; returns the number of rows.
    func writeResults(size: Int, seed: UInt64, to path: String) throws -> Int {
        var rng = SplitMix64(seed: seed)
        let out = try AtomicOutputFile(path: path)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 22)
        var written = 0
        var n = 0
        while written < size {
            var text = line(n, &rng, id: ResultGenerator.id(n))
            text.append("\n")
            buffer.append(contentsOf: text.utf8)
            written += text.utf8.count
            n += 1
            if buffer.count >= 1 << 22 {
                try out.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try out.write(buffer)
        try out.commit()
        return n
    }

    /// Writes the original content for `rows` results, shuffled: 2% of results have no source and
    /// about 1% of sources have no result.
    func writeSource(rows: Int, seed: UInt64, to path: String) throws {
        var rng = SplitMix64(seed: seed ^ 0x5EED)
        var ids = (0..<rows).filter { _ in !rng.chance(0.02) }
        ids += (0..<(rows / 100)).map { rows + $0 }
        ids.shuffle(using: &rng)
        let out = try AtomicOutputFile(path: path)
        var buffer: [UInt8] = []
        for n in ids {
            let line = "{\"id\":\"\(ResultGenerator.id(n))\",\"title\":\"\(titles[rng.below(titles.count)])\",\"price\":\(rng.below(10_000)),\"seller\":\"seller_\(rng.below(50_000))\"}\n"
            buffer.append(contentsOf: line.utf8)
            if buffer.count >= 1 << 22 {
                try out.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try out.write(buffer)
        try out.commit()
    }
}
