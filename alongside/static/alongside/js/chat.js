/* Live chat client (docs/warmline.md, "Live chat"). No framework, no inline script.
 *
 * Delivery that loses nothing: every message gets a client id (crypto.randomUUID) and waits in an
 * outbox kept in sessionStorage until the server acknowledges it (the server acks only after the
 * message is committed, and a resend of the same id is acknowledged again without a second copy).
 * After every (re)connect the client resends what was not acknowledged and asks for everything
 * after the last sequence number it has shown. Messages are rendered by seq: duplicates are
 * dropped and order is kept. When the socket fails several times in a row, polling takes over
 * (POST send, GET messages?after=n) and the socket is retried now and then.
 */
(function () {
  "use strict";

  var FAILURES_BEFORE_POLLING = 3;
  var POLL_EVERY_MS = 3000;
  var RETRY_SOCKET_EVERY_MS = 60000;
  var TYPING_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 4000;
  var PING_EVERY_MS = 60000; /* the visitor's heartbeat: a closed tab stops it, and the sweep notices */

  function newId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, key) { return String(values[key]); });
  }

  function Chat(root) {
    this.root = root;
    this.side = root.dataset.side;
    this.log = root.querySelector("[data-chat-log]");
    this.status = root.querySelector("[data-chat-status]") || document.querySelector("[data-chat-status]");
    this.typing = root.querySelector("[data-chat-typing]");
    this.form = root.querySelector("[data-chat-form]");
    this.crisis = document.querySelector("[data-chat-crisis]");
    this.checkin = document.querySelector("[data-chat-checkin]");
    this.checklist = document.querySelector("[data-chat-checklist]");
    this.storeKey = "alongside-chat-outbox-" + root.dataset.conversation;
    this.failures = 0;
    this.socket = null;
    this.polling = null;
    this.lastTyping = 0;
    this.typingTimer = null;
    this.floodTimer = null;
    this.pending = document.createElement("ul");
    this.pending.className = "plain-list muted";
    this.pending.setAttribute("aria-live", "polite");
    this.log.parentNode.insertBefore(this.pending, this.log.nextSibling);
    /* lastSeq is the highest seq held with nothing missing below it: broadcasts from two servers
       may arrive out of order (10 before 9), and if 9 was dropped, a sync "after the highest seen"
       would never ask for it again. Syncs and polls ask for everything after lastSeq. */
    this.lastSeq = 0;
    this.held = {};
    this.gapTimer = null;
    var self = this;
    Array.prototype.forEach.call(this.log.querySelectorAll("[data-seq]"), function (li) {
      self.held[parseInt(li.dataset.seq, 10) || 0] = true;
    });
    this.advance();
    this.csrf = (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
    this.showPending();
    if (this.form) {
      this.form.addEventListener("submit", function (event) {
        event.preventDefault();
        self.submit();
      });
      var box = this.form.querySelector("textarea");
      box.addEventListener("input", function () { self.sendTyping(); });
      box.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          self.submit();
        }
      });
    }
    if (root.dataset.state === "closed" || root.dataset.state === "abandoned") {
      return;
    }
    this.connect();
  }

  /* --- The outbox (sessionStorage, so a reload keeps what was not acknowledged) --- */

  Chat.prototype.outbox = function () {
    try {
      return JSON.parse(window.sessionStorage.getItem(this.storeKey) || "[]");
    } catch (e) {
      return this.memory || [];
    }
  };

  Chat.prototype.saveOutbox = function (items) {
    try {
      window.sessionStorage.setItem(this.storeKey, JSON.stringify(items));
    } catch (e) { /* storage full or off: the outbox lives only in this page */ }
    this.memory = items;
    this.showPending();
  };

  Chat.prototype.acked = function (clientId) {
    this.saveOutbox(this.outbox().filter(function (item) { return item.client_id !== clientId; }));
  };

  Chat.prototype.showPending = function () {
    var pending = this.pending;
    var label = this.root.dataset.textSending || "";
    pending.textContent = "";
    this.outbox().forEach(function (item) {
      var li = document.createElement("li");
      li.textContent = label + " " + item.body;
      pending.appendChild(li);
    });
  };

  Chat.prototype.submit = function () {
    var box = this.form.querySelector("textarea");
    var body = box.value.trim();
    if (!body) {
      return;
    }
    var item = { client_id: newId(), body: body };
    this.saveOutbox(this.outbox().concat([item]));
    box.value = "";
    this.deliver(item);
  };

  Chat.prototype.deliver = function (item) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ type: "send", client_id: item.client_id, body: item.body }));
    } else if (this.polling) {
      this.post(item);
    }
  };

  Chat.prototype.flush = function () {
    var self = this;
    this.outbox().forEach(function (item) { self.deliver(item); });
  };

  /* --- Rendering, by seq --- */

  Chat.prototype.render = function (m) {
    if (!m || typeof m.seq !== "number" || this.log.querySelector('[data-seq="' + m.seq + '"]')) {
      return;
    }
    var li = document.createElement("li");
    li.className = "message message--" + m.sender;
    li.dataset.seq = String(m.seq);
    var mine = m.sender === this.side;
    var who = m.sender === "system" ? this.root.dataset.labelNotice : (mine ? this.root.dataset.labelYou : this.root.dataset.labelOther);
    if (m.sender !== "system") {
      var strong = document.createElement("strong");
      strong.textContent = who + ": ";
      li.appendChild(strong);
    }
    li.appendChild(document.createTextNode(m.body));
    var after = null;
    Array.prototype.some.call(this.log.querySelectorAll("[data-seq]"), function (other) {
      if (parseInt(other.dataset.seq, 10) > m.seq) {
        after = other;
        return true;
      }
      return false;
    });
    this.log.insertBefore(li, after);
    this.held[m.seq] = true;
    this.advance();
    if (m.client_id && mine) {
      this.acked(m.client_id);
    }
    if (m.event === "crisis") {
      this.showCrisis();
    }
    if (m.event === "joined" && this.side === "visitor" && this.status) {
      this.status.textContent = "";
    }
  };

  Chat.prototype.advance = function () {
    while (this.held[this.lastSeq + 1]) {
      this.lastSeq += 1;
    }
    var self = this;
    var gap = Object.keys(this.held).some(function (seq) { return parseInt(seq, 10) > self.lastSeq; });
    if (gap && !this.gapTimer) {
      /* A message is missing below one we hold: if it has not arrived within a second, ask for it. */
      this.gapTimer = window.setTimeout(function () {
        self.gapTimer = null;
        if (self.socket && self.socket.readyState === WebSocket.OPEN) {
          self.socket.send(JSON.stringify({ type: "sync", after: self.lastSeq }));
        } else {
          self.poll();
        }
      }, 1000);
    }
  };

  Chat.prototype.showCheckin = function (concepts) {
    /* A check-in: a calm prompt for the peer only (the visitor's page never gets one). */
    if (!this.checkin || (this.crisis && !this.crisis.hidden)) {
      return;
    }
    this.checkin.hidden = false;
    var list = this.checkin.querySelector("[data-chat-concepts]");
    if (list && concepts) {
      list.textContent = concepts.join(", ");
    }
  };

  Chat.prototype.showCrisis = function (checklist) {
    if (this.crisis) {
      this.crisis.hidden = false;
    }
    if (this.checkin) {
      this.checkin.hidden = true;
    }
    if (this.checklist && checklist) {
      var list = this.checklist;
      list.textContent = "";
      checklist.forEach(function (step) {
        var li = document.createElement("li");
        li.textContent = step;
        list.appendChild(li);
      });
    }
  };

  Chat.prototype.setState = function (state, extra) {
    var was = this.root.dataset.state;
    this.root.dataset.state = state;
    if (state === "closed" && was !== "closed" && this.side === "visitor" && !this.outbox().length) {
      /* The peer closed it: the page, drawn again by the server, shows the closing words and the
         feedback form (everything is stored, so nothing is lost by reloading). */
      window.location.reload();
      return;
    }
    if (!this.status) {
      return;
    }
    var d = this.root.dataset;
    if (state === "closed" || state === "abandoned") {
      this.status.textContent = d.textEnded || "";
      if (this.form) {
        this.form.hidden = true;
      }
      this.stop();
    } else if (state === "waiting" && this.side === "visitor" && extra) {
      var parts = [d.textWaiting || ""];
      if (extra.position) {
        parts.push(fill(d.textPosition || "", { position: extra.position }));
      }
      if (extra.wait_minutes) {
        parts.push(fill(d.textWait || "", { minutes: extra.wait_minutes }));
      }
      this.status.textContent = parts.join(" ");
    }
  };

  Chat.prototype.showTyping = function () {
    var typing = this.typing;
    if (!typing) {
      return;
    }
    typing.textContent = this.root.dataset.textTyping || "";
    typing.hidden = false;
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(function () { typing.hidden = true; }, TYPING_SHOWN_MS);
  };

  Chat.prototype.sendTyping = function () {
    var now = Date.now();
    if (now - this.lastTyping < TYPING_EVERY_MS || !this.socket || this.socket.readyState !== WebSocket.OPEN) {
      return;
    }
    this.lastTyping = now;
    this.socket.send(JSON.stringify({ type: "typing" }));
  };

  /* --- The socket --- */

  Chat.prototype.connect = function () {
    var self = this;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + this.root.dataset.socket);
    } catch (e) {
      this.failed();
      return;
    }
    this.socket = socket;
    socket.onopen = function () {
      self.failures = 0;
      if (self.polling) {
        window.clearInterval(self.polling);
        self.polling = null;
      }
      socket.send(JSON.stringify({ type: "sync", after: self.lastSeq }));
      self.flush();
      if (self.side === "visitor" && !self.pinging) {
        self.pinging = window.setInterval(function () {
          if (self.socket && self.socket.readyState === WebSocket.OPEN) {
            self.socket.send(JSON.stringify({ type: "ping" }));
          }
        }, PING_EVERY_MS);
      }
    };
    socket.onmessage = function (event) {
      var data;
      try {
        data = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      self.handle(data);
    };
    socket.onclose = function (event) {
      self.socket = null;
      if (event.code === 4401 || event.code === 4403) {
        return; /* the session ended or the link is not valid: do not hammer the server */
      }
      self.failed();
    };
  };

  Chat.prototype.handle = function (data) {
    switch (data.type) {
      case "message":
        this.render(data);
        break;
      case "ack":
        this.acked(data.client_id);
        break;
      case "typing":
        this.showTyping();
        break;
      case "crisis":
        this.showCrisis(data.checklist);
        break;
      case "checkin":
        this.showCheckin(data.concepts);
        break;
      case "queue":
        this.setState("waiting", data);
        break;
      case "state":
        this.setState(data.state);
        break;
      case "synced":
        this.setState(data.state);
        this.showNotice(data);
        break;
      case "closed":
        this.setState("closed");
        break;
      case "transferred":
        this.setState("closed");
        break;
      case "error":
        if (data.code === "flood") {
          this.flooded(data); /* kept in the outbox and sent again after the wait */
        } else if (data.client_id) {
          this.acked(data.client_id); /* refused for good (too long, ended): not resent */
        }
        break;
      default:
        break;
    }
  };

  /* Too many messages in a minute: say so (the server's words) and send the rest after the wait. */
  Chat.prototype.flooded = function (data) {
    var self = this;
    var errors = (data.errors && data.errors.body) || [];
    if (this.status && errors.length) {
      this.status.textContent = errors[0];
    }
    if (this.floodTimer) {
      return;
    }
    var wait = Math.max(1, parseInt(data.retry_after, 10) || 10) * 1000;
    this.floodTimer = window.setTimeout(function () {
      self.floodTimer = null;
      self.flush();
    }, wait);
  };

  /* The peer's side: "The person may have left" when the visitor's page has been silent. */
  Chat.prototype.showNotice = function (data) {
    if (this.side === "peer" && data.visitor_gone && data.notice && this.status) {
      this.status.textContent = data.notice;
    }
  };

  Chat.prototype.failed = function () {
    var self = this;
    this.failures += 1;
    if (this.status && this.failures === 1) {
      this.status.textContent = this.root.dataset.textOffline || "";
    }
    if (this.failures >= FAILURES_BEFORE_POLLING) {
      this.startPolling();
      window.setTimeout(function () { self.connect(); }, RETRY_SOCKET_EVERY_MS);
      return;
    }
    var delay = Math.min(30000, 1000 * Math.pow(2, this.failures)) + Math.floor(Math.random() * 500);
    window.setTimeout(function () { self.connect(); }, delay);
  };

  Chat.prototype.stop = function () {
    if (this.polling) {
      window.clearInterval(this.polling);
      this.polling = null;
    }
    if (this.pinging) {
      window.clearInterval(this.pinging);
      this.pinging = null;
    }
  };

  /* --- Polling --- */

  Chat.prototype.startPolling = function () {
    var self = this;
    if (this.polling) {
      return;
    }
    this.polling = window.setInterval(function () { self.poll(); }, POLL_EVERY_MS);
    this.poll();
  };

  Chat.prototype.post = function (item) {
    var self = this;
    return window.fetch(this.root.dataset.sendUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": this.csrf },
      body: JSON.stringify({ client_id: item.client_id, body: item.body })
    }).then(function (response) {
      if (response.status === 429) {
        return response.json().then(function (data) { self.flooded(data); });
      }
      if (response.ok || response.status === 400 || response.status === 410) {
        self.acked(item.client_id); /* ack, or refused for good */
      }
    }).catch(function () { /* offline: stays in the outbox */ });
  };

  Chat.prototype.poll = function () {
    var self = this;
    this.flush();
    window.fetch(this.root.dataset.messagesUrl + "?after=" + this.lastSeq, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) {
          return;
        }
        data.messages.forEach(function (m) { self.render(m); });
        if ((data.crisis_options && data.crisis_options.length) || data.flagged) {
          self.showCrisis();
        } else if (data.checkin) {
          self.showCheckin(data.concepts);
        }
        self.setState(data.state, data);
        self.showNotice(data);
      })
      .catch(function () { /* offline: try again at the next tick */ });
  };

  /* --- The peer console's queue --- */

  function Queue(root) {
    var status = root.querySelector("[data-chat-queue-status]");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var first = true;
    var socket = new WebSocket(scheme + window.location.host + root.dataset.socket);
    socket.onmessage = function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "queue") {
        if (!first && status) {
          status.textContent = root.dataset.textChanged + " (" + data.items.length + ")";
        }
        first = false;
      } else if (data.type === "alert" && status) {
        status.textContent = root.dataset.textAlert;
      }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-chat]");
    if (root) {
      new Chat(root);
    }
    var queue = document.querySelector("[data-chat-queue]");
    if (queue && window.WebSocket) {
      new Queue(queue);
    }
  });
})();
