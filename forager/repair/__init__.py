"""The recipe repair agent: when inference's heuristics give no good recipe, Forager's own agent
loop works in a build container (network on) with the failure logs and proposes recipes; each
proposal is judged by the validator like any candidate. It changes recipes only, never the
repository's source, and its steps are capped. Its episodes are kept as trajectories.

Above `agent` in the layering; inference (below `tasks`) receives it as a plain callable."""
