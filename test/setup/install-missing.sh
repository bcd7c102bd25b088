# Sourced by the ensure-* scripts: install_missing WHO PACKAGE... installs the Debian packages
# named (duplicates are fine) with apt-get, as root or through sudo, and otherwise stops with a
# line saying what to install. Nothing to do when the list is empty.
install_missing() {
  local who=$1
  shift
  [ $# -eq 0 ] && return 0
  local need
  mapfile -t need < <(printf '%s\n' "$@" | sort -u)
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "$who: missing ${need[*]}; install them as root: apt-get install ${need[*]}" >&2
      exit 1
    fi
  fi
  echo "$who: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}
