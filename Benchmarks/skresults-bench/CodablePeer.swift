// The code a Swift user would write without skresults: read lines, `JSONDecoder` each into
// `Codable` structs, count names. A peer in the side-by-side comparison, not part of the product.

import Foundation

enum CodablePeer {
    struct Row: Decodable {
        var id: String
        var output: Output?
    }

    struct Output: Decodable {
        var labels: [Entry<LabelKey>]?
        var actions: [Entry<ActionKey>]?
    }

    protocol NameKey: CodingKey { static var name: Self { get } }
    enum LabelKey: String, NameKey { case label; static var name: LabelKey { .label } }
    enum ActionKey: String, NameKey { case action; static var name: ActionKey { .action } }

    /// A string, or an object whose name key holds a string; anything else names nothing.
    struct Entry<Key: NameKey>: Decodable {
        var name: String?
        init(from decoder: Decoder) throws {
            if let s = try? decoder.singleValueContainer().decode(String.self) {
                name = s
            } else if let c = try? decoder.container(keyedBy: Key.self) {
                name = try? c.decode(String.self, forKey: Key.name)
            } else {
                name = nil
            }
        }
    }

    static func run(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileNoSuchFile) }
        let decoder = JSONDecoder()
        var labels: [String: Int] = [:]
        var actions: [String: Int] = [:]
        var pending = Data()
        func count(_ line: Data) {
            guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }),
                  let row = try? decoder.decode(Row.self, from: line) else { return }
            for entry in row.output?.labels ?? [] { if let n = entry.name { labels[n, default: 0] += 1 } }
            for entry in row.output?.actions ?? [] { if let n = entry.name { actions[n, default: 0] += 1 } }
        }
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            pending.append(block)
            var start = pending.startIndex
            while let nl = pending[start...].firstIndex(of: 0x0A) {
                count(pending[start..<nl])
                start = nl + 1
            }
            pending = Data(pending[start...])
        }
        if !pending.isEmpty { count(pending) }
        let out = try JSONSerialization.data(withJSONObject: ["labels": labels, "actions": actions], options: [.sortedKeys])
        FileHandle.standardOutput.write(out)
        print()
    }
}
