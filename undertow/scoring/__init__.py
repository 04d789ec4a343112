"""Judgement: metrics over trajectories, statistics and reports."""
