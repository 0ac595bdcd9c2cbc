"""Quantiles from the sketch are within 1% of the exact ones, in bounded memory."""

import random

import pytest

from tidal.latency_sketch import RELATIVE_ACCURACY, LatencySketch


def exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("q", [0.0, 0.01, 0.5, 0.9, 0.99, 1.0])
def test_quantiles_are_within_the_relative_accuracy(seed, q):
    rng = random.Random(seed)
    # latencies from microseconds to minutes, with a heavy tail, as a queue makes them
    values = [rng.lognormvariate(-3, 2) for _ in range(20_000)]
    sketch = LatencySketch()
    for value in values:
        sketch.add(value)
    truth = exact(values, q)
    assert abs(sketch.quantile(q) - truth) <= RELATIVE_ACCURACY * truth * 1.0001


def test_memory_is_bounded_whatever_the_count():
    sketch = LatencySketch()
    rng = random.Random(1)
    for _ in range(200_000):
        sketch.add(rng.uniform(1e-6, 86_400))
    assert sketch.count == 200_000
    assert sketch.buckets < 1_500  # a microsecond to a day


def test_empty_and_zero_durations():
    sketch = LatencySketch()
    assert sketch.quantile(0.5) is None
    sketch.add(0.0)
    sketch.add(-0.001)  # clocks that stepped back
    sketch.add(2.0)
    assert sketch.quantile(0.0) == 0.0 and sketch.quantile(0.5) == 0.0
    assert sketch.quantile(1.0) == pytest.approx(2.0, rel=RELATIVE_ACCURACY)
