"""The worlds agents act in: environments and the sandboxes they run in.

Importing this package registers the environments with gymnasium, so that
``gymnasium.make("undertow/Repo-v0")`` works after ``import undertow.envs``.
"""

import gymnasium

ENVIRONMENTS = {
    "undertow/Repo-v0": "undertow.envs.repo.env:RepoEnv",
    "undertow/OwnRepo-v0": "undertow.envs.repo.byo:OwnRepoEnv",
    "undertow/Helpdesk-v0": "undertow.envs.helpdesk.env:HelpdeskEnv",
    "undertow/Orchestra-v0": "undertow.envs.orchestra.env:OrchestraEnv",
}

for _env_id, _entry_point in ENVIRONMENTS.items():
    if _env_id not in gymnasium.registry:
        gymnasium.register(id=_env_id, entry_point=_entry_point)
