import CkptCore

extension LBFGS {
    /// One `step(closure)`: PyTorch's loop of up to `max_iter` quasi-Newton iterations, with
    /// its state read from and written back to the first parameter's state dict.
    struct Run {
        let params: [Parameter]
        let options: Options
        let closure: () throws -> Double

        /// `_gather_flat_grad`: every gradient flattened and concatenated (None as zeros),
        /// negated under maximize.
        func flatGrad() -> [Float] {
            var flat: [Float] = []
            for p in params { flat += p.grad?.storage ?? [Float](repeating: 0, count: p.value.count) }
            return options.maximize ? flat.map { -$0 } : flat
        }

        /// `_add_grad(t, d)`: `p.add_(d[slice], alpha=t)` for each parameter.
        func addGrad(_ t: PyScalar, _ d: [Float]) {
            var offset = 0
            let alpha = t.float
            for p in params {
                let n = p.value.count
                p.value.storage.withUnsafeMutableBufferPointer { x in
                    for i in 0..<n { x[i] = x[i].addingProduct(d[offset + i], alpha) }
                }
                offset += n
            }
        }

        /// The closure's loss as LBFGS uses it (negated under maximize), a Python float.
        func evaluate() throws -> PyScalar {
            let loss = try closure()
            return .float(options.maximize ? -loss : loss)
        }

        /// `_directional_evaluate`: the loss and flat gradient at `x + t*d`, then back to `x`.
        func directionalEvaluate(_ x: [[Float]], _ t: PyScalar, _ d: [Float]) throws -> (PyScalar, [Float]) {
            addGrad(t, d)
            let loss = try evaluate()
            let g = flatGrad()
            for (p, values) in zip(params, x) { p.value.storage = values }
            return (loss, g)
        }

