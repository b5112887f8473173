"""The workbench's refusals and security rules, through Flask's test client: deny by default,
login (wrong and reused TOTP, lockout, one generic message), CSRF, roles, sessions (idle
expiry, logout, disabled accounts, password change), headers and cookies."""
from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from tests.workbench.support import Seeded, audit_rows, csrf_of, login, totp_code

GENERIC = "Those details did not let you in."


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/follow-up"), ("GET", "/audit"), ("GET", "/stats"), ("GET", "/account"),
    ("GET", "/reports/a1b2c3d4e5f60718293a4b5c6d7e8f90"), ("GET", "/no-such-page"),
    ("POST", "/reports/a1b2c3d4e5f60718293a4b5c6d7e8f90/take"), ("POST", "/logout"),
])
def test_without_a_session_every_page_sends_to_login(client: Any, method: str, path: str) -> None:
    # GIVEN no session WHEN any page but /login is asked for
    answer = client.open(path, method=method)
    # THEN the answer is the login page, and nothing else is revealed
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"


def test_login_with_password_and_totp_opens_the_queue(client: Any, seeded: Seeded) -> None:
    # GIVEN the login form WHEN ana sends her name, password and current code
    answer = login(client, seeded, "ana")
    # THEN she lands on the queue, logged in, and the login is audited
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    queue = client.get("/")
    assert queue.status_code == 200 and "ana (analyst)" in queue.get_data(as_text=True)
    assert ("ana", "login", "ana", None) in audit_rows(seeded)
    # AND the login page, asked for again, sends her back to the queue
    assert client.get("/login").headers["Location"] == "/"


@pytest.mark.parametrize("field,value", [
    ("otp", "000000"), ("password", "wrong password here"), ("username", "nobody"), ("otp", "12ab56"),
])
def test_a_wrong_detail_is_refused_with_one_generic_message(client: Any, seeded: Seeded, field: str,
                                                             value: str) -> None:
    # GIVEN the login form WHEN one of the three details is wrong
    page = client.get("/login")
    right = totp_code(seeded.secrets["ana"])
    if field == "otp" and value in {totp_code(seeded.secrets["ana"], step) for step in (-1, 0, 1)}:
        value = "999999" if value == "000000" else "000000"  # the wrong code happens to be right now
    data = {"username": "ana", "password": seeded.passwords["ana"], "otp": right,
            "csrf_token": csrf_of(page.get_data(as_text=True)), field: value}
    answer = client.post("/login", data=data)
    # THEN the same message answers whatever was wrong, and no session is opened
    assert answer.status_code == 200 and GENERIC in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_rows(seeded)[-1][1] == "login-failed"


def test_a_totp_code_is_accepted_once(client: Any, app: Any, seeded: Seeded) -> None:
    # GIVEN ana logged in with the code of the next step, then logged out
    code = totp_code(seeded.secrets["ana"], steps_ahead=1)
    assert login(client, seeded, "ana", code=code).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_of(client.get("/").get_data(as_text=True))})
    # WHEN the same code is sent again, with the right password, from another browser
    other = app.test_client()
    answer = login(other, seeded, "ana", code=code)
    # THEN it is refused with the generic message, and the log says why
    assert answer.status_code == 200 and GENERIC in answer.get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert audit_rows(seeded)[-1][:3] == ("ana", "login-failed", "ana")
    assert '"reused-otp"' in audit_rows(seeded)[-1][3]


def test_repeated_failures_lock_the_account(client: Any, seeded: Seeded) -> None:
    # GIVEN five logins with a wrong password
    for _ in range(5):
        answer = login(client, seeded, "ana", password="not her password")
        assert GENERIC in answer.get_data(as_text=True)
    # WHEN the right password and code follow
    answer = login(client, seeded, "ana")
    # THEN the account is locked: the same message, no session, "locked" in the log
    assert answer.status_code == 200 and GENERIC in answer.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert '"locked"' in audit_rows(seeded)[-1][3]


def _logged_in(client: Any, seeded: Seeded, name: str = "ana", steps_ahead: int = 0) -> str:
    """Log `name` in; return a CSRF token of the session."""
    assert login(client, seeded, name, code=totp_code(seeded.secrets[name], steps_ahead)).status_code == 302
    return csrf_of(client.get("/").get_data(as_text=True))


@pytest.mark.parametrize("token", [None, "", "forged.token.value"])
def test_a_post_without_a_valid_csrf_token_changes_nothing(client: Any, seeded: Seeded, token: str | None) -> None:
    # GIVEN ana logged in
    _logged_in(client, seeded)
    report = seeded.reports["two"]
    # WHEN she takes a report with a missing, empty or forged CSRF token
    answer = client.post(f"/reports/{report}/take", data={} if token is None else {"csrf_token": token})
    # THEN the answer is the 400 page and the report is still nobody's
    assert answer.status_code == 400
    assert "did not come from the workbench" in answer.get_data(as_text=True)
    db = sqlite3.connect(seeded.db)
    assert db.execute("SELECT assigned_to FROM reports WHERE report_id = ?", (report,)).fetchone() == (None,)


