"""deploy/postgres/init-databases.sh against a real PostgreSQL server: one database and one role
per service, each role confined to its own database, safe to run again."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from deploy_checks import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.postgres]

SCRIPT = ROOT / "deploy" / "postgres" / "init-databases.sh"


def run_script(dsn: str, prefix: str, passwords: dict[str, str]) -> str:
    parts = urlsplit(dsn)
    env = {
        "PATH": os.environ["PATH"],
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "POSTGRES_USER": parts.username or "postgres",
        "POSTGRES_DB": parts.path.lstrip("/") or "postgres",
        "MMS_DB_PREFIX": prefix,
        "MMS_DATABASES": " ".join(passwords),
    }
    if parts.password:
        env["PGPASSWORD"] = parts.password
    for service, password in passwords.items():
        env[f"MMS_{service.upper()}_DB_PASSWORD"] = password
    result = subprocess.run(
        ["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def connect_as(dsn: str, role: str, database: str):
    parts = urlsplit(dsn)
    return psycopg.connect(
        host=parts.hostname, port=parts.port, user=role, dbname=database, autocommit=True
    )


def test_a_database_and_a_confined_role_per_service(postgres_dsn):
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    prefix = f"t{uuid.uuid4().hex[:8]}_"
    passwords = {"customer": "pw-1", "sales": "pw-'quoted\"-2"}
    names = [prefix + service for service in passwords]
    try:
        out = run_script(postgres_dsn, prefix, passwords)
        assert all(f"database and role {name} ready" in out for name in names)
        run_script(postgres_dsn, prefix, passwords)  # again: nothing breaks, nothing duplicates

        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            owners = dict(
                admin.execute(
                    "SELECT d.datname, r.rolname FROM pg_database d "
                    "JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = ANY(%s)",
                    [names],
                ).fetchall()
            )
            assert owners == {name: name for name in names}
            flags = admin.execute(
                "SELECT rolsuper, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles "
                "WHERE rolname = ANY(%s)",
                [names],
            ).fetchall()
            assert flags == [(False, False, False, True)] * 2
        customer, sales = names
        with connect_as(postgres_dsn, customer, customer) as own:
            own.execute("CREATE TABLE probe (id int)")  # owns its database's public schema
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            connect_as(postgres_dsn, customer, sales).close()
    finally:
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.execute(f'DROP ROLE IF EXISTS "{name}"')


def test_a_missing_password_stops_the_script(postgres_dsn):
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": os.environ["PATH"], "MMS_DATABASES": "customer"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "MMS_CUSTOMER_DB_PASSWORD" in result.stderr
