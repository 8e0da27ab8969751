extension Run {
    /// Restores the weight average and SWALR from `/averaged_model` and `/swa_scheduler`,
    /// after the optimizer (SWALR's `swa_lr` lives in the restored groups). A run with
    /// `"averaging"` needs both sections its kind writes; a run without it refuses them.
    func loadAveraging(_ file: Checkpoint) throws {
        guard let averaging else {
            if file.averagedModel != nil {
                throw RunError.mismatch("/averaged_model: present, but the config has no \"averaging\"")
            }
            if file.swaScheduler != nil {
                throw RunError.mismatch("/swa_scheduler: present, but the config has no SWA \"averaging\"")
            }
            return
        }
        guard let saved = file.averagedModel else {
            throw RunError.mismatch("/averaged_model: missing, but the config has \"averaging\"")
        }
        do {
            try averaging.model.loadStateDict(saved, path: "/averaged_model")
        } catch {
            throw RunError.mismatch("\(error)")
        }
        switch (averaging.swaScheduler, file.swaScheduler) {
        case (nil, nil): break
        case (let s?, let state?):
            do { try s.loadStateDict(state) } catch { throw RunError.mismatch("/swa_scheduler: \(error)") }
        case (_?, nil): throw RunError.mismatch("/swa_scheduler: missing, but the config has SWA \"averaging\"")
        case (nil, _?): throw RunError.mismatch("/swa_scheduler: present, but the config's \"averaging\" is EMA")
        }
    }
}
