"""The PostgreSQL schema, created and migrated forward in numbered steps.

Each step runs in one transaction under an advisory lock, so processes that open a new or an
older database at the same moment wait for each other and the steps run once. A database whose
schema is newer than this program's steps is refused with a message saying so, never written.

The vector column gets its width (and its HNSW index) at the first write, when the embedding
width is known, so that opening a store never needs the embedding model.
"""
from __future__ import annotations

from typing import Any

from index.errors import StoreError

# Any number unique to newsrag; pg_advisory_xact_lock takes one bigint.
SCHEMA_LOCK = 0x6E657773726167  # "newsrag"
TEXT_SEARCH_CONFIG = "english"
# The words behind ``unknown_words`` (which can decline a question), split, folded and stemmed as
# SQLite's FTS5 ``porter unicode61`` does, so both stores know the same names (index.words): lower
# case; accents dropped after a compatibility decomposition ("São" -> "sao", "ﬁ" -> "fi"); any
# run of characters not a letter or a digit one break ("U.S." -> u s, which PostgreSQL's parser
# would read as one host name); Porter's stemmer (Snowball's "porter", the original algorithm FTS5
# uses: "news" -> new, where the english configuration's Porter2 keeps "news"), no stop words.
WORDS_CONFIG = "newsrag_words"
COMBINING_MARKS = r"\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
FOLDED_TEXT = (f"regexp_replace(regexp_replace(normalize(lower(text), NFKD), '[{COMBINING_MARKS}]+', '', 'g'), "
               "'[^[:alnum:]]+', ' ', 'g')")

# A document's publication day, or NULL where ``published`` does not start with a date.
PUBLISHED_DAY = ("(CASE WHEN d.published ~ '^\\d{4}-\\d{2}-\\d{2}' "
                 "THEN to_date(substr(d.published, 1, 10), 'YYYY-MM-DD') END)")

# Step n takes a database at schema n-1 to schema n.
STEPS: tuple[str, ...] = (
    # 1: documents, chunks with their vectors, the keyword index
    f"""
    CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE documents (
        id text PRIMARY KEY,
        title text NOT NULL,
        source text NOT NULL DEFAULT '',
        url text,
        published text,
        text text NOT NULL,
        content_hash text NOT NULL,
        added_at text NOT NULL
    );
    CREATE INDEX documents_by_hash ON documents (content_hash);
    CREATE TABLE chunks (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        doc_id text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        start integer NOT NULL,
        "end" integer NOT NULL,
        text text NOT NULL,
        text_hash text NOT NULL,
        embedding vector NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('{TEXT_SEARCH_CONFIG}', text)) STORED
    );
    CREATE INDEX chunks_by_doc ON chunks (doc_id, seq);
    CREATE INDEX chunks_tsv ON chunks USING gin (tsv);
    """,
    # 2: the publication day next to each chunk, so date windows are applied inside the search
    f"""
    ALTER TABLE chunks ADD COLUMN published_day date;
    UPDATE chunks c SET published_day = {PUBLISHED_DAY} FROM documents d WHERE d.id = c.doc_id;
    CREATE INDEX chunks_by_day ON chunks (published_day);
    """,
    # 3: the author and site that web pages and feed items carry
    """
    ALTER TABLE documents ADD COLUMN author text;
    ALTER TABLE documents ADD COLUMN site text;
    """,
    # 4: feed subscriptions and their state, and which document each feed item became
    # (index.postgres.feeds); the same tables as the SQLite store's (index.sqlite.feeds)
    """
    CREATE TABLE feeds (
        url text PRIMARY KEY,
        title text,
        interval_s integer NOT NULL,
        added_at text NOT NULL,
        last_fetch text,
        last_success text,
        http_status integer,
        etag text,
        last_modified text,
        last_error text,
        items_seen integer NOT NULL DEFAULT 0
    );
    CREATE TABLE feed_items (
        feed_url text NOT NULL REFERENCES feeds (url) ON DELETE CASCADE,
        key text NOT NULL,
        link text,
        doc_id text NOT NULL,
        entry_hash text NOT NULL,
        seen_at text NOT NULL,
        PRIMARY KEY (feed_url, key)
    );
    CREATE INDEX feed_items_by_link ON feed_items (link);
    CREATE INDEX feed_items_by_doc ON feed_items (doc_id);
    CREATE INDEX documents_by_url ON documents (url);
    """,
    # 5: which items made their document (index.feeds.FeedItem.made). Before, a document was taken
    # for a feed's by its id alone; now only the id a sync made for that very item
    # (feed-<slug>-<8 hex of sha256(feed URL, NUL, key)>, index.sqlite.feeds.made_id) counts.
    """
    ALTER TABLE feed_items ADD COLUMN made boolean NOT NULL DEFAULT false;
    UPDATE feed_items SET made = true WHERE left(doc_id, 5) = 'feed-' AND right(doc_id, 9) = '-' ||
        left(encode(sha256(convert_to(feed_url, 'UTF8') || '\\x00'::bytea || convert_to(key, 'UTF8')), 'hex'), 8);
    """,
    # 6: each chunk's words as FTS5 finds them (WORDS_CONFIG), for ``unknown_words``; the tsv column
    # keeps serving the ranked keyword search. Rewrites the chunks table (see docs/scaling.md).
    f"""
    CREATE TEXT SEARCH DICTIONARY newsrag_porter (TEMPLATE = snowball, Language = porter);
    CREATE TEXT SEARCH CONFIGURATION {WORDS_CONFIG} (PARSER = default);
    ALTER TEXT SEARCH CONFIGURATION {WORDS_CONFIG} ADD MAPPING FOR asciiword, word, numword, uint WITH newsrag_porter;
    ALTER TABLE chunks ADD COLUMN words tsvector
        GENERATED ALWAYS AS (to_tsvector('{WORDS_CONFIG}', {FOLDED_TEXT})) STORED;
    CREATE INDEX chunks_words ON chunks USING gin (words);
    """,
)
VERSION = len(STEPS)

