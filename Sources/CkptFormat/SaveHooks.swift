/// The moments of a save (`AtomicFile`) that `SaveHooks` reports, in order.
public enum SaveStep: String, Sendable, CaseIterable {
    /// The private temporary directory exists, is locked and holds no content yet.
    case temporaryCreated
    /// Part of the content is written (a checkpoint: its root attributes and `/model`).
    case contentPartlyWritten
    /// The content is complete and closed (a checkpoint: before its manifest is written).
    case contentWritten
    /// The content is written and fsynced; next is the rename over the target.
    case beforeRename
    /// The target's name holds the new file; next are the directory's fsync and the
    /// removal of the temporary directory.
    case renamed
}

/// Test seam of a save: `onStep` is called at each `SaveStep` with the path of the save's
/// temporary (`DIR/.<name>.partial-<random>`, what another process sees in the directory),
/// so a test can pause a save (then kill it) or tamper with the directory between two steps.
/// The product never sets it; `.none` does nothing.
public struct SaveHooks: Sendable {
    public var onStep: (@Sendable (SaveStep, _ temporary: String) -> Void)?

    public init(onStep: (@Sendable (SaveStep, _ temporary: String) -> Void)? = nil) {
        self.onStep = onStep
    }

    public static let none = SaveHooks()

    func callAsFunction(_ step: SaveStep, _ temporary: String) { onStep?(step, temporary) }
}
