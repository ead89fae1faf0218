# Shared by scripts/package and bench/package-debug: an executable SwiftPM built against the toolchain's
# shared Swift runtime, linked again from the same objects with the runtime linked in. Objects compiled against
# the shared runtime's modules name only the libraries those link to (-lFoundation); the static ones need more
# (CoreFoundation, _FoundationICU, ...), which a stub object compiled against the static modules names, so the
# link pulls them in.

# link_static OBJECTS_LIST MAIN OUTPUT WORK: the executable SwiftPM linked from OBJECTS_LIST (its entry point
# renamed MAIN, as SwiftPM does for executable targets), with the Swift runtime linked in (the
# toolchain's static libraries); WORK is a folder for the stub object.
link_static() {
    local objects=$1 main=$2 output=$3 work=$4 modules="" lib module
    local static_dir
    static_dir="$(dirname "$(dirname "$(readlink -f "$(command -v swiftc)")")")/lib/swift_static/linux"
    # The toolchain modules the objects link to (-lFoundation, -lswiftDispatch, ...), imported by the stub.
    for lib in $(sed 's/^"//; s/"$//' "$objects" | xargs swift-autolink-extract -o - | sed -n 's/^-l//p' | sort -u); do
        module=${lib#swift}
        if [ -e "$static_dir/$module.swiftmodule" ]; then modules+="import $module"$'\n'; fi
    done
    printf '%s' "$modules" > "$work/StaticRuntime.swift"
    swiftc -static-stdlib -parse-as-library -module-name RbshStaticRuntime -c "$work/StaticRuntime.swift" -o "$work/StaticRuntime.o"
    swiftc -static-stdlib -emit-executable -g -o "$output" -Xlinker --defsym -Xlinker "main=$main" \
        "@$objects" "$work/StaticRuntime.o" 2>&1 | { grep -v "is dangerous, better use" || true; } >&2
    [ -x "$output" ]
}
