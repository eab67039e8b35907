# Sourced by the install-*.sh scripts: `apt_install NAME APT-ARGS...` runs `apt-get install -y APT-ARGS` as root (or
# through `sudo -n`), and once more after `apt-get update` when the package lists are stale. NAME prefixes messages.
apt_install() {
  local name="$1"
  shift
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "$name: not root and sudo is not available; cannot run apt-get install $*." >&2
      exit 1
    fi
    sudo=(sudo -n)
  fi

  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$name: apt-get not found; install $* by hand." >&2
    exit 1
  fi

  export DEBIAN_FRONTEND=noninteractive
  echo "$name: running apt-get install -y $*..."
  if ! "${sudo[@]}" apt-get install -y "$@"; then
    echo "$name: install failed; running apt-get update and trying again..."
    "${sudo[@]}" apt-get update
    "${sudo[@]}" apt-get install -y "$@"
  fi
}
