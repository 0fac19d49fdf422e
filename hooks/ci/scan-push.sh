#!/bin/sh
# tokenpatrol CI step: scan the commits a push brought, revoke the live tokens in them, write
# a SARIF report, and fail the job when a live token was pushed.
#
#   sh scan-push.sh BEFORE AFTER [REF]
#
#   BEFORE  the branch's tip before the push (GitHub: github.event.before, GitLab:
#           CI_COMMIT_BEFORE_SHA); all zeros or empty for a new branch or tag.
#   AFTER   the pushed commit (github.sha, CI_COMMIT_SHA); default HEAD.
#   REF     the pushed ref, refs/heads/NAME, refs/tags/NAME or a bare branch name
#           (github.ref; on GitLab refs/tags/ + CI_COMMIT_TAG or CI_COMMIT_BRANCH). Only
#           used for a new branch, see below.
#
# Environment: OPENINDEX_APP_URL (the tokenpatrol service: without it nothing can be
# verified or revoked, and every finding fails the job as `unverified`), TOKENPATROL_SARIF
# (the report, default tokenpatrol.sarif), TOKENPATROL_REMOTE (default origin), OI (default
# oi, from tokenpatrol installed from the source you pin, hooks/README.md), PYTHON (any Python 3, default python3 or python; it
# only reads the JSON report).
#
# What is scanned (`oi scan --history`, which reads every blob those commits add, so a token
# committed and deleted again within the push is still caught):
#   - BEFORE known in this clone:   BEFORE..AFTER
#   - a new branch or tag (BEFORE all zeros or empty), or a BEFORE this clone has never seen
#     (a force push): the commits of AFTER that no other branch of the remote holds, i.e.
#     AFTER minus every remote-tracking ref refs/remotes/<remote>/* except the pushed branch
#     itself (given as AFTER ^B1 ^B2 ... where B1, B2 ... are the boundary commits of
#     `git rev-list --boundary AFTER --not <those refs>`). With no other branch to subtract
#     (GitLab fetches only the pipeline's branch unless told otherwise; REF unknown) the
#     whole history of AFTER is scanned: slower, never less safe. Nothing new (the commit is
#     already on another branch): nothing is scanned.
#
# Shallow clones. Use a full clone (GitHub actions/checkout `fetch-depth: 0`, GitLab
# `GIT_DEPTH: 0`): the range must be in the clone, and a new branch needs the other branches.
# When the clone is shallow anyway and the range reaches the shallow boundary, this script
# runs `git fetch --unshallow` once; if that fails it exits 2 rather than scan half a push.
#
# Two scans of the same range:
#   1. `oi scan --history RANGE --verify --revoke --format json` (to a temporary file): live
#      tokens are revoked here, and each finding's status decides the job.
#   2. `oi scan --history RANGE --verify --revoke --format sarif --output $TOKENPATROL_SARIF`
#      for code scanning (GitHub) or as an artifact (GitLab). Tokens revoked by scan 1 show as
#      `revoked` there; --revoke again is only a safety net.
#
# Exit status:
#   1  a live leak: a finding whose status is `revoked_now` (it was live when pushed: now
#      revoked, but someone must look), `revoked_meanwhile` (live when checked, revoked by
#      someone else before this job could), `active` (revocation failed) or `unverified` (the
#      service could not be asked); any status not listed under 0 counts as live too;
#   0  no finding, or only `revoked`, `expired` or `unknown` ones (not a live token of this
#      service; they are still listed in the log and in the SARIF report);
#   2  an error (no oi, not a repository, bad revision, a shallow clone that cannot be
#      deepened, a scan that failed). A live leak wins over an error: 1.
# The log shows findings as the scanner does (prefix + last 4 + fingerprint), never a token.

oi=${OI:-oi}
before=${1:-}
after=${2:-HEAD}
ref=${3:-}
remote=${TOKENPATROL_REMOTE:-origin}
sarif=${TOKENPATROL_SARIF:-tokenpatrol.sarif}

set -f # revision words are split on purpose below; never glob them

say() {
    echo "tokenpatrol: $*" >&2
}

all_zeros() {
    case $1 in
        *[!0]*) return 1 ;;
        *) return 0 ;;
    esac
}

if ! command -v "$oi" >/dev/null 2>&1; then
    say "'$oi' not found: install tokenpatrol from the source you pin (hooks/README.md), or set OI=/path/to/oi"
    exit 2
fi
python=${PYTHON:-}
if [ -z "$python" ]; then
    for candidate in python3 python; do
        if command -v "$candidate" >/dev/null 2>&1; then
            python=$candidate
            break
        fi
    done
fi
if [ -z "$python" ]; then
    say "no Python found to read the report: set PYTHON=/path/to/python3"
    exit 2
fi
if ! git rev-parse --git-dir >/dev/null 2>&1; then
    say "not inside a git repository"
    exit 2
fi
if ! after=$(git rev-parse --verify --quiet "$after^{commit}"); then
    say "the pushed commit '${2:-HEAD}' is not in this clone"
    exit 2
fi
if [ -z "${OPENINDEX_APP_URL:-}" ]; then
    say "OPENINDEX_APP_URL is not set: findings cannot be verified or revoked," \
        "and every one fails the job"
fi
rm -f "$sarif" # never leave an older report to be uploaded as this push's

