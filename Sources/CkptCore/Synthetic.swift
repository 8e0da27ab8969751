import Foundation

/// The embedded default dataset: deterministic, CIFAR-shaped (`[N, 3, 32, 32]`, values in
/// [-1, 1] like normalised CIFAR), 10 classes a LeNet learns over several epochs.
///
/// Class `c` has a colour (one offset per channel) and a stripe pattern (an orientation and a
/// frequency); a sample is `0.25·(colour + 0.5·N(0,1) per channel) + 0.2·stripes(random phase,
/// orientation + 0.25·N(0,1)) + 0.75·noise`, clipped to [-1, 1], with its label drawn uniformly. Class templates come from
/// `RandomGenerator(seed:stream: .synthetic, index: 0)`, the training samples from index 1 and
/// the test samples from index 2, so the same seed gives the same data bit for bit everywhere.
public enum Synthetic {
    public static let classes = 10
    // Signal weights chosen so the seed's LeNet (SGD 0.001, momentum 0.9, batch 4) climbs for
    // several epochs (about 33 % after one epoch of 5000 images, 90 % after six) instead of
    // saturating in the first, so the later epochs of a default run still show learning.
    static let colourWeight = 0.25, stripeWeight = 0.2, noiseWeight = 0.75
    static let colourJitter = 0.5, angleJitter = 0.25

    public static func make(trainSize: Int, testSize: Int, seed: UInt64) -> (train: Dataset, test: Dataset) {
        var tg = RandomGenerator(seed: seed, stream: .synthetic, index: 0)
        let templates = (0..<classes).map { c -> Template in
            Template(colour: (0..<3).map { _ in Double(tg.uniform(-1, 1)) },
                     angle: Double.pi * (Double(c) + Double(tg.uniform(0, 0.5))) / Double(classes),
                     frequency: 2 + Double(c % 4) + Double(tg.uniform(0, 1)))
        }
        func split(_ n: Int, _ index: UInt64, _ name: String) -> Dataset {
            var g = RandomGenerator(seed: seed, stream: .synthetic, index: index)
            var images = [Float](repeating: 0, count: max(0, n) * 3072)
            var labels = [Int32](repeating: 0, count: max(0, n))
            for i in 0..<max(0, n) {
                let c = g.nextInt(below: classes)
                labels[i] = Int32(c)
                templates[c].draw(into: &images, at: i * 3072, generator: &g)
            }
            return Dataset(images: Tensor(shape: [max(0, n), 3, 32, 32], storage: images), labels: labels,
                           source: "synthetic \(name) (seed \(seed), \(n) images)")
        }
        return (split(trainSize, 1, "train"), split(testSize, 2, "test"))
    }

    struct Template {
        var colour: [Double]
        var angle: Double
        var frequency: Double

        func draw(into a: inout [Float], at offset: Int, generator g: inout RandomGenerator) {
            let phase = 2 * Double.pi * g.nextDouble()
            let tilt = angle + Synthetic.angleJitter * Double(g.normal())
            let (s, c) = (sin(tilt), cos(tilt))
            let k = 2 * Double.pi * frequency / 32
            let tint = (0..<3).map { colour[$0] + Synthetic.colourJitter * Double(g.normal()) }
            for ch in 0..<3 {
                for y in 0..<32 {
                    for x in 0..<32 {
                        let stripe = sin(k * (Double(x) * c + Double(y) * s) + phase)
                        let v = Synthetic.colourWeight * tint[ch] + Synthetic.stripeWeight * stripe
                            + Synthetic.noiseWeight * g.normal()
                        a[offset + (ch * 32 + y) * 32 + x] = Float(min(1, max(-1, v)))
                    }
                }
            }
        }
    }
}
