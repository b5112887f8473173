"""The function's own pages (issue 17): the unknown-portal answer in the reporter's language and
styled like the portals; the 400 page keeps the language switcher; the help line stays before
the form."""
from __future__ import annotations

from tests.support import form_event


def test_unknown_portal_answer_is_in_the_reporters_language_and_styled(handler) -> None:
    # GIVEN a Spanish form naming a portal that does not exist
    answer = handler(form_event([("portal", "zz"), ("lang", "es"), ("url", "example.com/a"), ("notes", "<b>hola</b>")]),
                     None)
    # THEN the answer is a 400 in Spanish, with the portals' stylesheet, what was typed kept, escaped
    body = answer["body"]
    assert answer["statusCode"] == 400
    assert body.startswith('<!doctype html>\n<html lang="es" dir="ltr">')
    assert "<h1>Su denuncia no se envió</h1>" in body and "Este portal de denuncia no existe." in body
    assert '<link rel="stylesheet" href="/style.' in body and '<a href="/">Elija su país</a>' in body
    assert "example.com/a\n&lt;b&gt;hola&lt;/b&gt;</textarea>" in body


def test_unknown_portal_in_a_right_to_left_language_and_an_unknown_one(handler) -> None:
    arabic = handler(form_event([("portal", "zz"), ("lang", "ar"), ("url", "example.com/a")]), None)["body"]
    assert arabic.startswith('<!doctype html>\n<html lang="ar" dir="rtl">')
    # a language no catalog holds (or a hostile tag) is answered in English
    for lang in ("xx", "../../etc", "es\"><script>"):
        body = handler(form_event([("portal", "zz"), ("lang", lang), ("url", "example.com/a")]), None)["body"]
        assert body.startswith('<!doctype html>\n<html lang="en" dir="ltr">') and "Your report was not sent" in body


def test_the_400_page_keeps_the_language_switcher_and_the_help_line_first(handler) -> None:
    answer = handler(form_event([("portal", "bz"), ("lang", "es"), ("url", "javascript:alert(1)")]), None)
    body = answer["body"]
    assert answer["statusCode"] == 400
    assert '<a href="/bz/en/" hreflang="en" lang="en" dir="ltr">English</a>' in body
    assert body.index('<section class="urgent"') < body.index('href="tel:911"') < body.index("<form ")
