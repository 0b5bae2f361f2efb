"""Follow one path Z_j → O_i → E: a computation graph whose n² edges are the Jacobian, and a
caption that multiplies the path's two factors in the state's numbers."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from app.explorer.display import MINUS, number
from app.explorer.panels.facts import Facts, first_row
from app.explorer.scales import keyed
from app.explorer.state import ExplorerState
from app.service.compute import GradientResult

WIDTH = 400
ROW = 34  # px between nodes
TOP = 24


@dataclass(frozen=True, slots=True)
class Edge:
    """One edge: Z_j → O_i (a Jacobian entry) or O_i → E (dE/dO_i)."""

    i: int  # 0-based output
    j: int  # 0-based logit (-1 for an O → E edge)
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    dashed: bool  # a negative factor
    current: bool
    label: str


@dataclass(frozen=True, slots=True)
class Node:
    x: float
    y: float
    label: str
    focused: bool


@dataclass(frozen=True, slots=True)
class PathPanel:
    """The focused path, the graph and the caption."""

    i: int  # 1-based
    j: int
    n: int
    jacobian: float  # dO_i/dZ_j
    grad_prob: float | None  # dE/dO_i (None where O_i underflows)
    term: float
    total: float  # dE/dZ_j
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]
    caption: str


def symbols(f: Facts, i: int, j: int) -> tuple[str, str]:
    """Return dO_i/dZ_j and dE/dO_i in symbols for this kind of state: ("−O1·O2", "−Y1/O1")."""
    I, J = f.sub(i), f.sub(j)  # 2, or _cat with the instructor's names
    over_t = "/T" if f.tempered else ""
    factor = f"O{I}(1 − O{I}){over_t}" if i == j else f"{MINUS}O{I}·O{J}{over_t}"
    c_i = "Y" if not f.weighted and not f.smoothed else "c"  # c = w·Y′, said in the caption
    over_n = "/N" if f.norm != 1.0 else ""
    return factor, f"{MINUS}{c_i}{I}/O{I}{over_n}"


def signed(value: float, digits: int = 3) -> str:
    """Write a value with its sign, + included: +0.269, −0.197."""
    text = number(value, digits)
    return text if text.startswith(MINUS) or text == "0" else f"+{text}"


def _caption(f: Facts, state: ExplorerState, i: int, j: int, values: dict[str, float]) -> str:
    I, J = f.sub(i), f.sub(j)  # 2, or _cat with the instructor's names
    factor, dE_symbol = symbols(f, i, j)
    grad_prob = values.get("grad_prob")
    dEdO = (
        f"dE/dO{I} = {dE_symbol} = {number(grad_prob, 4)}"
        if grad_prob is not None
        else f"dE/dO{I} = {MINUS}∞ (O{I} underflows; the product stays finite)"
    )
    term, total = values["term"], values["total"]
    text = (
        f"Path Z{J} → O{I} → E: dO{I}/dZ{J} = {factor} = {number(values['jacobian'], 3)}; "
        f"{dEdO}; product {signed(term)}."
    )
    defined = []
    if f.weighted or f.smoothed:
        defined.append(f"c{I} = w{I}·Y′{I}" if f.weighted else f"c{I} = Y′{I}")
    if f.norm != 1.0:
        defined.append(f"N = {number(f.norm, 4)}")
    if defined:
        text += f" ({', '.join(defined)}.)"
    if abs(term - total) <= 1e-12 * max(1.0, abs(total)) and term != 0:
        who = (
            state.in_words(3, tuple(f.labels) if f.named else ())[1]
            if isinstance(state.target, int)
            else "this target"
        )
        text += f" With {who} this path carries all of dE/dZ{J}."
    elif term == 0:
        y = "Y′" if f.smoothed else "Y"
        text += f" {y}{I} is 0, so this path carries nothing of dE/dZ{J} = {number(total, 3)}."
    else:
        text += (
            f" It contributes {signed(term)} to dE/dZ{J} = {number(total, 3)}; the other "
            f"paths add {signed(total - term)}."
        )
    if i != j:
        text += " It is a path the diagonal-only answer drops."
    else:
        text += " It is the direct term, the only one the diagonal-only answer keeps."
    return text


def path(state: ExplorerState, result: GradientResult, f: Facts, i: int, j: int) -> PathPanel:
    """Build the graph and caption for the path Z_j → O_i → E (0-based i, j)."""
    assert result.jacobian is not None
    assert result.chain is not None
    J = result.jacobian[0]
    gp = first_row(result.ce.grad_probs)
    n = f.n
    height = TOP + n * ROW
    xz, xo, xe = 40.0, 230.0, 360.0
    ys = [TOP + ROW / 2 + k * ROW - 6 for k in range(n)]
    biggest = max(float(abs(J).max()), 1e-300)
    edges: list[Edge] = []
    for a in range(n):
        for b in range(n):
            value = float(J[a, b])
            edges.append(
                Edge(
                    a,
                    b,
                    xz + 22,
                    ys[b],
                    xo - 22,
                    ys[a],
                    0.5 + 5.5 * abs(value) / biggest,
                    value < 0,
                    (a, b) == (i, j),
                    number(value, 3),
                )
            )
    finite = [abs(v) for v in gp if v == v and abs(v) != float("inf")]
    top = max(finite, default=1.0) or 1.0
    ye = TOP + n * ROW / 2 - 6
    for a in range(n):
        value = gp[a]
        width = (
            6.0 if value != value or abs(value) == float("inf") else 0.5 + 5.5 * abs(value) / top
        )
        edges.append(
            Edge(
                a,
                -1,
                xo + 22,
                ys[a],
                xe - 24,
                ye,
                width,
                value < 0,
                a == i,
                number(value, 3) if abs(value) != float("inf") else f"{MINUS}∞",
            )
        )
    # Z2, or Z_cat with names (cut to the node's width, and escaped: the graph is drawn raw)
    zs = keyed([f"Z{f.sub(k)}" for k in range(n)], 44, 12)
    outs = keyed([f"O{f.sub(k)}" for k in range(n)], 44, 12)
    if zs is None or outs is None:  # names cut alike or to a letter: numbered, as the caption
        zs, outs = [f"Z{k + 1}" for k in range(n)], [f"O{k + 1}" for k in range(n)]
    nodes = [Node(xz, ys[k], escape(zs[k]), k == j) for k in range(n)]
    nodes += [Node(xo, ys[k], escape(outs[k]), k == i) for k in range(n)]
    nodes.append(Node(xe, ye, "E", True))
    values = {
        "jacobian": float(J[i, j]),
        "term": float(result.chain[0][i, j]),
        "total": float(result.ce.grad_logits[0, j]),
    }
    finite_gp = gp[i] if abs(gp[i]) != float("inf") else None
    if finite_gp is not None:
        values["grad_prob"] = finite_gp
    return PathPanel(
        i + 1,
        j + 1,
        n,
        values["jacobian"],
        finite_gp,
        values["term"],
        values["total"],
        WIDTH,
        int(height),
        nodes,
        edges,
        _caption(f, state, i, j, values),
    )
