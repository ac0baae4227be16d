"""Everything the simulator remembers: tasks per key, counters, faults, webhook attempts."""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from seedance_tui.models import (
    CANCELLABLE_STATUSES,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    GenerationRequest,
    JobStatus,
)
from seedance_tui.sim.config import SimConfig, check_fault_fields
from seedance_tui.sim.pricing import credits_for
from seedance_tui.sim.tasks import FAILURES, SimTask

T = TypeVar("T")
Clock = Callable[[], float]

#: Webhook attempts remembered for inspection (older ones are forgotten).
MAX_WEBHOOK_LOG = 1000


class TaskNotFound(LookupError):
    """No task with this id for this key."""


class TaskAlreadyFinal(Exception):
    """The task cannot be cancelled: it already reached ``status``."""

    def __init__(self, request_id: str, status: str) -> None:
        super().__init__(f"Task {request_id} is already {status}")
        self.status = status


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST to a webhook receiver and how it went."""

    request_id: str
    url: str
    attempt: int
    status: str
    status_code: int | None = None
    error: str | None = None


class SimState:
    """The simulator's memory, safe to use from the server's loop and from test threads alike."""

    def __init__(self, config: SimConfig, clock: Clock = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._config = config
        self.clock = clock
        self._task_rng = random.Random(config.seed)
        self._fault_rng = random.Random(None if config.seed is None else f"{config.seed}:faults")
        self._tasks: OrderedDict[str, SimTask] = OrderedDict()
        self._webhook_pending: set[str] = set()
        self._counts: Counter[str] = Counter()
        self._faults: Counter[str] = Counter()
        self.webhook_attempts: deque[WebhookAttempt] = deque(maxlen=MAX_WEBHOOK_LOG)
        #: Called (from any thread) when a webhook may have become due earlier than planned.
        self.on_change: Callable[[], None] | None = None

    @property
    def config(self) -> SimConfig:
        return self._config

    def set_faults(self, **changes: Any) -> SimConfig:
        """Change fault fields at once; ValueError (nothing changed) on an unknown field or bad value."""
        check_fault_fields(changes)
        with self._lock:
            self._config = dataclasses.replace(self._config, **changes)
            return self._config

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``, from the fault generator."""
        if rate <= 0:
            return False
        with self._lock:
            return self._fault_rng.random() < rate

    def pick(self, options: Sequence[T]) -> T:
        """One of ``options``, from the fault generator."""
        with self._lock:
            return self._fault_rng.choice(options)

    def count(self, name: str) -> None:
        """Add one to the counter ``name`` (shown by ``stats``)."""
        with self._lock:
            self._counts[name] += 1

    def count_fault(self, kind: str) -> None:
        """Record that a fault of ``kind`` was injected."""
        with self._lock:
            self._faults[kind] += 1

    def submit(self, api_key: str, request: GenerationRequest, base_url: str) -> SimTask:
        """Accept a valid request: draw its timeline and fate, charge it, remember it."""
        payload = request.to_payload()
        payload.setdefault("aspectRatio", DEFAULT_ASPECT_RATIO)
        payload.setdefault("duration", DEFAULT_DURATION)
        payload.setdefault("resolution", DEFAULT_RESOLUTION)
        with self._lock:
            config, rng, now = self._config, self._task_rng, self.clock()
            queued = rng.uniform(0.5, 1.5) * config.queue_seconds / config.speed
            processing = rng.uniform(0.5, 1.5) * config.process_seconds / config.speed
            failure = rng.choice(FAILURES) if rng.random() < config.failure_rate else None
            task = SimTask(
                request_id=self._new_request_id(),
                api_key=api_key,
                payload=payload,
                credits_charged=credits_for(request.model, payload["duration"], payload["resolution"]),
                base_url=base_url,
                created_at=now,
                processing_at=now + queued,
                finished_at=now + queued + processing,
                failure=failure,
            )
            self._tasks[task.request_id] = task
            if task.webhook_url:
                self._webhook_pending.add(task.request_id)
            while len(self._tasks) > config.max_tasks:
                forgotten, _ = self._tasks.popitem(last=False)
                self._webhook_pending.discard(forgotten)
            self._counts["tasks_created"] += 1
        if task.webhook_url:
            self.wake()
        return task

    def _new_request_id(self) -> str:
        while True:
            request_id = f"req_{self._task_rng.getrandbits(64):016x}"
            if request_id not in self._tasks:
                return request_id

    def find(self, api_key: str, request_id: str) -> SimTask:
        """The task ``request_id`` if ``api_key`` owns it, else TaskNotFound."""
        with self._lock:
            task = self._tasks.get(request_id)
        if task is None or task.api_key != api_key:
            raise TaskNotFound(request_id)
        return task

    def cancel(self, api_key: str, request_id: str) -> SimTask:
        """Cancel a queued or processing task; TaskNotFound or TaskAlreadyFinal otherwise."""
        with self._lock:
            task = self._tasks.get(request_id)
            if task is None or task.api_key != api_key:
                raise TaskNotFound(request_id)
            now = self.clock()
            status = task.status_at(now)
            if status not in CANCELLABLE_STATUSES:
                raise TaskAlreadyFinal(request_id, status)
            task.cancelled_at = now
        if task.webhook_url:
            self.wake()
        return task

    def export_tasks(self) -> list[SimTask]:
        """Copies of every remembered task, oldest first (for saving the demo's state)."""
        with self._lock:
            return [dataclasses.replace(task) for task in self._tasks.values()]

    def restore_tasks(self, tasks: Sequence[SimTask]) -> None:
        """Remember saved tasks again (a restarted demo)."""
        with self._lock:
            for task in tasks:
                self._tasks[task.request_id] = task

    def rebase(self, base_url: str) -> None:
        """Serve every remembered task's output from ``base_url`` (the demo came back on a new port)."""
        with self._lock:
            for task in self._tasks.values():
                task.base_url = base_url

    def reply(self, task: SimTask) -> dict[str, Any]:
        """The task's GET reply now."""
        with self._lock:
            return task.reply(self.clock())

    def succeeded_task(self, request_id: str) -> SimTask | None:
        """The task ``request_id`` if it succeeded (any key: files need no auth); counts the fetch."""
        with self._lock:
            task = self._tasks.get(request_id)
            if task is None or task.status_at(self.clock()) != JobStatus.SUCCEEDED:
                return None
            self._counts["video_gets"] += 1
            return task

    def next_webhook_due(self) -> float | None:
        """Clock time at which the next pending webhook becomes due (None when none is pending)."""
        with self._lock:
            return min((self._tasks[rid].final_at() for rid in self._webhook_pending), default=None)

    def take_due_webhooks(self) -> list[tuple[SimTask, dict[str, Any]]]:
        """Tasks whose webhook is due now, with the body to send; each is handed out only once."""
        with self._lock:
            now = self.clock()
            due = [self._tasks[rid] for rid in self._webhook_pending if self._tasks[rid].final_at() <= now]
            for task in due:
                self._webhook_pending.discard(task.request_id)
            return [(task, task.reply(now)) for task in due]

    def record_webhook(self, attempt: WebhookAttempt) -> None:
        """Remember one delivery attempt and count it."""
        with self._lock:
            self.webhook_attempts.append(attempt)
            self._counts["webhook_attempts"] += 1
            if attempt.status == "delivered":
                self._counts["webhooks_sent"] += 1
            elif attempt.status == "gave_up":
                self._counts["webhooks_failed"] += 1

    def wake(self) -> None:
        """Tell the webhook dispatcher to look again (e.g. after a test moved its clock)."""
        callback = self.on_change
        if callback is not None:
            callback()

    def stats(self) -> dict[str, Any]:
        """Counters for ``/_sim/stats``."""
        names = ("submits_received", "tasks_created", "gets", "cancels", "webhooks_sent", "video_gets")
        with self._lock:
            stats: dict[str, Any] = {name: self._counts[name] for name in names}
            stats["faults_injected"] = dict(self._faults)
            stats["webhook_attempts"] = self._counts["webhook_attempts"]
            stats["webhooks_failed"] = self._counts["webhooks_failed"]
            stats["tasks_kept"] = len(self._tasks)
            return stats

    def tasks(self) -> list[dict[str, Any]]:
        """Every remembered task with its status now, for ``/_sim/tasks``."""
        with self._lock:
            now = self.clock()
            return [
                {
                    "requestId": task.request_id,
                    "status": str(task.status_at(now)),
                    "model": task.payload["model"],
                    "prompt": task.payload["prompt"],
                    "duration": task.payload["duration"],
                    "resolution": task.payload["resolution"],
                    "creditsCharged": task.credits_charged,
                    "webhookUrl": task.webhook_url,
                    "metadata": task.payload.get("metadata"),
                }
                for task in self._tasks.values()
            ]
