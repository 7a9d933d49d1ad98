"""PostgreSQL-only behaviour: schema versions, a missing server, the URL in messages."""
from __future__ import annotations

import psycopg
import pytest

from builders import EMB, prepared
from index.postgres import PostgresStore, schema
from index.postgres.store import redacted
from index.errors import StoreError


def test_an_older_schema_is_migrated_forward_keeping_its_documents(postgres_url):
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema.ensure(conn, postgres_url, steps=schema.STEPS[:1])  # as a version-1 newsrag left it
        conn.execute("INSERT INTO meta VALUES ('embed_model', 'hash-embedder')")
        conn.execute("INSERT INTO documents VALUES ('a', 'T', '', NULL, '2024-01-02', 'text', 'h', 'now')")
        assert schema.current_version(conn) == 1
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    with store.connection() as conn:
        assert schema.current_version(conn) == schema.VERSION
    assert store.content_hash("a") == "h"
    store.write([prepared("b", "Floods hit the coast of Peru. " * 8)])
    # the version-1 row was written without chunks, which check reports; nothing else
    assert [p for p in store.check().problems if "'a'" not in p] == []


def test_a_store_from_before_feeds_gets_the_feed_tables(postgres_url):
    from index.postgres.feeds import PostgresFeedStore

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema.ensure(conn, postgres_url, steps=schema.STEPS[:3])  # the last schema without feeds
        conn.execute("INSERT INTO meta VALUES ('embed_model', 'hash-embedder')")
        conn.execute("INSERT INTO documents VALUES ('a', 'T', '', 'https://x.example/a', NULL, 'text', 'h', 'now')")
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    with store.connection() as conn:
        assert schema.current_version(conn) == schema.VERSION
    feeds = PostgresFeedStore(store)
    assert feeds.add("https://x.example/feed", 60)
    assert feeds.doc_for_link("https://x.example/a", "https://x.example/feed") is None
    assert store.check().problems == ("document 'a': has no chunks (remove it and add it again)",)


def test_a_store_from_before_made_marks_only_the_items_whose_feed_made_their_document(postgres_url):
    """Issue 23, finding 2: step 5 sets ``made`` on the items whose document has the id the sync
    made for that very item; a user's ``feed-...`` document an item points at stays the user's."""
    from index.postgres.feeds import PostgresFeedStore
    from rag.web.article import url_doc_id

    f = "https://f.example/rss"
    made = url_doc_id(f"{f}\0guid-1", prefix="feed")
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema.ensure(conn, postgres_url, steps=schema.STEPS[:4])  # feeds, without ``made``
        conn.execute("INSERT INTO meta VALUES ('embed_model', 'hash-embedder')")
        conn.execute("INSERT INTO feeds (url, interval_s, added_at) VALUES (%s, 60, 'now')", (f,))
        for key, doc_id in (("guid-1", made), ("guid-2", "feed-notes-md-4f2a9c1e"), ("guid-3", made)):
            conn.execute("INSERT INTO feed_items VALUES (%s, %s, 'https://x.example/1', %s, 'e', 'now')",
                         (f, key, doc_id))
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    with store.connection() as conn:
        assert schema.current_version(conn) == schema.VERSION
    items = PostgresFeedStore(store).items_of(f)
    assert {k: i.made for k, i in items.items()} == {"guid-1": True, "guid-2": False, "guid-3": False}
    assert PostgresFeedStore(store).remove(f) == [made]


TEXT = "The U.S. news desk flew to São Paulo."


def test_a_store_from_before_folded_words_knows_its_chunks_names_as_sqlite_does(postgres_url):
    """Issue 24: step 6 gives the chunks already stored their words as FTS5 finds them, so
    ``unknown_words`` finds "São Paulo" by "Sao Paulo" and "news" by "new" there too, and the
    ranked keyword search keeps its own column."""
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        schema.ensure(conn, postgres_url, steps=schema.STEPS[:5])  # before the words column
        conn.execute("INSERT INTO meta VALUES ('embed_model', 'hash-embedder')")
        conn.execute("INSERT INTO documents VALUES ('a', 'T', '', NULL, '2024-01-02', %s, 'h', 'now')", (TEXT,))
        conn.execute("INSERT INTO chunks (doc_id, seq, start, \"end\", text, text_hash, embedding) "
                     "VALUES ('a', 0, 0, %s, %s, 'h', '[1,0]')", (len(TEXT), TEXT))
    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    assert store.unknown_words(["Sao Paulo", "new", "U.S.", "Quillfield"]) == ["Quillfield"]
    assert len(store.keyword_search("news", 5)) == 1


def test_a_newer_schema_is_refused_with_a_clear_error(postgres_url):
    PostgresStore(postgres_url, embed_model="hash-embedder").close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("UPDATE meta SET value = %s WHERE key = 'schema'", (str(schema.VERSION + 1),))
    with pytest.raises(StoreError, match=f"schema version {schema.VERSION + 1}, newer than this newsrag"):
        PostgresStore(postgres_url, embed_model="hash-embedder")


def test_stores_opened_at_once_on_a_new_database_all_work(postgres_url):
    import threading

    errors, stores = [], []

    def open_one():
        try:
            stores.append(PostgresStore(postgres_url, embed_model="hash-embedder"))
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(stores) == 4
    stores[0].write([prepared("a", "Text. " * 30)])
    assert stores[3].dense_search(EMB.embed(["Text."])[0], 1)


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="cannot connect"):
        PostgresStore(f"postgresql://nobody@/db?host={tmp_path}", embed_model="x")


def test_messages_never_show_the_password():
    assert redacted("postgresql://ann:s3cret@db.example:5432/news") == "postgresql://ann:***@db.example:5432/news"
    assert redacted("postgresql://ann@db/news") == "postgresql://ann@db/news"


def test_a_date_window_gets_its_full_top_k_from_inside_the_search(postgres_url):
    """Many close matches outside the window must not crowd out the window's own."""
    from index.records import PreparedDocument
    from index.records import Document

    store = PostgresStore(postgres_url, embed_model="hash-embedder")
    batch = []
    for n in range(300):
        day = "2024-05-02" if n % 100 == 0 else f"2019-0{1 + n % 9}-10"
        p = prepared(f"d{n}", f"Harbour budget vote number {n}.")
        batch.append(PreparedDocument(Document(p.document.id, "T", p.document.text, published=day),
                                      p.content_hash, p.chunks, p.embeddings, p.text_hashes))
    store.write(batch)
    window = ("2024-05-01", "2024-05-08")
    dense = store.dense_search(EMB.embed(["Harbour budget vote"])[0], 3, window=window)
    keyword = store.keyword_search("harbour budget vote", 3, window=window)
    for hits in (dense, keyword):
        assert sorted(store.passages([i])[i].doc_id for i, _ in hits) == ["d0", "d100", "d200"]
    assert store.keyword_search("harbour", 3, window=("2030-01-01", "2031-01-01")) == []


def test_a_read_only_server_serves_searches(postgres_url):
    """As a chat worker on a read replica: opening and searching write nothing."""
    writer = PostgresStore(postgres_url, embed_model="hash-embedder")
    writer.write([prepared("a", "Volcano erupts in Iceland. " * 6)])
    read_only = postgres_url + "&options=-c%20default_transaction_read_only%3Don"
    replica = PostgresStore(read_only, embed_model="hash-embedder")
    assert replica.dense_search(EMB.embed(["Volcano erupts"])[0], 3)
    assert replica.keyword_search("volcano", 3) and replica.documents()[0].id == "a"
    with pytest.raises(StoreError, match="write failed"):
        replica.write([prepared("b", "Text. " * 30)])
