import CkptCore
import CkptTestSupport
import Foundation
import HDF5
import Testing
@testable import CkptFormat

/// Checkpoints cross the language boundary both ways: files written by h5py from real
/// PyTorch state dicts load here; files written here read in h5py, h5dump and PyTorch.
@Suite struct InteropTests {
    let fixtures = Repository.path("fixtures/h5py")

    @Test func checkpointWrittenByH5pyFromTorchLoads() throws {
        let c = try CheckpointFile.load(fixtures + "/checkpoint_torch.h5")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixtures + "/checkpoint_torch.json"))) as! [String: Any]
        #expect(c.model.keys == json["model_keys"] as! [String])
        let w = try #require(c.model["0.weight"]?.tensorValue)
        guard case .float32(let values) = w.storage else { Issue.record("dtype \(w.dtype)"); return }
        #expect(values == (json["first_weight"] as! [Double]).map { Float($0) })
        let o = try #require(c.optimizer)
        #expect(o["type"] == "Adam")
        let group = try #require(o["param_groups"]?.arrayValue?.first?.dictValue)
        #expect(group.keys == json["param_group_keys"] as! [String])
        #expect(group["betas"] == .tuple((json["betas"] as! [Double]).map { .double($0) }))
        #expect(group["foreach"] == StateValue.none && group["weight_decay"] == .int(0) && group["amsgrad"] == .bool(false))
        #expect(group["lr"] == .double(json["lr"] as! Double))
        let s0 = try #require(o["state"]?.dictValue?["0"]?.dictValue)
        #expect(s0["step"]?.tensorValue == .scalar(Float(json["step"] as! Double)))
        guard case .float32(let sq) = s0["exp_avg_sq"]?.tensorValue?.storage else { Issue.record("exp_avg_sq"); return }
        #expect(sq == (json["exp_avg_sq_0"] as! [Double]).map { Float($0) })
        let s = try #require(c.scheduler)
        #expect(s.keys == json["scheduler_keys"] as! [String])
        let children = try #require(s["_schedulers"]?.arrayValue)
        #expect(children.map { $0.dictValue?.keys ?? [] } == json["child_keys"] as! [[String]])
        #expect(s["_last_lr"] == .list((json["last_lr"] as! [Double]).map { .double($0) }))

        // Re-saving here gives the same checkpoint back.
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        try CheckpointFile.save(c, to: dir + "/again.h5")
        #expect(sameCheckpoint(c, try CheckpointFile.load(dir + "/again.h5")))
    }

    /// Every tensor's checksum attribute is checked with python/ckpt_torch.py's XXH64 (the
    /// `xxhash` package when installed, its pure-Python XXH64 otherwise).
    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func h5pyReadsOurCheckpoint() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/ours.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: path)
        let script = """
        import sys, math
        sys.path.insert(0, sys.argv[2] + "/fixtures")
        sys.path.insert(0, sys.argv[2] + "/python")
        import ckpt_h5py, ckpt_torch, h5py, numpy as np
        c = ckpt_h5py.read_checkpoint(sys.argv[1])
        m = c["model"]
        assert list(m) == ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"], list(m)
        assert m["fc.weight"].dtype == np.float32 and math.isnan(m["fc.weight"][0, 0]) and m["fc.weight"][0, 1] == math.inf
        assert np.signbit(m["conv1.bias"][1])
        o = c["optimizer"]
        assert o["type"] == "Adam" and list(o) == ["type", "state", "param_groups"]
        g = o["param_groups"][0]
        assert g["betas"] == (0.9, 0.999) and g["foreach"] is None and g["amsgrad"] is False
        assert g["weight_decay"] == 0 and type(g["weight_decay"]) is int and g["params"] == [0, 1, 2, 3]
        assert g["param_names"][0] == "conv1.weight"
        assert list(o["state"]) == [0, 1] and o["state"][0]["step"].shape == () and o["state"][0]["step"].dtype == np.float32
        s = c["scheduler"]
        assert s["type"] == "SequentialLR" and [x["type"] for x in s["_schedulers"]] == ["LinearLR", "StepLR"]
        assert s["_schedulers"][0]["_is_initial"] is False
        assert c["progress"]["lr"].shape == (3, 1) and c["progress"]["lr"].dtype == np.float64
        with h5py.File(sys.argv[1], "r") as f:
            assert f["optimizer/state/1"].attrs["param_name"] == "conv1.bias"
            checked = []
            def check(name, obj):
                if isinstance(obj, h5py.Dataset):
                    assert obj.attrs["checksum"] == ckpt_torch.checksum(obj[()]), name
                    checked.append(name)
            f.visititems(check)
            assert len(checked) >= 10, checked
        print("ok")
        """
        let r = try #require(Subprocess.runTool("python3", ["-c", script, path, Repository.root]))
        #expect(r.status == 0, "\(r.output)")
    }

    @Test(.enabled(if: Tools.hasH5dump, "h5dump is not installed (Debian: hdf5-tools)"))
    func h5dumpReadsOurCheckpoint() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/ours.h5"
        try CheckpointFile.save(sampleCheckpoint(), to: path)
        let r = try #require(Subprocess.runTool("h5dump", ["-A", path]))
        #expect(r.status == 0, "\(r.output.prefix(2000))")
        #expect(r.output.contains("DATASET \"conv1.weight\""))
        #expect(r.output.contains("H5T_IEEE_F32LE"))
        #expect(r.output.contains("\"SequentialLR\""))
        let data = try #require(Subprocess.runTool("h5dump", ["-d", "/progress/lr", path]))
        #expect(data.status == 0 && data.output.contains("0.00075"))
    }

    @Test(.enabled(if: Tools.hasTorch, "python3 with torch, h5py and numpy is not installed"))
    func pytorchLoadsOurCheckpointThroughTheDocumentedSnippet() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let script = Repository.path("fixtures/torch_roundtrip.py")
        // 1. PyTorch trains a step and writes its state with the reference h5py writer.
        let w = try #require(Subprocess.runTool("python3", [script, "write", dir + "/py.h5"]))
        #expect(w.status == 0, "\(w.output)")
        // 2. We load it and write our own file.
        try CheckpointFile.save(try CheckpointFile.load(dir + "/py.h5"), to: dir + "/swift.h5")
        // 3. The docs' h5py snippet turns our file into state dicts PyTorch's load_state_dict takes.
        let r = try #require(Subprocess.runTool("python3", [script, "check", dir + "/swift.h5", dir + "/py.h5"]))
        #expect(r.status == 0, "\(r.output)")
    }
}

