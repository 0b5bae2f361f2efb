"""Sentences read as mathematics: an index after a symbol is a subscript, never "O_i"."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from app.explorer.display import subscripts

# Text a student reads: not inside code, scripts, SVG (whose text cannot hold <sub>) or forms.
_SKIP = {"code", "pre", "script", "style", "svg", "textarea", "template", "math", "title"}
_UNDERSCORED = re.compile(r"[A-Za-zσδΣ′)]_(ij|[ijk])\b")
_NUMBERED = re.compile(r"(?<![A-Za-ce-z0-9._])[OYZwcσ]′?[0-9]+\b")  # "O2", not O<sub>2</sub>


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth == 0:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def test_subscripts_marks_indices_and_escapes_the_rest() -> None:
    assert subscripts("each O_i and δ_ij") == "each O<sub>i</sub> and δ<sub>ij</sub>"
    assert subscripts("Y′_k, Σ_i term_i") == "Y′<sub>k</sub>, Σ<sub>i</sub> term<sub>i</sub>"
    assert subscripts("<b>_i</b> a_b snake_case") == "&lt;b&gt;_i&lt;/b&gt; a_b snake_case"


STATES = [
    "logits=2,1,0.1&target=0",
    "logits=2,1,0.1&target=0&loss=bce",
    "logits=2,1,0.1&target=0&loss=mse",
    "logits=2,1,0.1&target=0&compare=mse",
    "logits=2,1,0.1&target=0&compare=bce",
    "logits=2,1,0.1&target=0&focus=1,0",
    "logits=2,1,0.1&target=0&probe=1",
    "logits=2,1,0.1&target=0&start=2,1,0.1&steps=3",
    "logits=2,1,0.1&target=0&loss=bce&start=2,1,0.1&steps=3",
    "logits=2,1,0.1&target=0&loss=mse&start=2,1,0.1&steps=3",
    "logits=2,1,0.1&target=0&mode=derive&fade=5&a1=only&a2=1,1,1&a3=1,1,1&a4=1,1,1&a5=3",
    "logits=2,1,0.1&target=0&mode=derive",
    "logits=2,1,0.1&target=0&mode=predict&guess=-0.5,-0.5,-0.5",
    "logits=2,1,0.1&target=0&mode=predict&ask=sign&guess=lowers,lowers,lowers",
]


@pytest.mark.parametrize("query", STATES)
def test_no_sentence_shows_an_underscored_index(client: TestClient, query: str) -> None:
    response = client.get(f"/?{query}", follow_redirects=True)
    assert response.status_code == 200, response.text[:300]
    text = visible_text(response.text)
    found = _UNDERSCORED.findall(text) + _NUMBERED.findall(text)
    assert not found, f"{query}: {found}"


NAMED = [
    "logits=2,1,0.1&target=0&names=cat,dog,bird&j=1",
    "logits=2,1&target=0&names=cat,dog&panels=binary,path,chain&focus=1,0",
    "logits=2,1,0.1&target=0&names=cat,dog,bird&loss=bce&panels=chain,loss",
]


@pytest.mark.parametrize("query", NAMED)
def test_named_classes_are_subscripts_in_sentences_too(client: TestClient, query: str) -> None:
    response = client.get(f"/embed?{query}", follow_redirects=True)
    assert response.status_code == 200, response.text[:300]
    found = re.findall(r"[A-Za-zσδΣ′)]_(?:cat|dog|bird)\b", visible_text(response.text))
    assert not found, f"{query}: {found}"
