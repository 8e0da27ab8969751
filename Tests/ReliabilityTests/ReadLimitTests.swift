import CHDF5
import Ckpt
@_spi(Testing) @testable import CkptFormat
import CkptTestSupport
import Foundation
@_spi(Testing) @testable import HDF5
import Testing

/// Files that are sound but slow for libhdf5 1.10 to read end in a message that says what
/// happened and what to do, not in a time-out blamed on the file:
/// - attributes kept without a name index (an HDF5 1.6 object header, h5py's default) cost a
///   linear search each, so more than `HDF5File.maxUnindexedAttributes` on one object are
///   refused before any is read (30,000 on one group took 4-10 s of CPU:
///   scripts/reliability/hostile_files.py's overrun), by the isolated probe and the in-process
///   reader in the same words;
/// - a read that reaches its time limit names the file, the limit and `CKPT_READ_SECONDS`.
extension ForeignFileTests {
    /// A file written with libhdf5's default (earliest) format: the root's `count` attributes
    /// are messages of a version-1 object header, with no name index; plus one dataset.
    func writeUnindexedAttributes(_ path: String, count: Int) throws {
        let f = H5Fcreate(path, ckpt_H5F_ACC_TRUNC(), ckpt_H5P_DEFAULT(), ckpt_H5P_DEFAULT())
        try #require(f >= 0)
        defer { H5Fclose(f) }
        let space = H5Screate(ckpt_H5S_SCALAR())
        defer { H5Sclose(space) }
        for i in 0..<count {
            let a = H5Acreate2(f, "a\(i)", ckpt_H5T_STD_I64LE(), space, ckpt_H5P_DEFAULT(), ckpt_H5P_DEFAULT())
            try #require(a >= 0)
            var v = Int64(i)
            H5Awrite(a, ckpt_H5T_NATIVE_INT64(), &v)
            H5Aclose(a)
        }
        let d = H5Dcreate2(f, "w", ckpt_H5T_IEEE_F32LE(), space, ckpt_H5P_DEFAULT(), ckpt_H5P_DEFAULT(), ckpt_H5P_DEFAULT())
        try #require(d >= 0)
        H5Dclose(d)
    }

    /// 8,193 unindexed attributes: refused in the copy and in-process alike, in one message
    /// naming the file, the object, the count, the limit and the remedy; the rest of the file
    /// still reads.
    @Test func moreUnindexedAttributesThanTheLimitAreRefusedWithTheRemedy() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/many.h5"
        try writeUnindexedAttributes(path, count: HDF5File.maxUnindexedAttributes + 1)
        let (reference, isolated) = bothWays { () throws -> [String] in
            let file = try ForeignFile.open(path, rejectingMismatch: false)
            #expect(try file.root().childNames() == ["w"])
            return try file.root().attributeNames()
        }
        guard case .failure(let e as HDF5Error) = isolated else {
            Issue.record("expected an HDF5Error, got \(describe(isolated))")
            return
        }
        #expect(e.file == path && e.path == "/" && e.operation == "list attributes")
        #expect(e.reason.hasPrefix("8193 attributes stored without a name index (an HDF5 1.6 object header, h5py's default)"), "\(e.reason)")
        #expect(e.reason.contains("ckpt reads at most 8192 per object"), "\(e.reason)")
        #expect(e.reason.contains(#"h5py.File(path, "w", libver="latest")"#), "\(e.reason)")
        #expect(describe(isolated) == describe(reference))
    }

    /// The probe's limit is its own (`Limits.maxUnindexedAttributes`): one over refuses the
    /// listing before any attribute is read, at the limit every attribute is copied.
    @Test func theProbeRefusesOnlyPastItsLimit() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/eleven.h5"
        try writeUnindexedAttributes(path, count: 11)
        for (limit, refused) in [(10, true), (11, false), (0, false)] {
            var limits = HDF5Probe.Limits.forFile(bytes: 0)
            limits.maxUnindexedAttributes = limit
            let (outcome, findings) = HDF5Probe.rebuild(path, into: dir + "/copy.h5", limits: limits)
            #expect(outcome == .ok)
            let listing = findings.first { $0.scope == .attributes && $0.path == "/" }
            #expect((listing != nil) == refused, "limit \(limit): \(findings)")
            if let listing { #expect(listing.reason.hasPrefix("11 attributes stored without a name index"), "\(listing.reason)") }
        }
    }

    /// Attributes with a name index (dense storage, as ckpt and h5py's libver="latest" write
    /// them) cost log n each: 8,193 of them are read, isolated and in-process.
    @Test func indexedAttributesAreNotLimited() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/indexed.h5"
        let n = HDF5File.maxUnindexedAttributes + 1
        do {
            let f = try HDF5File.create(path)
            let g = try f.root().createGroup("g")
            for i in 0..<n { try g.writeAttribute("a\(i)", .scalar(Int64(i))) }
            try f.close()
        }
        let (reference, isolated) = bothWays { () throws -> Int in
            try ForeignFile.open(path, rejectingMismatch: false).root().openGroup("g").attributeNames().count
        }
        #expect(try isolated.get() == n)
        #expect(try reference.get() == n)
    }

    /// `inspect`'s tree of a file that is not a checkpoint says why an object's attributes are
    /// not listed instead of listing none.
    @Test func theTreeSaysWhyAttributesAreNotListed() throws {
        let dir = makeScratchDirectory()
        defer { removeDirectory(dir) }
        let path = dir + "/many.h5"
        try writeUnindexedAttributes(path, count: HDF5File.maxUnindexedAttributes + 1)
        let root = try FileTreeNode.list(path)
        #expect(root.attributes.count == 1)
        #expect(root.attributes.first?.name == "(attributes not listed)")
        #expect(root.attributes.first?.type.hasPrefix("8193 attributes stored without a name index") == true)
        #expect(root.children.map(\.name) == ["w"])
    }

    /// The words of a read stopped at its time limit (the probe's `.timedOut` / `.cpuLimit`).
    @Test func aStoppedReadNamesTheFileTheLimitAndHowToRaiseIt() {
        let e = ForeignFile.stopped("/data/big.h5", after: "17 s of CPU time", limit: 17, bytes: 250 << 20,
                                    "it has no ckpt manifest")
        #expect(e.file == "/data/big.h5")
        let words = "/data/big.h5: /: unreadable: reading stopped after 17 s of CPU time, the limit for a file of 250 MiB: "
            + "it has no ckpt manifest, so ckpt reads it first in an isolated process, which it stops after a time that "
            + "grows with the file's size (a crafted file can make libhdf5 loop forever); if the file is sound and just "
            + "large, allow more time with CKPT_READ_SECONDS=68 in ckpt's environment"
        #expect("\(e)" == words)
    }

    @Test func readSecondsAreAWholeNumberInRange() {
        #expect(ReadTimeLimit.parse("120") == 120)
        #expect(ReadTimeLimit.parse("1000000") == 1_000_000)
        for bad in [nil, "", "0", "-5", "1e3", "12.5", "ten", "1000001", " 60"] {
            #expect(ReadTimeLimit.parse(bad) == nil, "\(String(describing: bad))")
        }
    }
}
