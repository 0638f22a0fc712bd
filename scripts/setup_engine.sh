#!/usr/bin/env bash
# Builds (once) and locates the Pulumi engine used offline: the `pulumi` CLI from the Go module proxy at
# a pinned version, pca-import's minimal Python language host (scripts/langhost), and the SDK's two
# Python launcher scripts beside them. Cached outside the repository, keyed by version and host source;
# a second run only checks the cache. Prints the bin directory on stdout (last line).
#
# A `pulumi` already on PATH is reused when its version is the pinned one and a language host sits
# beside it.  Override the cache with PCA_IMPORT_CACHE.
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
# One place for each version: the language host's go.mod pins the Pulumi SDK (hence the CLI) and the Go it needs.
VERSION="$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" {sub(/^v/, "", $2); print $2; exit}' "$REPO/scripts/langhost/go.mod")"
GO_MIN="$(awk '$1 == "go" {print $2; exit}' "$REPO/scripts/langhost/go.mod")"
CACHE="${PCA_IMPORT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pca-import}"
DIR="$CACHE/pulumi-v$VERSION"
BIN="$DIR/bin"
LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$VERSION"
start=$(date +%s)
log() { echo "setup_engine: $*" >&2; }

if existing="$(command -v pulumi 2>/dev/null)"; then
  dir="$(dirname "$existing")"
  if [ "$("$existing" version 2>/dev/null)" = "v$VERSION" ] && [ -x "$dir/pulumi-language-python" ] \
     && [ -x "$dir/pulumi-resource-pulumi-python" ]; then
    log "using pulumi v$VERSION already on PATH ($dir)"
    echo "$dir"; exit 0
  fi
fi

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    log "Go is needed to build the Pulumi engine offline: install Go $GO_MIN or newer (or put pulumi v$VERSION with"
    log "its Python language host on PATH) and run again"
    exit 1
  fi
}

host_hash="$(cat "$REPO"/scripts/langhost/*.go "$REPO/scripts/langhost/go.mod" "$REPO/scripts/langhost/go.sum" | sha256sum | cut -c1-16)"
mkdir -p "$BIN"

if [ ! -x "$BIN/pulumi" ]; then
  need_go
  log "building the pulumi CLI v$VERSION from the Go module proxy (first run: several minutes)"
  src="$DIR/src/cli"; mkdir -p "$src"
  cat > "$src/go.mod" <<GOMOD
module pcaimport.local/enginebuild

go $GO_MIN

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"\n' > "$src/tools.go"
  (cd "$src" && go get "github.com/pulumi/pulumi/pkg/v3@v$VERSION" "github.com/pulumi/pulumi/sdk/v3@v$VERSION" >&2 \
     && go mod tidy >&2 \
     && go build -ldflags "$LDFLAGS" -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2)
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
fi

if [ ! -x "$BIN/pulumi-language-python" ] || [ "$(cat "$BIN/.langhost-hash" 2>/dev/null)" != "$host_hash" ]; then
  need_go
  log "building the Python language host (scripts/langhost)"
  (cd "$REPO/scripts/langhost" && go build -o "$BIN/pulumi-language-python.tmp" . >&2)
  mv "$BIN/pulumi-language-python.tmp" "$BIN/pulumi-language-python"
  echo "$host_hash" > "$BIN/.langhost-hash"
fi

if [ ! -x "$BIN/pulumi-resource-pulumi-python" ] || [ ! -x "$BIN/pulumi-language-python-exec" ]; then
  need_go
  sdk="$(cd "$REPO/scripts/langhost" && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
  cp "$sdk/python/cmd/pulumi-language-python-exec" "$sdk/python/dist/pulumi-resource-pulumi-python" "$BIN/"
  chmod 755 "$BIN/pulumi-language-python-exec" "$BIN/pulumi-resource-pulumi-python"
fi

"$BIN/pulumi" version >/dev/null
log "pulumi $("$BIN/pulumi" version) ready in $BIN ($(( $(date +%s) - start ))s)"
echo "$BIN"
