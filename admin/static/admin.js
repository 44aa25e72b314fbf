// The admin pages' few behaviours, without inline script (the CSP forbids it):
// the phone's folding menu, live pages, parts fetched after a page, the desk's alarm, the SMS segment counter,
// broadcast progress, "all buildings", confirmations, print, and the focus on a form's first error.
(function () {
  "use strict";

  document.documentElement.classList.replace("no-js", "js"); // the menu folds only where it can unfold

  // On a phone the menu folds behind one button; Escape folds it again and gives the focus back.
  function menu(button) {
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    }
    button.addEventListener("click", function () { show(button.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  // What a live region says aloud: each item's `data-announce`, under its key (`data-key`, `data-number`).
  function announced() {
    var said = {};
    document.querySelectorAll("[data-live-region] [data-announce]").forEach(function (el) {
      var key = el.getAttribute("data-key") || el.getAttribute("data-number") || "";
      said[key + "|" + el.getAttribute("data-announce")] = el.getAttribute("data-announce");
    });
    return said;
  }

  // After a swap, tell screen readers only what is new or changed (a few items; past that, how many).
  function announce(before) {
    var news = document.getElementById("live-news");
    var after = announced();
    var fresh = Object.keys(after).filter(function (k) { return !(k in before); }).map(function (k) { return after[k]; });
    if (!news || !fresh.length) return;
    var shown = fresh.slice(0, 3).join("; ");
    news.textContent = fresh.length > 3 ? shown + " … (+" + (fresh.length - 3) + ")" : shown;
  }

  function every(seconds) {
    var s = parseFloat(seconds);
    return (isFinite(s) && s > 0 ? s : 5) * 1000;
  }

  // A live page polls a small JSON endpoint; when its `stamp` changes, the page's live regions are
  // fetched again and swapped in place (the server renders them: one template, no JS rendering).
  function live(main) {
    var url = main.getAttribute("data-live-url");
    var stamp = main.getAttribute("data-live-stamp");
    var busy = false;
    function refresh() {
      return fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (!html) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var before = announced();
          document.querySelectorAll("[data-live-region]").forEach(function (old) {
            var fresh = old.id && doc.getElementById(old.id);
            if (fresh) old.replaceWith(fresh);
          });
          announce(before);
          document.dispatchEvent(new CustomEvent("live:updated"));
        });
    }
    function poll() {
      if (busy || document.hidden) return;
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }
          return r.ok ? r.json() : null;
        })
        .then(function (data) {
          if (data && data.stamp && data.stamp !== stamp) {
            stamp = data.stamp;
            return refresh();
          }
        })
        .catch(function () { /* offline for a moment: try again next time */ })
        .then(function () { busy = false; });
    }
    window.setInterval(poll, every(main.getAttribute("data-poll")));
  }

  // A part of a page that takes long to count (`data-fragment`: its URL) comes right after the page: fetched
  // once and put in place of its placeholder; if it cannot be had, the placeholder goes and the page's link stays.
  function fragment(holder) {
    holder.setAttribute("aria-busy", "true");
    fetch(holder.getAttribute("data-fragment"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {  // the part itself, never the login page a lapsed session is sent to
        return html && new DOMParser().parseFromString(html, "text/html").getElementById(holder.id);
      })
      .catch(function () { return null; })
      .then(function (part) {
        if (part) holder.replaceWith(part);
        else holder.classList.add("hidden");
        holder.removeAttribute("aria-busy");
        holder.removeAttribute("data-fragment");
      });
  }

  // The act-now list: its count leads the page's title; a new emergency, welfare check or urgent request
  // (an item with `data-alarm` not seen before on this page) sounds and shows a browser notification,
  // once the coordinator allowed it. Sound needs a tap first in most browsers: the same button.
  function desk() {
    var seen = {};
    var audio = null;
    function region() { return document.getElementById("act-now"); }
    function alarms() { return Array.prototype.slice.call(document.querySelectorAll("#act-now [data-alarm]")); }
    alarms().forEach(function (item) { seen[item.getAttribute("data-key")] = true; });
    function title() {
      var total = parseInt(region().getAttribute("data-act-total"), 10) || 0;
      document.title = (total ? "(" + total + ") " : "") + document.title.replace(/^\(\d+\) /, "");
    }
    function sound() {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      try {
        audio = audio || new Context();
        if (audio.state === "suspended") audio.resume();
        [0, 0.35].forEach(function (start) {
          var tone = audio.createOscillator();
          var gain = audio.createGain();
          tone.frequency.value = 880;
          gain.gain.value = 0.2;
          tone.connect(gain);
          gain.connect(audio.destination);
          tone.start(audio.currentTime + start);
          tone.stop(audio.currentTime + start + 0.25);
        });
      } catch (e) { /* no sound on this device: the title and the notification still tell */ }
    }
    function notify(items) {
      if (!("Notification" in window) || Notification.permission !== "granted") return;
      var body = items.map(function (item) { return item.getAttribute("data-alarm"); }).join("\n");
      try {
        new Notification(region().getAttribute("data-notify-title"), { body: body, tag: "act-now" });
      } catch (e) { /* some browsers only notify from a service worker */ }
    }
    function asking() { return "Notification" in window && Notification.permission === "default"; }
    function offer() {
      var button = region().querySelector("[data-alerts-on]");
      if (button) button.classList.toggle("hidden", !asking() && audio !== null);
    }
    document.addEventListener("click", function (e) {
      if (!e.target.closest || !e.target.closest("[data-alerts-on]")) return;
      sound();
      if (asking()) Notification.requestPermission().then(offer);
      offer();
    });
    document.addEventListener("live:updated", function () {
      if (!region()) return;
      var fresh = alarms().filter(function (item) { return !seen[item.getAttribute("data-key")]; });
      fresh.forEach(function (item) { seen[item.getAttribute("data-key")] = true; });
      if (fresh.length) { sound(); notify(fresh); }
      title();
      offer();
    });
    offer();
  }

  // SMS segments as the hotline counts them (hotline/texts.py): GSM-7 160/153, else UCS-2 70/67.
  var GSM7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§" +
    "¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€";
  function segments(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return GSM7.indexOf(c) >= 0; });
    var length, single, multi;
    if (gsm) {
      single = 160; multi = 153;
      length = chars.length + chars.filter(function (c) { return "^{}\\[~]|€".indexOf(c) >= 0; }).length;
    } else {
      single = 70; multi = 67;
      length = chars.reduce(function (n, c) { return n + (c.codePointAt(0) > 0xffff ? 2 : 1); }, 0);
    }
    return { chars: chars.length, segments: length === 0 ? 0 : (length <= single ? 1 : Math.ceil(length / multi)),
             unicode: !gsm };
  }
  function counter(area) {
    var out = document.getElementById(area.getAttribute("data-segments"));
    var template = out.getAttribute("data-template") || "{chars} / {segments}";
    function show() {
      var s = segments(area.value);
      out.textContent = template.replace("{chars}", s.chars).replace("{segments}", s.segments);
      out.setAttribute("data-segment-count", s.segments);
    }
    area.addEventListener("input", show);
    show();
  }

  function progress(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress");
    var timer = window.setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) return;
          bar.max = p.total || 1;
          bar.value = p.done;
          ["done", "total", "sent", "failed", "skipped", "cancelled", "waiting", "eta"].forEach(function (k) {
            var el = box.querySelector('[data-field="' + k + '"]');
            if (el) el.textContent = p[k];
          });
          if (p.finished) {
            box.querySelector(p.stopped ? "[data-stopped]" : "[data-finished]").classList.remove("hidden");
            var stop = document.getElementById("stop-form");
            if (stop) stop.classList.add("hidden");
            window.clearInterval(timer);
          }
        })
        .catch(function () {});
    }, every(box.getAttribute("data-poll")));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".menu-button[aria-controls]").forEach(menu);
    var main = document.getElementById("main");
    if (main && main.hasAttribute("data-live-url")) live(main);
    document.querySelectorAll("[data-fragment]").forEach(fragment);
    var invalid = document.querySelector("form [aria-invalid=true]");
    if (invalid) invalid.focus();
    if (document.getElementById("act-now")) desk();
    document.querySelectorAll("[data-segments]").forEach(counter);
    document.querySelectorAll("[data-progress-url]").forEach(progress);
    document.querySelectorAll("[data-check-all]").forEach(function (all) {
      var boxes = document.querySelectorAll('input[name="' + all.getAttribute("data-check-all") + '"]');
      all.checked = boxes.length > 0 && Array.prototype.every.call(boxes, function (b) { return b.checked; });
      all.addEventListener("change", function () {
        boxes.forEach(function (b) { b.checked = all.checked; });
      });
    });
    document.querySelectorAll("[data-confirm]").forEach(function (button) {
      button.addEventListener("click", function (e) {
        if (!window.confirm(button.getAttribute("data-confirm"))) e.preventDefault();
      });
    });
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
