"""The new-video form: every field of the contract, inline validation, submit without losing input."""

from __future__ import annotations

import json

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import var
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from seedance_tui.config import Settings
from seedance_tui.models import (
    ASPECT_RATIOS,
    DEFAULT_ASPECT_RATIO,
    DEFAULT_DURATION,
    DEFAULT_MODEL,
    DEFAULT_RESOLUTION,
    MODELS,
    RESOLUTIONS,
    FieldError,
    GenerationRequest,
    Job,
    ValidationError,
    allowed_durations,
    parse_metadata,
)
from seedance_tui.service import JobService, SubmitError, SubmitOutcome
from seedance_tui.text import printable
from seedance_tui.ui.keymap import keys_for
from seedance_tui.ui.styles import style_path

#: API field name -> the id of the widget that edits it (its error label is ``<id>-error``).
FIELD_WIDGETS: dict[str, str] = {
    "prompt": "prompt",
    "model": "model",
    "duration": "duration",
    "aspectRatio": "aspect-ratio",
    "resolution": "resolution",
    "webhookUrl": "webhook-url",
    "metadata": "metadata",
    "mediaUrls": "media-urls",
}
#: Fields checked again as the user edits them (cheap, and easy to get wrong).
LIVE_FIELDS = ("webhookUrl", "metadata", "mediaUrls")
#: The banner shown while fields are flagged; it goes once every flag is cleared.
FIX_BANNER = "Fix the fields marked below; nothing was sent."


def nearest_duration(model: str, wanted: int | None) -> int:
    """``wanted`` if the model allows it, else the closest allowed duration (the shorter on a tie)."""
    allowed = allowed_durations(model) or allowed_durations(DEFAULT_MODEL)
    target = DEFAULT_DURATION if wanted is None else wanted
    return min(allowed, key=lambda d: (abs(d - target), d))


