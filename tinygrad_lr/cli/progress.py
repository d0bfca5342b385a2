"""A training progress bar: tqdm when it is installed, a plain text bar otherwise."""

from __future__ import annotations

import sys


class ProgressBar:
    """Show epochs done out of ``total`` and the current loss.

    Uses ``tqdm`` if it is installed (``pip install "tinygrad-lr[cli]"``); otherwise draws
    a text bar, redrawn in place on a terminal and printed every 10% elsewhere.
    ``enabled=False`` shows nothing. Use as a context manager; ``update`` fits the
    ``callback`` of :meth:`LogisticRegression.fit`. The total stays the one given: a run
    that stops early (training converged) ends at its real count, marked "stopped early".

    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar(4, "training", stream=out, use_tqdm=False) as bar:
    ...     for epoch in range(1, 5):
    ...         bar.update(epoch, 1.0 / epoch)
    >>> out.getvalue().splitlines()[-1]
    'training [##############################] 4/4 loss 0.2500'
    >>> out = io.StringIO()
    >>> with ProgressBar(10, "training", stream=out, use_tqdm=False) as bar:
    ...     for epoch in range(1, 5):
    ...         bar.update(epoch, 1.0 / epoch)
    >>> out.getvalue().splitlines()[-1]
    'training [############------------------] 4/10 loss 0.2500, stopped early'
    """

    WIDTH = 30

    def __init__(self, total: int, description: str, enabled: bool = True, stream=None,
                 use_tqdm: bool = True) -> None:
        self.total = int(total)
        self.description = description
        self.enabled = enabled
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.loss = None
        self._tqdm = None
        self._printed_tenths = -1
        if enabled and use_tqdm:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._tqdm = tqdm(total=self.total, desc=description, unit="epoch",
                                  file=self.stream, leave=True, dynamic_ncols=True)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def update(self, epoch: int, loss: float) -> None:
        """Record that ``epoch`` epochs are done and the loss is now ``loss``."""
        step = epoch - self.done
        self.done, self.loss = epoch, loss
        if not self.enabled:
            return
        if self._tqdm is not None:
            self._tqdm.set_postfix(loss=f"{loss:.4f}", refresh=False)
            self._tqdm.update(step)
            return
        tenths = 10 * self.done // max(self.total, 1)
        if self._interactive() or tenths > self._printed_tenths:
            self._printed_tenths = tenths
            end = "\r" if self._interactive() else "\n"
            self.stream.write(self._line() + end)
            self.stream.flush()

    def close(self) -> None:
        """Finish the bar at the count reached, of the total given (noting an early stop)."""
        if not self.enabled:
            return
        stopped_early = 0 < self.done < self.total
        if self._tqdm is not None:
            if stopped_early:
                self._tqdm.set_postfix_str(f"loss={self.loss:.4f}, stopped early",
                                           refresh=False)
            self._tqdm.refresh()
            self._tqdm.close()
            self._tqdm = None
            return
        if self.done and (self._interactive() or stopped_early or self._printed_tenths < 10):
            self.stream.write(self._line() + (", stopped early" if stopped_early else "") + "\n")
            self.stream.flush()
        self.enabled = False

    def _line(self) -> str:
        filled = self.WIDTH * self.done // max(self.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        loss = "" if self.loss is None else f" loss {self.loss:.4f}"
        return f"{self.description} [{bar}] {self.done}/{self.total}{loss}"

    def _interactive(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())
