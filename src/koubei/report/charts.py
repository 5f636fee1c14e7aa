"""The report's charts, drawn with plotly and returned as HTML fragments.

Each function returns a ``<div>`` plus the ``<script>`` that draws it; plotly.js
itself is embedded once in the page (:func:`plotly_js`). plotly's JSON encoder
writes ``<``, ``>`` and ``/`` as ``\\u003c``... so no text can close the script,
and user text shown *inside* a chart is HTML-escaped first, because plotly.js
reads a few tags (``<b>``, ``<br>``, ``<a>``) in labels.
"""

from __future__ import annotations

import copy
import functools
import html
from collections.abc import Sequence
from typing import Any

import pandas as pd

#: the CSS font stack of the page, also given to plotly (Chinese fonts first)
FONT_FAMILY = ('"Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", '
               '"Source Han Sans SC", sans-serif')
CONFIG: dict[str, Any] = {"displaylogo": False, "responsive": True}
SENTIMENT_COLORS = {"pos": "#4caf50", "neu": "#b0b0b0", "neg": "#e53935"}
SENTIMENT_ZH = {"pos": "正面", "neu": "中性", "neg": "负面"}


def plotly_js() -> str:
    """The plotly.js bundle, to inline once in the page (the report works offline)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def label(text: object) -> str:
    """User text for a plotly label: ``<``, ``>`` and ``&`` escaped (plotly.js shows entities as text)."""
    return html.escape(str(text), quote=False)


def _figure(height: int, **layout: Any) -> Any:
    import plotly.graph_objects as go

    fig = go.Figure()
    base: dict[str, Any] = {"template": "plotly_white", "height": height,
                            "font": {"family": FONT_FAMILY, "size": 13},
                            "margin": {"l": 60, "r": 30, "t": 30, "b": 50}}
    fig.update_layout(**(base | layout))
    return fig


def _div(fig: Any, div_id: str) -> str:
    import plotly.io as pio

    return str(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG))


def trend_chart(trend: Sequence[dict[str, Any]], div_id: str) -> str:
    """An issue's last windows: bars of its complaint count, a line of its rate (right axis)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    windows = [label(t.get("window", "")) for t in trend]
    counts = [_int(t.get("count")) for t in trend]
    rates = [c / n if (n := _int(t.get("total"))) else None for c, t in zip(counts, trend)]
    data = go.Figure(data=[
        go.Bar(x=windows, y=counts, name="投诉数", marker_color="#ef9a9a"),
        go.Scatter(x=windows, y=rates, name="占比", yaxis="y2", mode="lines+markers",
                   line={"color": "#c62828"}, hovertemplate="%{y:.1%}<extra></extra>"),
    ]).to_dict()["data"]
    # the layout (its template above all) is the same for every issue: validated once, not per chart
    fig = {"data": data, "layout": copy.deepcopy(_trend_layout())}
    return str(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id, config=CONFIG,
                           validate=False))


@functools.lru_cache(maxsize=1)
def _trend_layout() -> dict[str, Any]:
    fig = _figure(260, yaxis={"title": "投诉数"}, legend={"orientation": "h", "y": 1.15},
                  yaxis2={"title": "占比", "overlaying": "y", "side": "right", "tickformat": ".0%",
                          "rangemode": "tozero", "showgrid": False})
    fig.update_xaxes(type="category")
    return dict(fig.to_dict()["layout"])


def heatmap_chart(rate: pd.DataFrame, count: pd.DataFrame, div_id: str) -> str:
    """Complaint rate per group (rows) × topic (columns), with counts in the hover."""
    import plotly.graph_objects as go

    topics = list(rate.columns)
    z = rate.to_numpy(dtype=float)
    counts, reviews = count[topics].to_numpy(dtype=int), count["_reviews"].to_numpy(dtype=int)
    hover = [[f"{label(g)} · {label(t)}<br>{counts[i, j]} 条 / {reviews[i]} 条评论"
              for j, t in enumerate(topics)] for i, g in enumerate(rate.index)]
    text = [[f"{v:.0%}" if v == v else "" for v in row] for row in z]
    fig = _figure(max(260, 90 + 36 * len(rate)), margin={"l": 120, "r": 30, "t": 30, "b": 110})
    fig.add_trace(go.Heatmap(z=z, x=[label(t) for t in topics], y=[label(g) for g in rate.index],
                             text=text, texttemplate="%{text}", customdata=hover, colorscale="Reds",
                             zmin=0, hovertemplate="%{customdata}<br>投诉率 %{z:.1%}<extra></extra>",
                             colorbar={"title": "投诉率", "tickformat": ".0%"}))
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    fig.update_xaxes(type="category", tickangle=-35, automargin=True)
    return _div(fig, div_id)


def sentiment_chart(table: pd.DataFrame, div_id: str) -> str:
    """Reviews per window, stacked by overall sentiment (positive, neutral, negative)."""
    import plotly.graph_objects as go

    fig = _figure(320, barmode="stack", yaxis={"title": "评论数"}, legend={"orientation": "h", "y": 1.12})
    windows = [label(w) for w in table["window"]]
    for key in ("pos", "neu", "neg"):
        fig.add_trace(go.Bar(x=windows, y=table[key].tolist(), name=SENTIMENT_ZH[key],
                             marker_color=SENTIMENT_COLORS[key]))
    fig.update_xaxes(type="category")
    return _div(fig, div_id)


def taste_chart(table: pd.DataFrame, div_id: str) -> str:
    """Taste complaints per direction, stacked by group (product), with the total on top."""
    import plotly.graph_objects as go

    directions = [label(d) for d in table.index]
    fig = _figure(340, barmode="stack", yaxis={"title": "评论数"}, legend={"orientation": "h", "y": 1.15})
    for group in table.columns:
        fig.add_trace(go.Bar(x=directions, y=table[group].tolist(), name=label(group)))
    totals = table.sum(axis=1).tolist()
    fig.add_trace(go.Scatter(x=directions, y=totals, mode="text", text=[str(int(t)) for t in totals],
                             textposition="top center", name="合计", showlegend=False, cliponaxis=False,
                             hovertemplate="合计 %{y}<extra></extra>"))
    fig.update_xaxes(type="category")
    return _div(fig, div_id)


def opinions_chart(items: Sequence[tuple[str, int]], div_id: str) -> str:
    """Horizontal bars of the most frequent negative opinion phrases, the largest on top."""
    import plotly.graph_objects as go

    fig = _figure(max(260, 60 + 26 * len(items)), margin={"l": 220, "r": 30, "t": 20, "b": 40},
                  xaxis={"title": "评论数"})
    fig.add_trace(go.Bar(x=[n for _, n in items], y=[label(p) for p, _ in items], orientation="h",
                         marker_color="#ef6c00", hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_yaxes(autorange="reversed", type="category", automargin=True)
    return _div(fig, div_id)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
