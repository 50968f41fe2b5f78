"""tuchuang: a self-hosted cloud disk and image host speaking the 0voice wire protocol."""

__version__ = "0.1.0"
