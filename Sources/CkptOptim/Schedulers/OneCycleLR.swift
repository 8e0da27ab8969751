import CkptCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `OneCycleLR(optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
/// pct_start=0.3, anneal_strategy='cos', cycle_momentum=True, base_momentum=0.85,
/// max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False)`: the
/// 1cycle policy, recomputed each step from the group keys `initial_lr`, `max_lr`, `min_lr`
/// (and `max_momentum`, `base_momentum`) it writes at construction. Stepping past
/// `total_steps` throws PyTorch's "Tried to step N times..." error.
public final class OneCycleLR: LRScheduler {
    public enum Anneal: String, Sendable { case cos, linear }

    /// One phase of PyTorch's `_schedule_phases`; `endStep` keeps its Python type (the last
    /// phase's end is the int `total_steps - 1`, the others floats).
    public struct Phase: Equatable, Sendable {
        public var endStep: PyNumber
        public var startLR: String, endLR: String, startMomentum: String, endMomentum: String
    }

    public private(set) var totalSteps: Int
    public private(set) var phases: [Phase]
    public private(set) var anneal: Anneal
    public private(set) var cycleMomentum: Bool
    public private(set) var useBeta1 = false

    public init(optimizer: Optimizer, maxLR: [Double], totalSteps: Int? = nil, epochs: Int? = nil,
                stepsPerEpoch: Int? = nil, pctStart: Double = 0.3, annealStrategy: Anneal = .cos,
                cycleMomentum: Bool = true, baseMomentum: [Double] = [0.85], maxMomentum: [Double] = [0.95],
                divFactor: Double = 25.0, finalDivFactor: Double = 1e4, threePhase: Bool = false,
                lastEpoch: Int = -1) throws {
        if let totalSteps {
            guard totalSteps > 0 else { throw SchedulerError("Expected positive integer total_steps, but got \(totalSteps)") }
            self.totalSteps = totalSteps
        } else if let epochs, let stepsPerEpoch {
            guard epochs > 0 else { throw SchedulerError("Expected positive integer epochs, but got \(epochs)") }
            guard stepsPerEpoch > 0 else { throw SchedulerError("Expected positive integer steps_per_epoch, but got \(stepsPerEpoch)") }
            self.totalSteps = epochs * stepsPerEpoch
        } else {
            throw SchedulerError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        }
        let t = Double(self.totalSteps)
        let last = PyNumber(int: Int64(self.totalSteps - 1))
        if threePhase {
            phases = [
                Phase(endStep: PyNumber(pctStart * t - 1), startLR: "initial_lr", endLR: "max_lr",
                      startMomentum: "max_momentum", endMomentum: "base_momentum"),
                Phase(endStep: PyNumber(2 * pctStart * t - 2), startLR: "max_lr", endLR: "initial_lr",
                      startMomentum: "base_momentum", endMomentum: "max_momentum"),
                Phase(endStep: last, startLR: "initial_lr", endLR: "min_lr",
                      startMomentum: "max_momentum", endMomentum: "max_momentum"),
            ]
        } else {
            phases = [
                Phase(endStep: PyNumber(pctStart * t - 1), startLR: "initial_lr", endLR: "max_lr",
                      startMomentum: "max_momentum", endMomentum: "base_momentum"),
                Phase(endStep: last, startLR: "max_lr", endLR: "min_lr",
                      startMomentum: "base_momentum", endMomentum: "max_momentum"),
            ]
        }
        guard pctStart >= 0 && pctStart <= 1 else {
            throw SchedulerError("Expected float between 0 and 1 pct_start, but got \(pctStart)")
        }
        anneal = annealStrategy
        let n = optimizer.paramGroups.count
        let maxLRs = try formatParam("max_lr", maxLR, groups: n)
        if lastEpoch == -1 {
            for i in 0..<n {
                let initial = maxLRs[i] / divFactor
                optimizer.paramGroups[i]["initial_lr"] = .double(initial)
                optimizer.paramGroups[i]["max_lr"] = .double(maxLRs[i])
                optimizer.paramGroups[i]["min_lr"] = .double(initial / finalDivFactor)
            }
        }
        self.cycleMomentum = cycleMomentum
        if cycleMomentum {
            useBeta1 = try MomentumKey.usesBeta1(optimizer, scheduler: "OneCycleLR")
            let maxM = try formatParam("max_momentum", maxMomentum, groups: n)
            let baseM = try formatParam("base_momentum", baseMomentum, groups: n)
            if lastEpoch == -1 { MomentumKey.start(optimizer, max: maxM, base: baseM, beta1: useBeta1) }
        }
        try super.init(optimizer: optimizer, lastEpoch: lastEpoch)
    }

