"""The figure's exports: SVG that parses and carries the page's own charts, PNG that decodes at
the stated size, CSV that is explorer.json's numbers, LaTeX with the state's numbers, and a
PyTorch snippet that PyTorch ran to the golden vectors' answers."""

from __future__ import annotations

import ast
import csv
import hashlib
import html
import io
import json
import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from app.embed import figure
from app.embed.exports import rows
from app.main import create_app

CLIENT = TestClient(create_app())
SEED = "logits=2,1&target=0"
SVG = "{http://www.w3.org/2000/svg}"
GOLDEN = Path(__file__).parent / "golden"
SERVICE_GOLDEN = Path(__file__).parents[1] / "service" / "golden"


def _get(path: str) -> Any:
    response = CLIENT.get(path)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize(
    "query",
    [
        f"{SEED}&panel=chain",
        f"{SEED}&panel=chain&theme=dark",
        "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7",
        "logits=2,1,0.5&target=0&panels=nudge,descent,compare,binary&probe=0&start=2,1,0.5"
        "&steps=5&compare=mse&pair=0,1",
        "logits=-4,4&target=0&loss=mse&reduction=sum",
    ],
)
def test_the_svg_is_standalone_and_draws_the_pages_own_charts(query: str) -> None:
    response = _get(f"/figure.svg?{query}")
    assert response.headers["content-type"] == "image/svg+xml"
    document = response.text
    root = ET.fromstring(document.split("\n", 1)[1])  # after the XML declaration
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title") is not None
    assert "Made with dEdZ" in (root.findtext(f"{SVG}desc") or "")
    style = root.findtext(f"{SVG}style") or ""
    assert "var(" not in style
    assert "light-dark" not in style
    # every chart is the page's: the same <rect>s, <text>s and paths in the same order
    page = _get(f"/embed?{query.replace('&panel=', '&panels=')}").text
    page_charts = re.findall(r"<svg class=\"(?:chart|heatmap|graph)[^>]*>(.*?)</svg>", page, re.S)
    exported = re.findall(r"<svg x=[^>]*>(.*?)</svg>", document, re.S)
    assert len(exported) == len(page_charts)
    for ours, theirs in zip(exported, page_charts, strict=True):
        assert re.sub(r"\s+", "", ours.replace(' paint-order="stroke"', "")) == re.sub(
            r"\s+", "", theirs
        )


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_png_decodes_at_the_stated_size_for_1x_and_2x() -> None:
    document = _get(f"/figure.svg?{SEED}&panel=chain").text
    width, height = (
        float(v) for v in re.search(r'width="([\d.]+)" height="([\d.]+)"', document).groups()
    )  # type: ignore[union-attr]
    one = _get(f"/figure.png?{SEED}&panel=chain")
    assert one.headers["content-type"] == "image/png"
    assert _png_size(one.content) == (round(width), round(height))
    two = _get(f"/figure.png?{SEED}&panel=chain&scale=2").content
    assert _png_size(two) == (round(2 * width), round(2 * height))
    assert len(set(two[100:2000])) > 10  # not a blank image


def test_the_csv_is_explorer_json_one_number_a_row() -> None:
    query = "logits=2,1,0.5&target=0.7,0.2,0.1&temperature=2&probe=1"
    table = list(csv.reader(io.StringIO(_get(f"/figure.csv?{query}").text)))
    assert table[0] == ["panel", "quantity", "i", "k", "value"]
    body = _get(f"/explorer.json?{query}").json()
    expected = [[p, q, i, k, "" if v is None else repr(v)] for p, q, i, k, v in rows(body)]
    assert table[1:] == expected
    grad = [float(r[4]) for r in table if r[0] == "grad" and r[1] == "values"]
    assert grad == body["panels"]["grad"]["values"]
    chain = [r for r in table[1:] if r[0] == "chain"]
    only = _get(f"/figure.csv?{query}&panel=chain").text
    assert chain == list(csv.reader(io.StringIO(only)))[1:]
    jacobian = [r for r in table if r[0] == "jacobian" and r[1] == "matrix"]
    assert len(jacobian) == 9  # i and k for a matrix
    assert float(jacobian[5][4]) == body["panels"]["jacobian"]["matrix"][1][2]


