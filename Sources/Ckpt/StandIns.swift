import Foundation

// TEMPORARY stand-ins for pieces other branches deliver (training core, optimizers, schedulers,
// format). Each is the smallest thing that lets the run/resume code be exercised; each is
// deleted as soon as the real piece is on main. Nothing outside Backends.swift uses them.

/// SplitMix64 stand-in for the core's RandomGenerator.
struct StandInRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Float { Float(lo + (hi - lo) * Double(next() >> 11) * 0x1.0p-53) }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

/// MLP stand-in (Linear/ReLU stack + cross-entropy), naive loops.
final class StandInMLP {
    let sizes: [Int]
    var parameters: [Parameter] = []

    init(sizes: [Int], rng: inout StandInRNG) {
        self.sizes = sizes
        for l in 0..<(sizes.count - 1) {
            let bound = 1 / Double(sizes[l]).squareRoot()
            let w = (0..<(sizes[l] * sizes[l + 1])).map { _ in rng.uniform(-bound, bound) }
            let b = (0..<sizes[l + 1]).map { _ in rng.uniform(-bound, bound) }
            parameters.append(Parameter(name: "fc\(l + 1).weight", value: Tensor(shape: [sizes[l + 1], sizes[l]], storage: w)))
            parameters.append(Parameter(name: "fc\(l + 1).bias", value: Tensor(shape: [sizes[l + 1]], storage: b)))
        }
    }

    func forward(_ x: [Float], n: Int) -> [[Float]] {
        var acts = [x]
        for l in 0..<(sizes.count - 1) {
            let (i, o) = (sizes[l], sizes[l + 1])
            let w = parameters[2 * l].value.storage, b = parameters[2 * l + 1].value.storage
            let a = acts.last!
            var y = [Float](repeating: 0, count: n * o)
            for s in 0..<n { for j in 0..<o {
                var acc = b[j]
                for k in 0..<i { acc += a[s * i + k] * w[j * i + k] }
                y[s * o + j] = (l < sizes.count - 2) ? max(acc, 0) : acc
            } }
            acts.append(y)
        }
        return acts
    }

    func lossAndGrad(_ x: [Float], labels: [Int32]) -> (Float, [Float]) {
        let n = labels.count
        let acts = forward(x, n: n)
        let c = sizes.last!
        let logits = acts.last!
        var g = [Float](repeating: 0, count: n * c)
        var loss: Float = 0
        for s in 0..<n {
            let row = logits[(s * c)..<((s + 1) * c)]
            let m = row.max()!
            let sum = row.reduce(Float(0)) { $0 + expf($1 - m) }
            loss += -(logits[s * c + Int(labels[s])] - m - logf(sum))
            for j in 0..<c { g[s * c + j] = (expf(logits[s * c + j] - m) / sum - (j == Int(labels[s]) ? 1 : 0)) / Float(n) }
        }
        var grad = g
        for l in stride(from: sizes.count - 2, through: 0, by: -1) {
            let (i, o) = (sizes[l], sizes[l + 1])
            let a = acts[l]
            let wp = parameters[2 * l], bp = parameters[2 * l + 1]
            var gw = wp.grad?.storage ?? [Float](repeating: 0, count: i * o)
            var gb = bp.grad?.storage ?? [Float](repeating: 0, count: o)
            var gin = [Float](repeating: 0, count: n * i)
            for s in 0..<n { for j in 0..<o {
                let gj = grad[s * o + j]
                gb[j] += gj
                for k in 0..<i { gw[j * i + k] += gj * a[s * i + k]; gin[s * i + k] += gj * wp.value.storage[j * i + k] }
            } }
            wp.grad = Tensor(shape: wp.shape, storage: gw)
            bp.grad = Tensor(shape: bp.shape, storage: gb)
            if l > 0 { for t in 0..<gin.count where acts[l][t] <= 0 { gin[t] = 0 } }
            grad = gin
        }
        return (loss / Float(n), [])
    }
}

/// SGD(momentum) stand-in.
final class StandInSGD: Optimizer {
    override var typeName: String { "SGD" }
    override func step() throws {
        for group in paramGroups {
            let lr = Float(group.lr), mu = Float(group["momentum"]?.doubleValue ?? 0)
            for p in group.params {
                guard let g = p.grad else { continue }
                var d = g.storage
                if mu != 0 {
                    if var buf = state[ObjectIdentifier(p)]?["momentum_buffer"]?.tensorValue.flatMap({ t -> [Float]? in
                        if case .float32(let a) = t.storage { return a } else { return nil } }) {
                        for i in buf.indices { buf[i] = buf[i] * mu + d[i] }
                        d = buf
                    }
                    state[ObjectIdentifier(p), default: [:]]["momentum_buffer"] = .tensor(TensorData(shape: p.shape, storage: .float32(d)))
                }
                for i in d.indices { p.value.storage[i] = p.value.storage[i] - lr * d[i] }
            }
        }
        try super.step()
    }

    func stateDict() -> StateDict {
        var st = StateDict(), groups: [StateValue] = []
        var index = 0
        for group in paramGroups {
            var g = group.options
            var ids: [StateValue] = []
            for p in group.params {
                if let s = state[ObjectIdentifier(p)] { st[String(index)] = .dict(s) }
                ids.append(.int(Int64(index)))
                index += 1
            }
            g["params"] = .list(ids)
            groups.append(.dict(g))
        }
        return ["type": "SGD", "state": .dict(st), "param_groups": .list(groups)]
    }

