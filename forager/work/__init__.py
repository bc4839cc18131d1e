"""The work runner every per-item stage uses (recipes, images, candidates, episodes).

`run_items` takes items with keys, skips those already done, runs the rest on an executor with
rich progress, hands each result to the driver (the only writer), records a failing item with
its reason and goes on, and on Ctrl-C or SIGTERM stops cleanly and calls the stage's cleanup.
The executor is local threads today; anything with `submit(fn, *args) -> Future` can replace it
(a Ray cluster, where `fn` runs on a node's agent actor).
"""
