import CkptTestSupport
import Foundation
import HDF5
import Testing

/// Reads fixtures/h5py/types.h5, written by h5py without creation-order tracking.
@Suite struct HDF5ForeignFileTests {
    let path = fixturesDirectory + "/types.h5"

    @Test func datasetsWrittenByH5pyReadBack() throws {
        let g = try HDF5File.open(path).root().openGroup("data")
        #expect(try g.openDataset("f16").elementType() == .float16)
        var half = [UInt16](repeating: 0, count: 4)
        try half.withUnsafeMutableBytes { try g.openDataset("f16").read(into: $0, as: .float16) }
        // numpy float16 bits of 1.0, -2.5, inf, 65504
        #expect(half == [0x3C00, 0xC100, 0x7C00, 0x7BFF])
        let f32 = try g.openDataset("f32").read(as: Float.self)
        #expect(f32[0] == 1.5 && f32[1].sign == .minus && f32[1] == 0 && f32[2].isNaN && f32[3] == 3e38)
        #expect(try g.openDataset("f32").shape() == [2, 2])
        #expect(try g.openDataset("f64").read(as: Double.self) == [1e-300, -1e300])
        #expect(try g.openDataset("i8").read(as: Int8.self) == [-128, 127])
        #expect(try g.openDataset("i32").read(as: Int32.self) == [Int32.min, Int32.max])
        #expect(try g.openDataset("i64").read(as: Int64.self) == [Int64.min, Int64.max])
        #expect(try g.openDataset("u8").read(as: UInt8.self) == [0, 255])
        #expect(try g.openDataset("u64").read(as: UInt64.self) == [UInt64.max])
        #expect(try g.openDataset("bool").elementType() == .bool)
        #expect(try g.openDataset("bool").read(as: Bool.self) == [true, false, true])
        #expect(try g.openDataset("scalar").shape() == [])
        #expect(try g.openDataset("scalar").read(as: Float.self) == [7.25])
        #expect(try g.openDataset("empty").shape() == [0, 3])
        #expect(try g.openDataset("empty").read(as: Float.self) == [])
        #expect(try g.openDataset("vstr").readStrings() == ["α", "beta"])
        #expect(try g.openDataset("fstr").readStrings() == ["ab", "cde"])
        #expect(try g.openDataset("gzip").layout() == .chunked)
        #expect(try g.openDataset("gzip").read(as: Int64.self) == (0..<100).map { Int64($0) })
        #expect(try g.openDataset("compound").elementType() == nil)
        #expect(try g.openDataset("compound").typeDescription() == "compound")
    }

    @Test func attributesWrittenByH5pyReadBackInNameOrder() throws {
        let a = try HDF5File.open(path).root().openGroup("attrs")
        // No creation order in this file: name order is the fallback.
        let names = try a.attributeNames()
        #expect(names == names.sorted())
        #expect(Set(names) == ["zebra", "apple", "flag", "text", "none", "ints", "floats32", "bools", "strings", "fixed", "matrix"])
        #expect(try a.readAttribute("zebra") == .scalar(1.5))
        #expect(try a.readAttribute("apple") == .scalar(Int64(-3)))
        #expect(try a.readAttribute("flag") == .scalar(true))
        #expect(try a.readAttribute("text") == .string("héllo"))
        #expect(try a.readAttribute("none") == .empty)
        #expect(try a.readAttribute("ints") == .array([Int64(1), 2, 2, 3]))
        #expect(try a.readAttribute("floats32") == .array([Float(0.5), 0.25]))
        #expect(try a.readAttribute("bools") == .array([true, false]))
        #expect(try a.readAttribute("strings") == .stringArray(["x", "yz"]))
        #expect(try a.readAttribute("fixed") == .string("fixed"))
        #expect(try a.readAttribute("matrix").shape == [2, 3])
    }

    @Test func linksAreReportedNotFollowed() throws {
        let root = try HDF5File.open(path).root()
        #expect(try root.childKind("soft") == .softLink(target: "/data/f32"))
        #expect(try root.childKind("external") == .externalLink(target: "elsewhere.h5:/x"))
        #expect(throws: HDF5Error.self) { try root.openDataset("soft") }
        #expect(throws: HDF5Error.self) { try root.openGroup("external") }
    }

