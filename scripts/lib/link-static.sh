# Shared by scripts/package and bench/package-debug: an executable SwiftPM built against the toolchain's
# shared Swift runtime, linked again from the same objects with the runtime linked in. Objects compiled against
# the shared runtime's modules name only the libraries those link to (-lFoundation); the static ones need more
# (CoreFoundation, _FoundationICU, ...), which a stub object compiled against the static modules names, so the
# link pulls them in.

# link_flags DIR: sets RBSH_LINK_FLAGS, how the packaged binary is linked whichever way it is built: by the
# toolchain's lld; exporting no symbols (swiftc's -static-stdlib exports every object's, which keeps them all from
# --gc-sections and gives the dynamic linker a table of them to search at every start); relative relocations
# packed (DT_RELR, glibc 2.36) instead of 2.7 MB of them read and applied at every start; the functions everyday
# commands run placed together (startup-symbols.order.gz, from scripts/order-symbols; written into DIR for the
# linker). Measured in docs/benchmarks.md, "The package".
# RBSH_ORDER_CHANGED is 1 when the order differs from the one DIR had: a build that does not know the file is
# its input must link again.
link_flags() {
    local order="$1/startup-symbols.order" source
    source="$(dirname "${BASH_SOURCE[0]}")/startup-symbols.order.gz"
    RBSH_LINK_FLAGS=(-use-ld=lld -Xlinker --no-export-dynamic -Xlinker -z -Xlinker pack-relative-relocs)
    RBSH_ORDER_CHANGED=0
    [ -e "$source" ] || return 0
    zcat "$source" > "$order.new"
    if cmp -s "$order.new" "$order"; then rm "$order.new"; else mv "$order.new" "$order"; RBSH_ORDER_CHANGED=1; fi
    RBSH_LINK_FLAGS+=(-Xlinker "--symbol-ordering-file=$order" -Xlinker --no-warn-symbol-ordering)
}

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
    link_flags "$work"
    swiftc -static-stdlib -parse-as-library -module-name RbshStaticRuntime -c "$work/StaticRuntime.swift" -o "$work/StaticRuntime.o"
    swiftc -static-stdlib -emit-executable -g -o "$output" -Xlinker --defsym -Xlinker "main=$main" \
        "@$objects" "$work/StaticRuntime.o" "${RBSH_LINK_FLAGS[@]}" 2>&1 | { grep -v "is dangerous, better use" || true; } >&2
    [ -x "$output" ]
}
