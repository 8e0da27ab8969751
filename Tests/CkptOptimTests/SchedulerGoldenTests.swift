import CkptCore
import Foundation
import Testing
@testable import CkptOptim

/// Every scheduler against torch 2.15's own numbers (fixtures/schedulers/*.json): each
/// group's lr (and cycled momentum) bit for bit at every step, and the state dict's keys,
/// order, Python types and values at several points.
@Suite struct SchedulerGoldenTests {
    @Test func everySchedulerHasFixtures() {
        let kinds = Set(SchedulerFixtures.all.map(\.kind))
        #expect(kinds == Set(SchedulerFixtures.kinds))
        #expect(SchedulerFixtures.all.allSatisfy { $0.steps >= 250 })
    }

    @Test(arguments: SchedulerFixtures.all)
    func lrSequenceMatchesTorch(_ c: SchedulerFixtures.Case) throws {
        let optimizer = c.makeOptimizer()
        let (s, _) = try makeScheduler(config: c.config, optimizer: optimizer)
        let want = c.lr
        let wantMomentum = c.momentum
        let metrics = c.metrics
        let states = Dictionary(uniqueKeysWithValues: c.states)
        #expect(bits(optimizer.paramGroups.map(\.lr)) == bits(want[0]), "row 0")
        if let wm = wantMomentum { #expect(bits(momentumRow(optimizer)) == bits(wm[0])) }
        if let sd = states[0] { #expect(torchShaped(.dict(s.stateDict())).bitwiseEqual(.dict(sd)), "state 0") }
        var mismatches = 0
        for k in 1...c.steps {
            try stepBoth(s, optimizer, metric: metrics?[k - 1])
            let got = optimizer.paramGroups.map(\.lr)
            if bits(got) != bits(want[k]) {
                mismatches += 1
                if mismatches <= 3 { Issue.record("step \(k): lr \(got) != torch \(want[k])") }
            }
            #expect(bits(s.getLastLR()) == bits(want[k]))
            if let wm = wantMomentum, bits(momentumRow(optimizer)) != bits(wm[k]) {
                mismatches += 1
                if mismatches <= 3 { Issue.record("step \(k): momentum \(momentumRow(optimizer)) != torch \(wm[k])") }
            }
            if let sd = states[k] {
                let ours = torchShaped(.dict(s.stateDict()))
                #expect(ours.dictValue?.keys == sd.keys, "state keys at step \(k)")
                #expect(ours.bitwiseEqual(.dict(sd)), "state at step \(k): \(JSON.string(ours)) vs \(JSON.string(.dict(sd)))")
            }
        }
        #expect(mismatches == 0)
        if let e = c.error {
            #expect(e.step == c.steps + 1)
            #expect(throws: SchedulerError(e.message)) { try stepBoth(s, optimizer, metric: nil) }
        }
    }

    /// PyTorch's documented resume order: build the optimizer, build the scheduler, restore
    /// the optimizer's groups, load the scheduler state; then continue. The state passes
    /// through JSON text, as a checkpoint would carry it.
    @Test(arguments: SchedulerFixtures.all)
    func resumeReproducesSequence(_ c: SchedulerFixtures.Case) throws {
        let metrics = c.metrics
        let optimizer = c.makeOptimizer()
        let (s, _) = try makeScheduler(config: c.config, optimizer: optimizer)
        var saved: [Int: (groups: [StateDict], state: String)] = [:]
        var lrs = [optimizer.paramGroups.map(\.lr)]
        var moms = [momentumRow(optimizer)]
        let savePoints: Set<Int> = [0, 1, 2, 17, c.steps / 2, c.steps - 1]
        for k in 0...c.steps {
            if k > 0 {
                try stepBoth(s, optimizer, metric: metrics?[k - 1])
                lrs.append(optimizer.paramGroups.map(\.lr))
                moms.append(momentumRow(optimizer))
            }
            if savePoints.contains(k) {
                saved[k] = (optimizer.paramGroups.map(\.options), JSON.string(.dict(s.stateDict())))
            }
        }
        for (k, snap) in saved.sorted(by: { $0.key < $1.key }) {
            let opt2 = c.makeOptimizer()
            let (s2, _) = try makeScheduler(config: c.config, optimizer: opt2)
            for i in opt2.paramGroups.indices { opt2.paramGroups[i].options = snap.groups[i] }
            opt2.stepCalls = k
            let before = opt2.paramGroups.map(\.lr)
            guard case .dict(let state) = try JSON.parse(snap.state) else { Issue.record("state not a dict"); continue }
            try s2.loadStateDict(state)
            #expect(bits(opt2.paramGroups.map(\.lr)) == bits(before), "loading changed an lr")
            // In its JSON form: JSON has no int keys (MultiStepLR's Counter), the snapshot went through it.
            #expect(JSON.string(.dict(s2.stateDict())) == snap.state, "state after load at \(k)")
            for j in (k + 1)...c.steps {
                try stepBoth(s2, opt2, metric: metrics?[j - 1])
                if bits(opt2.paramGroups.map(\.lr)) != bits(lrs[j]) || bits(momentumRow(opt2)) != bits(moms[j]) {
                    Issue.record("resumed at \(k): step \(j) lr \(opt2.paramGroups.map(\.lr)) != \(lrs[j])")
                    break
                }
            }
        }
    }
}

/// The same golden sequences with the real optimizers (`makeScheduleOptimizer`), whose
/// `defaults` decide between `momentum` and `betas[0]` as PyTorch's do, and whose `step()`
/// the schedulers follow.
@Suite struct SchedulerRealOptimizerTests {
    @Test(arguments: SchedulerFixtures.all)
    func lrSequenceMatchesTorch(_ c: SchedulerFixtures.Case) throws {
        // AdamW's config refuses the key its groups hold (it always decouples).
        let groups: [StateValue] = c.groups.map { g in
            var g = g
            if c.doc["optimizer_type"] == "AdamW" { _ = g.removeValue(forKey: "decoupled_weight_decay") }
            return .dict(g)
        }
        let optimizer = try makeScheduleOptimizer(config: [
            "type": c.doc["optimizer_type"]!, "param_groups": .list(groups),
        ])
        let (s, _) = try makeScheduler(config: c.config, optimizer: optimizer)
        let want = c.lr, wantMomentum = c.momentum, metrics = c.metrics
        for k in 0...c.steps {
            if k > 0 { try stepBoth(s, optimizer, metric: metrics?[k - 1]) }
            guard bits(optimizer.paramGroups.map(\.lr)) == bits(want[k]),
                  wantMomentum.map({ bits(momentumRow(optimizer)) == bits($0[k]) }) ?? true
            else {
                Issue.record("step \(k): lr \(optimizer.paramGroups.map(\.lr)) != torch \(want[k])")
                return
            }
        }
    }
}
