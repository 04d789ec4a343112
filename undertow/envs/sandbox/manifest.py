"""Workspace manifests (path -> content hash) and the difference between two of them."""

from __future__ import annotations

from dataclasses import dataclass

Manifest = dict[str, str]
"""Relative file path -> SHA-256 of its content, as returned by ``Sandbox.snapshot()``."""


@dataclass(frozen=True)
class ManifestDiff:
    """What changed between two snapshots of a workspace."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """True when the two snapshots are identical."""
        return not (self.added or self.removed or self.changed)

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path that was added, removed or changed, sorted."""
        return tuple(sorted((*self.added, *self.removed, *self.changed)))


def diff_manifests(before: Manifest, after: Manifest) -> ManifestDiff:
    """Compare two snapshots: files added, removed, and changed in content."""
    return ManifestDiff(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        changed=tuple(sorted(p for p in before.keys() & after.keys() if before[p] != after[p])),
    )
