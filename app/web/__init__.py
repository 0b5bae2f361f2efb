"""Shared HTTP plumbing: errors, middleware, htmx helpers, the URL builder, templates, health."""
