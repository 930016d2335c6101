"""GET /api/v1/customers/{id}/360: one customer as every department sees it, fetched in parallel.

Each section is fetched with the caller's own identity, so the services apply their object-level
rules (a rep sees only their own opportunities). A section the caller has no permission for, or
whose service fails, is slow or answers with the wrong shape (a section is a list of objects or
an object, nothing else), is listed in ``missing`` with the reason; the rest is returned.
The profile decides visibility: when the customer service answers 404, so does the 360.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

from aiohttp import web

from gateway import guard
from gateway.http import REQUEST_ID_KEY, json_response
from gateway.http1 import UpstreamError
from gateway.proxy import forward_headers
from servicekit.errors import ApiError, NotFound
from servicekit.logging import get_logger

log = get_logger("gateway.customer360")


@dataclass(frozen=True)
class Section:
    name: str
    service: str
    scope: str
    path: str  # formatted with the customer id
    items: bool = True  # a list section: the page's ``items`` (else an object section)


SECTIONS = (
    Section("profile", "customer", "customers:read", "/api/v1/customers/{id}", items=False),
    Section(
        "open_opportunities",
        "sales",
        "opportunities:read",
        "/api/v1/opportunities?customer_id={id}&status=open&limit=50",
    ),
    Section("recent_orders", "sales", "orders:read", "/api/v1/orders?customer_id={id}&limit=10"),
    Section(
        "open_tickets",
        "support",
        "tickets:read",
        "/api/v1/tickets?customer_id={id}&status=open&limit=50",
    ),
    Section(
        "touchpoints",
        "campaign",
        "touchpoints:read",
        "/api/v1/touchpoints?customer_id={id}&limit=20",
    ),
    Section(
        "messages",
        "campaign",
        "campaigns:read",
        "/api/v1/campaigns/messages?customer_id={id}&limit=20",
    ),
    Section(
        "scores",
        "analytics",
        "analytics:read",
        "/api/v1/analytics/customers/{id}/scores",
        items=False,
    ),
)


class _Missing(Exception):
    def __init__(self, reason: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status


async def _fetch(rt, section: Section, customer_id: str, headers: dict, timeout) -> object:
    try:
        response = await rt.upstreams.request(
            section.service,
            "GET",
            section.path.format(id=customer_id),
            headers,
            read_timeout=timeout,
        )
    except ApiError as error:
        raise _Missing(error.code, error.message, error.status) from None
    try:
        body = await response.read()
        if response.status == 404:
            raise _Missing("not_found", f"The {section.service} service found nothing.", 404)
        if response.status >= 400:
            raise _Missing(
                "error",
                f"The {section.service} service answered {response.status}.",
                response.status,
            )
        data = json.loads(body)
    except (ValueError, UpstreamError, TimeoutError) as exc:
        raise _Missing(
            "bad_gateway", f"The {section.service} service answered badly: {exc}"
        ) from None
    finally:
        response.release()
    value = section_value(section, data)
    if value is None:
        log.warning(
            "customer360_section_wrong_shape",
            section=section.name,
            service=section.service,
            got=type(data).__name__,
        )
        raise _Missing(
            "bad_gateway",
            f"The {section.service} service answered with something that is not "
            + ("a page of objects." if section.items else "an object."),
        )
    return value


def section_value(section: Section, data: object) -> list | dict | None:
    """What a section shows: a list of objects for a list section (a page's ``items``, or a
    bare list), an object for an object section; None when the answer has another shape, so
    nothing an upstream sends (a string of markup, numbers, nested junk) is passed on as is."""
    if section.items:
        items = data.get("items") if isinstance(data, dict) else data
        if isinstance(items, list) and all(isinstance(item, dict) for item in items):
            return items
        return None
    return data if isinstance(data, dict) else None


async def customer_360(request: web.Request) -> web.Response:
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    guard.require_scope(principal, "customers:read")
    customer_id = request.match_info["customer_id"].lower()
    headers = {
        k: v
        for k, v in forward_headers(
            request, rt.minter.token(principal), request[REQUEST_ID_KEY]
        ).items()
        if k.lower() not in ("content-type", "accept-encoding", "accept", "if-none-match")
    }
    # The sections are parsed here, so ask for plain JSON whatever the client accepts.
    headers["Accept"] = "application/json"
    headers["Accept-Encoding"] = "identity"
    timeout = rt.settings.compose_timeout
    wanted = [s for s in SECTIONS if principal.has_scope(s.scope)]
    results = await asyncio.gather(
        *(
            asyncio.wait_for(
                _fetch(rt, s, customer_id, headers, timeout), rt.settings.compose_timeout + 0.5
            )
            for s in wanted
        ),
        return_exceptions=True,
    )
    body: dict = {"customer_id": customer_id}
    missing = []
    for section in SECTIONS:
        body[section.name] = None
        if section not in wanted:
            missing.append(
                {
                    "section": section.name,
                    "service": section.service,
                    "reason": "not_permitted",
                    "message": f"You do not have the '{section.scope}' permission.",
                }
            )
    for section, result in zip(wanted, results, strict=True):
        if isinstance(result, _Missing):
            if section.name == "profile" and result.status == 404:
                raise NotFound(f"no customer {customer_id}")
            if section.name == "scores" and result.status == 404:
                body[section.name] = None  # not scored yet: nothing is missing
                continue
            missing.append(
                {
                    "section": section.name,
                    "service": section.service,
                    "reason": result.reason,
                    "message": result.message,
                }
            )
        elif isinstance(result, TimeoutError | asyncio.TimeoutError):
            missing.append(
                {
                    "section": section.name,
                    "service": section.service,
                    "reason": "gateway_timeout",
                    "message": f"The {section.service} service did not answer in time.",
                }
            )
        elif isinstance(result, BaseException):
            missing.append(
                {
                    "section": section.name,
                    "service": section.service,
                    "reason": "error",
                    "message": f"{type(result).__name__}",
                }
            )
        else:
            body[section.name] = result
    body["missing"] = missing
    return json_response(body)
