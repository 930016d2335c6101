"""Public token links, outside /api (the gateway routes them here without authentication).

- ``GET /r/o/<token>.gif``: the open pixel (a 1x1 transparent GIF, always, so mail clients never
  show a broken image; unknown tokens answer 404 with the same image);
- ``GET /r/c/<token>``: click redirect, only to the URL recorded under that link id for that
  message's variant; anything else is a 404 page (no open redirect);
- ``GET /unsubscribe/<token>``: a confirmation page with a button (a GET never unsubscribes:
  link scanners follow GETs); ``POST`` unsubscribes (RFC 8058 one-click with
  ``List-Unsubscribe=One-Click``, or the page's button);
- ``GET /f/<token>``: the survey form of a survey invitation; ``POST`` submits it (one response
  per invitation).

Pages send ``Referrer-Policy: no-referrer`` (the token is in the URL) and a strict CSP.
"""

from __future__ import annotations

import base64
from importlib import resources

from flask import Blueprint, Response, request
from jinja2 import Environment
from markupsafe import Markup

from campaign_service.api.common import campaign_settings, signer
from campaign_service.domain.surveys import field_name
from campaign_service.service import surveys as survey_use
from campaign_service.service import tracking
from servicekit.webctx import service

blp = Blueprint("public", __name__)

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
_TOKEN = "<string(maxlength=100):token>"  # noqa: S105 - a URL rule, not a secret
_PAGES = Environment(autoescape=True)  # our own page templates; every value is escaped

