#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CkptCore

/// The safetensors format (Hugging Face, mlx-swift, PyTorch via the `safetensors` package):
/// an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// `{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
///   "__metadata__": {"key": "value"}}`, then the tensors' raw little-endian row-major bytes,
/// with offsets relative to the end of the header.
///
/// Files are untrusted and validated as the reference implementation (`safetensors` 0.x,
/// `SafeTensors::deserialize` + `validate`) does, before anything is allocated for tensor
/// data: header length at most `maxHeaderBytes` and within the file; the header is a JSON
/// object starting with `{`; each entry names a supported dtype, a shape of non-negative
/// ints and two offsets; taken in offset order the tensors are contiguous from 0 (no holes,
/// no overlap) and end exactly at the end of the file; element count × dtype size is computed
/// with overflow checks and must equal the byte range. Supported dtypes: F32, F64, F16, I64,
/// I32, U8, BOOL (the others the reference knows are refused by name).
///
/// Writing follows the reference writer: the header is padded with spaces to a multiple of
/// 8 bytes, so every tensor starts 8-byte aligned in a file.
public enum Safetensors {
    /// The reference implementation's `MAX_HEADER_SIZE` (100 MB).
    public static let maxHeaderBytes = 100_000_000
    static let metadataKey = "__metadata__"

    /// A parsed header entry: where one tensor's bytes are in the data section.
    public struct Entry: Equatable, Sendable {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        /// `[begin, end)` relative to the start of the data section.
        public var begin: Int
        public var end: Int
    }

    /// A parsed and validated header: the tensors in data-offset order and `__metadata__`.
    public struct Header: Equatable, Sendable {
        public var entries: [Entry]
        public var metadata: [(key: String, value: String)]
        /// Bytes before the data section (8 + N).
        public var dataStart: Int

        public static func == (a: Header, b: Header) -> Bool {
            a.entries == b.entries && a.dataStart == b.dataStart
                && a.metadata.map(\.key) == b.metadata.map(\.key) && a.metadata.map(\.value) == b.metadata.map(\.value)
        }
    }

