/// This build of rbsh, as `--version` and every transcript's header say it.
public enum Release {
    public static let version = "0.1.0"
}
