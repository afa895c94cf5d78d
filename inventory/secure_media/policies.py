"""Sanitization policies: which methods and techniques are allowed for each classification level and
media type. Kept in a table, changed by compliance officers, each change an entry in the audit chain."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from inventory.audit import log as audit
from inventory.persistence import write_transaction
from inventory.secure_media.rules import (
    ANY_MEDIA,
    Policy,
    SanitizationMethod,
    Technique,
    check_policy_definition,
    policy_for,
)
from inventory.secure_media.tables import SanitizationPolicy

POLICY_SET = "sanitization_policy.set"


@dataclass(frozen=True, slots=True)
class PolicyView:
    policy: Policy
    updated_at: datetime
    updated_by: str


async def list_policies() -> list[PolicyView]:
    """Every policy, by classification level then media type (``*`` last)."""
    rows = await SanitizationPolicy.select().order_by(SanitizationPolicy.classification_level)
    views = [PolicyView(_policy(row), row["updated_at"], row["updated_by"]) for row in rows]
    return sorted(
        views,
        key=lambda view: (
            view.policy.classification_level,
            view.policy.media_type == ANY_MEDIA,
            view.policy.media_type,
        ),
    )


async def policy_of(classification_level: str, media_type: str) -> Policy | None:
    """The policy that applies to media of this level and type (`rules.policy_for`), or None."""
    rows = await SanitizationPolicy.select().where(
        (SanitizationPolicy.classification_level == classification_level)
        & SanitizationPolicy.media_type.is_in([media_type, ANY_MEDIA])
    )
    return policy_for(classification_level, media_type, [_policy(row) for row in rows])


async def set_policy(
    *,
    classification_level: str,
    media_type: str,
    methods: list[str],
    techniques: list[str],
    note: str,
    actor: str,
    now: datetime,
) -> PolicyView:
    """Create or replace the policy of one classification level and media type (``*``: every media type
    of the level without its own), and record the change in the audit chain.

    Raises:
        InvalidRequest: no method, a technique of none of the methods, or no media type.
    """
    policy = check_policy_definition(classification_level, media_type, methods, techniques)
    values = {
        SanitizationPolicy.methods: json.dumps(sorted(policy.methods)),
        SanitizationPolicy.techniques: json.dumps(sorted(policy.techniques)),
        SanitizationPolicy.note: note,
        SanitizationPolicy.updated_at: now,
        SanitizationPolicy.updated_by: actor,
    }
    async with write_transaction():
        exists = await SanitizationPolicy.exists().where(SanitizationPolicy.name == policy.name)
        if exists:
            await SanitizationPolicy.update(values).where(SanitizationPolicy.name == policy.name)
        else:
            await SanitizationPolicy.insert(
                SanitizationPolicy(
                    name=policy.name,
                    classification_level=classification_level,
                    media_type=media_type,
                    **{column._meta.name: value for column, value in values.items()},
                )
            )
        await audit.append(
            POLICY_SET,
            f"sanitization_policy:{policy.name}",
            {
                "classification_level": classification_level,
                "media_type": media_type,
                "methods": sorted(policy.methods),
                "techniques": sorted(policy.techniques),
                "note": note,
            },
            actor=actor,
            at=now,
        )
    return PolicyView(
        Policy(policy.name, classification_level, media_type, policy.methods, policy.techniques, note),
        now,
        actor,
    )


def _policy(row: dict) -> Policy:
    return Policy(
        row["name"],
        row["classification_level"],
        row["media_type"],
        frozenset(SanitizationMethod(method) for method in json.loads(row["methods"])),
        frozenset(Technique(technique) for technique in json.loads(row["techniques"])),
        row["note"],
    )
