"""logdoctor: read a vLLM / Xinference server log, lay out the facts, rank the likely causes."""

__version__ = "0.1.0"
