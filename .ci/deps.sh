# Idempotent installers shared by .ci/run and examples/demo.sh (sourced, not run).
# Each one skips itself when the tool is already on PATH.

apt_updated=
# need_apt BINARY PACKAGE...: install the Debian packages unless BINARY is on PATH.
need_apt() {
    local bin=$1; shift
    if command -v "$bin" >/dev/null 2>&1; then
        return 0
    fi
    echo "--- installing $* (for $bin)"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    if [ -z "$apt_updated" ]; then
        $sudo apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
    command -v "$bin" >/dev/null 2>&1 || { echo "installing $* did not provide $bin" >&2; return 1; }
}

# need_cargo BINARY CRATE@VERSION [cargo install args...]: install a crate's
# binary unless BINARY is on PATH.
need_cargo() {
    local bin=$1 spec=$2; shift 2
    if command -v "$bin" >/dev/null 2>&1; then
        return 0
    fi
    echo "--- cargo install $spec $* (for $bin)"
    cargo install "$spec" --locked --quiet "$@"
    command -v "$bin" >/dev/null 2>&1 || { echo "cargo install $spec did not provide $bin" >&2; return 1; }
}

# need_pip MODULE_OR_COMMAND PACKAGE...: pip-install unless the Python module
# imports (or, for a name with a leading !, the command is on PATH).
need_pip() {
    local what=$1; shift
    if [ "${what#!}" != "$what" ]; then
        command -v "${what#!}" >/dev/null 2>&1 && return 0
    else
        python3 -c "import $what" >/dev/null 2>&1 && return 0
    fi
    echo "--- pip install $*"
    python3 -m pip install --quiet --disable-pip-version-check "$@"
    # Under pyenv, new console scripts (hadolint) need their shims made;
    # pyenv's own hook only runs for a bare `pip`.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
    if [ "${what#!}" != "$what" ]; then
        command -v "${what#!}" >/dev/null 2>&1 || { echo "pip install $* did not provide ${what#!}" >&2; return 1; }
    fi
}

# need_npm DIR: install DIR's node packages from its package-lock.json into
# DIR/node_modules (never globally) unless they are there at the locked
# versions already.
need_npm() {
    local dir=$1
    if [ -f "$dir/node_modules/.package-lock.json" ] \
        && cmp -s <(sed -n '/"packages"/,$p' "$dir/package-lock.json" | grep -E '"(version|integrity)"') \
                  <(sed -n '/"packages"/,$p' "$dir/node_modules/.package-lock.json" | grep -E '"(version|integrity)"'); then
        return 0
    fi
    echo "--- npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

# need_venv DIR MODULE PACKAGE...: a Python virtual environment at DIR (kept
# outside the clone, so CI can keep it between runs) with PACKAGE installed,
# unless MODULE already imports there.
need_venv() {
    local dir=$1 module=$2; shift 2
    if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import $module" >/dev/null 2>&1; then
        return 0
    fi
    echo "--- python venv $dir: pip install $*"
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "$@"
    "$dir/bin/python" -c "import $module" || { echo "pip install $* in $dir did not provide $module" >&2; return 1; }
}

# need_venv_pinned DIR REQUIREMENTS MODULE...: a virtualenv at DIR (outside
# the clone, so CI keeps it between runs) with a requirements file's exact
# pins installed, unless DIR already has that file's pins and every MODULE
# imports there (made again from scratch when the pins change).
need_venv_pinned() {
    local dir=$1 req=$2; shift 2
    local imports
    imports=$(printf 'import %s; ' "$@")
    if [ -x "$dir/bin/python" ] && cmp -s "$req" "$dir/requirements.txt" \
        && "$dir/bin/python" -c "$imports" >/dev/null 2>&1; then
        return 0
    fi
    echo "--- venv $dir: pip install -r $req"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
    "$dir/bin/python" -c "$imports" || { echo "the venv in $dir does not import $*" >&2; return 1; }
    cp "$req" "$dir/requirements.txt"
}
