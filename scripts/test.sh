#!/usr/bin/env bash
# The test suite, as README.md gives it and .ci/run calls it: rustfmt's check, every workspace test (release profile), then each
# cargo-fuzz target for a few seconds on its committed seed corpus (scripts/fuzz.sh smoke; installs cargo-fuzz
# first if it is missing). Any failure fails the whole run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Formatting first (a second): an unformatted tree fails here, before minutes of tests.
cargo fmt --all --check
cargo test --workspace --release
scripts/fuzz.sh install
scripts/fuzz.sh smoke
