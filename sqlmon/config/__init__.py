"""Configuration: YAML with line numbers, typed specs, and the project loader."""
