"""Roles and what each may do. README.md documents this matrix; keep them in step."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    owner = "owner"
    admin = "admin"
    agent = "agent"
    viewer = "viewer"


class Permission(StrEnum):
    read = "read"  # dashboards, inbox, reports
    converse = "converse"  # send messages, take over conversations, approve drafts
    manage_numbers = "manage_numbers"  # WhatsApp numbers and their credentials
    manage_users = "manage_users"  # create, change and remove users
    manage_owners = "manage_owners"  # grant, change or remove the owner role
    view_audit = "view_audit"
    manage_settings = "manage_settings"
    # Documents, the catalogue, courses and the FAQ answers the AI may give on its own.
    manage_knowledge = "manage_knowledge"
    # Bulk broadcasts: create, start, pause, resume, cancel and retry campaigns.
    send_campaigns = "send_campaigns"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.owner: frozenset(Permission),
    Role.admin: frozenset(
        {
            Permission.read,
            Permission.converse,
            Permission.manage_numbers,
            Permission.manage_users,
            Permission.view_audit,
            Permission.manage_settings,
            Permission.manage_knowledge,
            Permission.send_campaigns,
        }
    ),
    Role.agent: frozenset({Permission.read, Permission.converse}),
    Role.viewer: frozenset({Permission.read}),
}


def has_permission(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
