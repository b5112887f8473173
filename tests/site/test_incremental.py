"""Incremental builds and `write_output`: an unchanged rebuild writes nothing, and whatever
changed (an input, an output, the arguments) gives exactly what a full build writes."""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

from reportal.site.build import Paths, build
from reportal.site.config import ConfigError
from reportal.site.output import snapshot, write_output
from tests.support import FIXTURE_SITES, ROOT

# the module (reportal.site re-exports its `build` function under the same name)
build_module = importlib.import_module("reportal.site.build")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def inputs(tmp_path: Path) -> Paths:
    """Copies of the fixture sites and the templates, so a test may change them."""
    shutil.copytree(FIXTURE_SITES, tmp_path / "sites")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return Paths(tmp_path / "sites", tmp_path / "templates", ROOT / "translations")


def _full_build(paths: Paths, where: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    build(paths, where / "dist", where / "function")
    return _tree(where / "dist"), _tree(where / "function")


def test_an_unchanged_rebuild_writes_and_touches_nothing(inputs: Paths, tmp_path: Path) -> None:
    # GIVEN a finished build
    first = build(inputs, tmp_path / "out" / "dist", tmp_path / "out" / "function")
    before = snapshot(tmp_path / "out" / "dist"), snapshot(tmp_path / "out" / "function")
    # WHEN nothing changed and it builds again
    again = build(inputs, tmp_path / "out" / "dist", tmp_path / "out" / "function")
    # THEN nothing is written and every file keeps its size and modification time
    assert (again.site.written, again.function.written) == (0, 0)
    assert again.site.unchanged == first.site.written and again.function.unchanged == first.function.written
    assert again.pages == first.pages and [p.code for p in again.portals] == ["bz", "eg"]
    assert again.warnings == first.warnings
    assert (snapshot(tmp_path / "out" / "dist"), snapshot(tmp_path / "out" / "function")) == before


def test_a_tampered_missing_or_extra_output_file_is_put_right(inputs: Paths, tmp_path: Path) -> None:
    # GIVEN a finished build, and a reference full build elsewhere
    dist, function = tmp_path / "out" / "dist", tmp_path / "out" / "function"
    build(inputs, dist, function)
    reference = _full_build(inputs, tmp_path / "reference")
    # WHEN an output file is changed, one removed and a stray one added
    (dist / "bz" / "en" / "index.html").write_text("tampered", encoding="utf-8")
    (function / "site.json").unlink()
    (dist / "bz" / "stray.html").write_text("stray", encoding="utf-8")
    result = build(inputs, dist, function)
    # THEN the rebuild writes what a full build writes, and nothing else
    assert result.site.written == 1 and result.site.removed == 1 and result.function.written == 1
    assert (_tree(dist), _tree(function)) == reference


def test_a_changed_input_gives_the_full_build_output(inputs: Paths, tmp_path: Path) -> None:
    # GIVEN a finished build
    dist, function = tmp_path / "out" / "dist", tmp_path / "out" / "function"
    build(inputs, dist, function)
    # WHEN a portal file and a template change
    bz = inputs.sites / "bz.yaml"
    bz.write_text(bz.read_text(encoding="utf-8").replace('phone: "911"', 'phone: "999"'), encoding="utf-8")
    base = inputs.templates / "base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("<body>", "<body class=\"changed\">"), encoding="utf-8")
    result = build(inputs, dist, function)
    # THEN every page is written again and the output equals a full build's
    assert result.site.written >= result.pages
    assert "999" in (dist / "bz" / "en" / "index.html").read_text(encoding="utf-8")
    assert (_tree(dist), _tree(function)) == _full_build(inputs, tmp_path / "reference")


def test_strict_is_part_of_what_makes_a_build_the_same(inputs: Paths, tmp_path: Path) -> None:
    # GIVEN a build that succeeded with warnings (the fixture catalogs are unreviewed drafts)
    dist, function = tmp_path / "out" / "dist", tmp_path / "out" / "function"
    warnings = build(inputs, dist, function).warnings
    if not warnings:
        pytest.skip("the fixture build has no warnings to turn into errors")
    # WHEN the same inputs are built with --strict
    # THEN the warnings fail the build as they would without the earlier one
    with pytest.raises(ConfigError):
        build(inputs, dist, function, strict=True)


def test_write_output_keeps_identical_files_and_drops_stale_ones(tmp_path: Path) -> None:
    # GIVEN an output directory from an earlier write
    out = tmp_path / "out"
    write_output(out, {"a/index.html": b"A", "b/c/index.html": b"C", "keep.css": b"K"})
    kept = snapshot(out)["keep.css"]
    # WHEN the next site has one changed file, one new and two gone
    stats = write_output(out, {"a/index.html": b"A2", "keep.css": b"K", "d/index.html": b"D"})
    # THEN only the changed and new files are written, stale files and empty directories go
    assert (stats.written, stats.unchanged, stats.removed) == (2, 1, 1)
    assert _tree(out) == {"a/index.html": b"A2", "d/index.html": b"D", "keep.css": b"K"}
    assert not (out / "b").exists()
    assert snapshot(out)["keep.css"] == kept


