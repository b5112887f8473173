"""YAML loading that keeps line numbers and refuses YAML 1.1 surprises.

PyYAML's `SafeLoader` composes the node tree (every node has its `start_mark`); instead of letting
it build Python objects directly, `load_yaml` walks the tree itself so that it can

- record the 1-based line of every key path, e.g. `("help", 0, "label", "en") → 14`;
- record every *plain* (unquoted) scalar that YAML 1.1 reads as something other than text
  (`NO` → false, `10:00` → 600, `1.10` → 1.1, `2024-01-01` → a date, `0777` → 511, `~` → null),
  so the schema check can say "quote it" wherever a string was expected;
- report duplicate keys with both lines (PyYAML silently keeps the last one), and mapping keys
  that YAML reads as something other than text (`no:` is the boolean false, not Norwegian).

Paths are tuples of mapping keys (str) and sequence indexes (int), as pydantic's error `loc`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

__all__ = ["KeyPath", "Trap", "YamlDocument", "YamlProblem", "load_yaml"]

KeyPath = tuple[str | int, ...]
_STR_TAG = "tag:yaml.org,2002:str"
# libyaml's parser when PyYAML was built with it (about 6× faster), else the pure-Python one; both
# compose the same nodes with the same marks and use SafeLoader's resolver and constructors.
# A plain scalar's style is None in one and "" in the other: test it with `not style`.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Aliases can make a small file expand enormously ("billion laughs"); no portal needs this many.
MAX_NODES = 100_000


@dataclass(frozen=True)
class Trap:
    """A plain scalar that YAML 1.1 did not read as text: `text` as written, `reading` in words."""

    text: str
    reading: str

    @property
    def message(self) -> str:
        """The error shown where text was expected, with the fix."""
        if not self.text:
            return "has no value; write the text after the colon"
        return f'{self.text} is read by YAML as {self.reading}, not text; write "{self.text}" in quotes'


@dataclass(frozen=True)
class YamlProblem:
    """A mistake found while reading the file itself (syntax, duplicate or non-text key)."""

    path: KeyPath
    line: int
    message: str


@dataclass
class YamlDocument:
    """A loaded file: `data`, the line of every path, the traps met, and reading problems."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    traps: dict[KeyPath, Trap] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)


def _reading(text: str, value: Any) -> str:
    """Say in words what YAML 1.1 made of a plain scalar (source: YAML 1.1 type repository)."""
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        digits = text.lstrip("+-").replace("_", "")
        if ":" in text:
            return f"the base-60 number {value}"
        if len(digits) > 1 and digits.startswith("0") and digits[1:2] not in ("x", "b"):
            return f"the octal number {value}"
        return f"the number {value}"
    if isinstance(value, float):
        return f"the base-60 number {value!r}" if ":" in text else f"the number {value!r}"
    if isinstance(value, dt.datetime):
        return f"the date and time {value.isoformat()}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}"
    return f"a {type(value).__name__}"


class _Abort(Exception):
    """Stop walking a file that cannot be read sensibly (already reported)."""


class _Walker:
    """Builds Python data from a composed node tree, recording lines, traps and problems."""

    def __init__(self, loader: Any, doc: YamlDocument):
        self.loader = loader
        self.doc = doc
        self.open: set[int] = set()
        self.count = 0

    def value(self, node: Node, path: KeyPath) -> Any:
        line = node.start_mark.line + 1
        self.doc.lines.setdefault(path, line)
        self.count += 1
        if id(node) in self.open or self.count > MAX_NODES:
            self.doc.problems.append(YamlProblem(path, line, "aliases expand without end here"))
            raise _Abort
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        self.open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _scalar(self, node: Node, path: KeyPath) -> Any:
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.doc.problems.append(YamlProblem(path, node.start_mark.line + 1, problem))
            return None
        if isinstance(node, ScalarNode) and not node.style and node.tag != _STR_TAG:
            self.doc.traps[path] = Trap(node.value, _reading(node.value, value))
        return value

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        out: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, ScalarNode):
                self.doc.problems.append(YamlProblem(path, line, "a key must be plain text"))
                continue
            key = key_node.value
            if not key_node.style and key_node.tag != _STR_TAG:
                trap = Trap(key, _reading(key, self.loader.construct_object(key_node)))
                self.doc.problems.append(YamlProblem(path + (key,), line, trap.message))
            if key in first_line:
                self.doc.problems.append(YamlProblem(
                    path + (key,), line,
                    f"duplicate key {key!r} at lines {first_line[key]} and {line}; keep one"))
                continue
            first_line[key] = line
            self.doc.lines[path + (key,)] = line
            out[key] = self.value(value_node, path + (key,))
        return out


def load_yaml(text: str) -> YamlDocument:
    """Read one YAML document (safe tags only) keeping lines; never raises on bad input.

    A syntax error gives one `YamlProblem` at its line and `data` None; every other mistake is
    collected so that all of them are reported in one run. Mapping keys are always strings.
    """
    doc = YamlDocument(data=None)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            doc.data = _Walker(loader, doc).value(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part) or str(exc)
        doc.problems.append(YamlProblem((), mark.line + 1 if mark else 1, message))
        doc.data = None
    except yaml.YAMLError as exc:
        doc.problems.append(YamlProblem((), 1, str(exc)))
        doc.data = None
    except _Abort:
        doc.data = None
    finally:
        loader.dispose()
    doc.lines.setdefault((), 1)
    return doc