def test_the_latex_carries_the_states_numbers_and_balances() -> None:
    text = _get("/figure.tex?logits=2,1,0.5&target=0&temperature=2&weights=2,1,1").text
    for line in (ln for ln in text.splitlines() if ln.startswith("\\[")):
        assert line.count("{") == line.count("}"), line
        assert line.count("\\left(") == line.count("\\right)"), line
    grad = _get("/gradient?logits=2,1,0.5&target=0&temperature=2&weights=2,1,1").json()
    assert f"{grad['grad_logits'][1]:.4g}" in text
    assert f"{grad['loss']:.4g}" in text
    assert "\\frac{S\\,O_{2} - c_{2}}{T\\,N}" in text
    mse = _get("/figure.tex?logits=-4,4&target=0&loss=mse").text
    assert "(O_i - Y'_i)^2" in mse


def _call(tree: ast.Module, name: str) -> ast.Call:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == name:
            return node
    raise AssertionError(f"no call to {name}")


def test_the_snippet_builds_the_states_tensors_and_calls_pytorchs_function() -> None:
    query = "logits=2,1,0.5&target=0&temperature=2&label_smoothing=0.1&weights=2,1,1&reduction=sum"
    tree = ast.parse(_get(f"/figure.py?{query}").text)
    z = _call(tree, "torch.tensor")
    assert ast.literal_eval(z.args[0]) == [[2.0, 1.0, 0.5]]
    call = _call(tree, "F.cross_entropy")
    keywords = {k.arg: ast.unparse(k.value) for k in call.keywords}
    assert keywords == {
        "weight": "torch.tensor([2.0, 1.0, 1.0])",
        "label_smoothing": "0.1",
        "reduction": "'sum'",
    }
    assert ast.unparse(call.args[0]) == "z / T"
    assigned = {
        ast.unparse(node.targets[0]): ast.unparse(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
    }
    assert assigned["T"] == "2.0"
    assert assigned["target"] == "torch.tensor([0])"
    bce = ast.parse(_get("/figure.py?logits=2,1&target=0.3,0.9&loss=bce").text)
    assert ast.unparse(_call(bce, "F.binary_cross_entropy_with_logits").args[1]) == "Y"
    assert "torch.sigmoid" in ast.unparse(bce)


def test_pytorch_ran_every_recorded_snippet_to_the_golden_answer() -> None:
    """scripts/snippets_pytorch.py ran each snippet under PyTorch; the hash ties the record to
    the snippet the app writes now, and the golden vectors say what PyTorch should print."""
    record = json.loads((GOLDEN / "pytorch_snippets.json").read_text())
    assert record["provenance"]["torch"].startswith("2.")
    golden = {}
    for name in ("pytorch_cross_entropy", "pytorch_other_losses"):
        for case in json.loads((SERVICE_GOLDEN / f"{name}.json").read_text())["cases"]:
            golden[f"{name}: {case['name']}"] = case["expected"]
    assert len(record["runs"]) >= 30
    for run in record["runs"]:
        snippet = _get(f"/figure.py?{run['query']}").text
        assert hashlib.sha256(snippet.encode()).hexdigest() == run["sha256"], run["golden"]
        expected = golden[run["golden"]]
        loss = expected["loss"]
        total = sum(loss) if isinstance(loss, list) else loss
        assert run["printed"]["loss"] == pytest.approx(total, rel=1e-12, abs=1e-300)
        assert run["printed"]["grad_logits"] == pytest.approx(
            expected["grad_logits"], rel=1e-12, abs=1e-15
        )
        # and the snippet's own comment quotes dEdZ's numbers, which PyTorch agreed with
        quoted = re.search(r"# dEdZ: (\S+)\n", snippet)
        assert quoted is not None
        assert float(quoted.group(1)) == pytest.approx(run["printed"]["loss"], rel=1e-12)


@pytest.mark.parametrize(
    ("query", "named"),
    [
        (f"{SEED}&panel=xx", "panel"),
        (f"{SEED}&panel=loss", "panel"),  # a formula, not a chart: figure.tex has it
        (f"{SEED}&scale=3", "scale"),
        (f"{SEED}&scale=1&scale=2", "scale"),
        ("logits=2,abc&target=0", "logits[1]"),
        (f"{SEED}&loss=mse&mode=predict", "loss"),
    ],
)
def test_bad_exports_are_a_422_naming_the_field(query: str, named: str) -> None:
    for kind in ("svg", "png", "csv", "tex", "py"):
        response = CLIENT.get(f"/figure.{kind}?{query}")
        if named == "panel" and "loss" in query and kind in ("csv", "tex", "py"):
            assert response.status_code == 200  # the loss panel's numbers and formula exist
            continue
        assert response.status_code == 422, (kind, query)
        assert named in response.json()["errors"], (kind, response.text)


def test_every_choice_of_the_share_panels_export_form_answers_with_its_media_type() -> None:
    page = _get("/?logits=2,1,0.5&target=0&compare=mse&panels=chain,loss,compare").text
    form = re.search(r'<form class="export-form".*?</form>', page, re.S)
    assert form is not None
    query = html.unescape(re.search(r'name="query" value="([^"]*)"', form.group(0)).group(1))  # type: ignore[union-attr]
    panel_select = re.search(r'<select id="export-panel".*?</select>', form.group(0), re.S)
    format_select = re.search(r'<select id="export-format".*?</select>', form.group(0), re.S)
    assert panel_select is not None
    assert format_select is not None
    panel_values = re.findall(r'<option value="(\w*)"', panel_select.group(0))
    formats = re.findall(r'<option value="(\w+)"', format_select.group(0))
    assert "compare" in panel_values
    assert formats == ["svg", "png", "png2", "csv", "tex", "py"]
    media = {"svg": "image/svg+xml", "png": "image/png", "png2": "image/png", "csv": "text/csv"}
    for panel in panel_values:
        for kind in formats:
            response = CLIENT.get(
                "/figure", params={"query": query, "panel": panel, "format": kind}
            )
            if panel == "loss" and kind in ("svg", "png", "png2"):
                assert response.status_code == 422  # a formula: CSV and LaTeX have it
                continue
            assert response.status_code == 200, (panel, kind, response.text[:200])
            assert media.get(kind, kind if kind != "py" else "python") in response.headers[
                "content-type"
            ].replace("x-tex", "tex"), (panel, kind)
    assert CLIENT.get("/figure?format=gif").status_code == 422
    assert "format" in CLIENT.get("/figure?format=gif").json()["errors"]


@given(
    z=st.lists(
        st.one_of(st.floats(-1e6, 1e6), st.sampled_from([0.0, 1e-300, -745.0, 709.0])),
        min_size=2,
        max_size=10,
    ),
    t=st.sampled_from(["1", "0.0001", "10000", "2.5"]),
    loss=st.sampled_from(["cross_entropy", "mse", "bce"]),
    theme=st.sampled_from(["light", "dark"]),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_rasteriser_takes_every_state_the_explorer_takes(
    z: list[float], t: str, loss: str, theme: str
) -> None:
    """resvg is a C-level dependency: fuzz what reaches it (every chart of extreme states)."""
    logits = ",".join(repr(v) for v in z)
    query = f"logits={logits}&target=0&temperature={t}&loss={loss}&theme={theme}"
    response = CLIENT.get(f"/figure.png?{query}")
    assert response.status_code == 200, response.text[:300]
    width, height = _png_size(response.content)
    assert 300 < width < 1000
    assert 300 < height < 5000


def test_an_edit_moves_the_export_forms_query_with_the_state() -> None:
    response = CLIENT.get(
        "/?logits=3,1&target=0", headers={"HX-Request": "true", "HX-Target": "panels"}
    )
    assert (
        '<input type="hidden" id="export-query" name="query" value="logits=3,1&amp;target=0" '
        'hx-swap-oob="true">' in response.text
    )


def test_a_charts_key_of_class_names_is_exported_with_its_style() -> None:
    """Ten long names are numbered under their bars with a key of the names: the SVG for
    slides carries the key, laid out as on the page (a legend swatch's rules stay out)."""
    breeds = "Staffordshire,Golden%20retriever,Labrador,German%20shepherd,Border%20collie"
    breeds += ",Siberian%20husky,Cocker%20spaniel,Dachshund,Rottweiler,Chihuahua"
    document = _get(
        f"/figure.svg?logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&names={breeds}&panel=probs"
    ).text
    root = ET.fromstring(document.split("\n", 1)[1])
    entries = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "key-entry"]
    assert entries[0] == "1 Staffordshire"
    assert len(entries) == 10
    style = root.findtext(f"{SVG}style") or ""
    assert re.search(r"\.key-entry \{[^}]*text-anchor: start", style), style
    assert ".key.first" not in style


def test_an_exported_chart_keeps_its_legend() -> None:
    """On a slide, solid and hatched bars meant nothing: the page's legend stayed behind."""
    document = _get("/figure.svg?logits=2,1,0.5&target=0&panels=probs,chain").text
    root = ET.fromstring(document.split("\n", 1)[1])
    words = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend-text"]
    assert words == [
        "O = softmax(Z), solid, left",
        "Y, hatched, right",
        "direct term, i = 2, solid",
        "cross terms, i ≠ 2, hatched",
        "their sum",
    ]
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect") if r.get("rx") == "2"]
    assert len(fills) == 5
    assert fills[1].startswith(f"url(#{root.get('id')}-hatch-target")
    hatch = fills[1][len("url(#") : -1]
    assert root.find(f".//{SVG}pattern[@id='{hatch}']") is not None  # the swatch's pattern


def test_an_exported_heading_wraps_inside_the_figure() -> None:
    """Headings with a class name ran off a 432-unit figure: "…j = German Pinsche"."""
    from app.explorer.scales import text_width

    names = "German%20Shepherd,German%20Pinscher,Golden%20Retriever"
    document = _get(f"/figure.svg?logits=2,1,0.5&target=0&j=1&names={names}&panel=chain").text
    root = ET.fromstring(document.split("\n", 1)[1])
    width = float(root.get("width") or 0)
    titles = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "panel-title"]
    assert len(titles) >= 2  # wrapped
    assert "German Pinscher" in " ".join(titles)
    for text in titles:
        assert 16 + text_width(text, 13.5) * 1.08 <= width - 16, text  # bold is ~8% wider


