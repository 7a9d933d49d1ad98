"""The control-token strings of a model behind an OpenAI-compatible server, as far as they can be known.

An in-process model lists its special tokens from its own vocabulary (``rag.generation``). A
server keeps the vocabulary to itself, yet it tokenizes the rendered chat template with special
tokens on, so an article holding ``<start_of_turn>`` would open a real turn of a Gemma model
served by llama-server, and ``[INST]`` one of a Mistral model. Two sources fill the gap:

- ``FAMILY_TOKENS``: the turn and sequence markers of the common template families that are not
  shaped like ``<|...|>`` (that shape is neutralised whatever the model, by ``rag.quoting``) and
  that no article writes for another reason. SentencePiece's ``<s>`` and ``</s>`` are left out:
  they are also HTML's strikethrough (``Prices fell <s>10%</s> 12%``), and withholding them for
  every served model cut such passages short;
- the server's own chat template, where it publishes one: llama.cpp's llama-server answers
  ``GET /props`` with ``chat_template``, ``bos_token`` and ``eos_token``. Every token-shaped
  string in the template's quoted literals is taken, and the two named tokens: so ``<s>`` and
  ``</s>`` are control strings exactly when the served model uses them.

Not here: what is done with the strings (``rag.quoting``), or asking the server anything else.
vLLM, Ollama and llama-cpp-python's server publish no template on that path; the table applies
(a Llama 2 or Mistral model served there could then read ``<s>`` in an article as a sequence
marker; its ``[INST]`` turns are still withheld).
"""
from __future__ import annotations

import re
from typing import Any

FAMILY_TOKENS = frozenset({
    "<start_of_turn>", "<end_of_turn>", "<bos>", "<eos>",  # Gemma
    "[INST]", "[/INST]", "<<SYS>>", "<</SYS>>",  # Llama 2, Mistral
    "[SYSTEM_PROMPT]", "[/SYSTEM_PROMPT]", "[AVAILABLE_TOOLS]", "[/AVAILABLE_TOOLS]",
    "[TOOL_CALLS]", "[TOOL_RESULTS]", "[/TOOL_RESULTS]",  # Mistral v3 and later
})
# A literal in the template source: '...' or "..." with no newline in it.
_LITERAL = re.compile(r"""'([^'\n]{2,200})'|"([^"\n]{2,200})\"""")
# Token-shaped: <|name|>, <name>, </name>, <<NAME>>, [NAME], [/NAME]; names of letters, digits and _.
_TOKEN = re.compile(r"<\|[\w.\-]{1,40}\|>|<</?[A-Z]{2,20}>>|</?[a-z][a-z0-9_]{1,30}>|\[/?[A-Z][A-Z0-9_]{1,30}\]")
_MAX_TEMPLATE_CHARS = 200_000


def tokens_in_template(template: str) -> frozenset[str]:
    """Token-shaped strings inside the quoted literals of a Jinja chat template."""
    found: set[str] = set()
    for match in _LITERAL.finditer(template[:_MAX_TEMPLATE_CHARS]):
        found.update(_TOKEN.findall(match.group(1) or match.group(2)))
    return frozenset(found)


def tokens_in_props(props: Any) -> frozenset[str]:
    """The control strings named by a llama-server ``/props`` answer (nothing for any other shape)."""
    if not isinstance(props, dict):
        return frozenset()
    found: set[str] = set()
    template = props.get("chat_template")
    if isinstance(template, str):
        found |= tokens_in_template(template)
    for key in ("bos_token", "eos_token"):
        value = props.get(key)
        if isinstance(value, str) and 2 <= len(value.strip()) <= 40:
            found.add(value.strip())
    return frozenset(found)
