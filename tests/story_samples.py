"""One event reported by three outlets, and one story of its own, dated relative to a given day:
the briefs', timelines' and Stories view's tests share them."""
from __future__ import annotations

from datetime import date, timedelta

from index.records import Document

NOT_COVERED = "The corpus does not cover this question."
EVENT = ("A cargo ferry ran aground at the entrance of Port Alder harbour on Tuesday, blocking the shipping "
         "channel. The coast guard said all 14 crew members were rescued and an oil boom was placed around it.")
OUTLETS = [("The Harbour Post", "Cargo ferry runs aground at Port Alder harbour"),
           ("Coast Daily", "Ferry aground blocks Port Alder shipping channel"),
           ("Port Gazette", "Port Alder crew rescued after cargo ferry runs aground")]


def news(today: date) -> list[Document]:
    docs = [Document(f"ferry-{i}", title, EVENT + " More on the harbour. " * 3, url=f"https://o{i}.example/ferry",
                     published=(today - timedelta(days=i)).isoformat(), site=site)
            for i, (site, title) in enumerate(OUTLETS)]
    docs.append(Document("library", "City council approves new library budget",
                         "The city council approved a budget for the new central library on Monday, with "
                         "construction to start next spring. " * 3,
                         url="https://o0.example/library", published=today.isoformat(), site="The Harbour Post"))
    return docs
