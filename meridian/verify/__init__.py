"""`meridian verify`: hold a region's live Prometheus against what its stack's synth output declares.

- `expected`: what `build/<stack>/` expects (scrape jobs, rule groups, panel queries, always-firing alerts);
- `probe`: read-only Prometheus API calls (prometheus-api-client), bounded time, classified errors;
- `checks`: the checks, as result rows; `report`: table and JSON; `command`: the typer command.
"""
