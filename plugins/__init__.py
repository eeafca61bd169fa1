"""teamcast.plugins: hook specifications, the plugin manager, record types and the built-in plugins."""
