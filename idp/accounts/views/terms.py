"""Terms of use: the current text, and accepting a new version at the next request."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from idp.accounts.forms.registration import AcceptTermsForm
from idp.accounts.redirects import safe_next
from idp.accounts.registration import accept_terms
from idp.accounts.views.blueprint import bp
from idp.core.config import CONFIG_DIR
from idp.core.extensions import db
from idp.core.urls import MACHINE_PATHS

log = logging.getLogger(__name__)
TERMS_DIR = CONFIG_DIR / "terms"
# Pages a person must still reach while new terms wait for acceptance.
EXEMPT_ENDPOINTS = {"static", "accounts.logout", "accounts.terms", "accounts.terms_accept"}
EXEMPT_PREFIXES = (*MACHINE_PATHS, "/captcha/")
_VERSION = re.compile(r"^[\w.-]+$")


def terms_path(version: str, lang: str) -> Path | None:
    """config/terms/<version>.<lang>.md, falling back to French."""
    if not _VERSION.match(version):
        return None
    for candidate in (lang, "fr"):
        path = Path(current_app.config["TERMS_DIR"] or TERMS_DIR) / f"{version}.{candidate}.md"
        if path.is_file():
            return path
    return None


def _inline(text: str) -> Markup:
    escaped = str(escape(text))
    # Safe: every character was escaped above; only <strong> is added.
    return Markup(re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped))  # noqa: S704


def render_terms(source: str) -> tuple[str, Markup]:
    """Title and HTML of a terms file. Hand-written rather than a Markdown library: the
    files use only headings, paragraphs, lists and **bold**, and every character is
    escaped first, so no HTML from the file can reach the page."""
    title, html, para, items = "", [], [], []

    def flush() -> None:
        if para:
            html.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in source.splitlines():
        stripped = line.strip()
        heading = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        if heading:
            flush()
            level = len(heading.group(1))
            if level == 1 and not title:
                title = heading.group(2)
            else:
                html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith(("- ", "* ")):
            if para:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        else:
            if items:
                flush()
            para.append(stripped)
    flush()
    return title, Markup("\n".join(html))  # noqa: S704 - built from escaped parts only


def current_terms() -> tuple[str, str, Markup | None]:
    version = current_app.config["TERMS_VERSION"]
    path = terms_path(version, str(get_locale() or "fr"))
    if path is None:
        log.error("terms of use %s: no text under %s", version, TERMS_DIR)
        return version, "", None
    title, html = render_terms(path.read_text(encoding="utf-8"))
    return version, title, html


@bp.get("/terms")
def terms():
    version, title, html = current_terms()
    return render_template("accounts/terms.html", version=version, title=title, html=html)


@bp.route("/terms/accept", methods=["GET", "POST"])
@login_required
def terms_accept():
    version, title, html = current_terms()
    form = AcceptTermsForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    next_url = safe_next(form.next.data) or url_for("launcher.services")
    if current_user.terms_version == version:
        return redirect(next_url)
    if form.validate_on_submit():
        accept_terms(current_user, version)
        db.session.commit()
        return redirect(next_url)
    return render_template(
        "accounts/terms_accept.html",
        form=form,
        version=version,
        title=title,
        html=html,
        previous=current_user.terms_version,
    ), (400 if form.errors else 200)


def needs_new_terms(account) -> bool:
    """Accounts that accepted an older version are asked again. Accounts created by an
    operator without any acceptance are asked only when TERMS_ASK_UNVERSIONED is on."""
    current = current_app.config["TERMS_VERSION"]
    if account.terms_version is None:
        return bool(current_app.config["TERMS_ASK_UNVERSIONED"])
    return account.terms_version != current


@bp.before_app_request
def require_current_terms():
    if request.endpoint is None or request.endpoint in EXEMPT_ENDPOINTS:
        return None
    if request.path.startswith(EXEMPT_PREFIXES) and not request.path.startswith("/oauth/authorize"):
        return None
    if not current_user.is_authenticated or not needs_new_terms(current_user):
        return None
    target = request.full_path if request.query_string else request.path
    if request.method != "GET":
        target = request.referrer and safe_next(urlsplit(request.referrer).path) or None
    return redirect(url_for("accounts.terms_accept", next=target))
