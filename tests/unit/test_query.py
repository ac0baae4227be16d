"""The search language against a plain reference filter over generated jobs, and its error messages."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from seedance_tui.models import ASPECT_RATIOS, MODELS, RESOLUTIONS, GenerationRequest, Job, JobStatus
from seedance_tui.query import QueryError, parse_query

NOW = 1_800_000_000.0
WORDS = ("fox", "neon", "river", "Snow", "city", "Ünïcode", "take 5")


def generated_jobs(seed: int, count: int = 300) -> list[Job]:
    rng = random.Random(seed)
    jobs = []
    for i in range(count):
        request = GenerationRequest(
            model=rng.choice(MODELS),
            prompt=" ".join(rng.sample(WORDS, 2)) + f" #{i}",
            duration=rng.choice([None, 4, 5, 8, 10, 15]),
            resolution=rng.choice([None, *RESOLUTIONS]),
            aspect_ratio=rng.choice([None, *ASPECT_RATIOS]),
            metadata=rng.choice([None, {"projectId": f"proj_{rng.randint(1000, 1003)}"}, {"other": 1}]),
        )
        job = Job(local_id=f"local{i:07d}", request=request, created_at=NOW - rng.uniform(0, 3 * 86400))
        job.status = rng.choice(list(JobStatus))
        job.request_id = rng.choice([None, f"req_{rng.getrandbits(40):010x}"])
        job.credits_charged = rng.choice([None, 10, 20, 40, 41, 60, 120])
        jobs.append(job)
    return jobs


def short(model: str) -> str:
    return model.removeprefix("seedance-")


#: (query term, reference predicate): the reference says in plain Python what the term means.
TERMS: list[tuple[str, Callable[[Job], bool]]] = [
    ("status:failed", lambda j: j.status == "failed"),
    ("status:queued,processing", lambda j: j.status in ("queued", "processing")),
    ("STATUS:Succeeded", lambda j: j.status == "succeeded"),
    ("-status:cancelled", lambda j: j.status != "cancelled"),
    ("model:2.0", lambda j: j.request.model == "seedance-2.0"),
    ("model:2.0-fast", lambda j: j.request.model == "seedance-2.0-fast"),
    ("model:seedance-1.5-pro", lambda j: short(j.request.model) == "1.5-pro"),
    ("res:1080p", lambda j: j.request.resolution == "1080p"),
    ("resolution:480P,720p", lambda j: j.request.resolution in ("480p", "720p")),
    ("ar:9:16", lambda j: j.request.aspect_ratio == "9:16"),
    ("meta.projectId:proj_1001", lambda j: (j.request.metadata or {}).get("projectId") == "proj_1001"),
    ("meta.projectid:PROJ_1002", lambda j: (j.request.metadata or {}).get("projectId") == "proj_1002"),
    ("-meta.projectId:proj_1001", lambda j: (j.request.metadata or {}).get("projectId") != "proj_1001"),
    ("age:<1h", lambda j: NOW - j.created_at < 3600),
    ("age:>2d", lambda j: NOW - j.created_at > 2 * 86400),
    ("age:<=90m", lambda j: NOW - j.created_at <= 5400),
    ("credits:>40", lambda j: j.credits_charged is not None and j.credits_charged > 40),
    ("credits:<=20", lambda j: j.credits_charged is not None and j.credits_charged <= 20),
    ("credits:40", lambda j: j.credits_charged == 40),
    ("dur:>=10", lambda j: j.request.duration is not None and j.request.duration >= 10),
    ("fox", lambda j: "fox" in j.request.prompt.casefold()),
    ("SNOW", lambda j: "snow" in j.request.prompt.casefold()),
    ("-neon", lambda j: "neon" not in j.request.prompt.casefold()),
    ('"take 5"', lambda j: "take 5" in j.request.prompt),
    ("ünïcode", lambda j: "ünïcode" in j.request.prompt.casefold()),
    ("local000004", lambda j: "local000004" in j.local_id),
    ("id:req_", lambda j: j.request_id is not None),
    ("prompt:#1", lambda j: "#1" in j.request.prompt),
]


@pytest.mark.parametrize(("term", "reference"), TERMS, ids=[t for t, _ in TERMS])
def test_each_term_filters_like_the_reference(term: str, reference: Callable[[Job], bool]) -> None:
    jobs = generated_jobs(seed=len(term))
    query = parse_query(term, NOW)
    got = [j.local_id for j in jobs if query.matches(j)]
    assert got == [j.local_id for j in jobs if reference(j)]
    assert got, f"{term} matched nothing: the generator should cover it"


@pytest.mark.parametrize("seed", range(40))
def test_random_combinations_are_the_conjunction_of_their_terms(seed: int) -> None:
    rng = random.Random(seed)
    chosen = rng.sample(TERMS, rng.randint(2, 4))
    jobs = generated_jobs(seed)
    query = parse_query("  ".join(term for term, _ in chosen), NOW)
    expected = [j.local_id for j in jobs if all(ref(j) for _, ref in chosen)]
    assert [j.local_id for j in jobs if query.matches(j)] == expected


def test_model_2_0_does_not_match_2_0_fast() -> None:
    fast = Job(local_id="x", request=GenerationRequest(model="seedance-2.0-fast", prompt="p"), created_at=NOW)
    assert not parse_query("model:2.0", NOW).matches(fast)
    assert parse_query("model:2.0-fast", NOW).matches(fast)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("status:done", "'done' is not a known status"),
        ("model:3.0", "'3.0' is not a known model (one of 1.5-pro, 2.0, 2.0-fast"),
        ("res:4k", "'4k' is not a known resolution"),
        ("age:soon", "is not a comparison such as <1h"),
        ("credits:>4h", "is not a comparison such as >40"),
        ("status:", "a value is missing"),
        ('fox "unclosed', "a quote is not closed"),
        ("meta.:x", "name the metadata key"),
    ],
)
def test_bad_terms_raise_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(").replace(".", r"\.")):
        parse_query(text, NOW)


def test_words_with_colons_that_are_not_fields_are_free_words() -> None:
    job = Job(local_id="x", request=GenerationRequest(model="seedance-2.0", prompt="ratio 16:9 shot"))
    assert parse_query("16:9", NOW).matches(job)
    assert parse_query("note:x", NOW).matches(job) is False


def test_only_age_terms_make_a_query_depend_on_the_clock() -> None:
    assert parse_query("status:failed age:<1h", NOW).uses_clock
    assert not parse_query("status:failed fox -credits:>4", NOW).uses_clock
    job = Job(
        local_id="x", request=GenerationRequest(model="seedance-2.0", prompt="p"), created_at=NOW - 3000
    )
    assert parse_query("age:<1h", NOW).matches(job)
    assert not parse_query("age:<1h", NOW + 700).matches(job)
