"""The explorer's state: reading URLs and forms, the buttons' edits, canonical URLs, errors."""

from __future__ import annotations

import pytest
from starlette.datastructures import QueryParams

from app.explorer.edits import apply
from app.explorer.form import Draft, check, read_draft
from app.explorer.page import placed_errors
from app.settings import Settings


def draft(query: str) -> Draft:
    return read_draft(QueryParams(query))


def page_query(d: Draft) -> str:
    state = check(d, Settings()).state
    assert state is not None, check(d, Settings()).errors
    return state.to_query()


def test_default_is_the_seed_question() -> None:
    seed = draft("")
    assert seed.logits == ["2", "1"]
    assert seed.target == ["0"]
    assert not seed.soft
    assert seed.j == 1
    assert page_query(seed) == "logits=2,1&target=0"


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("logits=2&logits=1&target=0", "logits=2,1&target=0"),
        ("logits=2.0,1.50&target=0", "logits=2,1.5&target=0"),
        ("logits=2,1&target=1,0", "logits=2,1&target=1,0"),
        ("logits=2,1&target=0&temperature=1&label_smoothing=0", "logits=2,1&target=0"),
        (
            "logits=1,2,3&target=2&temperature=0.5&weights=1,1,1&j=0",
            "logits=1,2,3&target=2&temperature=0.5&j=0",
        ),
        (
            "logits=1,2&target=0&weights=2,1&reduction=sum",
            "logits=1,2&target=0&weights=2,1&reduction=sum",
        ),
    ],
)
def test_canonical_query(query: str, canonical: str) -> None:
    assert page_query(draft(query)) == canonical


def test_add_and_remove_classes() -> None:
    d = apply(draft("logits=2,1&target=1"), "add")
    assert d.logits == ["2", "1", "0"]
    d = apply(apply(d, "remove"), "remove")
    assert d.logits == ["2", "1"]  # never below two classes
    assert apply(draft("logits=" + ",".join(["0"] * 10) + "&target=0"), "add").n == 10


def test_removing_the_target_class_moves_the_target() -> None:
    d = apply(draft("logits=2,1,0&target=2&j=2"), "remove")
    assert d.target == ["1"]
    assert d.j == 1


def test_soft_labels_round_trip() -> None:
    soft = apply(draft("logits=2,1,0&target=1"), "soft")
    assert soft.soft
    assert soft.target == ["0", "1", "0"]
    assert apply(soft, "add").target == ["0", "1", "0", "0"]
    back = apply(draft("logits=2,1,0&target=0.2,0.5,0.3"), "onehot")
    assert back.target == ["1"]


def test_normalise_and_remove_keep_soft_targets_summing_to_one() -> None:
    d = apply(draft("logits=2,1,0&target=0.2,0.2,0.1"), "normalise")
    assert [float(t) for t in d.target] == pytest.approx([0.4, 0.4, 0.2])
    smaller = apply(draft("logits=2,1,0&target=0.25,0.25,0.5"), "remove")
    assert [float(t) for t in smaller.target] == pytest.approx([0.5, 0.5])


def test_normalise_spreads_all_zero_targets_evenly() -> None:
    d = apply(draft("logits=2,1,0,3&target=0,0,0,0"), "normalise")
    assert d.target == ["0.25", "0.25", "0.25", "0.25"]


def test_reset_returns_to_the_seed() -> None:
    assert page_query(apply(draft("logits=5,5,5&target=2&temperature=3"), "reset")) == (
        "logits=2,1&target=0"
    )


@pytest.mark.parametrize(
    ("query", "key", "fragment"),
    [
        ("logits=2,abc&target=0", "logits-1", "'abc' is not a finite decimal number"),
        ("logits=2,nan&target=0", "logits-1", "not a finite decimal"),
        ("logits=2,1e999&target=0", "logits-1", "out of float64's range"),
        ("logits=2,&target=0", "logits-1", "is empty; expected a finite decimal"),
        ("logits=2,1&target=0.5,0.6", "target", "must sum to 1"),
        ("logits=2,1&target=1.5,-0.5", "target-0", "between 0 and 1"),
        ("logits=2,1&target=0&temperature=0", "temperature", "must be at least 0.0001, got 0"),
        ("logits=2,1&target=0&label_smoothing=2", "label_smoothing", "must be at most 1, got 2"),
        ("logits=2,1&target=-100", "target", "a whole number in 0..1, got -100"),
        ("logits=2,1&target=0&j=5", "j", "a class index in 0..1 (j=0 is Z1), got '5'"),
        ("logits=2,1,0&target=0&j=x", "j", "in 0..2 (j=0 is Z1), got 'x'"),
        ("logits=2,1&target=0&weights=1,-1", "weights-1", "must not be negative, got -1:"),
        ("logits=2,1&target=0&weights=0,1", "weights", "sum to 0"),
        ("logits=2,1e7&target=0", "logits-1", "between -1e6 and 1e6"),
        ("logits=" + ",".join(["1"] * 11) + "&target=0", "logits", "2 to 10 classes"),
        ("logits=5&target=0", "logits", "2 to 10 classes, got 1;"),
        # no logits at all: said so, not "got 1" (the one empty field)
        ("logits=&target=0", "logits", "none given: type 2 to 10 logits"),
        ("logits=+&target=0", "logits", "none given: type 2 to 10 logits"),
    ],
)
def test_invalid_values_are_placed_beside_their_field(query: str, key: str, fragment: str) -> None:
    d = draft(query)
    outcome = check(d, Settings())
    assert outcome.state is None
    placed = placed_errors(d, outcome.errors)
    assert fragment in placed[key]


def test_errors_without_a_field_of_their_own_go_to_the_form_line() -> None:
    d = draft("logits=2,1&target=0")
    placed = placed_errors(d, {"include": "x", "logits-0": "y", "form": "z"})
    assert placed == {"form": "include: x z", "logits-0": "y"}  # named: no field is marked


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("\u20133", "'\u20133' starts with a typographic minus; type the ASCII minus: -3"),
        ("3,5", "'3,5' has a decimal comma; use a decimal point: 3.5"),
        ("\uff12", "'\uff12' has non-ASCII digits; type 0-9"),
        ("abc", "'abc' is not a finite decimal number (such as -1.5, 2 or 3e-4)"),
        ("1e999", "'1e999' is out of float64's range"),
        ("1000001", "must be between -1e6 and 1e6, got 1000001"),
        ("", "is empty; expected a finite decimal number"),
    ],
)
def test_typed_values_get_a_message_that_quotes_them(typed: str, message: str) -> None:
    # What a student types into one field (the form sends one value per field).
    d = read_draft(QueryParams([("logits", "2"), ("logits", typed), ("target", "0")]))
    outcome = check(d, Settings())
    assert outcome.state is None
    assert placed_errors(d, outcome.errors)["logits-1"] == message


def test_the_pages_own_minus_sign_pasted_back_reads_as_minus() -> None:
    """Every number the page writes has U+2212: pasted back into a field it was refused."""
    d = read_draft(QueryParams([("logits", "\u22123"), ("logits", " \u22120.5"), ("target", "0")]))
    outcome = check(d, Settings())
    assert outcome.state is not None
    assert outcome.state.logits == (-3.0, -0.5)
