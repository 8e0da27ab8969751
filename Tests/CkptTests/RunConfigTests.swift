import Testing
@testable import Ckpt

@Suite struct RunConfigTests {
    @Test func emptyConfigIsTheSeed() throws {
        let c = try RunConfig(json: "{}")
        #expect(c == RunConfig())
        #expect(c.model.type == .lenet)
        #expect(c.data.dataset == .cifar10 && c.data.datasetIsDefault && c.data.root == "./CIFAR10")
        #expect(c.data.batchSize == 4 && c.data.shuffle && c.data.limit == nil)
        #expect(c.optimizer.bitwiseEqual(["type": "SGD", "lr": 0.001, "momentum": 0.9]))
        #expect(c.scheduler?.bitwiseEqual(["type": "ExponentialLR", "gamma": 0.9]) == true)
        #expect(!c.schedulerStepsPerBatch)
        #expect(c.epochs == 20 && c.seed == 0 && c.checkpoint.everyEpochs == 1 && c.checkpoint.everySteps == nil)
        #expect(c.logEvery == nil)
        #expect(c.logInterval(batchesPerEpoch: 12500) == 2000)
        #expect(c.logInterval(batchesPerEpoch: 1250) == 250)
        #expect(c.logInterval(batchesPerEpoch: 3) == 1)
    }

    @Test func issueExampleParses() throws {
        let c = try RunConfig(json: """
            {"model": {"type": "lenet"},
             "data": {"dataset": "cifar10", "root": "./CIFAR10", "batch_size": 4, "shuffle": true, "limit": null},
             "optimizer": {"type": "SGD", "lr": 0.001, "momentum": 0.9, "param_groups": null},
             "scheduler": {"type": "ExponentialLR", "gamma": 0.9, "interval": "epoch"},
             "epochs": 20, "seed": 0, "checkpoint": {"every_epochs": 1, "every_steps": null}}
            """)
        #expect(c.data.dataset == .cifar10 && !c.data.datasetIsDefault)
        #expect(c.optimizer["param_groups"] == nil)
        #expect(c.scheduler?["interval"] == "epoch")
    }

    @Test func sgdKeysLeftOutTakeTheSeedsValuesOthersDoNot() throws {
        let sgd = try RunConfig(json: #"{"optimizer": {"lr": 0.1}}"#)
        #expect(sgd.optimizer.bitwiseEqual(["type": "SGD", "lr": 0.1, "momentum": 0.9]))
        let adam = try RunConfig(json: #"{"optimizer": {"type": "Adam"}}"#)
        #expect(adam.optimizer.bitwiseEqual(["type": "Adam"]))
        let step = try RunConfig(json: #"{"scheduler": {"type": "StepLR", "step_size": 3, "interval": "step"}}"#)
        #expect(step.scheduler?.bitwiseEqual(["type": "StepLR", "step_size": 3, "interval": "step"]) == true)
        #expect(step.schedulerStepsPerBatch)
        #expect(try RunConfig(json: #"{"scheduler": null}"#).scheduler == nil)
    }

    @Test func plateauMetricIsReadAndKeptOutOfTheSchedulerSection() throws {
        let c = try RunConfig(json: #"{"scheduler": {"type": "ReduceLROnPlateau", "metric": "train_loss"}}"#)
        #expect(c.plateauMetric == .trainLoss)
        #expect(c.scheduler?["metric"] == nil)
        #expect(try RunConfig(value: .dict(c.json)) == c)
    }

    @Test(arguments: [
        #"{"model": {"type": "mlp", "sizes": [3072, 16, 10]}, "data": {"dataset": "synthetic", "train_size": 64, "test_size": 0, "batch_size": 8}, "epochs": 3, "seed": 7, "checkpoint": {"every_epochs": null, "every_steps": 5}, "log_every": 3}"#,
        #"{"data": {"dataset": "hdf5", "path": "d.h5", "limit": 100}, "optimizer": {"type": "Adam", "lr": 0.01, "param_groups": [{"params": ["fc*"]}]}}"#,
        #"{"scheduler": null, "data": {"root": "/data/cifar", "shuffle": false}}"#,
        "{}",
    ])
    func fullJSONParsesBackEqual(text: String) throws {
        let c = try RunConfig(json: text)
        let back = try RunConfig(json: c.jsonText)
        #expect(back == c)
        #expect(back.json.bitwiseEqual(c.json))
    }

    @Test(arguments: [
        (#"{"data": {"batch_size": "4"}}"#, #"data.batch_size: expected a positive integer, found "4""#),
        (#"{"data": {"batch_size": 0}}"#, "data.batch_size: expected a positive integer, found 0"),
        (#"{"data": {"batch_size": 4.0}}"#, "data.batch_size: expected a positive integer, found 4.0"),
        (#"{"data": {"batch_sise": 4}}"#, "data.batch_sise: unknown key"),
        (#"{"epoch": 3}"#, "epoch: unknown key"),
        (#"{"model": {"type": "resnet"}}"#, #"model.type: expected one of "lenet", "mlp", found "resnet""#),
        (#"{"model": {"type": "mlp", "sizes": [3072, -1, 10]}}"#, "model.sizes[1]: expected a positive integer, found -1"),
        (#"{"model": {"type": "mlp", "sizes": [3072]}}"#, "model.sizes: expected at least two sizes"),
        (#"{"model": {"sizes": [3072, 10]}}"#, #"model.sizes: only used with "type": "mlp""#),
        (#"{"data": {"dataset": "hdf5"}}"#, #"data.path: required with "dataset": "hdf5""#),
        (#"{"data": {"dataset": "synthetic", "root": "x"}}"#, #"data.root: only used with "dataset": "cifar10""#),
        (#"{"data": {"train_size": 10}}"#, #"data.train_size: only used with "dataset": "synthetic""#),
        (#"{"data": {"shuffle": 1}}"#, "data.shuffle: expected true or false, found 1"),
        (#"{"data": {"limit": "all"}}"#, #"data.limit: expected a positive integer or null, found "all""#),
        (#"{"scheduler": {"interval": "batch"}}"#, #"scheduler.interval: expected "epoch" or "step", found "batch""#),
        (#"{"scheduler": {"type": "StepLR", "metric": "test_loss"}}"#, #"scheduler.metric: only used with "type": "ReduceLROnPlateau""#),
        (#"{"scheduler": 5}"#, "scheduler: expected an object, found 5"),
        (#"{"optimizer": null}"#, "optimizer: expected an object"),
        (#"{"seed": -1}"#, "seed: expected a non-negative integer, found -1"),
        (#"{"checkpoint": {"every_steps": 0}}"#, "checkpoint.every_steps: expected a positive integer or null, found 0"),
        (#"{"checkpoint": {"every": 1}}"#, "checkpoint.every: unknown key"),
        (#"[1, 2]"#, "a run config is a JSON object, found a list"),
        (#"{"epochs": 3"#, "invalid JSON at byte"),
    ])
    func badConfigNamesTheKey(text: String, message: String) {
        #expect {
            try RunConfig(json: text)
        } throws: { error in
            String(describing: error).hasPrefix(message)
        }
    }

    @Test func missingFileIsNamed() {
        #expect {
            try RunConfig(contentsOf: "/nonexistent/cfg.json")
        } throws: { error in
            String(describing: error) == "/nonexistent/cfg.json: no such file"
        }
    }
}
