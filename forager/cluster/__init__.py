"""The stages on a Ray cluster: one agent actor per worker node runs the same work as a local run.

connect (find the cluster), placement (which nodes an image goes to, which endpoint an episode
takes), registry (images between engines), node_agent (the actor), executor (the work runner's
Executor on the cluster). Ray is imported only here, and only when `--ray` is given.
"""
