import Ckpt
import Testing

/// Bad run configs are rejected by the parser with the key's dotted path, before anything
/// runs (scripts/reliability/bad_configs.py checks every key through `ckpt train`: exit 2,
/// nothing written).
@Suite struct BadConfigTests {
    @Test(arguments: [
        (#"{"epochs": "3"}"#, "epochs"),
        (#"{"epochs": 0}"#, "epochs"),
        (#"{"epocs": 3}"#, "epocs"),
        (#"{"seed": -1}"#, "seed"),
        (#"{"log_every": 1.5}"#, "log_every"),
        (#"{"model": {"type": "resnet"}}"#, "model.type"),
        (#"{"model": {"type": "mlp", "sizes": [3072, -8, 10]}}"#, "model.sizes[1]"),
        (#"{"data": {"batch_size": "8"}}"#, "data.batch_size"),
        (#"{"data": {"dataset": "imagenet"}}"#, "data.dataset"),
        (#"{"data": {"shufle": true}}"#, "data.shufle"),
        (#"{"data": {"limit": 0}}"#, "data.limit"),
        (#"{"checkpoint": {"every_steps": -3}}"#, "checkpoint.every_steps"),
        (#"{"checkpoint": {"every_epoch": 1}}"#, "checkpoint.every_epoch"),
        (#"{"scheduler": "StepLR"}"#, "scheduler"),
        (#"{"scheduler": {"type": "StepLR", "step_size": 2, "interval": "batch"}}"#, "scheduler.interval"),
    ])
    func rejectedNamingTheKey(json: String, key: String) {
        do {
            _ = try RunConfig(json: json)
            Issue.record("\(json) parsed")
        } catch let e as RunConfig.Error {
            #expect(e.key == key, "\(json): \(e)")
            #expect(e.description.contains(key))
        } catch {
            Issue.record("\(json): not a RunConfig.Error: \(error)")
        }
    }

    @Test func notAnObject() {
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: "[1, 2]") }
        #expect(throws: RunConfig.Error.self) { try RunConfig(json: "{\"epochs\": ") }
    }
}
