"""Text exports of a state: its loss and dE/dZ_j derivation in LaTeX, and a PyTorch snippet
that reproduces its numbers ("Copy as PyTorch").

Both write the state's numbers exactly (`repr`, which round-trips float64) where code reads
them, and to 4 significant digits where a reader does.
"""

from __future__ import annotations

import math

from app.core.objectives import one_loss
from app.explorer.state import LOSS_TITLES, ExplorerState
from app.service.compute import GradientResult


def tex_number(value: float, digits: int = 4) -> str:
    """Write a number for LaTeX: 0.2689, -1.2 \\times 10^{-5}."""
    if not math.isfinite(value):
        return "-\\infty" if value < 0 else "\\infty"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa} \\times 10^{{{int(exponent)}}}"
    return text


def _sum(values: list[float]) -> str:
    """Write a sum of terms, each in parentheses when negative: 0.1 + (-0.3)."""
    return " + ".join(f"({tex_number(v)})" if v < 0 or v != v else tex_number(v) for v in values)


def latex(state: ExplorerState, result: GradientResult, names: tuple[str, ...] = ()) -> str:
    """Return the loss and the dE/dZ_j derivation with the state's numbers, in LaTeX."""
    ce = result.ce
    n, j = state.n, state.j
    J: int | str = j + 1
    if len(names) == n:  # an instructor's names: Z_{\text{cat}} (letters, digits and spaces)
        J = "\\text{" + "".join(ch if ch.isalnum() or ch == " " else "?" for ch in names[j]) + "}"
    norm = float(ce.norm)
    over = "" if norm == 1.0 else f"\\frac{{1}}{{{tex_number(norm)}}}"
    over_symbol = "" if norm == 1.0 else "\\frac{1}{N}"
    loss = one_loss(ce)
    lines = [
        f"% dEdZ: loss {LOSS_TITLES[state.loss]}; " + "; ".join(state.in_words(6, names)),
        "% Needs amsmath. N is what the reduction divides by; T the temperature.",
    ]
    if state.loss == "mse":
        O, Y = ce.softmax.probs[0], ce.target[0]
        pairs = " + ".join(
            f"({tex_number(float(o))} - {tex_number(float(y))})^2"
            for o, y in zip(O, Y, strict=True)
        )
        lines.append(
            f"\\[ E = {over_symbol}\\sum_i (O_i - Y'_i)^2 = {over}\\left({pairs}\\right) "
            f"= {tex_number(loss)} \\]"
        )
    elif state.loss == "bce":
        elements = [float(e) for e in ce.row_loss[0]]
        lines.append(
            f"\\[ E = {over_symbol}\\sum_i w_i\\left(\\log(1 + e^{{x_i}}) - Y_i x_i\\right),"
            f" \\quad x = Z/T, \\quad E = {over}\\left({_sum(elements)}\\right) "
            f"= {tex_number(loss)} \\]"
        )
    else:
        c = [float(v) for v in ce.weighted_target[0]]
        logs = [float(v) for v in ce.softmax.log_probs[0]]
        terms = " + ".join(
            f"{tex_number(ci)} \\cdot ({tex_number(li)})" for ci, li in zip(c, logs, strict=True)
        )
        lines.append(
            f"\\[ E = -{over_symbol}\\sum_i c_i \\log O_i = -{over}\\left({terms}\\right) "
            f"= {tex_number(loss)} \\]"
        )
    assert result.chain is not None
    chain = [float(result.chain[0][i, j]) for i in range(n)]
    grad = float(ce.grad_logits[0, j])
    lines.append(
        f"\\[ \\frac{{\\partial E}}{{\\partial Z_{{{J}}}}} = \\sum_i "
        f"\\frac{{\\partial E}}{{\\partial O_i}}\\,\\frac{{\\partial O_i}}{{\\partial Z_{{{J}}}}}"
        f" = {_sum(chain)} = {tex_number(grad)} \\]"
    )
    if state.loss == "cross_entropy":
        O = float(ce.softmax.probs[0, j])
        S = float(ce.weighted_target[0].sum())
        c_j = float(ce.weighted_target[0, j])
        T = state.temperature
        lines.append(
            f"\\[ \\frac{{\\partial E}}{{\\partial Z_{{{J}}}}} = "
            f"\\frac{{S\\,O_{{{J}}} - c_{{{J}}}}}{{T\\,N}} = "
            f"\\frac{{{tex_number(S)} \\cdot {tex_number(O)} - {tex_number(c_j)}}}"
            f"{{{tex_number(T)} \\cdot {tex_number(norm)}}} = {tex_number(grad)} \\]"
        )
        lines.append(
            "% With c = w Y' (weights times the smoothed target) and S = sum of c: "
            "O_j - Y_j when S = T = N = 1."
        )
    return "\n".join(lines) + "\n"


