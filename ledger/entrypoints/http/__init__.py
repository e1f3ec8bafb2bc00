"""``ledger serve``: the debtors' e-services and the staff consoles over HTTP (domain §11,
interfaces §3). Like the command line, it only translates: the same handlers, the
same views, the same read models, around the same ``Bootstrap``."""
