// Sinergi front end. htmx does the requests; this file adds the CSRF header, shows refusals,
// and keeps a proposal page live over Socket.IO: fragments pushed by the server are swapped in by
// id, in revision order; a gap or a reconnect re-fetches the tree over HTTP; an input someone is
// typing in is never replaced, only marked as changed by someone else.
(function () {
  "use strict";

  var body = document.body;
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');

  document.addEventListener("htmx:configRequest", function (event) {
    if (tokenMeta) {
      event.detail.headers["X-CSRFToken"] = tokenMeta.content;
    }
  });

  // Notices are text, never markup: a message may carry what someone typed (a breakout's title).
  function notice(text, kind) {
    var area = document.getElementById("live-notices");
    if (!area) { return; }
    var item = document.createElement("div");
    item.className = "notice notice-" + (kind || "info");
    item.textContent = text;
    area.appendChild(item);
    setTimeout(function () { item.remove(); }, 8000);
    if (window.sinergiAnnounce) { window.sinergiAnnounce(text); }
  }

  // The readable text of a server's HTML answer (an error fragment), without rendering it.
  function textOf(html) {
    var parsed = new DOMParser().parseFromString(html || "", "text/html");
    var message = parsed.querySelector("p") || parsed.body;
    return (message.textContent || "").trim();
  }

  // A refused request whose response has nowhere to go (data-hx-swap="none"): show its message.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    var elt = event.detail.elt;
    if (xhr && xhr.status >= 400 && event.detail.requestConfig &&
        (elt.getAttribute("data-hx-swap") || elt.getAttribute("hx-swap")) === "none") {
      notice(textOf(xhr.responseText) || ("HTTP " + xhr.status), "error");
    }
  });

  // Rights are the page's, never baked into broadcast fragments: show each control only to whom it
  // may serve (the server refuses everyone else anyway).
  function applyRights(root) {
    var me = body.dataset.userId || "";
    (root || document).querySelectorAll("[data-owner-id].own-only").forEach(function (element) {
      element.hidden = element.dataset.ownerId !== me;
    });
    (root || document).querySelectorAll("[data-requires]").forEach(function (element) {
      var right = {comment: "canComment", edit: "canEdit", moderate: "canModerate", verify: "canVerify"}[element.dataset.requires];
      element.hidden = body.dataset[right] !== "true";
    });
  }
  applyRights(document);
  document.addEventListener("htmx:afterSwap", function (event) { applyRights(event.detail.target.parentNode || document); });


  // ---- One polite voice for live changes (screen readers) ---------------------------------------
  // Everything that changes on a page without the reader asking (someone else's edit, a comment, a
  // spotlight, the connection) is said through the one aria-live region of base.html, batched:
  // what arrives within a second and a half is said once, three items at most. Nothing typed is
  // ever announced (broadcasts come on save, never per keystroke).
  var announcer = document.getElementById("live-announcer");
  var toSay = [], sayTimer = null;
  function announce(text) {
    if (!announcer || !text) { return; }
    if (toSay.indexOf(text) < 0) { toSay.push(text); }
    if (sayTimer) { return; }
    sayTimer = setTimeout(function () {
      sayTimer = null;
      var said = toSay.slice(0, 3), more = toSay.length - said.length;
      toSay = [];
      if (more > 0) { said.push((announcer.dataset.more || "+%(count)s").replace("%(count)s", String(more))); }
      announcer.textContent = said.join(" ");
    }, 1500);
  }
  window.sinergiAnnounce = announce;

  // ---- Forms opened away from their button: shown and focused ----------------------------------
  // "+" on a row and "Komentar" load their form into a slot below the table or beside it
  // (data-reveal): it is scrolled into view and its first field takes the focus; when it closes
  // (Cancel, or sent), the focus goes back to the button that opened it.
  var revealOpener = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = event.detail.target;
    if (target && target.hasAttribute && target.hasAttribute("data-reveal") && event.detail.requestConfig &&
        event.detail.requestConfig.verb === "get") {
      revealOpener = event.detail.elt;
    }
  });
  function firstField(root) {
    return root.querySelector("input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled])");
  }
  function giveFocusBack() {
    var opener = revealOpener;
    revealOpener = null;
    if (opener && !document.body.contains(opener)) {
      // Its row was re-rendered meanwhile (a broadcast): the same button in the new row.
      var url = opener.getAttribute("hx-get") || opener.getAttribute("data-hx-get");
      opener = url ? document.querySelector('[hx-get="' + CSS.escape(url) + '"], [data-hx-get="' + CSS.escape(url) + '"]') : null;
    }
    if (opener && !opener.closest("[hidden]")) { opener.focus({preventScroll: false}); }
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var slot = event.detail.target;
    if (!slot || !slot.hasAttribute || !slot.hasAttribute("data-reveal")) { return; }
    var form = slot.querySelector("form");
    if (!form) {
      if (!slot.textContent.trim()) { giveFocusBack(); return; }  // sent: the slot is empty again
      var heading = slot.querySelector("h2, h3") || slot;  // a detail, not a form: read from its heading
      heading.setAttribute("tabindex", "-1");
      heading.scrollIntoView({block: "nearest", behavior: "instant"});
      heading.focus({preventScroll: true});
      return;
    }
    var invalid = form.querySelector("[aria-invalid=true]");
    var field = invalid || form.querySelector("[data-focus-first]") || firstField(form);
    form.scrollIntoView({block: "center", behavior: "instant"});
    // Unless the person is already in it (clicked or tabbed there while it arrived).
    if (field && !form.contains(document.activeElement)) { field.focus({preventScroll: true}); }
    form.classList.remove("revealed");
    void form.offsetWidth;
    form.classList.add("revealed");
  });
  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest('[data-action="close-add-form"]');
    if (close && close.closest("[data-reveal]")) { setTimeout(giveFocusBack, 0); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var slot = event.target.closest && event.target.closest("[data-reveal]");
    var form = slot && slot.querySelector("form");
    if (form) { form.remove(); giveFocusBack(); }
  });

  // Too many requests: say so, keep what the user typed.
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status === 429) { notice(textOf(event.detail.xhr.responseText), "error"); }
  });

  // @mentions: complete from the event's people.
  var peopleUrl = body.dataset.peopleUrl;
  var mentionList = null;
  var mentionQuery = 0;  // answers to older keystrokes arrive late: only the latest counts
  function closeMentions() { if (mentionList) { mentionList.remove(); mentionList = null; } }
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!peopleUrl || !field.matches || !field.matches("textarea[data-mentions]")) { return; }
    var before = field.value.slice(0, field.selectionStart);
    var match = /(^|\s)@([\w.-]{1,40})$/.exec(before);
    var query = ++mentionQuery;
    if (!match) { closeMentions(); return; }  // otherwise the list stays until the new answer replaces it
    fetch(peopleUrl + "?q=" + encodeURIComponent(match[2]), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (people) {
        if (query !== mentionQuery) { return; }
        closeMentions();
        if (!people.length) { return; }
        mentionList = document.createElement("ul");
        mentionList.className = "mention-list";
        people.forEach(function (person) {
          var option = document.createElement("li");
          option.textContent = person.name + " · " + person.agency + " (@" + person.username + ")";
          option.addEventListener("mousedown", function (click) {
            click.preventDefault();
            var start = before.length - match[2].length - 1;
            field.value = field.value.slice(0, start) + "@" + person.username + " " + field.value.slice(field.selectionStart);
            closeMentions();
            field.focus();
          });
          mentionList.appendChild(option);
        });
        field.insertAdjacentElement("afterend", mentionList);
      });
  });
  // Only leaving the field being completed closes the list (not focus moving anywhere else).
  document.addEventListener("focusout", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-mentions]")) { setTimeout(closeMentions, 150); }
  });

  // A type-ahead filter over a list (the console's person pickers): the items whose data-search
  // holds every typed word, accents and case aside; with data-show-all, all when nothing is typed.
  function folded(text) {
    return (text || "").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-filter-list]")) { return; }
    var list = document.querySelector(box.dataset.filterList);
    if (!list) { return; }
    var words = folded(box.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    list.querySelectorAll("li[data-search]").forEach(function (item) {
      var haystack = folded(item.dataset.search);
      var match = words.length ? words.every(function (w) { return haystack.indexOf(w) >= 0; }) : box.hasAttribute("data-show-all");
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    list.dataset.state = words.length && !shown ? "empty" : "";
  });
  // A console form that made something (a breakout, an agreement) starts empty again.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form && form.matches && form.matches("form[data-reset-on-success]") && event.detail.successful) { form.reset(); }
  });

  // Print buttons and selects that submit their form (no inline script: the CSP forbids it).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit], input[data-autosubmit]")) { event.target.form.submit(); }
    // "Select all": ticks every enabled box of its name in its form (those shown by the filter).
    var all = event.target.closest("input[data-select-all]");
    if (all) {
      all.form.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]:not(:disabled)')
        .forEach(function (box) { box.checked = all.checked; });
    }
  });

  if (!body.dataset.userId || typeof io === "undefined") {
    return;
  }
  var socket = io({transports: ["websocket", "polling"], reconnectionDelayMax: 5000});
  window.sinergiSocket = socket;

  // Applying a broadcast is measured (User Timing: one "sinergi:apply <event>" measure per
  // message), so the browser's performance panel and bench/live_apply.py see its main-thread cost.
  // The entry is cleared at once (observers have it already): a day of broadcasts keeps nothing.
  function measured(name, apply) {
    var label = "sinergi:apply " + name;
    return function () {
      var start = performance.now();
      try {
        return apply.apply(this, arguments);
      } finally {
        performance.measure(label, {start: start, end: performance.now()});
        performance.clearMeasures(label);
      }
    };
  }

  // ---- The outbox: nothing typed is lost on hotel Wi-Fi (DESIGN.md §11) --------------------------
  // Every htmx write carries an idempotency key made here. A write that cannot reach the server
  // (no network, a stalled link, the server restarting) waits in this browser's storage, visible,
  // and is sent again, in order and with the same key, when the connection is back: the server
  // answers a key it has already committed with the original result, so nothing is applied twice,
  // and a field edit still carries the value it started from, so a conflict shows as one.
  var globalTexts = (document.getElementById("i18n-global") || {dataset: {}}).dataset;
  function tg(key, values) {
    var text = globalTexts[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.replace("%(" + name + ")s", values[name]); });
    return text;
  }
  var OUTBOX_KEY = "sinergi-outbox:" + body.dataset.userId;
  // Offline: the socket is down (a stalled link is noticed within seconds) or the browser says so.
  function isOffline() { return !socket.connected || navigator.onLine === false; }
  window.sinergiOffline = isOffline;
  // A page whose socket has not answered yet is connecting, not offline: "Connection lost" shows
  // once the socket failed, dropped, or took more than LINK_GRACE_MS to connect (a page copy
  // shown offline, or a browser that says it is offline, shows it at once). Shown at every load
  // for the moment the socket took to connect, it pushed the page down and back under the
  // reader's pointer.
  var LINK_GRACE_MS = 3000;
  var linkSettled = false;
  function settleLink() { linkSettled = true; }
  function showsOffline() {
    return isOffline() && (linkSettled || navigator.onLine === false || Boolean(body.dataset.offlineSnapshot));
  }
  socket.on("connect", settleLink);
  socket.on("connect_error", function () { settleLink(); renderOutbox(readOutbox()); });
  setTimeout(function () { settleLink(); renderOutbox(readOutbox()); }, LINK_GRACE_MS);
  var inflight = {};  // idempotency key → the request as it would be sent again
  // Also kept in storage while on its way: a reload (or a crash) in the middle of a save leaves it
  // there, and the next page sends it again with the same key (sent twice, applied once).
  var INFLIGHT_KEY = "sinergi-inflight:" + body.dataset.userId;
  var replayed = window.sinergiReplayed = [];  // what each replay was answered (for support and tests)
  var flushes = window.sinergiFlushes = [];  // how long after the connection came back each outbox was sent
  var backOnlineAt = 0;
  var flushing = false;

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function readStored(name, empty) {
    try { return JSON.parse(localStorage.getItem(name) || empty); } catch (error) { return JSON.parse(empty); }
  }
  function storeInflight(key, entry) {
    var onTheWay = readStored(INFLIGHT_KEY, "{}");
    if (entry) { onTheWay[key] = entry; } else { delete onTheWay[key]; }
    try { localStorage.setItem(INFLIGHT_KEY, JSON.stringify(onTheWay)); } catch (error) { /* storage full */ }
  }
  function settle(key) {
    delete inflight[key];
    storeInflight(key, null);
  }
  // Saves the last page had on their way when it went (reload, closed tab): into the outbox.
  function adoptInterrupted() {
    var onTheWay = readStored(INFLIGHT_KEY, "{}");
    var keys = Object.keys(onTheWay);
    if (!keys.length) { return; }
    try { localStorage.removeItem(INFLIGHT_KEY); } catch (error) { /* nothing kept */ }
    var entries = readOutbox();
    keys.sort(function (a, b) { return onTheWay[a].at - onTheWay[b].at; }).forEach(function (key) {
      if (!entries.some(function (e) { return e.key === key; })) { entries.push(onTheWay[key]); }
    });
    writeOutbox(entries);
  }
  function readOutbox() { return readStored(OUTBOX_KEY, "[]"); }
  function writeOutbox(entries) {
    try { localStorage.setItem(OUTBOX_KEY, JSON.stringify(entries)); } catch (error) { /* storage full: kept in memory */ }
    renderOutbox(entries);
  }
  function describe(elt) {
    var cell = elt.closest && elt.closest("td.editable");
    if (cell) {
      var row = cell.closest("tr");
      var name = row && row.querySelector(".item-name");
      var code = row && row.querySelector(".code");
      var label = elt.querySelector && elt.querySelector("label.sr-only");
      return [(code ? code.textContent.trim() : ""), (name ? name.textContent.trim() : ""),
              (label ? "· " + label.textContent.trim() : "")].join(" ").trim();
    }
    var labelled = elt.closest && elt.closest("[data-outbox-label]");
    if (labelled) { return labelled.dataset.outboxLabel; }
    var button = elt.querySelector && elt.querySelector("button[type=submit], button:not([type])");
    return ((button || elt).textContent || "").trim().slice(0, 80) || location.pathname;
  }
  function formBody(detail) {
    var data = detail.formData || detail.parameters;
    var encoded = new URLSearchParams();
    var sendable = true;
    if (data && typeof data.forEach === "function") {
      data.forEach(function (value, name) {
        if (typeof value !== "string") { sendable = false; } else { encoded.append(name, value); }
      });
    } else if (data) {
      Object.keys(data).forEach(function (name) { encoded.append(name, String(data[name])); });
    }
    return sendable ? encoded.toString() : null;  // a file upload is not kept: it is sent again by hand
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb === "get") { return; }
    var key = newKey();
    event.detail.headers["Idempotency-Key"] = key;
    var encoded = formBody(event.detail);
    if (encoded === null) { return; }
    var elt = event.detail.elt;
    var cell = elt.closest && elt.closest("td.editable");
    var typed = elt.querySelector && elt.querySelector("[name=value]:not([type=hidden])");
    inflight[key] = {
      key: key, url: event.detail.path, body: encoded, label: describe(elt), page: location.pathname,
      cellId: cell ? cell.id : null, shown: typed ? typed.value : null, at: Date.now()
    };
  });
  // The request itself says whether it was answered, or could not be sent (no network, aborted
  // because the link stalled, timed out): then it is kept. Its own events, not htmx's: a
  // broadcast may replace the row of a cell whose save is on its way, and htmx's events of a
  // detached form never reach the document.
  document.addEventListener("htmx:beforeSend", function (event) {
    var key = event.detail.requestConfig && event.detail.requestConfig.headers["Idempotency-Key"];
    var entry = key && inflight[key];
    if (!entry) { return; }
    storeInflight(key, entry);  // now it is on its way (a request htmx halted before sending is not)
    var xhr = entry.xhr = event.detail.xhr;
    var form = event.detail.elt;
    // An answer to a form no longer on the page is not htmx's to swap (its target may be gone
    // with it, and htmx throws then): `answered` shows it. (The listener is on the form itself:
    // events of a detached element never reach the document.)
    // A form still on the page has its answer swapped by htmx (a refusal into its cell): shown
    // there once, not a second time in the outbox panel.
    var swappedInPlace = false;
    form.addEventListener("htmx:beforeOnLoad", function (onLoad) {
      if (!document.body.contains(form)) { onLoad.preventDefault(); } else { swappedInPlace = true; }
    }, {once: true});
    var keep = function () { if (inflight[key]) { settle(key); queue(entry); clearSentForm(entry, form); } };
    xhr.addEventListener("error", keep);
    xhr.addEventListener("abort", keep);
    xhr.addEventListener("timeout", keep);
    xhr.addEventListener("load", function () { answered(key, xhr, form, swappedInPlace); });
  });
  // An answer: done, unless the server could not handle it now (restarting, overloaded; a proxy
  // in front says 502 or 503): then it waits in the outbox like a write that never left.
  function answered(key, xhr, form, swappedInPlace) {
    var entry = inflight[key];
    if (!entry || !xhr || !xhr.status) { return; }
    settle(key);
    if (xhr.status >= 500) { queue(entry); clearSentForm(entry, form); return; }
    // The form was replaced while its request was on the way (a broadcast redrew the row): htmx
    // put a refusal into the detached copy, where nobody sees it. It goes to the page instead.
    if (xhr.status >= 400 && !swappedInPlace && form && !document.body.contains(form)) {
      var response = {status: xhr.status, headers: {get: function (name) { return xhr.getResponseHeader(name); }}};
      showRefusal(entry, response, xhr.responseText, []);
    }
  }
  function queue(entry) {
    var entries = readOutbox();
    if (entries.some(function (e) { return e.key === entry.key; })) { return; }
    delete entry.xhr;
    entries.push(entry);
    writeOutbox(entries);
    markPendingCells();
    // Kept while the page still looks connected (the one request failed, the server answered 5xx):
    // try again shortly rather than only at the next reconnect.
    if (!isOffline()) { setTimeout(flushOutbox, 3000); }
  }
  // A form outside the tree (add an item, a comment) has done its part: it is in the outbox now,
  // so it is cleared rather than left to be sent twice by hand.
  function clearSentForm(entry, form) {
    if (!entry.cellId && form && form.tagName === "FORM") {
      if (form.classList.contains("add-item")) { form.remove(); } else { form.reset(); }
    }
  }
  // A stalled link is noticed by the socket within seconds: writes still waiting on it are kept
  // (if one did arrive, its replay gets the original answer).
  function wentOffline() {
    Object.keys(inflight).forEach(function (key) {
      if (inflight[key].xhr && inflight[key].xhr.readyState !== 4) { inflight[key].xhr.abort(); }
    });
    renderOutbox(readOutbox());
  }
  socket.on("disconnect", wentOffline);
  window.addEventListener("offline", wentOffline);

  function escapeText(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span.innerHTML;
  }
  function markPendingCells() {
    readOutbox().forEach(function (entry) {
      if (!entry.cellId || entry.page !== location.pathname) { return; }
      var cell = document.getElementById(entry.cellId);
      if (!cell || cell.classList.contains("editing")) { return; }
      cell.classList.remove("saving");
      cell.classList.add("pending");
      cell.dataset.pendingKey = entry.key;
      if (!cell.querySelector(".pending-badge")) {
        if (cell.dataset.stored === undefined) { cell.dataset.stored = cell.dataset.original !== undefined ? cell.dataset.original : cell.innerHTML; }
        cell.innerHTML = escapeText(entry.shown === null ? "" : entry.shown) +
          ' <span class="pending-badge" title="' + escapeText(tg("pendingCell")) + '">' + escapeText(tg("pendingCell")) + "</span>";
      }
    });
  }
  window.sinergiMarkPending = markPendingCells;

  function renderOutbox(entries) {
    var panel = document.getElementById("outbox");
    if (!panel) { return; }
    var offline = showsOffline();
    var mine = entries || readOutbox();
    panel.querySelector(".outbox-offline").hidden = !offline;
    panel.querySelector(".outbox-snapshot").hidden = !body.dataset.offlineSnapshot || !offline;
    var pending = panel.querySelector(".outbox-pending");
    pending.hidden = mine.length === 0;
    panel.querySelector(".outbox-count").textContent =
      mine.length === 1 ? tg("pendingOne") : tg("pendingMany", {count: String(mine.length)});
    var list = panel.querySelector(".outbox-list");
    list.innerHTML = "";
    mine.forEach(function (entry) {
      var item = document.createElement("li");
      item.dataset.key = entry.key;
      var what = document.createElement("span");
      what.textContent = entry.label + (entry.shown !== null && entry.shown !== undefined ? ": " + entry.shown : "");
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "button small secondary";
      discard.dataset.outboxDiscard = entry.key;
      discard.textContent = tg("discard");
      item.appendChild(what);
      item.appendChild(discard);
      list.appendChild(item);
    });
    var refused = panel.querySelectorAll(".outbox-rejected li").length;
    var refusedBlock = panel.querySelector(".outbox-refused");
    if (refusedBlock) {
      refusedBlock.hidden = refused === 0;
      refusedBlock.querySelector(".outbox-refused-count").textContent =
        refused === 1 ? tg("refusedOne") : tg("refusedMany", {count: String(refused)});
      refusedBlock.querySelector("[data-outbox-dismiss-all]").hidden = refused < 2;
    }
    panel.hidden = !offline && mine.length === 0 && refused === 0;
    keepFocusVisible(panel);
  }
  // The panel stays at the top of the window: what is scrolled to or focused (a cell, a field
  // reached with Tab) is kept below it rather than under it.
  function keepFocusVisible(panel) {
    document.documentElement.style.scrollPaddingTop = panel.hidden ? "" : (panel.offsetHeight + 8) + "px";
  }
  if (window.ResizeObserver && document.getElementById("outbox")) {
    new ResizeObserver(function () { keepFocusVisible(document.getElementById("outbox")); })
      .observe(document.getElementById("outbox"));
  }
  function rejected(message) {
    // A replayed write the server refused stays listed until the person closes it: never dropped unseen.
    var panel = document.getElementById("outbox");
    if (!panel) { notice(message, "error"); return; }
    var item = document.createElement("li");
    item.className = "notice notice-error";
    var text = document.createElement("span");
    text.className = "outbox-what";
    text.textContent = message;
    text.title = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button small secondary";
    close.dataset.outboxDismiss = "1";
    close.textContent = tg("dismiss");
    item.appendChild(text);
    item.appendChild(close);
    panel.querySelector(".outbox-rejected").appendChild(item);
    renderOutbox(readOutbox());
  }
  document.addEventListener("click", function (event) {
    var discard = event.target.closest && event.target.closest("[data-outbox-discard]");
    if (discard) {
      var key = discard.dataset.outboxDiscard;
      var gone = readOutbox().filter(function (e) { return e.key === key; })[0];
      writeOutbox(readOutbox().filter(function (e) { return e.key !== key; }));
      document.dispatchEvent(new CustomEvent("sinergi:discarded", {detail: gone || {}}));
      return;
    }
    var dismiss = event.target.closest && event.target.closest("[data-outbox-dismiss]");
    if (dismiss) { dismiss.closest("li").remove(); renderOutbox(readOutbox()); return; }
    if (event.target.closest && event.target.closest("[data-outbox-dismiss-all]")) {
      document.querySelectorAll("#outbox .outbox-rejected li").forEach(function (li) { li.remove(); });
      renderOutbox(readOutbox());
    }
  });

  function placeAnswer(response, html) {
    // A refusal aimed at a cell (a conflict, an invalid value) goes where a live request's would.
    var selector = response.headers.get("HX-Retarget");
    var target = selector ? document.querySelector(selector) : null;
    // Never under someone's fingers: a cell being typed in (or already showing a conflict) keeps
    // what it shows, and this answer is listed in the outbox panel until closed instead.
    if (!target || target.classList.contains("editing")) { return false; }
    target.innerHTML = html;
    if (target.matches("td.editable")) {
      target.classList.remove("pending", "saving");
      target.classList.add("editing");
    }
    htmx.process(target);
    return true;
  }
  function isFieldConflict(entry, response) {
    return response.status === 409 && entry.cellId && response.headers.get("HX-Retarget") === "#" + entry.cellId;
  }
  function foldLaterEdits(entry) {
    var entries = readOutbox();
    var same = entries.filter(function (e) { return e.cellId === entry.cellId && e.page === entry.page; });
    if (!same.length) { return {latest: entry, earlier: []}; }
    writeOutbox(entries.filter(function (e) { return same.indexOf(e) < 0; }));
    var values = [entry].concat(same).map(function (e) { return e.shown; });
    return {latest: same[same.length - 1], earlier: values.slice(0, -1)};
  }
  function showLatestMine(entry, earlier) {
    var cell = entry.cellId && document.getElementById(entry.cellId);
    var conflict = cell && cell.querySelector(".conflict");
    if (!conflict || !earlier.length) { return; }
    var mine = conflict.querySelector(".conflict-mine");
    if (mine) { mine.textContent = entry.shown; }
    var input = conflict.querySelector("input[name=value]:not([type=hidden])");
    if (input) { input.value = entry.shown; }
    var note = document.createElement("p");
    note.className = "conflict-earlier";
    note.textContent = tg("earlier", {values: earlier.join(" · ")});
    conflict.querySelector(".conflict-values").after(note);
  }
  // A refused write is shown where a live request's refusal would be (a conflict, an invalid
  // value: in its cell), or, when that cell is being typed in or is gone, listed in the panel.
  function showRefusal(entry, response, html, earlier) {
    // Only what can be mended in the cell goes there (a conflict, a value to correct); the rest
    // (gone, not allowed any more) is listed: its cell may be about to disappear.
    var mendable = response.status === 409 || response.status === 422;
    if (mendable && placeAnswer(response, html)) {
      if (response.status === 409) {
        showLatestMine(entry, earlier);
        notice(tg("conflict", {what: entry.label}), "warning");
      }
      return;
    }
    var what = entry.label + (entry.shown !== null && entry.shown !== undefined ? " (" + entry.shown + ")" : "");
    var reason = textOf(html) || ("HTTP " + response.status);
    if (earlier.length) { reason += " " + tg("earlier", {values: earlier.join(" · ")}); }
    rejected(tg("rejected", {what: what, reason: reason}));
  }
  function replay(entry) {
    return fetch(entry.url, {
      method: "POST", credentials: "same-origin", body: entry.body,
      headers: {"Content-Type": "application/x-www-form-urlencoded", "HX-Request": "true",
                "X-CSRFToken": tokenMeta ? tokenMeta.content : "", "Idempotency-Key": entry.key}
    }).then(function (response) {
      return response.text().then(function (html) { return {response: response, html: html}; });
    });
  }
  function flushOutbox() {
    if (flushing || isOffline()) { return; }
    var entries = readOutbox();
    if (!entries.length) { return; }
    flushing = true;
    var sent = 0;
    var step = function () {
      var next = readOutbox()[0];
      if (!next) { return Promise.resolve("done"); }
      return replay(next).then(function (answer) {
        var status = answer.response.status;
        replayed.push({key: next.key, label: next.label, shown: next.shown, status: status,
                       replayed: answer.response.headers.get("X-Sinergi-Replayed")});
        if (status === 401) { notice(tg("sessionEnded"), "error"); return "stop"; }
        if (status >= 500 || status === 0) { return "stop"; }  // the server is not ready: try again later
        writeOutbox(readOutbox().filter(function (e) { return e.key !== next.key; }));
        if (status < 400) { sent += 1; return step(); }
        var earlier = [];
        if (isFieldConflict(next, answer.response)) {
          // Later edits of the same field started from this one, so they conflict too: the person
          // gets one conflict showing their latest value (and the earlier ones), not one per edit.
          var chain = foldLaterEdits(next);
          earlier = chain.earlier;
          next = chain.latest;
        }
        showRefusal(next, answer.response, answer.html, earlier);
        return step();
      }, function () { return "stop"; });  // no network yet: keep the rest, in order
    };
    step().then(function (outcome) {
      flushing = false;
      if (sent && backOnlineAt) { flushes.push({sent: sent, afterReconnectMs: Date.now() - backOnlineAt}); }
      if (sent) { notice(tg("sent", {count: String(sent)}), "info"); }
      document.dispatchEvent(new CustomEvent("sinergi:outbox-flushed", {detail: {sent: sent}}));
      if (outcome === "stop" && readOutbox().length) { setTimeout(flushOutbox, 3000); }
    });
  }
  function backOnline() {
    if (!isOffline()) { backOnlineAt = Date.now(); }
    renderOutbox(readOutbox());
    flushOutbox();
  }
  socket.on("connect", backOnline);
  window.addEventListener("online", backOnline);
  window.addEventListener("storage", function (event) { if (event.key === OUTBOX_KEY) { renderOutbox(readOutbox()); } });
  adoptInterrupted();
  renderOutbox(readOutbox());
  markPendingCells();

  // A reload while offline shows the last copy of the page (static/js/sw.js keeps it).
  if ("serviceWorker" in navigator && body.dataset.serviceWorker) {
    navigator.serviceWorker.register(body.dataset.serviceWorker).catch(function () { /* not offered: fine */ });
  }
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("[data-sign-out]") && window.caches) {
      // The saved copies of pages go; the outbox stays (it is this person's, and is sent when
      // they sign in again on this device).
      caches.keys().then(function (names) { names.forEach(function (name) { caches.delete(name); }); });
    }
  });
  socket.on("notifications:count", function (message) {
    var badge = document.getElementById("unread-badge");
    if (!badge) { return; }
    badge.textContent = String(message.unread);
    badge.dataset.count = String(message.unread);
    badge.hidden = message.unread === 0;
  });

  // The event's phase changed (an organiser opened the review, closed the event…): every open page
  // of the event hears it and switches its controls at once; the server refuses anyway.
  var pageEventId = parseInt(body.dataset.pageEventId || body.dataset.eventId || "0", 10) || null;
  if (pageEventId && !body.dataset.liveRefresh) {
    socket.on("connect", function () { socket.emit("event:join", {event_id: pageEventId}); });
  }
  socket.on("event:phase", function (message) {
    if (message.event_id !== pageEventId) { return; }
    if (!message.accepts_edits) {
      body.dataset.canEdit = "false";
      body.dataset.canComment = "false";
    }
    applyRights(document);
    document.dispatchEvent(new CustomEvent("sinergi:phase", {detail: message}));
    if (body.dataset.phaseChanged) { notice(body.dataset.phaseChanged, "info"); }
  });

  // A proposal's status badge (an agreement recorded, an agreed proposal changed since): every page
  // of the event that shows the badge swaps it (lists, the console, the session room).
  socket.on("event:proposal-changed", measured("event:proposal-changed", function (message) {
    Object.keys(message.fragments || {}).forEach(function (id) { replaceById(id, message.fragments[id]); });
  }));

  // The facilitator moved this person (breakouts started, moved, ended): go there.
  socket.on("session:moved", function (message) {
    notice(message.message, "info");
    setTimeout(function () { window.location.href = message.url; }, 400);
  });

  function replaceById(id, html) {
    var current = document.getElementById(id);
    if (!current) { return null; }
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var replacement = holder.firstElementChild;
    var active = document.activeElement;
    var inside = active && active !== document.body && current.contains(active) ? active : null;
    var at = inside ? Array.prototype.indexOf.call(current.querySelectorAll(FOCUS_TARGETS), inside) : -1;
    current.replaceWith(replacement);
    htmx.process(replacement);
    applyRights(replacement);
    if (inside) {  // focus is never lost on a re-render
      var again = (inside.id && document.getElementById(inside.id)) || replacement.querySelectorAll(FOCUS_TARGETS)[at];
      if (again) { again.focus({preventScroll: true}); }
    }
    return replacement;
  }
  var FOCUS_TARGETS = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";

  // ---- Heavy event views (matrix, national directions): re-fetch, debounced, when a proposal
  // changes. They join the event's room; the signal carries no data, the fragment is fetched anew.
  var liveTarget = body.dataset.liveRefresh;
  var liveEventId = body.dataset.eventId ? parseInt(body.dataset.eventId, 10) : null;
  if (liveTarget && liveEventId) {
    var refreshTimer = null, lastSaidRefresh = 0;
    var refresh = function () {
      refreshTimer = null;
      htmx.ajax("GET", window.location.pathname + window.location.search, {target: liveTarget, swap: "outerHTML"})
        .then(function () {
          var note = document.getElementById("matrix-live-note");
          if (note) { note.hidden = false; }
          // Said at most once a minute: a busy room would otherwise talk over the reader.
          if (body.dataset.liveAnnounce && Date.now() - lastSaidRefresh > 60000) {
            lastSaidRefresh = Date.now();
            announce(body.dataset.liveAnnounce);
          }
        });
      // The cell detail open beside the matrix (its items and their statuses) follows too.
      var detail = document.getElementById("cell-items");
      if (detail && detail.dataset.refreshUrl) {
        htmx.ajax("GET", detail.dataset.refreshUrl, {target: detail, swap: "outerHTML"});
      }
    };
    // At most one fetch per delay, however busy the room: a timer already set is left to run
    // (resetting it on every signal would starve the view while people keep typing).
    var scheduleRefresh = function () {
      if (refreshTimer) { return; }
      refreshTimer = setTimeout(refresh, parseInt(body.dataset.liveDelay || "1500", 10));
    };
    var joined = false;
    socket.on("connect", function () {
      socket.emit("event:join", {event_id: liveEventId});
      if (joined) { scheduleRefresh(); }  // a reconnect may have missed changes
      joined = true;
    });
    socket.on(body.dataset.liveSignal || "event:proposal-changed", scheduleRefresh);
  }

  // ---- Session room and projector: spotlight, timer on the server's clock, announcements -----
  var sessionId = body.dataset.sessionId ? parseInt(body.dataset.sessionId, 10) : null;
  if (sessionId) {
    var clock = {offset: 0, endsAt: null};
    var setTimer = function (timer) {
      if (!timer) { return; }
      // The server's "now" against ours: a laptop with a wrong clock still shows the right time.
      clock.offset = timer.server_now_ms - Date.now();
      clock.endsAt = timer.ends_at_ms;
      tick();
    };
    var tick = function () {
      var element = document.getElementById("session-" + sessionId + "-timer");
      if (!element) { return; }
      var face = element.querySelector(".timer-clock");
      if (!clock.endsAt) { face.textContent = "—"; element.classList.add("idle"); return; }
      var remaining = Math.max(0, Math.round((clock.endsAt - (Date.now() + clock.offset)) / 1000));
      var minutes = Math.floor(remaining / 60), seconds = remaining % 60;
      face.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      element.classList.toggle("done", remaining === 0);
      element.classList.remove("idle");
    };
    var timerElement = document.getElementById("session-" + sessionId + "-timer");
    if (timerElement && timerElement.dataset.endsMs) {
      setTimer({server_now_ms: parseInt(timerElement.dataset.serverNowMs, 10),
                ends_at_ms: parseInt(timerElement.dataset.endsMs, 10)});
    }
    setInterval(tick, 250);
    var following = function () {
      var box = document.getElementById("follow-facilitator");
      return body.dataset.projector === "true" || !box || box.checked;
    };
    // The spotlight and the announcement are said aloud as they change (the timer is not: it ticks).
    var sayWhatChanged = function (message) {
      var part = message.part === "spotlight" ? document.getElementById("session-" + sessionId + "-spotlight")
        : message.part === "announcement" ? document.getElementById("session-" + sessionId + "-announcement") : null;
      if (!part || part.hidden) { return; }
      var heading = part.querySelector(".spotlight-agency") || part;
      announce(heading.textContent.replace(/\s+/g, " ").trim().slice(0, 160));
    };
    var showSpotlight = function () {
      var spot = document.getElementById("session-" + sessionId + "-spotlight");
      if (!spot) { return; }
      spot.classList.add("flash-change");
      setTimeout(function () { spot.classList.remove("flash-change"); }, 3000);
      if (following()) { spot.scrollIntoView({behavior: "smooth", block: "start"}); }
    };
    // The facilitator's console is this person's own (its forms), not a broadcast: fetched anew
    // after a reconnect and on every change of the session (from any window); while the
    // facilitator is typing in it, once they leave it, so nothing they typed is lost.
    var consoleStale = false;
    var consoleId = "session-" + sessionId + "-console";
    // Busy: a field of the console has the focus, or holds what the facilitator typed or ticked
    // and has not sent yet (a refresh then would throw it away).
    var consoleBusy = function (panel) {
      var focused = panel.contains(document.activeElement) &&
        document.activeElement.matches("input:not([type=hidden]):not([type=checkbox]), textarea, select");
      return focused || panel.dataset.dirty === "true";
    };
    document.addEventListener("input", function (event) {
      var panel = event.target.closest && event.target.closest("#" + consoleId);
      if (panel && !event.target.matches("input[data-filter-list]")) { panel.dataset.dirty = "true"; }
    });
    document.addEventListener("htmx:afterRequest", function (event) {
      var panel = document.getElementById(consoleId);
      if (panel && event.detail.successful && event.detail.elt.closest && event.detail.elt.closest("#" + consoleId) &&
          event.detail.elt.matches("form")) {
        panel.dataset.dirty = "false";
        if (consoleStale) { setTimeout(refreshConsole, 100); }
      }
    });
    // The answer of a refresh arriving while the facilitator started typing waits, too.
    document.addEventListener("htmx:beforeSwap", function (event) {
      var panel = document.getElementById(consoleId);
      if (panel && event.detail.target === panel && consoleBusy(panel)) {
        event.detail.shouldSwap = false;
        consoleStale = true;
      }
    });
    var refreshConsole = function () {
      var panel = document.getElementById(consoleId);
      if (!panel || !panel.dataset.refreshUrl) { return; }
      var typing = consoleBusy(panel);
      var folds = Array.prototype.map.call(panel.querySelectorAll("details[class]"), function (d) {
        return [d.className.split(" ")[0], d.open];
      });
      if (typing) { consoleStale = true; return; }
      consoleStale = false;
      htmx.ajax("GET", panel.dataset.refreshUrl, {target: panel, swap: "outerHTML"}).then(function () {
        var fresh = document.getElementById("session-" + sessionId + "-console");
        if (!fresh) { return; }
        folds.forEach(function (fold) {  // what the facilitator had opened or closed stays so
          var details = fold[0] && fresh.querySelector("details." + fold[0]);
          if (details) { details.open = fold[1]; }
        });
      });
    };
    document.addEventListener("focusout", function (event) {
      var panel = document.getElementById(consoleId);
      // Leaving the console for the rest of the page drops what was left unsent there.
      if (panel && panel.contains(event.target) && !panel.contains(event.relatedTarget)) { panel.dataset.dirty = "false"; }
      if (consoleStale) { setTimeout(function () { if (consoleStale) { refreshConsole(); } }, 300); }
    });
    socket.on("event:sessions", function () { refreshConsole(); });
    var sessionJoined = false;
    socket.on("connect", function () {
      socket.emit("session:join", {session_id: sessionId}, function (answer) {
        if (!answer || !answer.ok) { return; }
        setTimer(answer.timer);
        // Whatever changed while away comes with the answer, fresh from the database.
        Object.keys(answer.fragments || {}).forEach(function (id) { replaceById(id, answer.fragments[id]); });
        if (sessionJoined) { refreshConsole(); }
        sessionJoined = true;
      });
    });
    socket.on("session:changed", function (message) {
      if (message.session_id !== sessionId) { return; }
      Object.keys(message.fragments).forEach(function (id) { replaceById(id, message.fragments[id]); });
      setTimer(message.timer);
      if (message.part === "spotlight") { showSpotlight(); }
      sayWhatChanged(message);
      refreshConsole();
    });
  }

  var proposalId = body.dataset.proposalId ? parseInt(body.dataset.proposalId, 10) : null;
  if (!proposalId) {
    return;
  }

  var i18n = (document.getElementById("i18n") || {dataset: {}}).dataset;
  function t(key, values) {
    var text = i18n[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.replace("%(" + name + ")s", values[name]);
    });
    return text;
  }
  function canEdit() { return body.dataset.canEdit === "true"; }
  function myId() { return parseInt(body.dataset.userId || "0", 10); }

  var state = {revision: parseInt(body.dataset.revision || "0", 10), syncing: false, pending: []};

  // The header of a cell's column ("Target", "Pagu indikatif"): what a change is said to be about.
  function columnName(cell) {
    var table = cell.closest("table");
    var header = table && table.tHead && table.tHead.rows[0] && table.tHead.rows[0].cells[cell.cellIndex];
    return header ? header.textContent.trim() : "";
  }

  function setConnection(kind) {
    var element = document.getElementById("connection-status");
    if (!element) { return; }
    var before = element.dataset.state;
    if (before && before !== "connecting" && before !== kind && kind !== "syncing") { announce(t(kind === "online" ? "online" : "offline")); }
    element.dataset.state = kind;
    element.textContent = t(kind === "online" ? "online" : kind === "syncing" ? "syncing" : "offline");
  }

  // ---- Swapping fragments without losing what the user is typing -------------------------------
  function editingCells(root) {
    return Array.prototype.slice.call(root.querySelectorAll("td.editing, form.editing-guard.editing"));
  }

  function preserveEditors(oldElement, newElement, change) {
    editingCells(oldElement).forEach(function (cell) {
      var counterpart = newElement.id === cell.id ? newElement : newElement.querySelector("#" + CSS.escape(cell.id));
      if (!counterpart) {
        if (cell.tagName === "TD") { notice(t("deleted"), "warning"); }
        return;
      }
      // (A conflict already shows the stored value and who wrote it: no second note.)
      if (cell.tagName === "TD" && counterpart.dataset.value !== cell.dataset.value && !cell.querySelector(".conflict")) {
        markStale(cell, counterpart, change);
      }
      counterpart.replaceWith(cell);
      for (var fold = cell.closest("details"); fold; fold = fold.parentElement && fold.parentElement.closest("details")) {
        fold.open = true;  // a comment being edited stays visible in the replaced thread
      }
    });
  }

  function markStale(cell, counterpart, change) {
    cell.dataset.value = counterpart.dataset.value;  // what a "Take theirs" shows
    cell.classList.add("stale");
    var note = cell.querySelector(".stale-note");
    if (!note) {
      note = document.createElement("p");
      note.className = "stale-note";
      cell.insertBefore(note, cell.firstChild);
    }
    note.textContent = t("stale", {name: (change && change.user_name) || "?", value: counterpart.textContent.trim()});
  }

  // The same row again (its attributes and its cells' ids unchanged): only the cells that differ
  // go in, the others stay, so the table lays out and paints the changed cells rather than a new
  // row, and a row sent again unchanged (the rows above a moved one) costs nothing.
  function sameRow(current, replacement) {
    if (current.tagName !== "TR" || replacement.tagName !== "TR" || current.attributes.length !== replacement.attributes.length ||
        current.cells.length !== replacement.cells.length) { return false; }
    for (var a = 0; a < replacement.attributes.length; a++) {
      var name = replacement.attributes[a].name;
      // (The highlight of a change is this page's, put back after the swap.)
      var mine = name === "class" ? current.className.replace(" flash-change", "") : current.getAttribute(name);
      if (mine !== replacement.attributes[a].value) { return false; }
    }
    for (var i = 0; i < current.cells.length; i++) {
      if (current.cells[i].id !== replacement.cells[i].id) { return false; }
    }
    return true;
  }
  function sameCell(live, cell) {
    var badge = live.querySelector(".changed-by");  // the highlight's, not the server's
    if (!badge) { return live.isEqualNode(cell); }
    var copy = live.cloneNode(true);
    copy.querySelector(".changed-by").remove();
    return copy.isEqualNode(cell);
  }
  function updateCells(current, replacement, change) {
    Array.prototype.slice.call(replacement.cells).forEach(function (cell, index) {
      var live = current.cells[index];
      if (sameCell(live, cell)) { return; }
      if (live.classList.contains("editing")) {  // being typed in: kept, noted if the stored value moved
        if (cell.dataset.value !== live.dataset.value && !live.querySelector(".conflict")) { markStale(live, cell, change); }
        return;
      }
      live.replaceWith(cell);
      htmx.process(cell);
    });
  }

  function swapFragment(id, html, change) {
    var current = document.getElementById(id);
    if (!current) { return; }
    var holder = document.createElement(current.tagName === "TR" ? "tbody" : current.tagName === "TFOOT" ? "table" : "div");
    holder.innerHTML = html.trim();
    var replacement = holder.firstElementChild;
    if (!replacement) { return; }
    applyRights(holder);  // here, not over the row's whole table group once it is in
    // Moving the cell being typed in loses its focus: note it, and give it back with the caret.
    var active = document.activeElement;
    var caret = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
    var typing = active && current.contains(active) ? active : null;
    var focusAt = typing ? focusIndex(current, typing) : -1;
    var typingCell = typing && typing !== current && typing.closest ? typing.closest("td.editable[id]") : null;
    if (sameRow(current, replacement)) {
      updateCells(current, replacement, change);
      replacement = current;
    } else {
      preserveEditors(current, replacement, change);
      current.replaceWith(replacement);
      htmx.process(replacement);
    }
    if (typing && document.body.contains(typing)) {
      typing.focus();
      if (caret && typing.setSelectionRange) { typing.setSelectionRange(caret[0], caret[1]); }
    } else if (typing) {
      refocus(replacement, typing, focusAt, typingCell && typingCell !== typing ? typingCell.id : null);  // a button or a cell of the re-rendered row keeps the focus
    }
    if (!applying) { swapped(); }
  }
  // After a swap: cells waiting in the outbox marked again, the page told (once per broadcast).
  var applying = false;
  function swapped() {
    if (window.sinergiMarkPending) { window.sinergiMarkPending(); }
    document.dispatchEvent(new CustomEvent("sinergi:swapped"));
  }

  // Focus is never lost on a re-render: the element with the same id, else the one at the same
  // place among the focusable elements of the new fragment, takes it back.
  var FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";
  function focusIndex(root, element) {
    return Array.prototype.indexOf.call(root.querySelectorAll(FOCUSABLE), element);
  }
  function refocus(root, gone, index, cellId) {
    var same = gone.id ? document.getElementById(gone.id) : null;
    // A field of an editor the re-render closed (its save answered): its cell, not a neighbour.
    if (!same && cellId) { same = document.getElementById(cellId); }
    if (!same && index >= 0) { same = root.querySelectorAll(FOCUSABLE)[index] || null; }
    if (same && !same.closest("[hidden]")) {
      if (same.matches("td.editable")) { same.setAttribute("tabindex", "0"); }
      same.focus({preventScroll: true});
    }
  }

  // A reply or comment edit being typed is kept when its thread is replaced by a broadcast.
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form.editing-guard");
    if (form) { form.classList.toggle("editing", event.target.value.length > 0); }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.classList && event.detail.elt.classList.contains("editing-guard")) {
      event.detail.elt.classList.remove("editing");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.classList && form.classList.contains("reply-form") && event.detail.successful) { form.reset(); }
  });

  function highlight(change) {
    var targets = [];
    // The row of the item: `item-<id>` on the proposal page, `realisation-<id>-<quarter>` on the
    // realisation page; both carry data-item-id.
    (change.item_ids || []).forEach(function (itemId) {
      var row = document.getElementById("item-" + itemId);
      if (!row || row.tagName !== "TR") { row = document.querySelector('tr[data-item-id="' + itemId + '"]'); }
      if (row) { targets.push(row); }
    });
    targets.forEach(function (row) {
      // A row still lit by an earlier change (its cells updated in place) lights up again from the
      // start, with its one badge saying who changed it last.
      var badge = row.querySelector(".changed-by") || document.createElement("span");
      badge.className = "changed-by";
      badge.textContent = t("changedBy", {name: change.user_name});
      if (!badge.parentNode) { (row.cells[1] || row).appendChild(badge); }
      if (!row.classList.contains("flash-change")) { row.classList.add("flash-change"); }
      else if (row.getAnimations) { row.getAnimations().forEach(function (lit) { lit.currentTime = 0; }); }
      var name = row.querySelector(".item-name");
      var cell = change.field ? document.getElementById("item-" + row.dataset.itemId + "-" + change.field) : null;
      announce(t("announceChange", {name: change.user_name || "?",
        what: [name ? name.textContent.trim().slice(0, 60) : "", cell ? columnName(cell) : ""].filter(Boolean).join(" · ")}));
      clearTimeout(row.sinergiUnlight);
      row.sinergiUnlight = setTimeout(function () { row.classList.remove("flash-change"); badge.remove(); }, 3000);
    });
  }

  // A row added, deleted or moved comes as the tree's order ([program id, [the ids of its rows]]
  // per group, as the page shows them) with only the rows whose content changed (the new row, the
  // subtotals above): the rows already shown are moved into place, not parsed again (the whole
  // tree is about 1 MB of HTML, 200 ms and more of a laptop's time). Answers the ids of the rows
  // it made from the message, or null when a row is missing (then the tree is fetched).
  function applyOrder(order, fragments) {
    var tree = document.getElementById("proposal-" + proposalId + "-tree");
    var table = tree && tree.querySelector("table.tree");
    if (!table) { return {}; }  // another view of the proposal (the realisation tab): nothing to order
    if (!table.tHead) { return null; }
    var made = {}, kept = {}, after = table.tHead;
    var active = document.activeElement;
    var caret = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
    for (var g = 0; g < order.length; g++) {
      var groupId = "item-" + order[g][0] + "-group";
      var group = document.getElementById(groupId);
      if (!group) { group = document.createElement("tbody"); group.className = "program-group"; group.id = groupId; }
      if (after.nextElementSibling !== group) { after.after(group); }
      after = group;
      for (var i = 0, ids = order[g][1]; i < ids.length; i++) {
        var id = "item-" + ids[i];
        var row = document.getElementById(id);
        if (!row && fragments[id]) {
          var holder = document.createElement("tbody");
          holder.innerHTML = fragments[id].trim();
          row = holder.firstElementChild;
          made[id] = row;
        }
        if (!row) { return null; }
        if (group.rows[i] !== row) { group.insertBefore(row, group.rows[i] || null); }
        kept[id] = true;
      }
    }
    // What the order no longer holds: deleted rows, emptied groups, the "no items yet" line.
    Array.prototype.slice.call(table.tBodies).forEach(function (group) {
      Array.prototype.slice.call(group.rows).forEach(function (row) {
        if (kept[row.id]) { return; }
        if (row.querySelector("td.editing")) { notice(t("deleted"), "warning"); }
        row.remove();
      });
      if (!group.rows.length) { group.remove(); }
    });
    Object.keys(made).forEach(function (id) { htmx.process(made[id]); applyRights(made[id]); });
    if (active && document.activeElement !== active && document.body.contains(active)) {  // a moved row keeps the focus
      active.focus({preventScroll: true});
      if (caret && active.setSelectionRange) { active.setSelectionRange(caret[0], caret[1]); }
    }
    return made;
  }

  var HISTORY_SHOWN = 100;
  function applyChange(message) {
    var made = message.order ? applyOrder(message.order, message.fragments || {}) : {};
    if (made === null) { resync(); return; }
    applying = true;
    try {
      Object.keys(message.fragments || {}).forEach(function (id) {
        if (!made[id]) { swapFragment(id, message.fragments[id], message.change); }
      });
    } finally {
      applying = false;
    }
    swapped();
    if (message.change && message.change.user_id !== myId()) {
      highlight(message.change);
    }
    var list = document.getElementById("proposal-" + proposalId + "-history-list");
    if (list && message.history) {
      var placeholder = list.querySelector("[data-placeholder]");
      if (placeholder) { placeholder.remove(); }
      message.history.forEach(function (html) {
        var holder = document.createElement("ol");
        holder.innerHTML = html.trim();
        var entry = holder.firstElementChild;
        if (!entry || document.getElementById(entry.id)) { return; }  // already shown (after a catch-up)
        list.insertBefore(entry, list.firstChild);
        htmx.process(entry);
      });
      // As many lines as the page shows when loaded (queries/proposals.HISTORY_LENGTH): a day of
      // edits would otherwise pile thousands of lines into the page, each laid out with it.
      while (list.children.length > HISTORY_SHOWN) { list.lastElementChild.remove(); }
    }
    var threads = document.getElementById("proposal-" + proposalId + "-thread-list");
    if (threads && message.threads) {
      message.threads.forEach(function (html) {
        var holder = document.createElement("ol");
        holder.innerHTML = html.trim();
        var thread = holder.firstElementChild;
        if (!thread || document.getElementById(thread.id)) { return; }
        var placeholder = threads.querySelector("[data-placeholder]");
        if (placeholder) { placeholder.remove(); }
        threads.insertBefore(thread, threads.firstChild);
        htmx.process(thread);
        applyRights(thread);
        if (message.change && message.change.user_id !== myId()) { announce(t("announceComment", {name: message.change.user_name || "?"})); }
      });
    }
    state.revision = message.revision;
    body.dataset.revision = String(message.revision);
    renderFocus(state.focus || []);
  }

  // ---- Catch-up: the database is the truth, the socket only a fast path ------------------------
  function SessionEnded() {}

  function fetchFragment(url) {
    return fetch(url, {headers: {"HX-Request": "true"}, credentials: "same-origin"}).then(function (response) {
      if (response.status === 401) { throw new SessionEnded(); }
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text().then(function (text) {
        return {html: text, revision: parseInt(response.headers.get("X-Sinergi-Revision") || "0", 10)};
      });
    });
  }

  function sessionEnded() {
    setConnection("offline");
    notice(t("sessionEnded"), "error");
    socket.disconnect();
  }

  function resync() {
    if (state.syncing) { return; }
    state.syncing = true;
    setConnection("syncing");
    // The tree first, then the history: the history is at least as new as the tree, and replayed
    // broadcasts skip the history lines it already shows.
    var parts = [];
    fetchFragment(body.dataset.treeUrl).then(function (tree) {
      parts.push(tree.html);
      return fetchFragment(body.dataset.historyUrl);
    }).then(function (history) {
      parts.push(history.html);
      return fetchFragment(body.dataset.threadsUrl);
    }).then(function (threads) {
      parts.push(threads.html);
      var holder = document.createElement("div");
      holder.innerHTML = parts[0].trim();
      var fetchedRevision = parseInt(holder.firstElementChild.dataset.revision || "0", 10);
      swapFragment(body.dataset.treeId || "proposal-" + proposalId + "-tree", parts[0], null);
      swapFragment("proposal-" + proposalId + "-history", parts[1], null);
      swapFragment("proposal-" + proposalId + "-threads", parts[2], null);
      state.revision = Math.max(state.revision, fetchedRevision);
      body.dataset.revision = String(state.revision);
      var label = document.getElementById("proposal-" + proposalId + "-revision");
      if (label) { label.textContent = label.textContent.replace(/\d+/, String(state.revision)); }
      state.syncing = false;
      var queued = state.pending.filter(function (m) { return m.revision > state.revision; });
      state.pending = [];
      queued.sort(function (a, b) { return a.revision - b.revision; }).forEach(receive);
      setConnection(socket.connected ? "online" : "offline");
      renderFocus(state.focus || []);
    }).catch(function (error) {
      state.syncing = false;
      if (error instanceof SessionEnded) { sessionEnded(); return; }
      setTimeout(resync, 2000);
    });
  }

  function receive(message) {
    if (message.proposal_id !== proposalId) { return; }
    if (state.syncing) { state.pending.push(message); return; }
    if (message.revision <= state.revision) { return; }  // already have it
    if (message.revision === state.revision + 1) { applyChange(message); return; }
    state.pending.push(message);  // a gap: fetch what was missed, then replay what is newer
    resync();
  }

  // ---- Presence and focus ----------------------------------------------------------------------
  function renderPresence(viewers) {
    var list = document.querySelector("#proposal-" + proposalId + "-presence .presence-list");
    if (!list) { return; }
    list.innerHTML = "";
    viewers.forEach(function (viewer) {
      var chip = document.createElement("span");
      chip.className = "presence-chip" + (viewer.user_id === myId() ? " me" : "");
      chip.textContent = viewer.name + (viewer.user_id === myId() ? " (" + t("you") + ")" : "");
      chip.title = viewer.agency;
      chip.dataset.userId = viewer.user_id;
      list.appendChild(chip);
    });
  }

  // Only what changed is touched (it runs after every broadcast): a badge already in its cell stays,
  // since taking each off and putting it back lays the whole table out again.
  function renderFocus(focuses) {
    state.focus = focuses;
    var wanted = {};
    focuses.forEach(function (focus) {
      if (focus.user_id === myId()) { return; }
      var cell = document.getElementById("item-" + focus.item_id + "-" + focus.field);
      if (cell) { wanted[cell.id + "|" + focus.user_id] = {cell: cell, focus: focus, text: t("editing", {name: focus.name.split(" ")[0]})}; }
    });
    Array.prototype.slice.call(document.getElementsByClassName("focus-badge")).forEach(function (badge) {
      var key = badge.parentNode.id + "|" + badge.dataset.userId;
      if (wanted[key] && !wanted[key].shown && badge.textContent === wanted[key].text) { wanted[key].shown = true; } else { badge.remove(); }
    });
    var focused = {};
    Object.keys(wanted).forEach(function (key) {
      var want = wanted[key];
      focused[want.cell.id] = true;
      if (!want.cell.classList.contains("has-focus")) { want.cell.classList.add("has-focus"); }
      if (want.shown) { return; }
      var badge = document.createElement("span");
      badge.className = "focus-badge";
      badge.textContent = want.text;
      badge.dataset.userId = want.focus.user_id;
      want.cell.appendChild(badge);
    });
    Array.prototype.slice.call(document.getElementsByClassName("has-focus")).forEach(function (cell) {
      if (!focused[cell.id]) { cell.classList.remove("has-focus"); }
    });
  }

  // ---- Socket life cycle -----------------------------------------------------------------------
  function join() {
    // The realisation page (data-mode="realisation") asks for the right to report, not to edit.
    socket.emit("proposal:join", {proposal_id: proposalId, mode: body.dataset.mode || "edit"}, function (answer) {
      if (!answer || !answer.ok) { setConnection("offline"); return; }
      body.dataset.canEdit = answer.can_edit ? "true" : "false";
      applyRights(document);
      renderPresence(answer.viewers || []);
      renderFocus(answer.focus || []);
      setConnection("online");
      if (answer.revision !== state.revision || state.dirty) { state.dirty = false; resync(); }
    });
  }

  socket.on("connect", join);  // also after every reconnect: catch up from the database
  window.addEventListener("offline", function () { setConnection("offline"); });
  window.addEventListener("online", function () { if (socket.connected) { setConnection("online"); resync(); } });
  socket.on("disconnect", function () { setConnection("offline"); });
  socket.on("connect_error", function () { setConnection("offline"); });
  socket.on("proposal:changed", measured("proposal:changed", receive));
  // A lock or unlock: the badge changes, and this viewer's right to edit is asked again.
  socket.on("proposal:lock", function (message) {
    if (message.proposal_id !== proposalId) { return; }
    Object.keys(message.fragments).forEach(function (id) { swapFragment(id, message.fragments[id], null); });
    if (message.locked && openEditor && openEditor.cell) { closeEditor(openEditor.cell); }
    if (message.locked) { body.dataset.canEdit = "false"; applyRights(document); notice(t("locked"), "warning"); }
    join();
  });
  // A phase change: this viewer's rights are asked again (the answer says whether they may edit).
  document.addEventListener("sinergi:phase", function () {
    if (openEditor && openEditor.cell && body.dataset.canEdit !== "true") { closeEditor(openEditor.cell); }
    join();
  });
  socket.on("proposal:presence", measured("proposal:presence", function (message) {
    if (message.proposal_id === proposalId) { renderPresence(message.viewers); }
  }));
  socket.on("proposal:focus", measured("proposal:focus", function (message) {
    if (message.proposal_id === proposalId) { renderFocus(message.focus); }
  }));

  // ---- Inline editing --------------------------------------------------------------------------
  var openEditor = null;  // {cell, itemId, field}

  function emitFocus(cell) {
    // Volatile: a focus made while offline is not sent late, when it no longer holds.
    socket.volatile.emit("proposal:focus", {proposal_id: proposalId, item_id: parseInt(cell.id.split("-")[1], 10),
                                            field: cell.dataset.field});
  }
  function emitBlur() { socket.volatile.emit("proposal:blur", {proposal_id: proposalId}); }

  // Opening another cell closes the editor left open, but not a conflict: that one waits for
  // its author to choose (keep mine, take theirs), however many other cells they edit meanwhile.
  function closesWhenLeft(cell) {
    return document.body.contains(cell) && !cell.querySelector(".conflict");
  }
  function closeEditor(cell) {
    var row = cell.closest("tr");
    cell.classList.remove("editing", "stale");
    openEditor = null;
    emitBlur();
    if (isOffline()) {  // nothing to fetch: put back what the cell showed
      if (cell.dataset.original !== undefined) { cell.innerHTML = cell.dataset.original; }
      markPendingCells();
      return;
    }
    if (row && row.dataset.rowUrl) { refreshRow(row.id, row.dataset.rowUrl, 3); }
  }

  // Put the stored row back. An answer older than the broadcasts already applied is dropped and
  // asked for again (the newer revision is committed, so the next answer has it).
  function refreshRow(rowId, url, triesLeft) {
    fetchFragment(url).then(function (answer) {
      if (answer.revision >= state.revision) { swapFragment(rowId, answer.html, null); }
      else if (triesLeft > 1) { refreshRow(rowId, url, triesLeft - 1); }
      else { resync(); }
    }).catch(function (error) { if (error instanceof SessionEnded) { sessionEnded(); } });
  }

  document.addEventListener("click", function (event) {
    var action = event.target.closest("[data-action]");
    if (action) {
      var cell = action.closest("td.editing");
      if (action.dataset.action === "cancel-edit" && cell) { closeEditor(cell); return; }
      if (action.dataset.action === "take-theirs" && cell) { closeEditor(cell); return; }
      if (action.dataset.action === "close-add-form") { action.closest("form").remove(); return; }
    }
    var target = event.target.closest("td.editable");
    if (!target || target.classList.contains("editing") || !canEdit()) { return; }
    if (event.target.closest("form, button, a")) { return; }
    if (openEditor && openEditor.cell !== target && closesWhenLeft(openEditor.cell)) {
      closeEditor(openEditor.cell);
    }
    if (isOffline()) { localEditor(target); return; }
    target.classList.add("editing");
    target.dataset.original = target.innerHTML;
    openEditor = {cell: target};
    htmx.ajax("GET", target.dataset.editUrl, {target: target, swap: "innerHTML"}).then(function () {
      var input = target.querySelector("input[name=value]:not([type=hidden]), textarea[name=value], select[name=value], input[type=checkbox]");
      if (input) { input.focus(); if (input.select) { input.select(); } }
      emitFocus(target);
    });
  });

  // A comment count on a cell leads to its threads.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-thread-anchor]");
    if (!link) { return; }
    event.preventDefault();
    var parts = link.dataset.threadAnchor.split(":");
    var threads = document.querySelectorAll('.thread[data-item-id="' + parts[0] + '"][data-field="' + parts[1] + '"]');
    threads.forEach(function (thread) { thread.classList.add("flash-change"); setTimeout(function () { thread.classList.remove("flash-change"); }, 3000); });
    if (threads.length) { threads[0].scrollIntoView({behavior: "smooth", block: "center"}); }
  });

  // No stuck cell: while offline (or when the editor cannot be fetched) the cell opens an editor
  // made here from what it shows; its save waits in the outbox like any other.
  function localEditor(cell) {
    if (cell.dataset.field === "directions") { notice(tg("offlineDirections"), "warning"); return; }
    var row = cell.closest("tr");
    if (openEditor && openEditor.cell !== cell && closesWhenLeft(openEditor.cell)) { closeEditor(openEditor.cell); }
    if (cell.dataset.original === undefined || !cell.classList.contains("editing")) { cell.dataset.original = cell.innerHTML; }
    var pendingEntry = readOutbox().filter(function (e) { return e.cellId === cell.id; }).pop();
    var form = document.createElement("form");
    form.className = "field-editor offline-editor";
    form.setAttribute("hx-post", cell.dataset.editUrl);
    form.setAttribute("hx-target", "#" + row.id);
    form.setAttribute("hx-swap", "outerHTML");
    var base = document.createElement("input");
    // A change of a change still waiting: it starts from the waiting one (sent first, in order).
    base.type = "hidden"; base.name = "base";
    base.value = pendingEntry && pendingEntry.shown !== null ? pendingEntry.shown : (cell.dataset.value || "");
    var input = document.createElement("input");
    input.name = "value"; input.autocomplete = "off";
    input.value = pendingEntry && pendingEntry.shown !== null ? pendingEntry.shown : (cell.dataset.value || "");
    input.setAttribute("aria-label", describe(cell));
    var note = document.createElement("p");
    note.className = "offline-note"; note.textContent = tg("offlineEditor");
    var buttons = document.createElement("div");
    buttons.className = "editor-buttons";
    buttons.innerHTML = '<button class="button small" type="submit"></button> ' +
      '<button class="button small secondary" type="button" data-action="cancel-edit"></button>';
    buttons.children[0].textContent = tg("save");
    buttons.children[1].textContent = tg("cancel");
    form.appendChild(base); form.appendChild(input); form.appendChild(note); form.appendChild(buttons);
    cell.innerHTML = "";
    cell.appendChild(form);
    cell.classList.remove("pending", "saving");
    cell.classList.add("editing");
    openEditor = {cell: cell};
    htmx.process(form);
    input.focus();
    input.select();
  }
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var cell = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("td.editable.editing");
      if (cell && !cell.querySelector("form") && event.detail.requestConfig && event.detail.requestConfig.verb === "get") {
        localEditor(cell);
      }
    });
  });
  // Replayed or discarded outbox writes: the page is brought back to what the server stores.
  document.addEventListener("sinergi:outbox-flushed", function (event) { if (event.detail.sent) { resync(); } });
  document.addEventListener("sinergi:discarded", function (event) {
    var cell = event.detail.cellId ? document.getElementById(event.detail.cellId) : null;
    if (cell) {  // what the server stores is shown again, now (and checked at the next catch-up)
      cell.classList.remove("pending");
      if (cell.dataset.stored !== undefined) { cell.innerHTML = cell.dataset.stored; delete cell.dataset.stored; }
    }
    state.dirty = true;
    if (!isOffline()) { resync(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var cell = event.target.closest && event.target.closest("td.editing");
      if (cell) { closeEditor(cell); }
    }
  });

  // A save answers with the saved row. If newer changes were applied meanwhile, that row is
  // already outdated: keep what we have (the broadcast of the save brings the same content).
  // Otherwise the row is swapped like a broadcast: another cell of it being typed in, or showing a
  // conflict still to be resolved, keeps what it shows.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!event.detail.shouldSwap || !target || target.tagName !== "TR" || !target.id) { return; }
    var answered = parseInt(event.detail.xhr.getResponseHeader("X-Sinergi-Revision") || "0", 10);
    if (answered && answered < state.revision) { event.detail.shouldSwap = false; return; }
    if (target.querySelector("td.editing") && event.detail.serverResponse) {
      event.detail.shouldSwap = false;
      swapFragment(target.id, event.detail.serverResponse, null);
    }
  });

  // Pressing Save ends the typing: the focus badge goes, and a broadcast (perhaps of this very
  // save) may now replace the cell. A refusal (conflict, invalid value) is swapped back into the
  // cell, which is then being edited again. (Events of a form that a broadcast detached never
  // reach the document, so nothing here waits for the save's own response.)
  document.addEventListener("htmx:beforeRequest", function (event) {
    var cell = event.detail.elt.closest && event.detail.elt.closest("td.editing");
    if (cell && event.detail.elt.tagName === "FORM") {
      cell.classList.remove("editing", "stale");
      cell.classList.add("saving");
      var saving = document.createElement("span");
      saving.className = "saving-badge";
      saving.textContent = tg("saving");
      cell.appendChild(saving);
      openEditor = null;
      returnTo = cell.id;
      emitBlur();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var cell = event.detail.target;
    if (cell && cell.matches && cell.matches("td.editable") && cell.querySelector("form")) {
      cell.classList.remove("saving");
      cell.classList.add("editing");
      openEditor = {cell: cell};
      emitFocus(cell);
      var field = cell.querySelector("[aria-invalid=true]") || cell.querySelector(".conflict input:not([type=hidden])");
      if (field) { field.focus({preventScroll: true}); }
    }
  });


  // ---- Keyboard: the table is one tab stop; arrows move between cells, Enter opens one ---------
  // A roving tabindex (WAI-ARIA's grid navigation, on a plain table): the current cell has
  // tabindex 0, the others none, so Tab enters and leaves the table in one step; the arrows,
  // Home and End move; Enter or F2 opens the editor; Escape closes it and the cell has the focus
  // again, as it has after a save, a refusal or a broadcast that re-rendered its row.
  function cellsOf(table) { return table.querySelectorAll("tbody td.editable"); }
  function makeCurrent(cell) {
    var table = cell.closest("table");
    if (!table) { return; }
    var previous = table.querySelector('td.editable[tabindex="0"]');
    if (previous && previous !== cell) { previous.removeAttribute("tabindex"); }
    cell.setAttribute("tabindex", "0");
  }
  function seedCells() {
    document.querySelectorAll("table.tree").forEach(function (table) {
      if (table.querySelector('td.editable[tabindex="0"]')) { return; }
      var first = table.querySelector("tbody td.editable");
      if (first) { first.setAttribute("tabindex", "0"); }
    });
  }
  function neighbour(cell, key) {
    var row = cell.closest("tr");
    var inRow = Array.prototype.slice.call(row.querySelectorAll("td.editable"));
    var at = inRow.indexOf(cell);
    if (key === "ArrowRight") { return inRow[at + 1]; }
    if (key === "ArrowLeft") { return inRow[at - 1]; }
    if (key === "Home") { return inRow[0]; }
    if (key === "End") { return inRow[inRow.length - 1]; }
    var rows = Array.prototype.slice.call(cell.closest("table").querySelectorAll("tbody tr"));
    var step = key === "ArrowDown" ? 1 : -1;
    for (var i = rows.indexOf(row) + step; i >= 0 && i < rows.length; i += step) {
      var same = rows[i].querySelector('td.editable[data-field="' + cell.dataset.field + '"]');
      if (same) { return same; }
    }
    return null;
  }
  document.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (!cell.matches || !cell.matches("td.editable") || event.altKey || event.ctrlKey || event.metaKey) { return; }
    if (event.key === "Enter" || event.key === "F2") {
      event.preventDefault();
      returnTo = cell.id;
      cell.click();
      return;
    }
    var next = ["ArrowRight", "ArrowLeft", "ArrowDown", "ArrowUp", "Home", "End"].indexOf(event.key) >= 0 ? neighbour(cell, event.key) : null;
    if (next) {
      event.preventDefault();
      makeCurrent(next);
      next.focus();
    }
  });
  document.addEventListener("focusin", function (event) {
    var cell = event.target.closest && event.target.closest("td.editable");
    if (cell) { makeCurrent(cell); returnTo = cell.id; }
  });
  // The cell whose editor was last used: the focus goes back to it when its row is re-rendered
  // and the focus would otherwise fall to the page.
  var returnTo = null;
  function restoreCellFocus() {
    var active = document.activeElement;
    if (!returnTo || (active && active !== document.body && document.body.contains(active))) { return; }
    var cell = document.getElementById(returnTo);
    if (!cell) { return; }
    if (cell.classList.contains("editing")) {
      var field = cell.querySelector("[aria-invalid=true]") || cell.querySelector(".conflict input:not([type=hidden])") ||
        cell.querySelector("input:not([type=hidden]), select, textarea, button");
      if (field) { field.focus({preventScroll: true}); return; }
    }
    makeCurrent(cell);
    cell.focus({preventScroll: true});
  }
  document.addEventListener("htmx:afterSettle", function () { seedCells(); restoreCellFocus(); });
  document.addEventListener("sinergi:swapped", function () { seedCells(); restoreCellFocus(); });
  seedCells();

  setConnection("connecting");
})();
