"""Message templates: a sandboxed, auto-escaping Jinja engine with a fixed variable catalogue.

Templates are written by marketers and filled with customer data, so both sides are untrusted:

- the engine is Jinja's ``SandboxedEnvironment`` (no access to dunder attributes, internals or
  unsafe callables: ``{{ ''.__class__ }}`` raises ``SecurityError``);
- the HTML part auto-escapes every value (a first name ``<script>`` arrives as ``&lt;script&gt;``),
  the subject and text parts are plain text (no escaping needed, newlines removed from subjects);
- ``StrictUndefined`` plus a check at save time: a template naming a variable that is neither in
  :data:`VARIABLES` nor given a default is refused with the unknown names listed.

Rendering a message returns plain strings; link tracking and the unsubscribe footer are added by
:mod:`campaign_service.domain.links`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, meta, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from campaign_service.domain.errors import TemplateProblem

# name -> description (shown by GET /api/v1/templates/variables).
VARIABLES: dict[str, str] = {
    "first_name": "Recipient's first name (persons)",
    "last_name": "Recipient's last name",
    "name": "Recipient's full name (or company name)",
    "company": "Name of the company the recipient works for",
    "job_title": "Recipient's job title",
    "email": "The address the message goes to",
    "country": "ISO country code",
    "city": "City",
    "language": "Preferred language (demographics.language)",
    "attributes": "Custom attributes, e.g. attributes.loyalty_tier",
    "coupon_code": "The campaign's coupon code (a personal one for unique-code coupons)",
    "campaign_name": "Name of the campaign",
    "unsubscribe_url": "One-click unsubscribe page (added as a footer when not used)",
    "survey_url": "Personal survey link (survey campaigns; added when not used)",
}
SAMPLE_CONTEXT: dict[str, Any] = {
    "first_name": "Mei",
    "last_name": "Lin",
    "name": "Mei Lin",
    "company": "Lin Trading Co., Ltd.",
    "job_title": "Head of Purchasing",
    "email": "mei.lin@example.com",
    "country": "CN",
    "city": "Shanghai",
    "language": "zh",
    "attributes": {},
    "coupon_code": "SPRING10",
    "campaign_name": "Sample campaign",
    "unsubscribe_url": "https://example.com/unsubscribe/sample",
    "survey_url": "https://example.com/f/sample",
}
PARTS = ("subject", "preheader", "text", "html")
MAX_PART_CHARS = {"subject": 300, "preheader": 300, "text": 100_000, "html": 300_000}
_VARIABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,49}$")
_SUBJECT_JUNK = re.compile(r"[\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")


MAX_RANGE = 1000
MAX_REPEAT_CHARS = 20_000


class _Sandbox(SandboxedEnvironment):
    """The sandbox, also refusing work that would stall a worker: huge repeats, powers, ranges."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            raise SecurityError("the power operator is not allowed in templates")
        sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
        if (
            isinstance(sequence, str | list | tuple)
            and isinstance(count, int)
            and len(sequence) * count > MAX_REPEAT_CHARS
        ):
            raise SecurityError(f"repeating beyond {MAX_REPEAT_CHARS} items is not allowed")
        return super().call_binop(context, operator, left, right)


def _bounded_range(*args):
    values = range(*args)
    if len(values) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE} items in templates")
    return values


