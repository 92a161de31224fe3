#!/usr/bin/env bash
# One-shot setup on a fresh Debian/Ubuntu machine: system packages (PulseAudio
# for audio I/O and tests), npm packages, the native audio addon, the build,
# and the ONNX models (copied from ../shared/models when present, else
# downloaded; checksums verified), and this user's local link key.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
# npm 11 skips naudiodon's node-gyp build on install; build it explicitly.
npm rebuild naudiodon
npm run build
node packages/cli/dist/main.js models fetch
# The per-user key every local link proves (docs/SECURITY.md); a stage would make it on first start anyway.
node packages/cli/dist/main.js keys --local
