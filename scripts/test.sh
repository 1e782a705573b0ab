#!/usr/bin/env bash
# The whole test suite: unit tests of every module and CLI tests that run the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests
swift test --skip-build