HNSW_INDEX = "chunks_embedding_hnsw"
# pgvector's defaults (m 16, ef_construction 64); ef_search is set per connection.
HNSW_DDL = f"CREATE INDEX IF NOT EXISTS {HNSW_INDEX} ON chunks USING hnsw (embedding vector_ip_ops)"
DERIVED_INDEXES = {
    "chunks_tsv": "CREATE INDEX chunks_tsv ON chunks USING gin (tsv)",
    "chunks_words": "CREATE INDEX chunks_words ON chunks USING gin (words)",
    "chunks_by_day": "CREATE INDEX chunks_by_day ON chunks (published_day)",
    "chunks_by_doc": 'CREATE INDEX chunks_by_doc ON chunks (doc_id, seq)',
    "documents_by_hash": "CREATE INDEX documents_by_hash ON documents (content_hash)",
    "documents_by_url": "CREATE INDEX documents_by_url ON documents (url)",
    "feed_items_by_link": "CREATE INDEX feed_items_by_link ON feed_items (link)",
    "feed_items_by_doc": "CREATE INDEX feed_items_by_doc ON feed_items (doc_id)",
}


def ensure(conn: Any, url: str, steps: tuple[str, ...] = STEPS) -> int:
    """Create or migrate the schema of the database behind ``conn``; returns its version.

    A database already at this version is only read, so a read-only replica opens too.
    """
    import psycopg

    try:
        if _extension_present(conn) and current_version(conn) == len(steps):
            return len(steps)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            _extension(conn, url)
            version = current_version(conn)
            if version > len(steps):
                raise StoreError(
                    f"{url}: the store has schema version {version}, newer than this newsrag knows "
                    f"({len(steps)}): upgrade newsrag, or use another database"
                )
            for number in range(version + 1, len(steps) + 1):
                conn.execute(steps[number - 1])
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(number),))
            return len(steps)
    except psycopg.errors.ReadOnlySqlTransaction:
        raise StoreError(f"{url}: the store needs creating or migrating, and this server is read-only "
                         "(a replica?): open it once on the primary") from None
    except psycopg.Error as exc:
        raise StoreError(f"{url}: cannot set up the schema: {exc}".strip()) from None


def _extension_present(conn: Any) -> bool:
    return conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone() is not None


def current_version(conn: Any) -> int:
    exists = conn.execute("SELECT to_regclass('meta') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    return int(row[0]) if row else 0


def _extension(conn: Any, url: str) -> None:
    import psycopg

    if _extension_present(conn):
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except psycopg.errors.InsufficientPrivilege:
        raise StoreError(
            f"{url}: the pgvector extension is not enabled in this database and this user may "
            "not enable it: ask an administrator to run CREATE EXTENSION vector there"
        ) from None
    except psycopg.errors.FeatureNotSupported as exc:
        raise StoreError(f"{url}: pgvector is not installed on this server: {exc}") from None
    except psycopg.errors.UndefinedFile as exc:
        raise StoreError(f"{url}: pgvector is not installed on this server: {exc}") from None


def set_width(conn: Any, dim: int) -> None:
    """Give the vector column its width and build the HNSW index (first write, chunks empty).

    Runs inside the caller's write transaction, under the schema lock.
    """
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
    row = conn.execute("SELECT value FROM meta WHERE key = 'dim'").fetchone()
    if row is not None:
        return
    conn.execute(f"ALTER TABLE chunks ALTER COLUMN embedding TYPE vector({int(dim)})")
    conn.execute(HNSW_DDL)
    conn.execute("INSERT INTO meta (key, value) VALUES ('dim', %s)", (str(int(dim)),))
