// Added by bench/live_apply.py to the viewer's page before its own scripts: each WebSocket
// message is timed from its arrival to the end of the next frame; the page's apply measures
// (static/js/app.js, "sinergi:apply <event>") and long animation frames are collected.
(() => {
  const probe = window.__liveApply = {records: [], measures: [], frames: []};
  // The main-thread time of the next frame: from its requestAnimationFrame callback to a task
  // posted from it, which runs once the frame's style, layout, paint and commit are done.
  const nextFrame = (done) => requestAnimationFrame(() => {
    const started = performance.now();
    const channel = new MessageChannel();
    channel.port1.onmessage = () => done(started, performance.now());
    channel.port2.postMessage(0);
  });
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const data = typeof event.data === "string" ? event.data : "";
        if (!data.startsWith("42")) { return; }
        const record = {name: (/^42\["([^"]+)"/.exec(data) || [])[1] || "?", bytes: data.length, arrival: performance.now()};
        probe.records.push(record);
        nextFrame((started, ended) => { record.frameStart = started; record.frameEnd = ended; });
      });
    }
  };
  // Called once the page's socket exists: a listener of each event, registered after the page's
  // own, forces style and layout at once after the apply (the work the next frame would do
  // anyway), so that it is told apart from the frame's paint and commit.
  probe.followLayout = (names) => names.forEach((name) => window.sinergiSocket.on(name, () => {
    const record = probe.records[probe.records.length - 1];
    const started = performance.now();
    document.documentElement.getBoundingClientRect();
    if (record && record.name === name) { record.layoutStart = started; record.layoutEnd = performance.now(); }
  }));
  // Every frame for `ms`, their main-thread time summed.
  probe.watch = (ms) => {
    const watching = probe.watching = {sum: 0, frames: 0, done: false};
    const end = performance.now() + ms;
    const step = () => nextFrame((started, ended) => {
      watching.sum += ended - started;
      watching.frames += 1;
      if (ended < end) { step(); } else { watching.done = true; }
    });
    step();
  };
  // What was collected so far, handed over and forgotten.
  probe.take = () => ({records: probe.records.splice(0), measures: probe.measures.splice(0), frames: probe.frames.splice(0)});
  probe.idleFrame = () => new Promise((done) => nextFrame((started, ended) => done(ended - started)));
  const observe = (type, into, keep) => {
    try {
      new PerformanceObserver((list) => list.getEntries().forEach((e) => { if (keep(e)) { into.push(e.toJSON()); } }))
        .observe({type: type, buffered: true});
    } catch (error) { /* not offered by this browser */ }
  };
  observe("measure", probe.measures, (e) => e.name.startsWith("sinergi:apply "));
  observe("long-animation-frame", probe.frames, () => true);
})();
