"""The progress of an in-process Dagster run, for the CLI: a bar on a terminal, one plain line per step when the
output is piped. Fed by a Dagster logger, so it sees the run's own step events."""

from __future__ import annotations

import logging
import time

import dagster as dg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

FINISHED = {"STEP_SUCCESS": "done", "STEP_FAILURE": "failed", "STEP_SKIPPED": "skipped"}


class StepProgress:
    def __init__(self, label: str, console: Console | None = None) -> None:
        self.label = label
        self.console = console or Console()
        self._bar: Progress | None = None
        self._started: dict[str, float] = {}

    def __enter__(self) -> StepProgress:
        if self.console.is_terminal:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=self.console, transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None)
        return self

    def __exit__(self, *exc) -> None:
        if self._bar:
            self._bar.stop()

    def expect(self, steps: int) -> None:
        if self._bar:
            self._bar.update(self._task, total=steps)

    def on_event(self, event: dg.DagsterEvent) -> None:
        step = (event.step_key or "").replace("__", "/")
        kind = event.event_type_value
        if kind == "STEP_START":
            self._started[step] = time.perf_counter()
            if self._bar:
                self._bar.update(self._task, description=f"{self.label}: {step}")
        elif kind in FINISHED:
            seconds = time.perf_counter() - self._started.pop(step, time.perf_counter())
            if self._bar:
                self._bar.advance(self._task)
            else:
                self.console.print(f"  {self.label}: {step} {FINISHED[kind]} ({seconds:.1f} s)", highlight=False)

    def logger_def(self) -> dg.LoggerDefinition:
        progress = self

        class StepEvents(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                event = getattr(record, "dagster_event", None)
                if event is not None and event.is_step_event:
                    progress.on_event(event)

        @dg.logger(description="Step progress of the CLI's in-process runs.")
        def step_progress(_context) -> logging.Logger:
            logger = logging.Logger("transparency.progress", logging.DEBUG)
            logger.addHandler(StepEvents())
            return logger

        return step_progress
