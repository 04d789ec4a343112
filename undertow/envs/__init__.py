"""The worlds agents act in: environments and the sandboxes they run in."""
