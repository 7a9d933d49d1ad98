"""The document store: the interface, and one folder per backend.

Below ``rag/``: it holds the records and errors it needs (index.records, index.errors) and imports
nothing from ``rag`` or ``ui``. The interface is index.base (`DocumentStore`) and index.feeds
(`FeedStore`); what both backends share sits beside it (index.columns, index.document_reads,
index.feed_tables, index.keyword_query, index.words, index.migrate). The backends:
index.sqlite (SQLite + FAISS in a data directory, the default) and index.postgres
(PostgreSQL + pgvector).
"""
