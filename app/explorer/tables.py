"""The largest tables as HTML text: the Jacobian's n² cells and the chain rule's n terms,
written here rather than by Jinja loops (a fifth of a ten-class fragment's template time).

Every cell is a number formatted by `display.number`; row labels are class names, escaped as
the templates' `cls` filter escapes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from app.explorer.display import class_name, number_text
from app.explorer.panels.chain import ChainTerm


def _cell(value: float, digits: int) -> str:
    """A number for a table cell: on paper, where nothing scrolls, a power of ten may go under
    its mantissa (a ten-class Jacobian of −3.692×10⁻¹¹s was wider than an A4 sheet)."""
    return number_text(value, digits).replace("×", "<wbr>×", 1)


def jacobian_body(
    matrix: Sequence[Sequence[float]],
    focus: tuple[int, int] | None = None,
    names: tuple[str, ...] = (),
) -> Markup:
    """Return the Jacobian table's <tbody>: a row per O_i, a cell per Z_j, the focused cell
    (the path's i, j) marked as current."""
    out = ["<tbody>"]
    for i, row in enumerate(matrix):
        cells = [f"<td>{_cell(v, 3)}</td>" for v in row]
        if focus and focus[0] == i:
            j = focus[1]
            cells[j] = f'<td class="focused" aria-current="true">{_cell(row[j], 3)}</td>'
        label = escape(class_name(i + 1, names))
        out.append(f'<tr><th scope="row">O<sub>{label}</sub></th>{"".join(cells)}</tr>')
    out.append("</tbody>")
    return Markup("".join(out))


def chain_body(
    terms: Sequence[ChainTerm],
    loss: str,
    focus: tuple[int, int] | None = None,
    names: tuple[str, ...] = (),
) -> Markup:
    """Return the chain-rule table's <tbody>, a row per term: i, dE/dO_i, dO_i/dZ_j and their
    product, the direct term marked, the focused one (the path's i) current. Where dE/dO_i is
    infinite the row says why: O_i underflows, or (binary cross-entropy) σ_i saturates."""
    out = ["<tbody>\n"]
    for k, t in enumerate(terms):
        current = focus is not None and focus[0] == k
        kind = "direct" if t.direct else "cross"
        i = escape(class_name(t.i, names))
        if t.grad_prob is not None:
            grad_prob: str = _cell(t.grad_prob, 4)
        elif loss == "bce":
            grad_prob = f"{t.infinite} (σ<sub>{i}</sub> saturates)"
        else:
            grad_prob = f"−∞ (O<sub>{i}</sub> underflows)"
        mark = ' class="{}{}"{}'.format(
            kind, " focused" if current else "", ' aria-current="true"' if current else ""
        )
        out.append(
            f"        <tr{mark}>\n"
            f'          <th scope="row">{i}{" (direct)" if t.direct else ""}</th>\n'
            f"          <td>{grad_prob}</td>\n"
            f"          <td>{_cell(t.jacobian, 4)}</td>\n"
            f"          <td>{_cell(t.value, 4)}</td>\n"
            "        </tr>\n"
        )
    out.append("      </tbody>")
    return Markup("".join(out))
