import CkptCore
import CkptTestSupport
import Foundation
import Testing
@testable import CkptFormat

/// `TorchFile` against files PyTorch's own `torch.save` wrote (`fixtures/make_pt_fixtures.py`):
/// every node of every fixture must be what `torch.load(weights_only=True)` returned
/// (`fixtures/torch/expected.json`): dtypes, shapes, element values and bits, dict classes,
/// int keys, list and tuple lengths, scalars.
@Suite struct TorchFileTests {
    static let directory = Repository.path("fixtures/torch")

    static func expected() throws -> StateDict {
        let text = try String(contentsOfFile: directory + "/expected.json", encoding: .utf8)
        guard case .dict(let d) = try JSON.parse(text) else { throw CheckpointError.missing(file: "expected.json", path: "/") }
        return d
    }

    /// The node at `path` ("optimizer/state/0/exp_avg"; "" is the root).
    static func node(_ root: StateValue, _ path: String) -> StateValue? {
        var v = root
        for part in path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) {
            switch v {
            case .dict(let d): guard let next = d[part] else { return nil }; v = next
            case .list(let a), .tuple(let a): guard let i = Int(part), a.indices.contains(i) else { return nil }; v = a[i]
            default: return nil
            }
        }
        return v
    }

    static func doubles(_ t: TensorData) -> [Double] {
        switch t.storage {
        case .float32(let a): a.map(Double.init)
        case .float64(let a): a
        case .int64(let a): a.map(Double.init)
        case .int32(let a): a.map(Double.init)
        case .uint8(let a): a.map(Double.init)
        case .bool(let a): a.map { $0 ? 1 : 0 }
        case .float16(let a): a.map { Double($0) }
        case .bfloat16(let a): a.map { Double(Float(bfloat16Bits: $0)) }
        case .int16(let a): a.map(Double.init)
        case .int8(let a): a.map(Double.init)
        }
    }

    /// Compares one expected row with the node it names; returns the mismatches.
    static func check(_ row: StateDict, in root: StateValue, file: String) -> [String] {
        let path = row["path"]?.stringValue ?? "?"
        let at = "\(file): \(path)"
        guard let v = node(root, path) else { return ["\(at): missing"] }
        var problems: [String] = []
        switch row["kind"]?.stringValue {
        case "tensor":
            guard case .tensor(let t) = v else { return ["\(at): expected a tensor, found \(v.kindName)"] }
            if t.dtype.rawValue != row["dtype"]?.stringValue { problems.append("\(at): dtype \(t.dtype) vs \(row["dtype"]!)") }
            let shape = row["shape"]?.arrayValue?.compactMap(\.intValue).map(Int.init)
            if t.shape != shape { problems.append("\(at): shape \(t.shape) vs \(shape ?? [])") }
            if let bits = row["bits"]?.arrayValue {
                switch t.storage {
                case .float16(let a), .bfloat16(let a):
                    if a.map({ Int64($0) }) != bits.compactMap(\.intValue) { return problems + ["\(at): \(t.dtype) bits differ"] }
                default: return problems + ["\(at): expected 16-bit float bits, found \(t.dtype)"]
                }
            }
            if let values = row["values"]?.arrayValue, row["bits"] == nil || t.dtype == .bfloat16 {
                let got = doubles(t)
                guard got.count == values.count else { return problems + ["\(at): \(got.count) elements vs \(values.count)"] }
                for (i, (g, e)) in zip(got, values).enumerated() {
                    let want: Double = switch e {
                    case .string("inf"): .infinity
                    case .string("-inf"): -.infinity
                    case .string("nan"): .nan
                    default: e.doubleValue ?? .nan
                    }
                    if !(g == want || (g.isNaN && want.isNaN)) || (g == 0 && g.sign != want.sign) {
                        problems.append("\(at)[\(i)]: \(g) vs \(want)")
                    }
                }
                if case .int64(let a) = t.storage, a != values.compactMap(\.intValue) { problems.append("\(at): int64 values differ") }
            }
        case "dict":
            guard case .dict(let d) = v else { return ["\(at): expected a dict, found \(v.kindName)"] }
            let keys = row["keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            if d.keys != keys { problems.append("\(at): keys \(d.keys) vs \(keys)") }
            let intKeys = row["int_keys"] == .bool(true)
            if (d.keyKind == .int) != intKeys { problems.append("\(at): key kind \(d.keyKind) vs int_keys \(intKeys)") }
            if (d.pythonClass == .counter) != (row["class"] == .string("Counter")) { problems.append("\(at): class \(String(describing: d.pythonClass))") }
        case "list", "tuple":
            let isList = row["kind"] == .string("list")
            switch (v, isList) {
            case (.list(let a), true), (.tuple(let a), false):
                if a.count != Int(row["count"]?.intValue ?? -1) { problems.append("\(at): \(a.count) items") }
            default: problems.append("\(at): expected a \(row["kind"]!), found \(v.kindName)")
            }
        case "none": if !v.isNone { problems.append("\(at): expected None, found \(v.kindName)") }
        case "bool", "int", "string":
            if v != row["value"] { problems.append("\(at): \(v) vs \(row["value"]!)") }
        case "double":
            guard case .double(let d) = v, d.bitPattern == row["value"]?.doubleValue?.bitPattern else {
                return ["\(at): \(v) vs float \(row["value"]!)"]
            }
        default: problems.append("\(at): unknown row kind")
        }
        return problems
    }

    static let readable = ["state_dict.pt", "train_sgd.pt", "train_adam.pt", "views.pt", "dtypes.pt",
                           "big_endian.pt", "zip64.pt", "protocol4.pt"]

    @Test(arguments: readable)
    func matchesWhatPyTorchLoaded(_ name: String) throws {
        let rows = try #require(try Self.expected()[name]?.arrayValue, "expected.json lacks \(name)")
        #expect(rows.count > 3)
        let value = try TorchFile.read(Self.directory + "/" + name)
        let problems = rows.compactMap(\.dictValue).flatMap { Self.check($0, in: value, file: name) }
        #expect(problems.isEmpty, "\(problems.prefix(10))")
    }

    @Test func aTensorSharedTwiceIsReadOnceAndViewsAreMaterialised() throws {
        let value = try TorchFile.read(Self.directory + "/views.pt")
        let base = try #require(Self.node(value, "base")?.tensorValue)
        #expect(Self.node(value, "tied_b")?.tensorValue == base)
        #expect(Self.node(value, "column")?.tensorValue == TensorData(shape: [3], storage: .float32([2, 6, 10])))
        #expect(Self.node(value, "strided")?.tensorValue == TensorData(shape: [2, 2], storage: .float32([4, 6, 8, 10])))
        #expect(Self.node(value, "expanded")?.tensorValue == TensorData(shape: [2, 3], storage: .float32(Array(repeating: 7.5, count: 6))))
    }

    @Test func aTrainingCheckpointMapsOntoTheSections() throws {
        let c = try CheckpointFile.load(Self.directory + "/train_adam.pt")
        #expect(c.model.keys == ["0.weight", "0.bias", "2.weight", "2.bias"])
        #expect(c.optimizer?.keys.first == "type")
        #expect(c.optimizer?["type"] == "Adam")
        let state = try #require(c.optimizer?["state"]?.dictValue)
        #expect(state.keyKind == .int && state.keys == ["0", "1", "2", "3"])
        #expect(state["0"]?.dictValue?["step"]?.tensorValue?.shape == [])
        #expect(c.optimizer?["param_groups"]?.arrayValue?.first?.dictValue?["betas"] == .tuple([0.9, 0.99]))
        #expect(c.scheduler?["type"] == "MultiStepLR")
        let milestones = try #require(c.scheduler?["milestones"]?.dictValue)
        #expect(milestones.pythonClass == .counter && milestones.keyKind == .int && milestones["5"] == 2)
        #expect(c.metadata["epoch"] == 3 && c.progress == nil)
        #expect(c.metadata["best_acc"] == 0.25)
        let sgd = try CheckpointFile.load(Self.directory + "/train_sgd.pt")
        #expect(sgd.optimizer?["type"] == "SGD" && sgd.scheduler?["type"] == "StepLR")
        #expect(try CheckpointFile.isCheckpoint(Self.directory + "/train_sgd.pt"))
    }

    @Test func aConvertedCheckpointDiffsEqualToItsSource() throws {
        let pt = Self.directory + "/train_sgd.pt"
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-torch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let h5 = dir.appendingPathComponent("run.h5").path
        let c = try CheckpointFile.load(pt)
        try CheckpointFile.save(c, to: h5, durable: false)
        let back = try CheckpointFile.load(h5)
        // The saved file gains ckpt's format stamp, which a torch.save file has no counterpart for.
        let diff = CheckpointDiff(c, back, options: DiffOptions(exclude: ["metadata/format", "metadata/format_version"]))
        #expect(diff.isIdentical, "\(diff.differenceCount) differences")
        #expect(back.optimizer?["state"]?.dictValue?.keyKind == .int)
    }
}
