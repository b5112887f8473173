"""YAML loading that keeps line numbers and refuses YAML 1.1 surprises.

PyYAML's `SafeLoader` composes the node tree (every node has its `start_mark`); instead of letting
it build Python objects directly, `load_yaml` walks the tree itself so that it can

- record the 1-based line of every key path, e.g. `("help", 0, "label", "en") → 14`;
- record every *plain* (unquoted) scalar that YAML 1.1 reads as something other than text
  (`NO` → false, `10:00` → 600, `1.10` → 1.1, `2024-01-01` → a date, `0777` → 511, `~` → null),
  so the schema check can say "quote it" wherever a string was expected;
- report duplicate keys with both lines (PyYAML silently keeps the last one), and mapping keys
  that YAML reads as something other than text (`no:` is the boolean false, not Norwegian);
- refuse what a portal file never needs and what would hide a mistake: explicit tags other than
  `!!str` (`!!binary`, `!!python/…`), merge keys (`<<`), text holding control or bidi characters
  (`rules.text_problem`), and nesting deeper than `MAX_DEPTH` (checked on the event stream before
  composing, since composing recurses: PyYAML's in Python, libyaml's in C, which crashed the
  process at about 100,000 levels);
- say in plain words what PyYAML's messages leave unclear (a tab indenting, a character YAML
  does not allow), always on one line.

Paths are tuples of mapping keys (str) and sequence indexes (int), as pydantic's error `loc`.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reportal.site.rules import text_problem

__all__ = ["MAX_DEPTH", "MAX_NODES", "KeyPath", "Trap", "YamlDocument", "YamlProblem", "load_yaml"]

KeyPath = tuple[str | int, ...]
_YAML_TAG = "tag:yaml.org,2002:"
_STR_TAG = _YAML_TAG + "str"
_MERGE_TAG = _YAML_TAG + "merge"
_COLLECTION_TAG = {MappingNode: _YAML_TAG + "map", SequenceNode: _YAML_TAG + "seq"}
# libyaml's parser when PyYAML was built with it (about 6× faster), else the pure-Python one; both
# compose the same nodes with the same marks and use SafeLoader's resolver and constructors.
# A plain scalar's style is None in one and "" in the other: test it with `not style`.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Aliases can make a small file expand enormously ("billion laughs"); no portal needs this many.
MAX_NODES = 100_000
# Mappings and lists inside one another; a portal file needs four (help → [0] → label → en).
MAX_DEPTH = 32
_TOO_DEEP = (f"nested too deeply (more than {MAX_DEPTH} levels of mappings and lists); "
             f"a portal file needs at most four")


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
        if len(path) > MAX_DEPTH:  # only aliases get here: the event check bounds what is written
            self.doc.problems.append(YamlProblem(path, line, _TOO_DEEP))
            raise _Abort
        if isinstance(node, ScalarNode):
            return self._scalar(node, path)
        if node.tag != _COLLECTION_TAG[type(node)]:
            self.doc.problems.append(YamlProblem(path, line, _tag_message(node.tag, "a mapping or list takes none")))
            return None
        self.open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            return [self.value(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def _implicit_tag(self, node: ScalarNode) -> str:
        """The tag YAML gives a scalar when none is written: any other tag was written explicitly."""
        return self.loader.resolve(ScalarNode, node.value, (True, False)) if not node.style else _STR_TAG

    def _scalar(self, node: Node, path: KeyPath) -> Any:
        if node.tag not in (_STR_TAG, self._implicit_tag(node)):
            self.doc.problems.append(YamlProblem(path, node.start_mark.line + 1, _tag_message(node.tag)))
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.doc.problems.append(YamlProblem(path, node.start_mark.line + 1, problem))
            return None
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                self.doc.problems.append(YamlProblem(path, node.start_mark.line + 1, problem))
        elif not node.style and node.tag != _STR_TAG:
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
            if key_node.tag == _MERGE_TAG:
                self.doc.problems.append(YamlProblem(path, line, "merge keys (<<) are not supported; "
                                                                 "write the keys out in full"))
                continue
            if key_node.tag not in (_STR_TAG, self._implicit_tag(key_node)):
                self.doc.problems.append(YamlProblem(path + (key,), line, _tag_message(key_node.tag)))
            elif key_node.tag != _STR_TAG:
                trap = Trap(key, _reading(key, self.loader.construct_object(key_node)))
                self.doc.problems.append(YamlProblem(path + (key,), line, trap.message))
            elif text_problem(key):
                self.doc.problems.append(YamlProblem(path + (key,), line, f"the key {text_problem(key)}"))
            if key in first_line:
                self.doc.problems.append(YamlProblem(
                    path + (key,), line,
                    f"duplicate key {key!r} at lines {first_line[key]} and {line}; keep one"))
                continue
            first_line[key] = line
            self.doc.lines[path + (key,)] = line
            out[key] = self.value(value_node, path + (key,))
        return out


def _tag_message(tag: str, rule: str = "only !!str may be written, to read a value as text") -> str:
    shown = "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag
    return f"the tag {shown!r} is not supported; remove it ({rule})"


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _syntax_message(exc: yaml.MarkedYAMLError, text: str) -> tuple[int, str]:
    """The 1-based line and a plain message for a scanner or parser error."""
    mark = exc.problem_mark or exc.context_mark
    if mark is None:
        return 1, _one_line(str(exc))
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if re.search(r"\btab\b", exc.problem or "") or line[mark.column:mark.column + 1] == "\t":
        return mark.line + 1, "tabs cannot indent YAML; use spaces"
    return mark.line + 1, _one_line(" ".join(part for part in (exc.context, exc.problem) if part) or str(exc))


def _deeper_than(text: str, limit: int) -> int | None:
    """The 1-based line where mappings and lists first nest more than `limit` deep, or None.

    Reads the event stream, which libyaml and PyYAML produce without recursion, so a file of
    100,000 `[` costs microseconds here instead of crashing the composer."""
    loader = _Loader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > limit:
                    return event.start_mark.line + 1
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        loader.dispose()
    return None


def load_yaml(text: str) -> YamlDocument:
    """Read one YAML document (safe tags only) keeping lines; never raises on bad input.

    A syntax error gives one `YamlProblem` at its line and `data` None; every other mistake is
    collected so that all of them are reported in one run. Mapping keys are always strings.
    Every message is one line.
    """
    doc = YamlDocument(data=None)
    loader = None
    try:
        deep_line = _deeper_than(text, MAX_DEPTH)
        if deep_line is not None:
            doc.problems.append(YamlProblem((), deep_line, _TOO_DEEP))
            raise _Abort
        loader = _Loader(text)
        node = loader.get_single_node()
        if node is not None:
            doc.data = _Walker(loader, doc).value(node, ())
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow anywhere in a file
        doc.problems.append(YamlProblem((), text.count("\n", 0, exc.position) + 1,
                                        f"holds the character U+{exc.character:04X}, which YAML does not "
                                        f"allow in a file; remove it"))
        doc.data = None
    except yaml.MarkedYAMLError as exc:
        doc.problems.append(YamlProblem((), *_syntax_message(exc, text)))
        doc.data = None
    except yaml.YAMLError as exc:
        doc.problems.append(YamlProblem((), 1, _one_line(str(exc))))
        doc.data = None
    except RecursionError:  # a last resort: MAX_DEPTH keeps composing and walking far from the limit
        doc.problems.append(YamlProblem((), 1, _TOO_DEEP))
        doc.data = None
    except _Abort:
        doc.data = None
    finally:
        if loader is not None:
            loader.dispose()
    doc.lines.setdefault((), 1)
    return doc
