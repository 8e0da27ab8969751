import CkptCore
import Testing
@testable import CkptOptim

/// Resuming without scheduler state, through the constructor's `last_epoch` (the
/// reference's recipe C): restore the optimizer's groups, build with `last_epoch = k - 1`,
/// continue. torch 2.15's sequence (fixtures/schedulers/resume_last_epoch.json), bit for bit,
/// including CosineAnnealingWarmRestarts, which this recipe does not restore exactly.
@Suite struct SchedulerLastEpochTests {
    static let cases: [SchedulerFixtures.Case] = {
        guard let doc = try? SchedulerFixtures.load("resume_last_epoch") else { return [] }
        return doc["cases"]!.arrayValue!.map { c in
            let d = c.dictValue!
            return SchedulerFixtures.Case(kind: "last_epoch", name: d["name"]!.stringValue!, doc: d)
        }
    }()

    @Test func fixtureLoaded() { #expect(Self.cases.count >= 30) }

    @Test(arguments: cases)
    func matchesTorch(_ c: SchedulerFixtures.Case) throws {
        let optimizer = c.makeOptimizer()
        let (s, _) = try makeScheduler(config: c.config, optimizer: optimizer)
        let want = c.lr
        #expect(bits(optimizer.paramGroups.map(\.lr)) == bits(want[0]), "after construction")
        for k in 1..<want.count {
            try stepBoth(s, optimizer, metric: nil)
            if bits(optimizer.paramGroups.map(\.lr)) != bits(want[k]) {
                Issue.record("step \(k): \(optimizer.paramGroups.map(\.lr)) != torch \(want[k])")
                return
            }
        }
    }
}
