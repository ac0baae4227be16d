"""The search language: ``field:value`` terms, negation and free words, compiled once per keystroke.

Grammar (terms are separated by spaces; every term must hold)::

    query  := term*
    term   := ["-"] (field ":" values | word)
    values := value ("," value)*            any one of them
    word   := text without spaces, or "a quoted phrase"

Fields: ``status``, ``model`` (``2.0``, ``2.0-fast``, ``1.5-pro`` or the full name), ``res``
(``resolution``), ``ar`` (``aspect``), ``dur`` (``duration``: ``5``, ``>8``), ``credits`` (``>40``,
``<=10``), ``age`` (``<1h``, ``>2d``; units s m h d), ``id`` (substring of the request or local id),
``prompt`` (substring), ``meta.KEY`` (metadata value, exact). Values match case-insensitively;
status, model and resolution must be known values, so ``model:2.0`` does not match ``2.0-fast``.
Free words match as substrings of the prompt or id.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from seedance_tui.models import ASPECT_RATIOS, MODELS, RESOLUTIONS, Job, JobStatus

Predicate = Callable[[Job], bool]

#: Field names and their aliases.
FIELDS: dict[str, str] = {
    "status": "status",
    "model": "model",
    "res": "resolution",
    "resolution": "resolution",
    "ar": "aspect",
    "aspect": "aspect",
    "dur": "duration",
    "duration": "duration",
    "credits": "credits",
    "age": "age",
    "id": "id",
    "prompt": "prompt",
}
_STATUS_NAMES: dict[str, str] = {status.value: status.value for status in JobStatus} | {
    "unknown": JobStatus.OUTCOME_UNKNOWN.value,
    "not-found": JobStatus.NOT_FOUND.value,
}
_MODEL_NAMES: dict[str, str] = {m.casefold(): m for m in MODELS} | {
    m.removeprefix("seedance-").casefold(): m for m in MODELS
}
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "=": operator.eq,
    "": operator.eq,
}
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_TOKEN = re.compile(r'(?:[^\s"]+|"[^"]*")+')


class QueryError(ValueError):
    """A query the user typed cannot be understood; the message says where and what is expected."""


@dataclass
class Query:
    """A compiled query: free words (matched against a prepared haystack) and field predicates."""

    text: str = ""
    #: (casefolded word, negated) pairs, matched as substrings of the prompt or id.
    words: list[tuple[str, bool]] = field(default_factory=list)
    predicates: list[Predicate] = field(default_factory=list)
    #: True when an ``age:`` term makes the result depend on the time it was compiled at.
    uses_clock: bool = False

    @property
    def empty(self) -> bool:
        return not self.words and not self.predicates

    def matches(self, job: Job, haystack: str | None = None) -> bool:
        """True when ``job`` satisfies every term (``haystack``: see :func:`haystack`, if precomputed)."""
        if self.words:
            hay = haystack if haystack is not None else job_haystack(job)
            for word, negated in self.words:
                if (word in hay) == negated:
                    return False
        return all(predicate(job) for predicate in self.predicates)


def job_haystack(job: Job) -> str:
    """What free words are looked for in: the prompt and the ids, casefolded."""
    prompt = job.request.prompt if isinstance(job.request.prompt, str) else ""
    return f"{prompt}\0{job.request_id or ''}\0{job.local_id}".casefold()


def parse_query(text: str, now: float) -> Query:
    """Compile ``text``; ``now`` anchors ``age:`` terms. Raises QueryError naming the bad term."""
    query = Query(text=text)
    if text.count('"') % 2:
        raise QueryError('a quote is not closed: add the closing "')
    for token in _TOKEN.findall(text):
        negated = token.startswith("-") and len(token) > 1
        body = token[1:] if negated else token
        name, colon, raw = body.partition(":")
        key = name.casefold()
        if colon and (key in FIELDS or key.startswith("meta.")):
            predicate = _field_predicate(key, _unquote(raw), now, token)
            query.uses_clock = query.uses_clock or FIELDS.get(key) == "age"
            query.predicates.append(_negate(predicate) if negated else predicate)
        else:
            word = _unquote(body).casefold()
            if word:
                query.words.append((word, negated))
    return query


def _negate(predicate: Predicate) -> Predicate:
    return lambda job: not predicate(job)


def _unquote(text: str) -> str:
    return text.replace('"', "")


def _field_predicate(key: str, raw: str, now: float, token: str) -> Predicate:
    values = [value.strip() for value in raw.split(",") if value.strip()]
    if not values:
        raise QueryError(f"{token}: a value is missing after the colon")
    if key.startswith("meta."):
        meta_key = key[5:]
        if not meta_key:
            raise QueryError(f"{token}: name the metadata key, e.g. meta.projectId:proj_1")
        return _metadata(meta_key, {v.casefold() for v in values})
    name = FIELDS[key]
    if name == "status":
        wanted = {_known(token, v, _STATUS_NAMES, "status") for v in values}
        return lambda job: job.status in wanted
    if name == "model":
        models = {_known(token, v, _MODEL_NAMES, "model").casefold() for v in values}
        return lambda job: str(job.request.model).casefold() in models
    if name == "resolution":
        known = {r.casefold(): r for r in RESOLUTIONS}
        resolutions = {_known(token, v, known, "resolution").casefold() for v in values}
        return lambda job: (job.request.resolution or "").casefold() in resolutions
    if name == "aspect":
        known = {a: a for a in ASPECT_RATIOS}
        aspects = {_known(token, v, known, "aspect ratio") for v in values}
        return lambda job: (job.request.aspect_ratio or "") in aspects
    if name in ("id", "prompt"):
        needles = [v.casefold() for v in values]
        if name == "id":
            return lambda job: any(n in f"{job.request_id or ''}\0{job.local_id}".casefold() for n in needles)
        return lambda job: any(n in str(job.request.prompt or "").casefold() for n in needles)
    comparisons = [_comparison(token, v, seconds=name == "age") for v in values]
    if name == "age":
        return lambda job: any(compare(now - job.created_at, limit) for compare, limit in comparisons)
    if name == "credits":
        return lambda job: (
            job.credits_charged is not None
            and any(compare(job.credits_charged, limit) for compare, limit in comparisons)
        )
    return lambda job: (
        job.request.duration is not None
        and any(compare(job.request.duration, limit) for compare, limit in comparisons)
    )


def _known(token: str, value: str, known: dict[str, str], what: str) -> str:
    found = known.get(value.casefold())
    if found is None:
        choices = ", ".join(sorted(set(known) - ({"unknown", "not-found"} if what != "status" else set())))
        raise QueryError(f"{token}: {value!r} is not a known {what} (one of {choices})")
    return found


def _metadata(meta_key: str, wanted: set[str]) -> Predicate:
    def check(job: Job) -> bool:
        metadata = job.request.metadata
        if not isinstance(metadata, dict):
            return False
        folded = {str(k).casefold(): v for k, v in metadata.items()}
        return meta_key in folded and str(folded[meta_key]).casefold() in wanted

    return check


def _comparison(token: str, value: str, *, seconds: bool) -> tuple[Callable[[Any, Any], bool], float]:
    match = re.fullmatch(r"(<=|>=|<|>|=)?(\d+(?:\.\d+)?)([smhd]?)", value.casefold())
    if match is None or (match.group(3) and not seconds):
        example = "<1h, >2d, <=30m" if seconds else ">40, <=10, 5"
        raise QueryError(f"{token}: {value!r} is not a comparison such as {example}")
    sign, number, unit = match.groups()
    limit = float(number) * (_UNITS[unit or "s"] if seconds else 1)
    return _COMPARISONS[sign or ""], limit