def _package_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "package" / "reportal"
    shutil.copytree(build_module.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_editing_the_page_environment_module_causes_a_rebuild(inputs: Paths, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a finished build made with a copy of the package's code, and a counter of rendered pages
    monkeypatch.setattr(build_module, "PACKAGE", _package_copy(tmp_path))
    dist, function = tmp_path / "out" / "dist", tmp_path / "out" / "function"
    rendered: list[str] = []
    real_render = build_module.render_page
    monkeypatch.setattr(build_module, "render_page", lambda env, template, context: (
        rendered.append(template), real_render(env, template, context))[1])
    first = build(inputs, dist, function)
    full = len(rendered)  # renders of a full build (a page planned twice is rendered once)
    rendered.clear()
    build(inputs, dist, function)
    assert rendered == []  # unchanged: nothing rendered again
    # WHEN the module that builds the page environment changes (one byte)
    pages_env = build_module.PACKAGE / "pages_env.py"
    pages_env.write_text(pages_env.read_text(encoding="utf-8") + "#\n", encoding="utf-8")
    again = build(inputs, dist, function)
    # THEN the build renders every page again instead of trusting the last one
    assert len(rendered) == full > 0 and again.pages == first.pages


@pytest.mark.parametrize("module", ["fields.py", "site/config.py", "site/render.py", "__init__.py"])
def test_the_fingerprint_covers_every_module_that_shapes_output(inputs: Paths, tmp_path: Path, module: str) -> None:
    # GIVEN a copy of the package WHEN one module the build imports changes THEN the fingerprint changes
    package = _package_copy(tmp_path)
    before = build_module._fingerprint(inputs, None, False, package)
    (package / module).write_text((package / module).read_text(encoding="utf-8") + "#\n", encoding="utf-8")
    assert build_module._fingerprint(inputs, None, False, package) != before


def test_the_fingerprint_leaves_out_code_that_renders_nothing(inputs: Paths, tmp_path: Path) -> None:
    # GIVEN a copy of the package WHEN the inbox, the preview or the CLI change THEN the build is still current
    package = _package_copy(tmp_path)
    before = build_module._fingerprint(inputs, None, False, package)
    for module in ("inbox/drain.py", "preview.py", "cli.py", "site/scaffold.py"):
        (package / module).write_text((package / module).read_text(encoding="utf-8") + "#\n", encoding="utf-8")
    assert build_module._fingerprint(inputs, None, False, package) == before


def test_the_fingerprint_names_the_version_of_every_library_the_rendering_code_imports() -> None:
    import ast
    from importlib.metadata import packages_distributions

    from packaging.utils import canonicalize_name

    distributions = packages_distributions()
    imported: set[str] = set()
    for path in build_module.render_code():
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    libraries = {canonicalize_name(d) for m in imported - {"reportal"} for d in distributions.get(m, [])}
    assert "babel" in libraries and "jinja2" in libraries  # the scan sees the imports
    # jinja2 renders with markupsafe, pydantic validates with pydantic-core: named though not imported
    assert libraries <= set(build_module.RENDER_LIBRARIES)
    versions = dict(build_module._library_versions())
    assert versions["cldr"] and versions["python"] and set(build_module.RENDER_LIBRARIES) <= set(versions)


def test_an_unchanged_cli_rebuild_answers_from_the_record_without_the_build_libraries(tmp_path: Path) -> None:
    # GIVEN a finished `reportal build` of the fixture portals
    import subprocess
    import sys

    args = ["build", "--sites", str(FIXTURE_SITES), "--out", str(tmp_path / "dist"),
            "--function-out", str(tmp_path / "function")]
    probe = ("import sys; from reportal.cli import main; code = main(sys.argv[1:]); "
             "print(sorted(m for m in ('pydantic', 'jinja2', 'babel', 'yaml') if m in sys.modules)); sys.exit(code)")
    first = subprocess.run([sys.executable, "-c", probe, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    # WHEN it runs again with nothing changed
    again = subprocess.run([sys.executable, "-c", probe, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    # THEN it says what the full build said (nothing written), prints the same warnings, and
    # imported none of the libraries a build needs
    assert "['babel', 'jinja2', 'pydantic', 'yaml']" in first.stdout
    written = first.stdout.splitlines()[0].rsplit("(", 1)[1].split()[0]
    assert again.stdout.splitlines() == [
        first.stdout.splitlines()[0].replace(f"({written} written, 0 unchanged", f"(0 written, {written} unchanged"), "[]"]
    assert again.stderr == first.stderr
