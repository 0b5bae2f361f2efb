"""Face 3, other sites: embed options (the explorer is the embed with default options), share
snippets, oEmbed and the instructor's guide."""
