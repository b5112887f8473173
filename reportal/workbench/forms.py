"""The workbench's forms (Flask-WTF): what each POST carries and the limits on it.

Every POST carries `csrf_token`, checked for the whole app by Flask-WTF's `CSRFProtect`
(`reportal.workbench.app`), so the forms themselves do not check it again (several forms on one
page with a prefix each would otherwise need prefixed tokens).
Lengths are limits on what an analyst types; reporter text never comes back through a form.
"""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp

__all__ = ["AssessForm", "LoginForm", "NoteForm", "PasswordForm", "QueueForm"]

_DATE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME = r"^\s*\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?Z?)?\s*$"


class _Form(FlaskForm):
    class Meta:
        csrf = False  # CSRFProtect checks every POST before any view runs


class LoginForm(_Form):
    """`POST /login`: name, password and the current six-digit TOTP code."""

    username = StringField("Name", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])
    otp = StringField("Code from your authenticator app", validators=[DataRequired(), Length(max=20)])


class PasswordForm(_Form):
    """`POST /account/password`: the current password and the new one twice."""

    current = PasswordField("Current password", validators=[DataRequired(), Length(max=1000)])
    new = PasswordField("New password", validators=[DataRequired(), Length(min=12, max=1000)])
    repeat = PasswordField("New password again",
                           validators=[DataRequired(), EqualTo("new", message="The two new passwords differ.")])


class AssessForm(_Form):
    """`POST /reports/<id>/assess`: the assessment of one reported URL. The URL's number
    (from 1) is the unprefixed field `url`; the fields carry the prefix `u<number>-`.

    Vocabulary values are checked by the store (`Store.assess`), which names a bad one."""

    outcome = SelectField("Outcome", validators=[DataRequired()], validate_choice=False)
    hosting_country = SelectField("Hosting country", validators=[Optional()], validate_choice=False)
    action = SelectField("Action taken", validators=[Optional()], validate_choice=False)
    removed_at = StringField("Removal confirmed (UTC)", validators=[
        Optional(), Regexp(_DATETIME, message="Give the date and time as YYYY-MM-DD HH:MM (UTC).")])


class NoteForm(_Form):
    """`POST /reports/<id>/notes`: an analyst's note (never shown to the reporter)."""

    text = TextAreaField("Note", validators=[DataRequired(), Length(max=20_000)])


class QueueForm(_Form):
    """`GET /`: the queue's filters and search (no CSRF token: it changes nothing)."""

    class Meta:
        csrf = False

    portal = StringField("Portal", validators=[Optional(), Length(max=20)])
    lang = StringField("Language", validators=[Optional(), Length(max=40)])
    status = SelectField("Status", validators=[Optional()], validate_choice=False)
    received_from = StringField("Received from", validators=[
        Optional(), Regexp(_DATE, message="Give the date as YYYY-MM-DD.")])
    received_to = StringField("Received until", validators=[
        Optional(), Regexp(_DATE, message="Give the date as YYYY-MM-DD.")])
    assigned_to = StringField("Taken by", validators=[Optional(), Length(max=64)])
    host = StringField("Host", validators=[Optional(), Length(max=300)])
    q = StringField("Search URL or host", validators=[Optional(), Length(max=200)])
    after = HiddenField(validators=[Optional(), Length(max=200)])
