"""The largest tables as HTML text: the Jacobian's n² cells, written here rather than by a
Jinja loop (a tenth of a ten-class fragment's template time went to it).

Every cell is a number formatted by `display.number`; row labels are class names, escaped as
the templates' `cls` filter escapes them.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from app.explorer.display import class_name, number


def jacobian_body(
    matrix: Sequence[Sequence[float]],
    focus: tuple[int, int] | None = None,
    names: tuple[str, ...] = (),
) -> Markup:
    """Return the Jacobian table's <tbody>: a row per O_i, a cell per Z_j, the focused cell
    (the path's i, j) marked as current."""
    out = ["<tbody>"]
    for i, row in enumerate(matrix):
        cells = [f"<td>{number(v, 3)}</td>" for v in row]
        if focus and focus[0] == i:
            j = focus[1]
            cells[j] = f'<td class="focused" aria-current="true">{number(row[j], 3)}</td>'
        label = escape(class_name(i + 1, names))
        out.append(f'<tr><th scope="row">O<sub>{label}</sub></th>{"".join(cells)}</tr>')
    out.append("</tbody>")
    return Markup("".join(out))