def test_a_token_from_another_session_is_refused(app: Any, seeded: Seeded) -> None:
    # GIVEN ana's and sam's sessions
    ana, sam = app.test_client(), app.test_client()
    _logged_in(ana, seeded, "ana")
    sams_token = _logged_in(sam, seeded, "sam")
    # WHEN ana posts with sam's token THEN it is refused
    assert ana.post(f"/reports/{seeded.reports['two']}/take", data={"csrf_token": sams_token}).status_code == 400


def test_login_without_csrf_token_is_refused(client: Any, seeded: Seeded) -> None:
    # GIVEN the login form was never loaded WHEN the details are posted without a token
    answer = client.post("/login", data={"username": "ana", "password": seeded.passwords["ana"],
                                         "otp": totp_code(seeded.secrets["ana"])})
    # THEN 400, and no login was attempted
    assert answer.status_code == 400
    assert all(row[1] != "login" for row in audit_rows(seeded))


def test_an_analyst_may_not_read_the_audit_log(client: Any, seeded: Seeded) -> None:
    # GIVEN ana, an analyst WHEN she opens the audit log or the statistics
    _logged_in(client, seeded)
    # THEN 403 pages from the template
    for path in ("/audit", "/stats"):
        answer = client.get(path)
        assert answer.status_code == 403 and "<h1>Not allowed</h1>" in answer.get_data(as_text=True)
    # AND the navigation does not offer them
    assert 'href="/audit"' not in client.get("/").get_data(as_text=True)


def test_a_supervisor_reads_the_audit_log(client: Any, seeded: Seeded) -> None:
    # GIVEN sam, a supervisor WHEN he opens the audit log
    _logged_in(client, seeded, "sam")
    answer = client.get("/audit?action=login")
    # THEN it lists his login
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<td>login</td>" in html and "<td>sam</td>" in html


def test_an_idle_session_ends(client: Any, seeded: Seeded) -> None:
    # GIVEN ana logged in WHEN her session has not been used for 31 minutes
    _logged_in(client, seeded)
    db = sqlite3.connect(seeded.db)
    with db:
        db.execute("UPDATE sessions SET last_seen = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-31 minutes')")
    # THEN the next request is sent to log in again, which says why
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert "Your session has ended" in client.get("/login").get_data(as_text=True)
    assert db.execute("SELECT count(*) FROM sessions WHERE analyst IS NOT NULL").fetchone() == (0,)


def test_logout_ends_the_session(client: Any, seeded: Seeded) -> None:
    # GIVEN ana logged in WHEN she logs out
    token = _logged_in(client, seeded)
    answer = client.post("/logout", data={"csrf_token": token})
    # THEN she is at the login page, which says she is logged out
    assert answer.status_code == 302 and answer.headers["Location"] == "/login"
    assert "You are logged out." in client.get("/login").get_data(as_text=True)
    # AND her session row is gone, no page opens, and the logout is audited
    assert client.get("/").status_code == 302
    db = sqlite3.connect(seeded.db)
    assert db.execute("SELECT count(*) FROM sessions WHERE analyst = 'ana'").fetchone() == (0,)
    assert ("ana", "logout", None, None) in audit_rows(seeded)


def test_disabling_an_account_ends_its_sessions_at_once(client: Any, seeded: Seeded) -> None:
    from reportal.inbox.store import Store
    from reportal.workbench.accounts import Accounts

    # GIVEN ana logged in
    _logged_in(client, seeded)
    assert client.get("/").status_code == 200
    # WHEN her account is disabled from the command line
    with Store(seeded.db) as store:
        Accounts(store.db).disable("ana")
    # THEN her very next request is sent to the login page
    assert client.get("/").status_code == 302


def test_changing_the_password_ends_other_sessions(app: Any, seeded: Seeded) -> None:
    # GIVEN ana logged in on two browsers
    first, second = app.test_client(), app.test_client()
    _logged_in(first, seeded, steps_ahead=0)
    _logged_in(second, seeded, steps_ahead=1)
    token = csrf_of(first.get("/account").get_data(as_text=True))
    # WHEN she changes her password on the first, giving a wrong current password first
    wrong = first.post("/account", data={"csrf_token": token, "current": "not it at all",
                                         "new": "a much longer new phrase", "repeat": "a much longer new phrase"})
    assert wrong.status_code == 400 and "The current password was not right" in wrong.get_data(as_text=True)
    answer = first.post("/account", data={"csrf_token": token, "current": seeded.passwords["ana"],
                                          "new": "a much longer new phrase", "repeat": "a much longer new phrase"})
    # THEN the first session goes on, the second has ended
    assert answer.status_code == 302
    assert first.get("/").status_code == 200
    assert second.get("/").status_code == 302
    assert ("ana", "password-change", "ana", None) in audit_rows(seeded)


