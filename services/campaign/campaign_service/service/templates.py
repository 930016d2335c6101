"""Template use cases: write, change, archive and preview message templates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from campaign_service.adapters import tables as t
from campaign_service.domain.errors import NotFound
from campaign_service.domain.rendering import SAMPLE_CONTEXT, CompiledContent
from campaign_service.domain.templates import Template
from servicekit.etag import check_version
from servicekit.identity import Identity


def create_template(uow, actor: Identity, data: dict[str, Any]) -> Template:
    template = Template.create(created_by=actor.subject, **data)
    uow.templates.add(template)
    uow.commit()
    return template


def update_template(
    uow, template_id: str, expected_version: int | None, changes: dict[str, Any]
) -> Template:
    template = uow.templates.get(template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    if expected_version is not None:
        check_version(template.version, expected_version)
    if template.update(changes):
        uow.templates.save(template)
    uow.commit()
    return template


def archive_template(uow, template_id: str) -> Template:
    template = uow.templates.get(template_id)
    if template is None:
        raise NotFound(f"no template {template_id}")
    template.archive()
    uow.templates.save(template)
    uow.commit()
    return template


def customer_values(session, customer_id: str) -> dict[str, Any] | None:
    """Template variables for one replicated customer (None if unknown)."""
    c = t.customers.c
    company = t.customers.alias("company")
    row = session.execute(
        select(
            c.first_name,
            c.last_name,
            c.name,
            c.job_title,
            c.email,
            c.country,
            c.city,
            c.language,
            c.attributes,
            company.c.name.label("company"),
        )
        .select_from(t.customers.outerjoin(company, company.c.id == c.company_id))
        .where(c.id == customer_id, c.status == "active")
    ).first()
    return dict(row._mapping) if row else None


def preview(
    session, template: Template, customer_id: str | None, variables: dict[str, Any]
) -> dict[str, Any]:
    """Render a template for a sample recipient, or for a given customer, plus overrides."""
    if customer_id:
        values = customer_values(session, customer_id)
        if values is None:
            raise NotFound(f"no customer {customer_id} in the campaign service's replica")
        values = {
            **values,
            "coupon_code": SAMPLE_CONTEXT["coupon_code"],
            "campaign_name": SAMPLE_CONTEXT["campaign_name"],
            "unsubscribe_url": SAMPLE_CONTEXT["unsubscribe_url"],
            "survey_url": SAMPLE_CONTEXT["survey_url"],
        }
    else:
        values = dict(SAMPLE_CONTEXT)
    values.update(variables or {})
    compiled = CompiledContent(
        subject=template.subject,
        text=template.text,
        html=template.html,
        preheader=template.preheader,
        defaults=template.defaults,
    )
    rendered = compiled.render(values)
    return {
        "subject": rendered.subject,
        "preheader": rendered.preheader,
        "text": rendered.text,
        "html": rendered.html,
        "customer_id": customer_id,
        "adds_unsubscribe_footer": not compiled.uses_unsubscribe,
    }
