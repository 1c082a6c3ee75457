/* The supervisor board, live (docs/warmline.md, "Supervisor board").
 *
 * Listens on the board socket; when the queue or a chat changes it fetches the board's fragment
 * again (same origin) and puts it in place. A crisis alert is announced at the top (role=alert)
 * with a link to the conversation. Without the socket it fetches the fragment every 30 seconds;
 * without script the page has a refresh link.
 */
(function () {
  "use strict";

  var REFRESH_EVERY_MS = 30000;
  var DEBOUNCE_MS = 300;
  var RETRY_MS = 5000;

  function Board(root) {
    this.root = root;
    this.live = root.querySelector("[data-board-live]");
    this.alerts = root.querySelector("[data-board-alerts]");
    this.status = root.querySelector("[data-board-status]");
    this.timer = null;
    this.failures = 0;
    this.connect();
    var self = this;
    window.setInterval(function () { self.refresh(); }, REFRESH_EVERY_MS);
  }

  Board.prototype.refresh = function () {
    var self = this;
    window.fetch(this.root.dataset.fragmentUrl, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("board " + response.status); }
        return response.text();
      })
      .then(function (html) { self.live.innerHTML = html; })
      .catch(function () { self.say(self.root.dataset.textOffline); });
  };

  Board.prototype.soon = function () {
    var self = this;
    if (this.timer) { window.clearTimeout(this.timer); }
    this.timer = window.setTimeout(function () { self.timer = null; self.refresh(); }, DEBOUNCE_MS);
  };

  Board.prototype.say = function (text) {
    if (this.status) { this.status.textContent = text || ""; }
  };

  Board.prototype.alert = function (data) {
    if (!this.alerts || !data.conversation) { return; }
    var p = document.createElement("p");
    var a = document.createElement("a");
    a.href = this.root.dataset.conversationUrl.replace("00000000-0000-0000-0000-000000000000", data.conversation);
    a.textContent = this.root.dataset.textAlert;
    p.appendChild(a);
    this.alerts.insertBefore(p, this.alerts.firstChild);
  };

  Board.prototype.connect = function () {
    var self = this;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + this.root.dataset.socket);
    } catch (e) {
      this.say(this.root.dataset.textOffline);
      return;
    }
    socket.onopen = function () {
      self.failures = 0;
      self.say(self.root.dataset.textLive);
    };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (data.type === "alert") { self.alert(data); }
      if (data.type === "alert" || data.type === "changed") { self.soon(); }
    };
    socket.onclose = function (event) {
      self.say(self.root.dataset.textOffline);
      if (event.code === 4401 || event.code === 4403) { return; }
      self.failures += 1;
      if (self.failures < 5) {
        window.setTimeout(function () { self.connect(); }, RETRY_MS);
      }
    };
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-board]");
    if (root && window.WebSocket && window.fetch) { new Board(root); }
  });
})();
