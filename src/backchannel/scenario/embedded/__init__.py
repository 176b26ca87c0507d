"""The embedded scenarios (YAML files in this folder, loaded by name)."""

DEFAULT_SCENARIO = "iran_us_2019"
"""The scenario a command reads when none is named: the 2019 Iran-US back channel."""
