"""Analysts' accounts: Argon2id, TOTP accepted once, lockout, disable/reset/password change
ending sessions (session_epoch), every login and change audited."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from argon2 import PasswordHasher

from reportal import audit
from reportal.inbox.store import Store
from reportal.workbench.accounts import AccountError, Accounts, LoginRefused

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
PASSWORD = "correct horse battery"


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "inbox.sqlite")
    yield s
    s.close()


@pytest.fixture
def accounts(store) -> Accounts:
    """Accounts with cheap Argon2id parameters (same algorithm; tests run fast)."""
    return Accounts(store.db, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _code(uri: str, moment: datetime) -> str:
    return pyotp.parse_uri(uri).at(moment)


def _actions(store: Store) -> list[tuple]:
    return [(e["actor"], e["action"], e["target"], e["detail"]) for e in reversed(audit.entries(store.db))]


def test_add_stores_an_argon2id_hash_and_returns_a_totp_uri(store, accounts) -> None:
    uri = accounts.add("alice", "analyst", PASSWORD, actor="root")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == ("otpauth", "totp", "/reportal:alice")
    assert parse_qs(parts.query)["issuer"] == ["reportal"]
    stored = store.db.execute("SELECT password_hash, totp_secret FROM analysts").fetchone()
    assert stored[0].startswith("$argon2id$") and PASSWORD not in stored[0]
    assert parse_qs(parts.query)["secret"] == [stored[1]]
    assert [(a.name, a.role, a.disabled, a.session_epoch) for a in accounts.list()] == [("alice", "analyst", False, 0)]
    assert _actions(store) == [("root", "analyst-add", "alice", {"role": "analyst"})]


@pytest.mark.parametrize(("name", "role", "password", "message"), [
    ("Alice", "analyst", PASSWORD, "lowercase letters"),
    ("a b", "analyst", PASSWORD, "lowercase letters"),
    ("alice", "admin", PASSWORD, "role must be one of analyst, supervisor"),
    ("alice", "analyst", "short", "at least 12 characters"),
])
def test_add_refuses_bad_names_roles_and_short_passwords(accounts, name, role, password, message) -> None:
    with pytest.raises(AccountError, match=message):
        accounts.add(name, role, password)
    assert accounts.list() == []


def test_add_refuses_a_taken_name(accounts) -> None:
    accounts.add("alice", "analyst", PASSWORD)
    with pytest.raises(AccountError, match="exists"):
        accounts.add("alice", "supervisor", PASSWORD)


def test_login_needs_password_and_a_code_used_once(store, accounts) -> None:
    uri = accounts.add("alice", "supervisor", PASSWORD, actor="root")
    code = _code(uri, T0)
    # WHEN the right password and code are given THEN the analyst is returned
    assert accounts.authenticate("alice", PASSWORD, code, now=T0).role == "supervisor"
    # WHEN the same code (or the previous step's) is given again THEN it is refused
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate("alice", PASSWORD, code, now=T0 + timedelta(seconds=10))
    assert refused.value.reason == "bad-credentials"
    with pytest.raises(LoginRefused):
        accounts.authenticate("alice", PASSWORD, _code(uri, T0 - timedelta(seconds=30)), now=T0)
    # the next step's code, 30 s later, is accepted; one drifted by a step either way too
    assert accounts.authenticate("alice", PASSWORD, _code(uri, T0 + timedelta(seconds=30)),
                                 now=T0 + timedelta(seconds=35)).name == "alice"
    assert accounts.authenticate("alice", PASSWORD, _code(uri, T0 + timedelta(seconds=90)),
                                 now=T0 + timedelta(seconds=65)).name == "alice"
    assert [a[1:] for a in _actions(store)] == [
        ("analyst-add", "alice", {"role": "supervisor"}), ("login", "alice", None),
        ("login-failed", "alice", {"reason": "reused-otp"}), ("login-failed", "alice", {"reason": "reused-otp"}),
        ("login", "alice", None), ("login", "alice", None)]


@pytest.mark.parametrize(("password", "otp", "reason"), [
    ("wrong password!", None, "bad-password"),
    (PASSWORD, "000000x", "bad-otp"),
    (PASSWORD, "", "bad-otp"),
    (PASSWORD, "１２３４５６", "bad-otp"),  # full-width digits
    ("x" * 5000, None, "bad-password"),  # over-long: refused without hashing it
])
def test_wrong_password_or_code_is_refused_and_audited(store, accounts, password, otp, reason) -> None:
    uri = accounts.add("alice", "analyst", PASSWORD)
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate("alice", password, otp if otp is not None else _code(uri, T0), now=T0)
    assert refused.value.reason == "bad-credentials"
    assert _actions(store)[-1][1:] == ("login-failed", "alice", {"reason": reason})
    assert accounts.get("alice").failed_logins == 1


def test_an_unknown_name_is_refused_like_a_wrong_password_and_not_recorded(store, accounts) -> None:
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate("my password typed here", PASSWORD, "123456", now=T0)
    assert refused.value.reason == "bad-credentials"
    assert _actions(store) == [("?", "login-failed", None, {"reason": "unknown-name"})]


def test_five_failures_lock_the_account_for_fifteen_minutes(store, accounts) -> None:
    uri = accounts.add("alice", "analyst", PASSWORD)
    for n in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate("alice", "wrong password!", "123456", now=T0 + timedelta(seconds=n))
    assert accounts.get("alice").locked_until == "2026-03-01T09:15:04Z"
    # WHEN the right password and code come during the lock THEN refused as locked
    later = T0 + timedelta(minutes=14)
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate("alice", PASSWORD, _code(uri, later), now=later)
    assert refused.value.reason == "locked"
    # WHEN they come after it THEN accepted, and the count starts again
    after = T0 + timedelta(minutes=15, seconds=5)
    assert accounts.authenticate("alice", PASSWORD, _code(uri, after), now=after).failed_logins == 0
    assert _actions(store)[5][3] == {"reason": "bad-password", "locked_until": "2026-03-01T09:15:04Z"}


def test_disable_refuses_login_and_ends_sessions(store, accounts) -> None:
    uri = accounts.add("bob", "analyst", PASSWORD)
    epoch = accounts.get("bob").session_epoch
    accounts.disable("bob", actor="carol", actor_kind="analyst")
    assert accounts.get("bob").disabled and accounts.get("bob").session_epoch == epoch + 1
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate("bob", PASSWORD, _code(uri, T0), now=T0)
    assert refused.value.reason == "disabled"
    assert _actions(store)[1] == ("carol", "analyst-disable", "bob", None)
    with pytest.raises(AccountError, match="no analyst named nobody"):
        accounts.disable("nobody")


def test_reset_otp_replaces_the_secret_and_ends_sessions(accounts) -> None:
    old = accounts.add("bob", "analyst", PASSWORD)
    new = accounts.reset_otp("bob")
    assert pyotp.parse_uri(new).secret != pyotp.parse_uri(old).secret
    assert accounts.get("bob").session_epoch == 1
    with pytest.raises(LoginRefused):
        accounts.authenticate("bob", PASSWORD, _code(old, T0), now=T0)
    assert accounts.authenticate("bob", PASSWORD, _code(new, T0), now=T0).name == "bob"


def test_change_password_checks_the_old_one_and_ends_sessions(store, accounts) -> None:
    uri = accounts.add("bob", "analyst", PASSWORD)
    with pytest.raises(LoginRefused):
        accounts.change_password("bob", "not the password", "a new long password")
    with pytest.raises(AccountError, match="at least 12"):
        accounts.change_password("bob", PASSWORD, "short")
    accounts.change_password("bob", PASSWORD, "a new long password")
    assert accounts.get("bob").session_epoch == 1
    with pytest.raises(LoginRefused):
        accounts.authenticate("bob", PASSWORD, _code(uri, T0), now=T0)
    later = T0 + timedelta(seconds=30)
    assert accounts.authenticate("bob", "a new long password", _code(uri, later), now=later).name == "bob"
    assert ("bob", "password-change", "bob", None) in _actions(store)


def test_a_login_with_stronger_parameters_rehashes_the_password(store, accounts) -> None:
    uri = accounts.add("bob", "analyst", PASSWORD)
    stronger = Accounts(store.db, hasher=PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    stronger.authenticate("bob", PASSWORD, _code(uri, T0), now=T0)
    assert "m=16,t=2,p=1" in store.db.execute("SELECT password_hash FROM analysts").fetchone()[0]
    assert audit.verify(store.db) is None


def test_text_that_is_not_unicode_is_refused_not_raised(store, accounts) -> None:
    # GIVEN command-line text that was not UTF-8 (lone surrogates)
    bad = b"\xff\xfe".decode("utf-8", "surrogateescape")
    uri = accounts.add("alice", "analyst", PASSWORD)
    # THEN names match nobody, passwords are wrong or refused, all without a traceback
    assert accounts.get("alice" + bad) is None
    with pytest.raises(LoginRefused):
        accounts.authenticate("alice" + bad, PASSWORD, _code(uri, T0), now=T0)
    with pytest.raises(LoginRefused):
        accounts.authenticate("alice", PASSWORD + bad, _code(uri, T0), now=T0)
    with pytest.raises(AccountError, match="valid Unicode"):
        accounts.add("bob", "analyst", PASSWORD + bad)
    with pytest.raises(AccountError, match="no analyst named"):
        accounts.disable(bad)


class _CountingHasher(PasswordHasher):
    """Cheap Argon2id that counts the verifications (each is the expensive part of a login)."""

    verified = 0

    def verify(self, hash: str, password: str) -> bool:  # noqa: A002 (argon2-cffi's name)
        type(self).verified += 1
        return super().verify(hash, password)


def test_a_locked_account_costs_a_refusal_the_same_hashing_as_an_unknown_name(store) -> None:
    # GIVEN an account locked by five failures (a fast answer would tell an attacker the name exists)
    accounts = Accounts(store.db, hasher=_CountingHasher(time_cost=1, memory_cost=8, parallelism=1))
    accounts.add("alice", "analyst", PASSWORD)
    for n in range(5):
        with pytest.raises(LoginRefused):
            accounts.authenticate("alice", "wrong password!", "123456", now=T0 + timedelta(seconds=n))
    # WHEN the locked name and an unknown name are each tried once
    counts = []
    for name in ("alice", "nobody"):
        before = _CountingHasher.verified
        with pytest.raises(LoginRefused):
            accounts.authenticate(name, "wrong password!", "123456", now=T0 + timedelta(minutes=1))
        counts.append(_CountingHasher.verified - before)
    # THEN each refusal hashed the password typed once
    assert counts == [1, 1]


class _HashCounter(PasswordHasher):
    """Argon2id with cheap parameters of its own (its dummy hash is not shared with other tests),
    counting the hashes it makes and the verifications it runs."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=24, parallelism=1)
        self.hashes = self.verifies = 0

    def hash(self, password, *, salt=None):  # type: ignore[override]
        self.hashes += 1
        return super().hash(password, salt=salt)

    def verify(self, hash, password):  # type: ignore[override]
        self.verifies += 1
        return super().verify(hash, password)


def test_the_dummy_hash_is_made_once_per_process_and_an_unknown_name_still_costs_one_verify(store) -> None:
    hasher = _HashCounter()
    # GIVEN accounts created again and again (one per web request)
    for _ in range(3):
        Accounts(store.db, hasher=hasher)
    # THEN creating them hashed nothing
    assert hasher.hashes == 0
    # WHEN an unknown name tries to log in, twice, through two Accounts objects
    for _ in range(2):
        with pytest.raises(LoginRefused):
            Accounts(store.db, hasher=hasher).authenticate("nobody", PASSWORD, "123456", now=T0)
    # THEN each refusal ran one Argon2 verification (the timing of a known name), on one dummy hash made once
    assert (hasher.verifies, hasher.hashes) == (2, 1)
