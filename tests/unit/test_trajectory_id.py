from forager.harvest.episode import trajectory_id


def test_ids_name_task_and_attempt_and_never_repeat():
    ids = {trajectory_id("o__n__abc", 2) for _ in range(1000)}
    assert len(ids) == 1000
    assert all(i.startswith("o__n__abc#2-") for i in ids)
