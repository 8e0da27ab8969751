import ArgumentParser
import Ckpt
import Foundation

/// `ckpt convert IN OUT`: moves model weights between a checkpoint's `/model` group and a
/// `.safetensors` file (Hugging Face, mlx-swift, `safetensors.torch.load_file`). The
/// direction comes from the extensions; safetensors → checkpoint writes a model-only
/// checkpoint (usable with `ckpt train --init-from`, not with `ckpt resume`).
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert between a checkpoint, a .safetensors file and a torch.save .pt file.",
        discussion: """
            IN.h5 OUT.safetensors writes the checkpoint's /model tensors (checksums verified \
            first) in model order, with __metadata__ {"format": "pt"}. IN.safetensors OUT.h5 \
            validates the file as the reference implementation does (header size, offsets \
            contiguous without holes or overlap, sizes, dtypes F32 F64 F16 I64 I32 U8 BOOL) and \
            writes a model-only checkpoint; the safetensors metadata goes to the root attribute \
            safetensors_metadata (JSON). Checkpoint extensions: .h5 .hdf5 .ckpt. OUT is written \
            atomically. IN.pt / IN.pth (a torch.save file, read without running any code) \
            converts to OUT.h5 (model, optimizer, scheduler and epoch as docs/TORCH.md maps \
            them) or to OUT.safetensors (its model tensors). IN.h5 OUT.pt writes what torch.save \
            would have written for {"model", "optimizer", "scheduler", "epoch"} (docs/TORCH.md), \
            readable by torch.load(weights_only=True). IN.pt OUT.h5 --config cfg.json writes a \
            checkpoint `ckpt resume` continues (docs/TORCH.md). IN.pt OUT.pt rewrites a torch.save file \
            with those standard keys; IN.safetensors OUT.pt the bare state dict. IN may be a checkpoint directory (a \
            PyTorch Distributed Checkpoint or a Hugging Face Trainer checkpoint-N, docs/DCP.md), \
            converted as the checkpoint it holds; --to dcp writes OUT as a DCP directory that \
            torch.distributed.checkpoint.load reads into a model's and optimizer's state dicts. \
            --averaged exports the weight \
            average (/averaged_model, SWA or EMA) instead of /model, under the model's names. \
            Exit status: 0 done, 2 bad usage \
            or bad input.
            """)

    @Argument(help: ArgumentHelp("The file to read (.h5/.hdf5/.ckpt, .safetensors or .pt/.pth).", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("The file to write (.safetensors or .h5/.hdf5/.ckpt).", valueName: "out"))
    var output: String

    @Option(help: ArgumentHelp("Root keys of a .pt file's dict that hold the model, optimizer, scheduler and epoch, when they are not the standard names (docs/TORCH.md): e.g. model=net,optimizer=opt_state. Applies to a .pt IN and a .pt OUT.", valueName: "role=key,..."))
    var map: String?

    @Option(help: ArgumentHelp("For IN.pt OUT.h5: the run config (model, data, optimizer, scheduler) that makes OUT resumable with `ckpt resume`; the file's state must load into the run it builds.", valueName: "cfg.json"))
    var config: String?

    @Option(help: ArgumentHelp("Write OUT as this format instead of telling it from the extension: dcp (a PyTorch Distributed Checkpoint directory).", valueName: "format"))
    var to: String?

    @Flag(help: "Replace OUT even when it is a checkpoint (a weights-only file replaces a training checkpoint).")
    var force = false

    @Flag(help: "Export the checkpoint's weight average (/averaged_model) instead of /model (to .safetensors).")
    var averaged = false

    init() {}

    enum Kind { case checkpoint, safetensors, torch, directory, dcp }

    /// OUT's kind: `--to` first, then the extension.
    var outputKind: Kind? { to == "dcp" ? .dcp : Self.kind(output) }

    static func kind(_ path: String) -> Kind? {
        if CheckpointDirectories.kind(path) != nil { return .directory }
        let ext = (path as NSString).pathExtension.lowercased()
        if ext == "safetensors" { return .safetensors }
        if ext == "pt" || ext == "pth" { return .torch }
        if ["h5", "hdf5", "ckpt"].contains(ext) { return .checkpoint }
        return nil
    }

    func validate() throws {
        guard let a = Self.kind(input) else {
            throw ValidationError("cannot tell the format of \(input) from its extension (.h5, .hdf5, .ckpt, .safetensors, .pt or .pth)")
        }
        if let to, to != "dcp" { throw ValidationError("--to \(to): the formats are dcp") }
        guard let b = outputKind else {
            throw ValidationError("cannot tell the format of \(output) from its extension (.h5, .hdf5, .ckpt, .safetensors, .pt or .pth)")
        }
        if let map {
            do { _ = try TorchKeyMap(parsing: map) } catch { throw ValidationError("--map: \(error.description)") }
            guard a == .torch || b == .torch else { throw ValidationError("--map applies to .pt / .pth files; neither \(input) nor \(output) is one") }
        }
        if config != nil, a != .torch || b != .checkpoint {
            throw ValidationError("--config applies to converting a .pt file to a checkpoint (IN.pt OUT.h5)")
        }
        guard a != b || a == .torch else {
            throw ValidationError("\(input) and \(output) are the same format: convert between a checkpoint, .safetensors and .pt")
        }
        if averaged && !(a == .checkpoint && b == .safetensors) {
            throw ValidationError("--averaged exports a checkpoint's /averaged_model: IN must be a checkpoint, OUT .safetensors")
        }
    }

    func run() throws {
        try run { console in
            try OutputTarget.refuseReplacingCheckpoint(output, with: "a converted file", force: force)
            let count: Int
            let keys = try map.map { try TorchKeyMap(parsing: $0) } ?? .standard
            switch Self.kind(input) {
            case _ where outputKind == .dcp:
                let c = try CheckpointFile.load(input)
                try DCPWriter.write(c, to: output)
                count = c.model.count
            case .directory?:
                // A DCP or Hugging Face directory, read as the checkpoint it holds.
                let c = try CheckpointFile.load(input)
                switch outputKind {
                case .torch?: try TorchSave.write(c, keys: keys, to: output)
                case .safetensors?: try Safetensors.write(c.model, metadata: [("format", "pt")], to: output)
                default: try CheckpointFile.save(c, to: output)
                }
                count = c.model.count
            case .torch? where Self.kind(output) == .checkpoint:
                // TorchCheckpoint's key mapping (docs/TORCH.md), or --map's.
                var c = try TorchCheckpoint.load(input, keys: keys)
                if let config { c = try Self.resumable(c, file: input, configPath: config) }
                try CheckpointFile.save(c, to: output)
                count = c.model.count
            case .checkpoint? where averaged:
                let c = try CheckpointFile.load(input)
                let weights = try AveragedWeights.modelStateDict(c, file: input)
                try Safetensors.write(weights, metadata: [("format", "pt")], to: output)
                count = weights.count
            case .checkpoint? where Self.kind(output) == .torch, .torch? where Self.kind(output) == .torch:
                let c = Self.kind(input) == .torch ? try TorchCheckpoint.load(input, keys: keys) : try CheckpointFile.load(input)
                try TorchSave.write(c, keys: keys, to: output)
                count = c.model.count
            case .safetensors? where Self.kind(output) == .torch:
                let (tensors, _) = try Safetensors.read(input)
                try TorchSave.write(Checkpoint(model: tensors), keys: keys, to: output)
                count = tensors.count
            case .checkpoint?, .torch?:
                let c = Self.kind(input) == .torch ? try TorchCheckpoint.load(input, keys: keys) : try CheckpointFile.load(input)
                try Safetensors.write(c.model, metadata: [("format", "pt")], to: output)
                count = c.model.count
            default:
                let (tensors, metadata) = try Safetensors.read(input)
                var meta: StateDict = [:]
                if !metadata.isEmpty {
                    var m = StateDict()
                    for (k, v) in metadata { m[k] = .string(v) }
                    meta["safetensors_metadata"] = .string(JSON.string(.dict(m)))
                }
                try CheckpointFile.save(Checkpoint(metadata: meta, model: tensors), to: output)
                count = tensors.count
            }
            console.print("wrote \(output): \(Format.count(count, "tensor"))")
            return .success
        }
    }
}
