"""Face 2, the page: the canonical state, its edits, one view model per panel, the charts, and
the routes of the explorer and its fragments."""
