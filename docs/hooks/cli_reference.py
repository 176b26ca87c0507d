"""MkDocs hooks: replace ``<!-- cli-reference -->`` with the ``--help`` text of every
command, read from the CLI itself, so the reference cannot drift from the code; and show
the Sphinx roles of the docstrings (``:func:`x```) as plain code."""

from __future__ import annotations

import re
from typing import Any

_ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj):(<code>.*?</code>)")


def _help(command: Any, ctx: Any) -> str:
    return str(command.get_help(ctx))


def _walk(group: Any, ctx: Any, prefix: str) -> list[str]:
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        sub = type(ctx)(cmd, info_name=name, parent=ctx)
        out.append(f"## `{prefix} {name}`\n\n```text\n{_help(cmd, sub)}\n```\n")
        if hasattr(cmd, "list_commands"):
            out.extend(_walk(cmd, sub, f"{prefix} {name}"))
    return out


def on_page_markdown(markdown: str, **_: Any) -> str:
    if "<!-- cli-reference -->" not in markdown:
        return markdown
    import typer.main

    from backchannel.cli.app import _register, app

    _register()
    group = typer.main.get_command(app)
    ctx = group.make_context("backchannel", [], resilient_parsing=True)
    text = f"```text\n{_help(group, ctx)}\n```\n\n" + "\n".join(_walk(group, ctx, "backchannel"))
    return markdown.replace("<!-- cli-reference -->", text)


def on_page_content(html: str, **_: Any) -> str:
    return _ROLE.sub(r"\1", html)
