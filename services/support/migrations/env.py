from servicekit.migrations import run_env
from support_service.adapters.tables import metadata

run_env(metadata)
