"""What `tidal lab s3-fanout` prints from a run's figures."""

import pytest
from rich.console import Console

from tidal.lab.s3_fanout import FanoutReport, RecentRates, print_report, queue_is_growing


def report(**overrides) -> FanoutReport:
    fields = dict(
        objects=1000, uploaded=1000, processed=1000, histogram={1: 1000}, never_processed=0,
        upload_seconds=1.0, end_to_end_seconds=2.0, p50_ms=400.0, p99_ms=900.0, max_workers=4,
        bucket="b", table="t",
    )
    fields.update(overrides)
    return FanoutReport(**fields)


def printed(r: FanoutReport) -> str:
    console = Console(record=True, width=120)
    print_report(r, console)
    return console.export_text()


def test_latency_from_a_queue_is_said_to_be_one():
    text = printed(report())  # 1,000 uploads/s against 500 handled/s
    assert "1 → 1,000" in text and "p50 400.0 ms, p99 900.0 ms" in text
    assert "mostly queueing: uploads came at 1,000/s and the handler, on 4 workers" in text
    assert "finished 500/s overall" in text


def test_no_queueing_note_when_the_handler_kept_up():
    text = printed(report(end_to_end_seconds=1.05))
    assert "p50 400.0 ms" in text
    assert "queueing" not in text


def test_no_latency_and_no_note_against_a_server_that_is_not_tidal():
    text = printed(report(p50_ms=None, p99_ms=None, max_workers=None))
    assert "latency" not in text and "queueing" not in text


def test_a_partial_run_names_its_end_and_its_three_categories():
    text = printed(report(outcome="interrupted", uploaded=700, processed=650, histogram={1: 640, 2: 10},
                          never_processed=50, never_examples=["files/651", "files/652"], upload_errors=3))
    assert "interrupted (Ctrl-C): a partial report" in text
    assert "700 of 1,000" in text
    assert "not uploaded" in text and "300 (3 failed puts)" in text
    assert "1 → 640, 2 → 10" in text  # processed n times
    assert "uploaded, never processed" in text and "50 (files/651, files/652 …)" in text


def test_a_stalled_run_says_so():
    assert "nothing uploaded or delivered for the stall timeout" in printed(report(outcome="stalled"))
    assert "run" not in printed(report()).split("objects uploaded")[0].split("s3-fanout")[1]


def test_the_total_time_stands_beside_aws_hour_with_each_process_peak_memory():
    text = printed(report(total_seconds=1855.0, peak_mb={"lab": 62.4, "server": 209.8, "workers": 195.5}))
    assert "30.9 min (AWS, seed-000 at 1,000,000: about an hour)" in text
    assert "lab 62 MB, server 210 MB, workers 196 MB" in text
    assert "42.0 s (AWS" in printed(report(total_seconds=42.0))


def test_rates_are_over_the_last_seconds():
    rates = RecentRates(window=5.0)
    assert rates.update(0.0, 0, 0) == (0.0, 0.0)
    for second in range(1, 11):
        got = rates.update(float(second), 100 * second, 50 * second if second <= 5 else 250)
    assert got[0] == pytest.approx(100.0)  # steady uploads
    assert got[1] == pytest.approx(0.0)  # deliveries stopped five seconds ago: now 0, not the run's average


def test_a_growing_queue_is_told_once_it_holds_ten_seconds_of_deliveries():
    assert queue_is_growing(6_000, up_rate=650, done_rate=500)
    assert not queue_is_growing(4_000, up_rate=650, done_rate=500)  # under ten seconds' worth
    assert not queue_is_growing(6_000, up_rate=500, done_rate=520)  # deliveries keep pace: it drains
    assert not queue_is_growing(106, up_rate=21, done_rate=0)  # the first workers are still cold-starting
    assert queue_is_growing(50, up_rate=100, done_rate=2)
