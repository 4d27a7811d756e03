"""Frozen baselines: profiles of a source stored in the results schema (`profile`), and the `sqlmon baseline`
commands (`commands`)."""
