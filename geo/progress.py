"""Progress reporting: functions that run for more than ~1 s accept ``progress``.

A progress callback is called as ``progress(done, total, label)``.  The library never draws
anything itself: the CLI adapts it to tqdm, the app to ``st.progress``, tests pass ``None``.
"""

from __future__ import annotations

from typing import Any, Protocol


class ProgressFn(Protocol):
    """Callable ``(done, total, label) -> None``."""

    def __call__(self, done: int, total: int, label: str) -> None: ...


def null_progress(done: int, total: int, label: str) -> None:
    """Ignore progress."""


def report(progress: ProgressFn | None, done: int, total: int, label: str) -> None:
    """Call ``progress`` if given."""
    if progress is not None:
        progress(done, total, label)


class TqdmProgress:
    """Adapter that shows progress with tqdm on stderr (used by the CLI)."""

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self._bar: Any = None
        self._kwargs = {"leave": False, **tqdm_kwargs}

    def __call__(self, done: int, total: int, label: str) -> None:
        from tqdm.auto import tqdm

        if self._bar is None or self._bar.total != total:
            if self._bar is not None:
                self._bar.close()
            self._bar = tqdm(total=total, **self._kwargs)
        self._bar.set_description(label)
        self._bar.n = done
        self._bar.refresh()
        if done >= total:
            self._bar.close()
            self._bar = None
