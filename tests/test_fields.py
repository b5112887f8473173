"""A report's fields are declared once (reportal/fields.py): a field added there alone reaches
the form, the function, the envelope, the inbox, `inbox list`/`show` and both exports; and
docs/openapi.yaml agrees with the definition."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reportal import fields as report_fields
from reportal.fields import FIELDS, Field
from reportal.submit.messages import MESSAGES, limit_of, message_of
from tests.support import FIXTURE_SITES, ROOT, form_event

PLATFORM = Field("platform", "line", max_chars=40, label="Platform or app where you saw them (optional)",
                 hint="For example: a social network, a chat app or a game.",
                 too_long="The platform can be at most %(max)s characters long.")


@pytest.fixture
def with_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    """The definition with one more optional field, `platform`, before the honeypot: nothing else changed."""
    monkeypatch.setattr(report_fields, "FIELDS", FIELDS[:-1] + (PLATFORM,) + FIELDS[-1:])


@pytest.fixture
def platform_handler(with_platform, tmp_path: Path, identity_file: Path, sqs: Any, queue_url: str) -> Any:
    """The fixture portals built with `platform`, and the submission handler on that build."""
    from reportal.envelope import recipient_of
    from reportal.site.build import Paths, build
    from reportal.submit.app import make_handler
    from reportal.submit.settings import Settings

    build(Paths.under(ROOT, FIXTURE_SITES), tmp_path / "dist", tmp_path / "function")
    settings = Settings(queue_url=queue_url, recipients=(recipient_of(identity_file),),
                        data_dir=tmp_path / "function")
    return make_handler(settings, sqs)


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    from reportal.cli import main

    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_a_field_added_to_the_definition_alone_reaches_every_place(
        platform_handler, sqs, queue_url, identity_file, tmp_path, capsys) -> None:
    from reportal.envelope import load_identities
    from reportal.inbox.drain import drain
    from reportal.inbox.store import Store

    # GIVEN `platform` declared in reportal/fields.py only
    # THEN the built form offers it, labelled and hinted, with its limit, in every language
    for page in ("bz/en/index.html", "eg/ar/index.html"):
        html = (tmp_path / "dist" / page).read_text(encoding="utf-8")
        assert ('<label for="platform">Platform or app where you saw them (optional)</label>\n'
                '<p class="hint" id="platform-hint">For example: a social network, a chat app or a game.</p>\n'
                '<input id="platform" name="platform" type="text" dir="auto" autocomplete="off" maxlength="40"'
                ' aria-describedby="platform-hint" value="">') in html
        assert html.index('id="platform"') < html.index('id="trap"')

    # WHEN a report gives a platform longer than its limit THEN the 400 page names it and keeps it
    base = [("portal", "bz"), ("lang", "en"), ("url", "example.com/a")]
    answer = platform_handler(form_event(base + [("platform", "p" * 41)]), None)
    assert answer["statusCode"] == 400
    assert '<a href="#platform">The platform can be at most 40 characters long.</a>' in answer["body"]
    assert f'aria-describedby="platform-hint platform-error" aria-invalid="true" value="{"p" * 41}"' in answer["body"]

    # WHEN a report gives one within it THEN it is sealed into the envelope, in form order
    answer = platform_handler(form_event(base + [("platform", "  Telegram ")]), None)
    assert answer["statusCode"] == 303

    # AND the inbox opens and stores it
    store_path = tmp_path / "inbox.sqlite"
    with Store(store_path) as store:
        stats = drain(sqs, queue_url, load_identities(identity_file), store, once=True, wait_seconds=0)
        assert (stats.stored, stats.unopened) == (1, 0)
        [stored] = store.list()
    assert stored["platform"] == "Telegram"
    keys = list(stored)
    assert keys.index("platform") == keys.index("email") + 1  # the envelope's contract order
    report_id = stored["report_id"]

    # AND analysts see it in `inbox list`, `inbox show` and both exports
    db = ("--db", str(store_path))
    assert _cli(capsys, "inbox", "list", *db).rstrip("\n").endswith("https://example.com/a  Telegram")
    assert "platform     Telegram\n" in _cli(capsys, "inbox", "show", report_id, *db)
    [line] = _cli(capsys, "inbox", "export", "--format", "jsonl", *db).splitlines()
    assert json.loads(line)["platform"] == "Telegram"
    [row] = csv.DictReader(io.StringIO(_cli(capsys, "inbox", "export", "--format", "csv", *db), newline=""))
    assert row["platform"] == "Telegram"
    assert list(row)[-3:] == ["email", "platform", "duplicate_of"]


def test_an_added_field_is_checked_in_an_opened_envelope(with_platform) -> None:
    from reportal.envelope import EnvelopeError, check_plaintext
    from tests.support import make_report

    # GIVEN `platform` declared WHEN an envelope holds a platform that is not text THEN it is named
    assert check_plaintext(make_report(platform="Telegram"))["platform"] == "Telegram"
    assert check_plaintext(make_report(platform=None))["platform"] is None
    with pytest.raises(EnvelopeError, match="'platform'"):
        check_plaintext(make_report(platform=["Telegram"]))


def _openapi() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8"))


def _schema(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


@pytest.mark.parametrize("body", ["FormReport", "JsonReport"])
def test_openapi_declares_the_fields_of_the_definition(body: str) -> None:
    # GIVEN docs/openapi.yaml WHEN read beside reportal/fields.py THEN every field, limit and choice agrees
    spec = _openapi()
    schema = spec["components"]["schemas"][body]
    assert list(schema["properties"]) == [f.name for f in FIELDS]
    assert schema["required"] == [f.name for f in FIELDS if f.kind == "context" or f.required]
    for f in FIELDS:
        node = schema["properties"][f.name]
        if f.repeatable:
            many = node if body == "FormReport" else node["oneOf"][1]
            assert (many["type"], many["minItems"], many["maxItems"]) == ("array", 1, f.max_values)
            node = many["items"]
        node = _schema(spec, node)
        assert node["type"] == "string"
        expected_max = 0 if f.kind == "honeypot" else f.max_chars
        assert node.get("maxLength") == expected_max, f.name
        if f.kind == "choice":
            assert node["enum"] == [c.value for c in f.choices] + [""]


def test_openapi_lists_every_field_and_error_code_the_function_answers() -> None:
    spec = _openapi()
    errors = spec["components"]["schemas"]["Errors"]["properties"]["errors"]["items"]["properties"]
    assert errors["field"]["enum"] == [f.name for f in FIELDS] + ["body", "origin"]
    codes = set(errors["code"]["enum"])
    field_codes = {f.too_long_code for f in FIELDS if f.max_chars} | {
        f"{f.name}-invalid" for f in FIELDS if f.kind == "choice"}
    assert set(MESSAGES) | field_codes | {"queue-unavailable", "unavailable"} == codes


def test_every_code_has_its_own_message_and_limits_come_from_the_definition() -> None:
    assert message_of("notes-too-long") == "Your notes can be at most %(max)s characters long. Please shorten them."
    assert message_of("kind-invalid") == "Choose one of the options, or none."
    assert message_of("no-such-code") == MESSAGES["body-invalid"]
    assert (limit_of("url-too-long"), limit_of("url-too-many"), limit_of("notes-too-long"),
            limit_of("email-too-long"), limit_of("url-scheme")) == (8192, 10, 5000, 320, None)
