"""Automatic download file names: the default pattern, safe slugs and ids, refused patterns."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from seedance_tui.config import ConfigError, Settings, load_settings
from seedance_tui.filenames import PatternError, check_pattern, file_name, slug
from seedance_tui.models import GenerationRequest, Job


def job(prompt: str, request_id: str | None = "req_abc") -> Job:
    j = Job.new(GenerationRequest(model="seedance-2.0", prompt=prompt))
    j.created_at = datetime(2026, 3, 4, 5, 6, 7).timestamp()
    j.request_id = request_id
    return j


def test_default_pattern() -> None:
    name = file_name(Settings().download_name, job("A paper boat, drifting!"))
    assert name == "20260304-050607-a-paper-boat-drifting-req_abc.mp4"


def test_untrusted_values_cannot_leave_the_folder() -> None:
    name = file_name("{prompt_slug}-{id}.mp4", job("../../etc/passwd", request_id="../../x/y"))
    assert "/" not in name and ".." not in name and not name.startswith(".")
    assert slug("日本語 ☃") == "video" and len(slug("word " * 100)) <= 40


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = file_name(
        "{prompt_slug}{prompt_slug}{prompt_slug}{prompt_slug}{prompt_slug}{prompt_slug}.mp4", job("x" * 300)
    )
    assert name.endswith(".mp4") and len(name.encode()) <= 200


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("videos/{id}.mp4", "may not contain '/'"),
        ("..{id}.mp4", "may not contain '..'"),
        ("{title}.mp4", "unknown field {title}"),
        ("{id", "not a valid pattern"),
        ("{created:%Y}{duration:d}", "cannot be filled in"),
    ],
)
def test_bad_patterns_are_refused_clearly(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        check_pattern(pattern)


def test_config_reports_a_bad_pattern_and_a_bad_notify_mode(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('download_name = "a/{id}"\n')
    with pytest.raises(ConfigError, match="may not contain '/'"):
        load_settings({}, config_path=config)
    config.write_text('notify = "loud"\n')
    with pytest.raises(ConfigError, match="notify must be one of bell, desktop, off"):
        load_settings({}, config_path=config)
    config.write_text('notify = "desktop"\nauto_download = true\noutput_expiry_hours = 2\n')
    settings = load_settings({}, config_path=config)
    assert (settings.notify, settings.auto_download, settings.output_expiry_hours) == ("desktop", True, 2.0)


def test_flags_set_notify_and_auto_download(tmp_path: Path) -> None:
    from seedance_tui.cli import build_parser, settings_from_args

    args = build_parser().parse_args(
        ["--config", str(tmp_path / "none.toml"), "--notify", "desktop", "--auto-download"]
    )
    settings = settings_from_args(args)
    assert (settings.notify, settings.auto_download) == ("desktop", True)
    assert (
        settings_from_args(build_parser().parse_args(["--config", str(tmp_path / "none.toml")])).notify
        == "bell"
    )
