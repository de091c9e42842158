"""``fossilgis users``: add, list, disable, enable accounts and issue API tokens."""

from __future__ import annotations

import sys

import click

from fossilgis.cli._common import open_store, operator


@click.group()
def users():
    """Accounts: admin 管理员, patroller 巡护员, viewer 查看者; API tokens."""


@users.command()
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "patroller", "viewer"]), required=True)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (scripts).")
@click.pass_context
def add(ctx, name, role, password_stdin):
    """Add user NAME; the password is asked twice (never given as an argument)."""
    from fossilgis.auth import create_user

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password 密码", hide_input=True, confirmation_prompt=True)
    create_user(open_store(ctx), name, password, role, by=operator())
    click.echo(f"Added {role} {name}.")


@users.command("list")
@click.pass_context
def list_(ctx):
    """List users with role and state."""
    from fossilgis.auth import ROLES

    rows = open_store(ctx).list_users()
    if not rows:
        click.echo("(no users; add one with `fossilgis users add NAME --role admin`)")
    for user in rows:
        state = "disabled 已停用" if user.disabled else "active"
        created = user.created_at.date().isoformat() if user.created_at else ""
        click.echo(f"{user.username:<24} {user.role:<10} {ROLES[user.role][0]:<4} {state:<16} "
                   f"{created}")


@users.command()
@click.argument("name")
@click.pass_context
def disable(ctx, name):
    """Disable user NAME and revoke its API tokens (the account and its records stay)."""
    store = open_store(ctx)
    store.set_user_disabled(name, True, by=operator())
    revoked = store.revoke_tokens(name, by=operator())
    click.echo(f"Disabled {name}; {revoked} API token(s) revoked.")


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
        "Shown once: copy it now. Send it as `Authorization: Bearer <token>`. "
        "令牌仅显示一次。",
        err=True,
    )
