"""Errors the engine raises. Each message says what went wrong AND what fixes it, because hosts
show it to the user as it is (a Krita docker label, a GIMP message, one CLI line)."""

from __future__ import annotations


class EngineError(Exception):
    """Base class: anything the user can act on."""


class ModelError(EngineError):
    """A model file is missing, corrupted, unknown or could not be downloaded."""


class DependencyError(EngineError):
    """The TFLite runtime (ai-edge-litert) or another dependency is not importable."""


class InputError(EngineError):
    """An image, mask, style or preset the user gave cannot be used."""


class AnimatedImageError(InputError):
    """A file given as a still holds several frames (an animation or a multi-page file)."""

    def __init__(self, message: str, frames: int) -> None:
        super().__init__(message)
        self.frames = frames


class Cancelled(EngineError):
    """The render was cancelled through its CancelToken; nothing was produced."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)
