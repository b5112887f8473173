"""Blueprint `auth`: log in (password + TOTP), log out, change one's own password.

The rules (Argon2id, one use per TOTP code, lockout after repeated failures, disabled accounts)
are `reportal.workbench.accounts.Accounts`'; this module only asks it and answers. Every refusal
shows the same message, whatever the reason, so the page never tells which part was wrong or
that an account exists; the audit log records the reason.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from reportal.workbench.app import accounts, record
from reportal.workbench.forms import LoginForm, PasswordForm

__all__ = ["REFUSED", "blueprint"]

blueprint = Blueprint("auth", __name__)

REFUSED = "Those details did not let you in. Check the name, the password and the current code, and try again."


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; on success a fresh session and the page first asked for (or the queue)."""
    from reportal.workbench.accounts import LoginRefused

    current = session
    if request.method == "GET" and current.analyst:  # type: ignore[attr-defined]
        account = accounts().get(current.analyst)  # type: ignore[attr-defined]
        if account and not account.disabled and account.session_epoch == current.epoch:  # type: ignore[attr-defined]
            return redirect(url_for("queue.index"))  # already logged in
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        expired = bool(session.pop("ended", False)) or session.expired  # type: ignore[attr-defined]
        return render_template("login.html", form=form, refused=form.is_submitted(), expired=expired,
                               refused_message=REFUSED), status
    try:  # audited by Accounts: login, or login-failed with the precise reason
        analyst = accounts().authenticate(form.username.data, form.password.data, form.otp.data)
    except LoginRefused:
        return render_template("login.html", form=LoginForm(formdata=None, username=form.username.data),
                               refused=True, expired=False, refused_message=REFUSED), 200
    wanted = session.get("next")
    session.begin(analyst.name, analyst.session_epoch)  # type: ignore[attr-defined]
    return redirect(wanted if isinstance(wanted, str) and wanted.startswith("/") and not wanted.startswith("//")
                    else url_for("queue.index"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> Any:
    """End this session (the row is deleted, the cookie removed)."""
    record("logout")
    session.end()  # type: ignore[attr-defined]
    flash("You are logged out.")
    return redirect(url_for("auth.login"))


@blueprint.route("/account", methods=["GET", "POST"])
def account() -> Any:
    """The analyst's own account: change the password. Other sessions of this account end
    (the account's epoch moves); this one continues under a new id."""
    from reportal.workbench.accounts import LoginRefused

    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("account.html", form=form, wrong=False), 400 if form.is_submitted() else 200
    name = g.analyst.name
    try:  # audited by Accounts (password-change; a wrong current password counts as a failed login)
        accounts().change_password(name, form.current.data, form.new.data)
    except LoginRefused:
        return render_template("account.html", form=PasswordForm(formdata=None), wrong=True), 400
    except ValueError as exc:  # AccountError: the new password breaks a rule of Accounts
        form.new.errors = [str(exc)]
        return render_template("account.html", form=form, wrong=False), 400
    session.begin(name, accounts().get(name).session_epoch)  # type: ignore[attr-defined]
    flash("Your password is changed. Other sessions of your account have ended.")
    return redirect(url_for("auth.account"))
