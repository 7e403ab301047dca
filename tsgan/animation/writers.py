"""The animation writers: a streaming animated-GIF writer that keeps a valid file on disk
after every frame, an ``.mp4`` video, animated WebP and PNG (APNG); :func:`open_writer`
chooses by the suffix.

imageio's pillow plugin keeps every frame in memory until it closes, and its legacy
streaming writer no longer runs on numpy 2, so tsgan streams frames itself: Pillow encodes
each frame (palette, LZW) and this module stitches the frames into one GIF89a stream.
All frames share one palette, and pixels that did not change since the previous frame are
written as transparent, so the frames of a training animation cost a few kB each.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from tsgan.atomic import atomic_path
from tsgan.settings import FPS, HOLD_SECONDS, THEME

_TRANSPARENT = (255, 0, 255)  # a colour no plot uses; marks "unchanged since last frame"


def _blocks(data: bytes, pos: int) -> int:
    """Position after a chain of GIF data sub-blocks starting at ``pos``."""
    while data[pos]:
        pos += data[pos] + 1
    return pos + 1


class GifStream:
    """Append frames to an animated GIF; ``publish`` makes the frames so far a valid file.

    Frames are written to ``<path>.part`` as they come. ``publish()`` copies that stream,
    with the GIF trailer, to a temporary name and renames it to ``path``, so ``path`` is
    always a complete GIF. ``close()`` publishes a last time and removes the stream file.

    Args:
        path: the final ``.gif`` path.
        fps: frames per second.
        colors: palette size (2..255) when the palette comes from the first frame.
        loop: 0 to loop forever.
        palette: ``(k, 3)`` uint8 RGB colours for every frame (k ≤ 255); by default a
            median cut of the first frame, which misses colours that appear later.
        hold: seconds the last frame stays before the animation loops (at least a frame).

    Example:
        >>> import tempfile
        >>> out = Path(tempfile.mkdtemp()) / "a.gif"
        >>> with GifStream(out, fps=5) as gif:
        ...     for i in range(3):
        ...         frame = np.full((20, 30, 3), 255, np.uint8)
        ...         frame[5:10, i * 5 : i * 5 + 5] = (200, 50, 0)
        ...         gif.append(frame)
        >>> Image.open(out).n_frames
        3
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        fps: float = FPS,
        colors: int = 64,
        loop: int = 0,
        palette: np.ndarray | None = None,
        hold: float = 0.0,
    ) -> None:
        self.path = Path(path)
        self.part = self.path.with_name(f".{self.path.name}.part")
        self.delay_cs = max(2, round(100 / fps))  # GIF delays are in 1/100 s
        self.hold_cs = min(65535, max(self.delay_cs, round(100 * hold)))
        self._last_delay_at = 0  # where in the stream the last frame's delay is written
        self.colors = int(np.clip(colors, 2, 255))
        self.loop = loop
        self.n_frames = 0
        self._palette: Image.Image | None = None
        self._previous: np.ndarray | None = None
        if palette is not None:
            entries = np.asarray(palette, dtype=np.uint8).reshape(-1, 3)[:255]
            self.colors = len(entries)
            self._palette = self._palette_image(entries.ravel().tolist())
        self._file = open(self.part, "wb")  # noqa: SIM115 - kept open while frames stream in

    def __enter__(self) -> GifStream:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _quantize(self, frame: np.ndarray) -> np.ndarray:
        image = Image.fromarray(np.ascontiguousarray(frame[..., :3], dtype=np.uint8), "RGB")
        if self._palette is None:
            first = image.quantize(
                self.colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
            entries = first.getpalette()[: 3 * self.colors]
            entries += [0, 0, 0] * (self.colors - len(entries) // 3)
            self._palette = self._palette_image(entries)
        # Map onto the fixed palette (its first `colors` entries; the next one is transparent).
        return np.asarray(image.quantize(palette=self._palette, dither=Image.Dither.NONE))

    def _palette_image(self, entries: list[int]) -> Image.Image:
        image = Image.new("P", (1, 1))
        image.putpalette([*entries, *_TRANSPARENT] + [0, 0, 0] * (255 - self.colors))
        return image

    def append(self, frame: np.ndarray) -> None:
        """Add one ``(H, W, 3)`` uint8 RGB frame."""
        indices = self._quantize(frame)
        height, width = indices.shape
        if self._previous is not None and self._previous.shape != indices.shape:
            raise ValueError(f"frame size changed from {self._previous.shape} to {indices.shape}")
        shown = indices.copy()
        if self._previous is not None:
            shown[indices == self._previous] = self.colors  # unchanged → transparent
        self._previous = indices
        encoded = self._encode(shown)
        if self.n_frames == 0:
            self._file.write(b"GIF89a" + struct.pack("<HHBBB", width, height, 0, 0, 0))
            self._file.write(
                b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", self.loop) + b"\x00"
            )
        self._last_delay_at = self._file.tell() + 4  # control block: 21 F9 04 flags DELAY
        self._file.write(encoded)
        self._file.flush()
        self.n_frames += 1

    def _encode(self, indices: np.ndarray) -> bytes:
        """One frame as GIF blocks: graphic control, image descriptor with a local palette, data."""
        image = Image.fromarray(indices.astype(np.uint8), "P")
        image.putpalette(self._palette.getpalette())
        buffer = io.BytesIO()
        image.save(buffer, format="GIF", transparency=self.colors, optimize=False, interlace=False)
        data = buffer.getvalue()
        packed = data[10]
        pos = 13
        table = b""
        if packed & 0x80:  # Pillow wrote a global colour table: it becomes this frame's local one
            size = 3 * 2 ** ((packed & 0x07) + 1)
            table, pos = data[pos : pos + size], pos + size
        transparent = self.colors
        while data[pos] == 0x21:  # extensions: read the transparent index Pillow chose
            if data[pos + 1] == 0xF9 and data[pos + 3] & 0x01:
                transparent = data[pos + 6]
            pos = _blocks(data, pos + 2)
        if data[pos] != 0x2C:
            raise RuntimeError("unexpected GIF layout from Pillow")
        descriptor = bytearray(data[pos : pos + 10])
        pos += 10
        if descriptor[9] & 0x80:  # a local table already
            size = 3 * 2 ** ((descriptor[9] & 0x07) + 1)
            table, pos = data[pos : pos + size], pos + size
        bits = max(1, int(np.ceil(np.log2(max(len(table) // 3, 2))))) - 1
        descriptor[9] = 0x80 | bits
        image_data = data[pos : _blocks(data, pos + 1)]
        # disposal 1 (keep the previous frame underneath), transparency on
        control = (
            b"\x21\xf9\x04"
            + struct.pack("<BHB", (1 << 2) | 0x01, self.delay_cs, transparent)
            + b"\x00"
        )
        return control + bytes(descriptor) + table + image_data

    def publish(self) -> None:
        """Make ``path`` a complete GIF of the frames so far (atomic rename)."""
        if self.n_frames == 0:
            return
        with atomic_path(self.path) as tmp:
            shutil.copyfile(self.part, tmp)
            with open(tmp, "r+b") as handle:
                handle.seek(self._last_delay_at)  # the last frame is held
                handle.write(struct.pack("<H", self.hold_cs))
                handle.seek(0, os.SEEK_END)
                handle.write(b"\x3b")  # the GIF trailer

    def abort(self) -> None:
        """Stop without publishing the frames not yet published; remove the stream file."""
        self._file.close()
        self.part.unlink(missing_ok=True)

    def close(self) -> None:
        """Publish the last frames and remove the stream file."""
        if self._file.closed:
            return
        self._file.close()
        self.publish()
        self.part.unlink(missing_ok=True)


ANIMATION_SUFFIXES = (".gif", ".mp4", ".webp", ".png")  # the format follows the suffix


def open_writer(path: Path, fps: float, *, hold: float = HOLD_SECONDS, theme: str = THEME):
    """The writer for the suffix: a GIF stream, an ``.mp4`` video (needs imageio-ffmpeg),
    or an animated WebP or PNG (APNG) written by Pillow; the last frame stays ``hold`` s."""
    from tsgan.animation.frame import plot_palette

    suffix = path.suffix.lower()
    if suffix not in ANIMATION_SUFFIXES:
        raise ValueError(f"{path}: write {', '.join(ANIMATION_SUFFIXES)} (chosen by the suffix)")
    if suffix == ".mp4":
        return _Mp4(path, fps, hold)
    if suffix in (".webp", ".png"):
        return _PillowAnimation(path, fps, hold)
    return GifStream(path, fps=fps, palette=plot_palette(theme), hold=hold)


class _PillowAnimation:
    """Animated WebP or PNG: frames kept PNG-compressed in memory, the file written (under a
    temporary name, then renamed) when the animation is closed."""

    def __init__(self, path: Path, fps: float, hold: float) -> None:
        self.path, self.duration = path, round(1000 / fps)
        self.hold = max(self.duration, round(1000 * hold))
        self.frames: list[bytes] = []

    def append(self, frame: np.ndarray) -> None:
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(frame).save(buffer, format="PNG", compress_level=1)
        self.frames.append(buffer.getvalue())

    def publish(self) -> None:  # complete only when closed
        pass

    def abort(self) -> None:
        self.frames = []

    def close(self) -> None:
        import io

        from PIL import Image

        if not self.frames:
            return
        images = [Image.open(io.BytesIO(b)) for b in self.frames]  # decoded one by one
        kind = "WEBP" if self.path.suffix.lower() == ".webp" else "PNG"
        options = {"lossless": True, "method": 4} if kind == "WEBP" else {"optimize": False}
        with atomic_path(self.path) as tmp:
            images[0].save(
                tmp,
                format=kind,
                save_all=True,
                append_images=images[1:],
                duration=[self.duration] * (len(images) - 1) + [self.hold],
                loop=0,
                **options,
            )


class _Mp4:
    """An imageio video writer under a temporary name, renamed into place when closed."""

    def __init__(self, path: Path, fps: float, hold: float) -> None:
        import imageio.v2 as imageio

        self.path, self.tmp = path, path.with_name(f".{path.stem}.part.mp4")
        self.writer = imageio.get_writer(self.tmp, fps=fps, macro_block_size=8)
        self.held = max(0, round(hold * fps) - 1)  # a video holds a frame by repeating it
        self.last: np.ndarray | None = None

    def append(self, frame: np.ndarray) -> None:
        self.writer.append_data(frame)
        self.last = frame

    def publish(self) -> None:  # a video is complete only when closed
        pass

    def abort(self) -> None:
        self.writer.close()
        self.tmp.unlink(missing_ok=True)

    def close(self) -> None:
        for _ in range(self.held if self.last is not None else 0):
            self.writer.append_data(self.last)
        self.writer.close()
        self.tmp.replace(self.path)
