"""Reaching the web: a safe fetcher and article pages by URL."""
