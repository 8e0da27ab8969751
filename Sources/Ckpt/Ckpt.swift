@_exported import CkptCore
@_exported import CkptOptim
@_exported import CkptFormat

/// The ckpt version, written into every checkpoint's `created_by` attribute.
public let ckptVersion = "0.1.0"
