extension PickleValue {
    /// Releases a value tree without recursion. Swift frees nested containers recursively,
    /// so a crafted pickle of 100,000 nested lists would overflow the stack on release; here
    /// every child is held by a work list before its parent goes, so each release is shallow.
    static func dismantle(_ roots: [PickleValue]) {
        var work = roots
        while let v = work.popLast() {
            switch v {
            case .list(let l):
                work.append(contentsOf: l.items)
                l.items = []
            case .dict(let d):
                work.append(contentsOf: d.values)
                for e in d.recordEntries { work.append(contentsOf: [e.key, e.value]) }
                d.removeAll()
            case .tuple(let t), .set(let t):
                work.append(contentsOf: t.items)
                t.items = []
            default:
                break
            }
        }
    }
}
