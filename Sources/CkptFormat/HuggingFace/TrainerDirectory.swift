import CkptCore

/// Reads a Hugging Face `transformers.Trainer` checkpoint directory (`checkpoint-<step>/`)
/// as one `Checkpoint`, without running anything it names:
///
/// - `model`: `model.safetensors`, or the shards `model.safetensors.index.json`'s
///   `weight_map` names (each shard read and validated by `Safetensors`; every tensor the
///   index names must be in its shard, and a shard must not hold a tensor twice), in shard
///   order and each shard's order.
/// - `optimizer`: `optimizer.pt` (an optimizer `state_dict()`, read by `TorchFile`);
///   `scheduler`: `scheduler.pt`; both typed as `TorchCheckpoint` types them, a scheduler
///   with `lr_lambdas` as `LambdaLR` (what every Trainer schedule is).
/// - `progress`: from `trainer_state.json`'s `log_history`: `global_step`, `epoch` (whole
///   epochs), and the `learning_rate` and `loss` of each step 1...global_step, so `ckpt plot`
///   draws them; with `logging_steps` > 1 a step between two logs holds the value of the
///   next logged step at or after it (the last log's value after it).
/// - `rng`: `rng_state.pth` when the weights_only reader accepts it.
/// - `metadata`: `global_step`, `epoch` (the float), `best_metric`, `best_model_checkpoint`,
///   `trainer_state` and `config` (the JSON texts), and `not_read`: one line per file that
///   needs code to load (`training_args.bin` pickles a `TrainingArguments` object;
///   `rng_state.pth` holds NumPy's RNG state), saying what it is and why ckpt does not run it.
public enum TrainerDirectory {
    static let weightFiles = ["model.safetensors", "model.safetensors.index.json"]

    /// Whether `path` is a directory with a `trainer_state.json` or Hugging Face weights.
    public static func recognises(_ path: String) -> Bool {
        DirectoryMember.isDirectory(path)
            && (["trainer_state.json"] + weightFiles).contains { DirectoryMember.exists($0, in: path) }
    }

    public static func load(_ dir: String) throws -> Checkpoint {
        var metadata: StateDict = ["created_by": "transformers.Trainer"]
        var notRead: [StateValue] = []
        let model = try weights(dir)
        var optimizer: StateDict?, scheduler: StateDict?, progress: StateDict?, rng: StateDict?
        if DirectoryMember.exists("optimizer.pt", in: dir) {
            let path = try DirectoryMember.path("optimizer.pt", in: dir, for: "optimizer")
            guard let d = try TorchFile.read(path).dictValue, TorchCheckpoint.isOptimizer(d) else {
                throw CheckpointError.malformed(file: path, path: "/", reason: "not an optimizer state_dict() (a dict with state and param_groups)")
            }
            optimizer = TorchCheckpoint.typedOptimizer(d)
        }
        if DirectoryMember.exists("scheduler.pt", in: dir) {
            let path = try DirectoryMember.path("scheduler.pt", in: dir, for: "scheduler")
            guard let d = try TorchFile.read(path).dictValue else {
                throw CheckpointError.malformed(file: path, path: "/", reason: "not a scheduler state_dict() (a dict)")
            }
            scheduler = TorchCheckpoint.typedScheduler(d)
            // Trainer's schedules (get_scheduler: linear, cosine, constant, ...) are LambdaLRs,
            // whose keys alone cannot tell them from a MultiplicativeLR.
            if scheduler?["type"] == nil, d["lr_lambdas"] != nil {
                scheduler = StateDict([("type", .string("LambdaLR"))] + d.map { ($0.key, $0.value) })
            }
        }
        if DirectoryMember.exists("trainer_state.json", in: dir) {
            let path = try DirectoryMember.path("trainer_state.json", in: dir, for: "trainer_state")
            let text = try readText(path)
            let state: StateDict
            do {
                guard let d = try JSON.parse(text).dictValue else { throw CheckpointError.malformed(file: path, path: "/", reason: "not a JSON object") }
                state = d
            } catch let e as CheckpointError { throw e } catch {
                throw CheckpointError.malformed(file: path, path: "/", reason: "not JSON: \(error)")
            }
            for key in ["global_step", "epoch", "best_metric", "best_model_checkpoint"] {
                if let v = state[key], isScalar(v) { metadata[key] = v }
            }
            metadata["trainer_state"] = .string(JSON.string(.dict(state)))  // compact, one line
            progress = try TrainerProgress.progress(state, groups: optimizer?["param_groups"]?.arrayValue?.count ?? 1, file: path)
        }
        if DirectoryMember.exists("config.json", in: dir) {
            let text = try readText(try DirectoryMember.path("config.json", in: dir, for: "config"))
            metadata["config"] = .string((try? JSON.parse(text)).map { JSON.string($0) } ?? text)
        }
        if DirectoryMember.exists("rng_state.pth", in: dir) {
            let path = try DirectoryMember.path("rng_state.pth", in: dir, for: "rng")
            do {
                rng = try TorchFile.read(path).dictValue
            } catch let e as CheckpointError {
                // The global the reader refused, without the path (the same directory copied elsewhere compares equal).
                let text = e.description
                let refused = text.range(of: "refusing `").flatMap { r in text[r.upperBound...].firstIndex(of: "`").map { String(text[r.upperBound..<$0]) } }
                let why = refused.map { "it names `\($0)`, whose code only NumPy or Python can run" } ?? "the weights_only reader refuses it"
                notRead.append(.string("rng_state.pth: the RNG states of Python, NumPy and torch; not read: \(why) (ckpt never runs code from a file)"))
            }
        }
        if DirectoryMember.exists("training_args.bin", in: dir) {
            notRead.append(.string("training_args.bin: a pickled transformers.TrainingArguments object (the run's arguments); loading it needs its Python class, and ckpt never runs code from a file"))
        }
        for name in DirectoryMember.names(in: dir) where name.hasPrefix("scaler") && name.hasSuffix(".pt") {
            notRead.append(.string("\(name): a torch.amp GradScaler state, not shown"))
        }
        if !notRead.isEmpty { metadata["not_read"] = .list(notRead) }
        return Checkpoint(metadata: metadata, model: model, optimizer: optimizer, scheduler: scheduler, progress: progress, rng: rng)
    }

