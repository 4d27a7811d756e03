"""Monitor kinds: one module per YAML `type`, each registered in `registry`."""
