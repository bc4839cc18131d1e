"""Every trajectory file loads with `datasets`, alone or mixed, whatever lists are empty in it."""

from __future__ import annotations

import pytest

from forager.jsonio import append_line
from forager.records.features import load_trajectories, trajectory_features
from forager.records.trajectory import ChatMessage, ExitStatus, Grading, ServerInfo, Timings, Trajectory, TurnRecord


def _traj(i: int, **changes) -> Trajectory:
    fields = dict(
        trajectory_id=f"t{i}#0", instance_id=f"t{i}", attempt=0, variant="mutate-fix", repo="r", image="img",
        image_id="sha256:0", problem_statement="p", FAIL_TO_PASS=["a"], PASS_TO_PASS=["b"], policy="chat",
        model="m", sampling={"temperature": 0.2, "top_p": 0.9}, server=ServerInfo(endpoint="e", models=["m"]),
        limits={"max_turns": 3}, messages=[ChatMessage(role="system", content="s")],
        turns=[TurnRecord(index=0, latency=0.1)], exit_status=ExitStatus.submitted,
        grading=Grading(resolved=True, applied=True, restored_files=["conftest.py"]), reward=1.0,
        timings=Timings(), started_at="2026-12-01T00:00:00")
    fields.update(changes)
    return Trajectory(**fields)


EMPTIES = {
    "turns": dict(turns=[], exit_status=ExitStatus.model_error),
    "restored_files": dict(grading=Grading(resolved=False, applied=False)),
    "server_models": dict(server=ServerInfo()),
    "pass_to_pass": dict(PASS_TO_PASS=[]),
    "sampling": dict(sampling={}),
}


@pytest.mark.parametrize("empty", sorted(EMPTIES))
def test_file_with_an_empty_list_everywhere_loads_alone_and_mixed_in_any_order(empty, tmp_path):
    full, sparse = tmp_path / "full.jsonl", tmp_path / f"{empty}.jsonl"
    append_line(full, _traj(0))
    for i in (1, 2):
        append_line(sparse, _traj(i, **EMPTIES[empty]))
    cache = str(tmp_path / "cache")
    assert load_trajectories(sparse, cache_dir=cache).num_rows == 2
    for files in ([sparse, full], [full, sparse]):
        ds = load_trajectories(files, cache_dir=cache)
        assert sorted(ds["instance_id"]) == ["t0", "t1", "t2"]
        row = ds[ds["instance_id"].index("t0")]
        assert row["turns"][0]["latency"] == 0.1 and row["grading"]["restored_files"] == ["conftest.py"]


def test_features_cover_every_field_of_the_record():
    assert set(trajectory_features()) == set(Trajectory.model_fields)
