"""A PostgreSQL connection written as a URL, `postgresql://user@host:5432/dbname?sslmode=require`, read into the
keys of the `postgres` connection (docs/engines.md).

No message here quotes the URL or any part of it but a parameter's name: a URL may hold a password written in the
file, and that is not yet among the secrets masked from output when the URL is read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

SCHEMES = ("postgresql", "postgres")
# what a URL may carry, as the connection's keys; the others (statement_timeout) are sqlmon's, not libpq's
ADDRESS_KEYS = ("host", "port", "user", "password", "dbname")
PARAMETERS = ("sslmode", "connect_timeout")
EXAMPLE = "postgresql://user@host:5432/dbname"


def _fail(message: str) -> ValueError:
    return ValueError(message)


def parse_url(url: str) -> dict[str, Any]:
    """The connection keys a URL gives (only those it gives), and `url` itself without its password."""
    scheme, separator, _ = url.partition("://")
    if not separator:
        raise _fail(
            f"a connection is a mapping of keys, such as `{{type: postgres, host: …, password: ${{PG_PASSWORD}}}}`,"
            f" or a PostgreSQL URL, `{EXAMPLE}`"
        )
    if scheme.lower() == "duckdb":
        raise _fail("a DuckDB connection is a file, not a URL: write `{type: duckdb, path: warehouse.duckdb}`")
    if scheme.lower() not in SCHEMES:
        raise _fail(f"a connection URL starts with postgresql:// (`{EXAMPLE}`); other engines take their keys")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        raise _fail("the port in `url` is not a number from 1 to 65535") from None
    found: dict[str, Any] = {}
    if parts.hostname:
        found["host"] = unquote(parts.hostname)
    if port is not None:
        found["port"] = port
    if parts.username:
        found["user"] = unquote(parts.username)
    if parts.password is not None:
        found["password"] = unquote(parts.password)
    dbname = unquote(parts.path.removeprefix("/"))
    if "/" in dbname:
        raise _fail(f"the path of `url` is one database name, as in `{EXAMPLE}`")
    if dbname:
        found["dbname"] = dbname
    if parts.fragment:
        raise _fail("`url` has a `#` part, which a connection URL does not take (percent-encode `#` as %23)")
    try:
        parameters = parse_qsl(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
    except ValueError:
        raise _fail("the parameters of `url` are `?name=value&…`") from None
    for name, value in parameters:
        if name not in PARAMETERS:
            raise _fail(f"`url` has the parameter `{name}`; it takes {' and '.join(PARAMETERS)}")
        found[name] = value
    netloc = parts.netloc.rpartition("@")
    if netloc[1] and parts.password is not None:  # keep the user, drop the password
        found["url"] = urlunsplit(parts._replace(netloc=f"{parts.username or ''}@{netloc[2]}"))
    else:
        found["url"] = url
    return found


def connection_from_url(data: Any) -> Any:
    """A `postgres` connection's raw keys with `url` read into them: a bare URL string is `{url: …}`, and `type`
    may be left out beside `url`. A key given both in the URL and beside it is an error, not a silent choice."""
    if isinstance(data, str):
        data = {"url": data}
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        return data
    found = parse_url(data["url"])
    both = [key for key in (*ADDRESS_KEYS, *PARAMETERS) if key in found and key in data]
    if both == ["password"]:
        raise _fail("the password is given twice: keep `password: ${PG_PASSWORD}` beside `url`, not inside it")
    if both:
        raise _fail(f"`{both[0]}` is given in `url` and as a key; give it once")
    return {"type": "postgres", **{key: value for key, value in data.items() if key != "url"}, **found}
