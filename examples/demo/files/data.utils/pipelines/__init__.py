"""dlt pipelines of the demo: one module per source, run as ``python -m pipelines.<source>``."""
