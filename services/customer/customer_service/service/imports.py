"""CSV import: queued by the API, processed by the worker in committed chunks with progress.

Rows are parsed, validated and normalised in Python, matched against existing customers by
normalised email and phone (one query per chunk), then written with bulk inserts. Every chunk
commits with its progress counters, so a crashed worker's successor resumes where it stopped.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from customer_service.domain.attributes import validate_attributes
from customer_service.domain.errors import DomainError, InvalidValue, NotFound, StateConflict
from customer_service.domain.imports import POLICIES, ImportJob, check_header, row_to_profile
from customer_service.domain.model import Customer
from customer_service.service.segmenting import refresh_memberships_many
from servicekit.identity import Identity

CHUNK = 1000
MAX_ROWS = 1_000_000
STALE_AFTER = timedelta(minutes=2)


def _reader(content: str):
    return csv.reader(io.StringIO(content, newline=""))


def queue_import(uow, actor: Identity, filename: str | None, content: str, policy: str):
    if policy not in POLICIES:
        raise InvalidValue(f"dedupe policy must be one of {', '.join(POLICIES)}")
    reader = _reader(content)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidValue("the CSV is empty") from None
    except csv.Error as exc:
        raise InvalidValue(f"the CSV cannot be read: {exc}") from None
    check_header(header)
    try:
        total = sum(1 for row in reader if any(cell.strip() for cell in row))
    except csv.Error as exc:
        raise InvalidValue(f"the CSV cannot be read: {exc}") from None
    if total == 0:
        raise InvalidValue("the CSV has a header but no rows")
    if total > MAX_ROWS:
        raise InvalidValue(f"at most {MAX_ROWS} rows per import")
    job = ImportJob(
        id=str(uuid.uuid4()),
        filename=filename,
        policy=policy,
        total_rows=total,
        created_by=actor.id,
        owner_team=actor.team,
    )
    uow.imports.add(job, content)
    uow.commit()
    return job


def cancel_import(uow, job_id: str) -> ImportJob:
    job = uow.imports.get(job_id)
    if job is None:
        raise NotFound(f"no import {job_id}")
    if job.status not in ("queued", "running"):
        raise StateConflict(f"the import is already {job.status}")
    job.status = "cancelled"
    job.finished_at = datetime.now(UTC)
    uow.imports.save(job)
    uow.imports.drop_file(job.id)
    uow.commit()
    return job


def _attribute_value(definition, text: str):
    if definition.type == "boolean":
        lowered = text.strip().lower()
        if lowered in ("true", "yes", "1", "y"):
            return True
        if lowered in ("false", "no", "0", "n"):
            return False
        raise InvalidValue(f"attributes.{definition.key} must be true or false")
    if definition.type == "multi_enum":
        return [v.strip() for v in text.split(";") if v.strip()]
    return text


def process_next_import(uow_factory) -> str | None:
    """Claim the next runnable import and process it to the end; return its id."""
    now = datetime.now(UTC)
    with uow_factory() as uow:
        job = uow.imports.next_runnable(now - STALE_AFTER)
        if job is None:
            return None
        job.status = "running"
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        uow.imports.save(job)
        uow.commit()
    _run(uow_factory, job.id)
    return job.id


def _run(uow_factory, job_id: str) -> None:
    with uow_factory() as uow:
        content = uow.imports.content(job_id)
        definitions = uow.attributes.all()
    reader = _reader(content)
    columns = check_header(next(reader))
    rows = [
        (line, row) for line, row in enumerate(reader, start=2) if any(cell.strip() for cell in row)
    ]
    with uow_factory() as uow:
        start = uow.imports.get(job_id).rows_done
    for offset in range(start, len(rows), CHUNK):
        with uow_factory() as uow:
            job = uow.imports.get(job_id)
            if job is None or job.status != "running":
                return  # cancelled meanwhile
            _chunk(uow, job, columns, rows[offset : offset + CHUNK], definitions)
            job.rows_done = min(offset + CHUNK, len(rows))
            job.heartbeat_at = datetime.now(UTC)
            uow.imports.save(job)
            uow.commit()
    with uow_factory() as uow:
        job = uow.imports.get(job_id)
        if job.status == "running":
            job.status = "completed"
            job.finished_at = datetime.now(UTC)
            uow.imports.save(job)
            uow.imports.drop_file(job.id)
            uow.commit()


def _chunk(uow, job: ImportJob, columns, rows, definitions) -> None:
    parsed: list[tuple[int, Customer]] = []
    for line, values in rows:
        try:
            profile = row_to_profile(columns, values)
            if "attributes" in profile:
                raw = profile["attributes"]
                unknown = sorted(set(raw) - set(definitions))
                if unknown:
                    raise InvalidValue(f"undefined custom attributes: {', '.join(unknown)}")
                profile["attributes"] = validate_attributes(
                    {k: _attribute_value(definitions[k], v) for k, v in raw.items()},
                    definitions,
                    creating=False,
                )
            profile.setdefault("owner_team", job.owner_team)
            customer = Customer.create(created_by=job.created_by, **profile)
            parsed.append((line, customer))
        except (DomainError, KeyError, ValueError, TypeError) as exc:
            job.fail_row(line, str(exc))
    emails = sorted({e.address for _, c in parsed for e in c.emails})
    phones = sorted({p.number for _, c in parsed for p in c.phones})
    by_email = uow.customers.contact_point_owners("email", emails)
    by_phone = uow.customers.contact_point_owners("phone", phones)
    seen_in_file: dict[str, str] = {}
    to_insert: list[Customer] = []
    updated: list[Customer] = []
    for line, customer in parsed:
        keys = [f"e:{e.address}" for e in customer.emails] + [
            f"p:{p.number}" for p in customer.phones
        ]
        match = next(
            (by_email.get(e.address) for e in customer.emails if by_email.get(e.address)), None
        ) or next((by_phone.get(p.number) for p in customer.phones if by_phone.get(p.number)), None)
        in_file = next((seen_in_file[k] for k in keys if k in seen_in_file), None)
        if job.policy != "create" and (match or in_file):
            if job.policy == "skip" or in_file:
                job.skipped += 1
                customer.pull_events()
                continue
            existing = uow.customers.get(match)
            changes = {k: v for k, v in _changes_from(customer).items() if v not in (None, [], {})}
            if "address" in changes:
                changes["address"] = {**existing.address.as_dict(), **changes["address"]}
            customer.pull_events()
            try:
                if existing.is_active and existing.update(changes):
                    uow.customers.save(existing)
                    updated.append(existing)
                job.updated += 1
            except DomainError as exc:
                job.fail_row(line, str(exc))
            continue
        for key in keys:
            seen_in_file[key] = customer.id
        to_insert.append(customer)
    uow.customers.add_many(to_insert)
    refresh_memberships_many(uow, to_insert, fresh=True)
    refresh_memberships_many(uow, updated)
    job.created += len(to_insert)


def _changes_from(customer: Customer) -> dict:
    return {
        "name": customer.name,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "job_title": customer.job_title,
        "industry": customer.industry,
        "size": customer.size,
        "source": customer.source,
        "lifecycle_stage": customer.lifecycle_stage,
        "address": {k: v for k, v in customer.address.as_dict().items() if v} or None,
    }
