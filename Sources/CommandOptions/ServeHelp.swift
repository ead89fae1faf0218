/// `rbsh serve`'s help, shown by rbsh and by rbsh-serve alike.
public enum ServeHelp {
    public static let abstract = "Receive Alertmanager's webhooks: each alert a rule matches starts its runbook, unattended."
    public static let discussion = """
        POST /alertmanager (Alertmanager's webhook, version 4, with Authorization: Bearer TOKEN) answers 202 \
        and queues the run; GET /runs lists the runs; GET /healthz needs no token. The rules and settings are \
        the config file's `alerts:` and `serve:`; the token is serve.token or RBSH_SERVE_TOKEN. SIGHUP reloads \
        the rules; SIGTERM stops taking alerts, lets running runs finish, and keeps queued ones for the next start.
        """
}
