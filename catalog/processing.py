"""OpenShift templates (``template.openshift.io/v1``) processed as OpenShift does it.

Pure: a template's text and parameter values in, the objects to create out (what
``oc process -o json`` prints). It follows OpenShift's own processor (library-go's
``templateprocessing``) and its documented expression generator:

- a parameter's ``value`` (or the one given) wins; else ``generate: expression`` makes one
  from ``from``; a ``required`` parameter still empty is an error;
- ``${NAME}`` is replaced inside any string, map keys included, as often as it appears;
  a string that is exactly ``${{NAME}}`` becomes the value read as JSON (a number, a
  boolean, an object…), or the string itself when it is not JSON; names of no parameter
  stay as written;
- a hard-coded ``metadata.namespace`` is dropped, one made of a parameter is kept (Berth
  refuses it later unless it names the project instantiated into);
- the template's ``labels`` (substituted) go on every object's ``metadata.labels``;
- the ``message`` is substituted.

Two deliberate differences, both safer and invisible to a well-formed template: values
are substituted in one pass (a value containing ``${OTHER}`` is never expanded again,
where OpenShift's replace-first-occurrence loop may), and generated characters come from
the system's secure random source.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_TEMPLATE_BYTES = 1024 * 1024
TEMPLATE_API_VERSIONS = ("template.openshift.io/v1", "v1")

# Parameter references, as OpenShift matches them.
STRING_REFERENCE = re.compile(r"\$\{([a-zA-Z0-9_]+?)\}")
NON_STRING_REFERENCE = re.compile(r"^\$\{\{([a-zA-Z0-9_]+)\}\}$")
PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9_]+$")

# The expression generator: "[<ranges>]{<length>}", anywhere in the text.
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
NUMERALS = "0123456789"
SYMBOLS = "~!@#$%^&*()-_+={}[]\\|<,>.?/\"';:`"
ASCII = ALPHABET + NUMERALS + SYMBOLS
GENERATOR = re.compile(r"\[([a-zA-Z0-9\-\\]+)\](\{(\w+)\})")
VALID_RANGES = re.compile(r"\[(\\w|\\d|\\a|\\A)|([a-zA-Z0-9]\-[a-zA-Z0-9])+\]")
RANGE = re.compile(r"([\\]?[a-zA-Z0-9]\-?[a-zA-Z0-9]?)")
CLASSES = {
    "\\w": ALPHABET + NUMERALS + "_",
    "\\d": NUMERALS,
    "\\a": ALPHABET,
    "\\A": SYMBOLS,
}
MAX_GENERATED = 255


class TemplateError(ValueError):
    """What is wrong with a template or the values given, in words; ``field`` names where."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Parameter:
    name: str
    display_name: str = ""
    description: str = ""
    value: str = ""
    required: bool = False
    generate: str = ""
    from_: str = ""

    @property
    def generated(self) -> bool:
        return self.generate == "expression"


@dataclass(frozen=True)
class Template:
    """A template as read, before processing."""

    name: str
    annotations: dict[str, str]
    parameters: tuple[Parameter, ...]
    objects: tuple[dict, ...]
    labels: dict[str, str]
    message: str

    @property
    def display_name(self) -> str:
        return self.annotations.get("openshift.io/display-name") or self.name

    @property
    def description(self) -> str:
        return self.annotations.get("description", "")

    @property
    def tags(self) -> list[str]:
        return [t.strip() for t in self.annotations.get("tags", "").split(",") if t.strip()]

    @property
    def icon(self) -> str:
        return self.annotations.get("iconClass", "")


@dataclass(frozen=True)
class Processed:
    """What processing made: the objects, the values used, and the message."""

    objects: list[dict]
    values: dict[str, str]
    message: str
    labels: dict[str, str] = field(default_factory=dict)

    def as_list(self) -> dict:
        """The objects as ``oc process -o json`` prints them."""
        return {"kind": "List", "apiVersion": "v1", "metadata": {}, "items": self.objects}


def template_read(text: str | bytes) -> Template:
    """Read a template from JSON or YAML text; anything else is a TemplateError."""
    if len(text) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"The template is {len(text):,} bytes; at most {MAX_TEMPLATE_BYTES:,} are read.")
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        raise TemplateError(f"This is neither JSON nor YAML{at}: {getattr(exc, 'problem', exc)}.") from None
    # As Kubernetes reads YAML: what YAML would take for a date or a number key stays text.
    data = json.loads(json.dumps(data, default=str))
    if not isinstance(data, dict) or data.get("kind") != "Template":
        kind = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise TemplateError(f"This is not a Template (kind {kind!r}): Berth reads OpenShift templates.")
    if data.get("apiVersion") not in TEMPLATE_API_VERSIONS:
        raise TemplateError(
            f"A Template of apiVersion {data.get('apiVersion')!r}: Berth reads template.openshift.io/v1."
        )
    metadata = data.get("metadata") or {}
    objects = data.get("objects") or []
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        raise TemplateError("Its objects must be a list of objects.", "objects")
    labels = data.get("labels") or {}
    if not isinstance(labels, dict):
        raise TemplateError("Its labels must be a map of names to values.", "labels")
    return Template(
        name=str(metadata.get("name", "")),
        annotations={str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()},
        parameters=tuple(_parameters(data.get("parameters") or [])),
        objects=tuple(objects),
        labels={str(k): str(v) for k, v in labels.items()},
        message=str(data.get("message") or ""),
    )


