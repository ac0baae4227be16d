"""The versioned schema, created and upgraded by the program itself.

The guarantees live in SQL so that no writer (another version, a script, psql) can break them:
a final status never goes back (the UPDATE is dropped), a job keeps its account, no two rows of an
account share a non-NULL ``batch_key``, and every change is announced with NOTIFY.

``batch_key`` is the job's ``batch_key`` field (``f"{batch_entry}#{attempt}"``, fixed when a batch
job is created): the writer fills it when it inserts a row and never updates it, so a later merge
cannot make a write fail on the index. A new job whose key is taken is refused before its POST
(``add``: BatchKeyTaken); a row written otherwise (a flush of a job already sent, ``store copy``)
whose key another row holds is stored with the column NULL, as are jobs without a key (single
submissions, jobs written before keys existed, every row written by version 1's writer). Lookups by
entry use the non-unique ``batch_entry`` column (version 2). The indexed columns are copies of
document fields made by the writer: PostgreSQL cannot read a json value holding a NUL character
(``\u0000``, which prompts and replies may contain), so SQL never parses ``doc``; it is kept verbatim.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
import psycopg

from seedance_tui.store.errors import StoreError
from seedance_tui.store.history import summary_fields

#: The version this program writes; a database at a newer one is refused.
SCHEMA_VERSION = 2
#: Channel of the change announcements; each payload is up to 200 changed local ids, comma-separated.
CHANNEL = "seedance_jobs"
#: Two processes upgrading at once take turns on this transaction-scoped advisory lock.
_MIGRATION_LOCK = 0x5EED_0001

_V1 = """
CREATE TABLE seedance_schema (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version integer NOT NULL
);
CREATE FUNCTION seedance_is_final(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT status IN ('succeeded', 'failed', 'cancelled', 'rejected', 'not_found') $$;
CREATE TABLE seedance_jobs (
    local_id text PRIMARY KEY,
    account text NOT NULL,
    request_id text,
    status text NOT NULL,
    batch_key text,
    created_at double precision NOT NULL,
    updated_at double precision NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    doc json NOT NULL
);
CREATE INDEX seedance_jobs_by_account ON seedance_jobs (account, created_at DESC);
CREATE INDEX seedance_jobs_by_request_id ON seedance_jobs (account, request_id);
CREATE UNIQUE INDEX seedance_jobs_batch_key ON seedance_jobs (account, batch_key)
    WHERE batch_key IS NOT NULL;
CREATE FUNCTION seedance_jobs_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.account <> OLD.account THEN
            RAISE EXCEPTION 'job % belongs to another account', OLD.local_id
                USING ERRCODE = 'check_violation';
        END IF;
        IF seedance_is_final(OLD.status) AND NOT seedance_is_final(NEW.status) THEN
            RETURN NULL;  -- a final status never goes back: the row stays as it is
        END IF;
        NEW.version := OLD.version + 1;
    ELSE
        NEW.version := 1;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER seedance_jobs_before_write BEFORE INSERT OR UPDATE ON seedance_jobs
    FOR EACH ROW EXECUTE FUNCTION seedance_jobs_before_write();
CREATE FUNCTION seedance_jobs_announce() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    -- One notification per 200 changed ids (a payload stays far below the 8,000-byte limit).
    FOR ids IN
        SELECT string_agg(local_id, ',') FROM (
            SELECT local_id, (row_number() OVER () - 1) / 200 AS chunk FROM changed
        ) AS numbered GROUP BY chunk
    LOOP
        PERFORM pg_notify('seedance_jobs', ids);
    END LOOP;
    RETURN NULL;
END $$;
CREATE TRIGGER seedance_jobs_announce_inserts AFTER INSERT ON seedance_jobs
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION seedance_jobs_announce();
CREATE TRIGGER seedance_jobs_announce_updates AFTER UPDATE ON seedance_jobs
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION seedance_jobs_announce();
INSERT INTO seedance_schema (version) VALUES (1);
"""

# Version 2: paging the history, looking jobs up and adding up the summary without loading an
# account's every job. The batch entry (Job.batch_entry), model, credits charged and "output expired
# unsaved" get columns, filled by the writer (and below, from the documents, for rows written
# before). batch_entry is not unique: a rejected or --resend-uncertain entry is sent again, under the
# next batch_key (version 1's unique index, which only this version's writer fills).
_V2 = """
ALTER TABLE seedance_jobs ADD COLUMN batch_entry text, ADD COLUMN model text,
    ADD COLUMN credits bigint NOT NULL DEFAULT 0, ADD COLUMN expired boolean NOT NULL DEFAULT false;
CREATE INDEX seedance_jobs_by_batch_entry ON seedance_jobs (account, batch_entry)
    WHERE batch_entry IS NOT NULL;
CREATE INDEX seedance_jobs_history ON seedance_jobs (account, created_at DESC, local_id DESC);
DROP INDEX seedance_jobs_by_account;
CREATE INDEX seedance_jobs_unfinished ON seedance_jobs (account, created_at DESC)
    WHERE status NOT IN ('succeeded', 'failed', 'cancelled', 'rejected', 'not_found');
CREATE INDEX seedance_jobs_by_update ON seedance_jobs (account, updated_at);
"""

#: MIGRATIONS[n] takes a database from version n - 1 to n.
MIGRATIONS: dict[int, str] = {1: _V1, 2: _V2}

Notice = Callable[[str], None]


def schema_version(conn: psycopg.Connection) -> int:
    """The database's schema version (0 when the store was never created there)."""
    # Read pg_class with this statement's snapshot, not to_regclass: after waiting on the migration
    # lock, to_regclass could still answer from this session's cached "no such table" and the
    # second of two processes creating the schema at once failed with "already exists".
    row = conn.execute(
        "SELECT EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace WHERE c.relname = 'seedance_schema' "
        "AND n.nspname = ANY (current_schemas(false)))"
    ).fetchone()
    if not row or not row[0]:
        return 0
    found = conn.execute("SELECT version FROM seedance_schema").fetchone()
    return int(found[0]) if found else 0


def check_version(version: int, where: str) -> None:
    """Refuse a database whose schema is newer than this program."""
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The job store at {where} has schema version {version}, newer than this seedance-tui "
            f"understands ({SCHEMA_VERSION}). Upgrade seedance-tui on this machine; nothing was changed."
        )


