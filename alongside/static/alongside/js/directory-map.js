// The optional venue map (docs/directory.md, "Map"). Nothing loads by itself: this script only shows
// the "Show map" button. Pressing it loads our vendored Leaflet (same origin) and only then the
// tiles from the organisation's tile server. Without JavaScript the box stays hidden and nothing
// from another origin is ever requested.
(function () {
  "use strict";

  function escapeHtml(text) {
    // Leaflet puts the attribution in as HTML; the organisation's credit is plain text.
    return String(text).replace(/[&<>"']/g, function (ch) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[ch];
    });
  }

  function loadLeaflet(data, done, failed) {
    if (window.L) { done(); return; }
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = data.leafletCss;
    document.head.appendChild(css);
    var script = document.createElement("script");
    script.src = data.leafletJs;
    script.onload = done;
    script.onerror = failed;
    document.head.appendChild(script);
  }

  function popupFor(marker) {
    // Built from DOM nodes with textContent: names never become HTML.
    var list = document.createElement("ul");
    marker.links.forEach(function (entry) {
      var item = document.createElement("li");
      if (/^(\/(?!\/)|https?:\/\/)/.test(entry.url)) {
        var link = document.createElement("a");
        link.href = entry.url;
        link.textContent = entry.name;
        item.appendChild(link);
      } else {
        item.textContent = entry.name;
      }
      list.appendChild(item);
    });
    return list;
  }

  function draw(canvas, data) {
    var L = window.L;
    canvas.hidden = false;
    canvas.style.height = "20rem"; // CSSOM, which the CSP allows (no inline style attribute)
    var map = L.map(canvas, { scrollWheelZoom: false });
    // Credit Leaflet as plain text: its default is a link to its website (another origin).
    map.attributionControl.setPrefix("Leaflet");
    L.tileLayer(data.tiles, {
      subdomains: data.subdomains,
      maxZoom: 19,
      attribution: escapeHtml(data.attribution)
    }).addTo(map);
    // Explicit icon addresses: Leaflet would otherwise guess an image path from its stylesheet.
    var icon = L.icon({
      iconUrl: data.icon,
      iconRetinaUrl: data.icon2x,
      shadowUrl: data.shadow,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      tooltipAnchor: [16, -28],
      shadowSize: [41, 41]
    });
    var points = [];
    data.markers.forEach(function (marker) {
      var point = [marker.lat, marker.lon];
      points.push(point);
      L.marker(point, { icon: icon, title: marker.title, alt: marker.title }).bindPopup(popupFor(marker)).addTo(map);
    });
    if (points.length === 1) {
      map.setView(points[0], 15);
    } else {
      map.fitBounds(points, { padding: [24, 24], maxZoom: 15 });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-map]");
    var source = document.getElementById("directory-map-data");
    if (!box || !source) { return; }
    var data = JSON.parse(source.textContent);
    var button = box.querySelector("[data-map-button]");
    var status = box.querySelector("[data-map-status]");
    var canvas = box.querySelector("[data-map-canvas]");
    box.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = button.getAttribute("data-loading");
      loadLeaflet(data, function () {
        button.parentNode.hidden = true; // (the button's own class sets display, so hide its paragraph)
        status.textContent = "";
        draw(canvas, data);
        canvas.focus(); // the button is gone; keyboard users land on the map (arrow keys pan it)
      }, function () {
        button.disabled = false;
        status.textContent = button.getAttribute("data-failed");
      });
    });
  });
})();
