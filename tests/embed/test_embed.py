"""`/embed` and `/oembed` over HTTP: options, no history, the snippet, the oEmbed 1.0 fields."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import QueryParams
from starlette.testclient import TestClient

from app.embed.options import PANELS, EmbedOptions, read_options
from app.embed.share import iframe_snippet, share
from app.explorer.state import ExplorerState
from app.web.urls import Urls

HX_PANELS = {"HX-Request": "true", "HX-Target": "panels"}


def test_embed_has_no_site_chrome_and_links_back(client: TestClient) -> None:
    html = client.get("/embed?logits=2,1&target=0").text
    assert 'class="site-header"' not in html
    assert 'id="open-in-dedz" href="/?logits=2,1&amp;target=0"' in html
    assert "Open in dEdZ" in html
    assert "embed-frame.js" in html


def test_embed_shows_only_the_chosen_panels(client: TestClient) -> None:
    html = client.get("/embed?logits=2,1&target=0&panels=grad,probs").text
    assert 'id="panel-probs"' in html
    assert 'id="panel-grad"' in html
    for name in ("logits", "loss", "chain", "jacobian"):
        assert f'id="panel-{name}"' not in html
    assert html.index('id="panel-probs"') < html.index('id="panel-grad"')  # the page's order


@pytest.mark.parametrize(
    ("controls", "present", "absent"),
    [
        ("all", ['name="logits"', 'value="add"', 'name="temperature"'], []),
        ("logits", ['name="logits"', 'type="hidden" name="target" value="1"'], ['value="add"']),
        ("none", [], ['<form id="controls"', 'name="logits"']),
    ],
)
def test_embed_controls(
    client: TestClient, controls: str, present: list[str], absent: list[str]
) -> None:
    html = client.get(f"/embed?logits=2,1&target=1&controls={controls}").text
    for fragment in present:
        assert fragment in html, fragment
    for fragment in absent:
        assert fragment not in html, fragment


@pytest.mark.parametrize("theme", ["auto", "light", "dark"])
def test_embed_theme(client: TestClient, theme: str) -> None:
    html = client.get(f"/embed?logits=2,1&target=0&theme={theme}").text
    assert f'class="embed theme-{theme}"' in html


def test_unknown_options_get_a_message_not_a_blank_frame(client: TestClient) -> None:
    response = client.get("/embed?logits=2,1&target=0&panels=probs,foo&controls=some&theme=x")
    assert response.status_code == 422
    html = response.text
    assert 'role="alert"' in html
    assert "&#39;foo&#39; is not a panel; choose from probs, grad, chain" in html
    assert "&#39;some&#39; is not one of all, logits, none" in html
    assert "&#39;x&#39; is not one of auto, light, dark" in html
    assert 'id="panels"' in html


def test_embed_edits_never_touch_history(client: TestClient) -> None:
    response = client.get("/embed?logits=3&logits=1&target=0&panels=grad", headers=HX_PANELS)
    assert response.status_code == 200
    assert "hx-replace-url" not in response.headers
    assert "data-url=" not in response.text  # an embed never touches history
    assert "hx-push-url" not in response.headers
    assert 'id="panel-grad"' in response.text
    assert 'id="panel-probs"' not in response.text


def test_embed_form_keeps_its_options(client: TestClient) -> None:
    html = client.get("/embed?logits=2,1&target=0&panels=grad&controls=logits&theme=dark").text
    assert 'action="/embed"' in html
    assert '<input type="hidden" name="panels" value="grad">' in html
    assert '<input type="hidden" name="controls" value="logits">' in html
    assert '<input type="hidden" name="theme" value="dark">' in html


def test_embed_form_submission_redirects_to_the_canonical_embed_url(client: TestClient) -> None:
    response = client.get(
        "/embed?logits=2&logits=1&target=0&panels=grad&theme=dark", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/embed?logits=2,1&target=0&panels=grad&theme=dark"


def test_options_read_from_a_url_or_a_form() -> None:
    assert read_options(QueryParams("panels=chain,probs"))[0].panels == ("probs", "chain")
    assert read_options(QueryParams("panels=chain&panels=probs"))[0].panels == ("probs", "chain")
    assert read_options(QueryParams(""))[0] == EmbedOptions()
    assert EmbedOptions().query() == ""
    assert EmbedOptions(("grad",), "none", "dark").query() == "panels=grad&controls=none&theme=dark"


def test_snippet_is_escaped_and_lazy() -> None:
    snippet = iframe_snippet('https://x.test/embed?a=1&b="2"', 500)
    assert 'src="https://x.test/embed?a=1&amp;b=&quot;2&quot;"' in snippet
    assert 'loading="lazy"' in snippet
    assert 'title="dEdZ explorer"' in snippet
    assert 'height="500"' in snippet


def test_share_builds_link_embed_and_script() -> None:
    choices = QueryParams("panels=grad&height=99999")
    state = ExplorerState(logits=(2.0, 1.0), target=0)
    built = share(Urls("https://d.test", ""), state, choices, read_options(choices)[0])
    assert built.link == "https://d.test/?logits=2,1&target=0"
    assert built.embed_src == "https://d.test/embed?logits=2,1&target=0&panels=grad"
    assert built.height == 4000
    assert built.host_script == '<script src="https://d.test/static/embed.js" defer></script>'
    assert 'title="dEdZ: gradient dE/dZ, Z = (2, 1), Y1 = 1"' in built.snippet
    assert "allow=" not in built.snippet  # no permission asked for


@pytest.mark.parametrize(
    ("query", "title"),
    [
        (
            "logits=2,1&target=0",
            "dEdZ: explorer, with the chain rule for dE/dZ2, Z = (2, 1), Y1 = 1",
        ),
        ("logits=2,1&target=0&panels=chain", "dEdZ: chain rule for dE/dZ2, Z = (2, 1), Y1 = 1"),
        (
            "logits=2,1,0&target=0.7,0.2,0.1&panels=probs",
            "dEdZ: softmax outputs, Z = (2, 1, 0), Y = (0.7, 0.2, 0.1)",
        ),
        (
            "logits=2,1&target=1&panels=grad,loss&j=0",
            "dEdZ: gradient dE/dZ and cross-entropy loss, Z = (2, 1), Y2 = 1",
        ),
        ("logits=2,1&target=0&panels=chain&j=0", "dEdZ: chain rule for dE/dZ1, Z = (2, 1), Y1 = 1"),
    ],
)
def test_every_figure_has_a_title_of_its_own(client: TestClient, query: str, title: str) -> None:
    assert f"<title>{title}</title>" in client.get(f"/embed?{query}").text
    body = client.get("/oembed", params={"url": f"http://testserver/embed?{query}"}).json()
    assert body["title"] == title
    assert f'title="{title}"' in body["html"]


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("logits=nan,1&target=0", "logits[0]: 'nan' is not a finite decimal number"),
        ("logits=2,1&target=5", "target: class index must be a whole number in 0..1, got 5"),
        ("logits=2,1&target=0&panels=x", "panels: "),
        ("logits=2,1&target=0&panel=chain", "panel: unknown parameter; did you mean 'panels'?"),
    ],
)
def test_oembed_of_an_invalid_state_is_404_saying_why(
    client: TestClient, query: str, reason: str
) -> None:
    """A consumer logs the 404: it said only "open it to see what is wrong" (a tool builder)."""
    response = client.get("/oembed", params={"url": f"http://testserver/embed?{query}"})
    assert response.status_code == 404
    assert response.json()["detail"].startswith(f"url: not a valid dEdZ state ({reason}")


@pytest.mark.parametrize(
    ("name", "value", "hint"),
    [("control", "none", "controls"), ("panel", "chain", "panels"), ("height", "400", None)],
)
def test_unknown_embed_parameters_are_named_beside_the_figure(
    client: TestClient, name: str, value: str, hint: str | None
) -> None:
    response = client.get(f"/embed?logits=2,1&target=0&{name}={value}", follow_redirects=False)
    assert response.status_code == 422  # not a 303 that silently drops it
    assert f"<code>{name}</code>: is not a parameter of an embed" in response.text
    assert (f"did you mean &#39;{hint}&#39;?" in response.text) is (hint is not None)
    twin = client.get(f"/explorer.json?logits=2,1&target=0&{name}={value}").json()
    assert twin["errors"][name].endswith(f"did you mean {hint!r}?" if hint else "parameter")
    assert 'id="panel-chain"' in response.text  # the figure is still there


def test_explorer_offers_the_share_panel_and_oembed_discovery(client: TestClient) -> None:
    html = client.get("/?logits=2,1&target=0").text
    assert 'id="panel-share"' in html
    assert 'id="share-snippet"' in html
    assert (
        '<link id="alt-oembed" rel="alternate" type="application/json+oembed" '
        'href="http://testserver/oembed?url=http%3A%2F%2Ftestserver%2F%3Flogits%3D2%2C1%26target%3D0'
    ) in html
    for name in PANELS:
        assert f'name="panels" value="{name}" checked' in html


def test_edits_update_the_share_links_out_of_band(client: TestClient) -> None:
    html = client.get("/?logits=3,1&target=0", headers=HX_PANELS).text
    assert '<div id="share-links" class="share-links" hx-swap-oob="true">' in html
    assert 'value="http://testserver/?logits=3,1&amp;target=0"' in html


def oembed(client: TestClient, **params: Any) -> Any:
    return client.get("/oembed", params=params)


def test_oembed_has_the_required_fields_of_a_rich_response(client: TestClient) -> None:
    response = oembed(client, url="http://testserver/?logits=2,1&target=0")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    # oEmbed 1.0, section 2.3.4: version and type always; html, width, height for "rich".
    assert body["version"] == "1.0"
    assert body["type"] == "rich"
    assert isinstance(body["width"], int)
    assert isinstance(body["height"], int)
    assert body["html"].startswith('<iframe src="http://testserver/embed?logits=2,1&amp;target=0"')
    assert body["provider_name"] == "dEdZ"
    assert body["provider_url"] == "http://testserver/"
    assert body["cache_age"] == 86400
    assert body["title"]


def test_oembed_respects_maxwidth_and_maxheight(client: TestClient) -> None:
    body = oembed(
        client, url="http://testserver/embed?logits=1,2&target=1", maxwidth=300, maxheight=400
    ).json()
    assert body["width"] == 300
    assert body["height"] == 400
    assert 'width="300" height="400"' in body["html"]
    assert "embed?logits=1,2&amp;target=1" in body["html"]


@pytest.mark.parametrize(
    "url",
    [
        "http://elsewhere.test/?logits=2,1",
        "http://testserver/docs",
        "not a url",
        "http://testserver/gradient?x",
    ],
)
def test_oembed_404_for_urls_that_are_not_dedz_pages(client: TestClient, url: str) -> None:
    response = oembed(client, url=url)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("url: not a dEdZ page")


@pytest.mark.parametrize("fmt", ["xml", "yaml"])
def test_oembed_501_for_other_formats(client: TestClient, fmt: str) -> None:
    response = oembed(client, url="http://testserver/", format=fmt)
    assert response.status_code == 501


@pytest.mark.parametrize(
    ("params", "field"), [({}, "url"), ({"url": "http://testserver/", "maxwidth": "0"}, "maxwidth")]
)
def test_oembed_422_for_bad_parameters(
    client: TestClient, params: dict[str, str], field: str
) -> None:
    response = client.get("/oembed", params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]
    assert response.json()["detail"][0]["msg"].startswith(field)


def test_guide_page(client: TestClient) -> None:
    html = client.get("/guide").text
    for topic in (
        "Canvas",
        "Moodle",
        "WordPress",
        "plain HTML",
        "DEDZ_FRAME_ANCESTORS",
        "DEDZ_HTMX_SOURCE",
    ):
        assert topic in html
    assert "http://testserver/static/embed.js" in html


def test_edits_inside_an_embed_update_its_open_link(client: TestClient) -> None:
    html = client.get("/embed?logits=3,1&target=0", headers=HX_PANELS).text
    assert (
        '<a id="open-in-dedz" href="/?logits=3,1&amp;target=0" target="_blank" '
        'rel="noopener" hx-swap-oob="true">'
    ) in html


def test_reset_inside_an_embed_returns_to_the_instructors_url(client: TestClient) -> None:
    origin = "http://testserver/embed?logits=3,1,0&target=2&panels=grad"
    html = client.get(
        "/embed?logits=1,1,1&target=2&panels=grad&op=add",
        headers={"HX-Request": "true", "HX-Target": "explorer", "HX-Current-URL": origin},
    ).text
    assert (
        '<a class="button small" href="/embed?logits=3,1,0&amp;target=2&amp;panels=grad">' in html
    )
    assert 'value="reset"' not in html


def test_reset_ignores_a_current_url_that_is_not_one_of_our_embeds(client: TestClient) -> None:
    html = client.get(
        "/embed?logits=1,1&target=0&op=add",
        headers={"HX-Request": "true", "HX-Target": "explorer", "HX-Current-URL": "javascript:x()"},
    ).text
    assert "javascript:" not in html
    assert '<a class="button small" href="/embed?logits=1,1&amp;target=0"' in html


@pytest.mark.parametrize(
    "current",
    [
        "http://testserver/embed/../gradient?logits=999,0&target=1",
        "http://testserver/embed?logits=nan&target=0",
        "http://evil.example/embed?logits=2,1&target=0",
        "http://testserver/embed?logits=2,1&target=0&panel=x",
    ],
)
def test_reset_takes_only_a_valid_embed_of_this_site_from_the_header(
    client: TestClient, current: str
) -> None:
    response = client.get(
        "/embed?logits=2,1&target=0&panels=grad",
        headers={"HX-Request": "true", "HX-Target": "explorer", "HX-Current-URL": current},
    )
    assert (
        'href="/embed?logits=2,1&amp;target=0&amp;panels=grad">Reset this figure' in response.text
    )
    assert "HX-Current-URL" in response.headers["vary"]
    plain = client.get("/embed?logits=2,1&target=0", headers={"HX-Current-URL": current})
    assert "999" not in plain.text  # a page load never reads the header


def test_oembed_takes_an_explorer_url_with_the_share_panels_choices(client: TestClient) -> None:
    url = "http://testserver/?logits=2,1&target=0&panels=chain&controls=none&height=600"
    response = client.get("/oembed", params={"url": url})
    assert response.status_code == 200
    assert "panels=chain" in response.json()["html"]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("logits=3,1,x&target=0&controls=none&panels=grad", "logits[2]"),
        ("logits=3,1,0&target=5&controls=logits&panels=grad", "target"),
    ],
)
def test_an_invalid_state_behind_hidden_controls_is_named_in_the_frame(
    client: TestClient, query: str, named: str
) -> None:
    response = client.get(f"/embed?{query}")
    assert response.status_code == 422
    html = response.text
    assert "state is not valid</strong>, so it shows the question" in html
    assert f"<code>{named}</code>:" in html
    assert "fix what is marked in red" not in html


def test_an_instrument_error_with_no_field_to_mark_is_named_in_the_frame(
    client: TestClient,
) -> None:
    # A descent from 3 logits over a 2-class state: the figure showed another run, and its one
    # notice said to fix "the field marked in red", of which there was none.
    response = client.get("/embed?start=2,1,0.1&target=0&steps=4&lr=0.5&panels=loss,descent")
    assert response.status_code == 422
    html = response.text
    assert "state is not valid</strong>" in html
    assert "<code>start</code>: must give one logit per class (2), got 3" in html
    page = client.get("/?start=2,1,0.1&target=0&steps=4&lr=0.5").text
    assert "start: must give one logit per class (2), got 3" in page  # the form's own line


def test_the_unknown_parameter_message_names_only_what_an_instructor_writes(
    client: TestClient,
) -> None:
    html = client.get("/embed?logits=2,1&target=0&panel=chain").text
    assert (
        "it takes logits, target, temperature, label_smoothing, weights, reduction, loss, j, "
        in html
    )
    assert "include" not in html.split("it takes", 1)[1].split("</li>", 1)[0]


def test_urls_that_are_not_urls_get_a_4xx_not_a_500(client: TestClient) -> None:
    assert client.get("/oembed?url=http://%5B").status_code == 404
    response = client.get(
        "/embed?logits=2,1&target=0",
        headers={"HX-Request": "true", "HX-Current-URL": "http://["},
    )
    assert response.status_code == 200


def test_oembed_frames_the_canonical_state_not_the_url_as_given(client: TestClient) -> None:
    url = "http://testserver/?logits=5,1&target=0&op=reset&height=300"
    html = client.get("/oembed", params={"url": url}).json()["html"]
    assert 'src="http://testserver/embed?logits=5,1&amp;target=0"' in html
