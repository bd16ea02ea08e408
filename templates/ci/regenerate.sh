#!/usr/bin/env bash
# Regenerate the API client after a spec change and report on it: drift of the
# committed client, a reproducibility check, a smoke test of the generated package,
# the API changelog against the base commit, and a gate on breaking changes.
#
# Copied from oapigen's templates/ci/ into a repository that holds the spec and the
# generated client (see oapigen's docs/CI.md); `.github/workflows/regenerate.yml` runs
# it on every change under specs/, and it runs the same way on a laptop:
#
#   scripts/regenerate.sh [--base REF] [--fail-on-drift] [--no-changelog]
#
# Settings (environment), paths relative to the repository root:
#   SPEC         the spec (default specs/openapi.yaml)
#   OUT          folder of generated projects (default generated)
#   PACKAGE      package name (default: the one oapigen derives from the spec)
#   OAPIGEN      generator command (default oapigen; e.g. "python -m oapigen")
#   PYTHON       Python for the smoke test (default python3)
#   BREAKING_OK  1/true/yes: breaking changes were reviewed (the workflow sets it
#                when the pull request has the `breaking-ok` label)
#   REPORT_DIR   where summary.md, changelog.md/.json and smoke.txt go (default
#                .regenerate)
#   GITHUB_STEP_SUMMARY  set by GitHub Actions: summary.md is appended to it
#
# Exit status: 0 fine; 1 unreviewed breaking changes, or (with --fail-on-drift) a
# committed client that was not regenerated; 2 an error (the spec does not generate,
# the output is not reproducible, the smoke test or `oapigen diff` failed).
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}

base=HEAD
fail_on_drift=0
changelog=1
while [ $# -gt 0 ]; do
    case "$1" in
        --base) base="${2:?--base needs a git ref}"; shift 2 ;;
        --base=*) base="${1#--base=}"; shift ;;
        --fail-on-drift) fail_on_drift=1; shift ;;
        --no-changelog) changelog=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "regenerate.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done

scripts="$(cd "$(dirname "$0")" && pwd)"
cd "$(git rev-parse --show-toplevel)"

spec="${SPEC:-specs/openapi.yaml}"
out="${OUT:-generated}"
python="${PYTHON:-python3}"
read -r -a oapigen <<<"${OAPIGEN:-oapigen}"
report="${REPORT_DIR:-.regenerate}"
mkdir -p "$report"
summary="$report/summary.md"
: >"$summary"
rm -f "$report/changelog.md" "$report/changelog.json"
package_args=()
if [ -n "${PACKAGE:-}" ]; then
    package_args=(--package "$PACKAGE")
fi

log() { printf 'regenerate: %s\n' "$*" >&2; }
say() { printf '%s\n' "$*" >>"$summary"; }
publish() {
    if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
        cat "$summary" >>"$GITHUB_STEP_SUMMARY"
    fi
}
die() {
    log "error: $*"
    say ""
    say "**Error:** $*"
    publish
    exit 2
}
generate() { "${oapigen[@]}" "$spec" --output "$out" ${package_args[@]+"${package_args[@]}"} --quiet "$@"; }

say "## API client from \`$spec\`"
say ""
[ -f "$spec" ] || die "no spec at $spec (set SPEC)"

# 1. Regenerate (a spec that fails leaves the client untouched), then 2. the drift
# check: a second generation must find nothing to change.
log "regenerating from $spec"
set +e
generate 2>"$report/generate.txt"
generated=$?
set -e
if [ "$generated" -ne 0 ]; then
    cat "$report/generate.txt" >&2
    die "oapigen cannot generate from $spec (exit $generated): $(head -n 1 "$report/generate.txt")"
fi
if ! generate --check 2>"$report/recheck.txt"; then
    cat "$report/recheck.txt" >&2
    die "the regenerated client differs from a second generation (output not reproducible)"
fi

# The generated project: $OUT/$PACKAGE, or the one whose header names this spec.
if [ -n "${PACKAGE:-}" ]; then
    project="$out/$PACKAGE"
