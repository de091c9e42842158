"""A WSGI app on a real loopback port (waitress, threads) for tests that need real sockets,
stopped from inside its own event loop so that no thread is left raising on a closed socket."""

from __future__ import annotations

import contextlib
import threading


@contextlib.contextmanager
def serve_on_loopback(app, **adjustments):
    """Yield the base URL of ``app`` served by waitress on a free loopback port."""
    import waitress

    adjustments.setdefault("threads", 4)
    srv = waitress.create_server(app, host="127.0.0.1", port=0, **adjustments)
    failures: list[BaseException] = []

    def run():
        try:
            srv.run()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread below
            failures.append(exc)

    thread = threading.Thread(target=run, name="loopback-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.effective_port}"
    finally:

        def stop():
            for channel in list(srv._map.values()):
                channel.close()

        srv.trigger.pull_trigger(stop)
        thread.join(timeout=10)
        srv.task_dispatcher.shutdown(timeout=5)
        if thread.is_alive():
            raise RuntimeError("the loopback server did not stop within 10 s")
        if failures:
            raise failures[0]
