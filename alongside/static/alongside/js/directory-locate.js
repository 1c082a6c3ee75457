// "Use my location" on Find peer support: shown only when the browser can do it, and it asks for
// the position only when the button is pressed. The position fills the form's hidden lat/lon and
// submits; nothing is sent anywhere else. Without JavaScript the button stays hidden.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-locate]");
    if (!box || !navigator.geolocation) { return; }
    var button = box.querySelector("[data-locate-button]");
    var status = box.querySelector("[data-locate-status]");
    var form = box.closest("form");
    box.hidden = false;
    button.addEventListener("click", function () {
      status.textContent = button.getAttribute("data-locating");
      navigator.geolocation.getCurrentPosition(function (position) {
        form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(2);
        form.querySelector("input[name=lon]").value = position.coords.longitude.toFixed(2);
        form.querySelector("input[name=where]").value = "";
        form.submit();
      }, function () {
        status.textContent = button.getAttribute("data-denied");
      }, { maximumAge: 600000, timeout: 15000 });
    });
  });
})();
