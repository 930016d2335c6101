"""The sales service: from lead to order, with products, pipelines, quotes and contracts."""
