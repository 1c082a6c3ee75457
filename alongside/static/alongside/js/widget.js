/* Alongside warm-line widget (docs/warmline.md, "Embeddable widget").
 *
 * An organisation pastes this on its own website (the line's staff page shows the exact snippet,
 * with this server's address in front of the path):
 *   <script src="/static/alongside/js/widget.js" data-line="<org>/<line>" async></script>
 *
 * It adds a "Chat with a peer" link, styled as a button, just after the script tag (or inside the
 * element named by data-target="<id>"), with the line's status and the "not a crisis line" notice
 * with the organisation's crisis options. It reads only the line's public status
 * (directory/lines/<org>/<line>/status.json, no cookies sent or set) and opens our chat page in a
 * new tab: no iframe (our pages refuse to be framed), nothing stored on the host site, no other
 * requests. Without the status it still links to the line's page.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script) {
    return;
  }
  var line = (script.getAttribute("data-line") || "").trim();
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/i.test(line)) {
    return;
  }
  var origin = new URL(script.src, window.location.href).origin;
  var base = origin + "/directory/lines/" + line + "/";

  var FALLBACK = {
    chat: "Chat with a peer",
    chat_now: "Chat now",
    hours: "See the hours",
    new_window: "(opens in a new tab)",
    not_crisis: "This is not a crisis line. In a crisis: call or text 988."
  };

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  function render(data) {
    var texts = (data && data.texts) || FALLBACK;
    var box = el("section");
    box.className = "alongside-widget";
    box.setAttribute("aria-label", texts.chat);
    box.style.cssText = "font:inherit;max-width:22rem;padding:0.75rem;border:1px solid #767676;border-radius:0.5rem;";

    var canChat = Boolean(data && data.chat_available && data.chat_url);
    var link = el("a");
    link.href = canChat ? data.chat_url : (data && data.line_url) || base;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.className = "alongside-widget-button";
    link.style.cssText =
      "display:inline-block;min-height:44px;padding:0.6rem 1rem;border-radius:0.4rem;" +
      "background:#1d4f91;color:#fff;font-weight:600;text-decoration:none;";
    link.appendChild(document.createTextNode(canChat ? texts.chat_now + " · " + texts.chat : texts.chat));
    var hint = el("span", " " + texts.new_window);
    hint.style.cssText = "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;";
    link.appendChild(hint);
    box.appendChild(link);

    if (data && data.status) {
      var status = el("p", data.status);
      status.setAttribute("role", "status");
      status.style.cssText = "margin:0.5rem 0 0;";
      box.appendChild(status);
    }
    if (data && !canChat && data.line_url) {
      var hours = el("a", texts.hours);
      hours.href = data.line_url;
      hours.target = "_blank";
      hours.rel = "noopener noreferrer";
      var p = el("p");
      p.style.cssText = "margin:0.25rem 0 0;";
      p.appendChild(hours);
      box.appendChild(p);
    }
    var notice = el("p", texts.not_crisis);
    notice.style.cssText = "margin:0.5rem 0 0;font-size:0.9em;";
    box.appendChild(notice);
    return box;
  }

  function place(box) {
    var targetId = script.getAttribute("data-target");
    var target = targetId ? document.getElementById(targetId) : null;
    var old = document.querySelector('[data-alongside-widget="' + line + '"]');
    box.setAttribute("data-alongside-widget", line);
    if (old) {
      old.parentNode.replaceChild(box, old);
    } else if (target) {
      target.appendChild(box);
    } else if (script.parentNode && script.parentNode !== document.head) {
      script.parentNode.insertBefore(box, script.nextSibling);
    } else {
      document.body.appendChild(box);
    }
  }

  function load() {
    if (!window.fetch) {
      place(render(null));
      return;
    }
    window.fetch(base + "status.json", { credentials: "omit", mode: "cors", referrerPolicy: "no-referrer" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { place(render(data)); })
      .catch(function () { place(render(null)); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", load);
  } else {
    load();
  }
})();
