/// A pickle reader that never executes anything: it interprets the opcodes of PyTorch's
/// `weights_only=True` unpickler (`Pickle.Opcode`) into a tree of `PickleValue`s, calls only
/// the allowlisted globals (`PickleAllowlist`), each of which is a data constructor here
/// (OrderedDict, Counter, a tensor rebuild, ...), and refuses every other global by name at
/// the `GLOBAL` opcode, before it could be called.
///
/// A crafted pickle gives an error, never a crash, hang or huge allocation: the stack, the
/// memo, MARK nesting and the work done (items copied by TUPLE, APPENDS, SETITEMS and the
/// allowlisted constructors) are bounded by `Limits`; integers wider than 64 bits, strings
/// running past the data and unknown opcodes are refused with the byte offset.
enum Pickle {
    /// Bounds on what one pickle may make the reader do.
    struct Limits {
        /// Values on the stack, all MARK levels together.
        var maxStack = 1 << 22
        /// Memo entries.
        var maxMemo = 1 << 22
        /// MARK nesting.
        var maxMarks = 1 << 16
        /// Items copied or visited by container-building opcodes, beyond one per opcode;
        /// `workPerByte` × the pickle's length plus `baseWork`.
        var workPerByte = 16
        var baseWork = 1 << 20

        static let standard = Limits()
    }

    /// How a `BINPERSID` storage reference becomes a storage (`TorchFile` resolves it in the zip).
    typealias StorageLoader = (_ key: String, _ type: TorchElementType, _ numel: Int64, _ location: String) throws -> TorchStorageRef

    /// Runs `bytes` (the pickle of `entry` in `file`) to its STOP and passes the value to
    /// `use`; afterwards everything built is released without recursion (`dismantle`), so
    /// nothing `use` returns may hold a `PickleValue`.
    /// Which globals a pickle may name; nil refuses it (`PickleAllowlist.resolve` by default).
    typealias Allowlist = (_ module: String, _ name: String) -> PickleGlobal.Role?

    static func load<R>(_ bytes: [UInt8], file: String, entry: String, limits: Limits = .standard,
                        allowlist: @escaping Allowlist = PickleAllowlist.resolve,
                        storages: @escaping StorageLoader, _ use: (PickleValue) throws -> R) throws -> R {
        var machine = Machine(bytes: bytes, file: file, entry: entry, limits: limits, storages: storages)
        machine.allowlist = allowlist
        var result: PickleValue?
        defer {
            PickleValue.dismantle(machine.stack + Array(machine.memo.values) + (result.map { [$0] } ?? []))
            machine.stack = []
            machine.memo = [:]
        }
        result = try machine.run()
        return try use(result!)
    }
}
