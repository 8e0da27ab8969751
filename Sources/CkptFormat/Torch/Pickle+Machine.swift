extension Pickle {
    /// The interpreter's state: the input, the position, the stack with MARK boundaries and
    /// the memo. One `run()` per pickle.
    struct Machine {
        let bytes: [UInt8]
        let file: String
        let entry: String
        let limits: Limits
        let storages: StorageLoader
        var allowlist: Pickle.Allowlist = PickleAllowlist.resolve
        var pos = 0
        var opStart = 0
        var op: Opcode = .proto
        var stack: [PickleValue] = []
        /// Stack heights at each open MARK.
        var marks: [Int] = []
        var memo: [UInt32: PickleValue] = [:]
        var work = 0
        let maxWork: Int

        init(bytes: [UInt8], file: String, entry: String, limits: Limits, storages: @escaping StorageLoader) {
            self.bytes = bytes
            self.file = file
            self.entry = entry
            self.limits = limits
            self.storages = storages
            let (w, o) = bytes.count.multipliedReportingOverflow(by: limits.workPerByte)
            maxWork = o ? Int.max : w &+ limits.baseWork
        }

        func fail(_ reason: String) -> CheckpointError {
            .malformed(file: file, path: entry, reason: "pickle byte \(opStart) (\(op.name)): \(reason)")
        }

        // MARK: input

        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - pos else {
                throw fail("needs \(n) bytes, \(bytes.count - pos) remain: the pickle is truncated")
            }
            defer { pos += n }
            return bytes[pos..<(pos + n)]
        }

        mutating func uint(_ n: Int) throws -> UInt64 {
            let s = try take(n)
            var v: UInt64 = 0
            for b in s.reversed() { v = v << 8 | UInt64(b) }
            return v
        }

        mutating func line() throws -> String {
            guard let nl = bytes[pos...].firstIndex(of: 0x0A) else { throw fail("a text argument has no end of line") }
            let s = bytes[pos..<nl]
            pos = nl + 1
            guard s.count <= 4096, let text = String(validating: s, as: UTF8.self), text.allSatisfy({ $0.isASCII }) else {
                throw fail("a global's name must be short ASCII text")
            }
            return text
        }

        mutating func utf8(_ n: Int) throws -> String {
            let s = try take(n)
            guard let text = String(validating: s, as: UTF8.self) else { throw fail("the string is not valid UTF-8") }
            return text
        }

        // MARK: stack

        var floor: Int { marks.last ?? 0 }

        mutating func push(_ v: PickleValue) throws {
            guard stack.count < limits.maxStack else { throw fail("more than \(limits.maxStack) values on the stack") }
            stack.append(v)
        }

        mutating func pop() throws -> PickleValue {
            guard stack.count > floor else { throw fail("the stack is empty") }
            return stack.removeLast()
        }

        func top() throws -> PickleValue {
            guard stack.count > floor else { throw fail("the stack is empty") }
            return stack[stack.count - 1]
        }

        mutating func popMark() throws -> [PickleValue] {
            guard let m = marks.popLast() else { throw fail("no MARK to pop to") }
            let items = Array(stack[m...])
            stack.removeSubrange(m...)
            try spend(items.count)
            return items
        }

        mutating func spend(_ n: Int) throws {
            work += n
            guard work <= maxWork else { throw fail("the pickle asks for more work than its size allows (\(maxWork) steps): refused as hostile") }
        }

        mutating func memoize(_ index: UInt32) throws {
            let v = try top()
            guard memo[index] != nil || memo.count < limits.maxMemo else { throw fail("more than \(limits.maxMemo) memo entries") }
            memo[index] = v
        }

        // MARK: the loop

        mutating func run() throws -> PickleValue {
            while true {
                opStart = pos
                guard pos < bytes.count else { throw fail("the pickle ends without STOP") }
                let byte = bytes[pos]
                pos += 1
                guard let o = Opcode(rawValue: byte) else {
                    op = .stop
                    throw CheckpointError.malformed(file: file, path: entry,
                                                    reason: "pickle byte \(opStart): opcode 0x\(String(byte, radix: 16)) is not one PyTorch's weights_only loader accepts")
                }
                op = o
                try spend(1)
                if o == .stop {
                    let v = try pop()
                    guard stack.isEmpty, marks.isEmpty else { throw fail("values are left on the stack at STOP") }
                    return v
                }
                try step(o)
            }
        }

        mutating func step(_ o: Opcode) throws {
            switch o {
            case .proto:
                let p = try uint(1)
                guard p <= 5 else { throw fail("protocol \(p) is not a pickle protocol") }
            case .frame:
                _ = try uint(8)  // frames only group opcodes; the data is already in memory
            case .stop:
                break
            case .global:
                let module = try line(), name = try line()
                try push(.global(try resolve(module, name)))
            case .stackGlobal:
                guard case .string(let name) = try pop(), case .string(let module) = try pop() else {
                    throw fail("STACK_GLOBAL needs two strings")
                }
                try push(.global(try resolve(module, name)))
            case .newobj:
                let args = try pop()
                let cls = try pop()
                // Only a record class of the allowlist, with no arguments: an empty tagged dict.
                guard case .global(let g) = cls, case .record(let name) = g.role, case .tuple(let t) = args, t.count == 0 else {
                    throw fail("refusing to create an object of \(cls.typeName): ckpt never runs code from a file")
                }
                let d = PickleDict(.dict)
                d.className = name
                try push(.dict(d))
            case .reduce:
                let args = try pop()
                let f = try pop()
                guard case .global(let g) = f else { throw fail("REDUCE calls \(f.typeName), which is not an allowlisted global") }
                guard case .tuple(let t) = args else { throw fail("REDUCE arguments must be a tuple, found \(args.typeName)") }
                let a = t.items
                try spend(a.count)
                try push(try call(g, a))
            case .build:
                let state = try pop()
                let inst = try top()
                // PyTorch sets an OrderedDict's attributes from BUILD (a state dict's
                // `_metadata`: module versions); they are not entries and are dropped here.
                if case .dict(let d) = inst, d.className != nil {
                    // A record's fields (a dataclass's __dict__), or a __getstate__ tuple.
                    switch state {
                    case .dict(let fields):
                        try spend(fields.count)
                        for (k, v) in zip(fields.keys, fields.values) { d.set(k, v) }
                    case .tuple: d.set(.string("__state__"), state)
                    default: throw fail("BUILD state of \(d.className!) must be a dict or a tuple, found \(state.typeName)")
                    }
                    break
                }
                guard case .dict(let d) = inst, d.kind == .orderedDict else {
                    throw fail("BUILD is allowed on an OrderedDict only, found \(inst.typeName)")
                }
                guard case .dict = state else { throw fail("BUILD state must be a dict, found \(state.typeName)") }
            case .append:
                let v = try pop()
                let target = try top()
                guard case .list(let l) = target else { throw fail("can only append to a list, found \(target.typeName)") }
                l.items.append(v)
            case .appends:
                let items = try popMark()
                let target = try top()
                guard case .list(let l) = target else { throw fail("can only extend a list, found \(target.typeName)") }
                l.items.append(contentsOf: items)
            case .setitem:
                let v = try pop(), k = try pop()
                try setItems(into: try top(), [k, v])
            case .setitems:
                let items = try popMark()
                guard items.count % 2 == 0 else { throw fail("SETITEMS needs key-value pairs, found \(items.count) values") }
                try setItems(into: try top(), items)
            case .mark:
                guard marks.count < limits.maxMarks else { throw fail("MARKs nested deeper than \(limits.maxMarks)") }
                marks.append(stack.count)
            case .tuple:
                try push(.tuple(PickleSequence(try popMark())))
            case .tuple1, .tuple2, .tuple3:
                let n = o == .tuple1 ? 1 : o == .tuple2 ? 2 : 3
                var items: [PickleValue] = []
                for _ in 0..<n { items.append(try pop()) }
                try push(.tuple(PickleSequence(items.reversed())))
            case .none: try push(.none)
            case .newfalse: try push(.bool(false))
            case .newtrue: try push(.bool(true))
            case .emptyTuple: try push(.tuple(PickleSequence([])))
            case .emptyList: try push(.list(PickleList()))
            case .emptyDict: try push(.dict(PickleDict(.dict)))
            case .emptySet: try push(.set(PickleSequence([])))
            case .binint: try push(.int(Int64(Int32(bitPattern: UInt32(try uint(4))))))
            case .binint1: try push(.int(Int64(try uint(1))))
            case .binint2: try push(.int(Int64(try uint(2))))
            case .long1:
                let n = Int(try uint(1))
                guard n <= 8 else { throw fail("an integer of \(n) bytes does not fit in 64 bits") }
                let raw = try take(n)
                var v: UInt64 = 0
                for b in raw.reversed() { v = v << 8 | UInt64(b) }
                if n > 0, n < 8, raw.last! & 0x80 != 0 { v |= ~0 << UInt64(8 * n) }  // sign-extend
                try push(.int(Int64(bitPattern: v)))
            case .binfloat:
                let s = try take(8)
                var bits: UInt64 = 0
                for b in s { bits = bits << 8 | UInt64(b) }  // big-endian
                try push(.double(Double(bitPattern: bits)))
            case .binunicode:
                let n = try uint(4)
                try push(.string(try utf8(Int(n))))
            case .shortBinunicode:
                try push(.string(try utf8(Int(try uint(1)))))
            case .shortBinstring:
                // Python 2 `str`; PyTorch decodes it as ASCII text.
                let s = try take(Int(try uint(1)))
                guard s.allSatisfy({ $0 < 0x80 }) else { throw fail("a SHORT_BINSTRING must be ASCII") }
                try push(.string(String(decoding: s, as: UTF8.self)))
            case .binpersid:
                try push(try persistentLoad(try pop()))
            case .binget, .longBinget:
                let i = UInt32(try uint(o == .binget ? 1 : 4))
                guard let v = memo[i] else { throw fail("memo entry \(i) was never stored") }
                try push(v)
            case .binput, .longBinput:
                try memoize(UInt32(try uint(o == .binput ? 1 : 4)))
            case .memoize:
                guard memo.count < UInt32.max else { throw fail("the memo is full") }
                try memoize(UInt32(memo.count))
            }
        }

        func resolve(_ module: String, _ name: String) throws -> PickleGlobal {
            guard let role = allowlist(module, name) else {
                throw fail("refusing `\(module).\(name)`: ckpt never runs code from a file, and this global is not on the allowlist of PyTorch's weights_only loader")
            }
            return PickleGlobal(module: module, name: name, role: role)
        }

        mutating func setItems(into target: PickleValue, _ items: [PickleValue]) throws {
            guard case .dict(let d) = target else {
                throw fail("can only set items of a dict, OrderedDict or Counter, found \(target.typeName)")
            }
            var i = 0
            while i < items.count {
                if case .dict(let k) = items[i], k.className != nil {
                    d.setRecordKeyed(items[i], items[i + 1])
                    i += 2
                    continue
                }
                d.set(try key(items[i]), items[i + 1])
                i += 2
            }
        }

        func key(_ k: PickleValue) throws -> PickleDict.Key {
            switch k {
            case .string(let s): return .string(s)
            case .int(let i): return .int(i)
            default: throw fail("a dict key of type \(k.typeName): ckpt's state dicts hold str and int keys only")
            }
        }
    }
}
