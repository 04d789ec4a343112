from undertow.record import Claim, EpisodeKey, Outcome, SubtaskOutcome, Trajectory
from undertow.scoring.view import EpisodeView


def test_claims_are_sorted_into_episode_subtask_abstention_and_posthoc() -> None:
    trajectory = Trajectory(
        key=EpisodeKey(scenario="s", seed=0, agent="a"),
        outcome=Outcome(
            success=False,
            score=0.5,
            subtasks=[
                SubtaskOutcome(id="T1", success=True, score=1.0),
                SubtaskOutcome(id="T2", success=False, score=0.0),
            ],
        ),
        claims=[
            Claim(step=1, subject="T1", confidence=0.9),
            Claim(step=2, subject="T2", kind="abstain", confidence=0.4),
            Claim(step=3, subject="episode", value=True, confidence=0.8),
            Claim(step=3, subject="episode", kind="posthoc", value=False, confidence=0.2),
        ],
    )
    view = EpisodeView.from_trajectory(trajectory)
    assert view.episode_claim == (True, 0.8)
    assert view.posthoc_confidence == 0.2
    assert view.subtask_claims == {"T1": 0.9, "T2": 0.4}
    assert view.abstained == frozenset({"T2"})
