import CkptTestSupport
import Foundation
import Testing
import CkptCore
import CkptFormat
@testable import CkptCLI

/// `ckpt inspect` reads safetensors files (by extension or by their bytes) with the reader
/// `convert` uses; a damaged one is refused naming the header bytes, offsets and tensor at
/// fault, where it used to be "not a readable HDF5 file ... not truncated".
@Suite struct InspectSafetensorsTests {
    let dir: String
    let file: String
    let bytes: [UInt8]

    init() throws {
        dir = NSTemporaryDirectory() + "ckpt-inspect-st-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        file = dir + "/w.safetensors"
        let tensors: StateDict = [
            "fc1.weight": .tensor(TensorData(shape: [2, 3], storage: .float32([1, 2, 3, 4, 5, .nan]))),
            "fc1.bias": .tensor(TensorData(shape: [2], storage: .float32([0.5, -0.5]))),
        ]
        try Safetensors.write(tensors, metadata: [("format", "pt")], to: file, durable: false)
        bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
    }

    func inspect(_ args: [String]) throws -> (status: CommandStatus, out: String, err: String) {
        let command = try InspectCommand.parse(args)
        return runCommand { try command.execute(console: $0, reader: .hdf5) }
    }

    func variant(_ name: String, _ b: [UInt8]) -> String {
        let p = dir + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(b))
        return p
    }

    var headerLength: Int { Int(bytes[0]) | Int(bytes[1]) << 8 }

    @Test func listsMetadataAndTensors() throws {
        let r = try inspect([file])
        #expect(r.status == .success, "\(r.err)")
        #expect(r.out.hasPrefix("\(file): safetensors, 2 tensors\n__metadata__:\n  format  pt\n\nmodel: 2 tensors, 8 elements, 32 B\n"), "\(r.out)")
        let t = try inspect([file, "model/fc1.weight", "--stats", "--json"])
        let d = try #require(try JSON.parse(t.out).dictValue)
        #expect(d["shape"] == .list([2, 3]))
        #expect(d["stats"]?.dictValue?["nan"] == 1)
        let renamed = variant("weights.bin", bytes)
        #expect(try inspect([renamed]).out.hasPrefix("\(renamed): safetensors, 2 tensors"))
    }

    @Test func truncatedDataNamesTheLastTensorAndTheMissingBytes() throws {
        let p = variant("cut.safetensors", Array(bytes.dropLast(10)))
        let r = try inspect([p])
        #expect(r.status == .badInput)
        #expect(r.err == "\(p): data: the header's last tensor 'fc1.bias' (data_offsets [24, 32]) ends at byte 32 of the data section (file offset \(8 + headerLength + 32)), but the file ends at \(bytes.count - 10): truncated, 10 bytes missing", "\(r.err)")
    }

    @Test func truncatedHeaderSaysWhereTheHeaderEnds() throws {
        let p = variant("head.safetensors", Array(bytes.prefix(30)))
        let r = try inspect([p])
        #expect(r.err == "\(p): header: the JSON header is \(headerLength) bytes long (bytes 8..<\(8 + headerLength)) but the file ends at byte 30: truncated inside its header (\(8 + headerLength - 30) bytes missing), or not a safetensors file", "\(r.err)")
    }

    @Test func trailingBytesAreNamed() throws {
        let p = variant("long.safetensors", bytes + [0, 0, 0, 0])
        let r = try inspect([p])
        #expect(r.err.hasSuffix("data: 4 bytes (file offsets \(bytes.count)..<\(bytes.count + 4)) follow the header's last tensor 'fc1.bias' (data_offsets [24, 32]), described by no entry (the reference reader refuses such a file)"), "\(r.err)")
    }

    @Test func aValidButUnsupportedDtypeIsNamed() throws {
        let header = Array(#"{"w":{"dtype":"U16","shape":[2],"data_offsets":[0,4]}}"#.utf8)
        var b = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        b += [0, 0, 0, 0]
        let p = variant("u16.safetensors", b)
        let r = try inspect([p])
        #expect(r.err == "\(p): w: dtype U16 is not supported (F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL): valid safetensors, but ckpt does not read it; convert the tensor to one of those (float32) first", "\(r.err)")
    }

    @Test func invalidJSONGivesTheFileOffset() throws {
        let header = Array(#"{"w": [1,,"#.utf8)
        let b = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
        let p = variant("json.safetensors", b)
        let r = try inspect([p])
        #expect(r.err == ("\(p): header: the JSON header (bytes 8..<\(8 + header.count)) is not valid: invalid JSON at byte 9: unexpected ',', expected a value (file offset 17)"), "\(r.err)")
    }
}
