"""SQL generation: Jinja templates in macros/, parsed by sqlglot, written out in the target dialect."""