def _environment(autoescape: bool) -> SandboxedEnvironment:
    env = _Sandbox(
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    # Templates have no business reaching outside: no includes, imports or extends.
    env.loader = None
    env.globals["range"] = _bounded_range
    return env


_TEXT_ENV = _environment(False)
_HTML_ENV = _environment(True)


def _env(part: str) -> SandboxedEnvironment:
    return _HTML_ENV if part == "html" else _TEXT_ENV


def validate_defaults(defaults: dict[str, Any]) -> dict[str, str]:
    """Defaults are plain strings for known or custom variable names."""
    out = {}
    for key, value in (defaults or {}).items():
        if not _VARIABLE_NAME.match(key):
            raise TemplateProblem(f"default {key!r} is not a valid variable name")
        if value is not None and not isinstance(value, str):
            raise TemplateProblem(f"default for {key} must be text")
        out[key] = value or ""
    return out


def check_template(parts: dict[str, str | None], defaults: dict[str, str]) -> None:
    """Compile every part and refuse unknown variables and unsafe constructs, naming them."""
    problems: dict[str, list[str]] = {}
    unknown_all: set[str] = set()
    for part in PARTS:
        source = parts.get(part)
        if not source:
            continue
        if len(source) > MAX_PART_CHARS[part]:
            problems.setdefault(part, []).append(f"longer than {MAX_PART_CHARS[part]} characters")
            continue
        env = _env(part)
        try:
            ast = env.parse(source)
        except TemplateSyntaxError as exc:
            problems.setdefault(part, []).append(f"line {exc.lineno}: {exc.message}")
            continue
        if _uses_forbidden_tags(ast):
            problems.setdefault(part, []).append("include, import and extends are not allowed")
            continue
        unknown = meta.find_undeclared_variables(ast) - set(VARIABLES) - set(defaults)
        if unknown:
            unknown_all |= unknown
            problems.setdefault(part, []).append("unknown variables: " + ", ".join(sorted(unknown)))
            continue
        try:
            env.from_string(source).render(_sample(defaults))
        except SecurityError as exc:
            problems.setdefault(part, []).append(f"not allowed in templates: {exc}")
        except UndefinedError as exc:
            problems.setdefault(part, []).append(str(exc))
        except Exception as exc:  # a filter given nonsense, a division by zero ...
            problems.setdefault(part, []).append(f"{type(exc).__name__}: {exc}")
    if problems:
        summary = "; ".join(f"{part}: {', '.join(items)}" for part, items in problems.items())
        details: dict = dict(problems)
        if unknown_all:
            details["unknown_variables"] = sorted(unknown_all)
        raise TemplateProblem(f"the template cannot be used: {summary}", details=details)


def _uses_forbidden_tags(ast) -> bool:
    return any(
        True for _ in ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))
    )


def _sample(defaults: dict[str, str]) -> dict[str, Any]:
    context = dict(SAMPLE_CONTEXT)
    for key, value in defaults.items():
        context.setdefault(key, value)
    return context


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None
    preheader: str | None


class CompiledContent:
    """A variant's parts compiled once, rendered per recipient."""

    def __init__(
        self,
        *,
        subject: str,
        text: str,
        html: str | None,
        preheader: str | None,
        defaults: dict[str, str],
    ) -> None:
        self.defaults = dict(defaults)
        self._subject = _TEXT_ENV.from_string(subject)
        self._text = _TEXT_ENV.from_string(text)
        self._html = _HTML_ENV.from_string(html) if html else None
        self._preheader = _TEXT_ENV.from_string(preheader) if preheader else None
        sources = " ".join(p for p in (subject, text, html or "", preheader or ""))
        self.uses_unsubscribe = "unsubscribe_url" in sources
        self.uses_survey = "survey_url" in sources

    def context(self, values: dict[str, Any]) -> dict[str, Any]:
        """Known variables with the template's defaults for missing or empty values."""
        context: dict[str, Any] = {}
        for key in VARIABLES:
            value = values.get(key)
            if value in (None, "") and key in self.defaults:
                value = self.defaults[key]
            context[key] = {} if key == "attributes" and value in (None, "") else (value or "")
        for key, value in self.defaults.items():
            if key not in context:
                context[key] = values.get(key) or value
        return context

    def render(self, values: dict[str, Any]) -> Rendered:
        context = self.context(values)
        try:
            subject = _SUBJECT_JUNK.sub(" ", self._subject.render(context)).strip()[:250]
            text = self._text.render(context)
            html = self._html.render(context) if self._html is not None else None
            preheader = (
                _SUBJECT_JUNK.sub(" ", self._preheader.render(context)).strip()
                if self._preheader is not None
                else None
            )
        except SecurityError as exc:
            raise TemplateProblem(f"not allowed in templates: {exc}") from None
        except UndefinedError as exc:
            raise TemplateProblem(str(exc)) from None
        return Rendered(subject, text, html, preheader)