# The branch name of REF, empty for a tag or when unknown.
case $ref in
    refs/heads/*) branch=${ref#refs/heads/} ;;
    refs/*) branch= ;;
    *) branch=$ref ;;
esac

# Sets $revs (the words to give `oi scan --history`, empty when nothing is new) and $what.
# Returns 1 when git cannot list the commits.
compute_range() {
    if [ -n "$before" ] && ! all_zeros "$before" &&
        git cat-file -e "$before^{commit}" 2>/dev/null; then
        revs="$before..$after"
        what="$before..$after"
        return 0
    fi
    if [ -n "$before" ] && ! all_zeros "$before"; then
        what="$after (the previous tip $before is not in this clone)"
    else
        what="$after (new on $remote)"
    fi
    # Every remote-tracking branch but the pushed one (and symbolic refs such as HEAD). With
    # REF unknown, the pushed branch cannot be told apart from the others: subtract none.
    others=
    if [ -n "$ref" ] && [ "$ref" != refs/heads/ ]; then
        others=$(git for-each-ref --format='%(refname) %(symref)' "refs/remotes/$remote/" |
            while read -r name target; do
                [ -z "$target" ] || continue
                [ "$name" = "refs/remotes/$remote/$branch" ] && continue
                echo "$name"
            done) || return 1
    fi
    if [ -z "$others" ]; then
        revs=$after
        what="$what: its whole history (no other branch of $remote to leave out)"
        return 0
    fi
    # $others is unquoted on purpose: one word per ref (ref names hold no blanks).
    # shellcheck disable=SC2086
    new=$(git rev-list -n 1 "$after" --not $others --) || return 1
    if [ -z "$new" ]; then
        revs=
        return 0
    fi
    # shellcheck disable=SC2086
    boundary=$(git rev-list --boundary "$after" --not $others --) || return 1
    revs="$after $(printf '%s\n' "$boundary" | sed -n 's/^-/^/p' | tr '\n' ' ')"
    what="$what: the commits no other branch of $remote holds"
    return 0
}

# True when the range reaches a shallow boundary, i.e. some of its commits are not here.
truncated() {
    [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ] || return 1
    [ -n "$revs" ] || return 1
    shallow_file=$(git rev-parse --git-path shallow) || return 0
    [ -s "$shallow_file" ] || return 1
    # shellcheck disable=SC2086
    git rev-list $revs -- | grep -Fxq -f "$shallow_file"
}

if ! compute_range; then
    say "cannot list the pushed commits"
    exit 2
fi
if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ] &&
    { truncated || { [ -n "$before" ] && ! all_zeros "$before" &&
        ! git cat-file -e "$before^{commit}" 2>/dev/null; }; }; then
    say "shallow clone: fetching the full history (use fetch-depth: 0 / GIT_DEPTH: 0)"
    if ! git fetch --quiet --unshallow "$remote" >&2; then
        say "cannot deepen this shallow clone, so the pushed range cannot be scanned whole:" \
            "check out with fetch-depth: 0 (GitHub) or GIT_DEPTH: 0 (GitLab)"
        exit 2
    fi
    if ! compute_range; then
        say "cannot list the pushed commits"
        exit 2
    fi
fi

if [ -z "$revs" ]; then
    say "nothing new to scan: $after is already on another branch of $remote"
    "$oi" scan - --no-verify --format sarif --output "$sarif" </dev/null
    exit $?
fi
say "scanning $what"

report=$(mktemp "${TMPDIR:-/tmp}/tokenpatrol.XXXXXX") || exit 2
trap 'rm -f "$report"' EXIT
trap 'exit 2' HUP INT TERM

# 1. Verify and revoke; the statuses decide the job.
# shellcheck disable=SC2086
"$oi" scan --history $revs --verify --revoke --format json --output "$report" </dev/null
scan_status=$?
verdict=2
if [ "$scan_status" -le 1 ] && [ -s "$report" ]; then
    "$python" - "$report" <<'EOF'
import json
import sys

DEAD = {"revoked", "expired", "unknown"}  # not a live token of this service


def shown(value):
    """Paths and authors come from the pushed repository: escape what a terminal would run."""
    text = str(value)
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


with open(sys.argv[1], encoding="utf-8") as stream:
    findings = json.load(stream)["findings"]
live = 0
for f in findings:
    status = f.get("status")
    dead = status in DEAD
    live += not dead
    where = f"{shown(f.get('path'))}:{f.get('line')}"
    if f.get("commit"):
        where += f" in {str(f['commit'])[:12]}"
        if f.get("author"):
            where += f" by {shown(f['author'])}"
    label = "leak" if dead else "LIVE LEAK"
    status = {"revoked_now": "revoked now", "revoked_meanwhile": "revoked meanwhile"}.get(
        status, status
    )
    print(
        f"tokenpatrol: {label}: {f.get('kind')} {f.get('redacted')} "
        f"(fingerprint {f.get('fingerprint')}) at {where}: {status}"
    )
print(f"tokenpatrol: {len(findings)} finding(s), {live} live")
sys.exit(3 if live else 0)  # not 1: that is how Python itself fails
EOF
    case $? in
        0) verdict=0 ;;
        3) verdict=1 ;;
        *) say "cannot read the scan report" ;;
    esac
else
    say "the scan failed (exit status $scan_status)"
fi

# 2. The SARIF report of the same range.
# shellcheck disable=SC2086
"$oi" scan --history $revs --verify --revoke --format sarif --output "$sarif" </dev/null
sarif_status=$?
if [ "$sarif_status" -gt 1 ]; then
    say "the SARIF scan failed (exit status $sarif_status)"
    rm -f "$sarif" # a partial report must not close code scanning alerts
fi

if [ "$verdict" -eq 1 ]; then
    say "this push holds a live token (LIVE LEAK above): replace it; one not marked" \
        "'revoked now' may still work, revoke it (oi revoke -); remove it from the history"
    exit 1
fi
if [ "$verdict" -ne 0 ] || [ "$sarif_status" -gt 1 ]; then
    exit 2
fi
exit 0
