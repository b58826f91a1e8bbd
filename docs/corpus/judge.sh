#!/usr/bin/env bash
# Judges saved learner fixes against the course's tests as they are now.
#
#   docs/corpus/judge.sh EXERCISE FIX...
#
# Run it from the root of a checkout of this repository (a spare `git worktree`, not the one you
# edit: it writes the exercise file) with the CLI built there (`cargo build --bin async-lings`),
# at a commit: the CLI checks the tests against the committed ones. After a commit, `touch
# build.rs` before building if the target dir came from another worktree. Each FIX is code above
# the `// Tests:` line (what fixes.tar.xz holds; a whole exercise file works too); it is put above
# the current tests, checked with `async-lings run`, and the shipped file is put back. Prints one
# line per fix: PASS, FAIL or ERROR(exit status), then the fix's path. QUIET=0 also prints the
# first LINES_MAX (25) lines of what the learner would see.
set -u
name=$1
shift
marker='// Tests: do not edit below this line.'
file=$(ls exercises/*/"$name".rs 2>/dev/null | head -n 1)
if [ -z "$file" ]; then
    echo "no exercise named $name under exercises/ (run this from the course's root)" >&2
    exit 2
fi
shipped=$(mktemp)
cp "$file" "$shipped"
trap 'cp "$shipped" "$file"; rm -f "$shipped"' EXIT
for fix in "$@"; do
    {
        awk -v m="$marker" 'index($0, m) == 1 { exit } { print }' "$fix"
        awk -v m="$marker" 'index($0, m) == 1 { on = 1 } on { print }' "$shipped"
    } > "$file"
    out=$(timeout 300 ./target/debug/async-lings run "$name" 2>&1)
    status=$?
    case $status in
        0) verdict=PASS ;;
        1) verdict=FAIL ;;
        *) verdict="ERROR($status)" ;;
    esac
    echo "$verdict $fix"
    if [ "${QUIET:-1}" = 0 ]; then
        echo "$out" | head -n "${LINES_MAX:-25}" | sed 's/^/    /'
    fi
done