def migrate(conn: psycopg.Connection, where: str, notice: Notice) -> tuple[int, int]:
    """Bring the schema up to SCHEMA_VERSION; return (version before, version now)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        before = schema_version(conn)
        check_version(before, where)
        if before == 0:
            notice(f"Creating the job store schema version {SCHEMA_VERSION} in {where}.")
        elif before < SCHEMA_VERSION:
            notice(f"Upgrading the job store schema from version {before} to {SCHEMA_VERSION} in {where}.")
        for target in range(before + 1, SCHEMA_VERSION + 1):
            conn.execute(MIGRATIONS[target].encode())
            if target == 2 and before >= 1:
                _fill_new_columns(conn)
        if before < SCHEMA_VERSION:
            conn.execute("UPDATE seedance_schema SET version = %s", (SCHEMA_VERSION,))
    return before, SCHEMA_VERSION


def _fill_new_columns(conn: psycopg.Connection) -> None:
    """Fill version 2's columns from each stored document (Python reads them: SQL never parses
    ``doc``, see above), a thousand rows at a time."""
    with conn.cursor(name="seedance_fill") as rows:
        rows.execute("SELECT local_id, doc::text FROM seedance_jobs")
        while chunk := rows.fetchmany(1_000):
            docs = [(local_id, orjson.loads(text)) for local_id, text in chunk]
            docs = [(local_id, doc) for local_id, doc in docs if isinstance(doc, dict)]
            fields = [summary_fields(doc) for _local_id, doc in docs]
            entries = [doc.get("batch_entry") for _local_id, doc in docs]
            conn.execute(
                "UPDATE seedance_jobs SET batch_entry = e, model = m, credits = n, expired = x "
                "FROM unnest(%s::text[], %s::text[], %s::text[], %s::int8[], %s::bool[]) AS t(l, e, m, n, x) "
                "WHERE local_id = l",
                (
                    [local_id for local_id, _doc in docs],
                    [entry if isinstance(entry, str) else None for entry in entries],
                    [model for model, _credits, _expired in fields],
                    [credits for _model, credits, _expired in fields],
                    [expired for _model, _credits, expired in fields],
                ),
            )
