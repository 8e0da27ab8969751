/// An error from building, stepping or loading an optimizer.
///
/// `kind` says which PyTorch exception the case corresponds to (`ValueError`, `TypeError`,
/// `KeyError`) or that the check goes beyond PyTorch; `message` is PyTorch's message where
/// PyTorch has one, extended with the key, index or names involved.
public struct OptimizerError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// PyTorch's `ValueError` (invalid hyperparameter, group count mismatch, ...).
        case invalidValue
        /// PyTorch's `TypeError` (a value of the wrong type).
        case invalidType
        /// A saved state dict that does not fit this optimizer (type, names, shapes).
        case stateDictMismatch
        /// A run-config `optimizer` object that cannot be used (unknown key, globs).
        case config
    }

    public var kind: Kind
    public var message: String
    /// The hyperparameter at fault (`lr`, `betas`, ...), so a run config's error can name
    /// `optimizer.lr` rather than only the section.
    public var key: String?

    public init(_ kind: Kind, _ message: String, key: String? = nil) {
        self.kind = kind
        self.message = message
        self.key = key
    }

    public var description: String { message }
}
