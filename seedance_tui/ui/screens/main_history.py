"""The main screen's reach into the store's history (jobs not held in memory): the next page when
the table is scrolled to its end, everything when a search, filter, sort or export needs it.
Reading runs in worker threads; the screen says where the rows came from and what they cost."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work

from seedance_tui.service import ArchivedRead, StoreError
from seedance_tui.ui.screens.archive_text import archive_loaded_message, older_page_message
from seedance_tui.ui.screens.main_many import ManyJobsScreen
from seedance_tui.ui.widgets.job_table import JobTable


class HistoryScreen(ManyJobsScreen):
    """Base of the main screen: paging older jobs into the table."""

    def __init__(self) -> None:
        super().__init__()
        #: The whole history is read once, when a search, filter, sort or export first needs it.
        self._archive_asked = False
        #: A page of older jobs is being read (scrolling to the end asks for the next one).
        self._paging = False

    def action_export_view(self) -> None:
        """Export once the archive is in the table, so the view's archived rows are exported too."""
        if self._archive_asked:
            super().action_export_view()
        else:
            self._read_archive_once(then=super().action_export_view)

    def _read_archive_once(self, then: Callable[[], None] | None = None) -> None:
        if not self._archive_asked:
            self._archive_asked = True
            self._read_archive(then)

    @work(thread=True, group="archive", exit_on_error=False)
    def _read_archive(self, then: Callable[[], None] | None) -> None:
        try:
            read = self.service.read_archive()
        except StoreError as exc:
            self.app.call_from_thread(self._archive_failed, exc)
            return
        self.app.call_from_thread(self._show_archive, read, then)

    def _show_archive(self, read: ArchivedRead, then: Callable[[], None] | None) -> None:
        self._archive_notices(read)
        if read.added:
            # The store's own version of a job wins (a job looked up in the history may be back in it).
            self.query_one(JobTable).load(read.jobs + self.service.jobs())
            self.notify(archive_loaded_message(read), title="Archive", markup=False)
        if then is not None:
            then()

    @on(JobTable.ReachedEnd)
    def _page_in_older(self) -> None:
        """The end of the table is in view: read the next page of older jobs in a worker."""
        if not self._paging and not self.service.history_complete:
            self._paging = True
            self._read_older_page()

    @work(thread=True, group="archive-page", exit_on_error=False)
    def _read_older_page(self) -> None:
        try:
            read = self.service.older_jobs()
        except StoreError as exc:
            self.app.call_from_thread(self._archive_failed, exc)
            return
        self.app.call_from_thread(self._show_older, read)

    def _show_older(self, read: ArchivedRead) -> None:
        self._paging = False
        self._archive_notices(read)
        if read.added:
            self.query_one(JobTable).extend(read.jobs[-read.added :])
            self.notify(older_page_message(read), title="Archive", markup=False)

    def _archive_notices(self, read: ArchivedRead) -> None:
        for notice in read.notices:
            self.notify(str(notice), title="Archive", severity="error", timeout=30, markup=False)

    def _archive_failed(self, error: StoreError) -> None:
        self._paging = self._archive_asked = False  # the next scroll or search tries again
        self.notify(f"Older jobs could not be read: {error}", title="Archive", severity="error", markup=False)
