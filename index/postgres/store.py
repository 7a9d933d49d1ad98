"""The document store on PostgreSQL: pgvector for dense search, full-text search for keywords.

Everything the SQLite store keeps lives in tables here (see index.postgres.schema), so any number
of processes on any number of machines share one store, and none of them holds the vectors in
memory: dense search is an HNSW index scan inside the server (``ef_search`` candidates, set per
connection), keyword search a GIN-indexed ``tsvector`` match over the same query words the FTS5
side uses. A batch of documents is one transaction; concurrent writers of the same document id
queue on a per-id advisory lock, writers of different ids run side by side. Connections come
from psycopg's pool (psycopg_pool), at most ``max_connections`` however many threads ask, each
borrowed for one call (or one transaction) and given back. Not here: chunking and embedding
(rag.ingest) and fusion (rag.retrieval), as for the SQLite store.
"""
from __future__ import annotations

import contextlib
import re
import threading
import time
from datetime import datetime, timezone
from typing import Any, Iterator, Sequence
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from index.base import CheckReport, DateWindow
from index.document_reads import DocumentReads, ReadStatements
from index.errors import StoreError
from index import keyword_query
from index import words as index_words
from index.keyword_query import query_words
from index.postgres import schema
from index import columns
from index.records import PreparedDocument, day_of

# Candidates the HNSW scan keeps (pgvector's default is 40): measured by bench/stores.py, 100
# gives recall@10 near 0.99 against exact search on rtqa-dev at a fraction of a millisecond more.
EF_SEARCH = 100
# Connections the pool opens at most: the chat's workers, the UI's other events, the feed sync and
# a CLI command or two at once; a thread beyond them waits for one to come back (30 s at most).
MAX_CONNECTIONS = 10
# How long the column statistics that say which words are too common to score are kept.
STATS_TTL_S = 300.0
_CHUNK_COLUMNS = ("doc_id", "seq", "start", '"end"', "text", "text_hash", "embedding", "published_day")


def _driver():
    try:
        import psycopg
        import psycopg_pool
        from pgvector.psycopg import register_vector
    except ImportError:
        raise StoreError(
            "the PostgreSQL store needs psycopg, psycopg-pool and pgvector: pip install 'newsrag[postgres]'"
        ) from None
    return psycopg, psycopg_pool, register_vector


