"""Assemble newsrag from settings: the one place where models and the store are chosen.

`build` creates the store, embedder, generator, ingestor, retriever and pipeline; tests pass fakes
for the embedder and generator here and nowhere else. The model objects load themselves on first
use, so `newsrag list` is instant and `newsrag add` never loads the language model.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.feeds import FeedStore
from index.stories import StoryStore
from rag.asof import AsOfRule
from index.base import DocumentStore
from rag.chunking import Chunker
from rag.embedding import Embedder, SentenceTransformerEmbedder
from rag.feeds.parse import FeedLimits
from rag.feeds.sync import SyncLimits, Syncer
from rag.generation import Generator, LlamaGenerator
from rag.ingest import IngestReport, Ingestor
from rag.limits import Limits
from rag.pipeline import Pipeline
from rag.remote.embedder import OpenAIEmbedder
from rag.remote.http import checked_url, server_url
from rag.retrieval import Retriever
from rag.stories.assign import StoryAssigner
from rag.stories.summary import EXTRACTIVE, Summariser
from rag.settings import Settings
from rag.web.fetch import FetchPolicy, Fetcher

_SEEDED = "corpus_indexed"


@dataclass
class Newsrag:
    settings: Settings
    store: DocumentStore
    embedder: Embedder
    ingestor: Ingestor
    retriever: Retriever
    pipeline: Pipeline
    fetcher: Fetcher
    feeds: FeedStore
    syncer: Syncer
    stories: StoryStore
    summaries: Summariser = EXTRACTIVE  # a story's summary: extractive, or the model's (story_summaries)

    def index_shipped_corpus(self, progress=None) -> IngestReport | None:
        """On the first run of a data directory, index the shipped ``corpus/`` folder once."""
        corpus = self.settings.corpus_dir
        if not self.settings.index_corpus_on_first_run or self.store.meta(_SEEDED) or not corpus.is_dir():
            return None
        report = self.ingestor.add([corpus], progress)
        if not report.errors:
            self.store.set_meta(_SEEDED, str(corpus))
        return report

    def warm_up(self) -> None:
        """Load the embedder and the language model now (or check the model server answers).

        The chat runs this in the background as it starts, so the first question does not pay
        for loading; a failure here is left for that question to report.
        """
        self.embedder.embed(["warm-up"])
        self.pipeline.generator.load()


def build(settings: Settings, *, embedder: Embedder | None = None,
          generator: Generator | None = None) -> Newsrag:
    embedder = embedder or make_embedder(settings)
    store = open_store(settings, embedder)
    # A server's vectors are checked against one the store holds before any is used.
    embedder.check_against(store.sample_chunk)
    chunker = Chunker(settings.chunk_size, settings.chunk_overlap)
    stories = open_stories(settings, store)
    ingestor = Ingestor(store, embedder, chunker, limits=limits(settings),
                        after_write=StoryAssigner(stories, embedder))
    retriever = make_retriever(store, embedder, settings)
    generator = generator or make_generator(settings)
    summaries = make_summariser(settings, store, generator)
    pipeline = Pipeline(retriever, embedder, generator,
                        min_evidence=settings.min_evidence, context_chars=settings.context_chars,
                        max_question_chars=settings.max_question_chars, stories=stories, summarise=summaries)
    fetcher = Fetcher(fetch_policy(settings))
    feeds = open_feeds(settings, store)
    return Newsrag(settings, store, embedder, ingestor, retriever, pipeline, fetcher, feeds,
                   Syncer(feeds, ingestor, fetcher, sync_limits(settings)), stories, summaries)


def sync_limits(settings: Settings) -> SyncLimits:
    return SyncLimits(settings.feed_max_entries, settings.feed_max_fetches,
                      FeedLimits(settings.max_title_chars, settings.max_id_chars, settings.max_url_chars))


def limits(settings: Settings) -> Limits:
    """The bounds on every document stored, and on the files they are read from (rag.limits)."""
    return Limits(file_bytes=int(settings.max_file_mb * 1024 * 1024), text_chars=settings.max_text_chars,
                  id_chars=settings.max_id_chars, title_chars=settings.max_title_chars,
                  url_chars=settings.max_url_chars)


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(allow_private=settings.allow_private_urls, connect_timeout=min(5.0, settings.fetch_timeout),
                       read_timeout=settings.fetch_timeout, deadline=3 * settings.fetch_timeout,
                       max_bytes=int(settings.fetch_max_mb * 1024 * 1024),
                       max_redirects=settings.fetch_max_redirects, per_host_rps=settings.fetch_per_host_rps)


def make_embedder(settings: Settings) -> Embedder:
    """The embedding model the settings name, loaded on its first use: sentence-transformers in
    process, or an embeddings server when ``embed_url`` is set."""
    if settings.embed_url:
        return server_embedder(checked_url(settings.embed_url, "embed_url"), settings)
    return SentenceTransformerEmbedder(settings.embed_model, settings.embed_batch_size)


def server_embedder(url: str, settings: Settings, **extra) -> OpenAIEmbedder:
    """An embeddings server at ``url`` with the settings' model name, key, timeouts and retries
    (``extra``: the parts that are not settings, such as an httpx ``transport``)."""
    return OpenAIEmbedder(url, settings.embed_model, api_key=settings.api_key,
                          connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                          retries=settings.server_retries, batch_size=settings.embed_batch_size, **extra)


def open_store(settings: Settings, embedder: Embedder) -> DocumentStore:
    """The store the settings name: PostgreSQL for a postgresql:// URL, else SQLite + FAISS."""
    if settings.store:
        from index.postgres import PostgresStore

        return PostgresStore(settings.store, embed_model=embedder.name)
    from index.sqlite import SqliteStore

    return SqliteStore(settings.db_path, settings.faiss_path, embed_model=embedder.name,
                       ann_threshold=settings.ann_threshold)


