"""The vector store: SQLite as the source of truth, a FAISS index derived from it.

Below ``rag/``: it holds the records and errors it needs (index.records, index.errors) and imports
nothing from ``rag`` or ``ui``. The store's interface is index.store; the keyword query
index.keywords; the FAISS index index.vectors and its file index.vector_file.
"""
