"""What dashboards and alerts share: the observability config, the metric catalog, contract serialization."""
