import CkptCore

/// The multiplier function of LambdaLR / MultiplicativeLR: an expression of `epoch` (saved
/// in the state dict, so a run can be rebuilt) or a Swift closure (not saved, as PyTorch
/// saves `None` for a plain function).
public enum LRLambda {
    case expression(LambdaExpression)
    case closure((Int) -> Double)

    public func callAsFunction(_ epoch: Int) throws -> Double {
        switch self {
        case .expression(let e): return try e.evaluate(epoch: epoch)
        case .closure(let f): return f(epoch)
        }
    }

    var sourceValue: StateValue {
        if case .expression(let e) = self { return .string(e.source) }
        return .none
    }
}

/// Shared by LambdaLR and MultiplicativeLR: one lambda per group, and their state keys.
enum LambdaState {
    static func perGroup(_ lambdas: [LRLambda], groups: Int) throws -> [LRLambda] {
        if lambdas.count == 1 { return Array(repeating: lambdas[0], count: groups) }
        guard lambdas.count == groups else { throw SchedulerError("Expected \(groups) lr_lambdas, but got \(lambdas.count)") }
        return lambdas
    }

    /// PyTorch's `lr_lambdas` (None for each plain function), then ckpt's `lr_lambda_expr`:
    /// each group's expression source, or None for a closure.
    static func trailing(_ lambdas: [LRLambda]) -> [(String, StateValue)] {
        [("lr_lambdas", .list(lambdas.map { _ in .none })),
         ("lr_lambda_expr", .list(lambdas.map(\.sourceValue)))]
    }

    static func load(_ r: StateDictReader, into lambdas: inout [LRLambda]) throws {
        guard let v = r.value("lr_lambda_expr") else { return }
        guard let list = v.arrayValue, list.count == lambdas.count else {
            throw r.mismatch("lr_lambda_expr", expected: "a list of \(lambdas.count) expressions", found: v)
        }
        for (i, item) in list.enumerated() {
            switch item {
            case .none: continue
            case .string(let s): lambdas[i] = .expression(try LambdaExpression(s))
            default: throw r.mismatch("lr_lambda_expr", expected: "a list of strings", found: item)
            }
        }
    }
}

/// `LambdaLR(optimizer, lr_lambda)`: `base_lr * lr_lambda(epoch)`, recomputed each step.
public final class LambdaLR: LRScheduler {
    public private(set) var lrLambdas: [LRLambda]

    /// `lrLambdas`: one for every group, or one per group.
    public init(optimizer: Optimizer, lrLambdas: [LRLambda], lastEpoch: Int = -1) throws {
        self.lrLambdas = try LambdaState.perGroup(lrLambdas, groups: optimizer.paramGroups.count)
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "LambdaLR" }

    public override func getLR() throws -> [Double] {
        try zip(lrLambdas, baseLRs).map { f, b in b * (try f(lastEpoch)) }
    }

    public override func trailingState() -> [(String, StateValue)] { LambdaState.trailing(lrLambdas) }

    public override func loadOwnState(_ r: StateDictReader) throws { try LambdaState.load(r, into: &lrLambdas) }
}
