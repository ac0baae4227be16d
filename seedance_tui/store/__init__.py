"""The durable job store: the user's only record of their request ids and output URLs.

What tinydb does here, exactly: it defines the file format, ``{"jobs": {"<doc id>": {job}}}``
(so a closed store is a plain tinydb database that ``TinyDB(path)`` and its queries can read),
and its ``Storage`` interface is the extension point ``storage.BufferedOrjsonStorage`` fills in.
``JobStore.open`` builds ``TinyDB(path, storage=BufferedOrjsonStorage)`` and closes it at the end;
nothing else of tinydb runs: no ``Table``, no ``Query``, no document-id counter.

Why the rest is this project's own: tinydb's tables rewrite the whole file on every insert or
update (~8 MB at 10,000 jobs, per change), keep no journal, take no lock between processes and
never merge another process's writes. So the store keeps the parsed jobs in memory, saves a batch
of changed documents as one checksummed journal append (``journal.py``, ``journal_file.py``),
rewrites the file atomically (``atomic.py``), holds a file lock across processes, merges other
processes' changes (``merge.py``) and allocates document ids itself. Queries (the CLI's ``jobs
--status``, prefix lookups) run over the in-memory ``Job`` objects, not a tinydb ``Query``: a
tinydb table sees only what was saved, while the store's answer includes unsaved changes, and
callers want ``Job`` models, never raw documents.
"""

from seedance_tui.store.errors import BatchKeyTaken, StoreCorruptError, StoreError
from seedance_tui.store.job_store import JobStore
from seedance_tui.store.notices import StoreNotice

__all__ = ["BatchKeyTaken", "JobStore", "StoreCorruptError", "StoreError", "StoreNotice"]
