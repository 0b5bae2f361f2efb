"""Chart geometry: bars on the right side of zero, labels that never overlap, sums that add up."""

from __future__ import annotations

import itertools
import re

import pytest

from app.explorer.charts import DENSE_SLOT, bar_chart, paired_bar_chart, waterfall_chart
from app.explorer.scales import nice_bounds, symmetric_bounds

CHAR_WIDTH = 7.0  # a generous width of one bold 11.5 px digit


@pytest.mark.parametrize("n", [2, 3, 5, 7, 10])
def test_bars_sit_on_the_zero_line_on_their_sign_side(n: int) -> None:
    values = [(-1) ** i * (i + 1) / n for i in range(n)]
    chart = bar_chart(values, [f"Z{i}" for i in range(n)])
    for bar, value in zip(chart.bars, values, strict=True):
        if value > 0:
            assert bar.y + bar.height == pytest.approx(chart.zero_y)
            assert bar.label_y < bar.y
        else:
            assert bar.y == pytest.approx(chart.zero_y)
            assert bar.label_y > bar.y + bar.height
        assert 0 <= bar.y <= chart.height


@pytest.mark.parametrize("n", [2, 4, 6, 8, 10])
def test_value_labels_never_overlap(n: int) -> None:
    values = [-0.0957 * (i + 1) for i in range(n)]
    chart = bar_chart(values, [str(i) for i in range(n)])
    slot = chart.slots[1][0] - chart.slots[0][0]
    for bar in chart.bars:
        if not bar.rotated:
            assert len(bar.label) * CHAR_WIDTH < slot, bar.label
    assert all(bar.rotated for bar in chart.bars) == (slot < DENSE_SLOT)


def test_upright_labels_stay_inside_the_chart() -> None:
    chart = bar_chart([0.5, -0.5] * 5, ["x"] * 10)
    for bar in chart.bars:
        assert bar.rotated
        length = len(bar.label) * CHAR_WIDTH
        if bar.negative:
            assert bar.label_y + length < chart.height
        else:
            assert bar.label_y - length > 0


def test_paired_chart_labels_the_second_series_only_when_it_fits() -> None:
    wide = paired_bar_chart([0.7, 0.3], [1.0, 0.0], ["1", "2"])
    assert [b.label for b in wide.bars] == ["0.70", "1.00", "0.30", "0.00"]
    narrow = paired_bar_chart([0.1] * 10, [0.1] * 10, [str(i) for i in range(10)])
    assert all(b.label == "" for b in narrow.bars if b.kind == "second")
    assert all(b.label == "0.10" for b in narrow.bars if b.kind == "first")


def test_waterfall_steps_add_up_to_the_total() -> None:
    terms = [0.25, -0.1, 0.05]
    chart = waterfall_chart(terms, ["1", "2", "3", "sum"], ["cross", "direct", "cross", "total"])
    steps, total = chart.bars[:-1], chart.bars[-1]
    assert [b.value for b in steps] == pytest.approx(terms)
    assert total.value == pytest.approx(sum(terms))
    assert total.y + total.height == pytest.approx(chart.zero_y)
    for left, right, (x1, x2, y) in zip(steps, chart.bars[1:], chart.connectors, strict=True):
        assert x1 == pytest.approx(left.x + left.width)
        assert x2 == pytest.approx(right.x)
        assert y in (pytest.approx(left.y), pytest.approx(left.y + left.height))


@pytest.mark.parametrize(
    ("values", "bounds"),
    [([0.3, -0.27], (-0.4, 0.4)), ([2, 1], (0, 2)), ([0, 0], (0, 1)), ([5.5e-17], (0, 6e-17))],
)
def test_nice_bounds(values: list[float], bounds: tuple[float, float]) -> None:
    assert nice_bounds(values) == pytest.approx(bounds)


def test_symmetric_bounds_are_steady_while_dragging() -> None:
    assert symmetric_bounds([2.0, 1.0]) == (-2.0, 2.0)
    assert symmetric_bounds([2.1, 1.0]) == symmetric_bounds([2.9, 1.0])
    assert symmetric_bounds([0.1]) == (-1.0, 1.0)


def test_falling_waterfall_steps_keep_their_labels_above_the_class_labels() -> None:
    terms = [0.064] * 3 + [-0.036] + [0.064] * 6
    chart = waterfall_chart(terms, [str(i) for i in range(11)], ["cross"] * 10 + ["total"])
    class_label_top = chart.height - 18
    for bar in chart.bars:
        if bar.negative:
            assert bar.label_y + len(bar.label) * CHAR_WIDTH <= class_label_top


def test_long_names_cut_alike_are_cut_in_the_middle_so_they_stay_apart() -> None:
    # "Extraordinarily1", "…2", "…3" were all cut to "Extraordina…": no bar could be told from
    # the next, on paper least of all.
    from app.explorer.scales import fitted_all, text_width

    names = [f"Extraordinarily{k}" for k in range(1, 4)]
    for width in (24, 40, 60, 90):
        cut = fitted_all(names, width, 13)
        assert len(set(cut)) == 3, (width, cut)
        assert all(text_width(c, 13) <= width for c in cut), (width, cut)
    assert fitted_all(["cat", "dog", "Extraordinarily1"], 40, 13)[:2] == ["cat", "dog"]
    assert fitted_all(["Alpha_long_name", "Beta_long_name"], 40, 13)[0].startswith("Al")


