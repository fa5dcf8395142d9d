#!/usr/bin/env bash
# Installs the programs tinygrad_edu needs outside Python: Graphviz's `dot` (pictures).
# Debian/Ubuntu as root (or with sudo): installed with apt-get. Elsewhere: prints what to do.
set -euo pipefail
need=()
command -v dot >/dev/null 2>&1 || need+=(graphviz)
for extra in "$@"; do
  case "$extra" in
    browser) { command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; } \
               || need+=(chromium chromium-driver) ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
  if [ "$sudo" != "none" ]; then
    echo "Installing ${need[*]} with apt-get ..."
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
    exit 0
  fi
fi
echo "Please install: ${need[*]}" >&2
echo "  Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
echo "  macOS:         brew install graphviz" >&2
echo "  Windows:       winget install graphviz (then reopen the terminal)" >&2
exit 1
