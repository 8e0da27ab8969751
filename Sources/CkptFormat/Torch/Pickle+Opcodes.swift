extension Pickle {
    /// The opcodes the restricted unpickler executes: those of PyTorch's `weights_only`
    /// unpickler, plus protocol 4's `FRAME`, `SHORT_BINUNICODE`, `MEMOIZE` and `STACK_GLOBAL`
    /// (DCP metadata, `pickle_protocol=4` saves). Any other byte is refused by name.
    enum Opcode: UInt8 {
        case proto = 0x80, stop = 0x2E, frame = 0x95
        case global = 0x63, stackGlobal = 0x93, newobj = 0x81, reduce = 0x52, build = 0x62
        case append = 0x61, appends = 0x65, setitem = 0x73, setitems = 0x75, mark = 0x28
        case tuple = 0x74, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87
        case none = 0x4E, newfalse = 0x89, newtrue = 0x88
        case emptyTuple = 0x29, emptyList = 0x5D, emptyDict = 0x7D, emptySet = 0x8F
        case binint = 0x4A, binint1 = 0x4B, binint2 = 0x4D, long1 = 0x8A, binfloat = 0x47
        case binunicode = 0x58, shortBinunicode = 0x8C, shortBinstring = 0x55
        case binpersid = 0x51
        case binget = 0x68, longBinget = 0x6A, binput = 0x71, longBinput = 0x72, memoize = 0x94

        /// The name `pickletools` gives the opcode.
        var name: String {
            switch self {
            case .proto: "PROTO"
            case .stop: "STOP"
            case .frame: "FRAME"
            case .global: "GLOBAL"
            case .stackGlobal: "STACK_GLOBAL"
            case .newobj: "NEWOBJ"
            case .reduce: "REDUCE"
            case .build: "BUILD"
            case .append: "APPEND"
            case .appends: "APPENDS"
            case .setitem: "SETITEM"
            case .setitems: "SETITEMS"
            case .mark: "MARK"
            case .tuple: "TUPLE"
            case .tuple1: "TUPLE1"
            case .tuple2: "TUPLE2"
            case .tuple3: "TUPLE3"
            case .none: "NONE"
            case .newfalse: "NEWFALSE"
            case .newtrue: "NEWTRUE"
            case .emptyTuple: "EMPTY_TUPLE"
            case .emptyList: "EMPTY_LIST"
            case .emptyDict: "EMPTY_DICT"
            case .emptySet: "EMPTY_SET"
            case .binint: "BININT"
            case .binint1: "BININT1"
            case .binint2: "BININT2"
            case .long1: "LONG1"
            case .binfloat: "BINFLOAT"
            case .binunicode: "BINUNICODE"
            case .shortBinunicode: "SHORT_BINUNICODE"
            case .shortBinstring: "SHORT_BINSTRING"
            case .binpersid: "BINPERSID"
            case .binget: "BINGET"
            case .longBinget: "LONG_BINGET"
            case .binput: "BINPUT"
            case .longBinput: "LONG_BINPUT"
            case .memoize: "MEMOIZE"
            }
        }
    }
}
