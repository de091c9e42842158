"""``fossilgis serve``: the web map on waitress (HTTP) or, given a certificate, on cheroot
(HTTPS; waitress has no TLS); ``fossilgis serve make-cert`` makes the certificate."""

from __future__ import annotations

import click

_PHONE_STEPS = """\
Next / 下一步:
  1. Serve with it / 用该证书启动:
       fossilgis serve --host 0.0.0.0 --port {port} --certfile {cert} --keyfile {key}
  2. Copy {ca} to each phone (e-mail, USB, or a chat app) and install it:
     把 {ca} 复制到手机并安装:
     - Android: Settings → Security → Encryption & credentials → Install a certificate →
       CA certificate; pick the file. 设置 → 安全 → 加密与凭据 → 安装证书 → CA 证书。
     - iOS: open the file (AirDrop/Files/Mail) → Settings → Profile Downloaded → Install;
       then Settings → General → About → Certificate Trust Settings → switch on
       "fossilgis local CA". 安装描述文件后，在“关于本机 → 证书信任设置”中启用完全信任。
     Check the SHA-256 fingerprint the phone shows against the one above.
     核对手机显示的 SHA-256 指纹与上面一致。
  3. Open https://{host}:{port}/patrols/new once while online, then "Add to Home screen".
     联网时打开一次该地址，再“添加到主屏幕”。
Keep {ca_key} private: whoever has it can impersonate any server to these phones.
请妥善保管 {ca_key}：持有者可冒充任何服务器。"""


def make_server(app, host: str, port: int, threads: int, certfile=None, keyfile=None):
    """The WSGI server ``serve`` runs: waitress for HTTP, cheroot with the standard
    library's TLS for HTTPS. Call ``.run()`` (waitress) or ``.safe_start()`` (cheroot)."""
    if certfile:
        from cheroot import wsgi
        from cheroot.ssl.builtin import BuiltinSSLAdapter

        server = wsgi.Server((host, port), app, numthreads=threads, server_name="fossilgis")
        server.ssl_adapter = BuiltinSSLAdapter(str(certfile), str(keyfile))
        return server
    import waitress

    return waitress.create_server(app, host=host, port=port, threads=threads, ident="fossilgis")


def _https_config(certfile, keyfile) -> dict:
    """Check the pair (before listening) and the app settings HTTPS calls for."""
    if bool(certfile) != bool(keyfile):
        raise click.UsageError(
            "give both --certfile and --keyfile (HTTPS), or neither (plain HTTP) "
            "/ 证书与私钥须同时提供"
        )
    if not certfile:
        return {}
    from fossilgis.tls import check_pair

    check_pair(certfile, keyfile)
    # every request is HTTPS: the session cookie may never travel in clear
    return {"SESSION_COOKIE_SECURE": True, "PREFERRED_URL_SCHEME": "https"}


@click.group(invoke_without_command=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--certfile",
    type=click.Path(dir_okay=False),
    help="PEM certificate (chain): serve HTTPS. Phones need HTTPS for GPS and the offline app.",
)
@click.option("--keyfile", type=click.Path(dir_okay=False), help="PEM private key of --certfile.")
@click.pass_context
def serve(ctx, host, port, threads, certfile, keyfile):
    """Run the web map at http://HOST:PORT/ (https:// with --certfile/--keyfile) on the
    configured store.

    Phones give the web page their GPS position, and keep the patrol form for use without a
    network, only over HTTPS: on an intranet make a certificate with 'fossilgis serve
    make-cert --host ADDRESS -o certs/' and serve with '--certfile certs/server.crt
    --keyfile certs/server.key' (docs/patrols.md, "Phones: HTTPS and the offline app").

    启动网络地图服务；手机定位与离线巡护表单需要 HTTPS（见 make-cert）。
    """
    if ctx.invoked_subcommand is not None:
        return
    from webmap import create_app

    extra = _https_config(certfile, keyfile)
    config = {"DATA_DIR": ctx.obj["data_dir"], "STORE": ctx.obj.get("store"), **extra}
    app = create_app({k: v for k, v in config.items() if v} or None)
    scheme = "https" if certfile else "http"
    click.echo(
        f"fossilgis web map on {scheme}://{host}:{port}/  (store: {app.config['STORE_DESC']})"
    )
    server = make_server(app, host, port, threads, certfile, keyfile)
    if certfile:
        server.safe_start()  # returns on Ctrl-C after stopping the worker threads
    else:
        server.run()


@serve.command("make-cert")
@click.option(
    "--host",
    "hosts",
    multiple=True,
    required=True,
    metavar="ADDRESS",
    help="IP address or host name the phones open (repeat for several); localhost is added.",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    default="certs",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder for fossilgis-ca.crt/.key and server.crt/.key (a CA already there is reused).",
)
@click.option(
    "--days", default=825, show_default=True, type=int, help="Server certificate validity."
)
@click.option(
    "--port", default=8000, show_default=True, type=int, help="Port shown in the next steps."
)
def make_cert(hosts, out_dir, days, port):
    """Make a certificate for HTTPS on an intranet: a local certificate authority (install
    its fossilgis-ca.crt on the phones once) and a server certificate for ADDRESS.

    为内网 HTTPS 生成证书：本地证书颁发机构（手机安装一次 fossilgis-ca.crt）及服务器证书。
    """
    from fossilgis.tls import make_certificate

    made = make_certificate(hosts, out_dir, days=days)
    click.echo(f"{'New' if made.ca_created else 'Reused'} certificate authority: {made.ca_cert}")
    click.echo(f"  SHA-256 fingerprint / 指纹: {made.ca_fingerprint}")
    click.echo(f"Server certificate: {made.cert} (key {made.key})")
    click.echo(f"  for / 适用于: {', '.join(made.hosts)}")
    click.echo(f"  valid until / 有效期至: {made.not_after:%Y-%m-%d} (UTC)")
    click.echo(
        _PHONE_STEPS.format(
            host=made.hosts[0],
            port=port,
            cert=made.cert,
            key=made.key,
            ca=made.ca_cert,
            ca_key=made.ca_key,
        )
    )
