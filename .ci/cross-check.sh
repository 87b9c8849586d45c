#!/usr/bin/env bash
# Type-checks the workspace for the platforms CI does not run on: macOS (kqueue) and Windows
# (IOCP), both through the mio backend. `cargo check` and `cargo clippy -D warnings` need only
# the target's standard library, no linker or SDK, so this runs on a Linux host.
#
# Checked per target, all targets (lib, tests, examples, benches where they exist):
#   blitz-io, blitz-io-macros, blitz-io-examples, blitz-io-ui-tests.
# Not checked: blitz-io-benches (Unix-only measurement code: getrusage, CPU pinning, and a C
# build script in criterion's dependencies that needs the target's C compiler).
#
# A target whose standard library cannot be installed (no rustup, no network) is reported
# with a "SKIPPED" line and does not fail the script; a check that fails does.
#
# Running the Windows tests (not only building them) needs wine: see .ci/wine-test.sh.
set -uo pipefail
cd "$(dirname "$0")/.."

# CROSS_TARGETS overrides the list (space-separated).
read -ra TARGETS <<< "${CROSS_TARGETS:-x86_64-apple-darwin x86_64-pc-windows-gnu}"
PACKAGES=(blitz-io blitz-io-macros blitz-io-examples blitz-io-ui-tests)

installed_targets() {
    rustup target list --installed 2>/dev/null
}

status=0
for target in "${TARGETS[@]}"; do
    echo "== $target"
    if ! installed_targets | grep -qx "$target"; then
        if ! command -v rustup >/dev/null 2>&1 || ! rustup target add "$target"; then
            echo "SKIPPED $target: its standard library is not installed and 'rustup target add $target' failed (no rustup or no network)"
            continue
        fi
    fi
    args=()
    for package in "${PACKAGES[@]}"; do
        args+=(-p "$package")
    done
    if ! cargo check --target "$target" "${args[@]}" --all-targets; then
        echo "FAILED cargo check --target $target"
        status=1
        continue
    fi
    if ! cargo clippy --target "$target" -p blitz-io --all-targets -- -D warnings; then
        echo "FAILED cargo clippy --target $target -p blitz-io"
        status=1
        continue
    fi
    echo "OK $target"
done
exit $status