    /// Every dtype the reference implementation knows (for messages: a valid file ckpt cannot read).
    static let knownDTypes: Set<String> = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                                           "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64"]

    static func dtype(_ name: String) -> DType? {
        switch name {
        case "F32": .float32
        case "F64": .float64
        case "F16": .float16
        case "BF16": .bfloat16
        case "I64": .int64
        case "I32": .int32
        case "I16": .int16
        case "I8": .int8
        case "U8": .uint8
        case "BOOL": .bool
        default: nil
        }
    }

    static func name(_ dtype: DType) -> String {
        switch dtype {
        case .float32: "F32"
        case .float64: "F64"
        case .float16: "F16"
        case .bfloat16: "BF16"
        case .int64: "I64"
        case .int32: "I32"
        case .int16: "I16"
        case .int8: "I8"
        case .uint8: "U8"
        case .bool: "BOOL"
        }
    }

    // MARK: - reading

    /// Parses and validates the header of a safetensors file of `fileSize` bytes whose first
    /// bytes are `prefix` (at least 8, and the whole header when the length allows).
    /// `file` names the file in errors.
    public static func parseHeader(_ prefix: [UInt8], fileSize: Int, file: String) throws -> Header {
        func bad(_ path: String, _ reason: String) -> CheckpointError { .malformed(file: file, path: path, reason: reason) }
        guard fileSize >= 8, prefix.count >= 8 else {
            throw bad("header", "the file has \(fileSize) bytes, fewer than the 8-byte header length a safetensors file starts with: it is truncated or empty")
        }
        var n64: UInt64 = 0
        for i in (0..<8).reversed() { n64 = n64 << 8 | UInt64(prefix[i]) }
        guard n64 <= UInt64(maxHeaderBytes) else {
            throw bad("header", "header length \(n64) (bytes 0..<8, little-endian) exceeds the limit of \(maxHeaderBytes) bytes: not a safetensors file, or its first bytes are damaged")
        }
        let n = Int(n64)
        guard 8 + n <= fileSize, 8 + n <= prefix.count else {
            throw bad("header", "the JSON header is \(n) bytes long (bytes 8..<\(8 + n)) but the file ends at byte \(fileSize): "
                          + "truncated inside its header (\(8 + n - fileSize) bytes missing), or not a safetensors file")
        }
        guard let text = String(validating: prefix[8..<(8 + n)], as: UTF8.self) else {
            throw bad("header", "the JSON header (bytes 8..<\(8 + n)) is not valid UTF-8")
        }
        guard text.hasPrefix("{") else { throw bad("header", "the JSON header (bytes 8..<\(8 + n)) must be an object starting with '{' at byte 8") }
        let json: StateValue
        do { json = try JSON.parse(text) } catch let e as JSON.ParseError {
            throw bad("header", "the JSON header (bytes 8..<\(8 + n)) is not valid: \(e) (file offset \(8 + e.offset))")
        } catch {
            throw bad("header", "\(error)")
        }
        guard case .dict(let object) = json else { throw bad("header", "the header is not a JSON object") }

        var entries: [Entry] = []
        var metadata: [(key: String, value: String)] = []
        for (name, value) in object {
            if name == metadataKey {
                guard case .dict(let m) = value else { throw bad(metadataKey, "expected an object of strings") }
                for (k, v) in m {
                    guard case .string(let s) = v else { throw bad("\(metadataKey)/\(k)", "expected a string, found \(v.kindName)") }
                    metadata.append((k, s))
                }
                continue
            }
            entries.append(try entry(name, value, file: file))
        }
        // The reference sorts by offsets and then requires contiguity from 0 to the end.
        entries.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var start = 0
        var previous: Entry?
        for e in entries {
            guard e.end >= e.begin else {
                throw bad(e.name, "data_offsets [\(e.begin), \(e.end)] end before they begin")
            }
            guard e.begin == start else {
                let after = previous.map { "'\($0.name)' (data_offsets [\($0.begin), \($0.end)]) ends at \(start)" }
                    ?? "the data section starts at 0"
                throw bad(e.name, "data_offsets [\(e.begin), \(e.end)] begin at \(e.begin), but \(after): "
                              + (e.begin > start ? "a hole of \(e.begin - start) bytes" : "an overlap of \(start - e.begin) bytes")
                              + " (safetensors requires the tensors to cover the data section back to back)")
            }
            previous = e
            start = e.end
            let bytes: Int
            do {
                bytes = try TensorData.elementCount(e.shape, dtype: e.dtype) * e.dtype.size
            } catch {
                throw bad(e.name, "\(error) (dtype \(name(e.dtype)))")
            }
            guard bytes == e.end - e.begin else {
                throw bad(e.name, "shape \(e.shape) of \(name(e.dtype)) needs \(bytes) bytes, data_offsets give \(e.end - e.begin)")
            }
        }
        let dataBytes = fileSize - 8 - n
        guard start == dataBytes else {
            let last = previous.map { "'\($0.name)' (data_offsets [\($0.begin), \($0.end)])" } ?? "no tensor"
            if start > dataBytes {
                throw bad("data", "the header's last tensor \(last) ends at byte \(start) of the data section (file offset \(8 + n + start)), "
                              + "but the file ends at \(fileSize): truncated, \(start - dataBytes) bytes missing")
            }
            throw bad("data", "\(dataBytes - start) bytes (file offsets \(8 + n + start)..<\(fileSize)) follow the header's last tensor \(last), "
                          + "described by no entry (the reference reader refuses such a file)")
        }
        return Header(entries: entries, metadata: metadata, dataStart: 8 + n)
    }

    private static func entry(_ name: String, _ value: StateValue, file: String) throws -> Entry {
        func bad(_ reason: String) -> CheckpointError { .malformed(file: file, path: name, reason: reason) }
        guard case .dict(let info) = value else { throw bad("expected an object, found \(value.kindName)") }
        guard case .string(let dt)? = info["dtype"] else { throw bad("'dtype' missing or not a string") }
        guard let dtype = dtype(dt) else {
            throw bad("dtype \(dt) is not supported (\(DType.allCases.map { Safetensors.name($0) }.joined(separator: ", ")))"
                      + (knownDTypes.contains(dt) ? ": valid safetensors, but ckpt does not read it; convert the tensor to one of those (float32) first" : ""))
        }
        guard case .list(let dims)? = info["shape"] else { throw bad("'shape' missing or not a list") }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let i) = d, i >= 0 else { throw bad("shape \(JSON.string(.list(dims))) must hold non-negative integers") }
            shape.append(Int(i))
        }
        guard case .list(let offs)? = info["data_offsets"], offs.count == 2,
              case .int(let b) = offs[0], case .int(let e) = offs[1], b >= 0, e >= 0
        else { throw bad("'data_offsets' must be two non-negative integers") }
        return Entry(name: name, dtype: dtype, shape: shape, begin: Int(b), end: Int(e))
    }

    /// Reads the safetensors file at `path`: tensors in data-offset order, and `__metadata__`.
    public static func read(_ path: String) throws -> (tensors: StateDict, metadata: [(key: String, value: String)]) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)  // a FIFO must not block the open
        guard fd >= 0 else { throw CheckpointError.unreadable(file: path, path: "/", reason: AtomicFile.errnoText()) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CheckpointError.unreadable(file: path, path: "/", reason: AtomicFile.errnoText()) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.unreadable(file: path, path: "/", reason: "not a regular file (\(ForeignFile.fileKind(st.st_mode)))")
        }
        let size = Int(st.st_size)
        var lengthBytes = try readExactly(fd, count: min(8, size), at: 0, file: path)
        if lengthBytes.count == 8 {
            var n: UInt64 = 0
            for i in (0..<8).reversed() { n = n << 8 | UInt64(lengthBytes[i]) }
            if n <= UInt64(maxHeaderBytes), 8 + Int(n) <= size {
                lengthBytes += try readExactly(fd, count: Int(n), at: 8, file: path)
            }
        }
        let header = try parseHeader(lengthBytes, fileSize: size, file: path)
        var tensors = StateDict()
        for e in header.entries {
            let count = e.shape.reduce(1, *)
            let offset = header.dataStart + e.begin
            func load<T>(_: T.Type) throws -> [T] {
                var failure: Error?
                let a = [T](unsafeUninitializedCapacity: count) { buf, n in
                    adviseHugePages(UnsafeMutableRawBufferPointer(buf))
                    do { try readInto(fd, UnsafeMutableRawBufferPointer(buf), at: offset, file: path) } catch { failure = error }
                    n = count
                }
                if let failure { throw failure }
                return a
            }
            let storage: TensorData.Storage
            switch e.dtype {
            case .float32: storage = .float32(try load(Float.self))
            case .float64: storage = .float64(try load(Double.self))
            case .float16: storage = .float16(try load(UInt16.self))
            case .bfloat16: storage = .bfloat16(try load(UInt16.self))
            case .int64: storage = .int64(try load(Int64.self))
            case .int32: storage = .int32(try load(Int32.self))
            case .int16: storage = .int16(try load(Int16.self))
            case .int8: storage = .int8(try load(Int8.self))
            case .uint8: storage = .uint8(try load(UInt8.self))
            case .bool: storage = .bool(try load(UInt8.self).map { $0 != 0 })
            }
            do {
                tensors[e.name] = .tensor(try TensorData(validating: e.shape, storage: storage))
            } catch {
                throw CheckpointError.malformed(file: path, path: e.name, reason: "\(error)")
            }
        }
        return (tensors, header.metadata)
    }

    private static func readExactly(_ fd: Int32, count: Int, at offset: Int, file: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        try out.withUnsafeMutableBytes { try readInto(fd, $0, at: offset, file: file) }
        return out
    }

    private static func readInto(_ fd: Int32, _ buf: UnsafeMutableRawBufferPointer, at offset: Int, file: String) throws {
        var done = 0
        while done < buf.count {
            let r = pread(fd, buf.baseAddress! + done, buf.count - done, off_t(offset + done))
            if r < 0, errno == EINTR { continue }
            guard r > 0 else {
                throw CheckpointError.unreadable(file: file, path: "/",
                                                 reason: r == 0 ? "unexpected end of file" : AtomicFile.errnoText())
            }
            done += r
        }
    }

    // MARK: - writing

    /// The header bytes (length prefix + JSON padded with spaces to a multiple of 8) for
    /// `tensors` laid out in order. Only tensors are allowed; `file` names the target in errors.
    public static func header(for tensors: StateDict, metadata: [(key: String, value: String)] = [],
                              file: String) throws -> [UInt8] {
        var object = StateDict()
        if !metadata.isEmpty {
            var m = StateDict()
            for (k, v) in metadata { m[k] = .string(v) }
            object[metadataKey] = .dict(m)
        }
        var offset = 0
        for (name, value) in tensors {
            guard case .tensor(let t) = value else {
                throw CheckpointError.unsupportedValue(file: file, path: name,
                                                       reason: "safetensors holds tensors only, found \(value.kindName)")
            }
            guard name != metadataKey else {
                throw CheckpointError.unsupportedValue(file: file, path: name, reason: "reserved safetensors key")
            }
            object[name] = .dict([
                "dtype": .string(Self.name(t.dtype)),
                "shape": .list(t.shape.map { .int(Int64($0)) }),
                "data_offsets": .list([.int(Int64(offset)), .int(Int64(offset + t.byteCount))]),
            ])
            offset += t.byteCount
        }
        var json = Array(JSON.string(.dict(object)).utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count)
        var n = UInt64(json.count)
        for _ in 0..<8 { out.append(UInt8(n & 0xFF)); n >>= 8 }
        return out + json
    }

    /// Writes `tensors` (every value must be a tensor) as a safetensors file at `path`,
    /// atomically (temporary file, fsync, rename), in their order.
    public static func write(_ tensors: StateDict, metadata: [(key: String, value: String)] = [],
                             to path: String, durable: Bool = true) throws {
        let head = try header(for: tensors, metadata: metadata, file: path)
        try AtomicFile.write(to: path, durable: durable) { tmp in
            let fd = try tmp.createContent()
            func put(_ b: UnsafeRawBufferPointer) throws {
                guard DescriptorCalls.writeAll(fd, b) else { throw tmp.failure("write \(tmp.temporary)") }
            }
            try head.withUnsafeBytes(put)
            for (_, value) in tensors {
                guard case .tensor(let t) = value else { continue }
                if case .bool(let a) = t.storage {
                    try a.map { UInt8($0 ? 1 : 0) }.withUnsafeBytes(put)
                } else {
                    try t.withUnsafeBytes(put)
                }
            }
        }
    }
}
