import CkptCore
import CkptTestSupport
import Foundation
@testable import CkptOptim

/// Reads `fixtures/optim/<Optimizer>.json` written by `fixtures/make_optim_fixtures.py`
/// (PyTorch on CPU) and recomputes its inputs (the same integer hash as the script).
enum OptimFixture {
    static let directory = URL(fileURLWithPath: Repository.path("fixtures/optim"))

    struct File {
        var meta: StateDict
        var cases: [StateDict]
    }

    static func load(_ optimizer: String) throws -> File {
        let text = try String(contentsOf: directory.appendingPathComponent("\(optimizer).json"), encoding: .utf8)
        guard case .dict(let root) = try JSON.parse(text), case .list(let cases)? = root["cases"] else {
            throw FixtureError("\(optimizer).json: no cases")
        }
        return File(meta: root, cases: cases.map { decode($0).dictValue! })
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Undoes the script's `encode`: `__tensor__`, `__tuple__` and `__dict__` (ordered pairs).
    static func decode(_ v: StateValue) -> StateValue {
        switch v {
        case .dict(let d):
            if case .string? = d["__tensor__"] {
                let shape = d["shape"]!.arrayValue!.map { Int($0.intValue!) }
                return .tensor(TensorData(shape: shape, storage: .float32(floats(d["data"]!.stringValue!))))
            }
            if let t = d["__tuple__"] { return .tuple(t.arrayValue!.map(decode)) }
            if let pairs = d["__dict__"]?.arrayValue {
                return .dict(StateDict(pairs.map { p in
                    let a = p.arrayValue!
                    return (a[0].stringValue!, decode(a[1]))
                }))
            }
            var out = StateDict()
            for (k, x) in d { out[k] = decode(x) }
            return .dict(out)
        case .list(let a): return .list(a.map(decode))
        default: return v
        }
    }

    static func floats(_ base64: String) -> [Float] {
        let data = Data(base64Encoded: base64)!
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// `hash_values` of the script: n floats in [-1, 1), exact multiples of 2^-23.
    static func hashValues(seed: Int, param: Int, step: Int, count: Int) -> [Float] {
        (0..<count).map { i in
            var h = (UInt32(seed) &* 0x9E37_79B1) ^ (UInt32(param) &* 0x85EB_CA77)
                ^ (UInt32(step) &* 0xC2B2_AE3D) ^ (UInt32(i) &* 0x27D4_EB2F)
            h ^= h >> 15; h = h &* 0x2C1B_3C6D
            h ^= h >> 12; h = h &* 0x297A_2D39
            h ^= h >> 15
            return Float(h >> 8) * 0x1p-23 - 1
        }
    }

    /// The script's `grad_kind`.
    static func gradKind(param: Int, step: Int) -> String {
        if param == 1 && (step == 0 || step == 7) { return "none" }
        if param == 2 && step == 3 { return "zero" }
        if param == 2 && (step == 10 || step == 11) { return "none" }
        return "value"
    }

    /// The case's parameters (initial values) and the optimizer PyTorch built for it.
    static func build(_ file: File, _ c: StateDict) throws -> ([Parameter], Optimizer) {
        let shapes = file.meta["shapes"]!.arrayValue!.map { $0.arrayValue!.map { Int($0.intValue!) } }
        let names = file.meta["param_names"]!.arrayValue!.map { $0.stringValue! }
        let pscale = file.meta["param_scale"]!.arrayValue!.map { Float($0.doubleValue!) }
        let seed = Int(c["seed"]!.intValue!)
        let params = shapes.enumerated().map { i, s in
            Parameter(name: names[i], value: Tensor(shape: s, storage:
                hashValues(seed: seed, param: i, step: 1000, count: s.reduce(1, *)).map { $0 * pscale[i] }))
        }
        let type = optimizerTypes[file.meta["optimizer"]!.stringValue!]!
        let kwargs = c["kwargs"]!.dictValue!
        var groups: [ParamGroup] = []
        if case .list(let gs)? = c["groups"], !gs.isEmpty {
            for g in gs {
                var options = g.dictValue!
                let idx = options.removeValue(forKey: "params")!.arrayValue!.map { Int($0.intValue!) }
                groups.append(ParamGroup(params: idx.map { params[$0] }, options: options))
            }
        } else {
            groups = [ParamGroup(params: params, options: [:])]
        }
        return (params, try type.init(groups: groups, options: kwargs))
    }

    /// Sets the gradients of step `step` as the script does.
    static func setGrads(_ file: File, _ c: StateDict, _ params: [Parameter], step: Int) {
        let gscale = file.meta["grad_scale"]!.arrayValue!.map { Float($0.doubleValue!) }
        let seed = Int(c["seed"]!.intValue!)
        for (i, p) in params.enumerated() {
            switch gradKind(param: i, step: step) {
            case "none": p.grad = nil
            case "zero": p.grad = Tensor(shape: p.shape)
            default:
                p.grad = Tensor(shape: p.shape, storage:
                    hashValues(seed: seed, param: i, step: step, count: p.value.count).map { $0 * gscale[i] })
            }
        }
    }
}

/// Distance in units in the last place between two floats (0 when bitwise equal).
func ulpDistance(_ a: Float, _ b: Float) -> Int64 {
    if a.bitPattern == b.bitPattern { return 0 }
    if a.isNaN || b.isNaN { return Int64.max }
    func ordered(_ x: Float) -> Int64 {
        let i = Int64(Int32(bitPattern: x.bitPattern))
        return i < 0 ? Int64(Int32.min) - i : i
    }
    return abs(ordered(a) - ordered(b))
}

func maxUlp(_ a: [Float], _ b: [Float]) -> Int64 {
    guard a.count == b.count else { return Int64.max }
    return zip(a, b).map { ulpDistance($0, $1) }.max() ?? 0
}
