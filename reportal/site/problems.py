"""Config problems: what a maintainer is told, and where (file, line, key path).

`Locator` finds the line of a key path in the portal file or in `_defaults.yaml`, whichever the
merged value came from; `schema_message` turns pydantic errors into plain words, using the
YAML traps recorded while loading ("write "NO" in quotes") and the closest valid key (difflib).
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from inspect import isclass
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from reportal.site.yamlload import KeyPath, YamlDocument

__all__ = ["ConfigError", "ConfigProblem", "Locator", "fields_at", "key_text", "schema_message", "unknown_key"]


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in an input file: ``sites/bz.yaml:12: languages[1]: message``.

    `line` is 1-based (0 when a problem concerns a whole file). `severity` is "error" (the build
    stops, nothing is written) or "warning" (printed; `--strict` turns warnings into errors).
    Any build step may report warnings this way, e.g. incomplete gettext catalogs.
    """

    file: str
    line: int
    key: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __post_init__(self) -> None:
        # One problem, one line: a message quoting a library's multi-line text is joined.
        object.__setattr__(self, "message", re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", self.message))

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        return _escaped(f"{self.file}:{self.line}: {self.key}: {label}{self.message}")


def _escaped(text: str) -> str:
    """`text` with every character that is not printable (controls, bidi overrides, lone
    surrogates…) written as a Python escape: a quoted file name or value cannot steer the
    terminal or reorder the line. Letters of every script are kept."""
    return text if text.isprintable() else "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class ConfigError(Exception):
    """Raised with every problem found (errors, or warnings under `--strict`); nothing is written."""

    def __init__(self, problems: list[ConfigProblem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.key, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def key_text(path: KeyPath) -> str:
    """`path` as written in a message: ``help[0].label.en``; a key that is not printable text
    (a control or bidi character, which the loader reports) is shown quoted and escaped (repr)."""
    text = ""
    for part in path:
        shown = part if isinstance(part, int) or part.isprintable() else repr(part)
        text += f"[{shown}]" if isinstance(part, int) else (f".{shown}" if text else str(shown))
    return text or "-"


def _nearest(doc: YamlDocument, path: KeyPath) -> KeyPath:
    """The longest prefix of `path` written in `doc` (the root `()` always is)."""
    return next(path[:end] for end in range(len(path), -1, -1) if path[:end] in doc.lines)


def _value(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data


class Locator:
    """The two files a merged portal comes from; says where a key path was written."""

    def __init__(self, portal: tuple[str, YamlDocument], defaults: tuple[str, YamlDocument] | None):
        self.files = [portal] + ([defaults] if defaults else [])

    def locate(self, path: KeyPath) -> tuple[str, YamlDocument, int]:
        """The file, document and line of `path` (or of its nearest written parent), following
        the merge: only mappings merge, so below a portal's list or value the defaults never count."""
        (name, doc), defaults = self.files[0], self.files[1:]
        for end in range(1, len(path) + 1):
            prefix = path[:end]
            if prefix not in doc.lines:
                for other_name, other in defaults:
                    if prefix in other.lines:
                        return other_name, other, other.lines[_nearest(other, path)]
                break
            if not isinstance(_value(doc.data, prefix), dict):
                break
        return name, doc, doc.lines[_nearest(doc, path)]

    def problem(self, path: KeyPath, message: str, severity: str = "error") -> ConfigProblem:
        name, _, line = self.locate(path)
        return ConfigProblem(name, line, key_text(path), message, severity)  # type: ignore[arg-type]


def _unwrap(kind: Any) -> Any:
    while get_origin(kind) in (Union, UnionType, Annotated):
        kind = next(a for a in get_args(kind) if a is not type(None))
    return kind


def _is_model(kind: Any) -> bool:
    return isclass(kind) and issubclass(kind, BaseModel)


def fields_at(root: type[BaseModel], path: KeyPath) -> list[str]:
    """Valid keys of the model found at `path` below `root` ([] where keys are free)."""
    kind: Any = root
    for part in path:
        if _is_model(kind):
            field = kind.model_fields.get(str(part))
            kind = _unwrap(field.annotation) if field else None
        elif get_origin(kind) in (list, dict):
            kind = _unwrap(get_args(kind)[-1])
        else:
            return []
    return list(kind.model_fields) if _is_model(kind) else []


def unknown_key(key: str, valid: list[str], what: str = "key") -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"unknown {what} {key!r}; did you mean {close[0]!r}?"
    return f"unknown {what} {key!r}; valid here: {', '.join(valid)}"


def schema_message(root: type[BaseModel], err: Any, path: KeyPath, doc: YamlDocument) -> str:
    """A pydantic error (`err` from `ValidationError.errors()`) in a maintainer's words."""
    kind = err["type"]
    if kind in ("string_type", "literal_error") and path in doc.traps:
        return doc.traps[path].message
    if kind == "extra_forbidden":
        return unknown_key(str(path[-1]), fields_at(root, path[:-1]))
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error":
        return f"must be one of {err['ctx']['expected'].replace(' or ', ', ')}, not {err['input']!r}"
    if kind == "too_short":
        return "list at least one"
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind in ("string_type", "list_type", "dict_type", "model_type"):
        wanted = {"string_type": "text", "list_type": "a list", "dict_type": "a mapping",
                  "model_type": "a mapping"}[kind]
        return f"expected {wanted}, found {type(err['input']).__name__}"
    return err["msg"]
