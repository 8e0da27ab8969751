import Testing
@testable import CkptCore

@Suite("Models and state dicts")
struct ModuleTests {
    @Test("LeNet has PyTorch's names, order, shapes and init bounds")
    func lenetLayout() {
        let m = LeNet(seed: 0)
        let expected: [(String, [Int])] = [
            ("conv1.weight", [6, 3, 5, 5]), ("conv1.bias", [6]), ("conv2.weight", [16, 6, 5, 5]), ("conv2.bias", [16]),
            ("fc1.weight", [120, 400]), ("fc1.bias", [120]), ("fc2.weight", [84, 120]), ("fc2.bias", [84]),
            ("fc3.weight", [10, 84]), ("fc3.bias", [10]),
        ]
        #expect(m.parameters().map(\.name) == expected.map(\.0))
        #expect(m.parameters().map(\.shape) == expected.map(\.1))
        #expect(m.parameterCount == 62006)
        #expect(m.stateDict().keys == expected.map(\.0))
        let fanIns = [75, 75, 150, 150, 400, 400, 120, 120, 84, 84]
        for (p, fan) in zip(m.parameters(), fanIns) {
            let bound = Float(1 / Double(fan).squareRoot())
            let mx = p.value.storage.map(abs).max()!
            #expect(mx <= bound && mx > 0.8 * bound, "\(p.name): max |w| \(mx), bound \(bound)")
        }
    }

    @Test("same seed, same weights; other seed, other weights")
    func seeded() {
        let same = LeNet(seed: 3).stateDict().bitwiseEqual(LeNet(seed: 3).stateDict())
        let differ = !LeNet(seed: 3).stateDict().bitwiseEqual(LeNet(seed: 4).stateDict())
        #expect(same && differ)
    }

    @Test("MLP names follow nn.Sequential inside `net`")
    func mlpNames() throws {
        let m = try MLP(sizes: [12, 8, 6, 3], seed: 0)
        #expect(m.parameters().map(\.name) == ["net.1.weight", "net.1.bias", "net.3.weight", "net.3.bias", "net.5.weight", "net.5.bias"])
        #expect(m.parameters().map(\.shape) == [[8, 12], [8], [6, 8], [6], [3, 6], [3]])
        #expect(throws: ModelError.self) { try MLP(sizes: [5], seed: 0) }
        #expect(try makeModel(type: "mlp", sizes: [4, 2], seed: 0).parameterCount == 10)
        #expect(try makeModel(type: "LeNet", seed: 0).parameterCount == 62006)
        #expect(throws: ModelError.self) { try makeModel(type: "resnet", seed: 0) }
    }

    @Test("loadStateDict round-trips and shares nothing with the source")
    func roundTrip() throws {
        let a = LeNet(seed: 1), b = LeNet(seed: 2)
        let r = try b.loadStateDict(a.stateDict())
        #expect(r.missing.isEmpty && r.unexpected.isEmpty)
        let equal = b.stateDict().bitwiseEqual(a.stateDict())
        #expect(equal)
        b.parameters()[0].value.storage[0] += 1
        #expect(a.parameters()[0].value.storage[0] != b.parameters()[0].value.storage[0])
    }

