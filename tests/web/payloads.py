"""Script-injection payloads and a scenario that carries one in every free-text field.

Every payload, if it ran, would set ``window.__xss`` (or call ``alert``): the browser
tests of the dashboard and of the report load :func:`hostile_scenario` and check that
nothing ran. Shared by ``tests/web`` and ``tests/report`` (loaded by path there).
"""

from __future__ import annotations

from typing import Any

RUN = "window.__xss=1"
PAYLOADS: list[str] = [
    f"<script>{RUN}</script>",
    f"<img src=x onerror={RUN}>",
    f'<img src="x" onerror="{RUN}">',
    f"<svg onload={RUN}>",
    f"<svg><script>{RUN}</script></svg>",
    f'<iframe src="javascript:{RUN}"></iframe>',
    f'<iframe srcdoc="<script>parent.{RUN}</script>"></iframe>',
    f'"><img src=x onerror={RUN}>',
    f"'><img src=x onerror={RUN}>",
    f'" onmouseover="{RUN}" x="',
    f"' onfocus='{RUN}' autofocus='",
    f"</textarea><img src=x onerror={RUN}>",
    f"</title><img src=x onerror={RUN}>",
    f"</style><img src=x onerror={RUN}>",
    f"</script><script>{RUN}</script>",
    f'<a href="javascript:{RUN}">click</a>',
    f'<a href="javascript:{RUN}" target="_blank">plotly link</a>',
    f"<b onmouseover={RUN}>bold</b>",
    f"<details open ontoggle={RUN}>",
    f"<body onload={RUN}>",
    f"<input autofocus onfocus={RUN}>",
    f"<video><source onerror={RUN}></video>",
    f"<audio src=x onerror={RUN}>",
    f'<object data="javascript:{RUN}"></object>',
    f'<embed src="javascript:{RUN}">',
    f"<math><mtext><table><mglyph><style><img src=x onerror={RUN}>",
    f'<noscript><p title="</noscript><img src=x onerror={RUN}>">',
    f"<form><button formaction=javascript:{RUN}>x</button></form>",
    f'<meta http-equiv="refresh" content="0;url=javascript:{RUN}">',
    f'<base href="javascript:{RUN}//">',
    f'<link rel=import href="data:text/html,<script>{RUN}</script>">',
    f"javascript:{RUN}",
    f"data:text/html,<script>{RUN}</script>",
    f"${{{RUN}}}",
    f"{{{{constructor.constructor('{RUN}')()}}}}",
    f"{{% raw %}}<script>{RUN}</script>{{% endraw %}}",
    f"<scr<script>ipt>{RUN}</scr</script>ipt>",
    f"&lt;script&gt;{RUN}&lt;/script&gt;",
    f"&#60;img src=x onerror={RUN}&#62;",
    f"\u003cimg src=x onerror={RUN}\u003e",
    "<img src=x onerror=&#119;indow.__xss=1>",
    f'"}}]}}</script><script>{RUN}</script>',
    f"\\u003cscript\\u003e{RUN}\\u003c/script\\u003e",
    f'<div style="background:url(javascript:{RUN})">',
    f"<x contenteditable onblur={RUN}>lose focus",
    f"<marquee onstart={RUN}>",
    f"<select autofocus onfocus={RUN}>",
    f"<keygen autofocus onfocus={RUN}>",
    f"<textarea autofocus onfocus={RUN}>",
    "<img src=x:alert(1) onerror=eval(atob('d2luZG93Ll9feHNzPTE='))>",
]


def hostile_scenario(offset: int = 0) -> dict[str, Any]:
    """A valid scenario (two veto states, a faction, a mediator; three issues) whose every
    free-text field holds a payload (ids must match the id pattern, so they cannot)."""
    n = [offset]

    def p() -> str:
        n[0] += 1
        return PAYLOADS[n[0] % len(PAYLOADS)]

    def qty(value: float, low: float, high: float) -> dict[str, Any]:
        return {"value": value, "note": p(), "range": [low, high]}

    issues = [
        {
            "id": f"i{j}",
            "name": p(),
            "description": p(),
            "note": p(),
            "status_quo": qty(50, 40, 60),
            "anchors": [{"value": 0, "label": p()}, {"value": 100, "label": p()}],
        }
        for j in range(3)
    ]

    def stance(pos: float, limit: float) -> dict[str, Any]:
        return {
            "position": qty(pos, max(0, pos - 5), min(100, pos + 5)),
            "salience": qty(60, 50, 70),
            "limit": qty(limit, max(0, limit - 5), min(100, limit + 5)),
            "note": p(),
        }

    def state(aid: str, pos: float, limit: float, **extra: Any) -> dict[str, Any]:
        return {
            "id": aid,
            "name": p(),
            "kind": "state",
            "note": p(),
            "capability": qty(5, 4, 6),
            "positions": {f"i{j}": stance(pos, limit) for j in range(3)},
            "no_deal": {"adjustment": qty(-0.1, -0.2, 0), "note": p()},
            "agenda": {"requires": ["i0"], "note": p()},
            **extra,
        }

    actors = [
        state("a", 20, 60),
        state("b", 80, 40),
        {
            "id": "b_hard",
            "name": p(),
            "kind": "faction",
            "parent": "b",
            "veto": True,
            "note": p(),
            "positions": {f"i{j}": stance(90, 70) for j in range(3)},
        },
        {
            "id": "m",
            "name": p(),
            "kind": "mediator",
            "note": p(),
            "channel": qty(0.3, 0.2, 0.4),
            "inducements": [
                {"target": "a", "kind": "side_payment", "amount": qty(0.05, 0, 0.1), "note": p()}
            ],
        },
    ]
    return {
        "name": p(),
        "description": p(),
        "date": p(),
        "issues": issues,
        "actors": actors,
        "escalation": {"rate": qty(1, 0.5, 1.5), "p_escalate": qty(0.1, 0.05, 0.2), "note": p()},
        "sources": {f"s{k}": p() for k in range(4)} | {p(): p()},
    }
