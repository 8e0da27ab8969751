import CkptCore

/// The places where PyTorch's state dicts have int keys or a `Counter`, and how a checkpoint
/// gets those types back when its dicts arrive with decimal-string keys: files written before
/// format v1 recorded key types (`__ckpt_keys__` / `__ckpt_class__`), h5py files that follow the
/// older documentation, and `Checkpoint`s built by hand.
///
/// - `optimizer["state"]`: keys are parameter indices (`optimizer.state_dict()["state"]`), so
///   int keys;
/// - `milestones` of every `MultiStepLR` (the scheduler section and, at any depth, the children
///   in `_schedulers`): a `Counter` with int keys (PyTorch tests `last_epoch in milestones`,
///   which never holds for string keys, so the schedule would silently stop decaying).
///
/// A dict is retyped only when every key is a canonical decimal; anything else is left for the
/// optimizer's and scheduler's own checks to name.
enum PyTorchKeyTypes {
    static func optimizer(_ sd: StateDict?) -> StateDict? {
        guard var sd, case .dict(var state)? = sd["state"], state.keyKind == .string,
              state.keys.allSatisfy({ StateDict.intKey($0) != nil }) else { return sd }
        state.keyKind = .int
        sd["state"] = .dict(state)
        return sd
    }

    static func scheduler(_ sd: StateDict?) -> StateDict? {
        guard var sd else { return nil }
        if sd["type"] == .string("MultiStepLR"), case .dict(var milestones)? = sd["milestones"],
           milestones.pythonClass == nil, milestones.keys.allSatisfy({ StateDict.intKey($0) != nil }) {
            milestones.keyKind = .int
            milestones.pythonClass = .counter
            sd["milestones"] = .dict(milestones)
        }
        if case .list(let children)? = sd["_schedulers"] {
            sd["_schedulers"] = .list(children.map { child in
                guard case .dict(let d) = child, let typed = scheduler(d) else { return child }
                return .dict(typed)
            })
        }
        return sd
    }
}
