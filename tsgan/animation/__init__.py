"""Watching a GAN learn: the callback (``callback``), the drawing process (``renderer``) and
the animation writers (``writers``). Nothing is imported here: the drawing process
(``python -m tsgan.animation.process``) must start without Keras."""
