"""The policies under test: LLM agents and scripted reference agents."""
