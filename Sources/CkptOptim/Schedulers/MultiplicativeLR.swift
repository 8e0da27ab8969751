import CkptCore

/// `MultiplicativeLR(optimizer, lr_lambda)`: chainable `group['lr'] * lr_lambda(epoch)`,
/// except in the constructor's step.
public final class MultiplicativeLR: LRScheduler {
    public private(set) var lrLambdas: [LRLambda]

    public init(optimizer: Optimizer, lrLambdas: [LRLambda], lastEpoch: Int = -1) throws {
        self.lrLambdas = try LambdaState.perGroup(lrLambdas, groups: optimizer.paramGroups.count)
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "MultiplicativeLR" }

    public override func getLR() throws -> [Double] {
        if isInitial { return groupLRs }
        return try zip(lrLambdas, groupLRs).map { f, lr in lr * (try f(lastEpoch)) }
    }

    public override func trailingState() -> [(String, StateValue)] { LambdaState.trailing(lrLambdas) }

    public override func loadOwnState(_ r: StateDictReader) throws { try LambdaState.load(r, into: &lrLambdas) }
}
