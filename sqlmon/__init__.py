"""sqlmon: monitors for ML models and data pipelines, compiled to SQL that runs inside the warehouse."""

__version__ = "0.1.0"
