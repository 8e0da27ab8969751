import CkptCore

extension Optimizer {
    /// `optimizer.add_param_group({"params": params, **options})` for options from a run config
    /// (the fine-tuning recipe's `unfreeze`): each key must be one of this optimizer's
    /// hyperparameters and is given PyTorch's type as the constructor gives it (`betas` a
    /// tuple); the group with the optimizer's defaults filled in must pass the constructor's
    /// checks. Errors name `<path>.<key>`. Key order, `param_names` and the defaults filled
    /// in are `addParamGroup`'s (PyTorch's `setdefault` from `optimizer.defaults`).
    public func addParamGroup(_ params: [Parameter], configOptions: StateDict, path: String) throws {
        var options = StateDict()
        for (key, value) in configOptions {
            guard let d = defaults[key] else {
                let hint = didYouMean(key, defaults.keys).map { " (did you mean \($0)?)" } ?? ""
                throw OptimizerError(.config, "\(path).\(key): unknown key for \(typeName)\(hint)")
            }
            do {
                options[key] = try Optimizer.normalizedOption(key, value, like: d, type: typeName)
            } catch let e as OptimizerError {
                throw OptimizerError(.config, "\(path).\(e.message)")
            }
        }
        if let type = Swift.type(of: self) as? any ConfigurableOptimizer.Type {
            var merged = defaults
            for (k, v) in options { merged[k] = v }
            do { try type.validate(merged) } catch let e as OptimizerError {
                throw OptimizerError(.config, "\(e.key.map { "\(path).\($0)" } ?? path): \(e.message)")
            }
        }
        do {
            try addParamGroup(params, options: options)
        } catch let e as OptimizerError {
            throw OptimizerError(.config, "\(path): \(e.message)")
        }
    }
}
