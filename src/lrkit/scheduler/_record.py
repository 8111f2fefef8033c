"""What each counted update used: `Record`, the history and the hooks (loggers use them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from lrkit._validate import fail
from lrkit.scheduler._engine import Engine

__all__ = ["Record", "Recording"]


class Record(NamedTuple):
    """The values one update used: its index (0-based), its position, the lrs and other hparams."""

    update: int
    position: float
    lr: list[float]
    hparams: dict[str, list[float]]


class Recording(Engine):
    """`add_hook` and `history` (documented on `Scheduler`)."""

    _history: list[Record]

    def _emit(self) -> None:
        record = Record(
            self._updates,
            self._position_of(self._updates, self._amount),
            list(self._lr.values),
            {track.key: list(track.values) for track in self._tracks[1:]},
        )
        if self._record:
            self._history.append(record)
        for hook in self._hooks:
            hook(record)

    def add_hook(self, hook: Callable[[Record], None]) -> Callable[[], None]:
        """Call ``hook(record)`` after each counted update with the values that update used.

        Returns:
            A function that removes the hook.
        """
        if not callable(hook):
            raise fail("Scheduler.add_hook", "hook", hook, "a callable", kind=TypeError)
        self._hooks.append(hook)
        self._refresh_fast()

        def remove() -> None:
            if hook in self._hooks:
                self._hooks.remove(hook)
            self._refresh_fast()

        return remove

    @property
    def history(self) -> list[Record]:
        """A `Record` per counted update (index, position, values used), if ``history=True``."""
        if not self._record:
            raise RuntimeError(
                "Scheduler(history=False) keeps no history; pass history=True or use add_hook()"
            )
        return list(self._history)
