"""A snippet's height fits its figure without the host script: never short of the content at a
course column's width (690 px) or on a phone (375 px), and not much taller."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Browser

CASES = [
    "logits=2,1&target=0",
    "logits=2,1&target=0&panels=probs,grad,chain",
    "logits=2,1&target=0&panels=chain&controls=none",
    "logits=2,1,0&target=0.7,0.2,0.1&panels=loss,jacobian&controls=logits",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&panels=chain,grad&controls=none",
    "logits=1,2,3,4,5,6&target=2&panels=jacobian,probs&controls=logits",
    # What an instructor tried (a loss-only figure was 10 px short on a phone):
    "logits=2,1&target=0&panels=loss",
    "logits=2,1&target=0&panels=grad&controls=none",
    "logits=2,1&target=0&panels=probs,grad&controls=logits",
    "logits=2,1&target=0&panels=jacobian",
    "logits=2,1,0.5&target=0&temperature=2&label_smoothing=0.1&weights=2,1,1&panels=loss",
    # The instructor's kit: a prompt, names and locks, a faded derivation
    "logits=2,1,0.5&target=0&panels=probs,chain&names=cat,dog,bird&lock=logits"
    "&q=Which+logit+should+rise%2C+and+why%3F+Say+it+in+one+sentence+before+you+drag.",
    "logits=2,1,0.5&target=0&panels=probs&controls=none&mode=derive&fade=5",
    # an instructor's long names wrap beside the sliders and in subscripts, and key the charts
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&panels=probs,grad,chain,jacobian"
    "&names=Staffordshire,Golden+retriever,Labrador,German+shepherd,Border+collie,"
    "Siberian+husky,Cocker+spaniel,Dachshund,Rottweiler,Chihuahua",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&panels=jacobian&controls=logits"
    "&names=" + ",".join(f"WWWWWWWWWWWWWW{k:02}" for k in range(10)),
    "logits=2,1,0.5&target=0&panels=chain,path,compare&focus=1,0&compare=mse"
    "&names=WWWWWWWWWWWWWWWW,Canis+familiaris,Passeriformes+sp",
    "logits=2,1&target=0&panels=probs,binary,derive&names=Cat,Dog",
    "logits=3,-1,2.5,0,1,-2,0.5,4,-3,1.5&target=7&panels=logits&controls=none&mode=derive",
]


@pytest.mark.parametrize("query", CASES)
def test_the_snippet_height_fits_the_figure(browser: Browser, base_url: str, query: str) -> None:
    url = f"{base_url}/embed?{query}"
    oembed = httpx.get(f"{base_url}/oembed?url={quote(url, safe='')}", trust_env=False).json()
    tallest = 0
    for width in (690, 375):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        try:
            page.goto(url)
            tallest = max(
                tallest,
                page.evaluate(
                    "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
                ),
            )
        finally:
            context.close()
    assert tallest <= oembed["height"] <= tallest * 4 / 3, (tallest, oembed["height"])
