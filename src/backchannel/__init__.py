"""backchannel: analyse and forecast multi-actor negotiations."""

__version__ = "0.1.0"
