"""/api/v1/webhooks: subscriptions, their delivery log, redelivery, replay and pings.

Function level: reading needs ``webhooks:read``, everything else ``webhooks:write`` (admins have
both; API keys get them from an admin). Object level: administrators see every subscription,
everyone else only their own — another owner's subscription is a 404, not a 403. The owner is
the user or API key that created the subscription, and it may only subscribe to events whose
data it may read (see ``access``).
"""

from __future__ import annotations

import re
import secrets as _secrets
import uuid
from datetime import timedelta

from aiohttp import web

from event_contracts import all_contracts
from gateway import guard
from gateway.authn import Principal
from gateway.http import REQUEST_ID_KEY, json_response, query_args, read_json, validate
from gateway.openapi import Operation
from gateway.settings import Rate
from gateway.webhooks import idempotency
from gateway.webhooks import schemas as ws
from gateway.webhooks.access import may_receive, scope_for
from gateway.webhooks.owners import load_owners
from gateway.webhooks.patterns import known_event_types
from gateway.webhooks.service import WebhookService, invalid
from gateway.webhooks.signing import generate_secret, secret_hint
from gateway.webhooks.store import Owner
from servicekit.errors import (
    ApiError,
    Conflict,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ServiceUnavailable,
)
from servicekit.types import utcnow

UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
SUB = f"{{subscription_id:{UUID}}}"
DELIVERY = f"{{delivery_id:{UUID}}}"
_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')
PING_RATE = Rate(60, 3600, 10)


# -- helpers --------------------------------------------------------------------------------


async def _caller(request: web.Request, scope: str) -> tuple[object, WebhookService, Principal]:
    rt = guard.runtime(request)
    principal = await guard.authenticate(request)
    guard.require_scope(principal, scope)
    service = getattr(rt, "webhooks", None)
    if service is None:
        raise ServiceUnavailable(
            "Webhooks are not configured on this gateway: the operator must set "
            "MMS_WEBHOOK_SECRET_KEY_FILE (and MMS_WEBHOOKS_ENABLED must not be false).",
            code="webhooks_unavailable",
        )
    return rt, service, principal


def _owner(principal: Principal) -> Owner:
    return Owner(principal.kind, principal.id, principal.name)


def _visible(subscription, principal: Principal) -> bool:
    return principal.is_admin or (
        subscription.owner_kind == principal.kind and subscription.owner_id == principal.id
    )


async def _subscription(request: web.Request, rt, service: WebhookService, principal):
    subscription_id = request.match_info["subscription_id"].lower()
    subscription = await rt.run(service.store.get, subscription_id)
    if subscription is None or not _visible(subscription, principal):
        raise NotFound(f"no webhook subscription {subscription_id}")
    return subscription


def _if_match(request: web.Request, *, required: bool) -> int | None:
    header = request.headers.get("If-Match")
    if not header:
        if required:
            raise PreconditionRequired()
        return None
    match = _ETAG.match(header)
    if not match:
        raise PreconditionFailed('If-Match must be an ETag this API returned, such as "3".')
    return int(match.group(1))


async def _optional_json(request: web.Request) -> dict:
    """The JSON body of an action whose body is optional ({} when there is none)."""
    if not request.body_exists:
        return {}
    return await read_json(request)


def _out(subscription, status: int = 200, extra: dict | None = None, headers: dict | None = None):
    body = ws.SubscriptionOut().dump(subscription.public())
    if extra:
        body.update(extra)
    return json_response(body, status, {"ETag": f'"{subscription.version}"', **(headers or {})})


def _subject(principal: Principal) -> str:
    return principal.subject


async def _limit(rt, key: str, rate: Rate, what: str) -> None:
    refused = await rt.hit([(key, rate)])
    if refused is not None:
        raise guard.too_many("webhooks", refused[1].retry_after, f"Too many {what}; retry later.")


async def _owner_scopes(rt, service: WebhookService, subscription) -> frozenset[str]:
    def load():
        with service.store.db.session() as session:
            owners = load_owners(
                session, [(subscription.owner_kind, subscription.owner_id)], utcnow()
            )
        return owners[(subscription.owner_kind, subscription.owner_id)]

    owner = await rt.run(load)
    if owner.problem:
        raise Conflict(
            f"This subscription cannot deliver: {owner.problem}.", code="owner_not_permitted"
        )
    return owner.scopes


def _require_active(subscription) -> None:
    if not subscription.active:
        raise Conflict(
            "The subscription is disabled; enable it first (POST .../enable).",
            code="subscription_disabled",
            details={"disabled_reason": subscription.disabled_reason},
        )


