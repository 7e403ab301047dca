"""The animation's drawing process: frames are drawn, encoded and written away from training.

:class:`tsgan.TrainingAnimation` starts ``python -m tsgan.animation.process`` (which imports
neither TensorFlow nor Keras, nor the user's script) and sends it one small message per
epoch. Drawing a frame with matplotlib and encoding it costs about 8 ms of CPU; in another
process it runs beside training instead of holding up the training loop's interpreter.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import time
import traceback

from tsgan.animation.renderer import Renderer, Settings

PUBLISH_SECONDS = 1.0  # the file on disk is brought up to date at most this often


def encode_message(message) -> bytes:
    """One message to the drawing process: its length (4 bytes), then the pickle.

    Example:
        >>> encode_message(None)[:4]
        b'\\x00\\x00\\x00\\x04'
    """
    import pickle

    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(4, "big") + data


class _Messages:
    """Messages from a pipe: knows whether a whole one is already waiting."""

    WAITING = object()  # no whole message within the time allowed

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer = fd, bytearray()

    def next(self, timeout: float | None):
        """The next message; WAITING after ``timeout`` s without one; EOFError at the end."""
        import pickle

        while True:
            if len(self.buffer) >= 4:
                size = int.from_bytes(self.buffer[:4], "big")
                if len(self.buffer) >= 4 + size:
                    message = pickle.loads(self.buffer[4 : 4 + size])
                    del self.buffer[: 4 + size]
                    return message
            if timeout is not None and not select.select([self.fd], [], [], timeout)[0]:
                return self.WAITING
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk


class DrawingProcess:
    """The drawing process, seen from training: starts ``python -m tsgan.animation.process``, passes
    it messages without ever waiting, and says how it ended.

    The protocol, all of it in this module: :func:`encode_message` frames each message;
    the first is the :class:`Settings`, then ``(epoch, logs, frame)`` per epoch (``frame``:
    None or ``(curves, shares or None)``, see :meth:`Renderer.epoch`), and ``None`` to finish;
    :func:`main` answers with one line, ``done FRAMES CPU_SECONDS`` or ``error ...``.

    Example:
        >>> drawing = DrawingProcess(settings)       # doctest: +SKIP
        >>> drawing.send((1, {"d_loss": 1.2}, None))  # doctest: +SKIP
        >>> drawing.finish()                          # doctest: +SKIP
    """

    def __init__(self, settings: Settings) -> None:
        import subprocess
        import tempfile

        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - read when it ends; a pipe could fill
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tsgan.animation.process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,  # Ctrl-C goes to training, which then finishes the animation
        )
        self._pending = bytearray()  # messages not yet in the pipe
        self.cpu_s: float | None = None  # the CPU seconds it used, once done
        self.finish_wait_s: float | None = None  # how long finish() waited for it
        self.send(settings)

    @property
    def running(self) -> bool:
        """Started and not yet finished (or failed)."""
        return self._process is not None

    def send(self, message) -> None:
        """Pass a message on without ever waiting on the pipe; raise if the process failed.

        The pipe is non-blocking: what does not fit while drawing lags behind (it runs at
        the lowest priority, on the CPU time training leaves) waits here, about 1 kB per
        epoch, and goes out with the next message or at :meth:`finish`.
        """
        if self._process.poll() is not None:  # it should not end before it is told to
            self._end(timeout=600.0)  # raises when it failed, saying why
            raise RuntimeError("TrainingAnimation: the drawing process ended before training")
        self._pending += encode_message(message)
        try:
            self._flush(block=False)
        except OSError:  # the drawing process is gone: say why
            self._end(timeout=600.0)
            raise

    def queue(self, message) -> None:
        """Keep a message to go out with the next :meth:`send` or at :meth:`finish`.

        For the epochs without a frame: their losses are needed only when a frame or the
        end comes, and waking the drawing process for each of them costs training time.
        """
        self._pending += encode_message(message)

    def finish(self, timeout: float = 600.0) -> None:
        """Tell it to finish, wait for it (``timeout`` s) and raise if it failed. Safe to call twice."""
        if self._process is not None:
            start = time.perf_counter()
            self._end(timeout=timeout, last=encode_message(None))
            self.finish_wait_s = time.perf_counter() - start

    def _flush(self, *, block: bool) -> None:
        """Write what is pending (all of it when ``block``; else what the pipe takes)."""
        fd = self._process.stdin.fileno()
        os.set_blocking(fd, block)
        with contextlib.suppress(BlockingIOError):  # the pipe is full: the rest goes later
            while self._pending:
                del self._pending[: os.write(fd, self._pending)]

    def _end(self, *, timeout: float, last: bytes | None = None) -> None:
        import subprocess

        if self._pending and self._process.poll() is None:
            with contextlib.suppress(OSError):  # a failed process is reported below
                self._flush(block=True)
        process, self._process = self._process, None
        try:
            out, _ = process.communicate(input=last, timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
            raise RuntimeError(
                f"TrainingAnimation: the drawing process did not finish in {timeout:.0f} s"
            ) from None
        finally:
            self._stderr.seek(0)
            err = self._stderr.read().decode(errors="replace").strip().splitlines()
            self._stderr.close()
        status = out.decode(errors="replace").strip().splitlines()
        if process.returncode != 0 or not status or not status[-1].startswith("done"):
            detail = status[-1] if status else (err or ["no output"])[-1]
            raise RuntimeError(
                f"TrainingAnimation: drawing failed: {detail.removeprefix('error ')}"
            )
        with contextlib.suppress(IndexError, ValueError):  # "done FRAMES CPU_S"
            self.cpu_s = float(status[-1].split()[2])


def main() -> None:
    """``python -m tsgan.animation.process``: messages on stdin (:func:`encode_message`), the result on stdout.

    The messages are :class:`DrawingProcess`'s; ``None`` or the end of stdin (the training
    process is gone) finishes. The process
    runs in its own session, so Ctrl-C in the terminal reaches training only, which then
    finishes the animation. It runs at the lowest priority: drawing takes the CPU time that
    training leaves idle.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(19)
    with contextlib.suppress(OSError, AttributeError):  # Linux: run only on otherwise idle CPU
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    messages, stdout = _Messages(sys.stdin.fileno()), sys.stdout
    renderer = None
    try:
        renderer = Renderer(messages.next(None))
        unpublished, published = False, time.monotonic()
        while True:
            # caught up with training: bring the file on disk up to date, at most once a second
            wait = max(0.0, published + PUBLISH_SECONDS - time.monotonic()) if unpublished else None
            try:
                message = messages.next(wait)
            except EOFError:  # the training process is gone
                break
            if message is _Messages.WAITING:
                renderer.idle()
                unpublished, published = False, time.monotonic()
                continue
            if message is None:
                break
            renderer.epoch(*message)
            unpublished = unpublished or message[2] is not None
        renderer.close()
        # the frames drawn and the CPU seconds this process used
        print(f"done {len(renderer.epochs)} {time.process_time():.2f}", file=stdout, flush=True)
    except BaseException as err:
        print(f"error {type(err).__name__}: {' '.join(str(err).split())}", file=stdout, flush=True)
        traceback.print_exc(file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
