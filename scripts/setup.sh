#!/usr/bin/env bash
# Installs what `npm start` / `npm test` / `npm run bench` need on a fresh machine, then builds.
# Usage: scripts/setup.sh start|test|bench. Idempotent: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-test}"
say() { printf 'picochain setup: %s\n' "$*" >&2; }
die() { printf 'picochain setup: %s\n' "$*" >&2; exit 1; }

# 1. npm packages (the lock file pins them)
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    command -v npm >/dev/null || die "Node.js with npm is missing: install Node.js (the version package.json \"engines\" names) first."
    say "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error >&2
fi

apt_install() { # apt_install <command> <debian package>
    # Debian puts mosquitto in /usr/sbin, which a non-root PATH often lacks (services.js looks there too)
    { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ]; } && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        say "installing $2 with apt-get"
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; then
            apt-get update -qq >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 \
                || die "apt-get install $2 failed: install $2 by hand (it provides $1)."
        fi
    else
        die "$1 is missing: run 'sudo apt-get install $2' (Debian/Ubuntu), then retry."
    fi
}

# 2. system packages: Mosquitto for tests (the one-command start embeds aedes), Chromium for page
# tests, poppler-utils (pdftoppm, pdftotext) for the PDF tests
if [ "$purpose" = test ] || [ "$purpose" = bench ]; then
    apt_install mosquitto mosquitto
fi
if [ "$purpose" = test ]; then
    apt_install chromium chromium
    # the food-safety log's PDF is rendered to PNG and read back as text in the tests
    apt_install pdftoppm poppler-utils
fi

# 3. FerretDB 1.24 (SQLite backend), built from the Go module proxy once per machine.
# A plain `go install` of v1.24.2 builds a binary that panics on its missing version.txt, so
# we build the same module source with that file written in.
FERRETDB_VERSION=v1.24.2
bin_dir="${PICOCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/picochain}/bin"
ferretdb="$bin_dir/ferretdb-$FERRETDB_VERSION"
need_ferretdb=1
if [ "$purpose" = start ] && { [ -n "${MONGODB_URI:-}" ] || command -v mongod >/dev/null; }; then need_ferretdb=0; fi
if [ $need_ferretdb = 1 ] && [ ! -x "$ferretdb" ]; then
    command -v go >/dev/null || die "Go is missing: install Go >= 1.22 (needed once to build FerretDB), or set MONGODB_URI."
    say "building FerretDB $FERRETDB_VERSION with Go (once per machine, 1-5 minutes)"
    src_dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" \
        | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
    work=$(mktemp -d)
    cp -r "$src_dir" "$work/src" && chmod -R u+w "$work/src"
    echo "$FERRETDB_VERSION" > "$work/src/build/version/version.txt"
    mkdir -p "$bin_dir"
    (cd "$work/src" && go build -trimpath -o "$ferretdb.$$.tmp" ./cmd/ferretdb) >&2 || die "building FerretDB failed (see above); set MONGODB_URI to use another MongoDB-wire server."
    mv -f "$ferretdb.$$.tmp" "$ferretdb"  # atomic rename: a concurrent build is harmless
    rm -rf "$work"
    say "FerretDB built: $ferretdb"
fi

# 4. our TypeScript
say "building (tsc)"
node scripts/build.js --clean >&2

# 5. the other supported Node-RED majors (3.1, and 5.0 with Node.js 22) side by side in the cache,
# for the editor and package tests
if [ "$purpose" = test ]; then
    node scripts/lib/node-red-versions.js install >&2 || die "installing Node-RED 3.1/5.0 into the cache failed (see above)"
fi
