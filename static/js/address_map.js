/* Wuyou customer page: click the address map to propose a new point. The click's place in the SVG view box is turned
   back into latitude/longitude with the projection the server drew with (data-k, data-cx, data-cy, data-scale; see
   wuyou/routing/geometry.py Projection), written into the form's inputs and shown as a ring; "Save the point" posts
   it. Without JavaScript the coordinates are typed into the same form. */
(function () {
  "use strict";

  function toLatLon(svg, event) {
    var ctm = svg.getScreenCTM();
    if (!ctm) { return null; }
    var pt = svg.createSVGPoint();
    pt.x = event.clientX;
    pt.y = event.clientY;
    var p = pt.matrixTransform(ctm.inverse());
    var d = svg.dataset;
    var k = parseFloat(d.k), cx = parseFloat(d.cx), cy = parseFloat(d.cy), scale = parseFloat(d.scale);
    var w = parseFloat(d.width), h = parseFloat(d.height);
    if (!(k && scale)) { return null; }
    return { x: p.x, y: p.y, lat: -((p.y - h / 2) / scale + cy), lon: ((p.x - w / 2) / scale + cx) / k };
  }

  document.addEventListener("click", function (event) {
    var svg = event.target.closest && event.target.closest("svg[data-place-map]");
    if (!svg) { return; }
    var figure = svg.closest("figure");
    var form = figure && figure.querySelector("[data-place-form]");
    var at = toLatLon(svg, event);
    if (!form || !at) { return; }
    form.querySelector("[data-place-lat]").value = at.lat.toFixed(6);
    form.querySelector("[data-place-lon]").value = at.lon.toFixed(6);
    var marker = svg.querySelector("[data-place-marker]");
    if (marker) {
      marker.setAttribute("cx", at.x.toFixed(1));
      marker.setAttribute("cy", at.y.toFixed(1));
      marker.setAttribute("visibility", "visible");
    }
    var button = form.querySelector("button[type=submit]");
    if (button) { button.focus(); }
  });
}());
