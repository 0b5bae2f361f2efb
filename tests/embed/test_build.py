"""/build, the assignment builder: its URL keeps every choice, its snippet reproduces the
figure (page, embed and explorer.json agree), and each field's mistake is named beside it."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.testclient import TestClient

from app.embed.build import PRESETS
from app.main import create_app

CLIENT = TestClient(create_app())
CHOICES = (
    "logits=2,1,0.5&target=0&names=cat,dog,bird&mode=predict&lock=logits&lock=target"
    "&q=Which+logit+should+rise%3F&panels=probs&panels=chain&theme=dark&title=Week+3"
)


def _value(page: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</textarea>', page, re.S) or re.search(
        rf'id="{element_id}"[^>]*value="([^"]*)"', page
    )
    assert match is not None, element_id
    return html.unescape(match.group(1))


def test_the_builders_url_keeps_every_choice_and_its_snippet_reproduces_the_figure() -> None:
    page = CLIENT.get(f"/build?{CHOICES}").text
    assert 'value="cat,dog,bird"' in page
    assert 'name="mode" value="predict" checked' in page
    assert 'name="lock" value="logits" checked' in page
    assert 'name="panels" value="chain" checked' in page
    assert '<option value="dark" selected>' in page
    snippet = _value(page, "out-snippet")
    assert 'title="Week 3"' in snippet
    src = html.unescape(re.search(r'src="([^"]*)"', snippet).group(1))  # type: ignore[union-attr]
    height = int(re.search(r'height="(\d+)"', snippet).group(1))  # type: ignore[union-attr]
    query = parse_qs(urlsplit(src).query)
    assert query["names"] == ["cat,dog,bird"]
    assert query["lock"] == ["logits,target"]
    assert query["mode"] == ["predict"]
    embed = CLIENT.get(src)
    assert embed.status_code == 200
    assert "<title>Week 3</title>" in embed.text
    assert 'id="figure-prompt">Which logit should rise?</p>' in embed.text
    assert 'id="locked-logits"' in embed.text
    assert height >= 900  # sized for the reveal of the prediction
    # the preview is the snippet, as the course page will frame it (its inline style as a
    # stylesheet class: the builder's own policy refuses inline styles)
    framed = snippet.replace('style="border:0;max-width:100%"', 'class="snippet-frame"')
    assert framed != snippet
    assert framed in page.split('class="build-preview">', 1)[1]
    # page, embed and explorer.json agree on the state
    twin = CLIENT.get(f"/explorer.json?{urlsplit(src).query}").json()
    assert twin["state"]["logits"] == [2.0, 1.0, 0.5]
    assert twin["instruments"]["mode"] == "predict"
    page_url = _value(page, "out-page")
    assert CLIENT.get(page_url).status_code == 200
    oembed = CLIENT.get(_value(page, "out-oembed")).json()
    assert oembed["title"] == "Week 3"
    assert src in html.unescape(oembed["html"])


@pytest.mark.parametrize(("key", "words", "query"), PRESETS)
def test_every_preset_builds_a_figure(key: str, words: str, query: str) -> None:
    page = CLIENT.get(f"/build?{query}&mode=nudge")
    assert page.status_code == 200, (key, page.text[:300])
    src = html.unescape(re.search(r'src="([^"]*)"', _value(page.text, "out-snippet")).group(1))  # type: ignore[union-attr]
    assert "probe=" in src
    assert CLIENT.get(src).status_code == 200
    by_key = CLIENT.get(f"/build?preset={key}&mode=descent")
    assert by_key.status_code == 200
    assert "start=" in _value(by_key.text, "out-embed")


def test_a_preset_link_keeps_the_other_choices() -> None:
    page = CLIENT.get("/build?logits=2,1&target=0&q=Hi&mode=predict").text
    links = re.findall(r'<a href="(/build\?[^"]*)"', page)
    assert any(
        "logits=-4,4" in link and "q=Hi" in link and "mode=predict" in link for link in links
    )


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("logits=2,1&target=0&names=a,b,c", "names", "one name per class (2), got 3"),
        ("logits=2,abc&target=0", "logits", "Z2: 'abc' is not a finite decimal number"),
        ("logits=2,1&target=0&mode=dance", "mode", "is not one of"),
        ("logits=2,1&target=0&lock=everything", "lock", "cannot be locked"),
        ("logits=2,1&target=0&loss=mse&mode=predict", "loss", "choose loss=cross_entropy"),
        ("logits=2,1&target=0&preset=nope", "preset", "is not a preset"),
        ("logits=2,1&target=0&colour=red", "colour", "unknown field"),
    ],
)
def test_each_mistake_is_named_and_no_snippet_is_given(query: str, field: str, words: str) -> None:
    response = CLIENT.get(f"/build?{query}")
    assert response.status_code == 422
    assert words in html.unescape(response.text), response.text[-2000:]
    assert 'id="out-snippet"' not in response.text
    assert field in response.text


def test_the_explorers_share_panel_opens_the_builder_with_its_state() -> None:
    page = CLIENT.get("/?logits=3,-1,2&target=2&temperature=2").text
    link = html.unescape(re.search(r'<p class="build-link"><a href="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert link.startswith("/build?logits=3,-1,2&target=2&temperature=2")
    built = CLIENT.get(link).text
    assert 'value="3,-1,2"' in built
    assert "temperature=2" in _value(built, "out-embed")


@pytest.mark.parametrize(
    "url",
    ["/build?logits=2,1,0.5&target=0", "/?logits=2,1,0.5&target=0&mode=derive&fade=4"],
)
def test_a_check_labels_words_are_one_flex_item(url: str) -> None:
    """A check label is a flex row: "Derive dE/dZ<sub>j</sub> step by step" laid out its
    text, its subscript and the rest as three columns, the j a column of its own."""
    page = CLIENT.get(url).text
    labels = re.findall(r'<label class="check">(.*?)</label>', page, re.S)
    assert labels
    for label in labels:
        words = re.sub(r"^\s*<input[^>]*>", "", label).strip()
        assert "<" not in words or re.fullmatch(r"<span>.*</span>", words, re.S), label
