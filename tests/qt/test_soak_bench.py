"""``nnviz bench --soak``: the window trains to N iterations and reports its memory on the way."""

from nnviz.qt.soak_bench import _marks, run_soak


def test_the_soak_trains_at_the_batch_size_asked_and_reports_each_mark():
    lines = []
    result = run_soak(1500, "digits", report=lines.append, batch_size=1)
    rows = result["samples"]
    assert result["batch_size"] == 1 and rows and len(lines) == len(rows)
    assert rows[-1]["iteration"] >= 1500 and all(r["batch_size"] == 1 for r in rows)
    assert all(r["rss_mb"] > 0 and r["timeline_states"] > 0 for r in rows)


def test_the_marks_are_10k_100k_then_every_tenth():
    assert _marks(3000) == [3000]
    assert _marks(1_000_000) == [10_000, 100_000, 200_000, 300_000, 400_000, 500_000, 600_000, 700_000,
                                 800_000, 900_000, 1_000_000]
    assert _marks(10_000_000)[:3] == [10_000, 100_000, 1_100_000] and _marks(10_000_000)[-1] == 10_000_000
