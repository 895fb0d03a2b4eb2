"""Prices and the market side of the analysis: reading price files, exchange sessions, returns and event
studies, lead-lag statistics, narrative shifts and the claim checker. Each module holds one idea; only
:mod:`narrative.api.market` wires them to the store and the report."""
