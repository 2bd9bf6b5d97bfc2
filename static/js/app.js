// Sinergi front end: htmx does the requests; this file adds the CSRF header and (later) the live socket.
(function () {
  "use strict";
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  document.addEventListener("htmx:configRequest", function (event) {
    if (tokenMeta) {
      event.detail.headers["X-CSRFToken"] = tokenMeta.content;
    }
  });
})();
