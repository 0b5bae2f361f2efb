"""The canonical state as properties: it reads back what it writes, it writes one spelling, and
the explorer accepts and refuses exactly what `GET /gradient` does for the fields they share."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import QueryParams
from starlette.testclient import TestClient

from app.explorer.form import check, read_draft
from app.explorer.state import MAX_CLASSES, MIN_CLASSES, REDUCTIONS, ExplorerState
from app.settings import Settings

SETTINGS = Settings()

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def states(draw: st.DrawFn) -> ExplorerState:
    """Draw a valid explorer state, in canonical form."""
    n = draw(st.integers(MIN_CLASSES, MAX_CLASSES))
    logits = tuple(draw(st.lists(finite, min_size=n, max_size=n)))
    target: int | tuple[float, ...]
    if draw(st.booleans()):
        target = draw(st.integers(0, n - 1))
    else:
        raw = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))) + 1e-3
        target = tuple(float(v) for v in raw / raw.sum())
    weights = draw(st.none() | st.lists(st.floats(0.5, 1e6), min_size=n, max_size=n))
    if weights is not None and all(w == 1.0 for w in weights):
        weights = None
    return ExplorerState(
        logits=logits,
        target=target,
        temperature=draw(st.floats(1e-4, 1e4)),
        label_smoothing=draw(st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0, 1)),
        weights=None if weights is None else tuple(weights),
        reduction=draw(st.sampled_from(REDUCTIONS)),
        j=draw(st.integers(0, n - 1)),
    )


def read(query: str) -> ExplorerState | None:
    return check(read_draft(QueryParams(query)), SETTINGS).state


@given(states())
def test_read_inverts_to_query(state: ExplorerState) -> None:
    assert read(state.to_query()) == state


@given(states())
def test_to_query_is_canonical(state: ExplorerState) -> None:
    # Another spelling of the same state: each value written longer, every default explicit,
    # the lists as repeated form fields.
    n = state.n
    pairs = [("logits", f"{v!r}") for v in state.logits]
    if isinstance(state.target, int):
        pairs.append(("target", f"{state.target}"))
    else:
        pairs += [("target", f"{v:.17g}") for v in state.target]
    pairs += [("weights", f"{w!r}") for w in (state.weights or (1.0,) * n)]
    pairs += [
        ("temperature", f"{state.temperature:.17g}"),
        ("label_smoothing", f"{state.label_smoothing:.17e}"),
        ("reduction", state.reduction),
        ("j", str(state.j)),
    ]
    spelled = "&".join(f"{k}={quote(v)}" for k, v in pairs)
    again = read(spelled)
    assert again == state
    assert again.to_query() == state.to_query()


def test_all_one_weights_are_the_default() -> None:
    # The form always sends one weight per class: all 1 must be the state without weights,
    # or the page and its URL (which drops them) would disagree.
    state = read("logits=2&logits=1&target=0&weights=1&weights=1")
    assert state == ExplorerState(logits=(2.0, 1.0), target=0)
    assert state is not None
    assert state.to_query() == "logits=2,1&target=0"


# Values a student or a careless tool writes into one field; the grammar is the API's.
TOKENS = [
    "2",
    "-3",
    "+1.5",
    ".5",
    "5.",
    "1e3",
    "1E-3",
    " 2 ",
    "\t1",
    "1\n",
    "−3",  # Unicode minus
    "3,5",
    "\u0661",  # Arabic-Indic digit one
    "\uff12",  # full-width digit two
    "nan",
    "inf",
    "-Infinity",
    "1e999",
    "0x10",
    "1_000",
    "",
    "abc",
    "1e6",
    "1000001",
    "9" * 400,
    "1" * 5000,
]


def _status(client: TestClient, url: str) -> str:
    code = client.get(url, follow_redirects=False).status_code
    assert code < 500, url
    return "accepted" if code in (200, 303) else "refused"


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize(
    "template",
    [
        "logits={t},1&target=0",
        "logits=2,1&target={t}",
        "logits=2,1,0&target={t},0.5,0.5",
        "logits=2,1&target=0&temperature={t}",
        "logits=2,1&target=0&label_smoothing={t}",
        "logits=2,1&target=0&weights={t},1",
    ],
)
def test_explorer_and_api_accept_and_refuse_the_same_values(
    client: TestClient, template: str, token: str
) -> None:
    query = template.format(t=quote(token, safe=","))
    page = _status(client, f"/?{query}")
    if token.startswith("\u2212"):  # the page's own minus: the explorer reads it as "-"
        query = template.format(t=quote("-" + token[1:], safe=","))
    api = _status(client, f"/gradient?{query}")
    assert page == api, f"{query!r}: the API {api} it, the explorer {page} it"


@pytest.mark.parametrize(
    "query",
    [
        "logits=2,1&target=0&temperature=1&temperature=2",
        "logits=2,1&target=0&reduction=sum&reduction=mean",
        "logits=2,1&target=0&label_smoothing=0&label_smoothing=0.1",
    ],
)
def test_repeated_single_fields_are_refused_by_both(client: TestClient, query: str) -> None:
    assert client.get(f"/gradient?{query}").status_code == 422
    page = client.get(f"/?{query}")
    assert page.status_code == 422
    assert "given more than once" in page.text


def test_a_matrix_limit_below_n_squared_is_a_message_not_a_500() -> None:
    from app.main import create_app

    with TestClient(create_app(Settings(max_matrix_elements=4))) as small:
        page = small.get("/?logits=1,2,3&target=0")
        assert page.status_code == 422
        assert "matrix entries" in page.text
        assert small.get("/?logits=1,2&target=0").status_code == 200
