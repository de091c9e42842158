"""``fossilgis serve``: the web map on waitress, a production WSGI server."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.pass_context
def serve(ctx, host, port, threads):
    """Run the web map at http://HOST:PORT/ on the configured store."""
    import waitress

    from webmap import create_app

    config = {"DATA_DIR": ctx.obj["data_dir"], "STORE": ctx.obj.get("store")}
    app = create_app({k: v for k, v in config.items() if v} or None)
    click.echo(f"fossilgis web map on http://{host}:{port}/  (store: {app.config['STORE_DESC']})")
    waitress.serve(app, host=host, port=port, threads=threads, ident="fossilgis")
