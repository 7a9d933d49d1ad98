"""Feeds: RSS/Atom parsing (``parse``), OPML import (``opml``), and keeping feeds synced into the
store (``sync``, ``background``). Fetching is rag.web.fetch's; the feed tables are index.feeds'."""
