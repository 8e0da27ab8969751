/// When the trainer steps a scheduler: after each epoch (PyTorch's default usage) or after
/// each optimizer step.
public enum SchedulerInterval: String, Sendable {
    case epoch
    case step
}
