#!/usr/bin/env sh
# Seeds each fuzz target's corpus (fuzz/corpus/<target>/, not committed) from the sample events
# in events/: every trigger's events for its target, and every challengeMetadata string found
# there (in the events and their expectations) for `metadata`. Safe to run again.
set -eu
cd "$(dirname "$0")"
events=../events

seed() { # <target> <events folder>
    mkdir -p "corpus/$1"
    for f in "$events/$2"/*.json; do
        case "$f" in *.expected.json) continue ;; esac
        cp "$f" "corpus/$1/"
    done
}
seed define define-auth-challenge
seed verify verify-auth-challenge
seed create create-auth-challenge
seed pre_sign_up pre-sign-up

mkdir -p corpus/metadata
grep -rhoE '"challengeMetadata": *"[^"]*"' "$events" | sed -E 's/^"challengeMetadata": *"(.*)"$/\1/' | sort -u |
    while IFS= read -r m; do
        printf '%s' "$m" > "corpus/metadata/$(printf '%s' "$m" | cksum | cut -d' ' -f1)"
    done

for t in metadata define verify create pre_sign_up; do
    echo "corpus/$t: $(find "corpus/$t" -type f | wc -l) seeds"
done
