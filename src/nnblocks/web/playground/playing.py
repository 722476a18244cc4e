"""One frame of the play stream: train a frame's epochs, then say what to send.

``advance`` is what ``play`` repeats and ``step`` does once: the frame, followed by ``stopped``
(an epoch count or a target loss reached) or ``diverged`` (a non-finite loss) when training must
stop. It touches only the Trainer (and a FrameProcess), so the session calls it in a worker
thread under its lock, and the benchmark times it as it is.
"""

from __future__ import annotations

import logging
import math

from nnblocks.web.playground import frames
from nnblocks.web.playground.frame_process import FrameProcess, FrameProcessError

LOG = logging.getLogger("nnblocks.playground")


def advance(trainer, process: FrameProcess | None = None) -> tuple[list, bool]:
    """One frame's worth of training (``epochs_per_frame`` epochs, or fewer at a stop) and the messages
    to send. Returns (messages, stop).

    ``process``: a ready ``FrameProcess`` draws the maps of the network as it was *before* these
    epochs while they train here, and that frame is sent (one frame behind: the stream's last frame
    is made anew when it ends). At a stop, or if the process fails, the frame after the epochs is
    drawn here.
    """
    state = trainer.state
    if trainer.divergence is not None:
        return [diverged_message(trainer)], True
    epochs, stop_epochs, stop_loss = state["epochs_per_frame"], state["stop_epochs"], state["stop_loss"]
    if stop_epochs is not None:
        epochs = min(epochs, stop_epochs - trainer.epoch)
        if epochs <= 0:
            return [epochs_reached(trainer)], True
    earlier_loss, earlier_message = None, None
    if process is not None:
        snapshot = trainer.snapshot()
        try:
            process.draw(trainer, snapshot)
        except FrameProcessError:
            process = None
    try:
        trainer.train_epochs(epochs)
    finally:
        if process is not None:   # always collect the reply, so the pipe never holds a stale one
            try:
                earlier_loss, earlier_message = frame_and_message(trainer, snapshot, process.receive())
            except FrameProcessError:
                LOG.warning("playground: the frame process failed; frames are drawn in the server")
    reached = stop_epochs is not None and trainer.epoch >= stop_epochs
    if earlier_message is not None and trainer.divergence is None and not reached \
            and not _at_most(earlier_loss, stop_loss):
        return [earlier_message], False
    loss, message = frame_and_message(trainer)
    messages: list = [message]
    if trainer.divergence is not None:
        messages.append(diverged_message(trainer))
    elif reached:
        messages.append(epochs_reached(trainer))
    elif _at_most(loss, stop_loss) or _at_most(earlier_loss, stop_loss):
        # (with a frame process the earlier frame may be the one that reached it: name the loss that did)
        reached_loss = loss if _at_most(loss, stop_loss) else earlier_loss
        messages.append(stopped_message(trainer, "target loss reached", f"The training loss reached "
                                        f"{reached_loss:.4g}, at or below the target {stop_loss:g}; training "
                                        f"stopped at epoch {trainer.epoch}."))
    else:
        return messages, False
    return messages, True


def frame_and_message(trainer, snapshot=None, maps=None) -> tuple[float | None, bytes]:
    """The training loss and the binary frame message (``Trainer.frame``'s arguments)."""
    frame = trainer.frame(snapshot, maps)
    return frame["train_loss"], frames.frame_message(frame)


def stopped_message(trainer, reason: str, text: str) -> dict:
    return {"type": "stopped", "reason": reason, "message": text, "epoch": trainer.epoch}


def epochs_reached(trainer) -> dict:
    return stopped_message(trainer, "epochs reached", f"Training stopped at epoch {trainer.epoch}, the stop "
                                                      f"condition ({trainer.state['stop_epochs']} epochs).")


def diverged_message(trainer) -> dict:
    divergence = trainer.divergence
    return {"type": "diverged", "message": divergence.message, "epoch": divergence.epoch,
            "learning_rate": divergence.learning_rate,
            "suggested_learning_rate": divergence.suggested_learning_rate}


def _at_most(loss: float | None, target: float | None) -> bool:
    return target is not None and loss is not None and math.isfinite(loss) and loss <= target
