/* The phone simulator: pick a phone, text and call the hotline, answer its calls, watch every phone's inbox.
   No framework, no inline script (the page's CSP forbids it); it talks only to /simulator/api/ in JSON. */
(function () {
  "use strict";

  var body = document.body;
  var API = body.dataset.api;
  var T = JSON.parse(body.dataset.strings);
  var POLL_FEED = 1200;
  var POLL_ACTIVITY = 2000;
  var KEY_PAUSE = 2500; // keys typed without a finishing key go after this pause, as Twilio's <Gather> timeout

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    phone: null, roster: {}, seen: {}, lastNumber: null,
    call: null, waiting: null, busy: false, keys: "", keyTimer: null,
    ringing: null, activitySeen: null, feedToken: 0, texting: Promise.resolve()
  };

  // ------------------------------------------------------------------------------------------
  // Talking to the server
  // ------------------------------------------------------------------------------------------
  function request(path, payload) {
    var options = { headers: { Accept: "application/json" } };
    if (payload !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    return fetch(API + path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.error || String(response.status)); }
        return data;
      });
    });
  }

  function problem(error) {
    $("status").textContent = T.error + " " + (error && error.message ? error.message : error);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function fill(template, values) {
    return String(template).replace(/\{(\w+)\}/g, function (all, name) {
      return values[name] !== undefined ? values[name] : all;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Choosing a phone
  // ------------------------------------------------------------------------------------------
  function describe(person) {
    if (person.home !== undefined) {
      var parts = [person.home, person.language === "en" ? "English" : "中文"];
      if (person.landline) { parts.push(T.landline); }
      return parts.join(" · ");
    }
    if (person.buildings) {
      var buildings = person.buildings.map(function (b) { return fill(T.building, { b: b }); }).join(", ");
      return [buildings, person.languages.replace(";", "/")].filter(Boolean).join(" · ");
    }
    return "";
  }

  function addGroup(select, label, people, role) {
    var group = el("optgroup");
    group.label = label;
    people.forEach(function (person) {
      var option = el("option", null, person.name + " · " + describe(person) + " · " + person.phone);
      option.value = person.phone;
      group.appendChild(option);
      state.roster[person.phone] = { name: person.name, detail: describe(person), role: role };
    });
    select.appendChild(group);
  }

  function loadPhones() {
    return request("/phones").then(function (data) {
      var select = $("phone-select");
      select.textContent = "";
      addGroup(select, T.residents, data.residents, "resident");
      addGroup(select, T.volunteers, data.volunteers, "volunteer");
      addGroup(select, T.coordinators, data.coordinators, "coordinator");
      addGroup(select, T.others, [
        { phone: data.relative, name: T.relative },
        { phone: data["new"], name: T.new_number }
      ], "other");
      var wanted = new URLSearchParams(window.location.search).get("phone") || localStorage.getItem("sim-phone");
      var mobiles = data.residents.filter(function (r) { return !r.landline; });
      var first = (mobiles[0] || data.residents[0] || { phone: data.relative }).phone;
      choose(wanted || first);
    });
  }

  function choose(phone) {
    if (state.call && state.call !== "dialling") { // another phone now: this call ends
      request("/step", { call: state.call, action: "hangup", value: "" }).catch(problem);
    }
    hush();
    clearTimeout(state.keyTimer);
    state.call = null;
    state.waiting = null;
    state.phone = phone;
    controls();
    state.seen = {};
    state.lastNumber = null;
    state.ringing = null;
    $("chat").textContent = "";
    $("chat").setAttribute("aria-busy", "true"); // another phone's messages: not read out one by one
    $("transcript").textContent = "";
    $("call-state").textContent = "";
    $("status").textContent = "";
    $("ringing").hidden = true;
    var known = state.roster[phone];
    $("phone-select").value = known ? phone : "";
    showWho(phone, known ? known.name : "", known ? known.detail : "");
    renderExamples();
    try { localStorage.setItem("sim-phone", phone); } catch (e) { /* private mode */ }
    var params = new URLSearchParams(window.location.search);
    params.set("phone", phone);
    window.history.replaceState(null, "", "?" + params.toString());
    refreshFeed();
  }

  function showWho(phone, name, detail) {
    $("who-name").textContent = name || "";
    $("who-phone").textContent = phone;
    $("who-detail").textContent = detail || "";
  }

  function role() {
    var known = state.roster[state.phone];
    return known ? known.role : "other";
  }

  function renderExamples() {
    var volunteer = role() === "volunteer" || role() === "coordinator";
    var examples = volunteer ? T.examples_volunteer : T.examples_resident;
    $("examples-title").textContent = volunteer ? T.try_volunteer : T.try_resident;
    var box = $("examples");
    box.textContent = "";
    examples.forEach(function (example) {
      var text = fill(example, { n: state.lastNumber || "" }).trim();
      var chip = el("button", "chip", text);
      chip.type = "button";
      chip.addEventListener("click", function () {
        $("sms-body").value = text;
        $("sms-body").focus();
      });
      box.appendChild(chip);
    });
  }

  // ------------------------------------------------------------------------------------------
  // One phone's messages
  // ------------------------------------------------------------------------------------------
  function refreshFeed() {
    if (!state.phone) { return Promise.resolve(); }
    var token = ++state.feedToken;
    var phone = state.phone;
    return request("/feed?phone=" + encodeURIComponent(phone)).then(function (data) {
      if (token !== state.feedToken || phone !== state.phone) { return; }
      if (data.phone !== state.phone) { // a typed number, now in E.164
        state.phone = data.phone;
      }
      if (data.name && !$("who-name").textContent) { $("who-name").textContent = data.name; }
      $("who-phone").textContent = data.phone;
      renderFeed(data.items);
      $("chat").removeAttribute("aria-busy");
    }).catch(problem);
  }

  function renderFeed(items) {
    var chat = $("chat");
    var atBottom = chat.scrollHeight - chat.scrollTop - chat.clientHeight < 40;
    var ringing = null;
    var numberBefore = state.lastNumber;
    items.forEach(function (item) {
      var node = state.seen[item.key];
      if (!node) {
        node = bubble(item);
        state.seen[item.key] = node;
        chat.appendChild(node);
        atBottom = true;
      }
      var status = node.querySelector(".state");
      if (status) { status.textContent = item.status ? (T.status[item.status] || item.status) : ""; }
      node.dataset.status = item.status;
      if (item.ringing) { ringing = item; }
      if (!item.mine && item.kind === "sms") {
        var found = item.text.match(/#(\d+)(?!\d)/g);
        if (found) { state.lastNumber = found[found.length - 1].slice(1); }
      }
    });
    var empty = chat.querySelector(".empty");
    if (!items.length && !empty) {
      chat.appendChild(el("li", "empty muted", T.no_messages));
    } else if (items.length && empty) {
      empty.remove();
    }
    if (atBottom) { chat.scrollTop = chat.scrollHeight; }
    if (state.lastNumber !== numberBefore) { renderExamples(); }
    showRinging(ringing);
  }

  function bubble(item) {
    var node = el("li", "msg " + (item.mine ? "mine" : "theirs") + " " + item.kind);
    node.dataset.key = item.key;
    var text;
    if (item.kind === "call") {
      text = item.mine ? "☎ " + T.you_called : "☎ " + T.call_from_hotline + (item.text ? ": " + item.text : "");
    } else {
      text = item.text;
    }
    node.appendChild(el("div", "text", text));
    var meta = el("div", "meta");
    meta.appendChild(el("span", "time", item.time));
    if (!item.mine) { meta.appendChild(el("span", "state")); }
    node.appendChild(meta);
    return node;
  }

  function showRinging(item) {
    state.ringing = state.call ? null : item;
    var banner = $("ringing");
    if (!state.ringing) {
      banner.hidden = true;
      return;
    }
    $("ringing-text").textContent = item.text.length > 90 ? item.text.slice(0, 90) + "…" : item.text;
    banner.dataset.message = String(item.id);
    banner.hidden = false;
  }

  function sendSms(event) {
    event.preventDefault();
    var field = $("sms-body");
    var text = field.value;
    if (!text.trim()) { return; }
    field.value = "";
    var phone = state.phone;
    // one after the other, as a phone sends them: "DONE 7" must not overtake "OK 7"
    state.texting = state.texting.then(function () {
      return request("/sms", { phone: phone, body: text });
    }).then(function () {
      $("status").textContent = "";
      return refreshFeed();
    }).catch(function (error) {
      if (!field.value && phone === state.phone) { field.value = text; }
      problem(error);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Every phone's incoming messages
  // ------------------------------------------------------------------------------------------
  function refreshActivity() {
    return request("/activity").then(function (data) {
      var list = $("activity");
      var first = state.activitySeen === null;
      var seen = state.activitySeen || {};
      list.textContent = "";
      if (!data.items.length) { list.appendChild(el("li", "empty muted", T.nothing_yet)); }
      data.items.forEach(function (item) {
        var li = el("li", "act " + item.kind + (item.ringing ? " ringing-now" : "") + (!first && !seen[item.id] ? " new" : ""));
        li.dataset.message = String(item.id);
        li.dataset.to = item.to;
        var button = el("button", "act-button");
        button.type = "button";
        var head = el("div", "act-head");
        head.appendChild(el("strong", null, (item.kind === "call" ? "☎ " : "✉ ") + (item.name || item.to)));
        head.appendChild(el("span", "muted small", item.time + " · " + (T.status[item.status] || item.status)));
        button.appendChild(head);
        button.appendChild(el("div", "act-text", item.text.length > 120 ? item.text.slice(0, 120) + "…" : item.text));
        button.addEventListener("click", function () { choose(item.to); });
        li.appendChild(button);
        list.appendChild(li);
        seen[item.id] = true;
      });
      state.activitySeen = seen;
    }).catch(problem);
  }

  // ------------------------------------------------------------------------------------------
  // Calls
  // ------------------------------------------------------------------------------------------
  function readAloud(says) {
    if (!$("read-aloud").checked || !("speechSynthesis" in window)) { return; }
    says.forEach(function (say) { speak(say); });
  }

  function speak(say) {
    if (!("speechSynthesis" in window) || typeof window.SpeechSynthesisUtterance !== "function") { return; }
    var utterance = new window.SpeechSynthesisUtterance(say.text);
    utterance.lang = say.lang;
    utterance.rate = 0.9; // slow, as the hotline speaks to elderly callers
    var voices = window.speechSynthesis.getVoices ? window.speechSynthesis.getVoices() : [];
    var voice = voices.filter(function (v) { return v.lang && v.lang.replace("_", "-") === say.lang; })[0];
    if (voice) { utterance.voice = voice; }
    window.speechSynthesis.speak(utterance);
  }

  function hush() {
    if ("speechSynthesis" in window && window.speechSynthesis.cancel) { window.speechSynthesis.cancel(); }
  }

  function line(className, text, lang) {
    var li = el("li", className);
    if (lang) {
      li.lang = lang === "zh-CN" ? "zh-Hans" : lang;
      li.dataset.speech = lang;
      li.appendChild(el("span", "lang", T.lang_name[lang] || lang));
      li.appendChild(el("span", "said", text));
      var again = el("button", "replay", "▶");
      again.type = "button";
      again.title = T.replay;
      again.setAttribute("aria-label", T.replay);
      again.addEventListener("click", function () { hush(); speak({ text: text, lang: lang }); });
      li.appendChild(again);
    } else {
      li.appendChild(el("span", "said", text));
    }
    var transcript = $("transcript");
    transcript.appendChild(li);
    transcript.scrollTop = transcript.scrollHeight;
  }

  function startCall(path, payload) {
    if (state.call || state.busy) { return; }
    $("transcript").textContent = "";
    $("call-state").textContent = T.calling;
    state.busy = true;
    state.call = "dialling";
    $("ringing").hidden = true;
    controls();
    if (window.matchMedia("(max-width: 899px)").matches) { $("call-pane").scrollIntoView({ block: "start" }); }
    request(path, payload).then(heard).catch(function (error) {
      state.call = null;
      state.waiting = null;
      $("call-state").textContent = "";
      problem(error);
    }).then(function () {
      state.busy = false;
      controls();
      refreshFeed();
    });
  }

  function heard(data) {
    data.says.forEach(function (say) { line("say", say.text, say.lang); });
    hush();
    readAloud(data.says);
    state.call = data.ended ? null : data.call;
    state.waiting = data.ended ? null : data.waiting;
    state.keys = "";
    $("keys-typed").textContent = "";
    var w = state.waiting;
    if (data.ended) {
      $("call-state").textContent = T.call_ended;
      line("end", T.call_ended);
    } else if (w && w.kind === "gather") {
      $("call-state").textContent = T.listening;
    } else if (w && w.kind === "record") {
      $("call-state").textContent = T.recording;
      line("beep", "● " + T.recording);
    } else if (w && w.kind === "dial") {
      $("call-state").textContent = fill(T.putting_through, { number: w.number });
    }
  }

  function controls() {
    var w = state.waiting;
    var live = Boolean(state.call) && !state.busy;
    $("call-button").disabled = !state.phone || Boolean(state.call) || state.busy;
    $("send").disabled = !state.phone; // not before the phones have loaded and one is chosen
    $("keypad").hidden = !(state.call && w && (w.kind === "gather" || w.kind === "record"));
    $("speak-form").hidden = !(state.call && w && w.kind === "gather" && w.speech);
    $("record-form").hidden = !(state.call && w && w.kind === "record");
    $("dial-box").hidden = !(state.call && w && w.kind === "dial");
    $("call-actions").hidden = !state.call;
    $("silence").hidden = !(w && w.kind !== "dial");
    Array.prototype.forEach.call(document.querySelectorAll("#call-pane form button, #keypad button, #dial-box button, #call-actions button"),
      function (button) { button.disabled = !live; });
    if (live && w && w.kind === "record") { onScreen($("record-form")); }
  }

  // On a phone, what the caller must do next is brought to the screen: the transcript above it grows as the
  // hotline speaks and would otherwise push it below the fold.
  function onScreen(node) {
    if (!window.matchMedia("(max-width: 899px)").matches) { return; }
    var box = node.getBoundingClientRect();
    if (box.top < 0 || box.bottom > window.innerHeight) { node.scrollIntoView({ block: "nearest" }); }
  }

  function act(action, value) {
    if (!state.call || state.busy) { return; }
    clearTimeout(state.keyTimer);
    hush();
    state.busy = true;
    controls();
    var token = state.call;
    request("/step", { call: token, action: action, value: value || "" }).then(heard).catch(function (error) {
      problem(error);
    }).then(function () {
      state.busy = false;
      controls();
      refreshFeed();
    });
  }

  function press(key) {
    var w = state.waiting;
    if (!state.call || !w || state.busy) { return; }
    if (w.kind === "record") {
      if (key === "#") { finishMessage(); }
      return;
    }
    if (w.kind !== "gather") { return; }
    clearTimeout(state.keyTimer);
    hush(); // a key stops the prompts, as on a real line
    if (w.finish_on_key && key === w.finish_on_key) {
      sendKeys();
      return;
    }
    state.keys += key;
    $("keys-typed").textContent = T.keys + " " + state.keys;
    if (w.num_digits && state.keys.length >= w.num_digits) {
      sendKeys();
    } else {
      state.keyTimer = setTimeout(sendKeys, KEY_PAUSE);
    }
  }

  function sendKeys() {
    clearTimeout(state.keyTimer);
    var keys = state.keys;
    state.keys = "";
    if (!keys) {
      act("silence");
      return;
    }
    line("you", T.you_pressed + " " + keys);
    act("press", keys);
  }

  function finishMessage() {
    var text = $("record-input").value;
    if (text.trim()) { line("you note", T.your_message + " " + text.trim()); }
    $("record-input").value = "";
    act("record", text);
  }

  function hangUp() {
    if (!state.call || state.call === "dialling") { return; }
    var w = state.waiting;
    var message = w && w.kind === "record" ? $("record-input").value : "";
    if (message.trim()) { line("you note", T.your_message + " " + message.trim()); }
    $("record-input").value = "";
    act("hangup", message);
  }

  function answerRinging() {
    var banner = $("ringing");
    var message = Number(banner.dataset.message);
    if (!message) { return; }
    startCall("/answer", { phone: state.phone, message: message });
  }

  function declineRinging() {
    var banner = $("ringing");
    var message = Number(banner.dataset.message);
    if (!message) { return; }
    banner.hidden = true;
    request("/decline", { phone: state.phone, message: message }).catch(problem).then(refreshFeed);
  }

  // ------------------------------------------------------------------------------------------
  // Wiring
  // ------------------------------------------------------------------------------------------
  function wire() {
    $("phone-select").addEventListener("change", function (event) { choose(event.target.value); });
    $("phone-typed").addEventListener("submit", function (event) {
      event.preventDefault();
      var typed = $("phone-input").value.trim();
      if (!/^\+?[0-9][0-9 ()-]{4,30}$/.test(typed)) {
        $("status").textContent = T.bad_phone;
        return;
      }
      $("phone-input").value = "";
      choose(typed.replace(/[ ()-]/g, ""));
    });
    $("composer").addEventListener("submit", sendSms);
    $("sms-body").addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { sendSms(event); }
    });
    $("call-button").addEventListener("click", function () { startCall("/call", { phone: state.phone }); });
    Array.prototype.forEach.call(document.querySelectorAll("#keypad button"), function (button) {
      button.addEventListener("click", function () { press(button.dataset.key); });
    });
    $("speak-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var words = $("speak-input").value.trim();
      if (!words) { return; }
      $("speak-input").value = "";
      line("you", T.you_said + " " + words);
      act("speak", words);
    });
    $("record-form").addEventListener("submit", function (event) { event.preventDefault(); finishMessage(); });
    $("dial-answered").addEventListener("click", function () { act("dial", "completed"); });
    $("dial-missed").addEventListener("click", function () { act("dial", "no-answer"); });
    $("silence").addEventListener("click", function () {
      var w = state.waiting;
      if (w && w.kind === "record") { $("record-input").value = ""; }
      act("silence");
    });
    $("hangup").addEventListener("click", hangUp);
    $("answer").addEventListener("click", answerRinging);
    $("decline").addEventListener("click", declineRinging);
    var aloud = $("read-aloud");
    try { aloud.checked = localStorage.getItem("sim-read-aloud") !== "no"; } catch (e) { /* private mode */ }
    aloud.addEventListener("change", function () {
      if (!aloud.checked) { hush(); }
      try { localStorage.setItem("sim-read-aloud", aloud.checked ? "yes" : "no"); } catch (e) { /* private mode */ }
    });
    controls();
  }

  wire();
  loadPhones().catch(problem);
  refreshActivity();
  setInterval(function () { if (!document.hidden) { refreshFeed(); } }, POLL_FEED);
  setInterval(function () { if (!document.hidden) { refreshActivity(); } }, POLL_ACTIVITY);
}());
