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
STORY_SUMMARIES = ("extractive", "model")
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


def setting(default: Any, doc: str, *, shown: str | None = None, secret: bool = False) -> Any:
    """A field of `Settings`: its default, and the line docs/settings.md shows for it
    (scripts/settings_table.py writes the table); ``shown`` replaces a default computed at start-up."""
    return field(default=default, repr=not secret, metadata={"doc": doc, "shown": shown})


@dataclass(frozen=True)
class Settings:
    # where things live
    data_dir: Path = setting(Path(), "where `newsrag.db` (SQLite) and `vectors.faiss` live (`--data-dir`)",
                             shown="user data dir")
    cache_dir: Path = setting(Path(), "where the assembled model file is kept", shown="user cache dir")
    corpus_dir: Path = setting(Path(), "the folder indexed on a data directory's first run",
                               shown="`corpus/` beside the package")
    index_corpus_on_first_run: bool = setting(True, "index `corpus_dir` when a data directory is first used")
    store: str = setting("", "`postgresql://user@host:5432/db` keeps documents, chunks, embeddings and feeds in "
                         "PostgreSQL with pgvector instead of SQLite + FAISS in `data_dir` (`--store`; "
                         "`scripts/install.sh --postgres`); see [scaling.md](scaling.md)")
    # chunking and embedding
    chunk_size: int = setting(800, "characters per chunk")
    chunk_overlap: int = setting(120, "characters shared by neighbouring chunks")
    embed_model: str = setting("all-MiniLM-L6-v2", "the sentence-transformers embedding model; with `embed_url`, "
                               "the model that server must serve")
    embed_batch_size: int = setting(64, "texts embedded in one batch")
    # retrieval
    retriever: str = setting("hybrid", "`hybrid` (FAISS + BM25, reciprocal rank fusion), `dense` or `keyword`")
    top_k: int = setting(5, "passages used for an answer")
    candidates: int = setting(30, "candidates each retriever contributes to the fusion")
    rrf_k: int = setting(60, "the k of reciprocal rank fusion: a passage scores 1 / (k + rank) in each list")
    min_evidence: float = setting(0.25, "below this cosine similarity for the best passage, answer \"not "
                                  "covered\" without asking the model")
    time_windows: bool = setting(True, "prefer the articles published in the window a question's time "
                                 "expression (\"this week\", \"in March 2024\") names")
    # Chosen on rtqa-dev's 2022 questions (docs/decisions.md).
    time_window_weight: float = setting(1.0, "how much the window's ranking counts against the whole archive's "
                                        "(0 ignores time expressions; 1.5 or more filters by the window); "
                                        "see [time.md](time.md)")
    # Chosen on rtqa-dev's 2022 questions (docs/decisions.md, "The as-of rule").
    as_of_grace_days: int = setting(7, "with an as-of date and no time expression: drop articles published more "
                                    "than this many days after it (-1 keeps them); "
                                    "[the as-of rule](time.md#the-as-of-rule)")
    as_of_half_days: float = setting(0.0, "with an as-of date and no time expression: divide older articles' "
                                     "scores by 1 + age/this (0: no decay with age)")
    as_of_current_weight: float = setting(0.25, "with an as-of date and no time expression: how much the ranking "
                                          "of the 30 days up to it counts against the whole archive's, as "
                                          "`time_window_weight` (0: no preference)")
    ann_threshold: int = setting(200_000, "vectors past which the SQLite store's FAISS index is approximate (IVF) "
                                 "rather than exact")
    # generation
    model: str = setting("qwen2.5-1.5b", "the language model: `qwen2.5-1.5b`, `smollm2-135m`, a GGUF file, or "
                         "`openai:http://HOST:PORT/v1` for a model server ([Models](usage.md#models), "
                         "[servers.md](servers.md))")
    n_ctx: int = setting(4096, "the model's context window, in tokens")
    n_threads: int = setting(0, "threads llama.cpp uses (0: every core)")
    max_tokens: int = setting(192, "the longest answer, in tokens")
    temperature: float = setting(0.0, "sampling temperature (0: greedy, so a prompt always gets the same answer)")
    flash_attn: bool = setting(True, "llama.cpp's flash attention: answers about 6% sooner on 2 cores; `false` "
                               "for a model or build that rejects it")
    context_chars: int = setting(1300, "characters of evidence sentences in the prompt")
    story_summaries: str = setting("extractive", "how a story's summary is made: `extractive` (its articles' "
                                   "titles and agreed facts, instant) or `model` (written by the language model "
                                   "from its articles' titles and leads, citation-checked, cached in "
                                   "`data_dir`/summaries.db); see [usage.md](usage.md#summaries-written-by-the-model)")
    # model servers (model = "openai:http://host:8080/v1", embed_url = "http://host:8081/v1")
    model_name: str = setting("", "the model asked for from a model server ([servers.md](servers.md)); empty: "
                              "the first one it lists")
    api_key: str = setting("", "the bearer key sent to model servers that need one, and asked by the server "
                           "`newsrag serve-model` starts; never shown in messages", secret=True)
    serve_api_key: str = setting("", "the bearer key every caller of `newsrag serve`'s API and MCP must send "
                                 "when set ([api.md](api.md)); kept apart from `api_key`, so callers never "
                                 "hold a model provider's key; never shown in messages", secret=True)
    connect_timeout: float = setting(5.0, "seconds allowed to connect to a model or embeddings server")
    read_timeout: float = setting(120.0, "the longest silence, in seconds, allowed within a server's reply")
    server_retries: int = setting(2, "retries of a refused or dropped connection before the reply's first "
                                  "byte (0 to 5)")
    embed_url: str = setting("", "`http://HOST:PORT/v1`: embeddings from an OpenAI-compatible `/embeddings` "
                             "server instead of in process; `embed_model` names the model it must serve")
    # limits
    max_file_mb: float = setting(50.0, "files larger than this many MB are refused")
    max_text_chars: int = setting(2_000_000, "text taken from one file or JSONL line (a long book); a file past "
                                  "it is refused (PDF pages stop being read once it is passed)")
    max_question_chars: int = setting(1000, "longer questions are refused (CLI exit 2, a message in the chat)")
    # A document's id, title and URL, and a feed's title: bounded so that one hostile row cannot
    # fill the store, the Documents tab or a PostgreSQL btree entry (at most 2,704 bytes).
    max_id_chars: int = setting(256, "the longest document id")
    max_title_chars: int = setting(1000, "the longest document or feed title")
    max_url_chars: int = setting(2048, "the longest document or feed URL")
    # the web: article pages and feeds
    allow_private_urls: bool = setting(False, "let URLs reach loopback and private addresses (tests, intranets)")
    fetch_timeout: float = setting(10.0, "seconds to connect, and between bytes of a response, for every page "
                                   "and feed fetched")
    fetch_max_mb: float = setting(10.0, "the largest page or feed, in MB after decompression")
    fetch_max_redirects: int = setting(5, "redirects followed for one fetch")
    fetch_per_host_rps: float = setting(2.0, "requests a second to one host, at most")
    feed_interval: str = setting("60m", "how often a feed is synced unless `feed add --every` says")
    feed_sync_in_chat: bool = setting(True, "`newsrag chat` syncs due feeds in the background")
    feed_max_entries: int = setting(200, "entries taken from one feed per sync, newest first")
    feed_max_fetches: int = setting(100, "article pages fetched in one sync pass, over all feeds")
    # chat app
    host: str = setting("127.0.0.1", "the address the chat app listens on")
    port: int = setting(7860, "the chat app's port")
    auth: str = setting("", "`user:password` (both parts non-empty) to ask for a login in the chat app")
    allow_public_host: bool = setting(False, "serve a non-loopback `host` without `auth` "
                                      "(`newsrag chat --allow-public-host`)")
    upload_max_mb: float = setting(20.0, "the largest file uploaded in the chat app, in MB")
    # newsrag serve: the chat page and the API on one port (docs/api.md)
    serve_port: int = setting(8000, "the port of `newsrag serve` (`--port`)")
    api_workers: int = setting(4, "questions `newsrag serve`'s API answers at once (the model still answers one "
                               "at a time); the rest queue")
    api_queue_timeout: float = setting(300.0, "seconds an API question waits for a free slot before a 503")
    api_max_body_kb: int = setting(1024, "the largest API request body, in KB (an upload: `upload_max_mb`)")

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
    if s.story_summaries not in STORY_SUMMARIES:
        raise bad("story_summaries", f"must be one of {', '.join(STORY_SUMMARIES)}")
    for name in ("top_k", "candidates", "embed_batch_size", "rrf_k", "n_ctx", "max_tokens", "context_chars",
                 "max_text_chars", "max_question_chars", "max_id_chars", "max_title_chars", "max_url_chars",
                 "feed_max_entries", "feed_max_fetches", "api_workers", "api_max_body_kb"):
        if getattr(s, name) < 1:
            raise bad(name, "must be a positive number")
    if s.candidates < s.top_k:
        raise bad("candidates", f"must be at least top_k ({s.top_k})")
    for name in ("port", "serve_port"):
        if not 0 <= getattr(s, name) <= 65535:
            raise bad(name, "must be between 0 and 65535")
    if s.auth:
        user, _, password = s.auth.partition(":")
        if not user.strip() or not password:
            # Not bad(): the value is a secret, and error messages end up in logs and terminals.
            raise ConfigError("setting auth: must look like user:password, with a user and a "
                              "non-empty password (the value given is not shown)")
    for name in ("n_threads", "temperature", "min_evidence", "time_window_weight", "as_of_current_weight"):
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
                 "connect_timeout", "read_timeout", "api_queue_timeout"):
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
