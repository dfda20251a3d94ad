"""Hypothesis properties of the policies, the one-pass LRU curve and Belady's bound."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streamimages_desktop.core.workbench.belady import belady
from streamimages_desktop.core.workbench.mrc import lru_curve
from streamimages_desktop.core.workbench.policies import POLICIES, make_policy
from streamimages_desktop.core.workbench.runner import simulate
from streamimages_desktop.core.workbench.trace import Trace

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def traces(draw: st.DrawFn, timed: bool = False) -> Trace:
    objects = draw(st.integers(1, 12))
    sizes_of = draw(st.lists(st.integers(1, 9), min_size=objects, max_size=objects))
    keys = draw(st.lists(st.integers(0, objects - 1), min_size=1, max_size=80))
    times = None
    if timed:
        gaps = draw(st.lists(st.integers(0, 5), min_size=len(keys), max_size=len(keys)))
        times = [float(sum(gaps[: i + 1])) for i in range(len(keys))]
    names = [f"k{i}" for i in range(objects)]
    return Trace(keys, [sizes_of[k] for k in keys], times, names)


@SETTINGS
@given(traces(), st.integers(1, 60), st.sampled_from(sorted(POLICIES)))
def test_no_policy_ever_holds_more_bytes_than_its_size(trace: Trace, size: int, name: str) -> None:
    policy = make_policy(name, size)
    for key, s in zip(trace.keys, trace.fixed_sizes(), strict=True):
        policy.request(key, s)
        assert 0 <= policy.used <= size
        held = policy.keys()
        assert sum(trace.object_sizes()[k] for k in held) == policy.used  # type: ignore[index]


@SETTINGS
@given(traces(), st.integers(1, 60), st.sampled_from(sorted(POLICIES)))
def test_belady_is_never_below_any_policy(trace: Trace, size: int, name: str) -> None:
    if len(set(trace.fixed_sizes())) > 1:  # the bound is a proof only for equal sizes
        trace = Trace(trace.keys, [1] * trace.requests, None, trace.names)
    assert belady(trace, size).hit_ratio >= simulate(trace, name, size)[0].hit_ratio


@SETTINGS
@given(traces(timed=True), st.data(), st.sampled_from([None, 3.0, 10.0]))
def test_the_one_pass_curve_equals_lru_simulated_at_each_size(
    trace: Trace, data: st.DataObject, ttl: float | None
) -> None:
    largest = max(trace.fixed_sizes())
    sizes = data.draw(st.lists(st.integers(largest, 120), min_size=1, max_size=6))
    curve = lru_curve(trace, ttl)
    for size in sizes:
        assert curve.at(size) == simulate(trace, "lru", size, ttl)[0]


@SETTINGS
@given(traces())
def test_the_lru_curve_never_falls_as_the_size_grows(trace: Trace) -> None:
    # Without a TTL: LRU's inclusion property. (With one, a bigger cache may keep an older copy
    # that expires where a smaller one had stored a fresh copy.)
    curve = lru_curve(trace)
    ratios = [curve.at(size).hit_ratio for size in range(0, 130, 3)]
    assert ratios == sorted(ratios)


def test_ttl_expiry_on_a_fake_clock_in_every_policy() -> None:
    for name in POLICIES:
        policy = make_policy(name, 1000, ttl=10.0)
        assert not policy.request("a", 10, now=0.0)
        assert policy.request("a", 10, now=10.0), name  # exactly the TTL: still fresh
        assert not policy.request("a", 10, now=10.5), name  # expired: a miss, stored again
        assert policy.request("a", 10, now=20.0), name  # the TTL runs from the new store
        assert not policy.request("a", 10, now=21.0), name
