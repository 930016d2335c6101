"""A report as JSON, CSV, SVG or PNG: the format parameter wins, else the Accept header."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, current_app, request

from analytics_service.service.reports.base import Report
from servicekit.errors import ApiError
from servicekit.jsonutil import isoformat

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv",
    "svg": "image/svg+xml",
    "png": "image/png",
}


def choose_format(explicit: str | None) -> str:
    """``format`` if given; otherwise the best match of the Accept header (JSON by default)."""
    if explicit:
        return explicit
    accept = request.accept_mimetypes
    if not request.headers.get("Accept"):
        return "json"
    best = accept.best_match(list(MEDIA_TYPES.values()))
    if best is None:
        raise ApiError(
            "None of the accepted media types can be produced; ask for application/json, "
            "text/csv, image/svg+xml or image/png (or use the format parameter).",
            status=406,
            code="not_acceptable",
            details={"Accept": [request.headers.get("Accept", "")[:200]]},
        )
    return next(name for name, media in MEDIA_TYPES.items() if media == best)


def report_body(report: Report) -> dict[str, Any]:
    body: dict[str, Any] = {
        "report": report.name,
        "title": report.title,
    }
    if report.subtitle:
        body["subtitle"] = report.subtitle
    body.update(
        {
            "currency": report.currency,
            "params": report.query.echo(),
            "columns": [{"name": c.name, "label": c.label, "kind": c.kind} for c in report.columns],
            "rows": report.rows,
            "totals": report.totals,
        }
    )
    body.update(report.extra)
    if report.notes:
        body["notes"] = report.notes
    return body


def render(report: Report, fmt: str) -> Response:
    if fmt == "csv":
        return _csv(report)
    if fmt in ("svg", "png"):
        from analytics_service.api.charts import render_chart

        payload = render_chart(report, fmt)
        response = Response(payload, mimetype=MEDIA_TYPES[fmt])
        if fmt == "svg":
            response.headers["Content-Type"] = "image/svg+xml; charset=utf-8"
        response.headers["Content-Disposition"] = f'inline; filename="{_filename(report, fmt)}"'
        return response
    return current_app.json.response(report_body(report))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv(report: Report) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = [c.name for c in report.columns]
    writer.writerow(names)
    for row in report.rows:
        writer.writerow([_guard(_cell(row.get(name))) for name in names])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(report, "csv")}"'
    return response


def _guard(text: str) -> str:
    """Keep spreadsheets from running a cell as a formula (CSV injection)."""
    if (text and text[0] in "=+@\t\r") or (text[:1] == "-" and not _numeric(text)):
        return "'" + text
    return text


def _numeric(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def _filename(report: Report, extension: str) -> str:
    query = report.query
    return f"{report.name}-{query.start}-{query.end}.{extension}"
