import json

import pytest

STORIES = {
    "chips": "Huawei, Alibaba Cloud, Baidu and Tencent are pooling research on AI chips. " * 3,
    "floods": "Heavy rain caused floods along the coast of Peru, displacing thousands. " * 3,
    "strike": "Hollywood actors ended their strike after a tentative deal with studios. " * 3,
}


@pytest.fixture
def app(make_app, tmp_path):
    app = make_app()
    path = tmp_path / "c.jsonl"
    path.write_text("\n".join(json.dumps({"id": k, "title": k.title(), "text": v}) for k, v in STORIES.items()))
    app.ingestor.add([path])
    return app


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_each_mode_finds_the_right_story(app, mode):
    passages = app.retriever.retrieve("Which firms are pooling research on AI chips?", mode=mode, top_k=2)
    assert passages[0].doc_id == "chips"
    assert passages[0].dense_score is not None  # every passage is scored on the cosine scale


def test_hybrid_fuses_both_lists(app):
    (top,) = app.retriever.retrieve("actors strike deal studios", top_k=1)
    assert top.doc_id == "strike" and top.keyword_rank == 0 and top.score > 0


def test_unknown_mode_is_refused(app):
    with pytest.raises(ValueError, match="'fuzzy'"):
        app.retriever.retrieve("x", mode="fuzzy")


def test_as_of_leaves_out_later_articles_and_prefers_recent_ones(make_app, tmp_path):
    app = make_app()
    text = "The central bank raised interest rates by half a point. " * 3
    rows = [("old", "2021-01-10"), ("recent", "2023-05-15"), ("future", "2023-09-01")]
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps({"id": i, "title": i, "published": d, "text": text + i}) for i, d in rows))
    app.ingestor.add([path])
    ids = [p.doc_id for p in app.retriever.retrieve("central bank interest rates", top_k=3, as_of="2023-05-18")]
    assert sorted(ids) == ["old", "recent"]  # the default rule: a cutoff, no decay with age
    app = make_app(as_of_half_days=60, as_of_current_weight=0)
    ids = [p.doc_id for p in app.retriever.retrieve("central bank interest rates", top_k=3, as_of="2023-05-18")]
    assert ids == ["recent", "old"]
    with pytest.raises(ValueError, match="'May 18'"):
        app.retriever.retrieve("rates", as_of="May 18")


def _archive(app, days: int, recent: int):
    """``days`` ferry stories, one a day for ten years back from 2024-05-01, of which the last
    ``recent`` fall in the week before; the old ones say more about ferries than the recent."""
    from datetime import date, timedelta

    from index.records import Document

    end = date(2024, 5, 1)
    docs = []
    for i in range(days):
        day = end - timedelta(days=7 + i * 3650 // days) if i >= recent else end - timedelta(days=i % 6)
        text = ("Ferry ferry ferry harbour ferry timetable ferry news. " * 4 if i >= recent
                else f"Story {i}: a ferry strike closed the harbour on day {i}.")
        docs.append(Document(f"d{i}", f"Ferry story {i}", text, published=day.isoformat()))
    app.ingestor.add_documents(docs)


WEEK = ("2024-04-25", "2024-05-01")


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_an_explicit_window_gets_its_full_top_k_from_that_week(make_app, mode):
    from datetime import date

    from rag.timeexpr import TimeWindow

    app = make_app(candidates=10)
    _archive(app, 600, recent=8)
    week = TimeWindow(date(2024, 4, 25), date(2024, 5, 2), "this week")
    passages = app.retriever.retrieve("What ferry news came?", top_k=5, mode=mode, window=week)
    assert len(passages) == 5
    assert all(WEEK[0] <= p.published <= WEEK[1] for p in passages), [p.published for p in passages]
    unwindowed = app.retriever.retrieve("What ferry news came?", top_k=5, mode=mode)
    assert sum(WEEK[0] <= p.published for p in unwindowed) < 5  # the old stories outrank them


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_a_question_about_this_week_prefers_that_weeks_articles(make_app, mode):
    """A time expression in the question leads with its window but leaves room for the archive;
    at a weight of 1.5 (with 30 candidates or fewer) it is the filter."""
    question = "What ferry news came this week?"
    counts = {}
    for weight in (0, 1.0, 1.5):
        app = make_app(candidates=10, time_window_weight=weight)
        if weight == 0:
            _archive(app, 600, recent=8)
        passages = app.retriever.retrieve(question, top_k=5, mode=mode, as_of="2024-05-01")
        assert len(passages) == 5
        counts[weight] = sum(WEEK[0] <= p.published <= WEEK[1] for p in passages)
        if weight:
            assert WEEK[0] <= passages[0].published, [p.published for p in passages]
    assert counts[0] < counts[1.0] < counts[1.5] == 5, counts


def test_a_window_with_too_few_articles_is_topped_up_from_outside(make_app):
    from datetime import date

    from rag.timeexpr import TimeWindow

    app = make_app()
    _archive(app, 40, recent=2)
    week = TimeWindow(date(2024, 4, 25), date(2024, 5, 2), "this week")
    passages = app.retriever.retrieve("ferry news", top_k=5, window=week)
    assert len(passages) == 5 and {p.doc_id for p in passages[:2]} == {"d0", "d1"}
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_with_an_as_of_day_a_question_naming_no_time_prefers_the_last_month(make_app, mode):
    """The 30 days up to the as-of day are a preferred window: last month's reports, which match
    the question less well than the archive's background, rise to the top."""
    from index.records import Document

    question = "ferry harbour timetable"
    old = [Document(f"old{y}", "Ferry", f"The ferry harbour timetable changed again in {y}. " * 2,
                    published=f"{y}-03-01") for y in range(2017, 2023)]
    new = [Document(f"new{d}", "Crews", "Ferry crews met at the harbour on Monday.", published=f"2024-04-{d}")
           for d in (12, 28)]
    recent = {}
    for weight in (0, 0.25):
        app = make_app(as_of_current_weight=weight)
        if weight == 0:
            app.ingestor.add_documents(old + new)
        ids = [p.doc_id for p in app.retriever.retrieve(question, top_k=5, mode=mode, as_of="2024-05-01")]
        recent[weight] = sum(i.startswith("new") for i in ids)
        if weight:
            assert ids[0].startswith("new"), ids
    assert (recent[0], recent[0.25]) == (0, 2), recent
    # Without an as-of day nothing about dates applies.
    plain = app.retriever.retrieve(question, top_k=5, mode=mode)
    assert not any(p.doc_id.startswith("new") for p in plain)


def test_no_as_of_and_no_time_expression_is_neutral_about_age(make_app):
    app = make_app()
    _archive(app, 40, recent=2)
    plain = app.retriever.retrieve("ferry harbour timetable", top_k=5)
    again = make_app(as_of_half_days=0, as_of_grace_days=-1).retriever.retrieve("ferry harbour timetable", top_k=5)
    assert [p.chunk_id for p in plain] == [p.chunk_id for p in again]
