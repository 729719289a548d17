"""What sits on the map rather than in a layer: the legend, Leaflet's default icon path, and
the draw control whose area reaches the page (the manager's area selection).
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import MacroElement
from folium.plugins import Draw
from folium.template import Template

from maps.markup import Gettext, js_json


class Legend(MacroElement):
    """A Leaflet control listing colour swatches by section. Built with DOM calls and
    textContent (labels are translated user-facing text), laid out with flexbox and logical
    CSS properties so it reads correctly when the page or a label is right to left."""

    _template = Template(
        """{% macro header(this, kwargs) %}
<style>
.fieldcrm-legend { background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.4 system-ui, sans-serif;
  max-height: 40vh; overflow-y: auto; text-align: start; }
.fieldcrm-legend h4 { margin: 4px 0 2px; font-size: 12px; }
.fieldcrm-legend .row { display: flex; align-items: center; gap: 6px; margin: 0; }
.fieldcrm-legend .swatch { flex: none; inline-size: 12px; block-size: 12px; border-radius: 50%;
  border: 1px solid #fff; box-shadow: 0 0 0 1px rgba(0,0,0,0.25); }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
    var sections = {{ this.payload }};
    var legend = L.control({position: {{ this.position|tojson }}});
    legend.onAdd = function () {
        var box = L.DomUtil.create('div', 'fieldcrm-legend leaflet-bar');
        sections.forEach(function (section) {
            var h = document.createElement('h4');
            h.dir = 'auto'; h.textContent = section[0];
            box.appendChild(h);
            section[1].forEach(function (item) {
                var row = document.createElement('div'), sw = document.createElement('span');
                var text = document.createElement('span');
                row.className = 'row'; sw.className = 'swatch';
                sw.style.backgroundColor = item[1];
                text.dir = 'auto'; text.textContent = item[0];
                row.appendChild(sw); row.appendChild(text);
                box.appendChild(row);
            });
        });
        L.DomEvent.disableScrollPropagation(box);
        return box;
    };
    legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}"""
    )

    def __init__(
        self, sections: Sequence[tuple[str, Sequence[tuple[str, str]]]],
        position: str = "bottomright",
    ) -> None:  # fmt: skip
        super().__init__()
        self._name = "Legend"
        self.sections = [(title, list(items)) for title, items in sections if items]
        self.payload = js_json(self.sections)
        self.position = position


class DefaultIconPath(MacroElement):
    """Leaflet finds its default marker images through a CSS probe that fails when the CSS is
    inlined or served from another prefix; setting imagePath makes it explicit."""

    _template = Template(
        """{% macro script(this, kwargs) %}
L.Icon.Default.prototype.options.imagePath = {{ this.path|tojson }};
{% endmacro %}"""
    )

    def __init__(self, path: str) -> None:
        super().__init__()
        self._name = "DefaultIconPath"
        self.path = path


class DrawHook(MacroElement):
    """Hands the area a manager draws to the page: calls `window.fieldcrmOnDraw(feature)`
    (or the parent page's, when the map is in a same-origin iframe) and dispatches a
    `fieldcrm:draw` DOM event; `null` when the shape is deleted. Only the latest shape is
    kept, since a selection is one area."""

    _template = Template(
        """{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var drawn = drawnItems_{{ this.draw.get_name() }};
    function notify(feature) {
        var targets = [window];
        try {
            if (window.parent !== window && window.parent.fieldcrmOnDraw) {
                targets.push(window.parent);
            }
        } catch (err) { /* cross-origin parent: the DOM event below still fires */ }
        for (var i = 0; i < targets.length; i++) {
            if (typeof targets[i].fieldcrmOnDraw === 'function') {
                targets[i].fieldcrmOnDraw(feature);
                break;
            }
        }
        document.dispatchEvent(new CustomEvent('fieldcrm:draw', {detail: feature}));
    }
    map.on(L.Draw.Event.CREATED, function (e) {
        drawn.eachLayer(function (layer) {
            if (layer !== e.layer) { drawn.removeLayer(layer); }
        });
        notify(e.layer.toGeoJSON());
    });
    map.on(L.Draw.Event.EDITED, function () {
        var layers = drawn.getLayers();
        notify(layers.length ? layers[layers.length - 1].toGeoJSON() : null);
    });
    map.on(L.Draw.Event.DELETED, function () {
        if (!drawn.getLayers().length) { notify(null); }
    });
    var local = {{ this.strings }};
    L.drawLocal.draw.toolbar.buttons.polygon = local.polygon;
    L.drawLocal.draw.toolbar.buttons.rectangle = local.rectangle;
    L.drawLocal.draw.toolbar.actions.text = local.cancel;
    L.drawLocal.draw.toolbar.finish.text = local.finish;
    L.drawLocal.draw.toolbar.undo.text = local.undo;
    L.drawLocal.edit.toolbar.buttons.edit = local.edit;
    L.drawLocal.edit.toolbar.buttons.remove = local.remove;
})();
{% endmacro %}"""
    )

    def __init__(self, draw: Draw, _: Gettext) -> None:
        super().__init__()
        self._name = "DrawHook"
        self.draw = draw
        self.strings = js_json({
            "polygon": _("Select an area"),
            "rectangle": _("Select a rectangle"),
            "cancel": _("Cancel"),
            "finish": _("Finish"),
            "undo": _("Delete last point"),
            "edit": _("Edit the selection"),
            "remove": _("Clear the selection"),
        })  # fmt: skip


def draw_control(m: folium.Map, _: Gettext) -> Draw:
    """Polygon and rectangle only: the selection is an area of accounts."""
    draw = Draw(
        export=False,
        position="topleft",
        draw_options={
            "polyline": False, "circle": False, "marker": False, "circlemarker": False,
            "polygon": {"allowIntersection": False, "showArea": False},
            "rectangle": {"showArea": False},
        },
        edit_options={"poly": {"allowIntersection": False}},
    )  # fmt: skip
    draw.add_to(m)
    # The hook goes after the Draw control: it refers to the control's feature group, and
    # drawLocal must be patched before a toolbar is (re)built. Leaflet.draw reads drawLocal
    # when handlers are enabled, so patching after the control is added still takes effect.
    DrawHook(draw, _).add_to(m)
    return draw