_LAYOUT = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:40rem;margin:2rem auto;
padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{font-size:1.5rem}fieldset{border:1px solid #bbb;border-radius:6px;margin:0 0 1.25rem;
padding:.75rem 1rem}legend{font-weight:600;padding:0 .25rem}
label{display:block;margin:.25rem 0}.inline label{display:inline-block;margin-right:.75rem}
textarea{width:100%;min-height:6rem;font:inherit}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:6px;background:#0b5cad;
color:#fff;cursor:pointer}button:focus,input:focus,textarea:focus{outline:3px solid #f6a800}
.error{color:#a00000;font-weight:600}.summary{border:2px solid #a00000;padding:.75rem 1rem;
border-radius:6px}.hint{color:#555;font-size:.9rem}.scale-labels{display:flex;
justify-content:space-between;color:#555;font-size:.9rem}
</style></head><body><main>{{ body }}</main></body></html>"""


def _page(title: str, body_template: str, status: int = 200, lang: str = "en", **context):
    body = _PAGES.from_string(body_template).render(**context)
    html = _PAGES.from_string(_LAYOUT).render(title=title, body=_markup(body), lang=lang)
    response = Response(html, status=status, content_type="text/html; charset=utf-8")
    return _protect(response)


def _markup(text: str) -> Markup:
    return Markup(text)  # noqa: S704 - rendered by our own autoescaping environment above


def _protect(response: Response) -> Response:
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found():
    return _page(
        "Link not valid",
        "<h1>This link is not valid</h1><p>It may be incomplete. Please use the link from the "
        "email exactly as it is.</p>",
        status=404,
    )


# -- tracking -------------------------------------------------------------------------------


@blp.route(f"/r/o/{_TOKEN}.gif", methods=["GET", "HEAD"])
def open_pixel(token: str):
    with service().uow() as uow:
        found = tracking.record_open(
            uow,
            signer(),
            campaign_settings(),
            token,
            user_agent=request.headers.get("User-Agent"),
            method=request.method,
        )
    response = Response(PIXEL, status=200 if found else 404, content_type="image/gif")
    response.headers["Cache-Control"] = "no-store, no-cache, must-revalidate, private"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blp.route(f"/r/c/{_TOKEN}", methods=["GET", "HEAD"])
def click(token: str):
    with service().uow() as uow:
        url = tracking.record_click(
            uow,
            signer(),
            campaign_settings(),
            token,
            user_agent=request.headers.get("User-Agent"),
            method=request.method,
        )
    if url is None:
        return _not_found()
    response = Response(status=302)
    response.headers["Location"] = url
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# -- unsubscribe ----------------------------------------------------------------------------

_CONFIRM = """<h1>Unsubscribe from marketing emails?</h1>
<p>We will stop sending marketing emails to <strong>{{ address }}</strong>.</p>
<form method="post">
<input type="hidden" name="confirm" value="yes">
<button type="submit">Unsubscribe</button>
</form>"""
_DONE = """<h1>You are unsubscribed</h1>
<p>{{ address }} will receive no more marketing emails from us. It can take a moment to reach
every system.</p>"""
_ALREADY = """<h1>You are already unsubscribed</h1>
<p>{{ address }} receives no marketing emails from us.</p>"""


@blp.route(f"/unsubscribe/{_TOKEN}", methods=["GET"])
def unsubscribe_page(token: str):
    with service().db.session() as session:
        target = tracking.unsubscribe_target(session, signer(), token)
    if target is None:
        return _not_found()
    address = tracking.mask(target.address)
    if target.already:
        return _page("Unsubscribed", _ALREADY, address=address)
    return _page("Unsubscribe", _CONFIRM, address=address)


@blp.route(f"/unsubscribe/{_TOKEN}", methods=["POST"])
def unsubscribe(token: str):
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if not one_click and request.form.get("confirm") != "yes":
        return _page(
            "Unsubscribe",
            "<h1>Nothing was changed</h1><p>Use the button on the unsubscribe page.</p>",
            status=400,
        )
    with service().uow() as uow:
        outcome = tracking.unsubscribe(
            uow,
            signer(),
            token,
            method="one_click" if one_click else "link",
            user_agent=request.headers.get("User-Agent"),
        )
    if outcome == "unknown":
        return _not_found()
    if outcome == "refused":
        return _page(
            "Not done",
            "<h1>Automated requests cannot unsubscribe</h1><p>Please open the link in a "
            "browser.</p>",
            status=403,
        )
    with service().db.session() as session:
        target = tracking.unsubscribe_target(session, signer(), token)
    address = tracking.mask(target.address if target else None)
    if one_click:
        response = Response("unsubscribed\n", status=200, content_type="text/plain")
        return _protect(response)
    return _page("Unsubscribed", _DONE if outcome == "done" else _ALREADY, address=address)


# -- survey form ----------------------------------------------------------------------------

_FORM = (resources.files("campaign_service.api") / "pages" / "survey_form.html").read_text()
_THANKS = """<h1>Thank you</h1><p>{{ message }}</p>"""


@blp.route(f"/f/{_TOKEN}", methods=["GET"])
def survey_form(token: str):
    with service().db.session() as session:
        found = survey_use.invitation(session, signer(), token)
    if found is None:
        return _not_found()
    return _survey_state_page(found) or _form(found, {}, {})


def _survey_state_page(found, outcome: str | None = None):
    lang = found.survey.language
    if found.answered or outcome == "already":
        return _page(
            "Already answered",
            "<h1>You already answered this survey</h1><p>Thank you for your time.</p>",
            status=409 if outcome else 200,
            lang=lang,
        )
    if found.survey.status != "open" or outcome == "closed":
        return _page(
            "Survey closed",
            "<h1>This survey is closed</h1><p>It no longer takes answers. Thank you.</p>",
            status=410,
            lang=lang,
        )
    return None


def _form(found, errors: dict, values: dict, status: int = 200):
    return _page(
        found.survey.name,
        _FORM,
        status=status,
        lang=found.survey.language,
        survey=found.survey,
        errors=errors,
        values=values,
        field=field_name,
    )


@blp.route(f"/f/{_TOKEN}", methods=["POST"])
def survey_submit(token: str):
    form = {key: request.form.getlist(key) for key in request.form}
    with service().uow() as uow:
        outcome, errors, found = survey_use.submit_response(uow, signer(), token, form)
    if outcome == "unknown":
        return _not_found()
    if outcome in ("already", "closed"):
        return _survey_state_page(found, outcome)
    if outcome == "invalid":
        return _form(found, errors, form, status=422)
    message = found.survey.thank_you or "Your answers were recorded."
    return _page("Thank you", _THANKS, lang=found.survey.language, message=message)
