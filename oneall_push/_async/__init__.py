"""Clients, jobs, stores, receivers and X media in one I/O flavour (``_sync`` is generated from
``_async``). Import from the modules: the package itself loads nothing, so a client loads only
what it uses."""
