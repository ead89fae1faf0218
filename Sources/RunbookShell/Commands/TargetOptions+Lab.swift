import CommandOptions
import Lab
import Runs

extension TargetOptions {
    /// Targets and secrets, the lab's among the sources while it is up.
    func resolve() throws(ConfigError) -> ResolvedTargets {
        try resolve(lab: LabState.load()?.labTargets)
    }
}

extension LabState {
    /// Its targets and extras, as run services take a lab's.
    var labTargets: LabTargets { LabTargets(postgres: postgresURL, redis: redisURL, api: apiURL, extras: targetExtras) }
}
