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
        abstract: "Convert model weights between a checkpoint and a .safetensors file.",
        discussion: """
            IN.h5 OUT.safetensors writes the checkpoint's /model tensors (checksums verified \
            first) in model order, with __metadata__ {"format": "pt"}. IN.safetensors OUT.h5 \
            validates the file as the reference implementation does (header size, offsets \
            contiguous without holes or overlap, sizes, dtypes F32 F64 F16 I64 I32 U8 BOOL) and \
            writes a model-only checkpoint; the safetensors metadata goes to the root attribute \
            safetensors_metadata (JSON). Checkpoint extensions: .h5 .hdf5 .ckpt. OUT is written \
            atomically. IN.pt / IN.pth (a torch.save file, read without running any code) \
            converts to OUT.h5 (model, optimizer, scheduler and epoch as docs/TORCH.md maps \
            them) or to OUT.safetensors (its model tensors). --averaged exports the weight \
            average (/averaged_model, SWA or EMA) instead of /model, under the model's names. \
            Exit status: 0 done, 2 bad usage or bad input.
            """)

    @Argument(help: ArgumentHelp("The file to read (.h5/.hdf5/.ckpt, .safetensors or .pt/.pth).", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("The file to write (.safetensors or .h5/.hdf5/.ckpt).", valueName: "out"))
    var output: String

    @Flag(help: "Replace OUT even when it is a checkpoint (a weights-only file replaces a training checkpoint).")
    var force = false

    @Flag(help: "Export the checkpoint's weight average (/averaged_model) instead of /model (to .safetensors).")
    var averaged = false

    init() {}

    enum Kind { case checkpoint, safetensors, torch }

    static func kind(_ path: String) -> Kind? {
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
        guard let b = Self.kind(output) else {
            throw ValidationError("cannot tell the format of \(output) from its extension (.h5, .hdf5, .ckpt or .safetensors)")
        }
        guard b != .torch else {
            throw ValidationError("writing .pt / .pth files is not supported yet; write .h5 or .safetensors")
        }
        guard a != b else {
            throw ValidationError("\(input) and \(output) are the same format: one side must be .safetensors, the other a checkpoint")
        }
        if averaged && !(a == .checkpoint && b == .safetensors) {
            throw ValidationError("--averaged exports a checkpoint's /averaged_model: IN must be a checkpoint, OUT .safetensors")
        }
    }

    func run() throws {
        try run { console in
            try OutputTarget.refuseReplacingCheckpoint(output, with: "a converted file", force: force)
            let count: Int
            switch Self.kind(input) {
            case .torch? where Self.kind(output) == .checkpoint:
                // CheckpointFile.load reads torch.save files (TorchCheckpoint's key mapping).
                let c = try CheckpointFile.load(input)
                try CheckpointFile.save(c, to: output)
                count = c.model.count
            case .checkpoint? where averaged:
                let c = try CheckpointFile.load(input)
                let weights = try AveragedWeights.modelStateDict(c, file: input)
                try Safetensors.write(weights, metadata: [("format", "pt")], to: output)
                count = weights.count
            case .checkpoint?, .torch?:
                let c = try CheckpointFile.load(input)
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