# -- subscriptions --------------------------------------------------------------------------


async def list_subscriptions(request: web.Request) -> web.Response:
    """Your subscriptions (administrators: everyone's, or one owner's with ?owner=)."""
    rt, service, principal = await _caller(request, "webhooks:read")
    query = query_args(request, ws.SubscriptionListQuery())
    owner_filter = None
    if "owner" in query:
        kind, _, owner_id = query["owner"].partition(":")
        owner_filter = ("user" if kind == "user" else "api_key", owner_id.lower())
    page = await rt.run(
        lambda: service.store.list(
            owner=None if principal.is_admin else _owner(principal),
            limit=query["limit"],
            cursor=query["cursor"],
            active=query.get("active"),
            owner_filter=owner_filter,
        )
    )
    return json_response(
        {
            "items": [ws.SubscriptionOut().dump(s.public()) for s in page.items],
            "next_cursor": page.next_cursor,
        }
    )


async def create_subscription(request: web.Request) -> web.Response:
    """Subscribe a URL to event types; the signing secret is in this response only."""
    rt, service, principal = await _caller(request, "webhooks:write")
    body = validate(ws.SubscriptionCreate(), await read_json(request))
    patterns = service.check_patterns(body["event_types"])
    filters = service.check_filters(body["filters"])
    service.check_access(principal.scopes, patterns)
    url = await service.check_url(body["url"])
    claim, earlier = await idempotency.begin(request, rt, service.store.db, principal.subject)
    if earlier is None:
        secret = body.get("secret") or generate_secret()
        subscription_id = str(uuid.uuid4())
        ciphertext = service.seal(secret, subscription_id)
        subscription, earlier = await idempotency.guarded(
            rt,
            service.store.db,
            claim,
            lambda: service.store.create(
                subscription_id=subscription_id,
                owner=_owner(principal),
                url=url,
                description=body["description"],
                event_types=patterns,
                filters=filters,
                active=body["active"],
                ordered=body["ordered"],
                secret_ciphertext=ciphertext,
                secret_hint=secret_hint(secret),
                limit=service.settings.max_subscriptions_per_owner,
            ),
        )
    if earlier is None:
        first = {"subscription_id": subscription_id, "secret": ciphertext}
        await rt.run(idempotency.finish, service.store.db, claim, 201, first)
        replayed = {}
    else:  # the same request again: the first answer, secret included
        subscription = await rt.run(service.store.get, earlier.body["subscription_id"])
        if subscription is None:
            raise NotFound("The subscription this request created was deleted since.")
        secret = service.box.decrypt(earlier.body["secret"], subscription.id)
        replayed = {"Idempotent-Replayed": "true"}
    return _out(
        subscription,
        201,
        {"secret": secret},
        {"Location": f"/api/v1/webhooks/{subscription.id}", **replayed},
    )


async def get_subscription(request: web.Request) -> web.Response:
    rt, service, principal = await _caller(request, "webhooks:read")
    return _out(await _subscription(request, rt, service, principal))


async def patch_subscription(request: web.Request) -> web.Response:
    """Change URL, patterns, filters, description or ordering (If-Match required)."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    expected = _if_match(request, required=True)
    body = validate(ws.SubscriptionPatch(), await read_json(request))
    changes = dict(body)
    if "event_types" in changes:
        changes["event_types"] = service.check_patterns(changes["event_types"])
        scopes = (
            principal.scopes
            if subscription.owner_subject == principal.subject
            else await _owner_scopes(rt, service, subscription)
        )
        service.check_access(scopes, changes["event_types"])
    if "filters" in changes:
        changes["filters"] = service.check_filters(changes["filters"])
    if "url" in changes:
        changes["url"] = await service.check_url(changes["url"])
    updated = await rt.run(service.store.update, subscription.id, changes, expected)
    return _out(updated)


async def delete_subscription(request: web.Request) -> web.Response:
    """Delete the subscription with its delivery log (If-Match optional)."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    expected = _if_match(request, required=False)
    await rt.run(service.store.delete, subscription.id, expected)
    return web.Response(status=204)


