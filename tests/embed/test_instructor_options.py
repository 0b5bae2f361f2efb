"""An instructor's options on a figure: class names, a prompt, a title, locked controls; each
read from the URL, checked with a message naming the field, and escaped wherever it shows."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from app.main import create_app

CLIENT = TestClient(create_app())
THREE = "logits=2,1,0.5&target=0"
PAYLOAD = "<img src=x onerror=alert(1)>"


def test_names_label_every_chart_table_formula_sentence_and_the_title() -> None:
    html = CLIENT.get(f"/embed?{THREE}&names=cat,dog,bird").text
    assert (
        "<title>dEdZ: explorer, with the chain rule for dE/dZ_dog, Z = (2, 1, 0.5), Y_cat = 1"
        in html
    )
    assert (
        "dE/dZ<sub>dog</sub> = O<sub>dog</sub> = 0.23, not O<sub>cat</sub> − 1 = −0.37: "
        "the i = cat term carries it" in html
    )
    assert '<text class="label" x="' in html
    for name in ("cat", "dog", "bird"):
        assert re.search(rf'<text class="label"[^>]*>{name}</text>', html), name
    assert "<mi>dog</mi>" in html  # MathML subscripts
    assert "dO<sub>i</sub>/dZ<sub>dog</sub>" in html  # the chain table's heading
    assert "dE/dZ<sub>dog</sub> = 0.231" in html  # the screen reader's summary
    twin = CLIENT.get(f"/explorer.json?{THREE}&names=cat,dog,bird").json()
    assert twin["panels"]["grad"]["labels"] == ["cat", "dog", "bird"]


@pytest.mark.parametrize("face", ["/embed", "/explorer.json", "/figure.svg"])
def test_a_name_or_a_prompt_is_escaped_on_every_face(face: str) -> None:
    query = f"{THREE}&names={quote('<b>,dog,&amp')}&q={quote(PAYLOAD)}&title={quote(PAYLOAD)}"
    response = CLIENT.get(f"{face}?{query}")
    assert response.status_code == 200, response.text
    if face == "/explorer.json":  # data, as given: JSON is not HTML
        assert response.json()["panels"]["grad"]["labels"] == ["<b>", "dog", "&amp"]
        return
    assert "<img" not in response.text
    assert "<b>" not in response.text
    assert "&lt;b&gt;" in response.text


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        (f"{THREE}&names=cat,dog", "names", "one name per class (3), got 2"),
        (f"{THREE}&names=cat,dog,{'x' * 17}", "names", "1 to 16 characters"),
        (f"{THREE}&names=cat,dog,{'x' * 25}", "names", "… (25 characters)"),
        (f"{THREE}&names=cat,cat,dog", "names", "all be different"),
        (f"{THREE}&names=" + ",".join("abcdefghijk"), "names", "at most 10 names"),
        (f"{THREE}&q={'x' * 201}", "q", "at most 200 characters"),
        (f"{THREE}&q=a%07b", "q", "plain text"),
        (f"{THREE}&lock=logits,everything", "lock", "cannot be locked"),
        (f"{THREE}&title={'t' * 121}", "title", "at most 120"),
    ],
)
def test_bad_instructor_options_are_named_on_every_face(query: str, field: str, words: str) -> None:
    embed = CLIENT.get(f"/embed?{query}")
    assert embed.status_code == 422
    assert f"<code>{field}</code>: " in embed.text
    assert words in embed.text
    data = CLIENT.get(f"/explorer.json?{query}")
    assert data.status_code == 422
    assert words in data.json()["errors"][field]
    oembed = CLIENT.get("/oembed", params={"url": f"http://testserver/embed?{query}"})
    assert oembed.status_code == 404  # oEmbed's own answer for a URL it cannot embed


def test_a_prompt_shows_above_the_figure_and_a_title_replaces_the_derived_one() -> None:
    html = CLIENT.get(f"/embed?{THREE}&q=Which+logit+should+rise%3F&title=Week+3:+softmax").text
    assert '<p class="figure-prompt" id="figure-prompt">Which logit should rise?</p>' in html
    assert "<title>Week 3: softmax</title>" in html
    oembed = CLIENT.get(
        "/oembed", params={"url": f"http://testserver/embed?{THREE}&title=Week+3:+softmax"}
    ).json()
    assert oembed["title"] == "Week 3: softmax"
    assert 'title="Week 3: softmax"' in oembed["html"]


def test_locked_fields_are_text_and_still_ride_along() -> None:
    html = CLIENT.get(f"/embed?{THREE}&lock=logits,target,reduction,j,loss").text
    assert 'id="locked-logits">Z = (2, 1, 0.5)' in html
    assert 'id="z-0"' not in html  # no field, no slider
    assert 'type="radio" name="target"' not in html
    assert '<input type="hidden" name="target" value="0">' in html
    for text in ("2", "1", "0.5"):
        assert f'<input type="hidden" name="logits" value="{text}">' in html
    assert 'name="op" value="add"' not in html  # the class count is fixed with them
    assert '<select id="j"' not in html
    assert '<select id="loss"' not in html
    # an edit of what is not locked keeps the locks and what they hold
    html = CLIENT.get(f"/embed?{THREE}&lock=logits&temperature=2").text
    assert 'id="locked-logits">Z = (2, 1, 0.5)' in html
    assert 'name="temperature" value="2"' in html
    assert "readonly" not in re.search(r'<input[^>]*id="temperature"[^>]*>', html).group(0)  # type: ignore[union-attr]
    locked = CLIENT.get(f"/embed?{THREE}&lock=temperature").text
    assert "readonly" in re.search(r'<input[^>]*id="temperature"[^>]*>', locked).group(0)  # type: ignore[union-attr]


def test_options_round_trip_through_the_snippet() -> None:
    query = f"{THREE}&names=cat,dog,bird&q=Why%3F&title=T&lock=logits"
    html = CLIENT.get(f"/?{query}").text  # the share panel carries them to the snippet
    snippet = re.search(r'<textarea id="share-snippet"[^>]*>(.*?)</textarea>', html, re.S)
    assert snippet is not None
    assert "names=cat,dog,bird" in snippet.group(1)
    assert "lock=logits" in snippet.group(1)


def test_names_reach_the_instruments_and_the_text_exports() -> None:
    named = f"{THREE}&names=cat,dog,bird"
    path = CLIENT.get(f"/embed?{named}&panels=path&focus=0,1").text
    assert re.search(r"<text[^>]*>Z_dog</text>", path)  # the graph's nodes
    assert re.search(r"<text[^>]*>O_cat</text>", path)
    assert "Path Z<sub>dog</sub> → O<sub>cat</sub> → E" in path
    predict = CLIENT.get(f"/embed?{named}&mode=predict&guess=0,0,0").text
    assert '<th scope="row">cat</th>' in predict
    tex = CLIENT.get(f"/figure.tex?{named}").text
    assert "Z_{\\text{dog}}" in tex
    assert "Y_cat = 1" in CLIENT.get(f"/figure.py?{named}").text


def test_the_explorer_labels_its_own_charts_with_the_share_forms_names() -> None:
    """Names chosen for a figure in the share form label the explorer as well (they were only
    in the snippet and its title): a page that names its classes shows them."""
    html = CLIENT.get(f"/?{THREE}&names=cat,dog,bird").text
    for name in ("cat", "dog", "bird"):
        assert re.search(rf'<text class="label"[^>]*>{name}</text>', html), name
    assert "dE/dZ<sub>dog</sub> = 0.231" in html
    # one name too few (a class was added): the charts and the snippet keep their numbers
    html = CLIENT.get(f"/?{THREE}&names=cat,dog").text
    assert "names=cat" not in html.split('id="share-output"')[1]
    assert not re.search(r'<text class="label"[^>]*>cat</text>', html)
    assert re.search(r'<text class="label"[^>]*>1</text>', html)


def test_every_link_into_the_explorer_keeps_the_names() -> None:
    """The builder's page URL and Markdown link, the share panel's link and an embed's "Open in
    dEdZ" opened the explorer with the classes unnamed (found by an instructor's review)."""
    names = "names=Cat,Dog,Bird"
    built = CLIENT.get(f"/build?{THREE}&{names}").text
    page = CLIENT.get(f"/?{THREE}&{names}").text
    embed = CLIENT.get(f"/embed?{THREE}&{names}").text
    for html, where in ((built, "build"), (page, "explorer"), (embed, "embed")):
        links = re.findall(r'(?:href|value)="([^"]*)"', html)
        into = [u for u in links if re.search(r"(?:^|//[^/]+)/\?logits=", u)]
        assert into, where
        assert all(names in u for u in into), (where, [u for u in into if names not in u])


def test_the_comparison_of_losses_names_the_class_too() -> None:
    """It said dE/dZ2 where every other panel said dE/dZ_Dog."""
    for other in ("mse", "bce"):
        html = CLIENT.get(f"/?{THREE}&names=Cat,Dog,Bird&compare={other}").text
        sentence = html.split('id="compare-sentence">')[1].split("</p>")[0]
        assert "dE/dZ<sub>Dog</sub>" in sentence, sentence
        assert "Z2" not in sentence
        assert "<sub>2</sub>" not in sentence
