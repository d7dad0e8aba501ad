#!/usr/bin/env bash
# Compares ackreg's rendering of the filled annex with `typst compile` on an
# equivalent source (issue 5, point 3). Not part of CI: it installs typst-cli
# (a long compilation) and its figures depend on the machine.
#
#   scripts/typst-compare.sh            # 10,000 rows
#   ROWS=1000 scripts/typst-compare.sh
#
# The bench binary writes the annex as a Typst project: the house style with
# `sys.inputs` replaced by `data.typ`, which holds every row inline as a
# Typst literal, and the register file it attaches. It also prints ackreg's
# own time for the same rows, cold (first rendering in a process, fonts
# included) and warm. typst is run as a process, so its time includes
# starting up and loading its embedded fonts (system fonts ignored).
set -euo pipefail

cd "$(dirname "$0")/.."
ROWS="${ROWS:-10000}"
RUNS="${RUNS:-3}"
TYPST_VERSION="${TYPST_VERSION:-0.15.1}" # the typst crate ackreg uses
TYPST_ROOT="${TYPST_ROOT:-$HOME/.cache/ackreg-typst-cli}"
TYPST="$TYPST_ROOT/bin/typst"

if ! "$TYPST" --version 2>/dev/null | grep -q "$TYPST_VERSION"; then
    echo "installing typst-cli $TYPST_VERSION into $TYPST_ROOT (takes many minutes)" >&2
    CARGO_TARGET_DIR="$TYPST_ROOT/target" cargo install typst-cli \
        --version "$TYPST_VERSION" --locked --root "$TYPST_ROOT"
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# Both are timed as new processes, RUNS times each, alternating, and the
# fastest run of each is compared (the machine is shared: the fastest run is
# the one least disturbed). ackreg's "cold" time is its first rendering in a
# new process, fonts included; its "warm" time is a second rendering in the
# same process with Typst's memoisation cache emptied first.
cargo bench --bench ackreg --no-run
best=""
ackreg_cold=""
ackreg_warm=""
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }
for i in $(seq "$RUNS"); do
    ROWS="$ROWS" cargo bench --bench ackreg -- export-typst "$WORK" > "$WORK/ackreg.txt"
    cold=$(awk '/^ACKREG_COLD_SECONDS/ {print $2}' "$WORK/ackreg.txt")
    warm=$(awk '/^ACKREG_WARM_SECONDS/ {print $2}' "$WORK/ackreg.txt")
    echo "ackreg run $i: cold ${cold} s, warm ${warm} s"
    ackreg_cold=$(min "$ackreg_cold" "$cold")
    ackreg_warm=$(min "$ackreg_warm" "$warm")

    start=$(date +%s.%N)
    "$TYPST" compile --ignore-system-fonts --pdf-standard a-3a \
        --root "$WORK" "$WORK/rules.typ" "$WORK/typst.pdf"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    echo "typst compile run $i: ${t} s"
    best=$(min "$best" "$t")
done

echo
echo "rows:                        $ROWS"
echo "typst compile (best of $RUNS):   $best s, $(stat -c %s "$WORK/typst.pdf") bytes"
echo "ackreg cold (best of $RUNS):     $ackreg_cold s, $(stat -c %s "$WORK/ackreg.pdf") bytes"
echo "ackreg warm (best of $RUNS):     $ackreg_warm s"
printf 'RATIO ackreg cold / typst compile: %.3f×\n' "$(echo "$ackreg_cold / $best" | bc -l)"
printf 'RATIO ackreg warm / typst compile: %.3f×\n' "$(echo "$ackreg_warm / $best" | bc -l)"