def _options(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


def _duration_options(model: str) -> list[tuple[str, int]]:
    return [(f"{seconds} s", seconds) for seconds in allowed_durations(model)]


class SubmitScreen(ModalScreen[Job | None]):
    """Collects a generation request, checks it, submits it once; dismisses with the new Job."""

    CSS_PATH = style_path("submit.tcss")
    BINDINGS = [
        # Not a priority binding: the key then waits behind the characters typed before it.
        # f5 too: ctrl+s is a common tmux prefix and ctrl+enter does not pass through tmux.
        Binding("ctrl+s,f5", "submit", "Submit", id="submit"),
        Binding("escape", "close", "Close", id="close_form"),
        # The app's ? and f1 do not reach a modal form (and ? is text here): f1 opens help from it.
        Binding("f1", "app.help", "Help", show=False, id="help_form"),
    ]

    #: The POST is on its way: the form can be neither sent again nor closed until it is answered.
    submitting: var[bool] = var(False, init=False)
    #: The line above the fields: (text, kind), kind one of warning, error, busy ("" with no text).
    banner: var[tuple[str, str]] = var(("", ""), init=False)

    def __init__(
        self,
        service: JobService,
        settings: Settings,
        prefill: GenerationRequest | None = None,
        *,
        rerun_of: str | None = None,
        warning: str | None = None,
    ):
        super().__init__()
        self.service = service
        self.settings = settings
        self.prefill = prefill
        #: The job this form re-runs (recorded on the new job).
        self.rerun_of = rerun_of
        #: Shown at once: resubmitting this request may pay twice.
        self.warning = warning
        #: API field names currently flagged (Input manages its own ``-invalid`` class, so not that).
        self.flagged: set[str] = set()
        #: The user was told that quitting loses the unsent prompt (a second ctrl+c quits).
        self.quit_asked = False

    def compose(self) -> ComposeResult:
        request = self.prefill
        with Vertical(id="submit-form"):
            with Horizontal(id="submit-title-row"):
                yield Label("New video", id="submit-title")
                yield Label("ctrl+s/f5 submit · tab next field · esc close", id="submit-hint")
            yield Static("", id="submit-banner", markup=False)
            yield Label("Prompt", classes="field-label", id="prompt-label")
            yield TextArea(
                request.prompt if request else "",
                id="prompt",
                placeholder="Describe the video…",
                tab_behavior="focus",
            )
            yield self._error_label("prompt")
            yield from self._choices(request)
            yield from self._optional_fields(request)
            with Horizontal(id="submit-buttons"):
                yield Button("Submit", id="submit-button", variant="primary", compact=True)
                yield Button("Cancel", id="cancel-button", compact=True)

    def _choices(self, request: GenerationRequest | None) -> ComposeResult:
        """Model and duration, aspect ratio and resolution: two rows of selects, prefilled where valid."""
        model = request.model if request and request.model in MODELS else DEFAULT_MODEL
        duration = nearest_duration(model, request.duration if request else None)
        aspect = request.aspect_ratio if request and request.aspect_ratio in ASPECT_RATIOS else None
        resolution = request.resolution if request and request.resolution in RESOLUTIONS else None
        with Horizontal(classes="field-row", id="model-row"):
            yield Label("Model", classes="row-label", id="model-label")
            yield Select(_options(MODELS), id="model", value=model, allow_blank=False, compact=True)
            yield Label("Duration", classes="row-label short", id="duration-label")
            yield Select(
                _duration_options(model), id="duration", value=duration, allow_blank=False, compact=True
            )
        yield self._error_label("model")
        yield self._error_label("duration")
        yield Label("", id="duration-note", classes="field-note", markup=False)
        with Horizontal(classes="field-row"):
            yield Label("Aspect", classes="row-label", id="aspect-ratio-label")
            yield Select(
                _options(ASPECT_RATIOS),
                id="aspect-ratio",
                value=aspect or DEFAULT_ASPECT_RATIO,
                allow_blank=False,
                compact=True,
            )
            yield Label("Resolution", classes="row-label short", id="resolution-label")
            yield Select(
                _options(RESOLUTIONS),
                id="resolution",
                value=resolution or DEFAULT_RESOLUTION,
                allow_blank=False,
                compact=True,
            )
        yield self._error_label("aspect-ratio")
        yield self._error_label("resolution")

    def _input_row(self, field_id: str, label: str, value: str, placeholder: str) -> ComposeResult:
        """One labelled single-line field and its error line."""
        with Horizontal(classes="field-row"):
            yield Label(label, classes="row-label", id=f"{field_id}-label")
            yield Input(value, placeholder=placeholder, id=field_id, compact=True)
        yield self._error_label(field_id)

    def _optional_fields(self, request: GenerationRequest | None) -> ComposeResult:
        """Webhook URL, metadata and media URLs, each with its error line."""
        webhook_url = (request.webhook_url or "") if request else ""
        yield from self._input_row("webhook-url", "Webhook URL", webhook_url, "https://… (optional)")
        metadata = _metadata_text(request.metadata if request else None)
        yield from self._input_row(
            "metadata", "Metadata", metadata, '{"projectId": "…"} (optional JSON object)'
        )
        with Horizontal(classes="field-row media-row"):
            yield Label("Media URLs", classes="row-label", id="media-urls-label")
            yield TextArea(
                "\n".join(request.media_urls or []) if request else "",
                id="media-urls",
                placeholder="one reference URL per line (optional)",
                tab_behavior="focus",
                compact=True,
                show_cursor=True,
            )
        yield self._error_label("media-urls")

    @staticmethod
    def _error_label(widget_id: str) -> Label:
        return Label("", id=f"{widget_id}-error", classes="field-error", markup=False)

    def on_mount(self) -> None:
        prompt = self.query_one("#prompt", TextArea)
        prompt.focus()
        prompt.move_cursor(prompt.document.end)  # edit & resubmit: carry on typing where the text ends
        if self.warning:
            self.banner = (self.warning, "warning")
        # The title names the submit keys in force: the user's [keys] may have changed them.
        submit_keys = keys_for(self, "submit") or "ctrl+s/f5"
        self.query_one("#submit-hint", Label).update(f"{submit_keys} submit · tab next field · esc close")

    @property
    def has_unsent_text(self) -> bool:
        """True when the prompt holds text that was not submitted (quitting now would lose it)."""
        return not self.submitting and bool(self.query_one("#prompt", TextArea).text.strip())

    @on(events.DescendantFocus)
    @on(events.DescendantBlur)
    def _mark_focused_label(self) -> None:
        """Show the focused field's label reversed: unmistakable in every colour mode, even without colour."""
        focused = self.focused
        field_id = None
        while focused is not None and focused is not self:
            if focused.id in FIELD_WIDGETS.values():
                field_id = focused.id
                break
            focused = focused.parent if isinstance(focused.parent, Widget) else None
        for widget_id in FIELD_WIDGETS.values():
            self.query_one(f"#{widget_id}-label").set_class(widget_id == field_id, "-focused")

    # -- reading the form ----------------------------------------------------------------

    def read_request(self) -> tuple[GenerationRequest, list[FieldError]]:
        """The request the form describes, and every rule it breaks (metadata parse errors included)."""
        errors: list[FieldError] = []
        try:
            metadata = parse_metadata(self.query_one("#metadata", Input).value)
        except ValidationError as exc:
            errors.extend(exc.errors)
            metadata = None
        media_text = self.query_one("#media-urls", TextArea).text
        media = [line.strip() for line in media_text.splitlines() if line.strip()]
        webhook = self.query_one("#webhook-url", Input).value.strip()
        request = GenerationRequest(
            model=str(self.query_one("#model", Select).value),
            prompt=self.query_one("#prompt", TextArea).text,
            aspect_ratio=str(self.query_one("#aspect-ratio", Select).value),
            duration=_int_or_none(self.query_one("#duration", Select).value),
            resolution=str(self.query_one("#resolution", Select).value),
            webhook_url=webhook or None,
            metadata=metadata,
            media_urls=media or None,
        )
        errors.extend(request.errors())
        return request, errors

    def show_errors(self, errors: list[FieldError], fields: tuple[str, ...] | None = None) -> None:
        """Flag each field's problems under it; clear the others (only ``fields`` when given)."""
        by_field: dict[str, list[str]] = {}
        for error in errors:
            by_field.setdefault(error.field, []).append(error.message)
        for field, widget_id in FIELD_WIDGETS.items():
            if fields is not None and field not in fields:
                continue
            messages = by_field.get(field, [])
            label = self.query_one(f"#{widget_id}-error", Label)
            label.update("; ".join(printable(m) for m in messages))
            label.set_class(bool(messages), "-invalid")
            self.query_one(f"#{widget_id}").set_class(bool(messages), "-invalid")
            if messages:
                self.flagged.add(field)
            else:
                self.flagged.discard(field)
        if not self.flagged and self.banner[0] == FIX_BANNER:
            self.banner = ("", "")

    def watch_banner(self, shown: tuple[str, str]) -> None:
        text, kind = shown
        banner = self.query_one("#submit-banner", Static)
        banner.update(printable(text, keep_newlines=True))
        banner.set_classes(f"-{kind}" if text else "")

    # -- live behaviour ------------------------------------------------------------------

    @on(Select.Changed, "#model")
    def _model_changed(self, event: Select.Changed) -> None:
        """Offer the durations the new model allows, keeping the current one when possible."""
        model = str(event.value)
        duration_select = self.query_one("#duration", Select)
        current = _int_or_none(duration_select.value)
        wanted = nearest_duration(model, current)
        duration_select.set_options(_duration_options(model))
        duration_select.value = wanted
        note = ""
        if current is not None and wanted != current:
            note = f"{model} does not offer {current} s: duration set to {wanted} s."
        label = self.query_one("#duration-note", Label)
        label.update(note)
        label.set_class(bool(note), "-shown")

    @on(Input.Changed, "#webhook-url, #metadata")
    @on(TextArea.Changed, "#prompt, #media-urls")
    def _live_field_changed(self, event: Input.Changed | TextArea.Changed) -> None:
        """Re-check a URL or JSON field while it is flagged, so the flag clears as soon as it is fixed."""
        widget_id = event.control.id if event.control is not None else None
        field = next((f for f, w in FIELD_WIDGETS.items() if w == widget_id), None)
        if field is None or field not in self.flagged:
            return
        self.show_errors(self.read_request()[1], (field,))

    @on(Input.Blurred, "#webhook-url, #metadata")
    def _live_field_left(self, event: Input.Blurred) -> None:
        widget_id = event.input.id
        field = next(f for f, w in FIELD_WIDGETS.items() if w == widget_id)
        self.show_errors(self.read_request()[1], (field,))

    # -- actions -------------------------------------------------------------------------

    @on(Button.Pressed, "#submit-button")
    def _submit_pressed(self) -> None:
        self.action_submit()

    @on(Button.Pressed, "#cancel-button")
    def _cancel_pressed(self) -> None:
        self.action_close()

    def action_close(self) -> None:
        """Close without submitting (ignored mid-flight: the POST must finish and be recorded)."""
        if not self.submitting:
            self.dismiss(None)

    def action_submit(self) -> None:
        """Check the form; send it only when every field is valid."""
        if self.submitting:
            return
        request, errors = self.read_request()
        self.show_errors(errors)
        if errors:
            self.banner = (FIX_BANNER, "error")
            self.query_one(f"#{FIELD_WIDGETS.get(errors[0].field, 'prompt')}", Widget).focus()
            return
        self.banner = ("", "")
        self.submitting = True
        self._send(request)

    def watch_submitting(self, busy: bool) -> None:
        button = self.query_one("#submit-button", Button)
        button.disabled = busy
        button.label = "Submitting…" if busy else "Submit"
        if busy:
            self.banner = ("Submitting…", "busy")

    @work(exclusive=True, group="submit", exit_on_error=False)
    async def _send(self, request: GenerationRequest) -> None:
        """POST the request once; on any failure keep the form as typed and say what happened."""
        try:
            job = await self.service.submit(request, rerun_of=self.rerun_of)
        except ValidationError as exc:
            self.submitting = False
            self.show_errors(exc.errors)
            self.banner = (FIX_BANNER, "error")
            return
        except SubmitError as exc:
            self.submitting = False
            self.banner = (_submit_error_text(exc), "error")
            return
        except Exception as exc:  # anything unexpected must not lose the user's input
            self.submitting = False
            self.banner = (f"Submit failed: {exc}", "error")
            return
        self.submitting = False
        self.dismiss(job)


def _submit_error_text(exc: SubmitError) -> str:
    if exc.outcome == SubmitOutcome.UNKNOWN:
        return (
            "Outcome unknown: the API may have accepted this job and charged for it. It was NOT sent "
            f"again; check the job list before resubmitting.\n{exc.message}"
        )
    if exc.outcome == SubmitOutcome.PROBABLY_NOT_CREATED:
        return f"Probably not created: {exc.message}"
    if exc.outcome == SubmitOutcome.NOT_SENT:
        return exc.message
    return f"Not accepted by the API: {exc.message}"


def _metadata_text(metadata: dict[str, object] | None) -> str:
    return json.dumps(metadata, ensure_ascii=False) if metadata else ""


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
