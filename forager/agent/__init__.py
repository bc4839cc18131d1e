"""The agent side of an episode: tool protocol, observations, prompt rendering."""
