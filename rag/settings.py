"""One frozen settings object, built once at the entry point and passed down.

Sources, lowest to highest precedence: the defaults below, a TOML config file (``--config``,
else ``NEWSRAG_CONFIG``, else ``config.toml`` in the data directory), ``NEWSRAG_<FIELD>``
environment variables, then explicit overrides (command-line flags). This is the only module that
reads the environment, and only through the mapping it is handed.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from rag.errors import ConfigError
from rag.remote.http import PREFIX as SERVER_PREFIX, checked_url, server_url

PREFIX = "NEWSRAG_"
RETRIEVERS = ("hybrid", "dense", "keyword")
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _default_data_dir(environ: Mapping[str, str]) -> Path:
    from platformdirs import user_data_path

    return user_data_path("newsrag", appauthor=False)


def _default_cache_dir(environ: Mapping[str, str]) -> Path:
    from platformdirs import user_cache_path

    return user_cache_path("newsrag", appauthor=False)


def shipped_corpus_dir() -> Path:
    """The ``corpus/`` folder next to the package (present in a source checkout)."""
    return Path(__file__).resolve().parent.parent / "corpus"


@dataclass(frozen=True)
class Settings:
    # where things live
    data_dir: Path = Path()
    cache_dir: Path = Path()
    corpus_dir: Path = Path()
    index_corpus_on_first_run: bool = True
    # "" keeps the store in data_dir (SQLite + FAISS); "postgresql://user@host/db" puts it in
    # PostgreSQL with pgvector (newsrag[postgres])
    store: str = ""
    # chunking and embedding
    chunk_size: int = 800
    chunk_overlap: int = 120
    embed_model: str = "all-MiniLM-L6-v2"
    embed_batch_size: int = 64
    # retrieval
    retriever: str = "hybrid"
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 60
    min_evidence: float = 0.25
    time_windows: bool = True  # "this week", "in March 2024": prefer articles published then
    # How strongly: the window's ranking counts this many times the archive's (docs/time.md, "Questions
    # about time"); 1.5 or more is a filter, 0 ignores time expressions.
    time_window_weight: float = 1.0
    # With an as-of date and no time expression in the question: drop articles published more than
    # as_of_grace_days after it (-1 keeps them), and divide older ones' scores by 1 + age/as_of_half_days
    # (0: no age preference). Chosen on rtqa-dev's 2022 questions (docs/decisions.md, "The as-of rule").
    as_of_grace_days: int = 7
    as_of_half_days: float = 0.0
    ann_threshold: int = 200_000
    # generation
    model: str = "qwen2.5-1.5b"
    n_ctx: int = 4096
    n_threads: int = 0
    max_tokens: int = 192
    temperature: float = 0.0
    flash_attn: bool = True
    context_chars: int = 1300
    # model servers (model = "openai:http://host:8080/v1", embed_url = "http://host:8081/v1")
    model_name: str = ""  # sent as "model"; empty: the first one the server lists
    api_key: str = field(default="", repr=False)
    connect_timeout: float = 5.0
    read_timeout: float = 120.0  # longest silence between two pieces of a reply
    server_retries: int = 2  # connection failures retried before the first byte of a reply
    embed_url: str = ""
    # limits
    max_file_mb: float = 50.0
    max_text_chars: int = 2_000_000  # text taken from one file (or JSONL line): a long book
    max_question_chars: int = 1000
    # a document's id, title and URL, and a feed's title: bounded so that one hostile row cannot
    # fill the store, the Documents tab or a PostgreSQL btree entry (at most 2,704 bytes)
    max_id_chars: int = 256
    max_title_chars: int = 1000
    max_url_chars: int = 2048
    # the web: article pages and feeds
    allow_private_urls: bool = False  # let URLs reach loopback/private addresses (tests, intranets)
    fetch_timeout: float = 10.0  # seconds to connect, and between bytes of a response
    fetch_max_mb: float = 10.0  # one page or feed, after decompression
    fetch_max_redirects: int = 5
    fetch_per_host_rps: float = 2.0  # requests a second to one host, at most
    feed_interval: str = "60m"  # how often a feed is synced unless `feed add --every` says
    feed_sync_in_chat: bool = True  # `newsrag chat` syncs due feeds in the background
    feed_max_entries: int = 200  # entries taken from one feed per sync, newest first
    feed_max_fetches: int = 100  # article pages fetched in one sync pass, over all feeds
    # chat app
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = ""
    allow_public_host: bool = False  # listen beyond this machine without a login
    upload_max_mb: float = 20.0

    @property
    def db_path(self) -> Path:
        return self.data_dir / "newsrag.db"

    @property
    def faiss_path(self) -> Path:
        return self.data_dir / "vectors.faiss"

    def replace(self, **changes: Any) -> "Settings":
        return _validated(dataclasses.replace(self, **changes))


def load_settings(
    environ: Mapping[str, str],
    config_file: Path | None = None,
    **overrides: Any,
) -> Settings:
    """Build the settings from defaults, a config file, ``NEWSRAG_*`` variables and overrides."""
    names = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}

    env_values = {
        key[len(PREFIX) :].lower(): raw
        for key, raw in environ.items()
        if key.startswith(PREFIX) and key != PREFIX + "CONFIG"
    }
    for key in env_values:
        if key not in names:
            raise ConfigError(f"unknown setting {PREFIX}{key.upper()}; known: {', '.join(sorted(names))}")

    data_dir = overrides.get("data_dir") or env_values.get("data_dir")
    config_path = config_file or (Path(environ[PREFIX + "CONFIG"]) if environ.get(PREFIX + "CONFIG") else None)
    if config_path is None:
        candidate = Path(data_dir or _default_data_dir(environ)) / "config.toml"
        config_path = candidate if candidate.is_file() else None
    if config_path is not None:
        values.update(_read_config(Path(config_path), names))

    for key, raw in env_values.items():
        values[key] = _coerce(key, raw, names[key].type, f"{PREFIX}{key.upper()}")
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in names:
            raise ConfigError(f"unknown setting {key!r}")
        values[key] = _coerce(key, value, names[key].type, f"--{key.replace('_', '-')}")

    values.setdefault("data_dir", _default_data_dir(environ))
    values.setdefault("cache_dir", _default_cache_dir(environ))
    values.setdefault("corpus_dir", shipped_corpus_dir())
    return _validated(Settings(**values))


def _read_config(path: Path, names: Mapping[str, Any]) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    table = raw.get("newsrag", raw)
    out = {}
    for key, value in table.items():
        if key not in names:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        out[key] = _coerce(key, value, names[key].type, f"{path}: {key}")
    return out


def _coerce(name: str, value: Any, type_name: Any, where: str) -> Any:
    kind = str(type_name)
    try:
        if kind == "Path":
            return Path(str(value)).expanduser()
        if kind == "bool":
            if isinstance(value, bool):
                return value
            lowered = str(value).strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: expected {kind} for {name}, got {value!r}") from None


def _validated(s: Settings) -> Settings:
    def bad(name: str, why: str) -> ConfigError:
        return ConfigError(f"setting {name}={getattr(s, name)!r}: {why}")

    if s.store and not s.store.startswith(POSTGRES_SCHEMES):
        raise bad("store", "must be empty (SQLite in the data directory) or a postgresql:// URL")
    if s.chunk_size < 100:
        raise bad("chunk_size", "must be at least 100 characters")
    if not 0 <= s.chunk_overlap < s.chunk_size:
        raise bad("chunk_overlap", "must be >= 0 and smaller than chunk_size")
    if s.retriever not in RETRIEVERS:
        raise bad("retriever", f"must be one of {', '.join(RETRIEVERS)}")
    for name in ("top_k", "candidates", "embed_batch_size", "rrf_k", "n_ctx", "max_tokens", "context_chars",
                 "max_text_chars", "max_question_chars", "max_id_chars", "max_title_chars", "max_url_chars",
                 "feed_max_entries", "feed_max_fetches"):
        if getattr(s, name) < 1:
            raise bad(name, "must be a positive number")
    if s.candidates < s.top_k:
        raise bad("candidates", f"must be at least top_k ({s.top_k})")
    if not 0 <= s.port <= 65535:
        raise bad("port", "must be between 0 and 65535")
    if s.auth:
        user, _, password = s.auth.partition(":")
        if not user.strip() or not password:
            # Not bad(): the value is a secret, and error messages end up in logs and terminals.
            raise ConfigError("setting auth: must look like user:password, with a user and a "
                              "non-empty password (the value given is not shown)")
    for name in ("n_threads", "temperature", "min_evidence", "time_window_weight"):
        if getattr(s, name) < 0:
            raise bad(name, "must not be negative")
    if s.model.startswith(SERVER_PREFIX):
        server_url(s.model)
    if s.embed_url:
        checked_url(s.embed_url, "embed_url")
    if s.server_retries < 0 or s.server_retries > 5:
        raise bad("server_retries", "must be between 0 and 5")
    try:
        parse_interval(s.feed_interval)
    except ValueError as exc:
        raise bad("feed_interval", str(exc)) from None
    if s.fetch_max_redirects < 0:
        raise bad("fetch_max_redirects", "must not be negative")
    for name in ("max_file_mb", "upload_max_mb", "fetch_timeout", "fetch_max_mb", "fetch_per_host_rps",
                 "connect_timeout", "read_timeout"):
        if getattr(s, name) <= 0:
            raise bad(name, "must be a positive number")
    return s


_INTERVAL = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> int:
    """Seconds in an interval such as ``30m``, ``2h``, ``1d`` or ``90s`` (at least a minute)."""
    value = str(text).strip().lower()
    unit = value[-1:] if value[-1:] in _INTERVAL else ""
    number = value[: len(value) - len(unit)] if unit else value
    try:
        seconds = int(float(number) * _INTERVAL[unit or "m"])
    except ValueError:
        raise ValueError(f"not an interval like 30m, 2h or 1d: {text!r}") from None
    if seconds < 60:
        raise ValueError(f"an interval must be at least a minute, got {text!r}")
    return seconds
