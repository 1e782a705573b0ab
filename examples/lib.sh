# Sourced by every examples/*/example.sh: how an example prints its steps and checks answers.
# An example is run as `example.sh WORKDIR`, with $LAKE naming the lake binary (default: the
# `lake` on PATH). Any failed check exits 1 with what was expected, so CI fails loudly.
set -euo pipefail

LAKE=${LAKE:-lake}
EXAMPLE_DIR=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)

# Prints a step's title, as a newcomer reads the output.
step() { printf '\n== %s\n' "$*"; }

# Runs lake with the command echoed, as a user would type it.
lk() { printf '$ lake'; printf ' %q' "$@"; printf '\n'; "$LAKE" "$@"; }

# Runs lake and requires its exit status: expect_status CODE ARGS...
expect_status() {
  local want=$1; shift
  printf '$ lake'; printf ' %q' "$@"; printf '\n'
  local got=0
  "$LAKE" "$@" || got=$?
  if [ "$got" != "$want" ]; then
    echo "CHECK FAILED: 'lake $*' exited $got, expected $want" >&2
    exit 1
  fi
}

# Requires two values to be equal: check LABEL GOT WANT.
check() {
  if [ "$2" != "$3" ]; then
    printf 'CHECK FAILED: %s\n  got:  %s\n  want: %s\n' "$1" "$2" "$3" >&2
    exit 1
  fi
  printf 'ok: %s = %s\n' "$1" "$2"
}

# The single value a query returns (CSV, no header): value SQL [lake query options...]
value() {
  local sql=$1; shift
  "$LAKE" query --format csv "$@" "$sql" | tail -n +2
}

# Sets up WORKDIR (the first argument): must be empty or absent; becomes the current directory
# with a fresh lake in it.
start_example() {
  local dir=${1:?usage: example.sh WORKDIR}
  mkdir -p "$dir"
  if [ -n "$(ls -A "$dir")" ]; then echo "$dir is not empty: give an empty or new directory" >&2; exit 2; fi
  cd "$dir"
  "$LAKE" init . --quiet
}

# Shows the example's retention.yaml, plans and applies it, requires the archived versions to
# be exactly WANT (DATASET@N, space-separated, by dataset), then lets gc drop what only the
# archives hold: archived_after_retention WANT
archived_after_retention() {
  cat retention.yaml
  lk retention plan --policy retention.yaml
  lk retention apply --policy retention.yaml --quiet
  check "archived versions" \
    "$(value "SELECT group_concat(v, ' ') FROM (SELECT dataset || '@' || version AS v FROM archives ORDER BY dataset)")" "$1"
  lk gc --grace 0s
}
