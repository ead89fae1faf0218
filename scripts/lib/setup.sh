# Shared by scripts/test and scripts/demo: what a fresh machine needs.

# Debian packages: the C libraries rbsh links (SQLite for the incident memory), the servers the lab runs, and
# tmux, which the tests drive the real shell through.
RBSH_PACKAGES=(libcmark-dev libedit-dev libhiredis-dev libpq-dev libsqlite3-dev libssl-dev openssl postgresql postgresql-contrib redis-server tmux)

ensure_packages() {
    local missing=()
    for p in "${RBSH_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "== installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
    # Debian starts the packaged servers; the lab runs its own on other ports.
    command -v swift >/dev/null || { echo "swift is not on PATH" >&2; exit 1; }
}

build_rbsh() {
    echo "== swift build"
    swift build
}