    @Test("strict loading: missing and unexpected keys are errors; non-strict returns them")
    func strict() throws {
        let m = LeNet(seed: 0)
        var sd = m.stateDict()
        _ = sd.removeValue(forKey: "fc3.bias")
        sd["extra.weight"] = .tensor(TensorData(Tensor(shape: [1])))
        let before = m.stateDict()
        #expect(throws: ModelError.keyMismatch(missing: ["fc3.bias"], unexpected: ["extra.weight"])) {
            try m.loadStateDict(sd)
        }
        let unchanged = m.stateDict().bitwiseEqual(before)
        #expect(unchanged, "a failed load changed the model")
        let other = LeNet(seed: 5).stateDict()
        var sd2 = other
        _ = sd2.removeValue(forKey: "fc3.bias")
        sd2["extra.weight"] = .tensor(TensorData(Tensor(shape: [1])))
        let r = try m.loadStateDict(sd2, strict: false)
        #expect(r.missing == ["fc3.bias"] && r.unexpected == ["extra.weight"])
        let loaded = m.stateDict()["conv1.weight"]!.bitwiseEqual(other["conv1.weight"]!)
        let kept = m.stateDict()["fc3.bias"]!.bitwiseEqual(before["fc3.bias"]!)
        #expect(loaded && kept)
    }

    @Test("a shape mismatch names the key and both shapes, strict or not")
    func shapeMismatch() {
        let m = LeNet(seed: 0)
        var sd = m.stateDict()
        sd["fc1.weight"] = .tensor(TensorData(Tensor(shape: [120, 401])))
        for strict in [true, false] {
            do {
                try m.loadStateDict(sd, strict: strict)
                Issue.record("no error")
            } catch let e as ModelError {
                #expect(e == .shapeMismatch(key: "fc1.weight", checkpoint: [120, 401], model: [120, 400]))
                #expect(e.description.contains("fc1.weight") && e.description.contains("[120, 401]") && e.description.contains("[120, 400]"))
            } catch { Issue.record("\(error)") }
        }
    }

    @Test("float64 and float16 tensors are cast to float32; integer tensors are rejected")
    func dtypes() throws {
        let m = try MLP(sizes: [2, 1], seed: 0)
        let sd: StateDict = [
            "net.1.weight": .tensor(TensorData(shape: [1, 2], storage: .float64([0.1, -2.5]))),
            "net.1.bias": .tensor(TensorData(shape: [1], storage: .float16([0x3C00]))),  // 1.0
        ]
        try m.loadStateDict(sd)
        #expect(m.parameters()[0].value.storage == [Float(0.1), -2.5])
        #expect(m.parameters()[1].value.storage == [1])
        let bad: StateDict = [
            "net.1.weight": .tensor(TensorData(shape: [1, 2], storage: .int64([1, 2]))),
            "net.1.bias": .double(1),
        ]
        #expect(throws: ModelError.wrongType(key: "net.1.weight", found: "tensor(int64, [1, 2])")) { try m.loadStateDict(bad) }
    }

    @Test("gradients accumulate until cleared, as in PyTorch")
    func accumulate() throws {
        let m = LeNet(seed: 0)
        let x = GradientCheckTests.random([2, 3, 32, 32], seed: 1)
        _ = try m.forwardBackward(images: x, labels: [1, 2])
        let once = m.parameters().map { $0.grad! }
        _ = try m.forwardBackward(images: x, labels: [1, 2])
        for (p, g) in zip(m.parameters(), once) {
            let doubled = Tensor(shape: g.shape, storage: g.storage.map { 2 * $0 })
            #expect(relativeError(p.grad!, doubled) < 1e-6, "\(p.name)")
        }
        for p in m.parameters() { p.grad = nil }
        _ = try m.forwardBackward(images: x, labels: [1, 2])
        for (p, g) in zip(m.parameters(), once) {
            let same = p.grad!.storage == g.storage
            #expect(same, "\(p.name)")
        }
    }

    @Test("bad inputs are errors naming the problem")
    func badInputs() {
        let m = LeNet(seed: 0)
        #expect(throws: ModelError.self) { try m.forwardBackward(images: Tensor(shape: [2, 1, 32, 32]), labels: [0, 0]) }
        #expect(throws: ModelError.badLabel(index: 1, label: 10, classes: 10)) {
            try m.forwardBackward(images: Tensor(shape: [2, 3, 32, 32]), labels: [0, 10])
        }
        #expect(throws: ModelError.self) { try m.forwardBackward(images: Tensor(shape: [2, 3, 32, 32]), labels: [0]) }
    }

    @Test("loss(images:labels:) equals the loss of forwardBackward and leaves gradients alone")
    func lossOnly() throws {
        let m = LeNet(seed: 0)
        let x = GradientCheckTests.random([3, 3, 32, 32], seed: 2)
        let l = try m.loss(images: x, labels: [0, 1, 2])
        #expect(m.parameters().allSatisfy { $0.grad == nil })
        #expect(try m.forwardBackward(images: x, labels: [0, 1, 2]) == l)
    }
}