def test_an_exported_nudge_keeps_the_key_to_its_lines() -> None:
    """The nudge draws the loss, its tangent (dashed) and a chord (dotted): on a slide the
    three lines meant nothing without the page's key to them."""
    document = _get("/figure.svg?logits=2,1,0.5&target=0&probe=0&panels=nudge").text
    root = ET.fromstring(document.split("\n", 1)[1])
    words = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend-text"]
    assert len(words) == 3
    assert words[0].startswith("E along Z")
    assert words[1].startswith("tangent, slope ")
    assert words[2].startswith("chord through ±")
    lines = [x for x in root.iter(f"{SVG}line") if x.get("class") == "legend-line"]
    assert [x.get("stroke-dasharray") for x in lines] == [None, "6 3", "2 3"]
    palette = figure.palette("light")
    assert [x.get("stroke") for x in lines] == [palette[c] for c in ("ink", "accent", "positive")]


def test_each_exported_chart_keeps_the_heading_over_it() -> None:
    """The compare panel draws two waterfalls, each under its own heading on the page; a slide
    showed two charts with nothing to say which loss was which."""
    document = _get("/figure.svg?logits=2,1,0.5&target=0&compare=mse&panels=compare").text
    root = ET.fromstring(document.split("\n", 1)[1])
    captions = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "chart-title"]
    assert len(captions) == 2
    assert captions[0].startswith("Cross-entropy: dE/dZ2 = ")
    assert captions[1].startswith("Squared error of O: dE/dZ2 = ")
    charts = [s for s in root.iter(f"{SVG}svg") if s.get("y")]
    caption_ys = [
        float(t.get("y") or 0) for t in root.iter(f"{SVG}text") if t.get("class") == "chart-title"
    ]
    assert (
        caption_ys[0]
        < float(charts[0].get("y") or 0)
        < caption_ys[1]
        < float(charts[1].get("y") or 0)
    )
    assert re.search(r"\.chart-title \{[^}]*font-weight: 700", root.findtext(f"{SVG}style") or "")
