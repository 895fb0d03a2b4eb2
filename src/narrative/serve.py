"""``narrative serve``: the store in Datasette, read-only, with canned queries."""

from __future__ import annotations

import logging
from pathlib import Path

from .config import Settings
from .errors import Errors, StoreError
from .store.db import needs_immutable, reader
from .store.queries import CANNED_QUERIES  # the SQL of `narrative mentions/figures/entities`, shared

LOGGER = logging.getLogger(__name__)


def datasette_app(db_path: str | None = None):
    """A :class:`datasette.app.Datasette` over the store, read-only, with the canned queries.

    The store is checked as every read command checks it (not SQLite, empty, newer schema: one line), and opened
    immutable when its folder cannot hold SQLite's ``-shm`` file (issue 11).

    >>> datasette_app("missing.db")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    narrative.errors.InputError: missing.db: no such database...
    """
    from datasette.app import Datasette

    settings = Settings.load(db=db_path)
    path = Path(settings.db)
    with reader(path):  # a missing, empty, foreign or newer store: one catalogued line, as for every read command
        pass
    _log_errors_in_one_line()
    name = path.stem
    metadata = {
        "title": "narrative",
        "description": "Articles, mentions, figures and narrative phrases stored by narrative.",
        "databases": {
            name: {
                "queries": CANNED_QUERIES,
                "tables": {"articles": {"fts_table": "articles_fts", "fts_pk": "id", "sort_desc": "published"}},
            }
        },
    }
    files, immutables = ([], [str(path)]) if needs_immutable(path) else ([str(path)], [])
    return Datasette(files=files, immutables=immutables, metadata=metadata, settings={"default_page_size": 50})


def serve(*, db_path: str | None = None, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run Datasette until interrupted.

    >>> serve(db_path="missing.db")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    narrative.errors.InputError: missing.db: no such database...
    """
    import uvicorn

    app = datasette_app(db_path)
    config = uvicorn.Config(app.app(), host=host, port=port, log_level="warning")
    server = uvicorn.Server(config)
    try:
        server.run()
    except SystemExit:  # uvicorn logged why (address in use, unknown host) and exits 3: make it our one line
        raise StoreError(Errors.E062.format(host=host, port=port)) from None
    if not server.started:
        raise StoreError(Errors.E062.format(host=host, port=port))


_HANDLER_NAME = "narrative.serve.one_line_errors"


def _log_errors_in_one_line() -> None:
    """Replace datasette's default error handler, which prints a rich traceback with locals (~20 KB) for every
    rejected query, by one that renders the same error page and logs one line (the traceback only at -vv)."""
    import types

    from datasette import hookimpl
    from datasette.plugins import pm

    if pm.get_plugin(_HANDLER_NAME) is None:
        plugin = types.ModuleType(_HANDLER_NAME)  # datasette lists plugins by their module __name__
        setattr(plugin, "handle_exception", hookimpl(trylast=True)(_handle_exception))  # noqa: B010 (a module built at run time)
        pm.set_blocked("datasette.handle_exception")
        pm.register(plugin, name=_HANDLER_NAME)


def _handle_exception(datasette, request, exception):
    from datasette import Response
    from datasette.utils import add_cors_headers
    from datasette.utils.asgi import Base400
    from datasette.views.base import DatasetteError
    from markupsafe import Markup

    async def inner():
        title = None
        if isinstance(exception, Base400):
            status, info, message = exception.status, {}, exception.args[0]
        elif isinstance(exception, DatasetteError):
            status, info, message, title = exception.status, exception.error_dict, exception.message, exception.title
            if exception.message_is_html:
                message = Markup(message)
        else:
            status, info, message = 500, {}, str(exception)
        LOGGER.warning("%s %s: %s", status, request.path, " ".join(str(message).split())[:300])
        LOGGER.debug("traceback of the %s on %s", status, request.path, exc_info=exception)
        info.update({"ok": False, "error": message, "status": status, "title": title})
        headers: dict[str, str] = {}
        if datasette.cors:
            add_cors_headers(headers)
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status, headers=headers)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        context = dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])
        return Response.html(await template.render_async(context), status=status, headers=headers)

    return inner
