"""Hypothesis properties of scoring and assignment (pure functions, no database).

* hard rules are never broken, by suggestions or by any solver;
* capacities are never exceeded and nobody gets two peers;
* the optimal batch is never below first come, first served (same objective), and equals the
  exact MILP;
* explanations mention only what both sides chose to share — never load or wellbeing.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alongside.matching import assignment
from alongside.matching.scoring import (
    IN_PERSON,
    Labels,
    PeerInput,
    RequestInput,
    Weights,
    encode_peers,
    explain,
    explanation_text,
    hard_rule_failures,
    haversine_km,
    score,
    top_k,
)
from tests.matching.strategies import EXPERIENCES, instance, peer, request

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
weights_strategy = st.builds(
    Weights,
    base=st.integers(0, 20),
    shared_experience=st.integers(0, 60),
    specialty=st.integers(0, 20),
    gender=st.integers(0, 20),
    availability=st.integers(0, 30),
    distance=st.integers(0, 20),
    load=st.integers(0, 20),
    wellbeing_stretched=st.integers(0, 30),
    continuity=st.integers(0, 30),
    waiting_per_day=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    waiting_days_cap=st.integers(1, 365),
)


def assert_hard_rules(r: RequestInput, p: PeerInput) -> None:
    """Each rule spelled out on its own (not through the function under test)."""
    assert p.active and p.capacity > 0
    assert p.key not in r.excluded_peers
    if r.languages:
        assert r.languages & p.languages
    assert r.required_specialties <= p.specialties
    if r.gender_required and r.gender_preference:
        assert p.gender in r.gender_preference
    wanted = r.modalities or {IN_PERSON, "phone", "video", "text"}
    remote = (wanted & p.modalities) - {IN_PERSON}
    if not remote:
        assert IN_PERSON in wanted and IN_PERSON in p.modalities
        assert None not in (r.latitude, r.longitude, p.latitude, p.longitude, r.travel_km, p.travel_km)
        d = float(haversine_km(r.latitude, r.longitude, p.latitude, p.longitude))
        assert d <= min(r.travel_km, p.travel_km)  # type: ignore[type-var]


def assert_valid(pairs: list[tuple[int, int]], requests: list[RequestInput], peers: list[PeerInput]) -> None:
    people = Counter(i for i, _j in pairs)
    assert all(count == 1 for count in people.values()), "someone was given two peers"
    load = Counter(j for _i, j in pairs)
    for j, count in load.items():
        assert count <= peers[j].capacity, "a peer was given more people than their room"
    for i, j in pairs:
        assert_hard_rules(requests[i], peers[j])


@FAST
@given(instance(), weights_strategy)
def test_vectorised_rules_agree_with_the_pairwise_rules(inst, weights):
    requests, peers = inst
    scores = score(requests, encode_peers(peers), weights)
    for i, r in enumerate(requests):
        for j, p in enumerate(peers):
            assert bool(scores.feasible[i, j]) == (hard_rule_failures(r, p) == []), (r, p)


@FAST
@given(instance(), weights_strategy)
def test_no_solver_breaks_a_hard_rule_or_a_capacity(inst, weights):
    requests, peers = inst
    problem = assignment.prepare(requests, peers, weights)
    flow = assignment.solve_flow(problem.values, problem.scores.feasible, problem.capacity)
    greedy = assignment.solve_greedy(
        problem.values, problem.scores.feasible, problem.capacity, assignment.first_come_order(requests)
    )
    assert_valid(flow, requests, peers)
    assert_valid(greedy, requests, peers)


@FAST
@given(instance(max_people=10, max_peers=5), weights_strategy)
def test_the_optimum_is_never_below_first_come_first_served(inst, weights):
    requests, peers = inst
    problem = assignment.prepare(requests, peers, weights)
    flow = assignment.solve_flow(problem.values, problem.scores.feasible, problem.capacity)
    greedy = assignment.solve_greedy(
        problem.values, problem.scores.feasible, problem.capacity, assignment.first_come_order(requests)
    )
    assert assignment.total_of(problem.values, flow) >= assignment.total_of(problem.values, greedy)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance(max_people=9, max_peers=5), weights_strategy)
def test_the_flow_equals_the_exact_milp(inst, weights):
    requests, peers = inst
    problem = assignment.prepare(requests, peers, weights)
    flow = assignment.solve_flow(problem.values, problem.scores.feasible, problem.capacity)
    milp = assignment.solve_milp(problem.values, problem.scores.feasible, problem.capacity)
    assert_valid(milp, requests, peers)
    assert assignment.total_of(problem.values, flow) == assignment.total_of(problem.values, milp)


@FAST
@given(st.data())
def test_explanations_mention_only_what_both_chose_to_share(data):
    p = data.draw(peer("peer-0"))
    r = data.draw(request("request-0", [p.key]))
    reasons = explain(r, p)
    for reason in reasons:
        items = set(reason.items)
        if reason.kind == "experience":
            assert items and items <= r.experiences & p.experiences
        elif reason.kind == "language":
            assert items and items <= r.languages & p.languages
        elif reason.kind == "availability":
            assert items and items <= r.availability & p.availability
        elif reason.kind == "modality":
            assert items and items <= r.modalities & p.modalities
        elif reason.kind == "specialty":
            assert items and items <= r.wanted_specialties & p.specialties
        elif reason.kind == "gender":
            assert items == {p.gender} and p.gender and p.gender in r.gender_preference
        elif reason.kind == "continuity":
            assert p.key in r.previous_peers and not items
        else:
            raise AssertionError(f"unexpected reason {reason.kind}")
    # Load and wellbeing never change what is said.
    other = dataclasses.replace(p, stretched=not p.stretched, capacity=data.draw(st.integers(0, 9)))
    assert explain(r, other) == reasons
    # The words name only shared lived experience (each term has a distinctive label).
    words = {t: f"Label{t[-1]}X" for t in EXPERIENCES}
    text = explanation_text(reasons, Labels(experiences=words))
    for term in (r.experiences | p.experiences) - (r.experiences & p.experiences):
        assert words[term] not in text
    assert "stretch" not in text.lower() and "caseload" not in text.lower()


@FAST
@given(instance(max_people=1, max_peers=8), weights_strategy, st.integers(1, 5))
def test_top_k_is_the_best_feasible_k(inst, weights, k):
    requests, peers = inst
    if not requests:
        return
    r = requests[0]
    arrays = encode_peers(peers)
    chosen = top_k(r, arrays, weights, k=k)
    scores = score([r], arrays, weights)
    feasible = [j for j in range(len(peers)) if scores.feasible[0, j]]
    expected = sorted(feasible, key=lambda j: (-scores.points[0, j], peers[j].key))[:k]
    assert [s.peer.key for s in chosen] == [peers[j].key for j in expected]
    for s in chosen:
        assert_hard_rules(r, s.peer)
        assert s.reasons == tuple(explain(r, s.peer))


def test_waiting_longer_never_lowers_the_priority():
    w = Weights(waiting_per_day=0.5, waiting_days_cap=100)
    days = np.arange(0, 300)
    priorities = [w.priority(float(d)) for d in days]
    assert priorities == sorted(priorities)
    assert priorities[-1] == 50.0
