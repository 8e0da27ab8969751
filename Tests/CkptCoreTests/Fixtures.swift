import CkptTestSupport
import Foundation
import HDF5
@testable import CkptCore

/// The PyTorch reference arrays written by `fixtures/make_lenet_fixtures.py` into
/// `fixtures/lenet/lenet_grads.h5` (read with the HDF5 module), and the script's `fill`.
enum Fixture {
    static let path = Repository.path("fixtures/lenet/lenet_grads.h5")

    struct MissingArray: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(Fixture.path) has no float32 array \(name)" }
    }

    /// Every array of the file, by its path without the leading "/" ("lenet/grad/conv1.weight").
    static let arrays: [String: Tensor] = {
        guard let file = try? HDF5File.open(path), let root = try? file.root() else { return [:] }
        var out: [String: Tensor] = [:]
        func walk(_ g: HDF5Group, _ prefix: String) {
            for name in (try? g.childNames()) ?? [] {
                if let d = try? g.openDataset(name), let shape = try? d.shape() ?? [],
                   let values = try? d.read(as: Float.self) {
                    out[prefix + name] = Tensor(shape: shape, storage: values)
                } else if let child = try? g.openGroup(name) {
                    walk(child, prefix + name + "/")
                }
            }
        }
        walk(root, "")
        return out
    }()

    static func array(_ name: String) throws -> Tensor {
        guard let t = arrays[name] else { throw MissingArray(name: name) }
        return t
    }

    /// The script's `fill(key, n, bound)`: a splitmix64-style hash of (key, index) mapped to
    /// [-bound, bound) in float64, rounded once to float32.
    static func fill(_ key: UInt64, _ n: Int, _ bound: Double) -> [Float] {
        (0..<n).map { i in
            var z = (UInt64(i) &+ 1) &* 0x9E37_79B9_7F4A_7C15 &+ (key &* 0xD1B5_4A32_D192_ED03)
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z = z ^ (z >> 31)
            let u = Double(z >> 11) * 0x1p-53
            return Float((2 * u - 1) * bound)
        }
    }

    /// The script's `pixels(key, n)`: uint8 pixels normalised as CIFAR-10.
    static func pixels(_ key: UInt64, _ n: Int) -> [Float] {
        let p = fill(key, n, 1).map { UInt8(Swift.min(255, Swift.max(0, ((Double($0) + 1) * 128).rounded(.down)))) }
        return CIFAR10.normalise(p, shape: [n]).storage
    }

    /// The script's `set_weights`: parameter k gets fill(base + k, n, 1/sqrt(fan_in)), the fan-in
    /// of a bias being that of the weight before it.
    static func setWeights(_ model: Module, base: UInt64) {
        var fan = 1
        for (k, p) in model.parameters().enumerated() {
            if p.shape.count > 1 { fan = p.shape.dropFirst().reduce(1, *) }
            p.value = Tensor(shape: p.shape, storage: fill(base + UInt64(k), p.value.count, 1 / Double(fan).squareRoot()))
        }
    }
}

/// max |a − b| / max |b|: the relative error of a whole tensor against a reference.
func relativeError(_ a: Tensor, _ b: Tensor) -> Double {
    guard a.shape == b.shape else { return .infinity }
    var d = 0.0, m = 0.0
    for (x, y) in zip(a.storage, b.storage) {
        d = Swift.max(d, abs(Double(x) - Double(y)))
        m = Swift.max(m, abs(Double(y)))
    }
    return m == 0 ? d : d / m
}

/// A plain SGD with momentum (PyTorch's update, no dampening), for tests that train.
final class TestSGD {
    let params: [Parameter]
    let lr: Float, momentum: Float
    var buffers: [[Float]?]

    init(_ params: [Parameter], lr: Float, momentum: Float) {
        self.params = params
        self.lr = lr
        self.momentum = momentum
        buffers = params.map { _ in nil }
    }

    func zeroGrad() { for p in params { p.grad = nil } }

    func step() {
        for (i, p) in params.enumerated() {
            guard let g = p.grad?.storage else { continue }
            var b = buffers[i] ?? g
            if buffers[i] != nil { for j in 0..<b.count { b[j] = b[j] * momentum + g[j] } }
            buffers[i] = b
            for j in 0..<b.count { p.value.storage[j] -= lr * b[j] }
        }
    }
}