    /// The model tensors: one file, or the shards of the index in shard order.
    static func weights(_ dir: String) throws -> StateDict {
        if !DirectoryMember.exists("model.safetensors.index.json", in: dir) {
            guard DirectoryMember.exists("model.safetensors", in: dir) else { return [:] }
            return try Safetensors.read(try DirectoryMember.path("model.safetensors", in: dir, for: "model")).tensors
        }
        let indexPath = try DirectoryMember.path("model.safetensors.index.json", in: dir, for: "model")
        guard let index = try? JSON.parse(try readText(indexPath)).dictValue, let map = index["weight_map"]?.dictValue else {
            throw CheckpointError.malformed(file: indexPath, path: "weight_map", reason: "not a JSON object with a weight_map of tensor name → shard file")
        }
        var shards: [String] = []
        var byShard: [String: [String]] = [:]
        for (name, file) in map {
            guard let f = file.stringValue else { throw CheckpointError.malformed(file: indexPath, path: "weight_map/\(name)", reason: "the shard is \(file.kindName), not a file name") }
            if byShard[f] == nil { shards.append(f) }
            byShard[f, default: []].append(name)
        }
        var model = StateDict()
        for shard in shards.sorted() {
            let names = byShard[shard]!
            let path = try DirectoryMember.path(shard, in: dir, for: "model/\(names[0])")
            let tensors = try Safetensors.read(path).tensors
            for name in names where tensors[name] == nil {
                throw CheckpointError.malformed(file: path, path: "model/\(name)", reason: "the index puts this tensor in \(shard), which does not hold it")
            }
            for (name, t) in tensors {
                guard model[name] == nil else {
                    throw CheckpointError.malformed(file: path, path: "model/\(name)", reason: "held by two shards")
                }
                model[name] = t
            }
        }
        return model
    }

    static func readText(_ path: String) throws -> String {
        let source = try ByteSource(path: path)
        guard source.size <= 64 << 20 else {
            throw CheckpointError.malformed(file: path, path: "/", reason: "\(source.size) bytes of JSON exceeds the limit of 64 MiB")
        }
        return String(decoding: try source.bytes(at: 0, count: source.size, what: "/"), as: UTF8.self)
    }

    static func isScalar(_ v: StateValue) -> Bool {
        switch v {
        case .int, .double, .bool, .string, .none: true
        default: false
        }
    }
}
