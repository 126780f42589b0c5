"""PostgreSQL roles: an owner that migrates, and the app's role that may only add to and read
the audit tables (docs/security.md).

``grant_app_role`` runs as the owner after every migration (``ldntrial serve`` and ``ldntrial
migrate`` do it when ``$LDNTRIAL_OWNER_DATABASE_URL`` is set; the test suite does it for its test
database). The app role may read and write the other tables, add to and read the audit events,
and move chain heads (whose triggers allow forward moves only); it may not UPDATE, DELETE or
TRUNCATE the audit events, TRUNCATE anything, or change the schema (it owns nothing, so it
cannot drop the triggers).
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

AUDIT_EVENTS = "audit_auditevent"
CHAIN_HEADS = "audit_chainhead"


def grant_statements(app_role: str) -> list[Any]:
    role = sql.Identifier(app_role)
    return [
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(role),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            role
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role),
        sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
            sql.Identifier(AUDIT_EVENTS), role
        ),
        sql.SQL("REVOKE DELETE, TRUNCATE ON {} FROM {}").format(sql.Identifier(CHAIN_HEADS), role),
    ]


def grant_app_role(connection: Any, app_role: str) -> None:
    """Give ``app_role`` exactly the rights above on every table (run as the owner)."""
    with connection.cursor() as cursor:
        for statement in grant_statements(app_role):
            cursor.execute(statement.as_string(cursor.connection))
