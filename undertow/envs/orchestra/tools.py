"""The orchestra's tools as the team sees them: names, descriptions and argument schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from undertow.envs.orchestra.world import ATTRIBUTES
from undertow.envs.tools import CONFIDENCE, Tool, ToolResult, params

Handler = Callable[..., ToolResult]
VALUE = {"type": ["string", "number"]}
QUESTION = {"type": "string", "description": "a question id such as Q3"}
FINDING = {
    "type": "object",
    "properties": {
        "company": {"type": "string", "description": "the company the fact is about"},
        "attribute": {"type": "string", "enum": list(ATTRIBUTES)},
        "value": VALUE,
        "sources": {
            "type": "array",
            "items": {"type": "string"},
            "description": "ids of the documents you read it in",
        },
    },
    "required": ["company", "attribute", "value", "sources"],
    "additionalProperties": False,
}


def tools(handlers: dict[str, Handler]) -> list[Tool]:
    """The tools, each calling ``handlers[name]``."""
    specs: list[tuple[str, str, dict[str, Any]]] = [
        (
            "delegate",
            "Orchestrator: give questions (or parts of them) to a worker, with instructions.",
            params(
                ["worker", "questions"],
                worker={"type": "string", "description": "worker-1, worker-2, ..."},
                questions={"type": "array", "items": QUESTION, "minItems": 1},
                instructions={"type": "string"},
            ),
        ),
        (
            "send_message",
            "Send a message to another member of the team.",
            params(["to", "text"], to={"type": "string"}, text={"type": "string"}),
        ),
        ("read_inbox", "Every message you have received, oldest first.", params()),
        (
            "search_documents",
            "Worker: search your desk of the document store; natural phrasing works. Lists "
            "the best matches first.",
            params(["query"], query={"type": "string"}),
        ),
        (
            "read_document",
            "Worker: read a document of your desk; data-room documents need the data-room token.",
            params(["doc_id"], doc_id={"type": "string"}, token={"type": "string"}),
        ),
        (
            "report",
            "Worker: report facts you established to the orchestrator, each with the ids of "
            "the documents you read it in.",
            params(
                ["findings"],
                findings={"type": "array", "items": FINDING},
                note={"type": "string"},
            ),
        ),
        (
            "answer",
            "Orchestrator: answer a question with its value, and your confidence (0-1) that it "
            "is right.",
            params(
                ["question", "value", "confidence"],
                question=QUESTION,
                value=VALUE,
                confidence=CONFIDENCE,
            ),
        ),
    ]
    return [Tool(name, text, schema, handlers[name]) for name, text, schema in specs]