async def enable_subscription(request: web.Request) -> web.Response:
    """Deliver again (clears the disabled reason and the failure counters)."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    await _owner_scopes(rt, service, subscription)
    expected = _if_match(request, required=False)
    updated = await rt.run(
        lambda: service.store.set_active(
            subscription.id, True, by=_subject(principal), expected_version=expected
        )
    )
    return _out(updated)


async def disable_subscription(request: web.Request) -> web.Response:
    """Stop delivering (pending deliveries wait until the subscription is enabled again)."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    body = validate(ws.DisableIn(), await _optional_json(request))
    expected = _if_match(request, required=False)
    reason = f"Disabled by {principal.name or _subject(principal)}"
    reason += f": {body['reason']}" if body["reason"] else "."
    updated = await rt.run(
        lambda: service.store.set_active(
            subscription.id,
            False,
            by=_subject(principal),
            reason=reason,
            expected_version=expected,
        )
    )
    return _out(updated)


async def rotate_secret(request: web.Request) -> web.Response:
    """A new signing secret (shown once); the old one keeps signing during the overlap."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    body = validate(ws.RotateIn(), await _optional_json(request))
    overlap = body.get("overlap_seconds", int(service.settings.secret_overlap))
    if overlap > service.settings.secret_overlap_max:
        raise invalid(
            {"overlap_seconds": [f"At most {int(service.settings.secret_overlap_max)} seconds."]}
        )
    expected = _if_match(request, required=False)
    secret = body.get("secret") or generate_secret()
    updated = await rt.run(
        lambda: service.store.rotate_secret(
            subscription.id,
            new_ciphertext=service.seal(secret, subscription.id),
            hint=secret_hint(secret),
            overlap_seconds=overlap,
            expected_version=expected,
        )
    )
    return json_response(
        {"secret": secret, "subscription": ws.SubscriptionOut().dump(updated.public())},
        200,
        {"ETag": f'"{updated.version}"'},
    )


async def event_types(request: web.Request) -> web.Response:
    """Every event type a subscription can select, and whether you may receive it."""
    _rt, _service, principal = await _caller(request, "webhooks:read")
    versions: dict[str, list[int]] = {}
    producers: dict[str, str] = {}
    for item in all_contracts():
        versions.setdefault(item.event_type, []).append(item.version)
        producers[item.event_type] = item.producer
    return json_response(
        {
            "items": [
                {
                    "event_type": t,
                    "producer": producers[t],
                    "versions": sorted(versions[t]),
                    "scope": scope_for(t),
                    "permitted": may_receive(principal.scopes, t),
                }
                for t in known_event_types()
            ]
        }
    )


# -- deliveries -----------------------------------------------------------------------------


async def list_deliveries(request: web.Request) -> web.Response:
    """The delivery log, newest first, with filters."""
    rt, service, principal = await _caller(request, "webhooks:read")
    subscription = await _subscription(request, rt, service, principal)
    query = query_args(request, ws.DeliveryListQuery())
    limit, cursor = query.pop("limit"), query.pop("cursor")
    page = await rt.run(
        lambda: service.store.deliveries(subscription.id, limit=limit, cursor=cursor, **query)
    )
    return json_response(
        {
            "items": [ws.DeliveryOut().dump(d) for d in page.items],
            "next_cursor": page.next_cursor,
        }
    )


async def get_delivery(request: web.Request) -> web.Response:
    rt, service, principal = await _caller(request, "webhooks:read")
    subscription = await _subscription(request, rt, service, principal)
    delivery = await rt.run(
        service.store.delivery, subscription.id, request.match_info["delivery_id"].lower()
    )
    return json_response(ws.DeliveryDetail().dump(delivery))


async def list_attempts(request: web.Request) -> web.Response:
    rt, service, principal = await _caller(request, "webhooks:read")
    subscription = await _subscription(request, rt, service, principal)
    query = query_args(request, ws.AttemptListQuery())
    page = await rt.run(
        lambda: service.store.attempts(
            subscription.id,
            request.match_info["delivery_id"].lower(),
            limit=query["limit"],
            cursor=query["cursor"],
        )
    )
    return json_response(
        {"items": [ws.AttemptOut().dump(a) for a in page.items], "next_cursor": page.next_cursor}
    )


async def redeliver(request: web.Request) -> web.Response:
    """Send one delivery's event again, as a new delivery (same event id)."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    _require_active(subscription)
    await _owner_scopes(rt, service, subscription)
    delivery_id = request.match_info["delivery_id"].lower()
    claim, earlier = await idempotency.begin(request, rt, service.store.db, principal.subject)
    if earlier is None:
        hourly = service.settings.redeliveries_per_hour
        await _limit(
            rt,
            f"webhook-redeliver:{subscription.id}",
            Rate(hourly, 3600, max(1, hourly // 10)),
            "redeliveries",
        )
        delivery, earlier = await idempotency.guarded(
            rt,
            service.store.db,
            claim,
            lambda: service.store.redeliver(subscription, delivery_id, _subject(principal)),
        )
    if earlier is None:
        await rt.run(idempotency.finish, service.store.db, claim, 202, {"id": delivery["id"]})
        return json_response(ws.DeliveryDetail().dump(delivery), 202)
    delivery = await rt.run(service.store.delivery, subscription.id, earlier.body["id"])
    return json_response(ws.DeliveryDetail().dump(delivery), 202, {"Idempotent-Replayed": "true"})


async def replay(request: web.Request) -> web.Response:
    """Re-send every archived event of the given types that occurred in a time range."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    body = validate(ws.ReplayIn(), await read_json(request))
    now = utcnow()
    since, until = body["since"], min(body["until"] or now, now)
    problems = {}
    if since >= until:
        problems["since"] = ["Must be before until (and before now)."]
    oldest = now - timedelta(days=service.settings.archive_days)
    if since < oldest - timedelta(minutes=5):
        problems["since"] = [
            f"The archive keeps {service.settings.archive_days} days; start at "
            f"{oldest.isoformat()} or later."
        ]
    if problems:
        raise invalid(problems)
    _require_active(subscription)
    owner_scopes = await _owner_scopes(rt, service, subscription)
    if body["event_types"] is not None:
        patterns = service.check_patterns(body["event_types"])
        service.check_access(owner_scopes, patterns)
    else:
        patterns = list(subscription.event_types)
    settings = service.settings
    claim, earlier = await idempotency.begin(request, rt, service.store.db, principal.subject)
    if earlier is not None:
        return json_response(earlier.body, earlier.status, {"Idempotent-Replayed": "true"})
    await _limit(
        rt,
        f"webhook-replay:{subscription.id}",
        Rate(settings.replays_per_hour, 3600, settings.replays_per_hour),
        "replays",
    )
    archived = await rt.run(service.store.count_archived, since, until)
    if archived > settings.replay_scan_limit:
        raise ApiError(
            f"{archived} archived events fall in this range (at most {settings.replay_scan_limit} "
            "are scanned per replay); replay shorter ranges.",
            status=422,
            code="replay_too_large",
            details={"events_in_range": archived, "scan_limit": settings.replay_scan_limit},
        )
    result, earlier = await idempotency.guarded(
        rt,
        service.store.db,
        claim,
        lambda: service.store.replay(
            subscription,
            patterns=patterns,
            since=since,
            until=until,
            apply_filters=body["apply_filters"],
            owner_scopes=owner_scopes,
            max_events=settings.replay_max_events,
            by=_subject(principal),
        ),
    )
    if earlier is not None:
        return json_response(earlier.body, earlier.status, {"Idempotent-Replayed": "true"})
    payload = ws.ReplayOut().dump(result)
    await rt.run(idempotency.finish, service.store.db, claim, 202, payload)
    return json_response(payload, 202)


async def ping(request: web.Request) -> web.Response:
    """Send a signed test event now and answer with the logged delivery and its attempt."""
    rt, service, principal = await _caller(request, "webhooks:write")
    subscription = await _subscription(request, rt, service, principal)
    await _limit(rt, f"webhook-ping:{subscription.id}", PING_RATE, "pings")
    correlation = request.get(REQUEST_ID_KEY) or _secrets.token_hex(8)
    delivery = await service.ping(
        subscription, correlation_id=correlation, by=_subject(principal), run=rt.run
    )
    return json_response(ws.DeliveryDetail().dump(delivery))


# -- routes ---------------------------------------------------------------------------------


def _op(method, path, summary, **kwargs) -> Operation:
    params = tuple(p for p in ("subscription_id", "delivery_id") if "{" + p + "}" in path)
    errors = set(kwargs.pop("errors", ())) | {503}  # 503: webhooks not configured
    if kwargs.get("request") is not None or kwargs.get("query") is not None:
        errors.add(400)  # invalid JSON, an invalid cursor
    if kwargs.get("request") is not None:
        errors.add(415)
    return Operation(
        method,
        path,
        summary,
        "webhooks",
        path_params=params,
        errors=tuple(sorted(errors)),
        **kwargs,
    )


P = "/api/v1/webhooks"
ROUTES = [
    (
        "GET",
        "/webhooks",
        list_subscriptions,
        _op(
            "get",
            P,
            "List webhook subscriptions (yours; administrators: all)",
            query=ws.SubscriptionListQuery,
            response=ws.SubscriptionPage,
        ),
    ),
    (
        "POST",
        "/webhooks",
        create_subscription,
        _op(
            "post",
            P,
            "Subscribe a URL to events (the secret is shown once)",
            request=ws.SubscriptionCreate,
            response=ws.SubscriptionCreated,
            status=201,
            errors=(409, 503),
            description="Needs webhooks:write and the read scope of every event type the "
            "patterns select. The URL must reach a public address (SSRF protection).",
        ),
    ),
    (
        "GET",
        "/webhooks/event-types",
        event_types,
        _op(
            "get",
            f"{P}/event-types",
            "Event types a subscription can select",
            response=ws.EventTypesOut,
        ),
    ),
    (
        "GET",
        f"/webhooks/{SUB}",
        get_subscription,
        _op(
            "get",
            f"{P}/{{subscription_id}}",
            "One subscription",
            response=ws.SubscriptionOut,
            errors=(404,),
        ),
    ),
    (
        "PATCH",
        f"/webhooks/{SUB}",
        patch_subscription,
        _op(
            "patch",
            f"{P}/{{subscription_id}}",
            "Change a subscription (If-Match required)",
            request=ws.SubscriptionPatch,
            response=ws.SubscriptionOut,
            errors=(404, 412, 428),
        ),
    ),
    (
        "DELETE",
        f"/webhooks/{SUB}",
        delete_subscription,
        _op(
            "delete",
            f"{P}/{{subscription_id}}",
            "Delete a subscription and its delivery log",
            status=204,
            errors=(404, 412),
        ),
    ),
    (
        "POST",
        f"/webhooks/{SUB}/enable",
        enable_subscription,
        _op(
            "post",
            f"{P}/{{subscription_id}}/enable",
            "Enable (after a fix; resets the failure counters)",
            response=ws.SubscriptionOut,
            errors=(404, 409, 412),
        ),
    ),
    (
        "POST",
        f"/webhooks/{SUB}/disable",
        disable_subscription,
        _op(
            "post",
            f"{P}/{{subscription_id}}/disable",
            "Disable (pending deliveries wait)",
            request=ws.DisableIn,
            response=ws.SubscriptionOut,
            errors=(404, 412),
        ),
    ),
    (
        "POST",
        f"/webhooks/{SUB}/rotate-secret",
        rotate_secret,
        _op(
            "post",
            f"{P}/{{subscription_id}}/rotate-secret",
            "New signing secret (shown once); the old one also signs during the overlap",
            request=ws.RotateIn,
            response=ws.SecretRotated,
            errors=(404, 412),
        ),
    ),
    (
        "GET",
        f"/webhooks/{SUB}/deliveries",
        list_deliveries,
        _op(
            "get",
            f"{P}/{{subscription_id}}/deliveries",
            "Delivery log, newest first",
            query=ws.DeliveryListQuery,
            response=ws.DeliveryPage,
            errors=(404,),
        ),
    ),
    (
        "GET",
        f"/webhooks/{SUB}/deliveries/{DELIVERY}",
        get_delivery,
        _op(
            "get",
            f"{P}/{{subscription_id}}/deliveries/{{delivery_id}}",
            "One delivery with its latest attempts",
            response=ws.DeliveryDetail,
            errors=(404,),
        ),
    ),
    (
        "GET",
        f"/webhooks/{SUB}/deliveries/{DELIVERY}/attempts",
        list_attempts,
        _op(
            "get",
            f"{P}/{{subscription_id}}/deliveries/{{delivery_id}}/attempts",
            "Every attempt of a delivery",
            query=ws.AttemptListQuery,
            response=ws.AttemptPage,
            errors=(404,),
        ),
    ),
    (
        "POST",
        f"/webhooks/{SUB}/deliveries/{DELIVERY}/redeliver",
        redeliver,
        _op(
            "post",
            f"{P}/{{subscription_id}}/deliveries/{{delivery_id}}/redeliver",
            "Send a delivery's event again (a new delivery)",
            response=ws.DeliveryDetail,
            status=202,
            errors=(404, 409),
        ),
    ),
    (
        "POST",
        f"/webhooks/{SUB}/replay",
        replay,
        _op(
            "post",
            f"{P}/{{subscription_id}}/replay",
            "Re-send archived events of some types from a time range",
            request=ws.ReplayIn,
            response=ws.ReplayOut,
            status=202,
            errors=(404, 409),
        ),
    ),
    (
        "POST",
        f"/webhooks/{SUB}/ping",
        ping,
        _op(
            "post",
            f"{P}/{{subscription_id}}/ping",
            "Send a signed test event now",
            response=ws.DeliveryDetail,
            errors=(404,),
        ),
    ),
]
