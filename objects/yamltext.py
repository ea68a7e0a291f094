"""An object as YAML text and back (pure): what the editor shows, where an error is.

The text leaves out what the cluster keeps for itself (``managedFields``, ``status``);
``resourceVersion`` stays, so an edit of a stale copy is a conflict, not an overwrite.
"""

from __future__ import annotations

import copy
import difflib
import re

import yaml

HIDDEN_METADATA = ("managedFields",)
_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class YamlError(ValueError):
    """Text that is not one YAML mapping; ``line`` is 1-based where known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def shown(obj: dict) -> dict:
    """The object as the editor shows it."""
    obj = copy.deepcopy(obj)
    obj.pop("status", None)
    for key in HIDDEN_METADATA:
        (obj.get("metadata") or {}).pop(key, None)
    return obj


def dump(obj: dict) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def parse(text: str) -> dict:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise YamlError(f"Not valid YAML: {exc.problem or exc}", line) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"Not valid YAML: {exc}") from None
    documents = [d for d in documents if d is not None]
    if len(documents) != 1 or not isinstance(documents[0], dict):
        raise YamlError("Give one object (a YAML mapping), as the page showed it.", 1)
    return documents[0]


def path_segments(field: str) -> list[str | int]:
    """``spec.template.spec.containers[0].image`` as ``["spec", ..., 0, "image"]``."""
    return [int(index) if index else key for key, index in _SEGMENT.findall(field)]


def line_of(text: str, field: str) -> int | None:
    """The 1-based line of a field path (as the API server names them) in ``text``, or of
    its nearest ancestor there."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for segment in path_segments(field):
        if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
            found = next(((k, v) for k, v in node.value if getattr(k, "value", None) == segment), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(segment, int) and segment < len(node.value):
            node = node.value[segment]
            line = node.start_mark.line + 1
        else:
            break
    return line


def diff(before: dict, after: dict) -> str:
    """A unified diff of two objects' YAML (what an apply changes); "" when none."""
    old, new = dump(shown(before)).splitlines(), dump(shown(after)).splitlines()
    for lines in (old, new):  # the server moves these on every write: not a change
        lines[:] = [
            line for line in lines if not line.strip().startswith(("resourceVersion:", "generation:"))
        ]
    return "\n".join(difflib.unified_diff(old, new, "now", "after", lineterm="", n=2))
