"""What only the PostgreSQL store does: guarantees in SQL, accounts, NOTIFY, schema versions, faults."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import orjson
import psycopg
import pytest

from seedance_tui.models import GenerationRequest, Job, JobStatus
from seedance_tui.store.account import account_fingerprint
from seedance_tui.store.errors import BatchKeyTaken, StoreError
from seedance_tui.store.location import mask_url, parse_store_url
from seedance_tui.store.opening import open_store_url
from seedance_tui.store.postgres import PostgresJobStore
from tests.pg_fixtures import SUPERUSER_PASSWORD, PgCluster

KEY = "sd2_postgres_key_0123456789"
OTHER_KEY = "sd2_another_account_key_987"


def quiet(message: str) -> None:
    """Swallow the first-use schema message."""


def job(n: int = 0) -> Job:
    return Job.new(GenerationRequest(model="seedance-2.0", prompt=f"shot {n}"))


def open_pg(url: str, key: str = KEY) -> PostgresJobStore:
    store = open_store_url(url, api_key=key, notice=quiet)
    assert isinstance(store, PostgresJobStore)
    return store


def test_sql_itself_refuses_to_take_a_final_status_back(pg_url: str) -> None:
    with open_pg(pg_url) as store:
        done = job()
        done.set_status(JobStatus.SUCCEEDED)
        store.add(done)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE seedance_jobs SET status = 'processing' WHERE local_id = %s", (done.local_id,))
        row = conn.execute(
            "SELECT status FROM seedance_jobs WHERE local_id = %s", (done.local_id,)
        ).fetchone()
        assert row == ("succeeded",)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("UPDATE seedance_jobs SET account = 'someone else'")


def test_batch_keys_are_unique_per_account(pg_url: str) -> None:
    with open_pg(pg_url) as store:
        store.add(job())
    insert = (
        "INSERT INTO seedance_jobs (local_id, account, status, batch_key, created_at, updated_at, doc) "
        "VALUES (%s, %s, 'queued', 'batch-1', 0, 0, '{}')"
    )
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(insert, ("a1", "acct_a"))
        conn.execute(insert, ("b1", "acct_b"))  # another account may use the same key
        with pytest.raises(psycopg.errors.UniqueViolation):
            conn.execute(insert, ("a2", "acct_a"))


def test_the_writer_fills_the_batch_key_column_once_and_sql_decides_a_race(pg_url: str) -> None:
    """The unique index applies to our rows: a job's key is in its column (written at insert, never
    updated), and a second job with the key, staged while the first one's INSERT was still open in
    another transaction, is refused once that commits (the writer looks again after the violation)."""
    with open_pg(pg_url) as store, psycopg.connect(pg_url) as other:
        first = job(1)
        first.batch_entry, first.batch_key = "e-1", "e-1#1"
        store.add(first)
        other.execute(
            "INSERT INTO seedance_jobs (local_id, account, status, batch_key, created_at, updated_at, doc) "
            "VALUES ('theirs', %s, 'submitting', 'e-2#1', 0, 0, '{}')",
            (store.account,),
        )  # not committed yet: our look sees nothing, our INSERT waits for it
        racing = job(2)
        racing.batch_entry, racing.batch_key = "e-2", "e-2#1"
        failure: list[BaseException] = []

        def add() -> None:
            try:
                store.add(racing)
            except BaseException as exc:
                failure.append(exc)

        adding = threading.Thread(target=add)
        adding.start()
        time.sleep(0.5)
        assert adding.is_alive()  # waiting on the other transaction's key
        other.commit()
        adding.join(10)
        assert [type(exc) for exc in failure] == [BatchKeyTaken] and store.get(racing.local_id) is None
        paid = job(3)
        paid.batch_entry, paid.batch_key = "e-1", "e-1#1"
        store.update(paid)  # a job already sent is written even though its key is taken
        store.flush()
        first.set_status(JobStatus.QUEUED)
        store.update(first)
        store.flush()
    with psycopg.connect(pg_url) as conn:
        columns: dict[str, str | None] = dict(
            conn.execute("SELECT local_id, batch_key FROM seedance_jobs").fetchall()
        )
    assert columns == {first.local_id: "e-1#1", "theirs": "e-2#1", paid.local_id: None}


def test_accounts_sharing_a_database_never_mix_and_no_key_is_stored(pg_url: str) -> None:
    mine, theirs = job(1), job(2)
    with open_pg(pg_url, KEY) as store:
        store.add(mine)
    with open_pg(pg_url, OTHER_KEY) as store:
        store.add(theirs)
        assert [j.local_id for j in store.all()] == [theirs.local_id]
        assert store.find(mine.local_id) is None
    with open_pg(pg_url, KEY) as store:
        assert [j.local_id for j in store.all()] == [mine.local_id]
    with psycopg.connect(pg_url) as conn:
        dump = str(conn.execute("SELECT account, doc::text FROM seedance_jobs").fetchall())
    assert KEY not in dump and OTHER_KEY not in dump and KEY[4:12] not in dump


def test_a_change_is_announced_to_other_processes_within_a_second(pg_url: str) -> None:
    writer, reader = open_pg(pg_url), open_pg(pg_url)
    try:
        woken = threading.Event()
        reader.add_change_listener(woken.set)
        new = job()
        start = time.monotonic()
        writer.add(new)
        assert woken.wait(1.0), "no NOTIFY reached the other store within 1 s"
        changed = reader.refresh()
        assert time.monotonic() - start < 1.0
        assert [j.local_id for j in changed] == [new.local_id]
        assert reader.refresh() == []  # nothing announced since: no query, nothing returned
    finally:
        writer.close()
        reader.close()


def test_the_schema_is_created_on_first_use_with_a_message_and_a_newer_one_is_refused(pg_url: str) -> None:
    said: list[str] = []
    open_store_url(pg_url, api_key=KEY, notice=said.append).close()
    assert len(said) == 1 and "schema version 2" in said[0] and SUPERUSER_PASSWORD not in said[0]
    open_store_url(pg_url, api_key=KEY, notice=said.append).close()
    assert len(said) == 1
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE seedance_schema SET version = 99")
    with pytest.raises(StoreError, match="schema version 99, newer than this seedance-tui"):
        open_pg(pg_url)


def test_processes_starting_together_on_a_new_database_create_the_schema_once(pg_url: str) -> None:
    """Two batch processes started at once on an empty database: the one that waited on the migration
    lock must see the schema the other created (to_regclass answered from a stale cache before)."""
    start, errors = threading.Barrier(4), []

    def open_one() -> None:
        start.wait()
        try:
            open_pg(pg_url).close()
        except StoreError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []


def test_wrong_password_and_missing_database_are_named_without_the_password(pg_cluster: PgCluster) -> None:
    with pytest.raises(StoreError, match="refused the login") as wrong:
        open_pg(pg_cluster.url(password="not-the-password"))
    assert "not-the-password" not in str(wrong.value) and "***" in str(wrong.value)
    with pytest.raises(StoreError, match="No such database") as missing:
        open_pg(pg_cluster.url("no_such_db"))
    assert SUPERUSER_PASSWORD not in str(missing.value)


def test_an_unreachable_server_is_named(pg_cluster: PgCluster) -> None:
    url = f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:1/postgres?connect_timeout=2"
    with pytest.raises(StoreError, match="cannot be reached") as caught:
        open_pg(url)
    assert SUPERUSER_PASSWORD not in str(caught.value)


def test_a_read_only_role_can_read_but_saving_says_why_not(pg_url: str, pg_cluster: PgCluster) -> None:
    with open_pg(pg_url) as store:
        store.add(job())
    dbname = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN CREATE ROLE viewer LOGIN PASSWORD 'view'; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO viewer")
    store = open_pg(pg_cluster.url(dbname, user="viewer", password="view"))
    try:
        assert store.read_only and len(store) == 1
        with pytest.raises(StoreError, match="read-only"):
            store.add(job())
    finally:
        store._dirty.clear()  # what the refused add left in memory
        store.close()


def test_urls_name_the_backend_and_never_show_a_password() -> None:
    assert parse_store_url("/tmp/jobs.json").path is not None
    assert str(parse_store_url("tinydb:///tmp/x/jobs.json").path) == "/tmp/x/jobs.json"
    location = parse_store_url("postgresql://alice:hunter2@db.example.com:5432/jobs")
    assert (
        location.is_postgres
        and "hunter2" not in str(location)
        and "alice:***@db.example.com" in str(location)
    )
    assert mask_url("host=db password=hunter2 user=a") == "host=db password=*** user=a"
    with pytest.raises(StoreError, match="Unknown store URL scheme"):
        parse_store_url("mysql://a:b@c/d")


def test_a_restarted_database_loses_nothing_and_refuses_unrecorded_submissions(
    own_cluster: PgCluster,
) -> None:
    url = own_cluster.url()
    store, other = open_pg(url), open_pg(url)
    try:
        first = job(1)
        store.add(first)
        own_cluster.stop()
        first.set_status(JobStatus.QUEUED)
        first.request_id = "req_learned_while_down"
        store.update(first)
        with pytest.raises(StoreError, match="cannot be reached"):
            store.flush()
        assert store.has_unsaved  # kept in memory
        with pytest.raises(StoreError):
            store.add(job(2))  # a submission whose row cannot be committed must not be sent
        own_cluster.start()
        deadline = time.monotonic() + 20
        while True:
            try:
                store.flush()
                break
            except StoreError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert not store.has_unsaved
        # The other process reconnects its listener and catches up with what it missed.
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(StoreError):
                other.refresh()
            found = other.get(first.local_id)
            if found is not None and found.request_id == "req_learned_while_down":
                break
            assert time.monotonic() < deadline, "the other store never caught up"
            time.sleep(0.1)
    finally:
        store.close()
        other.close()
    with open_pg(url) as again:
        stored = {j.local_id: j for j in again.all()}
        assert stored[first.local_id].request_id == "req_learned_while_down"


def test_a_version_1_database_is_upgraded_and_its_batch_entries_found_in_sql(pg_url: str) -> None:
    from seedance_tui.store.postgres.schema import MIGRATIONS

    old = job(1)
    old.batch_entry, old.credits_charged = "entry-from-v1", 40
    old.set_status(JobStatus.SUCCEEDED, 1_700_000_000.0)
    old.created_at = 1_600_000_000.0
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(MIGRATIONS[1].encode())
        conn.execute(
            "INSERT INTO seedance_jobs (local_id, account, status, created_at, updated_at, doc) "
            "VALUES (%s, %s, 'succeeded', %s, %s, %s::json)",
            (
                old.local_id,
                account_fingerprint(KEY),
                old.created_at,
                old.updated_at,
                orjson.dumps(old.to_dict()).decode(),
            ),
        )
    said: list[str] = []
    store = open_store_url(pg_url, api_key=KEY, notice=said.append, recent_days=30)
    with contextlib.closing(store):
        assert said == [f"Upgrading the job store schema from version 1 to 2 in {mask_url(pg_url)}."]
        assert store.all() == []  # finished long ago: left to the history
        assert store.history().with_batch_entries({"entry-from-v1"}) == [old]
        totals = store.history().totals()  # from the columns filled by the upgrade
        assert totals.jobs == 1 and totals.models["seedance-2.0"].credits == 40


def test_start_up_loads_unfinished_and_recent_jobs_and_refresh_keeps_old_ones_out(pg_url: str) -> None:
    busy, recent, old = job(1), job(2), job(3)
    recent.set_status(JobStatus.SUCCEEDED)
    old.set_status(JobStatus.FAILED, 1_700_000_000.0)
    old.created_at = 1_600_000_000.0
    with open_pg(pg_url) as writer:
        writer.put_documents([busy.to_dict(), recent.to_dict(), old.to_dict()])
    reader = open_store_url(pg_url, api_key=KEY, notice=quiet, recent_days=30)
    try:
        assert reader.held_ids() == {busy.local_id, recent.local_id}
        copied = job(4)
        copied.set_status(JobStatus.CANCELLED, 1_700_000_100.0)
        arriving = job(5)
        with open_pg(pg_url) as writer:
            writer.put_documents([copied.to_dict(), arriving.to_dict()])  # as `store copy` would
        wait_until(lambda: arriving.local_id in {j.local_id for j in reader.refresh()} or None)
        assert copied.local_id not in reader.held_ids()  # an old job copied in stays in the history
        assert [j.local_id for j in reader.history().find(copied.local_id)] == [copied.local_id]
    finally:
        reader.close()


def wait_until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
