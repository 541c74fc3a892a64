"""The web layer: how requests become answers (error pages, and in time templating, htmx
details, the request guard and notices)."""
