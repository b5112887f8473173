"""URL handling (DESIGN.md "URL handling"): what reporters paste is normalized, never truncated."""
from __future__ import annotations

import pytest

from reportal.submit.urls import UrlError, active_scheme, normalize_url


@pytest.mark.parametrize(("typed", "normalized"), [
    # The "inputs that must work".
    ("\u00a0 https://example.com/page \t\n", "https://example.com/page"),
    ("www.example.com/page", "https://www.example.com/page"),
    ("example.com", "https://example.com/"),
    ("hxxps://bad-site[.]example/img[.]jpg", "https://bad-site.example/img.jpg"),
    ("hxxp://203.0.113[.]7/x", "http://203.0.113.7/x"),
    # More defanging styles seen in threat-intel feeds and chats.
    ("hxxps[://]bad(.)example/a", "https://bad.example/a"),
    ("https[:]//bad{.}example", "https://bad.example/"),
    ("HXXPS://Bad-Site.Example/Path?Q=1#F", "https://bad-site.example/Path?Q=1#F"),
    # Hosts: onion, IPv4, IPv6 (bracketed or bare), ports, IDN kept beside its IDNA form.
    ("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion/x",
     "https://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion/x"),
    ("203.0.113.7:8080/a", "https://203.0.113.7:8080/a"),
    ("[2001:db8::1]:8443/a", "https://[2001:db8::1]:8443/a"),
    ("2001:db8::1/x", "https://[2001:db8::1]/x"),
    ("localhost:3000/x", "https://localhost:3000/x"),
    ("пример.рф/страница", "https://xn--e1afmkfd.xn--p1ai/страница"),
    ("faß.de", "https://xn--fa-hia.de/"),  # UTS 46 non-transitional, as browsers: not fass.de
    ("i❤.ws", "https://xn--i-7iq.ws/"),  # symbols fall back to IDNA 2003, as browsers accept them
    ("//example.com/x", "https://example.com/x"),
    ("ftp://files.example/x", "ftp://files.example/x"),
    # Zero-width and BOM characters from copy-paste are trimmed; inner spaces are encoded.
    ("\u200b\ufeffexample.com/a b\u200b", "https://example.com/a%20b"),
    # A pasted chat message holding one address.
    ("look at this https://x.example/y please", "https://x.example/y"),
    ("see hxxps://bad[.]example/x", "https://bad.example/x"),
    # A label, a colon and a space before the address is a pasted message, whatever the label.
    ("File: https://x.com/a.jpg", "https://x.com/a.jpg"),
    ("Data: https://x.com/a", "https://x.com/a"),
    ("About: https://x.com/a", "https://x.com/a"),
    ("Look: https://x.com/a", "https://x.com/a"),
    ("Link:\u00a0x.com/a", "https://x.com/a"),
    # A login before the host is no scheme.
    ("user:pass@x.com", "https://user:pass@x.com/"),
    # A backslash before the query is a slash, as in a browser: the host is x.com, not evil.com.
    ("https://x.com\\@evil.com", "https://x.com/@evil.com"),
    ("https:\\\\x.com\\a?q=\\", "https://x.com/a?q=\\"),
    # Bidi and zero-width characters are percent-encoded in the normalized form only.
    ("https://x.com/\u202eab\u200bc?\u00adx#\u2066y", "https://x.com/%E2%80%AEab%E2%80%8Bc?%C2%ADx#%E2%81%A6y"),
])
def test_honest_addresses_are_normalized(typed: str, normalized: str) -> None:
    result = normalize_url(typed)
    assert result.normalized == normalized
    assert result.typed == typed.strip("\u00a0 \t\n\u200b\ufeff")


@pytest.mark.parametrize("typed", [
    "JavaScript:alert(1)", "java%09script:alert(1)", "%20javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=", "vbscript:x",
    "JAVASCRIPT\t:alert(1)", "java\nscript:alert(1)", "\x00javascript:alert(1)", "%256a%2561vascript:x",
    "javascript:1", "file:///etc/passwd", "FILE://c:/x", "blob:https://example.com/x", "about:blank",
    "view-source:https://example.com", "mailto:a@example.com", "ssh://example.com",
    "javascript:alert(1) https://example.com/",
    # HTML character references are decoded as a browser decodes an href.
    "javascript&colon;alert(1)", "javascript&#58;alert(1)", "javascript&#x3A;alert(1)", "java&Tab;script:x",
    # Script schemes run even after a space; a label does not hide one behind it.
    "javascript: alert(1)", "Note: javascript:alert(1)", "mailto:user@example.com",
])
def test_active_local_and_other_schemes_are_refused(typed: str) -> None:
    with pytest.raises(UrlError) as caught:
        normalize_url(typed)
    assert caught.value.code == "url-scheme"


@pytest.mark.parametrize("typed", [
    "https://exa mple.com", "https://[2001:db8::zz]/", "https://example.com:99999/", "https://", "http:///x",
    "   ", "https://a..b/",
    # No plausible host: one label, or characters no host can hold (WHATWG forbidden host code
    # points, and what DNS names cannot hold).
    "@SUM(1+1)", "-", "a", "a.", "@channelname", "Telegram: @channelname", "https://Telegram: @x.com",
    "x.com&y", "x(1).com", "x+y.com", "x=y.com", "x'y.com", 'x"y.com', "x,y.com", "x;y.com",
    "https://x.com%2F.evil.com/", "a\u202eb.com",
])
def test_unreadable_addresses_are_refused_as_invalid(typed: str) -> None:
    with pytest.raises(UrlError) as caught:
        normalize_url(typed)
    assert caught.value.code == "url-invalid"


def test_two_addresses_in_one_box_are_refused_not_guessed() -> None:
    # Which one was meant cannot be known; the page asks for a web address per box.
    with pytest.raises(UrlError):
        normalize_url("two https://a.example and https://b.example")


def test_long_addresses_are_never_truncated() -> None:
    path = "a" * 20_000
    assert normalize_url(f"example.com/{path}").normalized == f"https://example.com/{path}"


def test_typed_text_keeps_what_the_normalized_form_encodes() -> None:
    result = normalize_url("x.com/\u202ecod.exe")
    assert result.typed == "x.com/\u202ecod.exe"
    assert result.normalized == "https://x.com/%E2%80%AEcod.exe"


def test_idn_hosts_with_letters_are_still_accepted() -> None:
    assert normalize_url("münchen.de/ä").normalized == "https://xn--mnchen-3ya.de/ä"
    assert normalize_url("my_host.example").normalized == "https://my_host.example/"


@pytest.mark.parametrize(("text", "active"), [
    ("Telegram: @channelname", False), ("WhatsApp group: Friends 2024", False), ("Note: from a friend", False),
    ("Data: from a friend", False), ("File: https://x.com/a.jpg", False), ("https://x.com/?u=data:x", False),
    ("data:text/html,x", True), ("FILE:///etc/passwd", True), ("javascript: alert(1)", True),
    ("javascript&colon;x", True), ("%26colon%3B", False), ("javascript%26%23x3A%3Bx", True),
    ("javascript[:]alert(1)", True), ("\tjava\nscript:x", True),
])
def test_active_scheme_sees_what_a_browser_would_run(text: str, active: bool) -> None:
    assert active_scheme(text) is active
