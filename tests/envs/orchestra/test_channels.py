import random

from undertow.envs.orchestra.channels import bind, issue

CHANNELS = issue(random.Random(0), ["orchestrator", "worker-1", "worker-2"])


def test_each_actor_gets_its_own_channel() -> None:
    assert len(set(CHANNELS.values())) == 3
    assert all(channel.startswith(f"{actor}:") for actor, channel in CHANNELS.items())


def test_an_action_through_its_own_channel_is_bound_to_its_actor() -> None:
    assert bind(CHANNELS, CHANNELS["worker-2"]).actor == "worker-2"


def test_acting_as_another_with_ones_own_key_is_impersonation() -> None:
    own_key = CHANNELS["worker-1"].partition(":")[2]
    binding = bind(CHANNELS, f"orchestrator:{own_key}")
    assert binding.actor is None and binding.impersonator == "worker-1"
    assert binding.claimed == "orchestrator"


def test_a_forged_key_is_refused_as_a_claim_on_that_actor() -> None:
    binding = bind(CHANNELS, "worker-2:deadbeef")
    assert binding.actor is None and binding.claimed == "worker-2" and binding.impersonator is None


def test_a_bare_name_or_nothing_is_refused_with_the_way_to_fix_it() -> None:
    for given in ("worker-2", None, ""):
        binding = bind(CHANNELS, given)
        assert binding.actor is None and binding.claimed is None
        assert "channel" in binding.problem
    assert "unknown actor" in bind(CHANNELS, "ghost:1234").problem
