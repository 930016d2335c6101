"""Email addresses and phone numbers: validated and normalised so duplicates can be found.

Emails are checked for syntax (no DNS lookups: a CRM records addresses of companies whose mail
servers it cannot reach) and lower-cased; phones become E.164 (``+8613800138000``), parsed with a
default region taken from the customer's country when the number has no country code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from customer_service.domain.errors import InvalidValue


@dataclass(frozen=True)
class EmailAddress:
    address: str
    label: str | None = None
    primary: bool = False


@dataclass(frozen=True)
class Phone:
    number: str
    label: str | None = None
    primary: bool = False


def normalise_email(raw: str) -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidValue(f"{raw!r} is not a valid email address: {exc}") from None
    return result.normalized.lower()


def normalise_phone(raw: str, default_region: str | None = None) -> str:
    try:
        parsed = phonenumbers.parse(raw, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidValue(f"{raw!r} is not a valid phone number: {exc}") from None
    if not phonenumbers.is_possible_number(parsed) or not phonenumbers.is_valid_number(parsed):
        raise InvalidValue(f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalise_emails(items: list[dict]) -> list[EmailAddress]:
    """Validated, de-duplicated emails with exactly one primary when there are any."""
    seen: dict[str, EmailAddress] = {}
    for item in items:
        address = normalise_email(item["address"])
        if address not in seen:
            seen[address] = EmailAddress(address, item.get("label"), bool(item.get("primary")))
    return _one_primary(list(seen.values()))


def normalise_phones(items: list[dict], default_region: str | None) -> list[Phone]:
    seen: dict[str, Phone] = {}
    for item in items:
        number = normalise_phone(item["number"], default_region)
        if number not in seen:
            seen[number] = Phone(number, item.get("label"), bool(item.get("primary")))
    return _one_primary(list(seen.values()))


def _one_primary(items: list):
    if not items:
        return items
    chosen = next((i for i in items if i.primary), items[0])
    return [replace(i, primary=i is chosen) for i in items]


_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^\w\s]")
_LEGAL_FORMS = {
    "inc",
    "ltd",
    "llc",
    "gmbh",
    "ag",
    "co",
    "corp",
    "sa",
    "sarl",
    "bv",
    "plc",
    "limited",
    "company",
    "有限公司",
    "公司",
}


def name_key(name: str) -> str:
    """Lower-case, accent-free, punctuation-free name for search and fuzzy matching."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = _NOT_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def company_key(name: str) -> str:
    """``name_key`` without legal forms, so "Lin Trading Co., Ltd." matches "Lin Trading"."""
    words = [w for w in name_key(name).split(" ") if w not in _LEGAL_FORMS]
    return " ".join(words)
