"""Who pays, for people: quarterly statements (CSV, PDF) from the ledger, and agencies' message
credit with its alerts to their liaison officers. The rules themselves are routing/billing.py's;
the ledger is the store's."""
