"""Demo users and an API key for ``make run`` (idempotent).

Every role gets a user: two sales reps in team "east" and one in "west", the manager of "east",
a marketer, a support agent in "support-1" and an analyst, all with one printed demo password.
One demo API key (read-only CRM scopes) is written to var/secrets/demo_api_key.
"""

from __future__ import annotations

from gateway.apikeys import new_api_key
from gateway.runtime import GatewayRuntime
from servicekit.config import env_str, var_dir

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the local demo on purpose
TEAMS = {
    "east": "Sales team East",
    "west": "Sales team West",
    "support-1": "First-level support",
}
USERS = [
    ("rep.east1@demo.mms.local", "Li Na (sales rep, east)", ["sales_rep"], "east"),
    ("rep.east2@demo.mms.local", "Tom Becker (sales rep, east)", ["sales_rep"], "east"),
    ("rep.west@demo.mms.local", "Sofia Rossi (sales rep, west)", ["sales_rep"], "west"),
    ("manager.east@demo.mms.local", "Chen Wei (sales manager, east)", ["sales_manager"], "east"),
    ("marketer@demo.mms.local", "Emma Laurent (marketer)", ["marketer"], None),
    ("support@demo.mms.local", "Kenji Mori (support agent)", ["support_agent"], "support-1"),
    ("analyst@demo.mms.local", "Priya Nair (analyst)", ["analyst"], None),
]
DEMO_KEY_NAME = "Demo department tool"
DEMO_KEY_SCOPES = ["customers:read", "segments:read", "products:read", "orders:read"]


def seed(rt: GatewayRuntime) -> None:
    store = rt.store
    password = env_str("DEMO_PASSWORD", DEMO_PASSWORD)
    for name, description in TEAMS.items():
        store.ensure_team(name, description)
    created = 0
    for email, name, roles, team in USERS:
        if store.user_by_email(email) is None:
            store.create_user(
                email=email,
                name=name,
                password_hash=rt.passwords.hash(password),
                roles=roles,
                team=team,
            )
            created += 1
    key_file = var_dir() / "secrets" / "demo_api_key"
    page = store.list_api_keys(limit=200, cursor=None, include_revoked=False)
    demo_keys = [k for k in page.items if k.name == DEMO_KEY_NAME]
    if not key_file.exists() or not demo_keys:
        for stale in demo_keys:  # its plaintext is gone: replace it rather than leave it live
            store.revoke_api_key(stale.id)
        admin = next(
            (u for u in store.list_users(limit=200, cursor=None).items if "admin" in u.roles),
            None,
        )
        plaintext, prefix, key_hash = new_api_key()
        store.create_api_key(
            name=DEMO_KEY_NAME,
            description="Created by seed-demo; the key is in var/secrets/demo_api_key.",
            prefix=prefix,
            key_hash=key_hash,
            scopes=DEMO_KEY_SCOPES,
            created_by=admin.id if admin else "system",
            expires_at=None,
        )
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(plaintext + "\n")
        key_file.chmod(0o600)
    print(f"gateway: demo users ready ({created} new); password for all: {password}")
    for email, _name, roles, team in USERS:
        print(f"  {email:<32} {', '.join(roles):<16} {team or ''}")
    print(f"  demo API key ({', '.join(DEMO_KEY_SCOPES)}) in {key_file}")