def open_feeds(settings: Settings, store: DocumentStore) -> FeedStore:
    """The feed tables that go with ``store``, the one `open_store` opened for ``settings``:
    in the same PostgreSQL database, or in the same SQLite file."""
    if settings.store:
        from index.postgres.feeds import PostgresFeedStore

        return PostgresFeedStore(store)
    from index.sqlite.feeds import SqliteFeedStore

    return SqliteFeedStore(store)


def open_stories(settings: Settings, store: DocumentStore) -> StoryStore:
    """The story table that goes with ``store`` (as `open_feeds`)."""
    if settings.store:
        from index.postgres.stories import PostgresStoryStore

        return PostgresStoryStore(store)
    from index.sqlite.stories import SqliteStoryStore

    return SqliteStoryStore(store)


def make_summariser(settings: Settings, store: DocumentStore, generator: Generator) -> Summariser:
    """Story summaries as ``story_summaries`` says: extractive, or written by ``generator`` (on first
    need) and cached in the data directory (rag.stories.written, rag.stories.summary_cache)."""
    if settings.story_summaries != "model":
        return EXTRACTIVE
    from rag.stories.summary_cache import FILE_NAME, SummaryCache
    from rag.stories.written import ModelSummariser

    return ModelSummariser(generator, SummaryCache(settings.data_dir / FILE_NAME), store.content_hash)


def make_generator(settings: Settings) -> Generator:
    """The language model the settings name, loaded (or its file found) on first use: a model
    server's URL (``openai:http://...``), or a GGUF run in process."""
    url = server_url(settings.model)
    if url is not None:
        return server_generator(url, settings)
    return LlamaGenerator(settings.model, n_ctx=settings.n_ctx, n_threads=settings.n_threads,
                          max_tokens=settings.max_tokens, temperature=settings.temperature,
                          flash_attn=settings.flash_attn, cache_dir=settings.cache_dir)


def server_generator(url: str, settings: Settings, **extra) -> Generator:
    """A model server at ``url`` with the settings' model name, key, limits, timeouts and retries
    (``extra``: the parts that are not settings, such as ``seed`` or an httpx ``transport``)."""
    from rag.remote.generator import OpenAIGenerator

    return OpenAIGenerator(url, model_name=settings.model_name, api_key=settings.api_key,
                           max_tokens=settings.max_tokens, temperature=settings.temperature,
                           connect_timeout=settings.connect_timeout, read_timeout=settings.read_timeout,
                           retries=settings.server_retries, **extra)


def make_retriever(store: DocumentStore, embedder: Embedder, settings: Settings) -> Retriever:
    """The retriever over ``store`` the settings describe."""
    return Retriever(store, embedder, mode=settings.retriever, top_k=settings.top_k,
                     candidates=settings.candidates, rrf_k=settings.rrf_k, time_windows=settings.time_windows,
                     window_weight=settings.time_window_weight, as_of=as_of_rule(settings))


def as_of_rule(settings: Settings) -> AsOfRule:
    return AsOfRule(settings.as_of_grace_days, settings.as_of_half_days, settings.as_of_current_weight)
