import AlertServing
import RunbookShell

// One binary, three programs: through a link named probe-api it is the lab's
// second API; through one named rbsh-serve (as the package installs it), the
// alert receiver.
if ProbeAPICommand.isInvoked {
    ProbeAPICommand.main()
} else if ServeCommand.isInvoked {
    ServeCommand.main()
} else {
    RbshCommand.main()
}
