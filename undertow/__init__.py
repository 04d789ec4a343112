"""Undertow: long-horizon behavioural evaluation of LLM agents in generated, living worlds."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("undertow")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
