"""The public satisfaction survey page: ``/csat/<token>`` (no login; the gateway routes it here).

GET shows a small accessible form; POST records the answer once. The page shows the survey and
nothing else: no ticket subject or number, no agent, no conversation — someone who gets hold of
a link learns nothing about the customer or the ticket.
"""

from __future__ import annotations

import html
import re

from flask import Blueprint, Response, request

from servicekit.webctx import service
from support_service.domain.errors import (
    ConcurrentModification,
    Gone,
    InvalidValue,
    NotFound,
    StateConflict,
)
from support_service.domain.surveys import SCALES
from support_service.service.reading import reading
from support_service.service.surveys import answer_survey, find_by_token

bp = Blueprint("csat", __name__)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,200}$")

HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
QUESTIONS = {
    "csat": (
        "How satisfied are you with the support you received?",
        "1 = very dissatisfied, 5 = very satisfied",
    ),
    "nps": (
        "How likely are you to recommend us to a friend or colleague?",
        "0 = not at all likely, 10 = extremely likely",
    ),
}
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:36rem;
margin:2rem auto;padding:0 1rem;color:#1b1b1b;line-height:1.5}
fieldset{border:1px solid #888;border-radius:.5rem;padding:1rem}
legend{font-weight:600;padding:0 .3rem}
.scale{display:flex;flex-wrap:wrap;gap:.4rem;margin:.6rem 0}
.scale label{display:inline-flex;flex-direction:column;align-items:center;min-width:2.6rem;
padding:.4rem;border:1px solid #666;border-radius:.4rem;cursor:pointer}
.scale input:focus-visible+span{outline:3px solid #0b57d0;outline-offset:2px}
textarea{width:100%;min-height:6rem;font:inherit}
button{font:inherit;padding:.5rem 1.2rem;margin-top:1rem;background:#0b57d0;color:#fff;
border:0;border-radius:.4rem;cursor:pointer}
button:focus-visible{outline:3px solid #1b1b1b;outline-offset:2px}
.error{color:#a50e0e;font-weight:600}
"""


def _page(title: str, body: str, status: int) -> Response:
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><main>{body}</main></body></html>"
    )
    response = Response(document, status=status, mimetype="text/html")
    for name, value in HEADERS.items():
        response.headers[name] = value
    return response


def _message(title: str, text: str, status: int) -> Response:
    return _page(title, f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>", status)


def _form(kind: str, *, error: str | None = None, score: str | None = None, comment: str = ""):
    low, high = SCALES[kind]
    question, hint = QUESTIONS[kind]
    options = []
    for value in range(low, high + 1):
        checked = " checked" if score == str(value) else ""
        options.append(
            f'<label><input type="radio" name="score" value="{value}" required{checked}>'
            f"<span>{value}</span></label>"
        )
    alert = f'<p class="error" role="alert" id="problem">{html.escape(error)}</p>' if error else ""
    described = ' aria-describedby="hint problem"' if error else ' aria-describedby="hint"'
    body = (
        "<h1>Your feedback</h1>"
        f"{alert}"
        '<form method="post">'
        f"<fieldset{described}><legend>{html.escape(question)}</legend>"
        f'<p id="hint">{html.escape(hint)}</p>'
        f'<div class="scale">{"".join(options)}</div></fieldset>'
        '<p><label for="comment">Anything you would like to add? (optional)</label><br>'
        '<textarea id="comment" name="comment" maxlength="2000">'
        f"{html.escape(comment)}</textarea></p>"
        '<button type="submit">Send my answer</button>'
        "</form>"
    )
    return body


def _invalid_link() -> Response:
    return _message("Link not valid", "This survey link is not valid.", 404)


def _problem(exc: Exception) -> Response:
    if isinstance(exc, NotFound):
        return _invalid_link()
    if isinstance(exc, Gone):
        return _message("Survey closed", str(exc), 410)
    if isinstance(exc, StateConflict):
        return _message("Already answered", "This survey was already answered. Thank you!", 409)
    raise exc


@bp.get("/csat/<token>")
def show(token: str):
    """The survey form (or why the link cannot be used)."""
    if not _TOKEN.match(token):
        return _invalid_link()
    rt = service()
    ctx = rt.extras["support"]
    with reading(rt.db) as uow:
        try:
            survey = find_by_token(uow, token)
            survey.check_open(ctx.now())
        except (NotFound, Gone, StateConflict) as exc:
            return _problem(exc)
    return _page("Your feedback", _form(survey.kind), 200)


@bp.post("/csat/<token>")
def submit(token: str):
    """Record the answer given on the form."""
    if not _TOKEN.match(token):
        return _invalid_link()
    rt = service()
    ctx = rt.extras["support"]
    raw_score = (request.form.get("score") or "").strip()
    comment = request.form.get("comment") or ""
    score = int(raw_score) if re.fullmatch(r"\d{1,2}", raw_score) else None
    with reading(rt.db) as uow:
        try:
            survey = find_by_token(uow, token)
            survey.check_open(ctx.now())
        except (NotFound, Gone, StateConflict) as exc:
            return _problem(exc)
        kind = survey.kind
    low, high = SCALES[kind]
    if score is None:
        return _page(
            "Your feedback",
            _form(kind, error=f"Choose a score from {low} to {high}.", comment=comment[:2000]),
            422,
        )
    try:
        with rt.uow() as uow:
            answer_survey(uow, ctx, token, score, comment)
            uow.commit()
    except InvalidValue as exc:
        return _page(
            "Your feedback",
            _form(kind, error=str(exc), score=raw_score, comment=comment[:2000]),
            422,
        )
    except ConcurrentModification:
        return _message("Already answered", "This survey was already answered. Thank you!", 409)
    except (NotFound, Gone, StateConflict) as exc:
        return _problem(exc)
    return _message("Thank you!", "Your answer was recorded. Thank you for your feedback.", 200)
