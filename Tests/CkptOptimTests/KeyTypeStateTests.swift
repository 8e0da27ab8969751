import CkptCore
import Testing
@testable import CkptOptim

/// The state dicts PyTorch keys by int keep those keys as ints: an optimizer's `state`
/// (parameter indices) and MultiStepLR's `milestones` (a `Counter`, as PyTorch's
/// `MultiStepLR.__init__` builds it). Loading also accepts the decimal-string keys of files
/// written before key types were recorded, and refuses keys that are no ints.
@Suite struct KeyTypeStateTests {
    func sgd() -> Optimizer {
        Optimizer(paramGroups: [ParamGroup(params: [], options: ["lr": 0.1, "momentum": 0])])
    }

    @Test func multiStepLRSavesItsMilestonesAsACounter() throws {
        let s = try MultiStepLR(optimizer: sgd(), milestones: [80, 30, 80, 150], gamma: PyNumber(0.5))
        let m = try #require(s.stateDict()["milestones"]?.dictValue)
        #expect(m.pythonClass == .counter && m.keyKind == .int)
        #expect(m.intKeys == [80, 30, 150])                      // first-occurrence order, as a Counter
        #expect(m[int: 80] == .int(2) && m[int: 30] == .int(1))
    }

    /// Steps a fresh MultiStepLR (milestones [2, 2, 5]) to epoch 3, loads `milestones` into
    /// another, and returns the lrs of its next four steps.
    func lrsAfterLoading(_ milestones: StateValue) throws -> [Double] {
        let opt = sgd()
        let saved = try MultiStepLR(optimizer: opt, milestones: [2, 2, 5], gamma: PyNumber(0.5))
        for _ in 0..<3 { try opt.step(); try saved.step() }
        var sd = saved.stateDict()
        sd["milestones"] = milestones
        let opt2 = sgd()
        let resumed = try MultiStepLR(optimizer: opt2, milestones: [], gamma: PyNumber(0.5))
        try opt2.loadStateDict(opt.stateDict())
        try resumed.loadStateDict(sd)
        var lrs: [Double] = []
        for _ in 0..<4 { try opt2.step(); try resumed.step(); lrs.append(opt2.paramGroups[0].lr) }
        return lrs
    }

    @Test func loadingTheCounterOrLegacyStringKeysGivesTheSameSchedule() throws {
        let counter = StateValue.dict(StateDict(intKeys: [(2, 2), (5, 1)], pythonClass: .counter))
        let legacy = StateValue.dict(["2": 2, "5": 1])
        #expect(try lrsAfterLoading(counter) == [0.025, 0.0125, 0.0125, 0.0125])
        #expect(try lrsAfterLoading(legacy) == lrsAfterLoading(counter))
    }

    @Test func milestonesThatAreNoIntsAreRefused() throws {
        #expect(throws: StateDictError.self) { try lrsAfterLoading(.dict(["two": 1])) }
        #expect(throws: StateDictError.self) { try lrsAfterLoading(.dict(["02": 1])) }
        #expect(throws: StateDictError.self) { try lrsAfterLoading(.dict(StateDict(intKeys: [(2, 1.5)]))) }
        #expect(throws: StateDictError.self) { try lrsAfterLoading(.list([2, 2, 5])) }
    }

    @Test func optimizerStateHasIntKeysAndLoadsEitherKind() throws {
        let p = Parameter(name: "w", value: Tensor(shape: [2], storage: [1, 2]))
        let opt = try Adam([p], lr: 0.01)
        p.grad = Tensor(shape: [2], storage: [0.5, -0.5])
        try opt.step()
        let sd = opt.stateDict()
        let state = try #require(sd["state"]?.dictValue)
        #expect(state.keyKind == .int && state.intKeys == [0])
        #expect(Optimizer(paramGroups: []).stateDict()["state"]?.dictValue?.keyKind == .int)  // empty, still int-keyed

        var legacy = sd
        var strings = StateDict()
        for (k, v) in state { strings[k] = v }
        legacy["state"] = .dict(strings)
        let q = Parameter(name: "w", value: Tensor(shape: [2], storage: [1, 2]))
        let other = try Adam([q], lr: 0.01)
        try other.loadStateDict(legacy)
        #expect(other.stateDict().bitwiseEqual(sd))
    }
}
