"""Rules: what judges a metric value — fixed thresholds, the drift metrics' sample-size-aware defaults, and any rule
a plugin registers (docs/architecture.md, "How to add a rule")."""
