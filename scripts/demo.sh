#!/usr/bin/env bash
# The main job: build lake, then run the richest example, the relational fact field loop
# (examples/rff, pipeline 4 of SEED-SYSTEMS.md), in a throwaway workspace: stages run and
# reused, _current refs promoted and bound on disk, a gate that blocks, the merged field's
# lineage, counts, the retention plan and apply, and a reproduce of an archived iteration.
# The example takes about 10 s after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --static-swift-stdlib --product lake
export LAKE="$(swift build -c release --static-swift-stdlib --show-bin-path)/lake"
# The workspace stays, for the newcomer to explore with the commands the example prints last.
work=$(mktemp -d /tmp/lake-demo.XXXX)
time bash examples/rff/example.sh "$work/rff"