else
    spec_name="$(basename "$spec")"
    matches=()
    for toml in "$out"/*/pyproject.toml; do
        [ -f "$toml" ] || continue
        if head -n 1 "$toml" | grep -qF "from $spec_name. "; then
            matches+=("$(dirname "$toml")")
        fi
    done
    [ "${#matches[@]}" -eq 1 ] || die "cannot tell which project under $out/ comes from $spec (found ${#matches[@]}): set PACKAGE"
    project="${matches[0]}"
fi
# 3. Was the committed client what the spec generates? (git sees what changed)
changed="$(git status --porcelain --untracked-files=all -- "$project" | wc -l | tr -d ' ')"
if [ -z "$(git ls-files -- "$project")" ]; then
    drift_state="not committed (new or ignored)"
    stale=0
elif [ "$changed" -eq 0 ]; then
    drift_state="up to date"
    stale=0
else
    drift_state="stale: regenerating changed $changed files"
    stale=1
fi
version_of() { sed -n 's/^version = "\(.*\)"$/\1/p' | head -n 1; }
new_version="$(version_of <"$project/pyproject.toml")"
old_version="$(git show "$base:$project/pyproject.toml" 2>/dev/null | version_of || true)"

# 4. Smoke test: import, a client over a mock transport, one call, the command line.
log "smoke-testing $project"
if ! "$python" "$scripts/smoke_test.py" "$project" >"$report/smoke.txt" 2>&1; then
    cat "$report/smoke.txt" >&2
    die "smoke test failed: $(tail -n 1 "$report/smoke.txt")"
fi
smoke="$(grep -c '^ok ' "$report/smoke.txt" || true) checks passed"

# 5. Changelog against the base commit's spec, and the breaking-change gate.
breaking=none
if [ "$changelog" -eq 0 ]; then
    breaking="not checked (--no-changelog)"
elif ! git cat-file -e "$base:$spec" 2>/dev/null; then
    breaking="not checked: no $spec at $base"
else
    log "computing the changelog against $base"
    old="$report/base"
    rm -rf "$old"
    mkdir -p "$old"
    # The spec's whole folder, for specs split across files.
    git archive "$base" -- "$(dirname "$spec")" | tar -x -C "$old"
    set +e
    "${oapigen[@]}" diff "$old/$spec" "$spec" --format json --fail-on-breaking \
        >"$report/changelog.json" 2>"$report/diff.txt"
    diff_status=$?
    if [ "$diff_status" -le 1 ]; then
        "${oapigen[@]}" diff "$old/$spec" "$spec" --format md \
            >"$report/changelog.md" 2>>"$report/diff.txt"
        [ $? -le 1 ] || diff_status=2
    fi
    set -e
    case $diff_status in
        0) breaking=none ;;
        1) breaking=found ;;
        *) cat "$report/diff.txt" >&2; die "oapigen diff failed (exit $diff_status): $(head -n 1 "$report/diff.txt")" ;;
    esac
fi

status=0
case "$(printf '%s' "${BREAKING_OK:-}" | tr '[:upper:]' '[:lower:]')" in
    1 | true | yes) reviewed=1 ;;
    *) reviewed=0 ;;
esac
if [ "$breaking" = found ]; then
    if [ "$reviewed" -eq 1 ]; then
        breaking="found, reviewed (BREAKING_OK)"
    else
        breaking="found, **not reviewed**: add the \`breaking-ok\` label once reviewed"
        status=1
    fi
fi
if [ "$stale" -eq 1 ] && [ "$fail_on_drift" -eq 1 ]; then
    drift_state="$drift_state: **run scripts/regenerate.sh and commit $project**"
    status=1
fi

say "| | |"
say "| --- | --- |"
say "| package | \`$(basename "$project")\` ${old_version:-(new)} -> $new_version |"
say "| committed client | $drift_state |"
say "| regenerated client | reproducible (\`oapigen --check\` passes) |"
say "| smoke test | $smoke |"
say "| breaking changes | $breaking |"
if [ -s "$report/changelog.md" ] && [ "$changelog" -eq 1 ]; then
    say ""
    say "<details open><summary>API changelog</summary>"
    say ""
    cat "$report/changelog.md" >>"$summary"
    say ""
    say "</details>"
fi
publish
log "done (exit $status): committed client $drift_state; breaking changes: $breaking"
exit "$status"
