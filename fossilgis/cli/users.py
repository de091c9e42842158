"""``fossilgis users``: add, list, disable, enable accounts and issue API tokens."""

from __future__ import annotations

import sys

import click

from fossilgis import vocab
from fossilgis.cli._common import open_store, operator


@click.group()
def users():
    """Accounts: admin 管理员, patroller 巡护员, viewer 查看者; API tokens."""


@users.command()
@click.argument("name")
@click.option("--role", type=click.Choice(vocab.ROLES.codes), required=True)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (scripts).",
)
@click.pass_context
def add(ctx, name, role, password_stdin):
    """Add user NAME; the password is asked twice (never given as an argument)."""
    from fossilgis.auth import create_user

    create_user(open_store(ctx), name, _read_password(password_stdin), role, by=operator())
    click.echo(f"Added {role} {name}.")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password 密码", hide_input=True, confirmation_prompt=True)


@users.command()
@click.argument("name")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (scripts).",
)
@click.pass_context
def password(ctx, name, password_stdin):
    """Set a new password for NAME; every web sign-in of NAME ends (API tokens stay)."""
    from fossilgis.auth import set_password

    set_password(open_store(ctx), name, _read_password(password_stdin), by=operator())
    click.echo(f"New password set for {name}; its web sessions have ended. 密码已更改。")


@users.command("sign-out")
@click.argument("name")
@click.pass_context
def sign_out(ctx, name):
    """End every web sign-in session of NAME now (a lost phone, a shared computer)."""
    store = open_store(ctx)
    if store.get_user(name) is None:
        raise click.ClickException(f"no user {name!r}; see `fossilgis users list` / 用户不存在")
    ended = store.end_sessions(name, by=operator())
    click.echo(f"Ended {ended} session(s) of {name}.")


@users.command("list")
@click.pass_context
def list_(ctx):
    """List users with role and state."""
    from fossilgis.auth import escape_control

    rows = open_store(ctx).list_users()
    if not rows:
        click.echo("(no users; add one with `fossilgis users add NAME --role admin`)")
    for user in rows:
        state = "disabled 已停用" if user.disabled else "active"
        created = user.created_at.date().isoformat() if user.created_at else ""
        name = escape_control(user.username)
        click.echo(
            f"{name:<24} {user.role:<10} {vocab.ROLES.zh(user.role):<4} {state:<16} {created}"
        )


@users.command()
@click.argument("name")
@click.pass_context
def disable(ctx, name):
    """Disable user NAME, end its web sessions and revoke its API tokens (the account and
    its records stay)."""
    store = open_store(ctx)
    store.set_user_disabled(name, True, by=operator())
    revoked = store.revoke_tokens(name, by=operator())
    click.echo(f"Disabled {name}; {revoked} API token(s) revoked; its web sessions have ended.")


@users.command()
@click.argument("name")
@click.pass_context
def enable(ctx, name):
    """Enable user NAME again (its old tokens stay revoked)."""
    open_store(ctx).set_user_disabled(name, False, by=operator())
    click.echo(f"Enabled {name}.")


@users.command()
@click.argument("name")
@click.option("--label", default="", help="What the token is for, e.g. 'tablet 3'.")
@click.pass_context
def token(ctx, name, label):
    """Issue an API token for NAME; it is printed once and stored only as a hash."""
    from fossilgis.auth import issue_token

    value = issue_token(open_store(ctx), name, label, by=operator())
    click.echo(value)
    click.echo(
        "Shown once: copy it now. Send it as `Authorization: Bearer <token>`. 令牌仅显示一次。",
        err=True,
    )