def test_every_answer_carries_the_security_headers(client: Any, seeded: Seeded) -> None:
    # GIVEN the login page and, logged in, the queue and a missing page
    answers = [client.get("/login")]
    _logged_in(client, seeded)
    answers += [client.get("/"), client.get("/no-such-page"), client.get("/static/copy.js")]
    # THEN each forbids inline script, framing, caching and referrers
    for answer in answers:
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answers[2].status_code == 404 and "<h1>Not found</h1>" in answers[2].get_data(as_text=True)


def test_the_session_cookie_is_httponly_strict_and_secure_over_https(app: Any, seeded: Seeded) -> None:
    # GIVEN the login page over HTTP and over HTTPS
    plain = app.test_client().get("/login").headers["Set-Cookie"]
    secure = app.test_client().get("/login", base_url="https://workbench.example").headers["Set-Cookie"]
    # THEN both cookies are HttpOnly and SameSite=Strict; over HTTPS also Secure, with __Host-
    assert plain.startswith("workbench=") and "HttpOnly" in plain and "SameSite=Strict" in plain
    assert "Secure" not in plain
    assert secure.startswith("__Host-workbench=") and "Secure" in secure and "Path=/" in secure
    assert "HttpOnly" in secure and "SameSite=Strict" in secure


def test_the_database_holds_no_session_id(client: Any, seeded: Seeded) -> None:
    # GIVEN ana logged in WHEN the sessions table is read
    _logged_in(client, seeded)
    cookie = client.get_cookie("workbench").value
    db = sqlite3.connect(seeded.db)
    ids = [row[0] for row in db.execute("SELECT id FROM sessions")]
    # THEN it holds a hash of the cookie's id, not the id
    assert cookie not in ids and len(ids[0]) == 64


def test_a_cross_site_post_is_refused(client: Any, seeded: Seeded) -> None:
    # GIVEN ana logged in WHEN a page of another site makes her browser post a form
    token = _logged_in(client, seeded)
    answer = client.post(f"/reports/{seeded.reports['two']}/take", data={"csrf_token": token},
                         headers={"Sec-Fetch-Site": "cross-site"})
    # THEN 403
    assert answer.status_code == 403


def test_login_after_session_fixation_gets_a_new_id(client: Any, seeded: Seeded) -> None:
    # GIVEN a session id handed out before login
    client.get("/login")
    before = client.get_cookie("workbench").value
    # WHEN ana logs in THEN her session has another id
    login(client, seeded, "ana")
    assert client.get_cookie("workbench").value != before


def test_hostile_requests_get_clear_answers_never_a_traceback(client: Any, seeded: Seeded,
                                                              monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    token = _logged_in(client, seeded)
    report = seeded.reports["two"]
    # GIVEN a forged page link, an over-long id, a body over the limit and a nonsense audit page
    forged = client.get("/?after=not-a-cursor")
    assert forged.status_code == 400 and "page link is not valid" in forged.get_data(as_text=True)
    assert client.get("/reports/" + "a" * 5000).status_code == 404
    huge = client.post(f"/reports/{report}/notes", data={"csrf_token": token, "text": "x" * 300_000})
    assert huge.status_code == 413 and "<h1>Too much was sent</h1>" in huge.get_data(as_text=True)
    assert client.get("/reports/%00%0a").status_code == 404
    # AND a failure inside a view is the 500 page, with nothing of the failure in it
    from reportal.inbox.store import Store

    def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail /var/inbox.sqlite")

    monkeypatch.setattr(Store, "queue", broken)
    with caplog.at_level("ERROR", logger="reportal.workbench"):
        failed = client.get("/")
    html = failed.get_data(as_text=True)
    assert failed.status_code == 500 and "<h1>Something went wrong</h1>" in html
    assert "Traceback" not in html and "secret detail" not in html
    assert failed.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # AND the log names the failure's type and place, not its message
    assert "unexpected RuntimeError in GET queue.index at" in caplog.text and "secret" not in caplog.text


def test_a_garbage_session_cookie_is_a_fresh_visitor(client: Any, seeded: Seeded) -> None:
    # GIVEN cookies no server ever issued WHEN pages are asked for THEN the login page, never an error
    for value in ("x" * 500, "\u00e9t\u00e9", "", "a" * 43):
        client.set_cookie("workbench", value)
        assert client.get("/").status_code == 302
        assert client.get("/login").status_code == 200


def test_an_audit_page_number_beyond_sqlite_integers_is_a_clear_400(client: Any, seeded: Seeded) -> None:
    # GIVEN a supervisor WHEN the audit log is paged from a number SQLite cannot hold (was a 500: OverflowError)
    _logged_in(client, seeded, "sam")
    for before in ("99999999999999999999999", "-5"):
        answer = client.get(f"/audit?before={before}")
        # THEN the 400 page, with the headers, no traceback
        body = answer.get_data(as_text=True)
        assert answer.status_code == 400 and "That page of the audit log does not exist." in body
        assert "Traceback" not in body and answer.headers["Cache-Control"] == "no-store"
