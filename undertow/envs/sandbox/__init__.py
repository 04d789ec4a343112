"""Sandboxes: isolated workspaces where environments run the agent's commands.

One protocol (:class:`Sandbox`) and two backends that pass the same contract tests:
``docker`` (a container per sandbox, no network, resource limits, a warm pool) and ``local``
(a temporary folder with rlimits; not a security boundary). :func:`open_provider` chooses.
"""

from undertow.envs.sandbox.base import (
    ExecResult,
    IsolatedRun,
    Sandbox,
    SandboxError,
    SandboxFileNotFound,
    SandboxLimits,
    SandboxPathError,
    SandboxRequestError,
    SandboxUnavailable,
)
from undertow.envs.sandbox.manifest import Manifest, ManifestDiff, diff_manifests
from undertow.envs.sandbox.provider import SandboxProvider, open_provider

__all__ = [
    "ExecResult",
    "IsolatedRun",
    "Manifest",
    "ManifestDiff",
    "Sandbox",
    "SandboxError",
    "SandboxFileNotFound",
    "SandboxLimits",
    "SandboxPathError",
    "SandboxProvider",
    "SandboxRequestError",
    "SandboxUnavailable",
    "diff_manifests",
    "open_provider",
]
