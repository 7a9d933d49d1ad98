"""The OpenAI-compatible door: ``GET /v1/models`` and ``POST /v1/chat/completions``.

One model, ``newsrag``. The last user message is the question; earlier user/assistant pairs are
its history (an assistant message's "Sources:" list, which this door appends, is cut off before
it goes back to the pipeline); system messages are ignored, since newsrag's own instructions
decide how it answers. The reply keeps the answer's ``[n]`` markers and ends with a Markdown
"Sources:" list, for clients that show only text; ``message.annotations`` has an OpenAI
``url_citation`` per marker (url, title, and the marker's start/end in the content), and
``message.newsrag`` newsrag's own record (abstained, and per citation the doc id, date and cited
span). A declined question is an ordinary reply saying the corpus does not cover it.

Streaming (``stream: true``) sends the tokens as the model writes them, then, if the citation
check changed the text, a "Checked answer:" paragraph with the checked text (as ``newsrag ask``
prints it), then the sources; the last chunk carries the annotations and ``finish_reason``. A
failure once the stream has begun ends it with an event in OpenAI's error shape (an unexpected one
saying only that the details are in the server log).

Parameters: ``temperature``, ``top_p``, ``max_tokens``/``max_completion_tokens``, ``seed``,
``stop``, ``user``, ``stream_options`` and the penalties are accepted and ignored (the settings
decide sampling: answers are reproducible and checked); ``n`` > 1, ``tools``, ``tool_choice``,
``functions``, ``function_call`` and a ``response_format`` other than text are refused (400), as is
any model but ``newsrag``. Not here: authentication and limits (rag.api.app).
"""
from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any, Iterator, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.api.service import UNEXPECTED, ApiError, Service
from rag.markers import MARKER
from rag.records import Answer

log = logging.getLogger(__name__)
MODEL_ID = "newsrag"
SOURCES_HEADING = "\n\nSources:\n"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # other OpenAI parameters: ignored, as documented above
    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    n: int | None = None
    tools: list[Any] | None = None
    tool_choice: Any = None
    functions: list[Any] | None = None
    function_call: Any = None
    response_format: dict[str, Any] | None = None
    temperature: float | None = None  # ignored
    top_p: float | None = None  # ignored
    max_tokens: int | None = None  # ignored: the max_tokens setting applies
    max_completion_tokens: int | None = None  # ignored


def refuse_unsupported(body: ChatRequest) -> None:
    if body.model != MODEL_ID:
        raise ApiError(404, f"the model {body.model!r} does not exist; this server has one model, {MODEL_ID!r}",
                       param="model", code="model_not_found")
    if body.n is not None and body.n != 1:
        raise ApiError(400, f"n must be 1 (newsrag gives one checked answer), not {body.n}", param="n",
                       code="unsupported_parameter")
    for name in ("tools", "tool_choice", "functions", "function_call"):
        if getattr(body, name):
            raise ApiError(400, f"{name} is not supported: newsrag answers from its corpus and calls no tools",
                           param=name, code="unsupported_parameter")
    kind = (body.response_format or {}).get("type", "text")
    if kind != "text":
        raise ApiError(400, f"response_format {kind!r} is not supported; only text", param="response_format",
                       code="unsupported_parameter")


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the (question, answer) pairs before it."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise ApiError(400, "the last message must come from the user: it is the question", param="messages")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in turns[:-1]:
        if m.role == "user":
            pending = m.text()
        elif pending is not None:
            answer = m.text().split(SOURCES_HEADING, 1)[0].split("\n\nChecked answer: ")[-1].strip()
            if pending.strip() and answer:
                history.append((pending.strip(), answer))
            pending = None
    return turns[-1].text(), history


def sources_markdown(answer: Answer) -> str:
    if answer.abstained or not answer.citations:
        return ""
    lines = []
    for c in answer.citations:
        p = c.passage
        title = p.title.replace("[", "(").replace("]", ")")
        name = f"[{title}]({p.url})" if p.url else title
        lines.append(f"{c.number}. {name}" + (f", {p.published}" if p.published else ""))
    return SOURCES_HEADING + "\n".join(lines)


