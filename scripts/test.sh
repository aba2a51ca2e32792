#!/usr/bin/env bash
# The whole test suite: set up, then every unit, property, integration and
# benchmark-smoke test of the workspace. Tests use loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo test --workspace --all-targets "$@"
