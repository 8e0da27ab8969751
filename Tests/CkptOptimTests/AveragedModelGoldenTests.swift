import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptOptim

/// `AveragedModel` (SWA and EMA) against torch.optim.swa_utils' own numbers
/// (fixtures/averaging/AveragedModel.json, from fixtures/make_averaging_fixtures.py): the
/// state dict's keys in order, `n_averaged` as a 0-d int64 tensor, and every averaged
/// parameter bit for bit after each `update_parameters`; a resume from any point continues
/// bit for bit.
@Suite struct AveragedModelGoldenTests {
    struct Case: CustomStringConvertible {
        var doc: StateDict
        var description: String { doc["name"]!.stringValue! }
        var names: [String] { doc["names"]!.arrayValue!.map { $0.stringValue! } }
        var shapes: [[Int]] { doc["shapes"]!.arrayValue!.map { $0.arrayValue!.map { Int($0.intValue!) } } }
        var strategy: AveragingStrategy {
            let a = doc["averaging"]!.dictValue!
            if a["type"]!.stringValue! == "swa" { return .swa }
            return .ema(decay: a["decay"]!.doubleValue!)
        }
        /// The model's parameters before update k.
        func inputs(_ k: Int) -> [Parameter] {
            let row = doc["inputs"]!.arrayValue![k].arrayValue!
            return zip(zip(names, shapes), row).map { ns, b in
                Parameter(name: ns.0, value: Tensor(shape: ns.1, storage: OptimFixture.floats(b.stringValue!)))
            }
        }
        var updates: Int { doc["inputs"]!.arrayValue!.count }
        func state(_ k: Int) -> StateDict { doc["states"]!.arrayValue![k].dictValue! }
    }

    static let file: StateDict = {
        let url = URL(fileURLWithPath: Repository.path("fixtures/averaging/AveragedModel.json"))
        let text = try! String(contentsOf: url, encoding: .utf8)
        return try! JSON.parse(text).dictValue!
    }()
    static let cases: [Case] = file["cases"]!.arrayValue!.map { Case(doc: $0.dictValue!) }

    static func check(_ m: AveragedModel, against want: StateDict, _ where_: String) {
        let sd = m.stateDict()
        #expect(Array(sd.keys) == want["keys"]!.arrayValue!.map { $0.stringValue! }, "keys \(where_)")
        let n = sd["n_averaged"]!.tensorValue!
        #expect(n.dtype == .int64 && n.shape == [] && n.storage == .int64([want["n_averaged"]!.intValue!]), "n_averaged \(where_)")
        for (i, b) in want["module"]!.arrayValue!.enumerated() {
            let wantBits = OptimFixture.floats(b.stringValue!).map(\.bitPattern)
            let got = m.values[i].storage.map(\.bitPattern)
            if got != wantBits {
                let bad = zip(got, wantBits).filter { $0 != $1 }.count
                Issue.record("\(where_): \(m.names[i]): \(bad) of \(got.count) elements differ from torch")
            }
        }
    }

    @Test func everyStrategyHasCases() {
        #expect(Self.cases.count >= 6)
        #expect(Self.cases.contains { $0.strategy == .swa })
    }

    /// One thread, then the C kernels split into 16-element chunks (tensors of 60, 35 and 50
    /// elements: chunk edges inside 8-lane vectors, scalar tails mid-tensor) on 2 and 3 threads,
    /// FMA-targeted and portable loops: every variant gives torch's bits.
    @Test(arguments: cases, [(1, KernelSplit.chunkElements, false), (2, 16, false), (3, 16, true), (2, 32, true)])
    func averagesMatchTorch(_ c: Case, variant: (threads: Int, chunk: Int, portable: Bool)) throws {
        let m = AveragedModel(parameters: c.inputs(0), strategy: c.strategy)
        m.threads = variant.threads
        m.splitChunk = variant.chunk
        m.portableKernels = variant.portable
        #expect(m.nAveraged == 0)
        for k in 0..<c.updates {
            try m.update(from: c.inputs(k))
            Self.check(m, against: c.state(k), "\(c) \(variant) after update \(k + 1)")
        }
    }

    /// A tensor of many default-size chunks: 1, 2 and 4 threads give the same bits.
    @Test(arguments: [AveragingStrategy.swa, .ema(decay: 0.999), .ema(decay: 0.2)])
    func threadsGiveTheBitsOfOneThread(_ strategy: AveragingStrategy) throws {
        let n = 3 * KernelSplit.chunkElements + 13
        func params(_ k: Int) -> [Parameter] {
            [Parameter(name: "w", value: Tensor(shape: [n], storage: (0..<n).map { Float(($0 * (7 + k)) % 1009) * 1e-3 - 0.5 }))]
        }
        var results: [[UInt32]] = []
        for threads in [1, 2, 4] {
            let m = AveragedModel(parameters: params(0), strategy: strategy)
            m.threads = threads
            for k in 0..<4 { try m.update(from: params(k)) }
            results.append(m.values[0].storage.map(\.bitPattern))
        }
        #expect(results[1] == results[0] && results[2] == results[0])
    }

    @Test(arguments: cases)
    func resumeContinuesBitForBit(_ c: Case) throws {
        for cut in [1, 2, c.updates / 2, c.updates - 1] {
            let first = AveragedModel(parameters: c.inputs(0), strategy: c.strategy)
            for k in 0..<cut { try first.update(from: c.inputs(k)) }
            let saved = first.stateDict()
            // A fresh averaged model of a model in another state, as a resumed run builds it.
            let resumed = AveragedModel(parameters: c.inputs(c.updates - 1), strategy: c.strategy)
            try resumed.loadStateDict(saved)
            for k in cut..<c.updates { try resumed.update(from: c.inputs(k)) }
            Self.check(resumed, against: c.state(c.updates - 1), "\(c) resumed after \(cut)")
        }
    }

    @Test func decayOutsideUnitIntervalIsTorchsError() throws {
        for e in Self.file["errors"]!.arrayValue! {
            let d = e.dictValue!
            #expect(throws: AveragingError(d["message"]!.stringValue!)) {
                _ = try AveragingStrategy.ema(checkedDecay: d["decay"]!.doubleValue!)
            }
        }
    }

    @Test func loadRefusesWrongShapesAndKeysWithoutChanging() throws {
        let c = Self.cases[0]
        let m = AveragedModel(parameters: c.inputs(0), strategy: .swa)
        try m.update(from: c.inputs(0))
        let before = m.stateDict()
        var bad = before
        bad["module.conv"] = .tensor(TensorData(shape: [2], storage: .float32([1, 2])))
        #expect(throws: StateDictError.self) { try m.loadStateDict(bad) }
        var extra = before
        extra["module.other"] = before["module.conv"]
        #expect(throws: StateDictError.self) { try m.loadStateDict(extra) }
        var noCount = before
        _ = noCount.removeValue(forKey: "n_averaged")
        #expect(throws: StateDictError.self) { try m.loadStateDict(noCount) }
        #expect(m.nAveraged == 1)
        #expect(m.stateDict()["module.conv"]!.tensorValue! == before["module.conv"]!.tensorValue!)
    }
}