def annotations(content: str, answer: Answer) -> list[dict[str, Any]]:
    """An OpenAI url_citation for each marker in ``content`` before its sources list."""
    cited = {c.number: c for c in answer.citations}
    body_end = content.find(SOURCES_HEADING)
    out = []
    for match in MARKER.finditer(content, 0, body_end if body_end >= 0 else len(content)):
        for number in (int(n) for n in re.split(r"\s*,\s*", match.group(1))):
            c = cited.get(number)
            if c is None:
                continue
            out.append({"type": "url_citation", "url_citation": {
                "url": c.passage.url or f"newsrag:{c.passage.doc_id}", "title": c.passage.title,
                "start_index": match.start(), "end_index": match.end()}})
    return out


def newsrag_record(answer: Answer) -> dict[str, Any]:
    return {"abstained": answer.abstained, "question": answer.question, "citations": [
        {"number": c.number, "doc_id": c.passage.doc_id, "chunk_id": c.passage.chunk_id, "title": c.passage.title,
         "url": c.passage.url, "published": c.passage.published, "span": c.span} for c in answer.citations]}


def _usage(answer: Answer) -> dict[str, int]:
    return {"prompt_tokens": 0, "completion_tokens": answer.tokens, "total_tokens": answer.tokens}


def completion(answer: Answer) -> dict[str, Any]:
    content = answer.text + sources_markdown(answer)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": MODEL_ID,
        "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": {
            "role": "assistant", "content": content, "refusal": None,
            "annotations": annotations(content, answer), "newsrag": newsrag_record(answer)}}],
        "usage": _usage(answer),
    }


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def completion_chunks(pieces: Iterator[str | Answer]) -> Iterator[str]:
    """The SSE lines of a streamed completion: role, tokens, the checked text if it changed,
    sources, then a chunk with the annotations and ``finish_reason``, and ``[DONE]``."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed: list[str] = []
    answer: Answer | None = None
    try:
        for item in pieces:
            if isinstance(item, Answer):
                answer = item
            else:
                streamed.append(item)
                yield chunk({"content": item})
    except ApiError as exc:  # headers are sent: the error travels as an event, as OpenAI's do
        yield f"data: {json.dumps(error_body(exc))}\n\n"
        return
    except Exception:  # the same, with the details for the log only (as rag.api.app's 500s)
        log.exception("a streamed chat completion failed")
        yield f"data: {json.dumps(error_body(ApiError(500, UNEXPECTED, kind='server_error')))}\n\n"
        return
    assert answer is not None, "Pipeline.stream ended without an Answer"
    tail = ""
    if _squeezed(answer.text) != _squeezed("".join(streamed)):
        tail = f"\n\nChecked answer: {answer.text}"
    tail += sources_markdown(answer)
    if tail:
        yield chunk({"content": tail})
    content = "".join(streamed) + tail
    checked = content.rsplit("\n\nChecked answer: ", 1)
    # The annotations point into the checked text when there is one, and into the content as sent.
    offset = len(checked[0]) + len("\n\nChecked answer: ") if len(checked) == 2 else 0
    notes = annotations(content[offset:], answer)
    for note in notes:
        note["url_citation"]["start_index"] += offset
        note["url_citation"]["end_index"] += offset
    yield chunk({"annotations": notes, "newsrag": newsrag_record(answer)}, "stop", usage=_usage(answer))
    yield "data: [DONE]\n\n"


def error_body(exc: ApiError) -> dict[str, Any]:
    return {"error": {"message": exc.message, "type": exc.kind, "param": exc.param, "code": exc.code}}


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    @api.get("/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "newsrag"}]}

    @api.post("/chat/completions")
    def chat_completions(body: ChatRequest, request: Request) -> Any:
        refuse_unsupported(body)
        question, history = conversation(body.messages)
        service.question(question, "messages")  # a 400 now, before any stream starts
        if body.stream:
            pieces = service.stream(question, history, param="messages")
            return StreamingResponse(completion_chunks(pieces), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        return JSONResponse(completion(service.ask(question, history, param="messages")))

    return api
