"""The bare baseline: a python-socketio server under eventlet that only echoes to a room.

    python bench/echo_server.py PORT

No Flask, no database, no rendering: what the same stack costs with nothing of Sinergi in it.
`fanout.py` and `connections.py` start it on a free loopback port and measure it beside the app.
"""

import sys

import eventlet

eventlet.monkey_patch()

import eventlet.wsgi  # noqa: E402
import socketio  # noqa: E402

# No cors_allowed_origins: same origin only, like the app (the bench clients send no Origin header).
server = socketio.Server(async_mode="eventlet", max_http_buffer_size=1_000_000)


@server.on("join")
def join(sid: str, room: str) -> dict:
    server.enter_room(sid, str(room))
    return {"ok": True}


@server.on("echo")
def echo(sid: str, message: dict) -> dict:
    server.emit("echo", message, room=str(message.get("room", "bench")))
    return {"ok": True}


if __name__ == "__main__":
    import resource

    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port = int(sys.argv[1])
    listener = eventlet.listen(("127.0.0.1", port), backlog=1024)
    print(f"echo server on {port}", flush=True)
    eventlet.wsgi.server(listener, socketio.WSGIApp(server), log_output=False, max_size=8192)
