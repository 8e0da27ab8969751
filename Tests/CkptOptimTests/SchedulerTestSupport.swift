import CkptCore
import CkptTestSupport
import Foundation
@testable import CkptOptim

/// Reads the golden files written by `fixtures/make_scheduler_fixtures.py` (torch 2.15).
enum SchedulerFixtures {
    static let directory = URL(fileURLWithPath: Repository.path("fixtures/schedulers"))

    static func load(_ name: String) throws -> StateDict {
        let text = try String(contentsOf: directory.appendingPathComponent(name + ".json"), encoding: .utf8)
        guard case .dict(let d) = try JSON.parse(text) else { throw SchedulerError("\(name).json: not an object") }
        return d
    }

    struct Case: CustomStringConvertible {
        var kind: String
        var name: String
        var doc: StateDict
        var description: String { "\(kind)/\(name)" }

        var groups: [StateDict] { doc["groups"]!.arrayValue!.map { $0.dictValue! } }
        var config: StateDict { doc["scheduler"]!.dictValue! }
        var steps: Int { Int(doc["steps"]!.intValue!) }
        var lr: [[Double]] { doc["lr"]!.arrayValue!.map { $0.arrayValue!.map { $0.doubleValue! } } }
        var momentum: [[Double]]? { doc["momentum"]?.arrayValue?.map { $0.arrayValue!.map { $0.doubleValue! } } }
        var metrics: [Double]? { doc["metrics"]?.arrayValue?.map { $0.doubleValue! } }
        var states: [(Int, StateDict)] {
            doc["states"]!.dictValue!.map { (Int($0.key)!, $0.value.dictValue!) }.sorted { $0.0 < $1.0 }
        }
        var error: (step: Int, message: String)? {
            guard let e = doc["error"]?.dictValue else { return nil }
            return (Int(e["step"]!.intValue!), e["message"]!.stringValue!)
        }

        /// A fresh optimizer whose groups hold torch's options (betas as a tuple, as PyTorch).
        func makeOptimizer() -> Optimizer {
            Optimizer(paramGroups: groups.map { g in
                var options = g
                if let b = options["betas"]?.arrayValue { options["betas"] = .tuple(b) }
                return ParamGroup(params: [], options: options)
            })
        }
    }

    static let kinds = [
        "StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
        "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR", "ReduceLROnPlateau",
        "LambdaLR", "MultiplicativeLR", "SequentialLR", "ChainedScheduler", "SWALR",
    ]

    static let all: [Case] = {
        var out: [Case] = []
        for kind in kinds {
            guard let doc = try? load(kind) else { continue }
            for c in doc["cases"]!.arrayValue! {
                let d = c.dictValue!
                out.append(Case(kind: kind, name: d["name"]!.stringValue!, doc: d))
            }
        }
        return out
    }()
}

/// The momentum each group cycles: `betas[0]` or `momentum`.
func momentumRow(_ optimizer: Optimizer) -> [Double] {
    optimizer.paramGroups.map { g in
        if let b = g["betas"]?.arrayValue { return b[0].doubleValue! }
        return g["momentum"]!.doubleValue!
    }
}

/// Our state dict in the shape `json.dumps(torch_state_dict)` has: no `"type"` keys, no
/// ckpt-only keys, tuples as lists.
func torchShaped(_ v: StateValue) -> StateValue {
    switch v {
    case .dict(let d):
        var out = StateDict()
        for (k, x) in d where k != "type" && k != "lr_lambda_expr" { out[k] = torchShaped(x) }
        return .dict(out)
    case .list(let a), .tuple(let a): return .list(a.map(torchShaped))
    default: return v
    }
}

func bits(_ a: [Double]) -> [UInt64] { a.map(\.bitPattern) }

/// Steps like a training loop: optimizer step, then scheduler step (with the case's metric).
func stepBoth(_ s: LRScheduler, _ optimizer: Optimizer, metric: Double?) throws {
    try optimizer.step()
    try s.step(metrics: metric)
}