def _tensor(values: list[float] | list[list[float]]) -> str:
    return f"torch.tensor({values!r})"


def pytorch(state: ExplorerState, result: GradientResult, names: tuple[str, ...] = ()) -> str:
    """Return a runnable PyTorch snippet that computes the state's E, dE/dZ and Jacobian."""
    ce = result.ce
    logits = [list(state.logits)]
    T = state.temperature
    loss = one_loss(ce)
    grad = [float(g) for g in ce.grad_logits[0]]
    lines = [
        f"# dEdZ: {'; '.join(state.in_words(6, names))}; loss {LOSS_TITLES[state.loss]}",
        "# Reproduces dEdZ's numbers with PyTorch (float64 throughout). Compare with a relative",
        "# tolerance (1e-9, say): where an output saturates, PyTorch's float64 cancels digits",
        "# that dEdZ keeps, and may print 0 or a less precise number for a tiny one.",
        "import torch",
        "import torch.nn.functional as F",
        "",
        "torch.set_default_dtype(torch.float64)",
        f"Z = torch.tensor({logits!r}, requires_grad=True)  # logits: one row of {state.n}",
        f"T = {T!r}  # temperature",
    ]
    weights = f"torch.tensor({list(state.weights)!r})" if state.weights is not None else None
    if state.loss == "cross_entropy":
        if isinstance(state.target, int):
            lines.append(f"target = torch.tensor([{state.target}])  # class index (0-based)")
        else:
            lines.append(f"target = {_tensor([list(state.target)])}  # probabilities")
        arguments = ["z / T", "target"]
        if weights:
            arguments.append(f"weight={weights}")
        if state.label_smoothing:
            arguments.append(f"label_smoothing={state.label_smoothing!r}")
        arguments.append(f'reduction="{state.reduction}"')
        lines += [
            "",
            "",
            "def loss_of(z):",
            f"    return F.cross_entropy({', '.join(arguments)})",
            "",
            "",
            "def outputs(z):",
            "    return torch.softmax(z / T, dim=-1)",
        ]
    elif state.loss == "mse":
        target = [[float(y) for y in ce.target[0]]]
        note = "one-hot after label smoothing" if state.label_smoothing else "as a distribution"
        lines += [
            f"Y = {_tensor(target)}  # the target {note}",
            "",
            "",
            "def loss_of(z):",
            "    return F.mse_loss(",
            f'        torch.softmax(z / T, dim=-1), Y, reduction="{state.reduction}"',
            "    )",
            "",
            "",
            "def outputs(z):",
            "    return torch.softmax(z / T, dim=-1)",
        ]
    else:
        target = [[float(y) for y in ce.target[0]]]
        arguments = ["z / T", "Y"]
        if weights:
            arguments.append(f"weight={weights}")
        arguments.append(f'reduction="{state.reduction}"')
        lines += [
            f"Y = {_tensor(target)}  # one target per sigmoid",
            "",
            "",
            "def loss_of(z):",
            f"    return F.binary_cross_entropy_with_logits({', '.join(arguments)})",
            "",
            "",
            "def outputs(z):",
            "    return torch.sigmoid(z / T)",
        ]
    lines += [
        "",
        "",
        "E = loss_of(Z).sum()  # .sum(): one row's loss, also for reduction='none'",
        "E.backward()",
        "J = torch.autograd.functional.jacobian(outputs, Z.detach()[0])  # dO_i/dZ_j",
        f'print("E =", E.item())  # dEdZ: {loss!r}',
        f'print("dE/dZ =", Z.grad[0].tolist())  # dEdZ: {grad!r}',
        'print("dO/dZ =", J.tolist())',
    ]
    return "\n".join(lines) + "\n"
