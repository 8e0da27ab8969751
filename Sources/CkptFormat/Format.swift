/// Constants of checkpoint format v1 (`docs/FORMAT.md`).
public enum CheckpointFormat {
    /// Root attribute `format`.
    public static let name = "ckpt"
    /// Root attribute `format_version`: the only version this reader accepts.
    public static let version: Int64 = 1
    /// The checksum attribute every tensor dataset carries: `"xxh64:<16 lowercase hex digits>"`.
    public static let checksumAttribute = "checksum"
    /// Section groups under the root, in the order they are written.
    public static let sections = ["model", "optimizer", "scheduler", "progress", "rng", "averaged_model", "swa_scheduler", "optimizers"]

    /// Reserved attribute names of the value encoding (never user keys; see FORMAT.md §Encoding).
    /// On a group that encodes a list or tuple: `"list"` or `"tuple"`.
    public static let kindAttribute = "__ckpt_kind__"
    /// String array: names of this object's 1-D array attributes that are tuples, not lists.
    public static let tuplesAttribute = "__ckpt_tuples__"
    /// String array: the key order, written only when it differs from "attributes in creation
    /// order, then links in creation order".
    public static let orderAttribute = "__ckpt_order__"
    /// On a group that encodes a dict with Python int keys: `"int"` (each name is the key's
    /// decimal form). Absent: `str` keys.
    public static let keysAttribute = "__ckpt_keys__"
    /// On a group that encodes a `dict` subclass: its `collections` name (`"Counter"`).
    public static let classAttribute = "__ckpt_class__"
    /// On a tensor dataset whose HDF5 type does not name its dtype: the dtype's name. Only
    /// `"bfloat16"`, stored as uint16 bit patterns (HDF5 and numpy have no bfloat16; h5py
    /// reads the bits as `uint16`, `ckpt_torch.py` views them as `torch.bfloat16`).
    public static let dtypeAttribute = "__ckpt_dtype__"
    static let reservedPrefix = "__ckpt_"

    /// Deepest nesting of groups a reader follows (hostile-file guard).
    public static let maxDepth = 64
    /// Most attributes + links a reader visits in one file (hostile-file guard).
    public static let maxObjects = 2_000_000
}