@Suite struct DataFileTests {
    let fixture = Repository.path("fixtures/h5py/data_uint8.h5")

    @Test func uint8ImagesNormaliseExactlyLikeTorchvision() throws {
        let d = try DataFile.load(path: fixture)
        #expect(d.images.shape == [2, 3, 32, 32])
        #expect(d.labels == [3, 9])
        let expected = try HDF5File.open(fixture).root().openDataset("expected").read(as: Float.self)
        #expect(d.images.storage.map(\.bitPattern) == expected.map(\.bitPattern))
        #expect(throws: CheckpointError.self) { try DataFile.load(path: fixture, classCount: 5) }
        #expect(try DataFile.load(path: fixture, classCount: 10).count == 2)
    }

    @Test func shapesDtypesAndLabelsAreValidated() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        func make(_ name: String, _ body: (HDF5Group) throws -> Void) throws -> String {
            let p = dir + "/" + name
            let f = try HDF5File.create(p)
            try body(try f.root())
            try f.close()
            return p
        }
        let float = try make("f.h5") { r in
            try r.createDataset("images", values: [Float](repeating: 0.5, count: 6), shape: [3, 2])
            try r.createDataset("labels", values: [Int64(0), 1, 1])
        }
        let d = try DataFile.load(path: float)
        #expect(d.images.shape == [3, 2] && d.images.storage == [Float](repeating: 0.5, count: 6))
        let mismatch = try make("m.h5") { r in
            try r.createDataset("images", values: [UInt8](repeating: 1, count: 6), shape: [3, 2])
            try r.createDataset("labels", values: [Int64(0), 1])
        }
        #expect(throws: CheckpointError.self) { try DataFile.load(path: mismatch) }
        let negative = try make("n.h5") { r in
            try r.createDataset("images", values: [UInt8](repeating: 1, count: 2), shape: [1, 2])
            try r.createDataset("labels", values: [Int64(-1)])
        }
        #expect(throws: CheckpointError.self) { try DataFile.load(path: negative) }
        let f64 = try make("d.h5") { r in
            try r.createDataset("images", values: [Double](repeating: 1, count: 2), shape: [1, 2])
            try r.createDataset("labels", values: [Int64(0)])
        }
        #expect(throws: CheckpointError.self) { try DataFile.load(path: f64) }
        let missing = try make("x.h5") { r in
            try r.createDataset("images", values: [UInt8](repeating: 1, count: 2), shape: [1, 2])
        }
        #expect(throws: CheckpointError.missing(file: missing, path: "/labels")) { try DataFile.load(path: missing) }
    }
}
