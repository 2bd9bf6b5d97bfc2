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
  }

  // The readable text of a server's HTML answer (an error fragment), without rendering it.
  function textOf(html) {
    var parsed = new DOMParser().parseFromString(html || "", "text/html");
    var message = parsed.querySelector("p") || parsed.body;
    return (message.textContent || "").trim();
  }

  // A refused request whose response has nowhere to go (hx-swap="none"): show its message.
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 400 && event.detail.requestConfig &&
        (event.detail.elt.getAttribute("hx-swap") === "none")) {
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
      var right = {comment: "canComment", edit: "canEdit", moderate: "canModerate"}[element.dataset.requires];
      element.hidden = body.dataset[right] !== "true";
    });
  }
  applyRights(document);
  document.addEventListener("htmx:afterSwap", function (event) { applyRights(event.detail.target.parentNode || document); });

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

  // Print buttons and selects that submit their form (no inline script: the CSP forbids it).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) { event.target.form.submit(); }
  });

  if (!body.dataset.userId || typeof io === "undefined") {
    return;
  }
  var socket = io({transports: ["websocket", "polling"], reconnectionDelayMax: 5000});
  window.sinergiSocket = socket;
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
    current.replaceWith(replacement);
    htmx.process(replacement);
    applyRights(replacement);
    return replacement;
  }

  // ---- Heavy event views (matrix, national directions): re-fetch, debounced, when a proposal
  // changes. They join the event's room; the signal carries no data, the fragment is fetched anew.
  var liveTarget = body.dataset.liveRefresh;
  var liveEventId = body.dataset.eventId ? parseInt(body.dataset.eventId, 10) : null;
  if (liveTarget && liveEventId) {
    var refreshTimer = null;
    var refresh = function () {
      refreshTimer = null;
      htmx.ajax("GET", window.location.pathname + window.location.search, {target: liveTarget, swap: "outerHTML"})
        .then(function () {
          var note = document.getElementById("matrix-live-note");
          if (note) { note.hidden = false; }
        });
    };
    var scheduleRefresh = function () {
      if (refreshTimer) { clearTimeout(refreshTimer); }
      refreshTimer = setTimeout(refresh, parseInt(body.dataset.liveDelay || "1500", 10));
    };
    var joined = false;
    socket.on("connect", function () {
      socket.emit("event:join", {event_id: liveEventId});
      if (joined) { scheduleRefresh(); }  // a reconnect may have missed changes
      joined = true;
    });
    socket.on("event:proposal-changed", scheduleRefresh);
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
    var showSpotlight = function () {
      var spot = document.getElementById("session-" + sessionId + "-spotlight");
      if (!spot) { return; }
      spot.classList.add("flash-change");
      setTimeout(function () { spot.classList.remove("flash-change"); }, 3000);
      if (following()) { spot.scrollIntoView({behavior: "smooth", block: "start"}); }
    };
    // The facilitator's console is this person's own (its forms), not a broadcast: fetched anew
    // after a reconnect and when the room's state changed, unless the facilitator is using it.
    var refreshConsole = function () {
      var panel = document.getElementById("session-" + sessionId + "-console");
      if (!panel || !panel.dataset.refreshUrl || panel.contains(document.activeElement)) { return; }
      htmx.ajax("GET", panel.dataset.refreshUrl, {target: panel, swap: "outerHTML"});
    };
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
      if (message.part === "state") { refreshConsole(); }
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

  function setConnection(kind) {
    var element = document.getElementById("connection-status");
    if (!element) { return; }
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
      if (cell.tagName === "TD" && counterpart.dataset.value !== cell.dataset.value) {
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

  function swapFragment(id, html, change) {
    var current = document.getElementById(id);
    if (!current) { return; }
    var holder = document.createElement(current.tagName === "TR" ? "tbody" : current.tagName === "TFOOT" ? "table" : "div");
    holder.innerHTML = html.trim();
    var replacement = holder.firstElementChild;
    if (!replacement) { return; }
    preserveEditors(current, replacement, change);
    current.replaceWith(replacement);
    htmx.process(replacement);
    applyRights(replacement.parentNode || document);
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
    (change.item_ids || []).forEach(function (itemId) {
      var row = document.getElementById("item-" + itemId);
      if (row) { targets.push(row); }
    });
    targets.forEach(function (row) {
      row.classList.add("flash-change");
      var badge = document.createElement("span");
      badge.className = "changed-by";
      badge.textContent = t("changedBy", {name: change.user_name});
      (row.cells[1] || row).appendChild(badge);
      setTimeout(function () { row.classList.remove("flash-change"); badge.remove(); }, 3000);
    });
  }

  function applyChange(message) {
    Object.keys(message.fragments || {}).forEach(function (id) {
      swapFragment(id, message.fragments[id], message.change);
    });
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
      swapFragment("proposal-" + proposalId + "-tree", parts[0], null);
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

  function renderFocus(focuses) {
    state.focus = focuses;
    document.querySelectorAll(".focus-badge").forEach(function (badge) { badge.remove(); });
    document.querySelectorAll("td.has-focus").forEach(function (cell) { cell.classList.remove("has-focus"); });
    focuses.forEach(function (focus) {
      if (focus.user_id === myId()) { return; }
      var cell = document.getElementById("item-" + focus.item_id + "-" + focus.field);
      if (!cell) { return; }
      var badge = document.createElement("span");
      badge.className = "focus-badge";
      badge.textContent = t("editing", {name: focus.name.split(" ")[0]});
      badge.dataset.userId = focus.user_id;
      cell.classList.add("has-focus");
      cell.appendChild(badge);
    });
  }

  // ---- Socket life cycle -----------------------------------------------------------------------
  function join() {
    socket.emit("proposal:join", {proposal_id: proposalId}, function (answer) {
      if (!answer || !answer.ok) { setConnection("offline"); return; }
      body.dataset.canEdit = answer.can_edit ? "true" : "false";
      applyRights(document);
      renderPresence(answer.viewers || []);
      renderFocus(answer.focus || []);
      setConnection("online");
      if (answer.revision !== state.revision) { resync(); }
    });
  }

  socket.on("connect", join);  // also after every reconnect: catch up from the database
  socket.on("disconnect", function () { setConnection("offline"); });
  socket.on("connect_error", function () { setConnection("offline"); });
  socket.on("proposal:changed", receive);
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
  socket.on("proposal:presence", function (message) {
    if (message.proposal_id === proposalId) { renderPresence(message.viewers); }
  });
  socket.on("proposal:focus", function (message) {
    if (message.proposal_id === proposalId) { renderFocus(message.focus); }
  });

  // ---- Inline editing --------------------------------------------------------------------------
  var openEditor = null;  // {cell, itemId, field}

  function emitFocus(cell) {
    socket.emit("proposal:focus", {proposal_id: proposalId, item_id: parseInt(cell.id.split("-")[1], 10),
                                   field: cell.dataset.field});
  }
  function emitBlur() { socket.emit("proposal:blur", {proposal_id: proposalId}); }

  function closeEditor(cell) {
    var row = cell.closest("tr");
    cell.classList.remove("editing", "stale");
    openEditor = null;
    emitBlur();
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
    if (openEditor && openEditor.cell !== target && document.body.contains(openEditor.cell)) {
      closeEditor(openEditor.cell);
    }
    target.classList.add("editing");
    target.dataset.original = target.innerHTML;
    openEditor = {cell: target};
    htmx.ajax("GET", target.dataset.editUrl, {target: target, swap: "innerHTML"}).then(function () {
      var input = target.querySelector("input[name=value]:not([type=hidden]), input[type=checkbox]");
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

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var cell = event.target.closest && event.target.closest("td.editing");
      if (cell) { closeEditor(cell); }
    }
  });

  // A save answers with the saved row. If newer changes were applied meanwhile, that row is
  // already outdated: keep what we have (the broadcast of the save brings the same content).
  document.addEventListener("htmx:beforeSwap", function (event) {
    var answered = parseInt(event.detail.xhr.getResponseHeader("X-Sinergi-Revision") || "0", 10);
    if (answered && answered < state.revision && event.detail.target && event.detail.target.tagName === "TR") {
      event.detail.shouldSwap = false;
      var cell = event.detail.target.querySelector("td.editing");
      if (cell) { closeEditor(cell); }
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
      openEditor = null;
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
    }
  });

  setConnection("connecting");
})();
