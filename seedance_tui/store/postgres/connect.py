"""How the PostgreSQL store connects: libpq's defaults plus ours, and orjson for documents."""

from __future__ import annotations

import logging

import orjson
import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from seedance_tui.store.postgres.writes import dumps

# The pool reports reconnect attempts through logging; with no handler Python would print them
# over the dashboard. The store reports those faults itself, as StoreErrors.
logging.getLogger("psycopg").addHandler(logging.NullHandler())
logging.getLogger("psycopg").propagate = False

#: Connection defaults, unless the URL says otherwise: give up connecting after 5 s, and let the
#: kernel notice a dead peer (lost network) within ~30 s instead of the default two hours.
CONNECT_DEFAULTS = {
    "connect_timeout": "5",
    "application_name": "seedance-tui",
    "keepalives": "1",
    "keepalives_idle": "10",
    "keepalives_interval": "5",
    "keepalives_count": "3",
    "tcp_user_timeout": "30000",
}


def conninfo(url: str) -> str:
    """``url`` with our connection defaults for whatever it (or libpq's PG* environment) leaves unset."""
    given = conninfo_to_dict(url)
    return make_conninfo(url, **{k: v for k, v in CONNECT_DEFAULTS.items() if k not in given})


def configure(conn: psycopg.Connection) -> None:
    """Documents go through orjson both ways: the stdlib json module is ~5x slower on jobs."""
    from psycopg.types.json import set_json_dumps, set_json_loads

    set_json_dumps(dumps, conn)
    set_json_loads(orjson.loads, conn)
