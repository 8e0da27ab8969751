import Ckpt

extension CheckpointReport {
    /// `/averaged_model` (PyTorch's `AveragedModel.state_dict()`): `n_averaged`, then one row
    /// per averaged parameter, named as in the model (without `module.`).
    func averagedModel() -> Part? {
        guard let a = checkpoint.averagedModel else { return nil }
        var count: StateValue = .none
        if let t = a["n_averaged"]?.tensorValue, case .int64(let v) = t.storage, v.count == 1 { count = .int(v[0]) }
        var entries: [StateValue] = []
        var elements = 0
        var table = TextTable(["name", "dtype", "shape", "size"], rightAligned: [3])
        for (key, value) in a where key != "n_averaged" {
            guard let t = value.tensorValue else {
                entries.append(.dict(["name": .string(key), "value": value.jsonSummary]))
                table.add([key, value.kindName])
                continue
            }
            let n = CheckpointOutline.elementCount(t)
            elements += n
            entries.append(.dict(["name": .string(key), "dtype": .string(t.dtype.rawValue), "shape": t.shape.shapeJSON,
                                  "size": .int(Int64(n))]))
            table.add([key, t.dtype.rawValue, Format.shape(t.shape), "\(n)"])
        }
        let head = "averaged_model: n_averaged \(count.intValue.map(String.init) ?? "?"), "
            + "\(Format.count(entries.count, "tensor")), \(Format.count(elements, "element"))"
        let json: StateDict = ["n_averaged": count, "tensors": .int(Int64(entries.count)),
                               "elements": .int(Int64(elements)), "entries": .list(entries)]
        return Part(json: .dict(json), lines: [head] + table.lines())
    }
}
