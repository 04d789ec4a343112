"""The command line's layer: each module composes the subsystems for one command and holds
its console output (rich tables, progress). Nothing below this layer prints."""