    func loadStateDict(_ sd: StateDict) throws {
        guard let groups = sd["param_groups"]?.arrayValue, groups.count == paramGroups.count else {
            throw RunError.mismatch("optimizer param_groups")
        }
        state = [:]
        let all = paramGroups.flatMap(\.params)
        for (k, v) in sd["state"]?.dictValue ?? [:] {
            guard let i = Int(k), i < all.count, let d = v.dictValue else { throw RunError.mismatch("optimizer state \(k)") }
            state[ObjectIdentifier(all[i])] = d
        }
        for (gi, g) in groups.enumerated() {
            var opts = g.dictValue ?? [:]
            _ = opts.removeValue(forKey: "params")
            paramGroups[gi].options = opts
        }
    }
}

/// ExponentialLR stand-in.
final class StandInExponentialLR {
    let optimizer: Optimizer
    var gamma: Double
    var baseLrs: [Double]
    var lastEpoch = 0
    var stepCount = 1
    var lastLr: [Double]

    init(optimizer: Optimizer, gamma: Double) {
        self.optimizer = optimizer
        self.gamma = gamma
        for i in optimizer.paramGroups.indices where optimizer.paramGroups[i]["initial_lr"] == nil {
            optimizer.paramGroups[i]["initial_lr"] = .double(optimizer.paramGroups[i].lr)
        }
        baseLrs = optimizer.paramGroups.map { $0["initial_lr"]!.doubleValue! }
        lastLr = optimizer.paramGroups.map(\.lr)
    }

    func step() {
        stepCount += 1
        lastEpoch += 1
        for i in optimizer.paramGroups.indices { optimizer.paramGroups[i].lr = optimizer.paramGroups[i].lr * gamma }
        lastLr = optimizer.paramGroups.map(\.lr)
    }

    func stateDict() -> StateDict {
        ["type": "ExponentialLR", "gamma": .double(gamma), "base_lrs": .list(baseLrs.map { .double($0) }),
         "last_epoch": .int(Int64(lastEpoch)), "_step_count": .int(Int64(stepCount)), "_is_initial": false,
         "_get_lr_called_within_step": false, "_last_lr": .list(lastLr.map { .double($0) })]
    }

    func loadStateDict(_ sd: StateDict) throws {
        guard sd["type"]?.stringValue == "ExponentialLR" else { throw RunError.mismatch("scheduler type") }
        gamma = sd["gamma"]?.doubleValue ?? gamma
        lastEpoch = Int(sd["last_epoch"]?.intValue ?? 0)
        stepCount = Int(sd["_step_count"]?.intValue ?? 0)
        baseLrs = sd["base_lrs"]?.arrayValue?.compactMap(\.doubleValue) ?? baseLrs
        lastLr = sd["_last_lr"]?.arrayValue?.compactMap(\.doubleValue) ?? lastLr
    }
}

/// Checkpoint file stand-in: JSON text (tensors as dtype/shape/data objects).
enum StandInCheckpointFile {
    static func save(_ c: Checkpoint, to path: String) throws {
        var root: StateDict = ["metadata": .dict(c.metadata), "model": .dict(c.model)]
        root["metadata"] = .dict(c.metadata.merging(["format": "ckpt", "format_version": 1, "created_by": .string("ckpt \(ckptVersion)")]))
        if let o = c.optimizer { root["optimizer"] = .dict(o) }
        if let s = c.scheduler { root["scheduler"] = .dict(s) }
        if let p = c.progress { root["progress"] = .dict(p) }
        if let r = c.rng { root["rng"] = .dict(r) }
        try JSON.string(.dict(root)).write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func load(_ path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8),
              let v = try? JSON.parse(text), let root = fix(v).dictValue, let model = root["model"]?.dictValue
        else { throw RunError.file(path, "not a ckpt checkpoint") }
        return Checkpoint(metadata: root["metadata"]?.dictValue ?? [:], model: model, optimizer: root["optimizer"]?.dictValue,
                          scheduler: root["scheduler"]?.dictValue, progress: root["progress"]?.dictValue, rng: root["rng"]?.dictValue)
    }

    static func fix(_ v: StateValue) -> StateValue {
        switch v {
        case .list(let a): return .list(a.map(fix))
        case .dict(let d):
            if d.keys == ["dtype", "shape", "data"], let dt = d["dtype"]?.stringValue.flatMap(DType.init(rawValue:)),
               let shape = d["shape"]?.arrayValue?.compactMap(\.intValue).map({ Int($0) }), let data = d["data"]?.arrayValue {
                let storage: TensorData.Storage
                switch dt {
                case .float32: storage = .float32(data.map { Float($0.doubleValue!) })
                case .float64: storage = .float64(data.map { $0.doubleValue! })
                case .int64: storage = .int64(data.map { $0.intValue! })
                default: storage = .int64(data.map { $0.intValue! })
                }
                return .tensor(TensorData(shape: shape, storage: storage))
            }
            var out = StateDict()
            for (k, x) in d { out[k] = fix(x) }
            return .dict(out)
        default: return v
        }
    }
}

extension StateDict {
    func merging(_ other: StateDict) -> StateDict {
        var out = self
        for (k, v) in other where out[k] == nil { out[k] = v }
        return out
    }
}
