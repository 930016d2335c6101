import gateway.webhooks.tables  # noqa: F401 - registers the webhook tables on the metadata
from gateway.tables import metadata
from servicekit.migrations import run_env

run_env(metadata)
