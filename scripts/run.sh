#!/usr/bin/env bash
# The main job: set up, build and run the server (Ctrl-C to stop).
# Any arguments replace the default subcommand `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ $# -eq 0 ]; then set -- serve; fi
exec cargo run --release --bin switchboard -- "$@"