    @Test func treeWalkIsBoundedAndSurvivesCycles() throws {
        let tree = try HDF5Tree.read(path)
        #expect(!tree.truncated)
        let top = tree.root.children.map(\.name)
        #expect(Set(top) == ["attrs", "data", "soft", "external", "zz_created_first_alphabetically_last"])
        let attrs = try #require(tree.root.children.first { $0.name == "attrs" })
        let loop = try #require(attrs.children.first { $0.name == "loop" })
        #expect(loop.kind == .alreadyListed(path: "/attrs"))
        let data = try #require(tree.root.children.first { $0.name == "data" })
        let f32 = try #require(data.children.first { $0.name == "f32" })
        guard case .dataset(let info) = f32.kind else { Issue.record("f32 is \(f32.kind)"); return }
        #expect(info.shape == [2, 2] && info.type == "float32" && info.layout == .contiguous && info.storageBytes == 16)
        #expect(attrs.attributes.first { $0.info.name == "text" }?.value == .string("héllo"))
        let small = try HDF5Tree.read(path, maxNodes: 3)
        #expect(small.truncated)
    }
}

@Suite struct HDF5ErrorTests {
    @Test func missingFileNamesThePath() throws {
        do {
            _ = try HDF5File.open("/nonexistent/dir/x.h5")
            Issue.record("opened a missing file")
        } catch let e as HDF5Error {
            #expect(e.file == "/nonexistent/dir/x.h5")
            #expect(e.path == "/")
            #expect(e.description.contains("/nonexistent/dir/x.h5"))
        }
    }

    @Test func randomBytesAndTruncatedFilesFailCleanly() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let junk = dir + "/junk.h5"
        FileManager.default.createFile(atPath: junk, contents: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        #expect(throws: HDF5Error.self) { try HDF5File.open(junk) }
        let fixture = try Data(contentsOf: URL(fileURLWithPath: fixturesDirectory + "/types.h5"))
        for cut in [0, 8, 100, fixture.count / 2, fixture.count - 1] {
            let p = dir + "/cut\(cut).h5"
            FileManager.default.createFile(atPath: p, contents: fixture.prefix(cut))
            // Either the open fails, or a full walk reports errors: never a crash.
            if let tree = try? HDF5Tree.read(p) { _ = tree.root.children.count }
        }
    }

    @Test func errorsNameObjectPaths() throws {
        let root = try HDF5File.open(fixturesDirectory + "/types.h5").root()
        do {
            _ = try root.openGroup("data").openDataset("nope")
            Issue.record("opened a missing dataset")
        } catch let e as HDF5Error {
            #expect(e.path == "/data/nope")
        }
    }
}

/// Files written here, read by the reference tools (skipped when they are not installed).
@Suite struct HDF5InteropTests {
    @Test(.enabled(if: Tools.hasH5py, "python3 with h5py and numpy is not installed"))
    func h5pyReadsOurTypes() throws {
        let dir = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/ours.h5"
        do {
            let f = try HDF5File.create(path)
            let root = try f.root()
            try [UInt16(0x3C00), 0xC100].withUnsafeBytes { _ = try root.createDataset("half", type: .float16, shape: [2], bytes: $0) }
            try root.createDataset("flags", values: [true, false])
            try root.createDataset("zeroD", values: [Double(2.5)], shape: [])
            let g = try root.createGroup("g")
            try g.writeAttribute("b", .scalar(true))
            try g.writeAttribute("a", .empty)
            try g.writeAttribute("s", .string("ü"))
            try g.writeAttribute("l", .array([Int64(3), 3]))
            try f.close()
        }
        let script = """
        import sys, h5py, numpy as np
        f = h5py.File(sys.argv[1], "r")
        assert f["half"].dtype == np.float16 and list(f["half"][()]) == [1.0, -2.5], f["half"][()]
        assert f["flags"].dtype == np.bool_ and list(f["flags"][()]) == [True, False]
        assert f["zeroD"].shape == () and f["zeroD"][()] == 2.5
        g = f["g"]
        assert list(g.attrs) == ["b", "a", "s", "l"], list(g.attrs)
        assert g.attrs["b"] is np.True_ or g.attrs["b"] == True and g.attrs["b"].dtype == np.bool_
        assert isinstance(g.attrs["a"], h5py.Empty)
        assert g.attrs["s"] == "ü"
        assert g.attrs["l"].dtype == np.int64 and list(g.attrs["l"]) == [3, 3]
        assert list(f) == ["half", "flags", "zeroD", "g"], list(f)
        print("ok")
        """
        let r = try #require(Subprocess.runTool("python3", ["-c", script, path]))
        #expect(r.status == 0, "\(r.output)")
    }
}
