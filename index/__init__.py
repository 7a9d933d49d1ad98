"""The vector store: SQLite as the source of truth, a FAISS index derived from it."""
