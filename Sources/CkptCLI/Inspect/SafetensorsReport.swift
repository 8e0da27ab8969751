#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore
import CkptFormat

/// What `ckpt inspect` shows of a safetensors file: a headline, the `__metadata__` strings and
/// the tensors as a checkpoint's model section (same table, `--stats`, PATHs `model` and
/// `model/<name>`). The file is read and validated by `Safetensors.read`, the reader `convert`
/// uses, so a file that is not sound is refused naming the header field or offset at fault.
struct SafetensorsReport {
    var file: String
    var metadata: [(key: String, value: String)]
    /// The tensors as a model-only checkpoint, for `CheckpointReport`'s model section.
    var report: CheckpointReport

    /// Whether `path` is to be read as safetensors: its extension says so, or its bytes do
    /// (a little-endian header length that fits the file, then `{`), whatever its name. HDF5
    /// files start with their signature or ckpt's manifest, never like that.
    static func recognises(_ path: String) -> Bool {
        if path.lowercased().hasSuffix(".safetensors") { return true }
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
        var head = [UInt8](repeating: 0, count: 9)
        guard head.withUnsafeMutableBytes({ pread(fd, $0.baseAddress!, 9, 0) }) == 9, head[8] == UInt8(ascii: "{") else {
            return false
        }
        let n = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return n >= 2 && n <= UInt64(Int(st.st_size) - 8)
    }

    /// Reads `file` (errors name the file and what is wrong in it).
    init(file: String, stats: Bool, chartWidth: Int) throws {
        let (tensors, metadata) = try Safetensors.read(file)
        self.file = file
        self.metadata = metadata
        report = CheckpointReport(file: file, checkpoint: Checkpoint(metadata: [:], model: tensors), stats: stats,
                                  chartWidth: chartWidth)
    }

    var outline: CheckpointOutline { CheckpointOutline(report.checkpoint, file: file) }

    /// The whole file, or the part at `path` (nil: the file holds nothing there).
    func part(_ path: [String]) -> CheckpointReport.Part? {
        if path.isEmpty { return full() }
        if path == ["metadata"] { return metadataPart() }
        if path == ["model"] { return report.model() }
        guard path.first == "model", let value = report.value(at: path) else { return nil }
        return report.entry(value, path: path.joined(separator: "/"))
    }

    func full() -> CheckpointReport.Part {
        let meta = metadataPart(), model = report.model()
        var json: StateDict = ["file": .string(file), "kind": "safetensors"]
        json["metadata"] = meta.json
        json["model"] = model.json
        return CheckpointReport.Part(json: .dict(json), lines: meta.lines + [""] + model.lines)
    }

    func metadataPart() -> CheckpointReport.Part {
        var lines = ["\(file): safetensors, \(Format.count(report.checkpoint.model.count, "tensor"))"]
        var json = StateDict()
        var table = TextTable([])
        for (k, v) in metadata {
            json[k] = .string(v)
            table.add([k, v])
        }
        if !metadata.isEmpty { lines.append("__metadata__:") }
        lines += table.lines(indent: "  ")
        return CheckpointReport.Part(json: .dict(json), lines: lines)
    }
}
