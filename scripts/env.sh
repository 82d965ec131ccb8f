# Sourced by the scripts: one shared target directory, so Polars is compiled once per machine (release profile
# only) and reused by CI runs and later checkouts.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/polaroid/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
mkdir -p "$CARGO_TARGET_DIR"
