"""Training formats: `cwm` (the exact text the model saw, with a loss mask), `openai` (messages
with tool_calls and a tools schema, as TRL's SFTTrainer takes them) and `sharegpt`."""
