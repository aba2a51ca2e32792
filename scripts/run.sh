#!/usr/bin/env bash
# The main job: set up, build and place the demo call end to end (a
# simulated patient calls the in-process server over a real WebSocket).
# Any arguments replace the default subcommand `demo` (e.g. `serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ $# -eq 0 ]; then set -- demo; fi
exec cargo run --release --bin switchboard -- "$@"
