"""Extraction from article text: linked entities, people, figures and narrative phrases.

Nothing here touches the database: :mod:`narrative.api` feeds articles in and stores
the :class:`~narrative.nlp.types.Extraction` that comes out.
"""
