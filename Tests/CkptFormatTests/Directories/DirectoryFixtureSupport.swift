import CkptCore
import CkptFormat
import CkptTestSupport
import Foundation

/// PyTorch's numbers for fixtures/dcp and fixtures/hf (expected.json, written by
/// fixtures/make_dcp_hf_fixtures.py) and the flattening both sides name leaves by.
enum DirectoryFixtures {
    static let dcp = Repository.path("fixtures/dcp")
    static let hf = Repository.path("fixtures/hf")

    static func expected(_ dir: String) throws -> StateDict {
        let text = try String(contentsOfFile: dir + "/expected.json", encoding: .utf8)
        return try JSON.parse(text).dictValue!
    }

    /// Every leaf under its dotted name, as the fixture script's `flatten` names them: dicts
    /// and lists are walked into, except a list or tuple of scalars, which is one value.
    static func flatten(_ v: StateValue, _ prefix: String = "", into out: inout [String: StateValue]) {
        func name(_ k: String) -> String { prefix.isEmpty ? k : prefix + "." + k }
        switch v {
        case .dict(let d):
            for (k, x) in d { flatten(x, name(k), into: &out) }
        case .list(let items), .tuple(let items):
            let scalars = items.allSatisfy { if case .tensor = $0 { false } else { $0.dictValue == nil && $0.arrayValue == nil } }
            if scalars { out[prefix] = .list(items) } else {
                for (i, x) in items.enumerated() { flatten(x, name(String(i)), into: &out) }
            }
        default:
            out[prefix] = v
        }
    }

    /// The 16-hex-digit XXH64 of a tensor's bytes (PyTorch's contiguous little-endian bytes).
    static func xxh64(_ t: TensorData) -> String {
        let h = t.withUnsafeBytes { Checksum.xxh64($0) }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Mismatches between `leaves` (ckpt's) and `reference` (expected.json's `leaves`).
    static func mismatches(_ leaves: [String: StateValue], _ reference: StateDict) -> [String] {
        var out: [String] = []
        for (name, ref) in reference {
            guard let mine = leaves[name] else { out.append("\(name): missing"); continue }
            let r = ref.dictValue!
            if let t = r["tensor"]?.dictValue {
                guard case .tensor(let m) = mine else { out.append("\(name): not a tensor"); continue }
                let shape = t["shape"]!.arrayValue!.map { Int($0.intValue!) }
                if m.dtype.rawValue != t["dtype"]!.stringValue! || m.shape != shape || xxh64(m) != t["xxh64"]!.stringValue! {
                    out.append("\(name): \(m.dtype) \(m.shape) \(xxh64(m)) vs \(t)")
                }
            } else {
                let value = r["value"]!
                if !same(mine, value) { out.append("\(name): \(mine) vs \(value)") }
            }
        }
        if leaves.count != reference.count { out.append("\(leaves.count) leaves vs \(reference.count)") }
        return out
    }

    /// JSON's numbers against ckpt's values: an int equals an int, a float a float (JSON keeps
    /// 1.0 a float), lists item by item.
    static func same(_ a: StateValue, _ json: StateValue) -> Bool {
        switch (a, json) {
        case (.list(let x), .list(let y)), (.tuple(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.double(let x), .double(let y)): return x == y
        case (.double(let x), .int(let y)): return x == Double(y)
        default: return a == json
        }
    }
}
