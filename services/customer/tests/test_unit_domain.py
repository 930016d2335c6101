"""Customer domain rules, without I/O."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from customer_service.domain import events
from customer_service.domain.attributes import AttributeDefinition, validate_attributes
from customer_service.domain.contact_points import (
    company_key,
    name_key,
    normalise_email,
    normalise_phone,
)
from customer_service.domain.duplicates import name_similarity
from customer_service.domain.errors import InvalidValue, StateConflict
from customer_service.domain.imports import check_header, row_to_profile
from customer_service.domain.model import Behaviour, Consent, Customer

pytestmark = pytest.mark.unit


def person(**kw):
    base = {
        "kind": "person",
        "first_name": "Mei",
        "last_name": "Lin",
        "emails": [{"address": "mei@example.com"}],
        "address": {"country": "CN"},
    }
    base.update(kw)
    return Customer.create(**base)


class TestContactPoints:
    def test_emails_are_validated_and_lowercased(self):
        assert normalise_email("  Mei.Lin@Example.COM ") == "mei.lin@example.com"
        with pytest.raises(InvalidValue, match="not a valid email"):
            normalise_email("mei@@example")

    @pytest.mark.parametrize(
        ("raw", "region", "expected"),
        [
            ("138 0013 8000", "CN", "+8613800138000"),
            ("+86 138-0013-8000", None, "+8613800138000"),
            ("030 1234567", "DE", "+49301234567"),
            ("(415) 555-0123", "US", "+14155550123"),
        ],
    )
    def test_phones_become_e164(self, raw, region, expected):
        assert normalise_phone(raw, region) == expected

    @pytest.mark.parametrize("raw", ["12", "not a phone", "+86 1"])
    def test_bad_phones_are_refused(self, raw):
        with pytest.raises(InvalidValue):
            normalise_phone(raw, "CN")

    def test_first_email_becomes_primary_and_duplicates_collapse(self):
        c = person(emails=[{"address": "a@x.com"}, {"address": "A@X.com"}, {"address": "b@x.com"}])
        assert [e.address for e in c.emails] == ["a@x.com", "b@x.com"]
        assert c.primary_email == "a@x.com"

    def test_name_keys_ignore_accents_case_and_legal_forms(self):
        assert name_key("Jürgen  Müller-Lüdenscheidt") == "jurgen muller ludenscheidt"
        assert company_key("Lin Trading Co., Ltd.") == company_key("lin trading")
        assert name_similarity(name_key("Lin Mei"), name_key("Mei Lin")) == 100


class TestCustomer:
    def test_person_name_comes_from_first_and_last(self):
        c = person()
        assert c.name == "Mei Lin"
        assert isinstance(c.pull_events()[0][1], events.CustomerCreated)

    def test_a_name_is_required(self):
        with pytest.raises(InvalidValue, match="name"):
            Customer.create(kind="company")

    def test_only_persons_belong_to_companies(self):
        with pytest.raises(InvalidValue):
            Customer.create(kind="company", name="Acme", company_id="x")

    def test_update_records_only_what_changed(self):
        c = person()
        c.pull_events()
        assert c.update({"industry": "Retail", "first_name": "Mei"}) == ["industry"]
        ((_, event),) = c.pull_events()
        assert event.changed_fields == ("industry",)
        assert c.update({"industry": "Retail"}) == []
        assert c.pull_events() == []

    def test_country_must_be_iso(self):
        with pytest.raises(InvalidValue, match="country"):
            person(address={"country": "China"})

    def test_demographics_are_checked(self):
        with pytest.raises(InvalidValue, match="gender"):
            person(demographics={"gender": "robot"})
        with pytest.raises(InvalidValue, match="birth_date"):
            person(demographics={"birth_date": "2999-01-01"})
        assert person(demographics={"birth_date": "1990-02-03"}).demographics == {
            "birth_date": "1990-02-03"
        }

    def test_tags_are_normalised(self):
        assert person(tags=[" VIP ", "vip", "Key  Account"]).tags == ["vip", "key account"]


class TestConsent:
    def test_change_is_recorded_once(self):
        c = person()
        c.pull_events()
        assert c.set_consent("email", "granted", "web_form") is not None
        assert c.set_consent("email", "granted", "web_form") is None
        assert [type(e).__name__ for _, e in c.pull_events()] == ["ConsentChanged"]

    def test_an_older_decision_never_overrides_a_newer_one(self):
        c = person()
        now = datetime.now(UTC)
        c.set_consent("email", "withdrawn", "unsubscribe", now)
        assert c.set_consent("email", "granted", "late import", now - timedelta(days=1)) is None
        assert c.consents["email"].status == "withdrawn"

    def test_unknown_channel(self):
        with pytest.raises(InvalidValue):
            person().set_consent("pigeon", "granted", "x")


class TestMerge:
    def test_survivorship_rules(self):
        now = datetime.now(UTC)
        survivor = person(emails=[{"address": "mei@example.com"}], industry=None, tags=["vip"])
        older = person(
            first_name="Mei",
            emails=[{"address": "mei.lin@work.com"}],
            phones=[{"number": "+8613800138000"}],
            industry="Retail",
            tags=["tea"],
            attributes={"tier": "gold"},
        )
        newer = person(first_name="Mei", industry="Wholesale", job_title="Buyer")
        older.updated_at, newer.updated_at = now - timedelta(days=5), now
        survivor.consents["email"] = Consent("email", "granted", "form", now - timedelta(days=2))
        older.consents["email"] = Consent("email", "withdrawn", "unsub", now - timedelta(days=9))
        survivor.behaviour = Behaviour(2, Decimal("100"), "EUR", now - timedelta(days=30), now)
        older.behaviour = Behaviour(
            1, Decimal("50.5"), "EUR", now - timedelta(days=90), now - timedelta(days=90)
        )
        survivor.pull_events()
        changed = survivor.absorb([older, newer])
        assert survivor.industry == "Wholesale"  # empty field filled from the newest duplicate
        assert survivor.job_title == "Buyer"
        assert [e.address for e in survivor.emails] == ["mei@example.com", "mei.lin@work.com"]
        assert survivor.primary_email == "mei@example.com"
        assert survivor.phones[0].number == "+8613800138000"
        assert survivor.tags == ["vip", "tea"]
        assert survivor.attributes == {"tier": "gold"}
        assert survivor.consents["email"].status == "withdrawn"  # most restrictive wins
        assert survivor.behaviour.orders_count == 3
        assert survivor.behaviour.total_spent == Decimal("150.5")
        assert survivor.behaviour.first_order_at == now - timedelta(days=90)
        assert older.status == newer.status == "merged"
        assert older.merged_into == survivor.id
        kinds = [type(e).__name__ for _, e in survivor.pull_events()]
        assert kinds == ["CustomerMerged", "CustomerUpdated"]
        assert "industry" in changed

    def test_cannot_merge_across_kinds_or_into_itself(self):
        p = person()
        with pytest.raises(InvalidValue):
            p.absorb([Customer.create(kind="company", name="Acme")])
        with pytest.raises(InvalidValue):
            p.absorb([p])

    def test_merged_customers_cannot_change(self):
        survivor, dup = person(), person()
        survivor.absorb([dup])
        with pytest.raises(StateConflict):
            dup.update({"industry": "x"})


class TestErasure:
    def test_personal_data_goes_aggregates_stay(self):
        c = person(
            phones=[{"number": "+8613800138000"}],
            address={
                "country": "CN",
                "region": "Shanghai",
                "city": "Shanghai",
                "street": "1 Nanjing Rd",
            },
            demographics={"gender": "female"},
            tags=["vip"],
        )
        c.behaviour = Behaviour(3, Decimal("99.99"), "EUR", None, None)
        c.erase()
        assert c.status == "erased"
        assert "Mei" not in c.name
        assert c.emails == [] and c.phones == [] and c.tags == []
        assert c.address.city is None and c.address.street is None
        assert c.address.country == "CN"
        assert c.behaviour.total_spent == Decimal("99.99")
        assert all(not consent.granted for consent in c.consents.values())
        with pytest.raises(StateConflict):
            c.erase()
        with pytest.raises(StateConflict):
            c.set_consent("email", "granted", "x")


class TestAttributes:
    def test_values_follow_their_definition(self):
        defs = {
            "tier": AttributeDefinition("tier", "Tier", "enum", ["gold", "silver"]),
            "score": AttributeDefinition("score", "Score", "number"),
            "since": AttributeDefinition("since", "Since", "date", required=True),
        }
        out = validate_attributes(
            {"tier": "gold", "score": 7.5, "since": "2020-01-02"}, defs, creating=True
        )
        assert out == {"tier": "gold", "score": "7.5", "since": "2020-01-02"}
        with pytest.raises(InvalidValue, match=r"attributes\.tier"):
            validate_attributes({"tier": "bronze", "since": "2020-01-01"}, defs, creating=True)
        with pytest.raises(InvalidValue, match="undefined"):
            validate_attributes({"color": "red"}, defs, creating=False)
        with pytest.raises(InvalidValue, match="required"):
            validate_attributes({}, defs, creating=True)

    def test_definitions_are_checked(self):
        with pytest.raises(InvalidValue):
            AttributeDefinition("Bad Key", "x", "text")
        with pytest.raises(InvalidValue):
            AttributeDefinition("tier", "x", "enum", [])


class TestImportRows:
    def test_header_and_row_mapping(self):
        columns = check_header(["Name", "email", "phone", "country", "tags", "attributes.tier"])
        profile = row_to_profile(columns, ["Acme", "a@x.com;b@x.com", "", "DE", "vip;b2b", "gold"])
        assert profile["kind"] == "person"
        assert profile["emails"] == [{"address": "a@x.com"}, {"address": "b@x.com"}]
        assert profile["phones"] == []
        assert profile["address"] == {"country": "DE"}
        assert profile["tags"] == ["vip", "b2b"]
        assert profile["attributes"] == {"tier": "gold"}

    def test_unknown_columns_and_missing_names_are_errors(self):
        with pytest.raises(InvalidValue, match="favourite_colour"):
            check_header(["name", "favourite_colour"])
        with pytest.raises(InvalidValue, match="name"):
            check_header(["email"])
        with pytest.raises(InvalidValue, match="expected 2 fields"):
            row_to_profile(["name", "email"], ["only one"])
