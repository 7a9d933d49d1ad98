"""Scripted evaluation of newsrag on question files: run, score, report, compare.

`newsrag eval` (rag.eval.cli) runs every question of a JSONL file through the answering pipeline
(or the naive baseline of rag.eval.naive), appends one result per question to results.jsonl, and
writes report.json, report.md and report.png next to it. Nothing is imported here, so importing a
submodule stays cheap.
"""
