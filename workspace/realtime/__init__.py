"""Socket.IO: the fast path that pushes fragments, presence and focus (DESIGN.md §3).

Importing this package registers the handlers on the shared SocketIO object.
"""

from workspace.realtime import handlers  # noqa: F401
