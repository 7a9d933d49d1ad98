"""The OpenAI-compatible door, driven by the official ``openai`` client against a served app."""
from __future__ import annotations

import httpx
import openai
import pytest

from tests.rag.api.conftest import FOUR_FIRMS, OUTSIDE, QUESTION


@pytest.fixture
def client(seeded, serve_app):
    app = seeded()
    with serve_app(app) as url:
        yield openai.OpenAI(base_url=url + "/v1", api_key="unused-on-loopback", max_retries=0), app, url


def test_models_lists_newsrag(client) -> None:
    oai, _, _ = client
    assert [m.id for m in oai.models.list()] == ["newsrag"]


def test_the_example_question_names_the_four_firms_and_cites_the_seed(client) -> None:
    oai, _, _ = client
    reply = oai.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": QUESTION}])
    message = reply.choices[0].message
    assert all(firm in message.content for firm in FOUR_FIRMS)
    assert "[1]" in message.content and "Sources:" in message.content
    assert "https://example.com/ai-alliances" in message.content
    (note,) = message.annotations
    assert note.type == "url_citation" and note.url_citation.url == "https://example.com/ai-alliances"
    assert message.content[note.url_citation.start_index:note.url_citation.end_index] == "[1]"
    extra = message.model_extra["newsrag"]
    assert extra["abstained"] is False and extra["citations"][0]["doc_id"] == "seed"
    assert extra["citations"][0]["published"] == "2025-05-02" and "Tencent" in extra["citations"][0]["span"]


def test_streaming_gives_chunks_then_the_sources_and_annotations(client) -> None:
    oai, _, _ = client
    chunks = list(oai.chat.completions.create(model="newsrag", stream=True,
                                              messages=[{"role": "user", "content": QUESTION}]))
    assert len(chunks) > 5 and all(c.object == "chat.completion.chunk" for c in chunks)
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert all(firm in content for firm in FOUR_FIRMS) and "Sources:" in content
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    (note,) = last.delta.model_extra["annotations"]
    span = note["url_citation"]
    assert content[span["start_index"]:span["end_index"]] == "[1]"


def test_sse_ends_with_done(client) -> None:
    _, _, url = client
    with httpx.stream("POST", url + "/v1/chat/completions", timeout=30,
                      json={"model": "newsrag", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}) as r:
        lines = [line for line in r.iter_lines() if line]
    assert r.headers["content-type"].startswith("text/event-stream")
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: ") for line in lines)


def test_a_second_turn_is_answered_with_the_first_as_history(client) -> None:
    oai, app, _ = client
    first = oai.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": QUESTION}])
    oai.chat.completions.create(model="newsrag", messages=[
        {"role": "system", "content": "ignored"},
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "What does Beijing offer startups?"}])
    prompt = app.pipeline.generator.seen[-1]
    said = " ".join(m["content"] for m in prompt)
    assert QUESTION in said and "Beijing offer startups" in said
    assert "Sources:" not in said  # our own sources list does not go back to the model


def test_an_out_of_corpus_question_is_declined_as_an_ordinary_answer(client) -> None:
    oai, app, _ = client
    for stream in (False, True):
        reply = oai.chat.completions.create(model="newsrag", stream=stream,
                                            messages=[{"role": "user", "content": OUTSIDE}])
        if stream:
            chunks = list(reply)
            content = "".join(c.choices[0].delta.content or "" for c in chunks)
            assert chunks[-1].choices[0].delta.model_extra["newsrag"]["abstained"] is True
        else:
            content = reply.choices[0].message.content
            assert reply.choices[0].message.model_extra["newsrag"]["abstained"] is True
            assert reply.choices[0].message.annotations == []
        assert "not" in content.lower() and "Sources:" not in content
    assert app.pipeline.generator.seen == []  # declined before the model


@pytest.mark.parametrize("extra, param", [({"n": 2}, "n"), ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
                                          ({"functions": [{"name": "f"}]}, "functions"),
                                          ({"response_format": {"type": "json_object"}}, "response_format")])
def test_unsupported_parameters_are_refused_with_openai_errors(client, extra, param) -> None:
    oai, app, _ = client
    with pytest.raises(openai.BadRequestError) as caught:
        oai.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": QUESTION}], **extra)
    error = caught.value.body
    assert error["param"] == param and error["type"] == "invalid_request_error" and error["message"]
    assert app.pipeline.generator.seen == []


def test_sampling_parameters_are_accepted_and_ignored(client) -> None:
    oai, _, _ = client
    reply = oai.chat.completions.create(model="newsrag", temperature=1.7, top_p=0.1, max_tokens=3,
                                        messages=[{"role": "user", "content": QUESTION}])
    assert all(firm in reply.choices[0].message.content for firm in FOUR_FIRMS)


def test_an_unknown_model_is_a_404(client) -> None:
    oai, _, _ = client
    with pytest.raises(openai.NotFoundError) as caught:
        oai.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert caught.value.body["code"] == "model_not_found"


@pytest.mark.parametrize("messages, says", [([], "messages"), ([{"role": "assistant", "content": "hi"}], "last message"),
                                            ([{"role": "user", "content": "   "}], "empty"),
                                            ([{"role": "user", "content": "x" * 1001}], "1,001 characters")])
def test_bad_conversations_are_400s_with_a_message(client, messages, says) -> None:
    oai, _, _ = client
    with pytest.raises((openai.BadRequestError, openai.UnprocessableEntityError)) as caught:
        oai.chat.completions.create(model="newsrag", messages=messages)
    assert says in caught.value.body["message"]


def test_a_stream_the_citation_check_changed_ends_with_the_checked_answer(seeded, serve_app) -> None:
    app = seeded("Huawei, Alibaba Cloud, Baidu and Tencent are pooling R&D resources [1] [9].")
    with serve_app(app) as url:
        oai = openai.OpenAI(base_url=url + "/v1", api_key="x", max_retries=0)
        chunks = list(oai.chat.completions.create(model="newsrag", stream=True,
                                                  messages=[{"role": "user", "content": QUESTION}]))
        whole = oai.chat.completions.create(model="newsrag", messages=[{"role": "user", "content": QUESTION}])
    content = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "[9]" in content.split("Checked answer: ")[0]  # what the model wrote, as it wrote it
    checked = content.split("\n\nChecked answer: ", 1)[1]
    assert "[9]" not in checked and checked.split("\n\nSources:")[0] == whole.choices[0].message.content.split("\n\nSources:")[0]
    for note in chunks[-1].choices[0].delta.model_extra["annotations"]:
        span = note["url_citation"]
        assert content[span["start_index"]:span["end_index"]] == "[1]" and span["start_index"] > content.index("Checked")
