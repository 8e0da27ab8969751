import CkptCore

/// Turns a `TorchTensorRef` into a row-major `TensorData`: checks the element type, that the
/// storage entry holds exactly `numel` elements, that the view stays inside the storage, and
/// that the file does not make the reader allocate far more than it holds (a stride-0
/// "expanded" view of one element with a 2^62-element shape); then gathers the elements,
/// swapping bytes for a big-endian file.
struct TorchTensorMaterializer {
    let zip: ZipArchive
    let bigEndian: Bool
    /// Bytes of tensors still allowed beyond what the file holds.
    var budget: Int

    init(zip: ZipArchive, bigEndian: Bool) {
        self.zip = zip
        self.bigEndian = bigEndian
        // A file cannot make the reader allocate more than 4× its size plus 64 MiB.
        let (b, o) = zip.source.size.multipliedReportingOverflow(by: 4)
        budget = o ? Int.max : b &+ (64 << 20)
    }

    mutating func tensor(_ t: TorchTensorRef, path: String) throws -> TensorData {
        if let m = t.materialized { return m }
        let file = zip.file
        let s = t.storage
        func bad(_ reason: String) -> CheckpointError { .malformed(file: file, path: path, reason: reason) }
        guard let dtype = s.type.dtype else {
            throw bad("a \(s.type.rawValue) tensor (storage data/\(s.key)): ckpt's tensors hold \(DType.supportedList); convert it first (e.g. t.to(torch.float32))")
        }
        let (needBytes, o) = s.numel.multipliedReportingOverflow(by: s.type.size)
        guard !o, needBytes == s.entry.size else {
            throw bad("storage data/\(s.key) should hold \(s.numel) \(s.type.rawValue) elements (\(o ? "overflow" : "\(needBytes)") bytes), its zip entry holds \(s.entry.size) bytes")
        }
        let count: Int
        do { count = try TensorData.elementCount(t.size, dtype: dtype) } catch { throw bad("\(error)") }
        guard let extent = t.extent else { throw bad("size \(t.size) with stride \(t.stride) at offset \(t.offset) overflows") }
        guard extent <= s.numel else {
            throw bad("size \(t.size), stride \(t.stride) and offset \(t.offset) reach element \(extent - 1) of storage data/\(s.key), which holds \(s.numel)")
        }
        let bytes = count * dtype.size
        guard bytes <= budget else {
            throw bad("the file asks for \(bytes) bytes of tensor \(t.size) (\(dtype.rawValue)), beyond \(budget) bytes left of the limit (4× the file size + 64 MiB)")
        }
        budget -= bytes
        let elements: TensorData.Storage
        if !bigEndian, dtype != .bool, t.isContiguous, t.offset == 0, count * dtype.size == s.entry.size, s.cached == nil {
            // The common case (a tensor that is its whole storage): one read straight into
            // the tensor's own array, no staging copy.
            elements = try direct(s.entry, dtype: dtype, count: count)
        } else {
            elements = try gather(t, try s.bytes(in: zip), dtype: dtype)
        }
        let result: TensorData
        do { result = try TensorData(validating: t.size, storage: elements) } catch { throw bad("\(error)") }
        t.materialized = result
        return result
    }

    /// An entry's bytes read into a new array of `dtype` (little-endian file, not bool), CRC
    /// checked chunk by chunk as they arrive (one pass over the tensor).
    private func direct(_ entry: ZipArchive.Entry, dtype: DType, count: Int) throws -> TensorData.Storage {
        let zip = self.zip
        func read<T>(_: T.Type) throws -> [T] {
            try [T](unsafeUninitializedCapacity: count) { buf, n in
                let raw = UnsafeMutableRawBufferPointer(buf)
                adviseHugePages(raw)
                try zip.read(entry, into: raw)
                n = count
            }
        }
        switch dtype {
        case .float32: return .float32(try read(Float.self))
        case .float64: return .float64(try read(Double.self))
        case .float16: return .float16(try read(UInt16.self))
        case .bfloat16: return .bfloat16(try read(UInt16.self))
        case .int64: return .int64(try read(Int64.self))
        case .int32: return .int32(try read(Int32.self))
        case .int16: return .int16(try read(Int16.self))
        case .int8: return .int8(try read(Int8.self))
        case .uint8: return .uint8(try read(UInt8.self))
        case .bool: return .bool(try read(UInt8.self).map { $0 != 0 })
        }
    }

    /// The view's elements in row-major order. Plain checked array indexing: the extent
    /// check above already keeps every index in range, and this keeps it so if it were wrong.
    private func gather(_ t: TorchTensorRef, _ raw: [UInt8], dtype: DType) throws -> TensorData.Storage {
        let width = dtype.size
        let count = t.size.reduce(1, *)
        var out: [UInt8]
        if count == 0 {
            out = []
        } else if t.isContiguous {
            let start = t.offset * width
            out = start == 0 && count * width == raw.count ? raw : Array(raw[start..<(start + count * width)])
        } else {
            out = [UInt8](repeating: 0, count: count * width)
            // An odometer over the indices; each step adds one stride (wrapping arithmetic:
            // a huge stride of a size-1 dimension is added and taken back before any use).
            var index = [Int](repeating: 0, count: t.size.count)
            var source = t.offset
            for n in 0..<count {
                for b in 0..<width { out[n * width + b] = raw[source * width + b] }
                var d = t.size.count - 1
                while d >= 0 {
                    index[d] += 1
                    source = source &+ t.stride[d]
                    if index[d] < t.size[d] { break }
                    source = source &- t.stride[d] &* t.size[d]
                    index[d] = 0
                    d -= 1
                }
            }
        }
        if bigEndian && width > 1 {
            var i = 0
            while i < out.count { out[i..<(i + width)].reverse(); i += width }
        }
        return Self.typed(out, dtype: dtype, count: count)
    }

    static func typed(_ b: [UInt8], dtype: DType, count: Int) -> TensorData.Storage {
        TensorData.Storage(littleEndianBytes: b, dtype: dtype)
    }
}