def redacted(url: str) -> str:
    """``url`` without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


class PostgresStore(DocumentReads):
    """A `DocumentStore` in one PostgreSQL database. Safe to share between threads."""

    def __init__(self, url: str, *, embed_model: str, ef_search: int = EF_SEARCH,
                 max_connections: int = MAX_CONNECTIONS) -> None:
        self.url = url
        self.embed_model = embed_model
        self.ef_search = int(ef_search)
        self.max_connections = int(max_connections)
        self._held = threading.local()  # .conn: the connection this thread has borrowed, if any
        self._common: tuple[float, frozenset[str]] = (float("-inf"), frozenset())  # (read at, lexemes)
        psycopg, psycopg_pool, _ = _driver()
        # The schema first, on a connection of its own: the pool's connections register the
        # vector type, which the first store on a new database has yet to create.
        try:
            first = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"{self.describe()}: cannot connect: {str(exc).strip()}") from None
        with first:
            schema.ensure(first, self.describe())
        # Autocommit, as each connection was before the pool: a statement alone commits itself
        # and a write is one explicit transaction (conn.transaction()).
        self._pool = psycopg_pool.ConnectionPool(
            url, kwargs={"autocommit": True}, min_size=1, max_size=self.max_connections,
            configure=self._configure, open=True, name=f"newsrag {self.describe()}")
        try:
            self._check_model()
        except BaseException:
            self.close()
            raise

    # -- connections ---------------------------------------------------------------------

    def _configure(self, conn: Any) -> None:
        """Each new connection of the pool: pgvector's types and the HNSW scan's breadth."""
        _, _, register_vector = _driver()
        register_vector(conn)
        conn.execute(f"SET hnsw.ef_search = {self.ef_search}")

    @contextlib.contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection of the pool for the block (waiting while all ``max_connections`` are
        lent), back to the pool after it. Inside a block, the same thread gets the same
        connection again, so a read within a write's transaction sees that transaction."""
        held = getattr(self._held, "conn", None)
        if held is not None:
            yield held
            return
        _, psycopg_pool, _ = _driver()
        try:
            with self._pool.connection() as conn:
                self._held.conn = conn
                try:
                    yield conn
                finally:
                    self._held.conn = None
        except psycopg_pool.PoolTimeout as exc:
            raise StoreError(f"{self.describe()}: no connection: {exc}") from None

    def execute(self, sql: str, params: Any = ()) -> Any:
        """Run one statement (``%s`` parameters) and return its cursor. The cursor holds the
        whole result (psycopg's default, client-side cursor), so it is read after its
        connection went back to the pool."""
        with self.connection() as conn:
            return conn.execute(sql, params)

    def close(self) -> None:
        self._pool.close()

    def describe(self) -> str:
        return redacted(self.url)

    def _check_model(self) -> None:
        stored = self.meta("embed_model")
        if stored is None:  # a new store: the first to open it names the model (not on a replica)
            self.execute("INSERT INTO meta (key, value) VALUES ('embed_model', %s) "
                              "ON CONFLICT (key) DO NOTHING", (self.embed_model,))
            stored = self.meta("embed_model")
        if stored != self.embed_model:
            raise StoreError(
                f"{self.describe()} was indexed with embedding model {stored!r}, not {self.embed_model!r}: "
                "use another database or remove this one's tables to re-index"
            )

    # -- reading (the plain reads are index.document_reads') -----------------------------

    SQL = ReadStatements.with_marker("%s")

    def _read(self, sql: str, params: tuple = ()) -> Any:
        return self.execute(sql, params)

    def _among(self, column: str, values: Sequence[Any]) -> tuple[str, tuple]:
        return f"{column} = ANY(%s)", (list(values),)

    def _vector(self, stored: Any) -> np.ndarray:
        return _array(stored)

    @property
    def dim(self) -> int | None:
        value = self.meta("dim")
        return int(value) if value else None

    def embeddings(self, chunk_ids: Sequence[int]) -> dict[int, np.ndarray]:
        if not chunk_ids:
            return {}
        rows = self.execute("SELECT id, embedding FROM chunks WHERE id = ANY(%s)",
                                 ([int(i) for i in chunk_ids],)).fetchall()
        return {int(i): _array(v) for i, v in rows}

    # -- searching -----------------------------------------------------------------------

    def dense_search(self, query: np.ndarray, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """The k chunks of highest cosine similarity (HNSW scan; vectors are unit length).

        ``window`` (start, end): only chunks of documents published on ``start <= day < end``
        (ISO dates). That search is exact over the window's chunks (found through the day
        index), so a narrow window still gets its full k: an HNSW scan filtered afterwards
        would keep only those of its ``ef_search`` candidates that fall in the window.
        """
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        if window is not None:
            # "+ 0": an ORDER BY the HNSW index cannot serve, so the planner scans the window.
            rows = self.execute(
                "SELECT id, -(embedding <#> %(q)s) FROM chunks "
                "WHERE published_day >= %(start)s::date AND published_day < %(end)s::date "
                "ORDER BY (embedding <#> %(q)s) + 0 LIMIT %(k)s",
                {"q": q, "k": int(k), "start": window[0], "end": window[1]}).fetchall()
            return [(int(i), float(s)) for i, s in rows]
        sql = "SELECT id, -(embedding <#> %(q)s) FROM chunks ORDER BY embedding <#> %(q)s LIMIT %(k)s"
        if k <= self.ef_search:
            rows = self.execute(sql, {"q": q, "k": int(k)}).fetchall()
        else:  # the scan returns at most ef_search rows
            with self.connection() as conn, conn.transaction():
                conn.execute(f"SET LOCAL hnsw.ef_search = {int(k)}")
                rows = conn.execute(sql, {"q": q, "k": int(k)}).fetchall()
        return [(int(i), float(s)) for i, s in rows]

    def keyword_search(self, query: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        """Chunks matching any of the query's words, by ``ts_rank`` (stemmed, English stop words).

        ``window`` as in `dense_search`, applied inside the query.
        """
        tsquery = self._or_query(query)
        if tsquery is None:
            return []
        within = "AND published_day >= %(start)s::date AND published_day < %(end)s::date" if window else ""
        rows = self.execute(
            "SELECT id, ts_rank(tsv, q) AS score FROM chunks, to_tsquery(%(config)s::regconfig, %(q)s) q "
            f"WHERE tsv @@ q {within} ORDER BY score DESC, id LIMIT %(k)s",
            {"config": schema.TEXT_SEARCH_CONFIG, "q": tsquery, "k": int(k),
             "start": window[0] if window else None, "end": window[1] if window else None},
        ).fetchall()
        return [(int(i), float(s)) for i, s in rows]

    def _or_query(self, query: str) -> str | None:
        """The query's words (as the FTS5 side picks them) as a tsquery that matches any of them,
        leaving out those too common to score, as the SQLite store does (while a rarer one remains).

        How common a word is comes from the server's own statistics of the tsv column
        (``pg_stats.most_common_elems``, kept by ANALYZE and autovacuum), read at most every
        ``STATS_TTL_S``: counting a word's matches, as the SQLite side does, costs 13-80 ms a
        word here at a million chunks.
        """
        words = query_words(query)
        if not words:
            return None
        common = self._common_lexemes()
        if common:
            rows = self.execute("SELECT w, to_tsvector(%s::regconfig, w)::text FROM unnest(%s::text[]) w",
                                     (schema.TEXT_SEARCH_CONFIG, words)).fetchall()
            lexemes = {w: set(re.findall(r"'((?:[^']|'')*)'", v)) for w, v in rows}
            kept = [w for w in words if not lexemes.get(w) or not lexemes[w] <= common]
            words = kept or words
        # \w+ words hold no quote, backslash or operator; quoting keeps each one a single lexeme.
        return " | ".join(f"'{w}'" for w in words)

    def _common_lexemes(self) -> frozenset[str]:
        """Lexemes in more than ``keyword_query.COMMON_MATCHES`` chunks, by the column statistics."""
        read_at, common = self._common
        if time.monotonic() - read_at < STATS_TTL_S:
            return common
        row = self.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples "
            "FROM pg_stats s JOIN pg_class c ON c.oid = to_regclass('chunks') "
            "WHERE s.schemaname = current_schema() AND s.tablename = 'chunks' AND s.attname = 'tsv'").fetchone()
        if row and row[0] and row[2] > 0:
            common = frozenset(e for e, f in zip(row[0], row[1]) if f * row[2] > keyword_query.COMMON_MATCHES)
        else:
            common = frozenset()
        self._common = (time.monotonic(), common)
        return common

    def unknown_words(self, words: Sequence[str]) -> list[str]:
        """The ``words`` (forms) that occur in no chunk's text, split into words by index.words as
        on SQLite and looked up as a phrase in the ``words`` column, whose text was folded and
        stemmed as FTS5's (schema.WORDS_CONFIG), so that both stores know the same names."""
        out = []
        for form, folded in index_words.to_look_up(words).items():
            (found,) = self.execute(
                "SELECT EXISTS (SELECT 1 FROM chunks WHERE words @@ phraseto_tsquery(%(c)s::regconfig, %(f)s))",
                {"c": schema.WORDS_CONFIG, "f": " ".join(folded)}).fetchone()
            if not found:
                out.append(form)
        return out

    # -- writing -------------------------------------------------------------------------

    def write(self, batch: Sequence[PreparedDocument]) -> None:
        """Insert or replace each document with its chunks, all in one transaction."""
        if not batch:
            return
        psycopg, _, _ = _driver()
        for prepared in batch:
            if len(prepared.chunks) != len(prepared.embeddings):
                raise StoreError(f"{prepared.document.id}: {len(prepared.chunks)} chunks but "
                                 f"{len(prepared.embeddings)} embeddings")
        widths = {int(p.embeddings.shape[1]) for p in batch if len(p.embeddings)}
        if len(widths) > 1:
            raise StoreError(f"embeddings of several widths in one batch: {sorted(widths)}")
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        ids = sorted({p.document.id for p in batch})
        try:
            with self.connection() as conn, conn.transaction():
                if widths:
                    self._ensure_width(conn, widths.pop())
                self.lock_documents(conn, ids)
                conn.execute("DELETE FROM documents WHERE id = ANY(%s)", (ids,))
                with conn.cursor() as cur:
                    cur.executemany(columns.insert_document("%s"), [columns.document_values(p, now) for p in batch])
                    with cur.copy(f"COPY chunks ({', '.join(_CHUNK_COLUMNS)}) FROM STDIN WITH (FORMAT BINARY)") as copy:
                        copy.set_types(["text", "int4", "int4", "int4", "text", "text", "vector", "date"])
                        for p in batch:
                            day = day_of(p.document.published)
                            vectors = np.ascontiguousarray(p.embeddings, dtype=np.float32)
                            for i, (c, h) in enumerate(zip(p.chunks, p.text_hashes)):
                                copy.write_row((p.document.id, c.seq, c.start, c.end, c.text, h, vectors[i], day))
        except psycopg.Error as exc:
            raise StoreError(f"{self.describe()}: write failed: {str(exc).strip()}") from None

    @staticmethod
    def lock_documents(conn: Any, ids: Sequence[str]) -> None:
        """Take the per-id advisory locks of ``ids`` for the transaction on ``conn``. Every writer of
        document rows (write, remove, the story table's put) takes them first, and in one order
        (sorted by hash), so two writers of overlapping ids queue instead of deadlocking on rows
        locked by a delete and a foreign-key check in opposite orders."""
        conn.execute("SELECT pg_advisory_xact_lock(h) FROM (SELECT hashtextextended(x, 0) AS h "
                     "FROM unnest(%s::text[]) x ORDER BY 1 OFFSET 0) s", (sorted(set(ids)),))

    def _ensure_width(self, conn: Any, dim: int) -> None:
        """Inside the write's transaction on ``conn`` (so `meta` reads through it, too)."""
        stored = self.meta("dim")
        if stored is None:
            schema.set_width(conn, dim)
            stored = self.meta("dim")
        if int(stored) != dim:
            raise StoreError(f"{self.describe()} holds embeddings of {stored} dimensions, not {dim}")

    def remove(self, doc_id: str) -> bool:
        with self.connection() as conn, conn.transaction():
            self.lock_documents(conn, [doc_id])
            return conn.execute("DELETE FROM documents WHERE id = %s", (doc_id,)).rowcount > 0

    def flush(self) -> None:
        """Nothing to do: the server keeps its indexes durable with every commit."""

    def check(self, repair: bool = False) -> CheckReport:
        from index.postgres.check import check_store

        return check_store(self, repair)


def _array(value: Any) -> np.ndarray:
    """A vector column's value (pgvector's `Vector`) as a float32 array."""
    raw = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(raw, dtype=np.float32)
