extension Pickle.Machine {
    /// Calls an allowlisted global: each builds data, none runs code.
    mutating func call(_ g: PickleGlobal, _ a: [PickleValue]) throws -> PickleValue {
        func arity(_ range: ClosedRange<Int>) throws {
            guard range.contains(a.count) else {
                throw fail("`\(g.fullName)` takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") arguments, found \(a.count)")
            }
        }
        switch g.role {
        case .orderedDict, .counter:
            try arity(0...1)
            let d = PickleDict(g.role == .counter ? .counter : .orderedDict)
            if let initial = a.first { try fill(d, from: initial, name: g.fullName) }
            return .dict(d)
        case .set, .frozenset:
            try arity(0...1)
            guard let initial = a.first else { return .set(PickleSequence([])) }
            switch initial {
            case .list(let l): return .set(PickleSequence(l.items))
            case .tuple(let t), .set(let t): return .set(PickleSequence(t.items))
            default: throw fail("`\(g.fullName)` of \(initial.typeName)")
            }
        case .bytearray:
            try arity(0...1)
            guard let initial = a.first else { return .bytes([]) }
            guard case .bytes(let b) = initial else { throw fail("`\(g.fullName)` of \(initial.typeName)") }
            return .bytes(b)
        case .codecsEncode:
            // Protocol 2 pickles `bytes` as `_codecs.encode(text, "latin1")`.
            try arity(2...2)
            guard case .string(let text) = a[0], case .string(let encoding) = a[1],
                  ["latin1", "latin-1", "iso-8859-1"].contains(encoding.lowercased()) else {
                throw fail("`_codecs.encode` is read for (str, \"latin1\") only")
            }
            var out: [UInt8] = []
            for u in text.unicodeScalars {
                guard u.value < 256 else { throw fail("`_codecs.encode`: U+\(String(u.value, radix: 16)) is not latin-1") }
                out.append(UInt8(u.value))
            }
            try spend(out.count)
            return .bytes(out)
        case .complex:
            return .opaque("complex")
        case .torchSize:
            try arity(0...1)
            guard let dims = a.first else { return .tuple(PickleSequence([])) }
            guard case .tuple(let t) = dims, t.items.allSatisfy({ if case .int = $0 { true } else { false } }) else {
                throw fail("`torch.Size` of \(dims.typeName)")
            }
            return .tuple(t)
        case .torchDevice:
            return .opaque("torch.device")
        case .rebuildTensor, .rebuildTensorV2:
            // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
            try arity(g.role == .rebuildTensor ? 4...4 : 6...7)
            return .tensor(try tensor(a))
        case .rebuildTensorV3:
            // (untyped storage, storage_offset, size, stride, requires_grad, backward_hooks,
            // dtype[, metadata]): what torch.save writes for dtypes with no typed storage
            // class (uint16/32/64, float8). The storage is bytes; the dtype types it.
            try arity(7...8)
            guard case .global(let d) = a[6], case .dtype(let name) = d.role, let type = TorchElementType(dtypeName: name) else {
                throw fail("`\(g.fullName)`'s dtype must be a torch dtype such as torch.uint16, found \(a[6].typeName)")
            }
            guard case .storage(let s) = a[0] else { throw fail("a tensor's storage must come from a persistent id, found \(a[0].typeName)") }
            guard s.type == .uint8 || s.type == type else {
                throw fail("`\(g.fullName)` of a \(s.type.rawValue) storage as \(type.rawValue): expected an untyped storage")
            }
            guard s.numel % type.size == 0 else {
                throw fail("storage data/\(s.key) holds \(s.numel) bytes, not a whole number of \(type.rawValue) elements")
            }
            var args = a
            args[0] = .storage(s.type == type ? s : TorchStorageRef(key: s.key, type: type, numel: s.numel / type.size, entry: s.entry))
            return .tensor(try tensor(args))
        case .rebuildParameter, .rebuildParameterWithState:
            // (data, requires_grad, backward_hooks[, state]): the parameter is its tensor.
            try arity(g.role == .rebuildParameter ? 3...3 : 4...4)
            guard case .tensor = a[0] else { throw fail("`\(g.fullName)` of \(a[0].typeName)") }
            return a[0]
        case .storageClass, .dtype:
            throw fail("calling `\(g.fullName)` is not part of a torch.save file")
        case .record(let name):
            // REDUCE of a record class (an Enum member, a PosixPath): its arguments, as data.
            let d = PickleDict(.dict)
            d.className = name
            d.set(.string("__args__"), .tuple(PickleSequence(a)))
            return .dict(d)
        case .unsupported(let name):
            throw fail("`\(name)` is allowed by PyTorch's weights_only loader but ckpt does not read it (quantized, sparse, meta, nested or subclass tensors, layouts): re-save the plain tensors")
        }
    }

    private mutating func fill(_ d: PickleDict, from initial: PickleValue, name: String) throws {
        switch initial {
        case .dict(let src):
            try spend(src.count)
            for (k, v) in zip(src.keys, src.values) { d.set(k, v) }
        case .list(let l):
            try spend(l.items.count)
            for pair in l.items {
                guard case .tuple(let kv) = pair, kv.count == 2 else { throw fail("`\(name)` of a list holding \(pair.typeName), not (key, value) pairs") }
                d.set(try key(kv[0]), kv[1])
            }
        default:
            throw fail("`\(name)` of \(initial.typeName)")
        }
    }

    private func ints(_ v: PickleValue, _ what: String) throws -> [Int] {
        guard case .tuple(let t) = v else { throw fail("a tensor's \(what) must be a tuple, found \(v.typeName)") }
        guard t.count <= TorchTensorRef.maxRank else { throw fail("a tensor's \(what) has \(t.count) dimensions (at most \(TorchTensorRef.maxRank))") }
        return try t.items.map {
            guard case .int(let i) = $0, i >= 0, i <= Int64(Int.max) else { throw fail("a tensor's \(what) must hold non-negative ints, found \($0.typeName)") }
            return Int(i)
        }
    }

    private func tensor(_ a: [PickleValue]) throws -> TorchTensorRef {
        guard case .storage(let s) = a[0] else { throw fail("a tensor's storage must come from a persistent id, found \(a[0].typeName)") }
        guard case .int(let offset) = a[1], offset >= 0 else { throw fail("a tensor's storage offset must be a non-negative int") }
        let size = try ints(a[2], "size"), stride = try ints(a[3], "stride")
        guard size.count == stride.count else { throw fail("a tensor's size \(size) and stride \(stride) differ in length") }
        return TorchTensorRef(storage: s, offset: Int(offset), size: size, stride: stride, pickleOffset: opStart)
    }

    /// `BINPERSID`: only `("storage", <storage class>, key, location, numel)`, as PyTorch allows.
    mutating func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard case .tuple(let t) = pid, t.count == 5, case .string("storage") = t[0] else {
            throw fail("a persistent id must be (\"storage\", class, key, location, numel), found \(pid.typeName)")
        }
        guard case .global(let g) = t[1], case .storageClass(let type) = g.role else {
            throw fail("a persistent id's storage class must be a storage global such as torch.FloatStorage, found \(t[1].typeName)")
        }
        guard case .string(let key) = t[2], case .string(let location) = t[3], case .int(let numel) = t[4], numel >= 0 else {
            throw fail("a persistent id must be (\"storage\", class, key: str, location: str, numel: int >= 0)")
        }
        return .storage(try storages(key, type, numel, location))
    }
}
