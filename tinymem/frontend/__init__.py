"""Frontends: read a model file into the IR (`load_model` picks one by file type)."""

from tinymem.frontend.load import load_model

__all__ = ["load_model"]
