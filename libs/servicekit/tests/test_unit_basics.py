"""Unit tests of servicekit's pure parts."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt
import marshmallow as ma
import pytest

from servicekit.consumer import topic_matches
from servicekit.domain import EventRecorder
from servicekit.errors import BadRequest, Unauthenticated
from servicekit.identity import IdentitySigner, IdentityVerifier, generate_keypair
from servicekit.pagination import decode_cursor, encode_cursor
from servicekit.schemas import StrictSchema, Text, UtcDateTime

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("sales.order.*", "sales.order.placed", True),
        ("sales.order.*", "sales.order.placed.v2", False),
        ("sales.#", "sales.order.placed", True),
        ("#", "anything.at.all", True),
        ("customer.created", "customer.created", True),
        ("customer.created", "customer.updated", False),
        ("*.created", "customer.created", True),
        ("sales.#.paid", "sales.order.paid", True),
        ("sales.#.paid", "sales.paid", True),
    ],
)
def test_topic_matching_follows_amqp_rules(pattern, key, expected):
    assert topic_matches(pattern, key) is expected


def test_cursor_round_trips_typed_values():
    when = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    token = encode_cursor("created_at", [when, Decimal("10.50"), "abc"])
    assert decode_cursor(token, "created_at", 3) == [when, Decimal("10.50"), "abc"]


@pytest.mark.parametrize("token", ["garbage", "", "e30", "W10"])
def test_bad_cursor_is_a_400_naming_the_cursor(token):
    with pytest.raises(BadRequest) as caught:
        decode_cursor(token or "x", "name", 2)
    assert caught.value.code == "invalid_cursor"


def test_cursor_from_another_sort_is_refused():
    token = encode_cursor("name", ["a", "b"])
    with pytest.raises(BadRequest):
        decode_cursor(token, "created_at", 2)


class _Named(StrictSchema):
    name = Text(5, required=True)
    note = Text(5, allow_none=True)


@pytest.mark.parametrize(
    ("body", "loaded"),
    [
        ({"name": " abc "}, {"name": "abc"}),
        ({"name": "abcde"}, {"name": "abcde"}),
        ({"name": "a", "note": None}, {"name": "a", "note": None}),
    ],
)
def test_text_is_stripped(body, loaded):
    assert _Named().load(body) == loaded


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "abcde "}, "name"),  # 6 characters as sent, 5 once stripped
        ({"name": "a", "note": "\x1d" * 6}, "note"),
        ({"name": "\x85\x85"}, "name"),  # blank: nothing left of a required text
    ],
)
def test_text_bounds_hold_for_the_string_as_sent_and_blank_is_empty(body, field):
    with pytest.raises(ma.ValidationError) as caught:
        _Named().load(body)
    assert list(caught.value.messages) == [field]


class _When(StrictSchema):
    at = UtcDateTime()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26T10:00:00", datetime(2026, 11, 26, 10, tzinfo=UTC)),  # no offset: UTC
        ("2026-11-26T12:00:00+02:00", datetime(2026, 11, 26, 10, tzinfo=UTC)),
        ("0001-01-01T00:00:00-14:00", datetime(1, 1, 1, 14, tzinfo=UTC)),
        ("9999-12-31T23:59:59+14:00", datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
    ],
)
def test_utc_date_time_is_handed_on_in_utc(text, expected):
    loaded = _When().load({"at": text})["at"]
    assert loaded == expected
    assert loaded.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["0001-01-01T00:00:00+14:00", "0001-01-01T13:59:59+14:00", "9999-12-31T23:59:59-14:00"],
)
def test_utc_date_time_out_of_range_in_utc_is_a_validation_error_naming_it(text):
    # valid ISO 8601, but the UTC instant is before year 1 or after 9999 (was an OverflowError)
    with pytest.raises(ma.ValidationError) as caught:
        _When().load({"at": text})
    assert "Out of range" in caught.value.messages["at"][0]


def test_recorder_hands_out_events_once_in_order():
    class Thing(EventRecorder):
        pass

    thing = Thing()
    thing.record("a")
    thing.record("b")
    assert [e for _, e in thing.pull_events()] == ["a", "b"]
    assert thing.pull_events() == []


class TestIdentity:
    @pytest.fixture
    def keys(self):
        return generate_keypair()

    def test_round_trip(self, keys):
        private, public = keys
        token, _ = IdentitySigner(private).mint(
            "user:u1", "user", roles=["sales_rep"], scopes=["customers:read"], team="north"
        )
        identity = IdentityVerifier([public]).verify(token)
        assert identity.id == "u1"
        assert identity.has_scope("customers:read")
        assert not identity.has_scope("customers:write")
        assert identity.team == "north"

    def test_wrong_key_is_rejected(self, keys):
        private, _ = keys
        _, other_public = generate_keypair()
        token, _ = IdentitySigner(private).mint("user:u1", "user")
        with pytest.raises(Unauthenticated):
            IdentityVerifier([other_public]).verify(token)

    def test_rotated_keys_are_both_accepted(self, keys):
        private, public = keys
        _, old_public = generate_keypair()
        token, _ = IdentitySigner(private).mint("user:u1", "user")
        assert IdentityVerifier([old_public, public]).verify(token).id == "u1"

    def test_expired_is_rejected(self, keys):
        private, public = keys
        token, _ = IdentitySigner(private, ttl_seconds=10).mint(
            "user:u1", "user", now=(datetime.now(UTC) - timedelta(minutes=5)).timestamp()
        )
        with pytest.raises(Unauthenticated):
            IdentityVerifier([public]).verify(token)

    def test_wrong_audience_is_rejected(self, keys):
        private, public = keys
        token, _ = IdentitySigner(private, audience="elsewhere").mint("user:u1", "user")
        with pytest.raises(Unauthenticated):
            IdentityVerifier([public]).verify(token)

    def test_alg_none_and_hmac_confusion_are_rejected(self, keys):
        _, public = keys
        claims = {
            "iss": "mms-gateway",
            "aud": "mms-services",
            "sub": "user:x",
            "kind": "user",
            "iat": 1,
            "exp": 9999999999,
            "roles": ["admin"],
        }
        unsigned = jwt.encode(claims, None, algorithm="none")
        with pytest.raises(Unauthenticated):
            IdentityVerifier([public]).verify(unsigned)
        hmac_with_public = jwt.encode(claims, "a" * 64, algorithm="HS256")
        with pytest.raises(Unauthenticated):
            IdentityVerifier([public]).verify(hmac_with_public)

    def test_reach_policy(self, keys):
        private, public = keys
        verifier = IdentityVerifier([public])
        signer = IdentitySigner(private)
        policy = {"sales_rep": "own", "sales_manager": "team", "marketer": "all"}
        rep = verifier.verify(signer.mint("user:r1", "user", roles=["sales_rep"], team="n")[0])
        manager = verifier.verify(
            signer.mint("user:m1", "user", roles=["sales_manager"], team="n")[0]
        )
        analyst = verifier.verify(signer.mint("user:a1", "user", roles=["analyst"])[0])
        assert rep.can_see(policy, "r1", "n") and not rep.can_see(policy, "r2", "n")
        assert manager.can_see(policy, "r2", "n") and not manager.can_see(policy, "r3", "s")
        assert not analyst.can_see(policy, "r1", "n")


def test_decimals_are_documented_as_they_travel():
    """Text out (a response carries "12.50"), text or a number in, bounds as JSON numbers."""
    import marshmallow as ma
    from apispec import APISpec
    from apispec.ext.marshmallow import MarshmallowPlugin
    from marshmallow import fields

    from servicekit.schemas import DecimalString, document_fields

    class Figures(ma.Schema):
        total = DecimalString(dump_only=True)
        rate = fields.Decimal(as_string=True, allow_none=True, dump_only=True)
        quantity = DecimalString(required=True, minimum=Decimal("0.000001"))
        price = DecimalString(allow_none=True, validate=[ma.validate.Range(max=Decimal("1000"))])
        stated = DecimalString(metadata={"type": "string", "pattern": "^[0-9]+$"})
        plain = fields.Decimal(validate=ma.validate.Range(min=Decimal("0.5")))

    plugin = MarshmallowPlugin()
    spec = APISpec("t", "1", "3.0.3", plugins=[plugin])
    document_fields(plugin.converter)
    spec.components.schema("Figures", schema=Figures)
    props = spec.to_dict()["components"]["schemas"]["Figures"]["properties"]
    text = {"type": "string", "format": "decimal"}
    assert props["total"] == {**text, "readOnly": True}
    assert props["rate"] == {**text, "nullable": True, "readOnly": True}
    assert props["quantity"] == {"anyOf": [text, {"type": "number", "minimum": 1e-06}]}
    assert props["price"] == {
        "anyOf": [{**text, "nullable": True}, {"type": "number", "maximum": 1000, "nullable": True}]
    }
    assert props["stated"] == {"type": "string", "pattern": "^[0-9]+$"}
    assert props["plain"] == {"type": "number", "minimum": 0.5}
