import RunbookShell

// One binary, two programs: run through a link named probe-api, it is the lab's second API.
if ProbeAPICommand.isInvoked { ProbeAPICommand.main() } else { RbshCommand.main() }
