"""Properties every count must keep, on random elections."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from portal.elections.count import Ballot, Election, count_meek, count_scottish, parse_blt


@st.composite
def elections(draw) -> Election:
    candidates = draw(st.integers(min_value=1, max_value=6))
    seats = draw(st.integers(min_value=1, max_value=4))
    ranking = st.permutations(range(candidates)).flatmap(
        lambda order: st.integers(min_value=1, max_value=candidates).map(lambda n: tuple(order[:n]))
    )
    ballots = draw(
        st.lists(st.builds(Ballot, st.integers(min_value=1, max_value=9), ranking), max_size=25)
    )
    withdrawn = draw(st.frozensets(st.integers(min_value=0, max_value=candidates - 1), max_size=1))
    names = tuple(f"Candidate {chr(65 + c)}" for c in range(candidates))
    return Election("random", seats, names, tuple(ballots), withdrawn)


def standing(election: Election) -> int:
    return len(election.candidates) - len(election.withdrawn)


@settings(max_examples=300, deadline=None)
@given(elections())
def test_scottish_fills_every_seat_it_can_and_conserves_votes_at_every_stage(election) -> None:
    result = count_scottish(election, seed="property")
    assert len(result.elected) == min(election.seats, standing(election))
    assert len(set(result.elected)) == len(result.elected)
    assert not set(result.elected) & election.withdrawn
    for stage in result.stages:
        assert sum(stage.votes.values()) + stage.non_transferable == result.valid * 10**5
        assert all(value >= 0 for value in stage.votes.values())
    excluded = {c for stage in result.stages for c in stage.excluded}
    assert not excluded & set(result.elected)


@settings(max_examples=150, deadline=None)
@given(elections())
def test_meek_fills_every_seat_it_can_and_conserves_votes_at_every_stage(election) -> None:
    result = count_meek(election, seed="property")
    assert len(result.elected) == min(election.seats, standing(election))
    assert len(set(result.elected)) == len(result.elected)
    for stage in result.stages:
        assert sum(stage.votes.values()) + stage.non_transferable == result.valid * 10**9


@settings(max_examples=200, deadline=None)
@given(elections())
def test_a_written_blt_file_reads_back_as_the_same_election(election) -> None:
    lines = [f"{len(election.candidates)} {election.seats}"]
    if election.withdrawn:
        lines.append(" ".join(f"-{c + 1}" for c in sorted(election.withdrawn)))
    lines += [
        " ".join(map(str, [b.weight, *[c + 1 for c in b.ranking], 0])) for b in election.ballots
    ]
    lines += ["0", *[f'"{name}"' for name in election.candidates], f'"{election.title}"']
    assert parse_blt("\r\n".join(lines) + "\r\n") == election