def test_the_descent_charts_end_their_plots_at_one_x_on_their_shared_step_axis() -> None:
    """With an instructor's long names the O and Z charts made room for their end labels and
    the E chart did not: the three step axes, stacked, no longer lined up (a review found)."""
    from starlette.testclient import TestClient

    from app.main import create_app

    page = (
        TestClient(create_app())
        .get(
            "/?logits=2,1,0.5&target=0&names=Elephant%20seal,Giraffe%20calf,Hippopotamus"
            "&start=2,1,0.5&steps=3"
        )
        .text
    )
    panel = page.split('id="panel-descent"')[1].split("</section>")[0]
    plots = re.findall(
        r'<clipPath id="[^"]*-clip"><rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', panel
    )
    assert len(plots) == 3
    assert len({round(float(x) + float(w), 1) for x, w in plots}) == 1, plots


def test_a_narrow_waterfall_names_its_total_sigma_rather_than_cut_sum() -> None:
    """Ten terms left the total's slot too narrow for a bold "sum": it read "s…"."""
    labels = [str(i) for i in range(1, 11)]
    narrow = waterfall_chart([0.01] * 10, [*labels, "sum"], ["cross"] * 10 + ["total"])
    assert narrow.slots[-1][1] == "Σ"
    wide = waterfall_chart([0.1, 0.2], ["1", "2", "sum"], ["cross", "cross", "total"])
    assert wide.slots[-1][1] == "sum"


BREEDS = [
    "Staffordshire",
    "Golden retriever",
    "Labrador",
    "German shepherd",
    "Border collie",
    "Siberian husky",
    "Cocker spaniel",
    "Dachshund",
    "Rottweiler",
    "Chihuahua",
]


def test_names_too_long_for_their_bars_are_numbered_with_a_key() -> None:
    """Ten breeds under ten bars were cut to "…e", "…r", "L…": the bars are numbered 1 to 10
    and a key below gives each number its name, inside the chart (exports carry it too)."""
    from app.explorer.charts import CLASS_LABELS, HEIGHT, WIDTH, class_key
    from app.explorer.scales import text_width

    chart = bar_chart([0.1] * 10, BREEDS)
    assert [label for _, label in chart.slots] == [str(k) for k in range(1, 11)]
    assert [text for _, _, text in chart.key] == [f"{k + 1} {b}" for k, b in enumerate(BREEDS)]
    assert chart.height > HEIGHT
    for x, y, text in chart.key:
        assert HEIGHT < y <= chart.height - 4
        assert x >= 0
        assert x + text_width(text, 12) <= WIDTH
    rows: dict[float, list[float]] = {}
    for x, y, _ in chart.key:  # entries on one line stay apart
        rows.setdefault(y, []).append(x)
    for xs in rows.values():
        column = max(text_width(t, 12) for _, _, t in chart.key)
        assert all(b - a >= column for a, b in itertools.pairwise(xs))
    # a waterfall keys its classes, not its total
    water = waterfall_chart([0.01] * 10, [*BREEDS, "sum"], ["cross"] * 10 + ["total"])
    assert water.slots[-1][1] in ("sum", "Σ")
    assert len(water.key) == 10
    # names that fit readably keep their bars' labels, and no key
    few = bar_chart([0.1, 0.2, 0.3], ["cat", "dog", "Labrador"])
    assert [label for _, label in few.slots] == ["cat", "dog", "Labrador"]
    assert few.key == []
    assert few.height == HEIGHT
    assert class_key(["a"], HEIGHT)[0][1] == HEIGHT + 16
    assert CLASS_LABELS < HEIGHT


def test_a_heatmap_numbers_columns_whose_names_would_be_a_letter() -> None:
    from app.explorer.heatmap import heatmap

    square = [[0.0] * 10 for _ in range(10)]
    named = heatmap(square, BREEDS, BREEDS)
    assert [label for _, label in named.column_labels] == [str(k) for k in range(1, 11)]
    assert named.row_labels[0][1].startswith("1 Staff")
    assert named.row_labels[9][1].startswith("10 ")
    short = heatmap([[0.0] * 3 for _ in range(3)], ["cat", "dog", "owl"], ["cat", "dog", "owl"])
    assert [label for _, label in short.column_labels] == ["cat", "dog", "owl"]
    assert [label for _, label in short.row_labels] == ["cat", "dog", "owl"]


def test_names_still_alike_after_the_middle_cut_are_numbered() -> None:
    """Boston Terrier and Border Terrier were both "Z…ier" in the path graph (a student)."""
    from app.explorer.scales import keyed

    assert keyed(["ZBoston Terrier", "ZBorder Terrier"], 44, 12) is None
    assert keyed(["Zcat", "Zdog"], 44, 12) == ["Zcat", "Zdog"]
