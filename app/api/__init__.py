"""Face 1, JSON: the `/gradient` routes, serialisation and the OpenAPI text."""
