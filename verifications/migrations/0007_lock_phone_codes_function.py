"""PostgreSQL: the phone's advisory lock and the scan of its codes in one call (limits.py).

A VOLATILE PL/pgSQL function takes a new snapshot for each statement it runs, so its scan, run after
the lock is granted, sees every code committed by whoever held the lock before: what the lock and a
separate scan gave, one round trip fewer for every code sent. Other databases need no function.
When the verifications table's columns change, this function is replaced by a migration too.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION verifications_lock_phone_codes(
    lock_namespace integer, phone varchar, since timestamptz, code_kind varchar, code_client bigint
) RETURNS TABLE (created_at timestamptz, id uuid, status varchar, kind varchar, client_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_namespace, hashtext(phone));
    RETURN QUERY
        SELECT v.created_at, v.id, v.status, v.kind, v.client_id FROM verifications_verification v
        WHERE v.phone_number = phone
          AND (v.created_at > since OR (v.status = 'NEW' AND v.kind = code_kind AND v.client_id = code_client));
END
$$
"""
DROP = "DROP FUNCTION IF EXISTS verifications_lock_phone_codes(integer, varchar, timestamptz, varchar, bigint)"


def on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("verifications", "0006_client_index_is_client_phone")]

    operations = [migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP))]