def _parameters(raw: Any) -> Iterable[Parameter]:
    if not isinstance(raw, list):
        raise TemplateError("Its parameters must be a list.", "parameters")
    seen = set()
    for i, p in enumerate(raw):
        where = f"parameters[{i}]"
        if not isinstance(p, dict):
            raise TemplateError(f"{where} is not a parameter.", where)
        name = str(p.get("name", ""))
        if not PARAMETER_NAME.match(name):
            raise TemplateError(f"{where}: {name!r} is not a parameter name (letters, digits, _).", where)
        if name in seen:
            raise TemplateError(f"{where}: the parameter {name} is defined twice.", where)
        seen.add(name)
        generate = str(p.get("generate") or "")
        if generate and generate != "expression":
            raise TemplateError(f"{name}: unknown generator {generate!r} (OpenShift has 'expression').", name)
        yield Parameter(
            name=name,
            display_name=str(p.get("displayName") or ""),
            description=str(p.get("description") or ""),
            value=_text(p.get("value")),
            required=bool(p.get("required")),
            generate=generate,
            from_=str(p.get("from") or ""),
        )


def _text(value: Any) -> str:
    """A parameter's value as OpenShift holds it: a string (YAML may have read 5 or true)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def expression_generate(expression: str) -> str:
    """Replace every ``[ranges]{n}`` of ``expression`` with n random characters of them."""

    def generated(match: re.Match) -> str:
        ranges, length_text = match.group(0)[: match.group(0).rfind("{")], match.group(3)
        if not VALID_RANGES.search(ranges):
            raise TemplateError(f"Malformed expression {ranges!r}: use ranges like [a-z0-9] or [\\w].")
        length = int(length_text) if length_text.isdigit() else 0
        if not 0 < length <= MAX_GENERATED:
            raise TemplateError(f"{match.group(0)!r}: the length must be from 1 to {MAX_GENERATED}.")
        alphabet = "".join(_characters(item) for item in RANGE.findall(ranges))
        if not alphabet:
            raise TemplateError(f"{ranges!r} gives no characters to choose from.")
        return "".join(secrets.choice(alphabet) for _ in range(length))

    return GENERATOR.sub(generated, expression)


def _characters(item: str) -> str:
    first, last = item[0], item[-1]
    if first == "\\":
        return CLASSES.get(item, "")
    left, right = ASCII.find(first), ASCII.rfind(last)
    if left > right:
        raise TemplateError(f"Invalid range {first}-{last}: {first} comes after {last}.")
    return ASCII[left : right + 1]


def template_process(template: Template, values: dict[str, str] | None = None) -> Processed:
    """Process ``template`` with ``values`` given for some parameters (by name)."""
    values = dict(values or {})
    known = {p.name for p in template.parameters}
    unknown = sorted(set(values) - known)
    if unknown:
        raise TemplateError(f"The template has no parameter {', '.join(unknown)}.", unknown[0])
    resolved: dict[str, str] = {}
    for p in template.parameters:
        value = values.get(p.name, p.value)
        if not value and p.generated:
            value = expression_generate(p.from_)
        if not value and p.required:
            raise TemplateError(f"{p.display_name or p.name} is required.", p.name)
        resolved[p.name] = value

    labels = {_in_string(k, resolved): _in_string(v, resolved) for k, v in template.labels.items()}
    objects = []
    for item in template.objects:
        obj = json.loads(json.dumps(item))  # a copy, and only JSON's types from here on
        metadata = obj.get("metadata")
        if isinstance(metadata, dict) and "namespace" in metadata:
            namespace = metadata["namespace"]
            if not (isinstance(namespace, str) and STRING_REFERENCE.search(namespace)):
                del metadata["namespace"]
        obj = _substituted(obj, resolved)
        if labels:
            metadata = obj.setdefault("metadata", {})
            metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
        objects.append(obj)
    return Processed(
        objects=objects, values=resolved, message=_in_string(template.message, resolved), labels=labels
    )


def _in_string(text: str, values: dict[str, str]) -> str:
    return STRING_REFERENCE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _substituted(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {_in_string(k, values): _substituted(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_substituted(v, values) for v in value]
    if isinstance(value, str):
        whole = NON_STRING_REFERENCE.match(value)
        if whole and whole.group(1) in values:
            try:
                return json.loads(values[whole.group(1)])
            except ValueError:
                return values[whole.group(1)]
        return _in_string(value, values)
    return value


def parameter_values(pairs: Iterable[str], *, source: str = "") -> dict[str, str]:
    """``NAME=VALUE`` lines (``-p`` arguments, or a parameter file's lines: blank lines
    and ``#`` comments skipped) as a dict; a line without ``=`` is an error."""
    values = {}
    for number, line in enumerate(pairs, start=1):
        if source and (not line.strip() or line.lstrip().startswith("#")):
            continue
        name, sep, value = line.partition("=")
        name = name.strip()
        if not sep or not PARAMETER_NAME.match(name):
            where = f"{source}, line {number}" if source else repr(line)
            raise TemplateError(f"{where}: expected NAME=VALUE.")
        values[name] = value
    return values