    public override var typeName: String { "OneCycleLR" }

    func annealed(_ start: Double, _ end: Double, _ pct: Double) -> Double {
        switch anneal {
        case .cos:
            let cosOut = cos(Double.pi * pct) + 1
            return end + (start - end) / 2.0 * cosOut
        case .linear:
            return (end - start) * pct + start
        }
    }

    public override func getLR() throws -> [Double] {
        let stepNum = lastEpoch
        if stepNum > totalSteps {
            throw SchedulerError("Tried to step \(stepNum) times. The specified number of total steps is \(totalSteps)")
        }
        var lrs: [Double] = []
        for g in optimizer.paramGroups.indices {
            let group = optimizer.paramGroups[g]
            var startStep = 0.0
            var lr = 0.0, momentum = 0.0
            for (i, phase) in phases.enumerated() {
                let endStep = phase.endStep.value
                if Double(stepNum) <= endStep || i == phases.count - 1 {
                    let pct = (Double(stepNum) - startStep) / (endStep - startStep)
                    lr = annealed(try group.number(phase.startLR), try group.number(phase.endLR), pct)
                    if cycleMomentum {
                        momentum = annealed(try group.number(phase.startMomentum), try group.number(phase.endMomentum), pct)
                    }
                    break
                }
                startStep = endStep
            }
            lrs.append(lr)
            if cycleMomentum {
                MomentumKey.write(momentum, into: &optimizer.paramGroups[g], beta1: useBeta1)
            }
        }
        return lrs
    }

    public override func ownState() -> [(String, StateValue)] {
        let phaseList: [StateValue] = phases.map { p in
            .dict(["end_step": p.endStep.stateValue, "start_lr": .string(p.startLR), "end_lr": .string(p.endLR),
                   "start_momentum": .string(p.startMomentum), "end_momentum": .string(p.endMomentum)])
        }
        var s: [(String, StateValue)] = [
            ("total_steps", .int(Int64(totalSteps))),
            ("_schedule_phases", .list(phaseList)),
            ("_anneal_func_type", .string(anneal.rawValue)),
            ("cycle_momentum", .bool(cycleMomentum)),
        ]
        if cycleMomentum { s.append(("use_beta1", .bool(useBeta1))) }
        return s
    }

    public override func loadOwnState(_ r: StateDictReader) throws {
        if let v = try r.int("total_steps") { totalSteps = v }
        if let v = r.value("_schedule_phases") {
            guard let list = v.arrayValue else { throw r.mismatch("_schedule_phases", expected: "a list", found: v) }
            phases = try list.map { item in
                guard let d = item.dictValue, let end = d["end_step"].flatMap(PyNumber.init),
                      let sl = d["start_lr"]?.stringValue, let el = d["end_lr"]?.stringValue,
                      let sm = d["start_momentum"]?.stringValue, let em = d["end_momentum"]?.stringValue
                else { throw r.mismatch("_schedule_phases", expected: "a list of phase dicts", found: item) }
                return Phase(endStep: end, startLR: sl, endLR: el, startMomentum: sm, endMomentum: em)
            }
        }
        if let v = try r.string("_anneal_func_type") {
            guard let a = Anneal(rawValue: v) else { throw SchedulerError("OneCycleLR state '_anneal_func_type': unknown '\(v)'") }
            anneal = a
        }
        if let v = try r.bool("cycle_momentum") { cycleMomentum = v }
        if let v = try r.bool("use_beta1") { useBeta1 = v }
    }
}