        func step(_ st: inout StateDict) throws -> Double {
            let o = options
            if st["func_evals"] == nil { st["func_evals"] = .int(0) }
            if st["n_iter"] == nil { st["n_iter"] = .int(0) }
            var funcEvals = st["func_evals"]?.intValue ?? 0, stateIter = st["n_iter"]?.intValue ?? 0

            let origLoss = try closure()
            var loss = PyScalar.float(o.maximize ? -origLoss : origLoss)
            var currentEvals = 1
            funcEvals += 1
            st["func_evals"] = .int(funcEvals)
            var grad = flatGrad()
            let tolGrad = PyScalar.float(o.toleranceGrad), tolChange = PyScalar.float(o.toleranceChange)
            var optCond = PyScalar.tensor(FlatVector.absMax(grad)) <= tolGrad
            if optCond { return origLoss }

            var d = Self.flat(st["d"]), t = PyScalar(st["t"])
            var oldDirs = Self.flatList(st["old_dirs"]), oldStps = Self.flatList(st["old_stps"])
            var ro = st["ro"]?.arrayValue?.compactMap { PyScalar($0) }
            var hDiag = PyScalar(st["H_diag"])
            var prevGrad = Self.flat(st["prev_flat_grad"]), prevLoss = PyScalar(st["prev_loss"])
            let lr = o.lr

            var nIter = 0
            while nIter < o.maxIter {
                nIter += 1
                stateIter += 1
                st["n_iter"] = .int(stateIter)
                if stateIter == 1 {
                    d = grad.map { -$0 }
                    oldDirs = []; oldStps = []; ro = []
                    hDiag = .int(1)
                } else {
                    guard var dirs = oldDirs, var stps = oldStps, var r = ro, let dPrev = d, let tPrev = t,
                          let pg = prevGrad, pg.count == grad.count, dPrev.count == grad.count else {
                        throw OptimizerError(.invalidValue, "LBFGS: state of '\(params[0].name)' lacks the history of iteration \(stateIter - 1) or does not fit the parameters")
                    }
                    let y = zip(grad, pg).map { $0 - $1 }
                    let s = dPrev.map { $0 * tPrev.float }
                    let ys = PyScalar.tensor(FlatVector.dot(y, s))
                    if ys > 1e-10 {
                        if dirs.count == o.historySize {
                            dirs.removeFirst(); stps.removeFirst(); r.removeFirst()
                        }
                        dirs.append(y); stps.append(s); r.append(1.0 / ys)
                        hDiag = ys / .tensor(FlatVector.dot(y, y))
                    }
                    if st["al"] == nil {
                        st["al"] = .list([StateValue](repeating: .none, count: o.historySize))
                    }
                    var al = (st["al"]?.arrayValue ?? []).map { PyScalar($0) }
                    if al.count < dirs.count { al += [PyScalar?](repeating: nil, count: dirs.count - al.count) }
                    var q = grad.map { -$0 }
                    for i in stride(from: dirs.count - 1, through: 0, by: -1) {
                        let a = .tensor(FlatVector.dot(stps[i], q)) * r[i]
                        al[i] = a
                        FlatVector.addScaled(&q, dirs[i], (-a).float)
                    }
                    var rv = q.map { $0 * (hDiag ?? .int(1)).float }
                    for i in 0..<dirs.count {
                        let be = .tensor(FlatVector.dot(dirs[i], rv)) * r[i]
                        FlatVector.addScaled(&rv, stps[i], (al[i]! - be).float)
                    }
                    d = rv
                    st["al"] = .list(al.map { $0?.stateValue ?? .none })
                    oldDirs = dirs; oldStps = stps; ro = r
                }
                prevGrad = grad
                prevLoss = loss
                if stateIter == 1 {
                    t = pyMin(1.0, 1.0 / .tensor(FlatVector.absSum(grad))) * lr
                } else {
                    t = lr
                }
                let dir = d!, step = t!
                let gtd = PyScalar.tensor(FlatVector.dot(grad, dir))
                if gtd > -tolChange { break }

                var lsFuncEvals = 0
                if let search = o.lineSearch {
                    guard search == "strong_wolfe" else {
                        throw OptimizerError(.invalidValue, "only 'strong_wolfe' is supported", key: "line_search_fn")
                    }
                    let xInit = params.map { $0.value.storage }
                    let found = try strongWolfe(x: xInit, t: step, d: dir, f: loss, g: grad, gtd: gtd,
                                                maxLS: o.maxEval - currentEvals)
                    loss = found.loss; grad = found.grad; t = found.t; lsFuncEvals = found.evals
                    addGrad(found.t, dir)
                    optCond = PyScalar.tensor(FlatVector.absMax(grad)) <= tolGrad
                } else {
                    addGrad(step, dir)
                    if nIter != o.maxIter {       // the last iteration's loss is not needed
                        loss = try evaluate()
                        grad = flatGrad()
                        optCond = PyScalar.tensor(FlatVector.absMax(grad)) <= tolGrad
                        lsFuncEvals = 1
                    }
                }
                currentEvals += lsFuncEvals
                funcEvals += Int64(lsFuncEvals)
                st["func_evals"] = .int(funcEvals)

                if nIter == o.maxIter { break }
                if currentEvals >= o.maxEval { break }
                if optCond { break }
                if PyScalar.tensor(FlatVector.absMax(dir.map { $0 * t!.float })) <= tolChange { break }
                if (loss - prevLoss!).magnitude < tolChange { break }
            }
            st["d"] = d.map { Self.tensor($0) } ?? StateValue.none
            st["t"] = t?.stateValue ?? StateValue.none
            st["old_dirs"] = oldDirs.map { .list($0.map(Self.tensor)) } ?? StateValue.none
            st["old_stps"] = oldStps.map { .list($0.map(Self.tensor)) } ?? StateValue.none
            st["ro"] = ro.map { .list($0.map(\.stateValue)) } ?? StateValue.none
            st["H_diag"] = hDiag?.stateValue ?? StateValue.none
            st["prev_flat_grad"] = prevGrad.map { Self.tensor($0) } ?? StateValue.none
            st["prev_loss"] = prevLoss?.stateValue ?? StateValue.none
            return origLoss
        }

        static func tensor(_ x: [Float]) -> StateValue {
            .tensor(TensorData(shape: [x.count], storage: .float32(x)))
        }

        static func flat(_ v: StateValue?) -> [Float]? {
            if case .tensor(let t)? = v { return t.floatArray() }
            return nil
        }

        static func flatList(_ v: StateValue?) -> [[Float]]? {
            guard let a = v?.arrayValue else { return nil }
            let out = a.compactMap { flat($0) }
            return out.count == a.count ? out : nil
        }
    }
}
