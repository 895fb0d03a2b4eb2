"""The narrative-versus-returns report: a self-contained HTML page and the JSON of every number in it."""
