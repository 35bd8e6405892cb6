"""A tiny form using CaptchaMixin, served by a test-only route of the test app."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired

from idp.captcha.forms import CaptchaMixin
from tests.support.captcha import captcha_answers  # noqa: F401  (fixture)

FORM_URL = "/_test/captcha-form"

PAGE = """{% from "captcha/macros.html" import captcha_block %}<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Test</title><link rel="icon" href="data:,">
<link rel="stylesheet" href="{{ url_for('static', filename='compte.css') }}">
<link rel="stylesheet" href="{{ url_for('static', filename='css/captcha.css') }}">
</head><body><main class="wrap">
<form method="post" action="{{ request.path }}{{ '?optional=1' if optional else '' }}" novalidate>
  {{ form.csrf_token }}
  {{ form.name.label }} {{ form.name() }}
  {% for error in form.name.errors %}<p class="error">{{ error }}</p>{% endfor %}
  {{ captcha_block(form) }}
  {{ form.submit() }}
</form></main></body></html>"""


class DemoForm(CaptchaMixin, FlaskForm):
    name = StringField("Nom", validators=[DataRequired("Indiquez votre nom.")])
    submit = SubmitField("Envoyer")


@pytest.fixture
def form_app(app):
    """`app` with a test-only route showing DemoForm (optional=1: captcha switched off)."""
    from flask import request

    @app.route(FORM_URL, methods=["GET", "POST"])
    def captcha_form():
        form = DemoForm()
        optional = request.args.get("optional") == "1"
        form.captcha_enabled = not optional
        if form.captcha_renew_requested():
            pass
        elif form.validate_on_submit():
            return f"accepted:{form.name.data}"
        form.prepare_captcha()
        return render_template_string(PAGE, form=form, optional=optional)

    return app


def csrf_in(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
