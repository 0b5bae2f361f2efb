"""What an instructor copies: the link, the embed URL, the iframe snippet and the host script."""

from __future__ import annotations

from dataclasses import dataclass, replace
from html import escape
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import QueryParams

from app.embed.heights import fitting_height
from app.embed.options import PANEL_TITLES, EmbedOptions
from app.embed.titles import figure_title
from app.explorer.instruments import Instruments
from app.explorer.panels import shown
from app.explorer.state import ExplorerState
from app.service.numbers import quoted
from app.web.urls import Urls, join_queries

DEFAULT_HEIGHT = 720
DEFAULT_WIDTH = 640
MIN_HEIGHT = 200
MAX_HEIGHT = 4000


SNIPPET_STYLE = "border:0;max-width:100%"  # what the host page's snippet styles inline


def iframe_snippet(
    src: str, height: int = DEFAULT_HEIGHT, title: str = "dEdZ explorer", *, inline: bool = True
) -> str:
    """Return the HTML an instructor pastes into a course page; with `inline=False`, the same
    frame styled by dEdZ's stylesheet (class "snippet-frame", the same rules) for the builder's
    own preview, where the page's policy refuses inline styles."""
    style = f'style="{SNIPPET_STYLE}"' if inline else 'class="snippet-frame"'
    return (
        f'<iframe src="{escape(src)}" title="{escape(title)}" width="100%" height="{height}" '
        f'loading="lazy" {style} '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )


@dataclass(frozen=True, slots=True)
class Share:
    """What the share panel offers for the current state and the chosen embed options."""

    options: EmbedOptions
    height: int  # the snippet's: the instructor's choice, or what the figure needs
    fitting: int  # what the figure needs at a course column's width and on a phone
    chosen: bool  # whether the instructor chose the height
    link: str
    embed_src: str
    snippet: str
    host_script: str
    # The state as hidden fields of the share form, so that without JavaScript its
    # Update preview keeps the explorer's state (with htmx they follow each edit).
    state_fields: tuple[tuple[str, str], ...] = ()
    height_note: str = ""  # why a typed height was not used as typed
    mode: str = "explore"  # what the embed asks of students: explore, predict, predict-sign
    export_query: str = ""  # the figure's embed query, for the export form
    build: str = ""  # /build with this state and these choices
    export_panels: tuple[tuple[str, str], ...] = ()  # (name, title) of each shown panel


def chosen_height(params: QueryParams) -> int | None:
    """Return the height the instructor typed into the share form (within 200..4000 px)."""
    try:
        return min(max(int(params.get("height", "")), MIN_HEIGHT), MAX_HEIGHT)
    except ValueError:
        return None


# The share form's mode for the embed (not the page's own `mode`, which would put the explorer
# itself into that mode): what the students' figure asks of them.
SHARE_MODES = {
    "explore": Instruments(),
    "predict": Instruments(mode="predict"),
    "predict-sign": Instruments(mode="predict", ask="sign"),
}


def _page_mode(params: QueryParams) -> str:
    """Return the share choice that matches the page's own mode."""
    if params.get("mode") == "predict":
        return "predict-sign" if params.get("ask") == "sign" else "predict"
    return "explore"


def share_mode(params: QueryParams) -> str:
    """Return the share form's mode choice (`share_mode`); before one is made, the page's own
    (a page in predict mode shares a predict-first figure)."""
    mode = params.get("share_mode", _page_mode(params))
    return mode if mode in SHARE_MODES else "explore"


def share(
    urls: Urls,
    state: ExplorerState,
    params: QueryParams,
    choices: EmbedOptions,
    page: Instruments | None = None,
) -> Share:
    """Return the link, embed URL and snippets for a state and the share form's choices
    (`choices`, as read from `params`; the page's nudge and path go with it: `page`)."""
    options = choices.for_classes(state.n)
    mode = share_mode(params)
    instruments = SHARE_MODES[mode]
    if page is not None:
        instruments = replace(instruments, probe=page.probe, h=page.h, focus=page.focus)
    fitting = fitting_height(options, state.n, state, instruments)
    chosen = chosen_height(params)
    height = chosen or fitting
    typed = params.get("height", "").strip()
    note = ""
    if typed and chosen is None:
        note = (
            f"Height {quoted(typed)} is not a whole number of pixels: the snippet uses {fitting}."
        )
    elif chosen is not None and typed.isdigit() and int(typed) != chosen:
        note = f"Heights run from {MIN_HEIGHT} to {MAX_HEIGHT} px: the snippet uses {chosen}."
    extra = options.query()
    state_query = state.to_query()
    embed_src = urls.absolute("/embed", join_queries(state_query, extra, instruments.query()))
    return Share(
        options=options,
        height=height,
        fitting=fitting,
        chosen=chosen is not None,
        height_note=note,
        link=urls.absolute(
            "/", join_queries(state_query, options.names_query(), instruments.query())
        ),
        embed_src=embed_src,
        snippet=iframe_snippet(embed_src, height, figure_title(state, options, instruments)),
        host_script=f'<script src="{escape(urls.absolute("/static/embed.js"))}" defer></script>',
        state_fields=tuple(parse_qsl(state_query)),
        mode=mode,
        export_query=join_queries(state_query, extra, instruments.query()),
        build=urls.path(
            "/build", join_queries(state_query, extra, f"mode={mode}" if mode != "explore" else "")
        ),
        export_panels=tuple(
            (n, PANEL_TITLES[n]) for n in shown(options.panels, instruments) if n != "predict"
        ),
    )


def choices_query(params: QueryParams, options: EmbedOptions) -> str:
    """Return the share form's choices (`options`, as read from `params`) that differ from its
    defaults, as a query string."""
    pairs = options.pairs()
    if share_mode(params) != _page_mode(params):  # kept only where it differs from the page's
        pairs.append(("share_mode", share_mode(params)))
    chosen = chosen_height(params)
    if chosen is not None:  # the instructor's own choice, kept in the URL
        pairs.append(("height", str(chosen)))
    return urlencode(pairs, safe=",")
